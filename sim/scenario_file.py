"""Scenario files: one TOML file says everything a simulation run needs (``scenarios/*.toml``).

``load_scenario(path)`` reads and validates a file, ``scenario_from_mapping(mapping, base_dir)`` a parsed
document (what stress transforms and sweeps edit); both return a ``ScenarioSpec`` whose ``mapping`` is the
document as validated (plain TOML data, replay files made absolute) and whose sections are typed.
Errors are ``keepers.config.ConfigError`` naming the key by dotted path, with the keeper configuration's
own checks (``markets.SOL-PERP.price.volatility: must be a number between 0 and 1, got -1``); the
``[keepers.bots.X]`` tables are validated by ``keepers.config`` itself.

Sections (every key optional unless said):

- ``[scenario]``: name, seed, slots, seconds_per_slot (chain time), record_every_slots,
  keeper_seconds_per_slot (the keepers' virtual time per slot: how often their timers fire).
- ``[markets.NAME]`` (at least one): initial_price, params (``MarketParams`` field overrides),
  ``.price`` (``localnet.price_paths.path_from_spec``), ``.oracle`` (cadence_slots, confidence_bps,
  fallback, divergence_bps, outages and fallback_outages as ``[{start_slot, slots}]``).
- ``[[traders]]``: behaviour, count, capital and leverage (a number or ``{dist = "fixed"|"uniform"|
  "lognormal", ...}``), activity, markets and the behaviour's knobs (see ``sim.agents``).
- ``[keepers]``: bots (a list of names, or tables ``[keepers.bots.NAME]`` of their settings; the names
  of the tables are the bots that run), outages ``[{bot, start_slot, slots}]``.
- ``[strategies.NAME]``: kind ``scripted_maker`` (levels, half_spread_bps, step_bps,
  notional_per_level, requote_slots, deposit, markets).
- ``[insurance]``: stake. ``[faults]``: drop_rate and error_rate of the keepers' transactions.
"""

from __future__ import annotations

import copy
import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keepers.config import (
    BOT_NAMES,
    U64_MAX,
    BotsConfig,
    ConfigError,
    ArbitrageBotConfig,
    MarketMakerBotConfig,
    _bad,
    _bool,
    _build,
    _choice,
    _int,
    _list,
    _num,
    _optional,
    _show,
    _str,
    _unknown,
)
from keepers.config import _key as key
from localnet.market_oracles import default_price
from localnet.price_paths import path_from_spec
from programs_client.perp.types.market_params import MarketParams

BEHAVIOURS = ("noise", "momentum", "mean_reversion", "informed", "liquidation_hunter", "whale")
DISTRIBUTIONS = ("fixed", "uniform", "lognormal")
STRATEGY_KINDS = ("scripted_maker", "market_maker", "arbitrage")
BOT_STRATEGIES = {"market_maker": MarketMakerBotConfig, "arbitrage": ArbitrageBotConfig}  # kinds that are keeper bots
MARKET_PARAM_NAMES = tuple(f.name for f in dataclasses.fields(MarketParams) if f.name != "padding")
SECTIONS = ("scenario", "markets", "traders", "keepers", "strategies", "insurance", "faults")


@dataclass(frozen=True, kw_only=True)
class RunSection:
    """``[scenario]``."""

    name: str = key(_str, "scenario")
    seed: int = key(_int(0, U64_MAX), 0)
    slots: int = key(_int(1, 10_000_000), 1800)
    seconds_per_slot: int = key(_int(1, 3600), 5)
    record_every_slots: int = key(_int(1), 10)
    keeper_seconds_per_slot: float = key(_num(0, 60, above=True), 0.4)
    description: str | None = key(_optional(_str), None)


@dataclass(frozen=True, kw_only=True)
class Window:
    """A slot window: ``slots`` slots from ``start_slot`` (slots count from 1 at the run's first slot)."""

    start_slot: int = key(_int(1))
    slots: int = key(_int(1))

    def covers(self, step: int) -> bool:
        """True while ``step`` is inside the window."""
        return self.start_slot <= step < self.start_slot + self.slots


def _windows(v: Any, where: str, base: Path) -> tuple[Window, ...]:
    if not isinstance(v, list):
        raise _bad(where, f"must be a list of tables {{start_slot, slots}}, got {_show(v)}")
    return tuple(_build(Window, x, f"{where}[{i}]", base) for i, x in enumerate(v))


@dataclass(frozen=True, kw_only=True)
class OracleSection:
    """``[markets.M.oracle]``: how the market's oracles publish."""

    cadence_slots: int = key(_int(1, 10_000), 1)
    confidence_bps: float = key(_num(0, 10_000), 5.0)
    fallback: bool = key(_bool, False)
    divergence_bps: float = key(_num(-5_000, 5_000), 0.0)
    outages: tuple[Window, ...] = key(_windows, ())
    fallback_outages: tuple[Window, ...] = key(_windows, ())

    def _validate(self, where: str) -> None:
        if not self.fallback and (self.fallback_outages or self.divergence_bps):
            name = "fallback_outages" if self.fallback_outages else "divergence_bps"
            raise _bad(f"{where}.{name}", "needs fallback = true")


def _params(v: Any, where: str, _: Path) -> dict[str, int]:
    if not isinstance(v, dict):
        raise _bad(where, f"must be a table of MarketParams fields, got {_show(v)}")
    for name in v:
        if name not in MARKET_PARAM_NAMES:
            raise _unknown(where, name, list(MARKET_PARAM_NAMES))
    return {name: _int(0, U64_MAX)(x, f"{where}.{name}", _) for name, x in v.items()}


@dataclass(frozen=True)
class MarketSpec:
    """One ``[markets.NAME]``: its first price, parameter overrides, price path table and oracles."""

    name: str
    initial_price: float
    params: dict[str, int]
    price: dict[str, Any]
    oracle: OracleSection


def _table(v: Any, where: str, _: Path) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise _bad(where, f"must be a table, got {_show(v)}")
    return v


@dataclass(frozen=True, kw_only=True)
class _MarketTable:
    initial_price: float | None = key(_optional(_num(0, above=True)), None)
    params: dict[str, int] | None = key(_optional(_params), None)
    price: dict[str, Any] | None = key(_optional(_table), None)  # checked by path_from_spec
    oracle: OracleSection = dataclasses.field(metadata={"section": OracleSection})



@dataclass(frozen=True)
class Distribution:
    """A draw for each trader: ``fixed`` (value), ``uniform`` (low, high) or ``lognormal`` (mean of the
    value, sigma of its log)."""

    dist: str
    a: float
    b: float = 0.0

    def draw(self, rng: Any) -> float:
        """One value from ``rng`` (a ``random.Random``)."""
        import math

        if self.dist == "fixed":
            return self.a
        if self.dist == "uniform":
            return rng.uniform(self.a, self.b)
        # mean a of the value itself: mu = ln(a) - sigma^2/2
        return rng.lognormvariate(math.log(self.a) - self.b**2 / 2, self.b)


def _distribution(lo: float, hi: float) -> Any:
    number = _num(lo, hi, above=lo == 0)

    def check(v: Any, where: str, base: Path) -> Distribution:
        if not isinstance(v, dict):
            return Distribution("fixed", number(v, where, base))
        kind = _choice(DISTRIBUTIONS)(v.get("dist"), f"{where}.dist", base)
        names = {"fixed": ("value",), "uniform": ("low", "high"), "lognormal": ("mean", "sigma")}[kind]
        for name in v:
            if name != "dist" and name not in names:
                raise _unknown(where, name, ["dist", *names])
        for name in names:
            if name not in v:
                raise _bad(f"{where}.{name}", f'missing (required for dist = "{kind}")')
        if kind == "lognormal":
            return Distribution(kind, number(v["mean"], f"{where}.mean", base), _num(0, 5)(v["sigma"], f"{where}.sigma", base))
        vals = [number(v[n], f"{where}.{n}", base) for n in names]
        if kind == "uniform" and vals[1] < vals[0]:
            raise _bad(f"{where}.high", f"must be >= low ({vals[0]}), got {vals[1]}")
        return Distribution(kind, *vals)
    return check


@dataclass(frozen=True, kw_only=True)
class TraderGroup:
    """One ``[[traders]]`` group: ``count`` agents of one behaviour (knobs: see ``sim.agents``)."""

    behaviour: str = key(_choice(BEHAVIOURS))
    name: str | None = key(_optional(_str), None)
    count: int = key(_int(0, 1_000_000))
    capital: Distribution = key(_distribution(0, 1e12), Distribution("fixed", 1000.0))
    leverage: Distribution = key(_distribution(0, 100), Distribution("fixed", 3.0))
    activity: float = key(_num(0, 1), 0.05)
    markets: tuple[str, ...] = key(_list(_str), ())
    long_bias: float = key(_num(0, 1), 0.5)          # noise: chance that an opening is long
    close_probability: float = key(_num(0, 1), 0.3)  # chance that an action closes the position instead
    lookback_slots: int = key(_int(1, 100_000), 20)  # momentum, mean_reversion
    threshold_bps: float = key(_num(0, 10_000), 10.0)
    horizon_slots: int = key(_int(1, 100_000), 10)   # informed: how far ahead it sees
    hunt_distance_bps: float = key(_num(0, 10_000), 100.0)  # liquidation_hunter: how near a liquidation price
    hunt_min_notional: float = key(_num(0), 1_000.0)
    slippage_bps: float = key(_num(0, 10_000), 200.0)
    open_at_slot: int = key(_int(0), 0)              # no trading before this slot
    max_orders: int = key(_int(0), 0)                # orders per trader (0: no limit)

    @property
    def label(self) -> str:
        return self.name or self.behaviour


def _traders(v: Any, where: str, base: Path) -> tuple[TraderGroup, ...]:
    if not isinstance(v, list):
        raise _bad(where, f"must be a list of tables ([[traders]]), got {_show(v)}")
    groups = tuple(_build(TraderGroup, x, f"{where}[{i}]", base) for i, x in enumerate(v))
    labels = [g.label for g in groups]
    for i, label in enumerate(labels):
        if label in labels[:i]:
            raise _bad(f"{where}[{i}].name", f"two groups are called {label!r}: give each a distinct name")
    return groups


@dataclass(frozen=True, kw_only=True)
class BotOutage:
    """A keeper bot down for ``slots`` slots from ``start_slot``."""

    bot: str = key(_choice(BOT_NAMES))
    start_slot: int = key(_int(1))
    slots: int = key(_int(1))

    def covers(self, step: int) -> bool:
        return self.start_slot <= step < self.start_slot + self.slots


@dataclass(frozen=True)
class KeepersSpec:
    """``[keepers]``: the bots that run, their settings (``keepers.config.BotsConfig``), their outages."""

    bots: tuple[str, ...]
    settings: dict[str, dict[str, Any]]
    outages: tuple[BotOutage, ...]


def _keepers(v: Any, where: str, base: Path) -> KeepersSpec:
    if not isinstance(v, dict):
        raise _bad(where, f"must be a table, got {_show(v)}")
    for name in v:
        if name not in ("bots", "outages"):
            raise _unknown(where, name, ["bots", "outages"])
    bots_v = v.get("bots", list(BOT_NAMES))
    settings: dict[str, dict[str, Any]] = {}
    if isinstance(bots_v, dict):
        _build(BotsConfig, bots_v, f"{where}.bots", base)  # the keeper configuration's own checks
        settings = {k: dict(t) for k, t in bots_v.items()}
        bots = tuple(b for b in BOT_NAMES if b in bots_v)
    else:
        bots = tuple(_list(_choice(BOT_NAMES))(bots_v, f"{where}.bots", base))
    outages_v = v.get("outages", [])
    if not isinstance(outages_v, list):
        raise _bad(f"{where}.outages", f"must be a list of tables {{bot, start_slot, slots}}, got {_show(outages_v)}")
    outages = tuple(_build(BotOutage, x, f"{where}.outages[{i}]", base) for i, x in enumerate(outages_v))
    for i, o in enumerate(outages):
        if o.bot not in bots:
            raise _bad(f"{where}.outages[{i}].bot", f"{o.bot!r} is not one of the bots that run ({', '.join(bots)})")
    return KeepersSpec(bots, settings, outages)


@dataclass(frozen=True, kw_only=True)
class StrategySpec:
    """``[strategies.NAME]``: kind ``scripted_maker`` (a ladder re-quoted around the oracle price every
    ``requote_slots``, shaped by ``levels``, ``half_spread_bps``, ``step_bps``, ``notional_per_level``) or
    kind ``market_maker`` (the live market-making bot, ``keepers.strategies.market_maker``, in a keeper of
    its own; ``bot`` holds its ``[bots.market_maker]`` settings, checked by the keeper configuration) or kind
    ``arbitrage`` (the arbitrage bot, ``keepers.strategies.arbitrage``, likewise with ``[bots.arbitrage]``)."""

    kind: str = key(_choice(STRATEGY_KINDS))
    levels: int = key(_int(1, 16), 4)
    half_spread_bps: float = key(_num(0, 10_000), 10.0)
    step_bps: float = key(_num(0, 10_000), 10.0)
    notional_per_level: float = key(_num(0, above=True), 20_000.0)
    requote_slots: int = key(_int(1, 100_000), 5)
    deposit: float = key(_num(0, above=True), 5_000_000.0)
    markets: tuple[str, ...] = key(_list(_str), ())
    bot: dict[str, Any] | None = key(_optional(_table), None)


def _table(v: Any, where: str, _: Path) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise _bad(where, f"must be a table, got {_show(v)}")
    return dict(v)


def _strategy(t: Any, where: str, base: Path) -> StrategySpec:
    spec = _build(StrategySpec, t, where, base)
    if spec.kind in BOT_STRATEGIES:
        _build(BOT_STRATEGIES[spec.kind], spec.bot or {}, f"{where}.bot", base)  # the keeper configuration's own checks
    elif spec.bot is not None:
        raise _bad(f"{where}.bot", "only a market_maker or arbitrage strategy takes bot settings")
    return spec


@dataclass(frozen=True, kw_only=True)
class InsuranceSection:
    stake: float = key(_num(0), 2_000.0)


@dataclass(frozen=True, kw_only=True)
class FaultsSection:
    """Chain faults the keepers see: a share of their transactions silently dropped, or refused with an
    endpoint error."""

    drop_rate: float = key(_num(0, 1), 0.0)
    error_rate: float = key(_num(0, 1), 0.0)


@dataclass(frozen=True)
class ScenarioSpec:
    """A validated scenario (see the module docstring); ``mapping`` is the document it came from."""

    mapping: dict[str, Any]
    run: RunSection
    markets: tuple[MarketSpec, ...]
    traders: tuple[TraderGroup, ...]
    keepers: KeepersSpec
    strategies: dict[str, StrategySpec]
    insurance: InsuranceSection
    faults: FaultsSection
    base_dir: Path = field(default=Path("."))

    @property
    def seed(self) -> int:
        return self.run.seed

    def market_names(self) -> list[str]:
        return [m.name for m in self.markets]


def _markets(v: Any, where: str, base: Path, run: RunSection) -> tuple[MarketSpec, ...]:
    if not isinstance(v, dict) or not v:
        raise _bad(where, "must hold at least one market table ([markets.NAME])")
    out = []
    for name, table in v.items():
        at = f"{where}.{name}"
        if not isinstance(table, dict):
            raise _bad(at, f"must be a table, got {_show(table)}")
        m = _build(_MarketTable, table, at, base)
        price = m.initial_price or table.get("price", {}).get("initial_price") or default_price(name)
        path_table = dict(table.get("price", {}))
        path_from_spec(path_table, f"{at}.price", price, base_dir=base, seconds_per_step=run.seconds_per_slot,
                       series_loader=series_loader())
        if "file" in path_table:
            path_table["file"] = str((base / Path(path_table["file"]).expanduser()).resolve())
            table["price"] = path_table
        for i, w in enumerate(m.oracle.outages):
            if w.start_slot > run.slots:
                raise _bad(f"{at}.oracle.outages[{i}].start_slot", f"is after the run's last slot ({run.slots})")
        out.append(MarketSpec(name, float(price), dict(m.params or {}), path_table, m.oracle))
    return tuple(out)


def series_loader() -> Any:
    """``sim.data.load_price_series`` (replays honour the file's timestamps and formats), or None before
    ``sim.data`` exists: plain CSV replay by ``localnet.price_paths``."""
    try:
        from sim.data import load_price_series  # type: ignore[import-not-found]
    except ImportError:
        return None
    return load_price_series


def _check_names(names: tuple[str, ...], known: list[str], where: str) -> None:
    for i, n in enumerate(names):
        if n not in known:
            raise _bad(f"{where}[{i}]", f"{n!r} is not a market of the scenario ({', '.join(known)})")


def scenario_from_mapping(mapping: Mapping[str, Any], base_dir: Path | str = ".") -> ScenarioSpec:
    """Validate a parsed scenario document; relative files resolve against ``base_dir``."""
    base = Path(base_dir)
    data = copy.deepcopy(dict(mapping))
    for name in data:
        if name not in SECTIONS:
            raise _unknown("", name, list(SECTIONS))
    run = _build(RunSection, data.get("scenario", {}), "scenario", base)
    markets = _markets(data.get("markets"), "markets", base, run)
    known = [m.name for m in markets]
    traders = _traders(data.get("traders", []), "traders", base)
    for i, g in enumerate(traders):
        _check_names(g.markets, known, f"traders[{i}].markets")
    keepers = _keepers(data.get("keepers", {}), "keepers", base)
    strategies_v = data.get("strategies", {})
    if not isinstance(strategies_v, dict):
        raise _bad("strategies", f"must be a table of [strategies.NAME] tables, got {_show(strategies_v)}")
    strategies = {name: _strategy(t, f"strategies.{name}", base) for name, t in strategies_v.items()}
    for name, s in strategies.items():
        _check_names(s.markets, known, f"strategies.{name}.markets")
    insurance = _build(InsuranceSection, data.get("insurance", {}), "insurance", base)
    faults = _build(FaultsSection, data.get("faults", {}), "faults", base)
    return ScenarioSpec(data, run, markets, traders, keepers, strategies, insurance, faults, base)


def load_scenario(path: Path | str) -> ScenarioSpec:
    """Read and validate a scenario TOML file (``ConfigError`` naming the key, or the file, when it is bad)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except OSError as e:
        raise ConfigError(f"{path}: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    return scenario_from_mapping(data, path.parent)


__all__ = ["BEHAVIOURS", "BotOutage", "Distribution", "FaultsSection", "InsuranceSection", "KeepersSpec", "MarketSpec",
           "OracleSection", "RunSection", "ScenarioSpec", "StrategySpec", "TraderGroup", "Window", "load_scenario",
           "scenario_from_mapping"]
