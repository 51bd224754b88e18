"""The arbitrage bot's risk controls as pure functions: leg and total notional, open legs, exposure per asset.

An opportunity is sent only when every leg stays under ``max_leg_notional``, the legs together under
``max_total_notional``, the legs still open (sent and not resolved, and orphans being unwound) leave room
for its own, and the position it leaves in each asset, counted across every venue, stays within
``max_asset_base``. ``allows`` names the first limit that refuses (the metric's label), or None.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from keepers.strategies.arbitrage.opportunities import Opportunity
from keepers.venues.base import Side


@dataclass(frozen=True)
class ArbLimits:
    """Limits from ``bots.arbitrage`` (quote in whole units, base in whole units)."""

    max_leg_notional: Decimal
    max_total_notional: Decimal
    max_open_legs: int
    max_asset_base: Decimal


def asset_deltas(opp: Opportunity, asset_of: Mapping[tuple[str, str], str], base_of: Mapping[tuple[str, str], Decimal]
                 ) -> dict[str, Decimal]:
    """The change the legs bring to each asset's position: ``asset_of[(venue, symbol)]`` names a leg's asset,
    ``base_of`` how many of it one unit of the leg is (1 for a USD perp; legs without an asset are left out)."""
    out: dict[str, Decimal] = {}
    for leg in opp.legs:
        asset = asset_of.get((leg.venue, leg.symbol))
        if asset is None:
            continue
        signed = leg.qty if leg.side is Side.BUY else -leg.qty
        out[asset] = out.get(asset, Decimal(0)) + signed * base_of.get((leg.venue, leg.symbol), Decimal(1))
    return out


def allows(opp: Opportunity, limits: ArbLimits, open_legs: int, exposure: Mapping[str, Decimal],
           deltas: Mapping[str, Decimal]) -> str | None:
    """The first limit ``opp`` breaks (``leg_notional``, ``total_notional``, ``open_legs``, ``asset_exposure``),
    or None when it may be sent. ``exposure``: each asset's position across venues now."""
    notionals = [leg.qty * leg.average for leg in opp.legs]
    if any(n > limits.max_leg_notional for n in notionals):
        return "leg_notional"
    if sum(notionals) > limits.max_total_notional:
        return "total_notional"
    if open_legs + len(opp.legs) > limits.max_open_legs:
        return "open_legs"
    for asset, delta in deltas.items():
        now = exposure.get(asset, Decimal(0))
        after = now + delta
        if abs(after) > limits.max_asset_base and abs(after) > abs(now):  # a trade that reduces exposure is allowed
            return "asset_exposure"
    return None


__all__ = ["ArbLimits", "allows", "asset_deltas"]
