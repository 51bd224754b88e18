"""Arbitrage opportunities as pure functions: books, fees and risk in, a sized opportunity (or None) out.

Every threshold accounts for what the trade really costs: the taker fee of each leg, the slippage of
walking the visible depth (each leg is sized only as deep as the edge lasts), and the latency risk of
the time the legs take to land (``latency_risk_bps``: how far the price may move meanwhile, from its
volatility and the venue's measured round trip). An opportunity is worth sending when its edge per unit
after all of these stays above the strategy's threshold.

- ``basis``: one book against an oracle index (sell above, buy below);
- ``cross_venue``: buy on one book and sell on another (the program's market against an external venue);
- ``triangular``: three books whose prices must satisfy ``a = b x c`` (e.g. ETH-USD = ETH-BTC x BTC-USD);
- ``pairs`` (statistical): a spread's z-score against an online hedge ratio (``KalmanHedge``), with
  entry, exit and stop bands (``PairsSignal``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from keepers.venues.base import Book, Side
from programs_client.perp.constants import BPS as PROGRAM_BPS

BPS_PER_UNIT = Decimal(PROGRAM_BPS)  # basis points per unit, as a Decimal


def latency_risk_bps(volatility_per_sqrt_s: float, latency_s: float, z: float = 2.0) -> Decimal:
    """How far (bps) the price may move, at ``z`` standard deviations, while the legs land: volatility
    (a fraction per square-root second) times the square root of the round trip."""
    if volatility_per_sqrt_s < 0 or latency_s < 0 or z < 0:
        raise ValueError("volatility, latency and z must not be negative")
    return Decimal(str(z * volatility_per_sqrt_s * math.sqrt(latency_s))) * BPS_PER_UNIT


@dataclass(frozen=True)
class Leg:
    """One order of an opportunity: take ``qty`` on ``venue``'s ``symbol`` at up to ``limit`` (IOC)."""

    venue: str
    symbol: str
    side: Side
    qty: Decimal
    limit: Decimal  # the worst price the leg accepts: the last level it was sized on
    average: Decimal  # expected average price from the visible depth


@dataclass(frozen=True)
class Opportunity:
    """Legs to send together, with the edge they are expected to capture after fees (quote)."""

    kind: str
    legs: tuple[Leg, ...]
    edge: Decimal  # expected quote captured after fees, before latency risk
    edge_bps: Decimal  # per unit of notional of the first leg, after fees and latency risk

    @property
    def notional(self) -> Decimal:
        return self.legs[0].qty * self.legs[0].average


def _walk(book: Book, side: Side, bound: Decimal, max_qty: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """Take levels on ``side`` (BUY takes asks) while their price beats ``bound`` (asks under it, bids
    over it), up to ``max_qty``: (quantity, quote cost, worst price)."""
    levels = book.asks if side is Side.BUY else book.bids
    qty = cost = Decimal(0)
    worst = Decimal(0)
    for price, size in levels:
        if (price >= bound) if side is Side.BUY else (price <= bound):
            break
        take = min(size, max_qty - qty)
        if take <= 0:
            break
        qty += take
        cost += take * price
        worst = price
    return qty, cost, worst


def basis(book: Book, venue: str, index: Decimal, taker_fee: Decimal, threshold_bps: Decimal, max_qty: Decimal,
          risk_bps: Decimal = Decimal(0)) -> Opportunity | None:
    """Take ``book`` where it is away from the oracle ``index`` by more than the taker fee, the
    threshold and the latency risk: sell bids above ``index x (1 + margin)``, buy asks below
    ``index x (1 - margin)``."""
    margin = taker_fee + (threshold_bps + risk_bps) / BPS_PER_UNIT
    for side, bound in ((Side.SELL, index * (1 + margin)), (Side.BUY, index * (1 - margin))):
        qty, cost, worst = _walk(book, side, bound, max_qty)
        if qty <= 0:
            continue
        average = cost / qty
        edge = (cost - index * qty if side is Side.SELL else index * qty - cost) - taker_fee * cost
        return Opportunity("basis", (Leg(venue, book.symbol, side, qty, worst, average),), edge,
                           edge / cost * BPS_PER_UNIT - risk_bps)
    return None


def cross_venue(buy_book: Book, buy_venue: str, buy_fee: Decimal, sell_book: Book, sell_venue: str, sell_fee: Decimal,
                threshold_bps: Decimal, max_qty: Decimal, risk_bps: Decimal = Decimal(0)) -> Opportunity | None:
    """Buy ``buy_book``'s asks and sell ``sell_book``'s bids while a bid exceeds an ask by both fees, the
    threshold and the latency risk; both legs sized to the same quantity."""
    margin = buy_fee + sell_fee + (threshold_bps + risk_bps) / BPS_PER_UNIT
    qty = Decimal(0)
    ask_i = bid_i = 0
    asks, bids = list(buy_book.asks), list(sell_book.bids)
    ask_left = asks[0][1] if asks else Decimal(0)
    bid_left = bids[0][1] if bids else Decimal(0)
    buy_cost = sell_value = Decimal(0)
    worst_ask = worst_bid = Decimal(0)
    while ask_i < len(asks) and bid_i < len(bids) and qty < max_qty:
        ask, bid = asks[ask_i][0], bids[bid_i][0]
        if bid - ask <= ask * margin:
            break
        take = min(ask_left, bid_left, max_qty - qty)
        qty += take
        buy_cost += take * ask
        sell_value += take * bid
        worst_ask, worst_bid = ask, bid
        ask_left -= take
        bid_left -= take
        if not ask_left:
            ask_i += 1
            ask_left = asks[ask_i][1] if ask_i < len(asks) else Decimal(0)
        if not bid_left:
            bid_i += 1
            bid_left = bids[bid_i][1] if bid_i < len(bids) else Decimal(0)
    if qty <= 0:
        return None
    edge = sell_value - buy_cost - buy_fee * buy_cost - sell_fee * sell_value
    legs = (Leg(buy_venue, buy_book.symbol, Side.BUY, qty, worst_ask, buy_cost / qty),
            Leg(sell_venue, sell_book.symbol, Side.SELL, qty, worst_bid, sell_value / qty))
    return Opportunity("cross_venue", legs, edge, edge / buy_cost * BPS_PER_UNIT - risk_bps)


def triangular(a: Book, b: Book, c: Book, venue: str, taker_fee: Decimal, threshold_bps: Decimal, max_qty_a: Decimal,
               risk_bps: Decimal = Decimal(0)) -> Opportunity | None:
    """Three books with ``a = b x c`` in price (a: X/Z, b: X/Y, c: Y/Z): when a's bid beats b's ask times
    c's ask by three taker fees, the threshold and the risk, sell X for Z on a, buy X with Y on b, buy Y
    with Z on c; and the reverse when a's ask is under b's bid times c's bid. Sized at the top of each
    book (the smallest of the three levels, in units of X), so the levels' prices are the fill prices."""
    margin = 3 * taker_fee + (threshold_bps + risk_bps) / BPS_PER_UNIT
    if not (a.bids and a.asks and b.bids and b.asks and c.bids and c.asks):
        return None
    (a_bid, a_bid_q), (a_ask, a_ask_q) = a.bids[0], a.asks[0]
    (b_bid, b_bid_q), (b_ask, b_ask_q) = b.bids[0], b.asks[0]
    (c_bid, c_bid_q), (c_ask, c_ask_q) = c.bids[0], c.asks[0]
    implied_ask, implied_bid = b_ask * c_ask, b_bid * c_bid  # X in Z through Y
    if a_bid > implied_ask * (1 + margin):
        qty = min(a_bid_q, b_ask_q, c_ask_q / b_ask, max_qty_a)  # c's quantity is in Y: X = Y / (Y per X)
        legs = (Leg(venue, a.symbol, Side.SELL, qty, a_bid, a_bid), Leg(venue, b.symbol, Side.BUY, qty, b_ask, b_ask),
                Leg(venue, c.symbol, Side.BUY, qty * b_ask, c_ask, c_ask))
        gross = qty * (a_bid - implied_ask)
    elif a_ask * (1 + margin) < implied_bid:
        qty = min(a_ask_q, b_bid_q, c_bid_q / b_bid, max_qty_a)
        legs = (Leg(venue, a.symbol, Side.BUY, qty, a_ask, a_ask), Leg(venue, b.symbol, Side.SELL, qty, b_bid, b_bid),
                Leg(venue, c.symbol, Side.SELL, qty * b_bid, c_bid, c_bid))
        gross = qty * (implied_bid - a_ask)
    else:
        return None
    if qty <= 0:
        return None
    notional = qty * legs[0].average
    edge = gross - 3 * taker_fee * notional
    return Opportunity("triangular", legs, edge, edge / notional * BPS_PER_UNIT - risk_bps)


class KalmanHedge:
    """An online hedge ratio: y = alpha + beta x + noise, with (alpha, beta) a random walk, estimated by
    a Kalman filter (``delta``: how fast the ratio may drift; ``observation_var``: the spread's noise).
    ``update`` returns the spread's forecast error and its standard deviation, the z-score's parts."""

    def __init__(self, delta: float = 1e-4, observation_var: float = 1e-3) -> None:
        if not 0 < delta < 1 or observation_var <= 0:
            raise ValueError("delta must be in (0, 1) and observation_var positive")
        self.q = delta / (1 - delta)  # state noise per step, as a share of the state covariance
        self.r = observation_var
        self.alpha, self.beta = 0.0, 0.0
        self.p = [[1e4, 0.0], [0.0, 1e4]]  # state covariance: wide, so the first observations dominate
        self.updates = 0

    def update(self, x: float, y: float) -> tuple[float, float]:
        """Take one observation; return (forecast error, its standard deviation) before the update."""
        p = [[self.p[0][0] + self.q, self.p[0][1]], [self.p[1][0], self.p[1][1] + self.q]]
        h = (1.0, x)
        error = y - (self.alpha + self.beta * x)
        ph = (p[0][0] * h[0] + p[0][1] * h[1], p[1][0] * h[0] + p[1][1] * h[1])
        s = h[0] * ph[0] + h[1] * ph[1] + self.r
        k = (ph[0] / s, ph[1] / s)
        self.alpha += k[0] * error
        self.beta += k[1] * error
        self.p = [[p[0][0] - k[0] * ph[0], p[0][1] - k[0] * ph[1]], [p[1][0] - k[1] * ph[0], p[1][1] - k[1] * ph[1]]]
        self.updates += 1
        return error, math.sqrt(s)


class PairsPosition(StrEnum):
    FLAT = "flat"
    LONG_SPREAD = "long_spread"  # long y, short beta x: the spread is expected to rise
    SHORT_SPREAD = "short_spread"


@dataclass
class PairsSignal:
    """Entry, exit and stop bands on the spread's z-score (hummingbot's stat-arb enters at |z| 2.0).

    ``step(z)`` moves the position: enter short the spread above ``entry`` (long below -``entry``),
    leave when |z| falls under ``exit``, and stop out when it widens past ``stop`` (the pair broke)."""

    entry: float = 2.0
    exit: float = 0.5
    stop: float = 4.0
    warmup: int = 30  # observations before the first entry (the hedge ratio has to settle)
    position: PairsPosition = PairsPosition.FLAT
    seen: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.exit < self.entry < self.stop:
            raise ValueError("bands must satisfy 0 <= exit < entry < stop")

    def step(self, z: float) -> PairsPosition:
        self.seen += 1
        if self.position is PairsPosition.FLAT:
            if self.seen > self.warmup and self.entry <= abs(z) < self.stop:
                self.position = PairsPosition.SHORT_SPREAD if z > 0 else PairsPosition.LONG_SPREAD
        elif abs(z) <= self.exit or abs(z) >= self.stop:
            self.position = PairsPosition.FLAT
        return self.position


__all__ = ["KalmanHedge", "Leg", "Opportunity", "PairsPosition", "PairsSignal", "basis", "cross_venue",
           "latency_risk_bps", "triangular"]
