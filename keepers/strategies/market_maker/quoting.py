"""Pure quoting: fair price, online volatility, order-arrival intensity, Avellaneda-Stoikov quotes on the grid.

Units: prices in quote 1e6 per base (the program's), sizes in base 1e9, everything else in fractions of
the fair price ("returns"). The Avellaneda-Stoikov model (2008) is used in its dimensionless form:

- inventory ``q`` is the position over the inventory limit, in [-1, 1] (so ``gamma`` needs no rescaling
  when the limit changes);
- ``sigma2`` is the variance of the fair price's log return per slot, ``horizon`` the slots a quote is
  meant to live (the A-S ``T - t``);
- ``k`` is the decay of the fill intensity with the distance from the fair price, lambda(d) = A e^(-k d),
  with d as a return.

Then the reservation price is ``fair * (1 - q * gamma * sigma2 * horizon)`` and the optimal total spread,
as a return, ``gamma * sigma2 * horizon + (2 / gamma) * ln(1 + gamma / k)``, split evenly around the
reservation price. Each half is at least ``taker_fee - maker_rebate + edge`` (the spread floor: a fill
hedged by taking must still earn the edge).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from programs_client.perp.constants import BASE_PRECISION, BPS


# -- fair price -----------------------------------------------------------------------------------------
def book_imbalance(bid_sizes: Iterable[int], ask_sizes: Iterable[int]) -> float:
    """(bid size - ask size) / (bid size + ask size) over the given top-of-book sizes; 0 on an empty book."""
    b, a = sum(bid_sizes), sum(ask_sizes)
    return 0.0 if b + a == 0 else (b - a) / (b + a)


def fair_price(index_price: int, mark_price: int, source: str = "index", imbalance: float = 0.0,
               imbalance_skew_bps: float = 0.0, signal_bps: float = 0.0) -> float:
    """The price to quote around (quote 1e6 per base): the oracle index or the mark (``source``), moved by
    ``imbalance * imbalance_skew_bps`` (buyers dominating the book push it up) and a pluggable ``signal_bps``.
    Falls back to the other price when the chosen one is 0; 0 when both are."""
    base = index_price if source == "index" else mark_price
    base = base or mark_price or index_price
    return base * (1.0 + (imbalance * imbalance_skew_bps + signal_bps) / BPS)


# -- online estimators ---------------------------------------------------------------------------------
@dataclass
class EwmaVolatility:
    """The variance of log returns per slot, exponentially weighted (RiskMetrics style) with ``decay`` per sample.

    A return over ``dt`` slots contributes ``r**2 / dt`` (its per-slot variance). Until ``min_samples``
    returns were seen, ``variance`` is ``prior``.
    """

    decay: float = 0.94
    prior: float = 1e-6
    min_samples: int = 5
    variance_: float | None = None
    samples: int = 0
    last_price: float | None = None
    last_slot: int | None = None

    def update(self, price: float, slot: int) -> float:
        """Take the price seen at ``slot`` (a repeat of the same slot, or a non-positive price, is ignored)."""
        if price <= 0:
            return self.variance
        if self.last_price is not None and self.last_slot is not None and slot > self.last_slot:
            r = math.log(price / self.last_price)
            sample = r * r / (slot - self.last_slot)
            self.variance_ = sample if self.variance_ is None else self.decay * self.variance_ + (1 - self.decay) * sample
            self.samples += 1
        if self.last_slot is None or slot > self.last_slot:
            self.last_price, self.last_slot = price, slot
        return self.variance

    @property
    def variance(self) -> float:
        """Per-slot variance of log returns (``prior`` while warming up)."""
        return self.prior if self.variance_ is None or self.samples < self.min_samples else self.variance_


@dataclass
class ArrivalIntensity:
    """``k`` of lambda(d) = A e^(-k d), from the distances (as returns) of the market's fills from the fair price.

    Fills at distance d from the fair price, with an exponential intensity, have d ~ Exp(k), whose
    maximum-likelihood estimate is 1 / mean(d); the mean is exponentially weighted (``decay`` per fill) so
    ``k`` follows the market. Until ``min_fills`` fills were seen, ``k`` is ``prior``. Distances are
    floored at ``min_distance`` (a fill at the fair price would make k infinite).
    """

    decay: float = 0.97
    prior: float = 1000.0
    min_fills: int = 10
    min_distance: float = 1e-5
    mean_: float | None = None
    fills: int = 0

    def update(self, fill_price: float, fair: float) -> float:
        """Take one fill of the market at ``fill_price`` seen when the fair price was ``fair``."""
        if fair <= 0 or fill_price <= 0:
            return self.k
        d = max(abs(fill_price - fair) / fair, self.min_distance)
        self.mean_ = d if self.mean_ is None else self.decay * self.mean_ + (1 - self.decay) * d
        self.fills += 1
        return self.k

    @property
    def k(self) -> float:
        """The intensity's decay per unit of return distance."""
        return self.prior if self.mean_ is None or self.fills < self.min_fills else 1.0 / self.mean_


# -- Avellaneda-Stoikov ---------------------------------------------------------------------------------
def reservation_price(fair: float, q: float, gamma: float, sigma2: float, horizon: float) -> float:
    """A-S reservation price: ``fair * (1 - q * gamma * sigma2 * horizon)`` (``q`` the inventory in [-1, 1])."""
    return fair * (1.0 - q * gamma * sigma2 * horizon)


def optimal_spread(gamma: float, sigma2: float, horizon: float, k: float) -> float:
    """A-S optimal total spread as a return: ``gamma sigma2 horizon + (2 / gamma) ln(1 + gamma / k)``."""
    return gamma * sigma2 * horizon + (2.0 / gamma) * math.log1p(gamma / k)


def spread_floor(taker_fee_bps: int, maker_rebate_bps: int, edge_bps: float) -> float:
    """The least half-spread as a return: taker fee less maker rebate (never below 0) plus ``edge_bps``."""
    return (max(taker_fee_bps - maker_rebate_bps, 0) + edge_bps) / BPS


# -- grid ---------------------------------------------------------------------------------------------
def price_down(price: float, tick: int) -> int:
    """``price`` (quote 1e6) rounded down to the tick grid, at least one tick."""
    return max(int(math.floor(price / tick)) * tick, tick)


def price_up(price: float, tick: int) -> int:
    """``price`` (quote 1e6) rounded up to the tick grid."""
    return max(int(math.ceil(price / tick)) * tick, tick)


def size_down(base: float, lot: int) -> int:
    """``base`` (1e9) rounded down to the lot grid."""
    return int(base // lot) * lot if base > 0 else 0


@dataclass(frozen=True)
class Grid:
    """The market's grid and order minimums (from ``MarketParams``)."""

    tick_size: int
    lot_size: int
    min_order_size: int
    min_order_notional: int = 0

    @classmethod
    def of(cls, params: object) -> Grid:
        """From a generated ``MarketParams``."""
        return cls(params.tick_size, params.lot_size, params.min_order_size,  # type: ignore[attr-defined]
                   params.min_order_notional)  # type: ignore[attr-defined]

    def placeable(self, price: int, base: int) -> bool:
        """Whether an order of ``base`` at ``price`` meets the minimum size and notional."""
        return base >= self.min_order_size and base * price // BASE_PRECISION >= self.min_order_notional


@dataclass(frozen=True)
class QuoteParams:
    """How to quote (``bots.market_maker`` in the configuration)."""

    gamma: float = 0.1
    horizon_slots: float = 100.0
    levels: int = 3
    level_step_bps: float = 5.0
    base_size: int = BASE_PRECISION  # base 1e9 of the first level
    size_ladder: float = 1.5  # each further level is this many times the one before
    edge_bps: float = 2.0
    max_order_base: int = 100 * BASE_PRECISION


@dataclass(frozen=True)
class Quote:
    """One order to rest: side ``"bid"`` or ``"ask"``, level (0 innermost), price (1e6), base (1e9)."""

    side: str
    level: int
    price: int
    base: int


@dataclass(frozen=True)
class QuoteSet:
    """The desired quotes of one market, with the model's figures (for logs, metrics and tests)."""

    bids: tuple[Quote, ...]
    asks: tuple[Quote, ...]
    fair: float
    reservation: float
    half_spread: float  # return, after the floor

    @property
    def quotes(self) -> tuple[Quote, ...]:
        """Bids then asks."""
        return self.bids + self.asks


def ladder_sizes(params: QuoteParams, grid: Grid) -> list[int]:
    """Base of each level: ``base_size * size_ladder**i`` capped at ``max_order_base``, on the lot grid."""
    return [size_down(min(params.base_size * params.size_ladder ** i, params.max_order_base), grid.lot_size)
            for i in range(params.levels)]


def quote_ladder(fair: float, q: float, sigma2: float, k: float, params: QuoteParams, grid: Grid,
                 taker_fee_bps: int, maker_rebate_bps: int, best_bid: int | None = None, best_ask: int | None = None,
                 bid_room: int | None = None, ask_room: int | None = None) -> QuoteSet:
    """The A-S ladder of one market (pure).

    Level ``i`` of each side sits ``half_spread + i * level_step`` from the reservation price; bids are
    rounded down and asks up to the tick, so rounding only widens. A quote that would cross ``best_ask``
    (for a bid) or ``best_bid`` (for an ask) of other makers is pulled back one tick inside it (a post-only
    order that crosses fails the whole transaction). ``bid_room``/``ask_room`` (base 1e9; None: no limit)
    cap the total size a side may add, for the inventory and margin limits: a level that no longer fits
    is shrunk to the room left, or dropped below the market's minimums.
    """
    reservation = reservation_price(fair, q, params.gamma, sigma2, params.horizon_slots)
    half = max(optimal_spread(params.gamma, sigma2, params.horizon_slots, k) / 2.0,
               spread_floor(taker_fee_bps, maker_rebate_bps, params.edge_bps))
    sizes = ladder_sizes(params, grid)
    step = params.level_step_bps / BPS
    out: dict[str, list[Quote]] = {"bid": [], "ask": []}
    for name, sign, room in (("bid", -1, bid_room), ("ask", 1, ask_room)):
        left = room
        for i, size in enumerate(sizes):
            raw = reservation * (1.0 + sign * (half + i * step))
            if name == "bid":
                price = price_down(raw, grid.tick_size)
                if best_ask is not None:
                    price = min(price, best_ask - grid.tick_size)
            else:
                price = price_up(raw, grid.tick_size)
                if best_bid is not None:
                    price = max(price, best_bid + grid.tick_size)
            if price <= 0:
                continue
            if left is not None:
                size = min(size, size_down(left, grid.lot_size))
            if not grid.placeable(price, size):
                continue
            out[name].append(Quote(name, i, price, size))
            if left is not None:
                left -= size
    return QuoteSet(tuple(out["bid"]), tuple(out["ask"]), fair, reservation, half)


def moved(current: Sequence[Quote], desired: Sequence[Quote], price_bps: float, size_share: float) -> bool:
    """Whether ``desired`` differs from what rests (``current``) enough to requote: another number of orders
    per side, or a level whose price moved more than ``price_bps`` or size more than ``size_share``."""
    def by_side(qs: Sequence[Quote]) -> dict[str, list[Quote]]:
        out: dict[str, list[Quote]] = {"bid": [], "ask": []}
        for q in qs:
            out[q.side].append(q)
        for v in out.values():
            v.sort(key=lambda q: q.level)
        return out

    cur, want = by_side(current), by_side(desired)
    for s in ("bid", "ask"):
        if len(cur[s]) != len(want[s]):
            return True
        for a, b in zip(cur[s], want[s]):
            if abs(a.price - b.price) * BPS > price_bps * b.price:
                return True
            if abs(a.base - b.base) > size_share * b.base:
                return True
    return False


__all__ = ["ArrivalIntensity", "EwmaVolatility", "Grid", "Quote", "QuoteParams", "QuoteSet", "book_imbalance",
           "fair_price", "ladder_sizes", "moved", "optimal_spread", "price_down", "price_up", "quote_ladder",
           "reservation_price", "size_down", "spread_floor"]
