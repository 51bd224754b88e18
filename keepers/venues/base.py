"""One interface for every place a strategy trades: the exchange program's markets and external venues.

A venue streams order books, places and cancels orders, and reports balances, positions, fees and the
latency of its own round trips (what a strategy prices latency risk with). Amounts are ``Decimal`` in
the venue's units (base quantity, quote price): a venue never rounds a caller's number silently; an
order off its grid is refused with ``VenueError(kind=REJECTED)``.

Errors come in kinds a strategy can act on (``ErrorKind``): retry later (``RETRYABLE``,
``RATE_LIMITED`` with the venue's requested wait, ``DISCONNECTED``), give up on this order
(``REJECTED``), or stop (``AUTH``).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, runtime_checkable


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


class TimeInForce(StrEnum):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"
    POST_ONLY = "POST_ONLY"


class ErrorKind(StrEnum):
    RETRYABLE = "retryable"  # the venue failed this time (5xx, timeout): the same request may succeed later
    RATE_LIMITED = "rate_limited"  # too many requests: wait ``retry_after_s`` before the next
    DISCONNECTED = "disconnected"  # a stream or the connection dropped: resubscribe
    REJECTED = "rejected"  # the venue refused this order or request for what it is (grid, funds, unknown id)
    AUTH = "auth"  # keys or permissions: nothing will work until an operator fixes them


class VenueError(Exception):
    """A venue's refusal or failure, of a ``kind`` the caller can act on."""

    def __init__(self, kind: ErrorKind, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.kind, self.retry_after_s = kind, retry_after_s


@dataclass(frozen=True)
class Book:
    """An order book snapshot: (price, quantity) levels, bids high to low and asks low to high."""

    symbol: str
    bids: tuple[tuple[Decimal, Decimal], ...]
    asks: tuple[tuple[Decimal, Decimal], ...]
    time_ms: int | None = None
    sequence: int | None = None  # the venue's update number when it has one

    @property
    def best_bid(self) -> Decimal | None:
        return self.bids[0][0] if self.bids else None

    @property
    def best_ask(self) -> Decimal | None:
        return self.asks[0][0] if self.asks else None

    @property
    def mid(self) -> Decimal | None:
        if not self.bids or not self.asks:
            return None
        return (self.bids[0][0] + self.asks[0][0]) / 2

    def cost_to(self, side: Side, qty: Decimal) -> tuple[Decimal, Decimal]:
        """(quantity available, quote cost) of taking up to ``qty`` on ``side`` (BUY takes the asks):
        the visible depth a strategy's expected slippage comes from."""
        levels = self.asks if side is Side.BUY else self.bids
        left, cost = qty, Decimal(0)
        for price, size in levels:
            take = min(size, left)
            cost += take * price
            left -= take
            if not left:
                break
        return qty - left, cost


@dataclass(frozen=True)
class OrderRequest:
    """An order to place: a limit order unless ``price`` is None (a market order)."""

    symbol: str
    side: Side
    qty: Decimal
    price: Decimal | None = None
    tif: TimeInForce = TimeInForce.GTC
    client_id: str | None = None
    reduce_only: bool = False


@dataclass(frozen=True)
class OrderReport:
    """What became of an order: ``status`` open, closed (filled), canceled or expired."""

    order_id: str
    client_id: str | None
    symbol: str
    side: Side
    status: str
    qty: Decimal
    filled: Decimal
    average: Decimal | None
    price: Decimal | None


@dataclass(frozen=True)
class Fees:
    """Maker and taker fee rates (fractions of notional; a maker rebate is negative)."""

    maker: Decimal
    taker: Decimal


@dataclass
class Latency:
    """The last ``size`` round trips to a venue, in seconds, with their percentiles."""

    size: int = 512
    _samples: deque[float] = field(default_factory=deque)

    def add(self, seconds: float) -> None:
        self._samples.append(seconds)
        if len(self._samples) > self.size:
            self._samples.popleft()

    def __len__(self) -> int:
        return len(self._samples)

    def percentile(self, q: float) -> float | None:
        """The ``q`` quantile (0..1, nearest rank) of the samples; None before the first."""
        if not self._samples:
            return None
        ordered = sorted(self._samples)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@runtime_checkable
class Venue(Protocol):
    """A place to trade (see the module docstring)."""

    name: str
    latency: Latency

    async def start(self) -> None:
        """Connect and load what the venue lists (instruments, grids, fees)."""
        ...

    async def close(self) -> None:
        """Close connections and streams."""
        ...

    def symbols(self) -> list[str]:
        """The instruments this venue trades, in its own naming."""
        ...

    def fees(self, symbol: str) -> Fees:
        """Fee rates of ``symbol``."""
        ...

    async def book(self, symbol: str, depth: int = 20) -> Book:
        """A fresh snapshot of ``symbol``'s book (a request)."""
        ...

    async def watch_book(self, symbol: str) -> Book:
        """The book after its next update (a stream; the first call subscribes)."""
        ...

    async def place(self, order: OrderRequest) -> OrderReport:
        """Place ``order``; the report says what filled at once."""
        ...

    async def cancel(self, symbol: str, order_id: str) -> OrderReport:
        """Cancel a resting order."""
        ...

    async def open_orders(self, symbol: str) -> list[OrderReport]:
        """Resting orders of ``symbol``."""
        ...

    async def balances(self) -> dict[str, Decimal]:
        """Total balance per asset (collateral plus unrealised PnL where the venue counts it so)."""
        ...

    async def positions(self) -> dict[str, Decimal]:
        """Signed base quantity per instrument (long positive)."""
        ...


__all__ = ["Book", "ErrorKind", "Fees", "Latency", "OrderReport", "OrderRequest", "Side", "TimeInForce", "Venue",
           "VenueError"]
