"""The program's position and margin math in Python, with the same integer rounding.

The keepers use it to value users from cached accounts; differential tests prove that it gives the
program's figures exactly. Units: base 1e9, prices and quote 1e6, cumulative funding quote at 1e9
per whole base, ratios in basis points. Rounding is always against the user.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterable, Mapping, Protocol, Sequence

from programs_client.perp.constants import (
    BASE_PRECISION,
    BPS,
    FUNDING_PRECISION,
    LIQUIDATION_ROUNDING_SLACK,
    LIQUIDATION_TARGET_BPS,
    QUEUE_EVENT_FILL,
)

I64_MAX = 2**63 - 1
BID, ASK = 0, 1


class MathOverflow(ArithmeticError):
    """A value left the range the program stores (the program fails with MathOverflow)."""


def _i64(v: int) -> int:
    if not -(2**63) <= v <= I64_MAX:
        raise MathOverflow(v)
    return v


def floor_div(a: int, d: int) -> int:
    """floor(a / d) for d > 0 (Python's // already rounds toward negative infinity)."""
    return a // d


def ceil_div(a: int, d: int) -> int:
    """ceil(a / d) for d > 0."""
    return -((-a) // d)


def fill_quote(base: int, price: int, side: int) -> int:
    """Cash of a fill: a buyer pays the ceiling, a seller receives the floor."""
    q = base * price
    return ceil_div(q, BASE_PRECISION) if side == BID else q // BASE_PRECISION


@dataclass(frozen=True)
class Position:
    """The fields of a PerpPosition that the math reads and writes."""

    market_index: int = 0
    base_amount: int = 0
    quote_entry_amount: int = 0
    last_cumulative_funding: int = 0
    open_bids: int = 0
    open_asks: int = 0
    unsettled_pnl: int = 0
    open_orders: int = 0

    @classmethod
    def from_account(cls, p: object) -> "Position":
        """Build from a generated ``PerpPosition``."""
        return cls(**{f: getattr(p, f) for f in cls.__dataclass_fields__})


@dataclass(frozen=True)
class MarketState:
    """The fields of a Market that the math reads."""

    market_index: int
    mark_price: int
    cumulative_funding_long: int = 0
    cumulative_funding_short: int = 0
    initial_margin_bps: int = 1000
    maintenance_margin_bps: int = 500

    @classmethod
    def from_account(cls, m: object) -> "MarketState":
        """Build from a generated ``Market``."""
        return cls(
            market_index=m.market_index,  # type: ignore[attr-defined]
            mark_price=m.mark_price,  # type: ignore[attr-defined]
            cumulative_funding_long=m.cumulative_funding_long,  # type: ignore[attr-defined]
            cumulative_funding_short=m.cumulative_funding_short,  # type: ignore[attr-defined]
            initial_margin_bps=m.params.initial_margin_bps,  # type: ignore[attr-defined]
            maintenance_margin_bps=m.params.maintenance_margin_bps,  # type: ignore[attr-defined]
        )

    def cumulative_funding(self, base: int) -> int:
        return self.cumulative_funding_long if base >= 0 else self.cumulative_funding_short


def pending_funding(pos: Position, market: MarketState) -> int:
    """Funding accrued since the position's snapshot, as PnL: floor(-base * delta / 1e12)."""
    if pos.base_amount == 0:
        return 0
    delta = market.cumulative_funding(pos.base_amount) - pos.last_cumulative_funding
    return _i64(floor_div(-pos.base_amount * delta, FUNDING_PRECISION))


def settle_funding(pos: Position, market: MarketState) -> Position:
    """Move accrued funding into unsettled PnL and re-snapshot."""
    owed = pending_funding(pos, market)
    return replace(
        pos,
        unsettled_pnl=_i64(pos.unsettled_pnl + owed),
        last_cumulative_funding=market.cumulative_funding(pos.base_amount),
    )


@dataclass(frozen=True)
class OiChange:
    long_delta: int
    short_delta: int


def apply_fill(pos: Position, market: MarketState, side: int, base: int, quote: int) -> tuple[Position, OiChange]:
    """Apply a fill of ``base`` for cash ``quote`` (bought when ``side`` is BID); return the new position."""
    pos = settle_funding(pos, market)
    old = pos.base_amount
    delta = base if side == BID else -base
    cash = -quote if side == BID else quote
    new = _i64(old + delta)
    entry, pnl = pos.quote_entry_amount, pos.unsettled_pnl
    if old == 0 or (old > 0) == (delta > 0):
        entry = _i64(entry + cash)
    else:
        held = abs(old)
        closed = min(base, held)
        removed = floor_div(entry * closed, held)
        cash_close = floor_div(cash * closed, base)
        entry = _i64(entry - removed)
        pnl = _i64(pnl + cash_close + removed)
        entry = _i64(entry + (cash - cash_close))
    snapshot = pos.last_cumulative_funding
    if (old > 0) != (new > 0) or old == 0:
        snapshot = market.cumulative_funding(new)
    oi = OiChange(max(new, 0) - max(old, 0), max(-new, 0) - max(-old, 0))
    return replace(pos, base_amount=new, quote_entry_amount=entry, unsettled_pnl=pnl, last_cumulative_funding=snapshot), oi


@dataclass(frozen=True)
class Margin:
    """A user's equity and requirements (quote 1e6)."""

    equity: int
    initial_requirement: int
    maintenance_requirement: int
    maintenance_with_orders: int  # maintenance at the worst side of the open orders, as initial counts them

    @property
    def meets_initial(self) -> bool:
        return self.equity >= self.initial_requirement

    @property
    def liquidatable(self) -> bool:
        return self.equity < self.maintenance_requirement

    def orders_short(self, order_loss: int) -> bool:
        """Whether liquidate_perp may cancel the orders of a market whose resting orders priced through the
        mark would lose ``order_loss`` if filled (``through_mark_loss``): equity less that loss is below the
        maintenance requirement with every order filled on its worse side."""
        return self.equity - order_loss < self.maintenance_with_orders


def _requirement(base: int, mark: int, bps: int) -> int:
    return ceil_div(ceil_div(base * mark, BASE_PRECISION) * bps, BPS)


def compute_margin(collateral: int, positions: Iterable[Position], markets: Mapping[int, MarketState]) -> Margin:
    """Cross margin over ``positions`` at each market's mark price (see programs/perp/margin.c)."""
    equity, initial, maintenance, maintenance_orders = collateral, 0, 0, 0
    for pos in positions:
        exposed = pos.base_amount != 0 or pos.open_bids != 0 or pos.open_asks != 0
        if not exposed and pos.quote_entry_amount == 0 and pos.unsettled_pnl == 0:
            continue
        equity += pos.quote_entry_amount + pos.unsettled_pnl
        if not exposed:
            continue
        m = markets[pos.market_index]
        if m.mark_price == 0:
            raise ValueError(f"market {pos.market_index} has no mark price")
        equity += floor_div(pos.base_amount * m.mark_price, BASE_PRECISION)
        equity += pending_funding(pos, m)
        # The program refuses a reservation total past i64 (it would wrap in its i64 arithmetic).
        worst = max(abs(_i64(pos.base_amount + _i64(pos.open_bids))), abs(_i64(pos.base_amount - _i64(pos.open_asks))))
        initial += _requirement(worst, m.mark_price, m.initial_margin_bps)
        maintenance += _requirement(abs(pos.base_amount), m.mark_price, m.maintenance_margin_bps)
        maintenance_orders += _requirement(worst, m.mark_price, m.maintenance_margin_bps)
    return Margin(_i64(equity), initial, maintenance, maintenance_orders)


class RestingOrder(Protocol):
    """The fields of a resting order (the generated ``RestingOrder``) that ``through_mark_loss`` reads."""

    owner: Any
    price: int
    base_amount: int


def through_mark_loss(bids: Sequence[RestingOrder], asks: Sequence[RestingOrder], owner: object, mark: int) -> int:
    """What ``owner``'s resting orders priced through ``mark`` would lose against it if they all filled
    (margin.c ``pk_orders_through_mark_loss``): sum(ceil(base * |price - mark| / 1e9)) over its bids above the
    mark and asks below it. ``bids`` and ``asks``: a book side's used entries, best last."""
    loss = 0
    for o in reversed(bids):
        if o.price <= mark:
            break
        if o.owner == owner:
            loss += ceil_div(o.base_amount * (o.price - mark), BASE_PRECISION)
    for o in reversed(asks):
        if o.price >= mark:
            break
        if o.owner == owner:
            loss += ceil_div(o.base_amount * (mark - o.price), BASE_PRECISION)
    return loss


def queued_fills_loss(fills: Iterable[object], owner: object, mark: int) -> int:
    """What ``owner``'s maker fills waiting in the event queue lose against ``mark`` (margin.c
    ``pk_queued_fills_loss``; their gains are not counted): sum(ceil(base * |price - mark| / 1e9)) over its fill
    records (``kind`` QUEUE_EVENT_FILL; an out event trades nothing) bought above the mark or sold below it.
    ``fills``: the generated ``FillRecord`` or anything with its fields."""
    loss = 0
    for f in fills:
        if f.kind != QUEUE_EVENT_FILL or f.maker != owner:  # type: ignore[attr-defined]
            continue
        price = f.price  # type: ignore[attr-defined]
        gap = price - mark if f.maker_side == BID else mark - price  # type: ignore[attr-defined]
        if gap > 0:
            loss += ceil_div(f.base_amount * gap, BASE_PRECISION)  # type: ignore[attr-defined]
    return loss


def reduce_only_floor(adjusted_before: int, base: int, mark: int, liquidation_fee_bps: int) -> int:
    """The lowest adjusted equity (equity less ``through_mark_loss``) a reduce-only order of ``base`` may leave
    an account below maintenance with (trading.c ``pk_check_reduce_only_loss``): what a liquidation of the same
    base at mark would cost, at most the adjusted equity left, plus the rounding slack."""
    fee_cost = ceil_div(ceil_div(base * mark, BASE_PRECISION) * liquidation_fee_bps, BPS)
    return adjusted_before - min(fee_cost, max(adjusted_before, 0)) - LIQUIDATION_ROUNDING_SLACK


# A liquidation restores equity to LIQUIDATION_TARGET_BPS (150%) of the maintenance requirement
# (programs/perp/liquidation.c explains why).
U64_MAX = 2**64 - 1


def liquidation_prices(mark: int, user_is_long: bool, fee_bps: int, insurance_share_bps: int) -> tuple[int, int]:
    """Return the nominal (user price, liquidator price) of a liquidation at ``mark``, rounded to whole price
    units against each side, as LiquidationEvent reports them: not the fill (``liquidation_quotes`` is)."""
    liq_fee_bps = liquidator_fee_bps(fee_bps, insurance_share_bps)
    if user_is_long:
        return mark * (BPS - fee_bps) // BPS, mark * (BPS - liq_fee_bps) // BPS
    return ceil_div(mark * (BPS + fee_bps), BPS), ceil_div(mark * (BPS + liq_fee_bps), BPS)


def liquidator_fee_bps(fee_bps: int, insurance_share_bps: int) -> int:
    """The liquidator's part of the liquidation fee, in basis points (rounded down)."""
    return fee_bps * (BPS - insurance_share_bps) // BPS


def _checked_u64(v: int) -> int:
    if v >= 2**64:
        raise MathOverflow(v)
    return v


def liquidation_quotes(base: int, mark: int, user_is_long: bool, fee_bps: int, insurance_share_bps: int,
                       equity: int) -> tuple[int, int]:
    """Return (user quote, liquidator quote) of a liquidation of ``base`` at ``mark`` (liquidation.c).

    Each quote is base * mark * (1 -+ fee) in one product, rounded against its side; then the user gives
    up at most ``max(equity, 0)`` against its fill at mark and the liquidator gains at most as much, so
    the fee pool's part (the difference) is what the cap leaves after the liquidator's."""
    liq_fee = liquidator_fee_bps(fee_bps, insurance_share_bps)
    if base * mark >= 2**111:  # the program's 128-bit product times the factor
        raise MathOverflow(base * mark)
    cap = max(equity, 0)
    d = BASE_PRECISION * BPS
    at_floor, at_ceil = _checked_u64(base * mark // BASE_PRECISION), _checked_u64(ceil_div(base * mark, BASE_PRECISION))
    if user_is_long:
        user = _checked_u64(base * mark * (BPS - fee_bps) // d)
        liq = _checked_u64(ceil_div(base * mark * (BPS - liq_fee), d))
        return max(user, at_floor - cap, 0), max(liq, at_ceil - cap, 0)
    user = _checked_u64(ceil_div(base * mark * (BPS + fee_bps), d))
    liq = _checked_u64(base * mark * (BPS + liq_fee) // d)
    return min(user, min(at_ceil + cap, U64_MAX)), min(liq, min(at_floor + cap, U64_MAX))


def liquidation_size(
    margin: Margin,
    held: int,
    mark: int,
    fee_bps: int,
    maintenance_margin_bps: int,
    lot_size: int,
    min_order_size: int,
    max_base: int,
) -> int:
    """Base a liquidation takes over: enough to restore equity to ``LIQUIDATION_TARGET_BPS`` of the
    maintenance requirement, in lots (liquidation.c)."""
    target = min(ceil_div(margin.maintenance_requirement * LIQUIDATION_TARGET_BPS, BPS), U64_MAX)
    shortfall = min(max(target - max(margin.equity, 0), 0) + max(-margin.equity, 0), U64_MAX)  # saturating, as in C
    shortfall = min(shortfall + LIQUIDATION_ROUNDING_SLACK, U64_MAX)
    released, cost = maintenance_margin_bps * LIQUIDATION_TARGET_BPS, fee_bps * BPS
    net = mark * (released - cost) // (BPS * BPS) if released > cost else 0
    q = held if net == 0 else ceil_div(shortfall * BASE_PRECISION, net)
    if q >= 2**64:
        q = held
    q = ceil_div(q, lot_size) * lot_size
    q = min(q, held)
    if held - q < min_order_size and max_base >= held:
        q = held
    return min(q, max_base - max_base % lot_size)
