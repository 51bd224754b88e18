"""Pre-trade checks of a manual order from the console, before it reaches the transaction pipeline.

In order: the market's grid (tick, lot, minimum size), the price band around the mark
(``console.price_band_bps``), the order's notional (``console.max_order_notional_quote``), the position limit
(``console.max_position_base``, counting what already rests on the same side) and the margin after the fill
(the account must still meet its initial requirement if the whole order fills at its price, valued with the
program's margin maths). The first check that fails refuses the order: ``Refusal`` names it.
"""

from __future__ import annotations

from dataclasses import dataclass

from keepers.bots.liquidator import positions_of
from keepers.config import ConsoleConfig
from keepers.exchange.margin import BID, MarketState, Position, apply_fill, compute_margin, fill_quote
from programs_client.perp.accounts import Market, User
from programs_client.perp.constants import BASE_PRECISION, BPS, PRICE_PRECISION, QUOTE_PRECISION

CHECKS = ("order_grid", "price_band", "max_notional", "position_limit", "margin_after_fill")


@dataclass(frozen=True)
class Refusal:
    """A failed check: its name (one of ``CHECKS``) and why."""

    check: str
    reason: str


def pretrade_refusal(limits: ConsoleConfig, market: Market, states: dict[int, MarketState], user: User | None,
                     side: int, price: int, base: int) -> Refusal | None:
    """The first check a limit order of ``base`` (1e9) at ``price`` (1e6) on ``side`` (0 bid, 1 ask) fails, or None."""
    p = market.params
    if price <= 0 or base <= 0 or price % p.tick_size or base % p.lot_size or base < p.min_order_size:
        return Refusal("order_grid", f"price must be a positive multiple of the tick {p.tick_size / PRICE_PRECISION:g} "
                                     f"and size a multiple of the lot {p.lot_size / BASE_PRECISION:g}, at least "
                                     f"{p.min_order_size / BASE_PRECISION:g}")
    mark = market.mark_price
    band = abs(price - mark) * BPS / mark if mark else float("inf")
    if band > limits.price_band_bps:
        return Refusal("price_band", f"price {price / PRICE_PRECISION:g} is {band:.0f} bps from the mark "
                                     f"{mark / PRICE_PRECISION:g} (band {limits.price_band_bps:g} bps)")
    notional = base * price // BASE_PRECISION
    if notional > limits.max_order_notional_quote * QUOTE_PRECISION:
        return Refusal("max_notional", f"notional {notional / QUOTE_PRECISION:,.2f} exceeds "
                                       f"{limits.max_order_notional_quote:,.2f}")
    if user is None:
        return Refusal("margin_after_fill", "the keeper wallet has no margin account")
    positions = positions_of(user)
    pos = next((q for q in positions if q.market_index == market.market_index), Position(market_index=market.market_index))
    resting = pos.open_bids if side == BID else pos.open_asks
    after = pos.base_amount + (base + resting if side == BID else -(base + resting))
    if abs(after) > limits.max_position_base * BASE_PRECISION:
        return Refusal("position_limit", f"position would reach {after / BASE_PRECISION:g} (with what rests on that "
                                         f"side), beyond {limits.max_position_base:g}")
    filled, _ = apply_fill(pos, states[market.market_index], side, base, fill_quote(base, price, side))
    others = [q for q in positions if q.market_index != market.market_index]
    margin = compute_margin(user.collateral, [*others, filled], states)
    if not margin.meets_initial:
        return Refusal("margin_after_fill", f"after the fill equity {margin.equity / QUOTE_PRECISION:,.2f} would be "
                                            f"below the initial requirement "
                                            f"{margin.initial_requirement / QUOTE_PRECISION:,.2f}")
    return None


__all__ = ["CHECKS", "Refusal", "pretrade_refusal"]
