"""The market maker's book-keeping: PnL split, fill ratio, markouts, quote uptime, time at the inventory limit.

Each fill at price p of base b on side s (+1 bought, -1 sold), with the fair price f at that moment:
- spread capture  s * (f - p) * b: what the fill earned against the fair price at once;
- inventory       position * (f_now - f_then), summed as the fair price moves: marking the position;
- fees/rebates    rebates received (makers) less fees paid (the unwind's taker fees);
- funding         funding settled on the position.
The four sum to the maker's PnL at the fair price. A fill's markout at h slots is s * (f_{t+h} - p) * b:
negative when the fill was adverse (the price went on against the maker). Quote uptime and time at the
limit are shares of the observed time (seconds of the bot's clock).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from programs_client.perp.constants import BASE_PRECISION

MARKOUT_SLOTS = (1, 10, 60)


@dataclass
class _Pending:
    slot: int
    sign: int
    price: float
    base: int
    left: list[int]


@dataclass
class MakerAnalytics:
    """Running analytics of one market (quote amounts in quote 1e6, prices 1e6 per base, base 1e9)."""

    position: int = 0
    fair: float = 0.0
    spread_capture: float = 0.0
    inventory_pnl: float = 0.0
    fees: float = 0.0  # rebates in, fees out
    funding: float = 0.0
    orders_placed: int = 0
    orders_filled: int = 0
    fills: int = 0
    filled_base: int = 0
    markouts: dict[int, float] = field(default_factory=lambda: {h: 0.0 for h in MARKOUT_SLOTS})
    markout_counts: dict[int, int] = field(default_factory=lambda: {h: 0 for h in MARKOUT_SLOTS})
    observed_s: float = 0.0
    quoting_s: float = 0.0
    at_limit_s: float = 0.0
    _pending: list[_Pending] = field(default_factory=list)
    _filled_ids: set[int] = field(default_factory=set)

    @property
    def pnl(self) -> float:
        """Spread capture + inventory + fees + funding (quote 1e6)."""
        return self.spread_capture + self.inventory_pnl + self.fees + self.funding

    def mark(self, slot: int, fair: float) -> None:
        """The fair price at ``slot``: marks the position and completes the markouts that came due."""
        if self.fair:
            self.inventory_pnl += self.position * (fair - self.fair) / BASE_PRECISION
        self.fair = fair
        keep = []
        for p in self._pending:
            while p.left and slot >= p.slot + p.left[0]:
                h = p.left.pop(0)
                self.markouts[h] += p.sign * (fair - p.price) * p.base / BASE_PRECISION
                self.markout_counts[h] += 1
            if p.left:
                keep.append(p)
        self._pending = keep

    def fill(self, slot: int, bought: bool, price: float, base: int, rebate: float = 0.0, fee: float = 0.0,
             order_id: int | None = None) -> None:
        """One fill of ours at the current fair price (call ``mark`` first with the fair price of ``slot``)."""
        sign = 1 if bought else -1
        fair = self.fair or price
        self.spread_capture += sign * (fair - price) * base / BASE_PRECISION
        self.fees += rebate - fee
        self.position += sign * base
        self.fills += 1
        self.filled_base += base
        if order_id is not None and order_id not in self._filled_ids:
            self._filled_ids.add(order_id)
            self.orders_filled += 1
        self._pending.append(_Pending(slot, sign, price, base, list(MARKOUT_SLOTS)))

    def placed(self, orders: int) -> None:
        """``orders`` quotes were placed."""
        self.orders_placed += orders

    def funded(self, amount: float) -> None:
        """Funding settled on the position (quote 1e6; received positive)."""
        self.funding += amount

    def observe(self, seconds: float, quoting: bool, at_limit: bool) -> None:
        """``seconds`` passed with quotes resting (``quoting``) and the position at its limit (``at_limit``)."""
        self.observed_s += seconds
        self.quoting_s += seconds if quoting else 0.0
        self.at_limit_s += seconds if at_limit else 0.0

    def as_dict(self) -> dict[str, Any]:
        """Plain figures for reports (quote amounts in whole quote units)."""
        q = 1e6
        return {
            "pnl": self.pnl / q, "spread_capture": self.spread_capture / q, "inventory_pnl": self.inventory_pnl / q,
            "fees": self.fees / q, "funding": self.funding / q, "position_base": self.position / BASE_PRECISION,
            "fills": self.fills, "filled_base": self.filled_base / BASE_PRECISION,
            "orders_placed": self.orders_placed, "orders_filled": self.orders_filled,
            "fill_ratio": self.orders_filled / self.orders_placed if self.orders_placed else 0.0,
            "markouts": {h: self.markouts[h] / q for h in MARKOUT_SLOTS},
            "markout_per_fill": {h: (self.markouts[h] / q / self.markout_counts[h]) if self.markout_counts[h] else 0.0
                                 for h in MARKOUT_SLOTS},
            "quote_uptime": self.quoting_s / self.observed_s if self.observed_s else 0.0,
            "time_at_limit": self.at_limit_s / self.observed_s if self.observed_s else 0.0,
        }


__all__ = ["MARKOUT_SLOTS", "MakerAnalytics"]
