"""The keeper's configuration: one TOML file, ``PERPKEEP_*`` environment overrides, validated at start.

``load_config`` reads the file with ``tomllib``, applies overrides and builds frozen dataclasses, one per
section. Every key is declared once, with its default and its check, next to its field; a bad value
raises ``ConfigError`` naming the key by dotted path and saying why, and unknown keys are refused with
a suggestion. ``keepers/example.toml`` documents every key.

Environment overrides: ``PERPKEEP_<SECTION>__<KEY>`` (``__`` separates levels, names are
case-insensitive), e.g. ``PERPKEEP_BOTS__LIQUIDATOR__DERISK=false``. A value is read as a TOML value
when it parses as one (``8000``, ``true``, ``["funding"]``), else as a plain string. Every
``PERPKEEP_*`` variable except those in ``RESERVED_ENV`` must name a key.

``load_keypair`` reads a solana CLI JSON keypair, refusing files that group or others can read.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import os
import stat
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from keepers.exchange.oracles import OracleKind
from keepers.execution.journal import DEFAULT_RETENTION_HOURS, SYNCHRONOUS
from programs_client.perp.program_id import PROGRAM_ID

ENV_PREFIX = "PERPKEEP_"
RESERVED_ENV = frozenset({"PERPKEEP_CONFIG"})  # PERPKEEP_* variables that are not overrides
BOT_NAMES = ("mark_price", "funding", "liquidator", "settler", "insurance", "trigger")
STRATEGY_NAMES = ("market_maker", "arbitrage")  # bots a keeper runs only when ``keeper.bots`` names them
PRICE_SOURCES = ("index", "mark")
UNWIND_ALGOS = ("twap", "vwap", "shortfall")
ARB_STRATEGIES = ("basis", "cross_market", "triangular", "pairs", "cross_venue")
COMMITMENTS = ("processed", "confirmed", "finalized")
LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_FORMATS = ("json", "text")
HA_MODES = ("none", "file", "postgres")
ORACLE_KINDS = tuple(k.name.lower() for k in OracleKind if k != OracleKind.NONE)
U16_MAX = 0xFFFF
U64_MAX = (1 << 64) - 1
MAX_COMPUTE_UNITS = 1_400_000


class ConfigError(ValueError):
    """A configuration that cannot be used; ``key`` is the dotted path of the bad key, if any."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


def _bad(key: str, why: str) -> ConfigError:
    return ConfigError(f"{key}: {why}", key)


def _show(value: Any) -> str:
    """A value as the error message quotes it (TOML-like, shortened)."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value)
    elif isinstance(value, dict):
        text = "a table"
    else:
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --- checks: (value, dotted key, base dir) -> converted value, or raise ConfigError -------------------

Check = Callable[[Any, str, Path], Any]


def _int(lo: int, hi: int | None = None) -> Check:
    want = f"a whole number between {lo} and {hi}" if hi is not None else f"a whole number >= {lo}"

    def check(v: Any, key: str, _: Path) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or v < lo or (hi is not None and v > hi):
            raise _bad(key, f"must be {want}, got {_show(v)}")
        return v
    return check


def _num(lo: float, hi: float | None = None, *, above: bool = False) -> Check:
    want = f"a number > {lo}" if above else f"a number between {lo} and {hi}" if hi is not None else f"a number >= {lo}"

    def check(v: Any, key: str, _: Path) -> float:
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        if not ok or v < lo or (above and v == lo) or (hi is not None and v > hi):
            raise _bad(key, f"must be {want}, got {_show(v)}")
        return float(v)
    return check


def _bool(v: Any, key: str, _: Path) -> bool:
    if not isinstance(v, bool):
        raise _bad(key, f"must be true or false, got {_show(v)}")
    return v


def _str(v: Any, key: str, _: Path) -> str:
    if not isinstance(v, str) or not v:
        raise _bad(key, f"must be a non-empty string, got {_show(v)}")
    return v


def _choice(options: tuple[str, ...]) -> Check:
    def check(v: Any, key: str, _: Path) -> str:
        if v not in options:
            raise _bad(key, f"must be one of {', '.join(options)}, got {_show(v)}")
        return v
    return check


def _url(*schemes: str) -> Check:
    def check(v: Any, key: str, _: Path) -> str:
        parts = urlsplit(v) if isinstance(v, str) else None
        if parts is None or parts.scheme not in schemes or not parts.netloc:
            raise _bad(key, f"must be a URL ({' or '.join(schemes)}), got {_show(v)}")
        return v
    return check


def _pubkey(v: Any, key: str, _: Path) -> Pubkey:
    try:
        return Pubkey.from_string(v)
    except (TypeError, ValueError):
        raise _bad(key, f"must be a base58 public key (32 bytes), got {_show(v)}") from None


def _hex32(v: Any, key: str, _: Path) -> bytes:
    try:
        raw = bytes.fromhex(v)
    except (TypeError, ValueError):
        raw = b""
    if len(raw) != 32:
        raise _bad(key, f"must be 64 hex digits (32 bytes), got {_show(v)}")
    return raw


def _path(v: Any, key: str, base_dir: Path) -> Path:
    """A path; relative paths resolve against the config file's folder."""
    return base_dir / Path(_str(str(v) if isinstance(v, Path) else v, key, base_dir)).expanduser()


def _optional(check: Check) -> Check:
    return lambda v, key, base: None if v is None else check(v, key, base)


def _list(item: Check) -> Check:
    def check(v: Any, key: str, base: Path) -> tuple:
        if not isinstance(v, list):
            raise _bad(key, f"must be a list, got {_show(v)}")
        return tuple(item(x, f"{key}[{i}]", base) for i, x in enumerate(v))
    return check


def _bot_names(v: Any, key: str, base: Path) -> tuple[str, ...]:
    names = _list(_choice(BOT_NAMES + STRATEGY_NAMES))(v, key, base)
    if not names:
        raise _bad(key, f"must name at least one of {', '.join(BOT_NAMES)}")
    dup = next((n for i, n in enumerate(names) if n in names[:i]), None)
    if dup is not None:
        raise _bad(key, f"names {_show(dup)} twice")
    return names


def _key(check: Check, default: Any = MISSING) -> Any:
    """A configuration key: its check, and its default (none: required)."""
    return field(default=default, metadata={"check": check})


def _section(cls: type) -> Any:
    """A sub-table built from ``cls``'s keys (absent: all defaults)."""
    return field(metadata={"section": cls})


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _keys(cls: type) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in fields(cls) if "check" in f.metadata or "section" in f.metadata}


def _unknown(where: str, name: str, known: list[str]) -> ConfigError:
    key = _join(where, name)
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f" (known keys: {', '.join(sorted(known))})" if known else ""
    return ConfigError(f"unknown key {key!r}{hint}", key)


def _build(cls: type, data: Any, where: str, base_dir: Path, **extra: Any) -> Any:
    """Check ``data`` (one TOML table) against ``cls``'s keys and build it."""
    if not isinstance(data, dict):
        raise _bad(where, f"must be a table, got {_show(data)}")
    keys = _keys(cls)
    for name in data:
        if name not in keys:
            raise _unknown(where, name, list(keys))
    values: dict[str, Any] = dict(extra)
    for name, f in keys.items():
        key = _join(where, name)
        if "section" in f.metadata:
            values[name] = _build(f.metadata["section"], data.get(name, {}), key, base_dir)
        elif name in data:
            values[name] = f.metadata["check"](data[name], key, base_dir)
        elif f.default is MISSING:
            raise _bad(key, "missing (required)")
        elif isinstance(f.default, Path):  # default paths resolve like the file's
            values[name] = f.metadata["check"](f.default, key, base_dir)
    obj = cls(**values)
    validate = getattr(obj, "_validate", None)
    if validate is not None:
        validate(where)
    return obj


def _tables(cls: type) -> Check:
    """A list of tables, each built from ``cls``."""
    def check(v: Any, key: str, base: Path) -> tuple:
        if not isinstance(v, list):
            raise _bad(key, f"must be a list of tables, got {_show(v)}")
        return tuple(_build(cls, x, f"{key}[{i}]", base) for i, x in enumerate(v))
    return check


# --- sections ----------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class ClusterConfig:
    """RPC endpoints and how hard to use them."""

    rpc_url: str = _key(_url("http", "https"))
    ws_url: str | None = _key(_optional(_url("ws", "wss")), None)  # None: derived from rpc_url by the chain
    send_urls: tuple[str, ...] = _key(_list(_url("http", "https")), ())
    commitment: str = _key(_choice(COMMITMENTS), "confirmed")
    requests_per_second: float = _key(_num(0, above=True), 50.0)
    urgent_share: float = _key(_num(0, 0.9), 0.2)
    request_timeout_s: float = _key(_num(0, above=True), 10.0)
    silence_s: float = _key(_num(0, above=True), 10.0)
    max_reply_bytes: int = _key(_int(1024), 16 << 20)
    max_snapshot_bytes: int = _key(_int(1024), 256 << 20)
    max_slot_lead: int = _key(_int(1), 150)
    max_slots_per_s: float = _key(_num(0, above=True), 10.0)

    def _validate(self, where: str) -> None:
        if self.max_snapshot_bytes < self.max_reply_bytes:
            raise _bad(_join(where, "max_snapshot_bytes"),
                       f"must be >= max_reply_bytes ({self.max_reply_bytes}), got {self.max_snapshot_bytes}")


@dataclass(frozen=True, kw_only=True)
class ProgramConfig:
    """The exchange program; ``exchange`` and ``collateral_mint`` are informational."""

    program_id: Pubkey = _key(_pubkey, PROGRAM_ID)
    exchange: Pubkey | None = _key(_optional(_pubkey), None)
    collateral_mint: Pubkey | None = _key(_optional(_pubkey), None)


@dataclass(frozen=True, kw_only=True)
class KeeperConfig:
    """The keeper's identity, journal and bots."""

    keypair_path: Path = _key(_path)
    allow_insecure_keypair: bool = _key(_bool, False)
    sub_id: int = _key(_int(0, U16_MAX), 0)
    journal_path: Path = _key(_path, Path("perpkeep-journal.sqlite"))
    journal_synchronous: str = _key(_choice(SYNCHRONOUS), "normal")
    journal_retention_hours: float = _key(_num(1), DEFAULT_RETENTION_HOURS)
    journal_compact_interval_s: float = _key(_num(1), 3600.0)
    bots: tuple[str, ...] = _key(_bot_names, BOT_NAMES)
    dry_run: bool = _key(_bool, False)
    min_balance_sol: float = _key(_num(0), 0.05)


@dataclass(frozen=True, kw_only=True)
class FeesConfig:
    """Priority fees and compute budget."""

    priority_fee_floor_micro_lamports: int = _key(_int(0, U64_MAX), 0)
    priority_fee_cap_micro_lamports: int = _key(_int(0, U64_MAX), 1_000_000)
    reward_share: float = _key(_num(0, 1), 0.2)
    compute_unit_margin: float = _key(_num(1.0), 1.15)
    max_compute_units: int = _key(_int(1, MAX_COMPUTE_UNITS), MAX_COMPUTE_UNITS)

    def _validate(self, where: str) -> None:
        if self.priority_fee_cap_micro_lamports < self.priority_fee_floor_micro_lamports:
            raise _bad(_join(where, "priority_fee_cap_micro_lamports"),
                       f"must be >= priority_fee_floor_micro_lamports ({self.priority_fee_floor_micro_lamports}),"
                       f" got {self.priority_fee_cap_micro_lamports}")


@dataclass(frozen=True, kw_only=True)
class MetricsConfig:
    """The /metrics and /health endpoint; ``enabled = false`` turns it off, ``port = 0`` picks a free port."""

    enabled: bool = _key(_bool, True)
    host: str = _key(_str, "127.0.0.1")
    port: int = _key(_int(0, 65535), 9464)


@dataclass(frozen=True, kw_only=True)
class ConsoleConfig:
    """The operator console (``keepers.console``): an authenticated control API and dashboard served by the keeper.

    Off by default; it refuses to start without ``token_file`` (``perpkeep console token add`` writes it: no
    default credentials). ``cors_origins`` empty: no cross-origin access. The pre-trade limits bound manual
    orders (position in base units, notional in quote units, price band around the mark in basis points)."""

    enabled: bool = _key(_bool, False)
    host: str = _key(_str, "127.0.0.1")
    port: int = _key(_int(0, 65535), 9465)
    token_file: Path | None = _key(_optional(_path), None)
    audit_log_path: Path = _key(_path, Path("perpkeep-audit.jsonl"))
    requests_per_second: float = _key(_num(0, above=True), 20.0)
    burst: int = _key(_int(1, 100_000), 40)
    max_body_bytes: int = _key(_int(64, 1 << 20), 16_384)
    cors_origins: tuple[str, ...] = _key(_list(_url("http", "https")), ())
    max_position_base: float = _key(_num(0, above=True), 10.0)
    max_order_notional_quote: float = _key(_num(0, above=True), 100_000.0)
    price_band_bps: float = _key(_num(0, 10_000, above=True), 500.0)
    stream_interval_s: float = _key(_num(0.05, 60), 1.0)
    # The risk panel values every user (a few ms each part at 10k users) on the keeper's loop: computed this
    # seldom, however many dashboards poll, it stays out of the liquidation path's p99.
    risk_refresh_s: float = _key(_num(0.1, 3600), 5.0)


@dataclass(frozen=True, kw_only=True)
class HealthConfig:
    """When ``/health`` reports a lack of progress (503 with reasons), beyond stale bot watchdogs."""

    price_age_heartbeats: float = _key(_num(1), 3.0)
    funding_lag_periods: float = _key(_num(0, above=True), 1.0)
    liquidatable_untouched_slots: int = _key(_int(1), 50)
    subscription_silence_slots: int = _key(_int(1), 150)


@dataclass(frozen=True, kw_only=True)
class LoggingConfig:
    """Log level and format."""

    level: str = _key(_choice(LOG_LEVELS), "info")
    format: str = _key(_choice(LOG_FORMATS), "json")


@dataclass(frozen=True, kw_only=True)
class MarkPriceBotConfig:
    deviation_bps: int = _key(_int(1, 10_000), 20)
    heartbeat_s: float = _key(_num(0, above=True), 30.0)


@dataclass(frozen=True, kw_only=True)
class FundingBotConfig:
    poll_s: float = _key(_num(0, above=True), 1.0)


@dataclass(frozen=True, kw_only=True)
class LiquidatorBotConfig:
    derisk: bool = _key(_bool, True)
    derisk_slice_bps: int = _key(_int(1, 10_000), 2500)
    max_margin_usage_bps: int = _key(_int(1, 10_000), 8000)
    min_shortfall_quote: int = _key(_int(0, U64_MAX), 0)
    sol_price_quote: int = _key(_int(1, U64_MAX), 150_000_000)
    interval_s: float = _key(_num(0, above=True), 1.0)


@dataclass(frozen=True, kw_only=True)
class SettlerBotConfig:
    consume_limit: int = _key(_int(1, 128), 16)
    max_in_flight: int = _key(_int(1, 10_000), 64)
    funding_threshold_quote: int = _key(_int(0, U64_MAX), 1_000_000)
    pnl_threshold_quote: int = _key(_int(0, U64_MAX), 1_000_000)
    interval_s: float = _key(_num(0, above=True), 5.0)


@dataclass(frozen=True, kw_only=True)
class InsuranceBotConfig:
    sweep_interval_s: float = _key(_num(0, above=True), 3600.0)
    coverage_alert_ratio: float = _key(_num(0, 1000), 0.05)
    interval_s: float = _key(_num(0, above=True), 10.0)


@dataclass(frozen=True, kw_only=True)
class TriggerBotConfig:
    max_in_flight: int = _key(_int(1, 100_000), 1024)
    sol_price_quote: int = _key(_int(1, U64_MAX), 150_000_000)
    interval_s: float = _key(_num(0, above=True), 1.0)


@dataclass(frozen=True, kw_only=True)
class MarketMakerBotConfig:
    """The market maker (``keepers.strategies.market_maker``): quoting, requoting, risk and unwinding.

    Sizes in whole base units, amounts in whole quote units, SOL in SOL."""

    markets: tuple[int, ...] = _key(_list(_int(0, U16_MAX)), ())  # empty: every market this keeper acts on
    price_source: str = _key(_choice(PRICE_SOURCES), "index")
    imbalance_skew_bps: float = _key(_num(0, 1000), 0.0)
    imbalance_depth: int = _key(_int(1, 64), 5)
    gamma: float = _key(_num(0, above=True), 0.1)
    horizon_slots: float = _key(_num(0, above=True), 100.0)
    levels: int = _key(_int(1, 16), 3)
    level_step_bps: float = _key(_num(0, 1000), 5.0)
    base_size: float = _key(_num(0, above=True), 1.0)
    size_ladder: float = _key(_num(0.1, 10), 1.5)
    edge_bps: float = _key(_num(0, 1000), 2.0)
    volatility_decay: float = _key(_num(0, 1), 0.94)
    volatility_prior_bps: float = _key(_num(0), 10.0)  # per-slot sigma before enough returns were seen
    intensity_decay: float = _key(_num(0, 1), 0.97)
    intensity_prior: float = _key(_num(0, above=True), 1000.0)
    intensity_min_fills: int = _key(_int(1), 10)
    requote_price_bps: float = _key(_num(0), 2.0)
    requote_size_share: float = _key(_num(0, 1), 0.2)
    requote_every_s: float = _key(_num(0, above=True), 30.0)
    expiry_slots: int = _key(_int(2, 1_000_000), 150)
    max_inventory_base: float = _key(_num(0, above=True), 10.0)
    max_inventory_quote: float = _key(_num(0, above=True), 10_000.0)
    max_order_base: float = _key(_num(0, above=True), 5.0)
    margin_usage_bps: int = _key(_int(1, 10_000), 5000)
    min_free_collateral_quote: float = _key(_num(0), 0.0)
    max_drawdown_quote: float = _key(_num(0), 0.0)  # 0: no drawdown stop
    max_oracle_age_slots: int = _key(_int(1), 25)
    max_oracle_conf_bps: float = _key(_num(0, above=True), 50.0)
    max_return_bps: float = _key(_num(0, above=True), 200.0)
    max_sigma_bps: float = _key(_num(0, above=True), 100.0)
    lost_connection_s: float = _key(_num(0, above=True), 10.0)
    min_sol: float = _key(_num(0), 0.1)
    balance_check_s: float = _key(_num(0, above=True), 15.0)
    unwind_algo: str = _key(_choice(UNWIND_ALGOS), "twap")
    unwind_slices: int = _key(_int(1, 1000), 4)
    unwind_interval_slots: int = _key(_int(1), 5)
    unwind_band_bps: float = _key(_num(0, 5000), 50.0)
    unwind_risk_aversion: float = _key(_num(0), 1e-6)  # Almgren-Chriss lambda for "shortfall"
    interval_s: float = _key(_num(0, above=True), 1.0)
    # A learned return signal (keepers.strategies.policy): the deployment folder perpkeep ml promote writes
    # (None: off), the largest move of the fair price it may make (bps), how often its pointers are re-read.
    policy_dir: Path | None = _key(_optional(_path), None)
    policy_max_signal_bps: float = _key(_num(0, 1000), 20.0)
    policy_reload_s: float = _key(_num(0, above=True), 5.0)

    def _validate(self, where: str) -> None:
        if self.base_size > self.max_order_base:
            raise _bad(_join(where, "base_size"), f"must be <= max_order_base ({self.max_order_base}), got {self.base_size}")


@dataclass(frozen=True, kw_only=True)
class ArbVenueLinkConfig:
    """One ``[[bots.arbitrage.venue_links]]``: a program market and the external venue's instrument on the
    same asset (the cross-venue strategy's pair)."""

    market: int = _key(_int(0, U16_MAX))
    symbol: str = _key(_str)  # the venue's symbol, e.g. "SOL/USDT:USDT" (ccxt's unified name) or "SOLUSDT"
    asset: str = _key(_str)  # what both trade (exposure limits add the two venues' positions up)


def _tuples(size: int, what: str) -> Check:
    """A list of lists of ``size`` distinct market indexes."""
    def check(v: Any, key: str, base: Path) -> tuple:
        out = _list(_list(_int(0, U16_MAX)))(v, key, base)
        for i, t in enumerate(out):
            if len(t) != size or len(set(t)) != size:
                raise _bad(f"{key}[{i}]", f"must be {size} distinct market indexes ({what}), got {_show(list(t))}")
        return out
    return check


@dataclass(frozen=True, kw_only=True)
class ArbitrageBotConfig:
    """The arbitrage bot (``keepers.strategies.arbitrage``): its strategies, thresholds, risk and venue.

    Amounts in whole quote units, sizes in whole base units."""

    strategies: tuple[str, ...] = _key(_list(_choice(ARB_STRATEGIES)), ("basis",))
    basis_markets: tuple[int, ...] = _key(_list(_int(0, U16_MAX)), ())  # empty: every market this keeper acts on
    cross_markets: tuple[tuple[int, ...], ...] = _key(_tuples(2, "two markets on the same underlying"), ())
    triangles: tuple[tuple[int, ...], ...] = _key(_tuples(3, "a, b, c with price a = b x c"), ())
    pairs: tuple[tuple[int, ...], ...] = _key(_tuples(2, "y then x of the spread y - beta x"), ())
    venue_links: tuple[ArbVenueLinkConfig, ...] = _key(_tables(ArbVenueLinkConfig), ())
    venue_exchange: str | None = _key(_optional(_str), None)  # a ccxt exchange id, e.g. "binanceusdm"
    venue_key_env: str = _key(_str, "ARB_VENUE_API_KEY")  # environment variables holding the venue's keys
    venue_secret_env: str = _key(_str, "ARB_VENUE_SECRET")
    venue_book_max_age_s: float = _key(_num(0, above=True), 2.0)
    threshold_bps: float = _key(_num(0, 10_000), 5.0)
    latency_z: float = _key(_num(0), 2.0)
    volatility_bps_per_sqrt_s: float = _key(_num(0), 5.0)  # the latency risk's price volatility
    default_latency_s: float = _key(_num(0), 0.5)  # the round trip assumed before any was measured
    max_leg_quote: float = _key(_num(0, above=True), 1_000.0)
    max_total_quote: float = _key(_num(0, above=True), 5_000.0)
    max_open_legs: int = _key(_int(1, 1000), 6)
    max_asset_base: float = _key(_num(0, above=True), 10.0)
    kill: bool = _key(_bool, False)  # the kill switch: no new opportunity while set (reloadable)
    kill_file: Path | None = _key(_optional(_path), None)  # the kill switch as a file: set while it exists
    max_failed_in_row: int = _key(_int(0), 5)  # legs failing in a row that trip the kill switch (0: never)
    pairs_base: float = _key(_num(0, above=True), 0.1)  # y's size per entry
    pairs_entry_z: float = _key(_num(0, above=True), 2.0)
    pairs_exit_z: float = _key(_num(0), 0.5)
    pairs_stop_z: float = _key(_num(0, above=True), 4.0)
    pairs_warmup: int = _key(_int(0), 30)
    pairs_delta: float = _key(_num(0, 1), 1e-4)
    pairs_observation_var: float = _key(_num(0, above=True), 1e-3)
    hedge_attempts: int = _key(_int(1, 100), 3)
    hedge_band_bps: float = _key(_num(0, 5000), 20.0)  # how far past the sized price the hedge may fill
    hedge_retry_s: float = _key(_num(0), 0.2)
    unwind_slices: int = _key(_int(1, 1000), 4)
    unwind_interval_slots: int = _key(_int(1), 2)
    unwind_band_bps: float = _key(_num(0, 5000), 100.0)
    interval_s: float = _key(_num(0, above=True), 1.0)

    def _validate(self, where: str) -> None:
        needs = {"cross_market": ("cross_markets", self.cross_markets), "triangular": ("triangles", self.triangles),
                 "pairs": ("pairs", self.pairs), "cross_venue": ("venue_links", self.venue_links)}
        for strategy in self.strategies:
            if strategy in needs and not needs[strategy][1]:
                raise _bad(_join(where, needs[strategy][0]), f"the {strategy} strategy needs at least one entry")
        if len(set(self.strategies)) != len(self.strategies):
            raise _bad(_join(where, "strategies"), "names a strategy twice")
        if not self.pairs_exit_z < self.pairs_entry_z < self.pairs_stop_z:
            raise _bad(_join(where, "pairs_entry_z"), f"must satisfy pairs_exit_z ({self.pairs_exit_z}) < pairs_entry_z "
                                                     f"({self.pairs_entry_z}) < pairs_stop_z ({self.pairs_stop_z})")
        if self.max_leg_quote > self.max_total_quote:
            raise _bad(_join(where, "max_leg_quote"), f"must be <= max_total_quote ({self.max_total_quote})")


@dataclass(frozen=True, kw_only=True)
class BotsConfig:
    """Per-bot settings."""

    mark_price: MarkPriceBotConfig = _section(MarkPriceBotConfig)
    funding: FundingBotConfig = _section(FundingBotConfig)
    liquidator: LiquidatorBotConfig = _section(LiquidatorBotConfig)
    settler: SettlerBotConfig = _section(SettlerBotConfig)
    insurance: InsuranceBotConfig = _section(InsuranceBotConfig)
    trigger: TriggerBotConfig = _section(TriggerBotConfig)
    market_maker: MarketMakerBotConfig = _section(MarketMakerBotConfig)
    arbitrage: ArbitrageBotConfig = _section(ArbitrageBotConfig)


@dataclass(frozen=True, kw_only=True)
class MarketConfig:
    """One ``[[markets]]`` entry; the oracle keys are those ``perpkeep localnet up`` writes."""

    index: int = _key(_int(0, U16_MAX))
    name: str | None = _key(_optional(_str), None)
    address: Pubkey | None = _key(_optional(_pubkey), None)
    oracle: Pubkey | None = _key(_optional(_pubkey), None)
    oracle_kind: str | None = _key(_optional(_choice(ORACLE_KINDS)), None)
    fallback_oracle: Pubkey | None = _key(_optional(_pubkey), None)
    fallback_oracle_kind: str | None = _key(_optional(_choice(ORACLE_KINDS)), None)
    fallback_feed_id: bytes | None = _key(_optional(_hex32), None)
    initial_price: float | None = _key(_optional(_num(0, above=True)), None)


def _markets(v: Any, key: str, base: Path) -> tuple[MarketConfig, ...]:
    markets = _tables(MarketConfig)(v, key, base)
    seen: set[int] = set()
    for i, m in enumerate(markets):
        if m.index in seen:
            raise _bad(f"{key}[{i}].index", f"market {m.index} is listed twice")
        seen.add(m.index)
    return markets


@dataclass(frozen=True, kw_only=True)
class OracleProgramConfig:
    """The mock oracle program of a local deployment (``[oracle]``); all optional."""

    program_id: Pubkey | None = _key(_optional(_pubkey), None)
    config: Pubkey | None = _key(_optional(_pubkey), None)
    authority_keypair_path: Path | None = _key(_optional(_path), None)


@dataclass(frozen=True, kw_only=True)
class HaConfig:
    """An active/standby pair (``keepers.ha``): two processes on one configuration, one holding a lease.

    ``mode`` "none" runs alone; "file" holds the lease in ``path`` (one host); "postgres" in the
    database at ``dsn``. The holder renews every ``renew_interval_s`` and trusts its lease for less than
    ``lease_ttl_s`` after each renewal; a standby takes over once a holder has not renewed for
    ``lease_ttl_s`` (a hung process) or at once when the holder's process (file) or session (postgres)
    is gone. ``name`` identifies this process in the lease and the journal (default: host:pid).
    """

    mode: str = _key(_choice(HA_MODES), "none")
    lease: str = _key(_str, "perpkeep")
    path: Path = _key(_path, Path("perpkeep.lease"))
    dsn: str | None = _key(_optional(_str), None)
    lease_ttl_s: float = _key(_num(0, above=True), 10.0)
    renew_interval_s: float = _key(_num(0, above=True), 2.0)
    handover_timeout_s: float = _key(_num(0), 30.0)
    name: str | None = _key(_optional(_str), None)

    def _validate(self, where: str) -> None:
        if self.mode == "postgres" and self.dsn is None:
            raise _bad(_join(where, "dsn"), 'missing (required when ha.mode = "postgres")')
        if self.renew_interval_s * 2 > self.lease_ttl_s:
            raise _bad(_join(where, "renew_interval_s"),
                       f"must be at most half of lease_ttl_s ({self.lease_ttl_s}), got {self.renew_interval_s}")


@dataclass(frozen=True, kw_only=True)
class Config:
    """The whole keeper configuration; ``markets`` empty means every market on chain."""

    cluster: ClusterConfig = _section(ClusterConfig)
    program: ProgramConfig = _section(ProgramConfig)
    keeper: KeeperConfig = _section(KeeperConfig)
    fees: FeesConfig = _section(FeesConfig)
    metrics: MetricsConfig = _section(MetricsConfig)
    health: HealthConfig = _section(HealthConfig)
    logging: LoggingConfig = _section(LoggingConfig)
    bots: BotsConfig = _section(BotsConfig)
    markets: tuple[MarketConfig, ...] = _key(_markets, ())
    oracle: OracleProgramConfig = _section(OracleProgramConfig)
    ha: HaConfig = _section(HaConfig)
    console: ConsoleConfig = _section(ConsoleConfig)
    path: Path | None = None  # the file it was read from

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], base_dir: Path, path: Path | None = None) -> Config:
        """Validate ``data`` (a parsed TOML document) and build the config.

        Relative paths resolve against ``base_dir``; ``path`` is recorded as the file it came from.
        """
        return _build(cls, dict(data), "", Path(base_dir), path=path)

    def redacted(self) -> dict[str, Any]:
        """The config as plain data for printing: no secrets (URL paths, queries and credentials are masked)."""
        return _plain(self)


def _redact_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    hidden = parts.username or parts.password or parts.query or parts.fragment or parts.path not in ("", "/")
    return f"{parts.scheme}://{netloc}" + ("/[redacted]" if hidden else parts.path)


def _plain(value: Any, name: str = "") -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name), f.name) for f in fields(value)}
    if isinstance(value, tuple):
        return [_plain(v, name) for v in value]
    if isinstance(value, str) and name.endswith(("_url", "_urls")):
        return _redact_url(value)
    if isinstance(value, str) and name == "dsn":  # may hold a password
        return "[redacted]"
    if isinstance(value, (Pubkey, Path)):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


# --- loading -----------------------------------------------------------------------------------------

def _parse_env_value(raw: str) -> Any:
    try:
        return tomllib.loads("v = " + raw)["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _override_path(var: str) -> list[str]:
    """The key path an override variable names; raise ConfigError when it names none."""
    names = var[len(ENV_PREFIX):].lower().split("__")
    cls: type | None = Config
    for i, name in enumerate(names):
        keys = _keys(cls) if cls is not None else {}
        if name not in keys:
            raise ConfigError(f"environment variable {var}: {_unknown('.'.join(names[:i]), name, list(keys))}")
        cls = keys[name].metadata.get("section")
    return names


def apply_overrides(data: dict[str, Any], env: Mapping[str, str]) -> dict[str, str]:
    """Apply ``PERPKEEP_*`` overrides to ``data`` in place; return the variable that set each dotted key."""
    sources: dict[str, str] = {}
    for var in sorted(env):
        if not var.upper().startswith(ENV_PREFIX) or var.upper() in RESERVED_ENV:
            continue
        names = _override_path(var.upper())
        table = data
        for i, name in enumerate(names[:-1]):
            table = table.setdefault(name, {})
            if not isinstance(table, dict):
                raise _bad(".".join(names[:i + 1]), f"must be a table, got {_show(table)}")
        table[names[-1]] = _parse_env_value(env[var])
        sources[".".join(names)] = var
    return sources


def section_values(section: Any) -> dict[str, Any]:
    """A built section as the plain values its TOML table would hold (paths and keys as strings)."""
    return _plain(section)


def rebuild_section(section: Any, changes: Mapping[str, Any], where: str, base_dir: Path = Path(".")) -> Any:
    """``section`` (a built section) with ``changes`` (plain TOML-like values) applied, checked by the very rules
    of the file (each key's check and the section's ``_validate``); raises ``ConfigError`` naming the key."""
    data = _plain(section)
    data.update(changes)
    return _build(type(section), data, where, base_dir)


def load_config(path: Path, env: Mapping[str, str] = os.environ) -> Config:
    """Read the TOML config at ``path``, apply ``PERPKEEP_*`` overrides from ``env`` and validate it."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config: {e.strerror or e}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: invalid TOML: {e}") from None
    sources = apply_overrides(data, env)
    try:
        return Config.from_mapping(data, path.resolve().parent, path)
    except ConfigError as e:
        key = e.key or ""
        var = next((v for k, v in sources.items() if key == k or key.startswith((k + ".", k + "["))), None)
        if var is None:
            raise
        raise ConfigError(f"{e} (set by {var})", e.key) from None


# --- the keypair -------------------------------------------------------------------------------------

class KeypairError(ValueError):
    """A keypair file that cannot be used. Messages never include the file's contents."""


def load_keypair(path: Path, allow_insecure: bool = False) -> Keypair:
    """Read a solana CLI JSON keypair (64 numbers 0..255); refuse files readable by group or others."""
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise KeypairError(f"keypair file {path} does not exist") from None
    except OSError as e:
        raise KeypairError(f"keypair file {path}: cannot read: {e.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise KeypairError(f"keypair file {path} is not a regular file")
    if st.st_mode & 0o077 and not allow_insecure:
        raise KeypairError(f"keypair file {path} is accessible by group or others (mode {stat.S_IMODE(st.st_mode):o}); "
                           f"run `chmod 600 {path}`, or set keeper.allow_insecure_keypair = true")
    try:
        values = json.loads(path.read_bytes())
    except OSError as e:
        raise KeypairError(f"keypair file {path}: cannot read: {e.strerror}") from None
    except ValueError:
        raise KeypairError(f"keypair file {path} is not valid JSON (expected a list of 64 numbers)") from None
    if not isinstance(values, list) or len(values) != 64:
        raise KeypairError(f"keypair file {path} must hold a JSON list of 64 numbers")
    if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in values):
        raise KeypairError(f"keypair file {path} must hold numbers between 0 and 255")
    try:
        return Keypair.from_bytes(bytes(values))
    except ValueError:
        raise KeypairError(f"keypair file {path}: its public key does not match its secret key") from None


__all__ = ["BOT_NAMES", "BotsConfig", "ClusterConfig", "Config", "ConfigError", "ConsoleConfig", "FeesConfig", "FundingBotConfig",
           "HaConfig", "HealthConfig", "InsuranceBotConfig", "KeeperConfig", "KeypairError", "LiquidatorBotConfig", "LoggingConfig",
           "MarkPriceBotConfig", "MarketConfig", "TriggerBotConfig", "MetricsConfig", "OracleProgramConfig", "ProgramConfig",
           "SettlerBotConfig", "apply_overrides", "load_config", "load_keypair", "rebuild_section", "section_values"]
