"""Guard rails on admin parameters: the program's validation rules, mirrored, and warnings on large changes.

``market_params_errors`` mirrors ``pk_validate_market_params`` (programs/perp/market_params.c) rule for rule;
``oracle_config_errors`` mirrors ``pk_validate_oracle_config``; ``market_name_errors`` mirrors
``pk_validate_market_name``. A proposal is refused on any of them before anything is simulated, with the rule
named, which the program's single error code (InvalidMarketParams) does not say.
"""

from __future__ import annotations

from dataclasses import dataclass

from solders.pubkey import Pubkey

from programs_client.perp.types import oracle_kind
from programs_client.perp.types.market_params import MarketParams
from programs_client.perp.types.oracle_config import OracleConfig

# Constants of idl/perp.json and programs/perp/market_params.c (tests pin them against both).
BPS = 10_000
MAX_TAKER_FEE_BPS = 1000
MAX_FUNDING_PERIOD_SECS = 7 * 24 * 3600
MAX_STALENESS_SLOTS = 216_000
MAX_ORDER_NOTIONAL = 1 << 52
MAX_TRIGGER_FEE_QUOTE = 10_000_000
MAX_ORDERS_PER_USER_LIMIT = 128
MAX_DELEGATE_PRICE_BAND_BPS = 500

# The margin ratios a large-change warning watches.
MARGIN_FIELDS = ("initial_margin_bps", "maintenance_margin_bps", "liquidation_fee_bps")
DEFAULT_MAX_CHANGE = 0.25


def market_params_errors(m: MarketParams) -> list[str]:
    """Every rule of the program's market-parameter validation that ``m`` breaks (empty: valid)."""
    rules: list[tuple[bool, str]] = [
        (m.tick_size > 0, "tick_size must be positive"),
        (m.lot_size > 0, "lot_size must be positive"),
        (m.min_order_size >= m.lot_size, "min_order_size must be at least lot_size"),
        (m.lot_size == 0 or m.min_order_size % m.lot_size == 0, "min_order_size must be a multiple of lot_size"),
        (m.max_open_interest >= m.min_order_size, "max_open_interest must be at least min_order_size"),
        (0 < m.min_order_notional <= MAX_ORDER_NOTIONAL, f"min_order_notional must be in 1..{MAX_ORDER_NOTIONAL}"),
        (m.trigger_fee_quote <= MAX_TRIGGER_FEE_QUOTE, f"trigger_fee_quote must be at most {MAX_TRIGGER_FEE_QUOTE}"),
        (0 < m.max_orders_per_user <= MAX_ORDERS_PER_USER_LIMIT,
         f"max_orders_per_user must be in 1..{MAX_ORDERS_PER_USER_LIMIT}"),
        (m.delegate_price_band_bps <= MAX_DELEGATE_PRICE_BAND_BPS,
         f"delegate_price_band_bps must be at most {MAX_DELEGATE_PRICE_BAND_BPS}"),
        (0 < m.funding_period_secs <= MAX_FUNDING_PERIOD_SECS, f"funding_period_secs must be in 1..{MAX_FUNDING_PERIOD_SECS}"),
        (0 < m.oracle_max_staleness_slots <= MAX_STALENESS_SLOTS,
         f"oracle_max_staleness_slots must be in 1..{MAX_STALENESS_SLOTS}"),
        (m.maintenance_margin_bps > 0, "maintenance_margin_bps must be positive"),
        (m.initial_margin_bps > m.maintenance_margin_bps, "initial_margin_bps must exceed maintenance_margin_bps"),
        (m.initial_margin_bps <= BPS, f"initial_margin_bps must be at most {BPS}"),
        (m.liquidation_fee_bps < m.maintenance_margin_bps, "liquidation_fee_bps must be below maintenance_margin_bps"),
        (m.insurance_share_bps <= BPS, f"insurance_share_bps must be at most {BPS}"),
        (m.maker_rebate_bps <= m.taker_fee_bps, "maker_rebate_bps must be at most taker_fee_bps"),
        (m.taker_fee_bps <= MAX_TAKER_FEE_BPS, f"taker_fee_bps must be at most {MAX_TAKER_FEE_BPS}"),
        (0 < m.oracle_max_confidence_bps <= BPS, f"oracle_max_confidence_bps must be in 1..{BPS}"),
        (0 < m.oracle_max_divergence_bps <= BPS, f"oracle_max_divergence_bps must be in 1..{BPS}"),
        (0 < m.max_funding_rate_bps <= BPS, f"max_funding_rate_bps must be in 1..{BPS}"),
        (not any(m.padding), "padding must be zero"),
    ]
    return [why for ok, why in rules if not ok]


_ZERO = Pubkey.default()


def _source_ok(kind: oracle_kind.OracleKindKind, account: object, program: object, feed_id: list[int]) -> bool:
    if isinstance(kind, oracle_kind.None_):
        return False
    if account == _ZERO or program == _ZERO:
        return False
    return isinstance(kind, oracle_kind.PythPullV2) != (not any(feed_id))


def oracle_config_errors(o: OracleConfig) -> list[str]:
    """Rules of the program's oracle-configuration validation that ``o`` breaks (empty: valid)."""
    errors = []
    if not _source_ok(o.primary_kind, o.primary, o.primary_program, o.primary_feed_id):
        errors.append("the primary source needs a kind, an account and a program (a feed id for PythPullV2 only)")
    if any(o.padding):
        errors.append("padding must be zero")
    if isinstance(o.fallback_kind, oracle_kind.None_):
        if o.fallback != _ZERO or o.fallback_program != _ZERO or any(o.fallback_feed_id):
            errors.append("a fallback of kind None must have zero keys and feed id")
    elif not _source_ok(o.fallback_kind, o.fallback, o.fallback_program, o.fallback_feed_id):
        errors.append("the fallback source needs a kind, an account and a program (a feed id for PythPullV2 only)")
    elif o.fallback == o.primary:
        errors.append("the fallback must differ from the primary")
    return errors


def market_name_errors(name: str) -> list[str]:
    """The program's market-name rule: 1 to 16 printable ASCII characters, no spaces."""
    raw = name.encode("ascii", "replace")
    if not 1 <= len(raw) <= 16:
        return ["a market name has 1 to 16 characters"]
    if any(b < 0x21 or b > 0x7E for b in raw):
        return ["a market name is printable ASCII without spaces"]
    return []


@dataclass(frozen=True)
class LargeChange:
    """A watched field moved by more than the allowed fraction."""

    field: str
    before: int
    after: int

    @property
    def fraction(self) -> float:
        return abs(self.after - self.before) / self.before if self.before else float("inf")

    def __str__(self) -> str:
        return f"{self.field} moves {self.before} -> {self.after} ({self.fraction:+.0%} of its value)".replace("+", "")


def large_changes(before: MarketParams, after: MarketParams, max_change: float = DEFAULT_MAX_CHANGE,
                  fields: tuple[str, ...] = MARGIN_FIELDS) -> list[LargeChange]:
    """The watched fields that move by more than ``max_change`` of their current value."""
    out = []
    for f in fields:
        b, a = getattr(before, f), getattr(after, f)
        if b != a and (b == 0 or abs(a - b) / b > max_change):
            out.append(LargeChange(f, b, a))
    return out
