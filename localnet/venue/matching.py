"""The venue emulator's exchange: instruments, a book per instrument, matching, fees, one margin account.

Prices and quantities are integers in ticks and steps of their instrument, so matching is exact; the
API layer converts to and from the decimal strings the real exchange uses.

Each book has two kinds of liquidity:

- the **crowd**: a seeded ladder of ``levels`` bids and asks around the venue's reference price (what
  the rest of the market quotes). It is rebuilt whenever the reference moves (``set_reference``); what
  a client's order takes from it stays taken until then.
- **client orders** resting at their limit price, in price-time priority. The crowd trades with them: a
  resting client bid at or above the crowd's best ask after a move is filled at its own price (as a maker).

One account trades (the emulator serves one API key): a quote-currency wallet, a net position per
instrument with its average entry price, and realised PnL and fees booked into the wallet.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum


class VenueError(Exception):
    """A request the exchange refuses: ``code`` and message as the real exchange gives them."""

    def __init__(self, code: int, msg: str, http_status: int = 400) -> None:
        super().__init__(msg)
        self.code, self.msg, self.http_status = code, msg, http_status


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class TimeInForce(StrEnum):
    GTC = "GTC"  # rests until cancelled
    IOC = "IOC"  # what does not fill at once is cancelled
    FOK = "FOK"  # fills entirely at once or not at all
    GTX = "GTX"  # post-only: refused if it would take


@dataclass(frozen=True)
class Instrument:
    """A linear perpetual: ``symbol`` (e.g. BTCUSDT), its grid and limits."""

    symbol: str
    base: str
    quote: str
    tick: Decimal  # price increment
    step: Decimal  # quantity increment
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal = Decimal("5")

    def ticks(self, price: Decimal) -> int:
        """``price`` in ticks; VenueError when it is off the grid."""
        n, rest = divmod(price, self.tick)
        if rest or price <= 0:
            raise VenueError(-4014, f"Price not increased by tick size ({self.tick}).")
        return int(n)

    def steps(self, qty: Decimal) -> int:
        """``qty`` in steps; VenueError when it is off the grid or out of limits."""
        n, rest = divmod(qty, self.step)
        if rest:
            raise VenueError(-1111, f"Precision is over the maximum defined for this asset ({self.step}).")
        if qty < self.min_qty or qty > self.max_qty:
            raise VenueError(-4003, f"Quantity must be between {self.min_qty} and {self.max_qty}.")
        return int(n)

    def price(self, ticks: int) -> Decimal:
        return ticks * self.tick

    def qty(self, steps: int) -> Decimal:
        return steps * self.step


@dataclass
class Order:
    """A client order as the venue keeps it."""

    order_id: int
    client_id: str
    symbol: str
    side: Side
    kind: str  # LIMIT | MARKET
    tif: TimeInForce
    price: int  # ticks (0 for a market order)
    qty: int  # steps
    reduce_only: bool
    time_ms: int
    filled: int = 0
    quote_filled: Decimal = Decimal(0)  # sum of price * qty of its fills
    status: str = "NEW"  # NEW | PARTIALLY_FILLED | FILLED | CANCELED | EXPIRED
    update_ms: int = 0

    @property
    def open(self) -> bool:
        return self.status in ("NEW", "PARTIALLY_FILLED")

    @property
    def remaining(self) -> int:
        return self.qty - self.filled


@dataclass(frozen=True)
class Fill:
    """One trade of a client order."""

    order_id: int
    symbol: str
    side: Side
    price: Decimal
    qty: Decimal
    fee: Decimal
    maker: bool
    realized_pnl: Decimal
    time_ms: int


@dataclass
class Position:
    """The account's net position in one instrument (quantity in base, signed)."""

    qty: Decimal = Decimal(0)
    entry: Decimal = Decimal(0)


@dataclass
class Crowd:
    """The shape of the rest of the market's quotes around the reference price."""

    levels: int = 10
    half_spread_bps: float = 2.0
    step_bps: float = 2.0
    qty_per_level: Decimal = Decimal("5")
    qty_noise: float = 0.3  # each level's size varies by up to this share, seeded


@dataclass
class Book:
    """One instrument's crowd ladder and resting client orders."""

    instrument: Instrument
    crowd: Crowd
    rng: random.Random
    reference: Decimal = Decimal(0)
    crowd_bids: dict[int, int] = field(default_factory=dict)  # ticks -> steps
    crowd_asks: dict[int, int] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)  # resting client orders by id
    update_id: int = 1  # one per change of the aggregated book (the depth stream's sequence)
    shown: tuple[dict[int, int], dict[int, int]] = field(default_factory=lambda: ({}, {}))  # levels at update_id

    def rebuild(self, reference: Decimal) -> None:
        """A new crowd ladder around ``reference``."""
        inst, c = self.instrument, self.crowd
        self.reference = reference
        bids: dict[int, int] = {}
        asks: dict[int, int] = {}
        base_steps = int(c.qty_per_level / inst.step)
        for k in range(c.levels):
            off = Decimal(str(c.half_spread_bps + k * c.step_bps)) / 10_000  # exact: no float ticks
            bid = int((reference * (1 - off) / inst.tick).to_integral_value(ROUND_FLOOR))
            ask = int((reference * (1 + off) / inst.tick).to_integral_value(ROUND_CEILING))
            for book, at in ((bids, bid), (asks, ask)):
                size = max(1, round(base_steps * (1 + self.rng.uniform(-c.qty_noise, c.qty_noise))))
                if at > 0:
                    book[at] = book.get(at, 0) + size
        self.crowd_bids, self.crowd_asks = bids, asks

    def levels(self) -> tuple[dict[int, int], dict[int, int]]:
        """Aggregated {ticks: steps} of the crowd and client orders: (bids, asks)."""
        bids = dict(self.crowd_bids)
        asks = dict(self.crowd_asks)
        for o in self.orders.values():
            book = bids if o.side is Side.BUY else asks
            book[o.price] = book.get(o.price, 0) + o.remaining
        return bids, asks

    def depth(self, limit: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Aggregated (ticks, steps) levels: bids high to low, asks low to high, at most ``limit`` each."""
        bids, asks = self.levels()
        return (sorted(bids.items(), reverse=True)[:limit], sorted(asks.items())[:limit])


@dataclass(frozen=True)
class DepthDiff:
    """One change of a book: the levels whose quantity changed (0: gone), numbered ``update_id``."""

    symbol: str
    update_id: int
    bids: list[tuple[int, int]]
    asks: list[tuple[int, int]]
    time_ms: int


def _diff(old: dict[int, int], new: dict[int, int]) -> list[tuple[int, int]]:
    return sorted([(p, q) for p, q in new.items() if old.get(p) != q] + [(p, 0) for p in old if p not in new])


class Venue:
    """The exchange: instruments, books, the account, order ids and the fee schedule."""

    def __init__(self, instruments: list[Instrument], *, seed: int = 0, balance: Decimal = Decimal("100000"),
                 maker_fee: Decimal = Decimal("0.0002"), taker_fee: Decimal = Decimal("0.0005"),
                 crowd: Crowd | None = None, now_ms: Callable[[], int] | None = None) -> None:
        self.instruments = {i.symbol: i for i in instruments}
        self.books = {i.symbol: Book(i, crowd or Crowd(), random.Random(f"{seed}:{i.symbol}")) for i in instruments}
        self.quote = instruments[0].quote if instruments else "USDT"
        self.wallet = balance
        self.maker_fee, self.taker_fee = maker_fee, taker_fee
        self.positions: dict[str, Position] = {i.symbol: Position() for i in instruments}
        self.orders: dict[int, Order] = {}  # every order, by id
        self.fills: list[Fill] = []
        self.now_ms = now_ms or (lambda: int(time.time() * 1000))
        self._ids = itertools.count(1)
        self.listeners: list[Callable[[DepthDiff], None]] = []  # called after each change of a book

    # -- the market ---------------------------------------------------------------------------------------
    def book(self, symbol: str) -> Book:
        try:
            return self.books[symbol]
        except KeyError:
            raise VenueError(-1121, "Invalid symbol.") from None

    def set_reference(self, symbol: str, price: float | Decimal) -> list[Fill]:
        """Move ``symbol``'s crowd to ``price``; resting client orders the new crowd crosses are filled
        at their own price (maker). Returns those fills."""
        book = self.book(symbol)
        book.rebuild(Decimal(str(price)))
        fills = []
        for o in sorted(book.orders.values(), key=lambda o: o.order_id):
            crowd = book.crowd_asks if o.side is Side.BUY else book.crowd_bids
            crossing = [p for p in crowd if (p <= o.price if o.side is Side.BUY else p >= o.price)]
            avail = sum(crowd[p] for p in crossing)
            if not avail:
                continue
            qty = min(avail, o.remaining)
            for p in sorted(crossing, reverse=o.side is Side.SELL):
                take = min(crowd[p], qty)
                crowd[p] -= take
                if not crowd[p]:
                    del crowd[p]
                qty -= take
                fills.append(self._fill(o, o.price, take, maker=True))
                if not qty:
                    break
            if not o.open:
                del book.orders[o.order_id]
        self._changed(symbol)
        return fills

    # -- orders -------------------------------------------------------------------------------------------
    def place(self, symbol: str, side: Side, kind: str, qty: Decimal, price: Decimal | None, tif: TimeInForce,
              client_id: str | None, reduce_only: bool = False) -> Order:
        """Accept, match and (for a GTC remainder) rest an order; VenueError when refused."""
        book = self.book(symbol)
        inst = book.instrument
        if kind not in ("LIMIT", "MARKET"):
            raise VenueError(-1116, "Invalid orderType.")
        if kind == "LIMIT" and price is None:
            raise VenueError(-1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed.")
        steps = inst.steps(qty)
        ticks = inst.ticks(price) if kind == "LIMIT" else 0
        if client_id and any(o.client_id == client_id and o.open for o in self.orders.values()):
            raise VenueError(-4116, "ClientOrderId is duplicated.")
        if reduce_only:
            pos = self.positions[symbol].qty
            reducible = -pos if side is Side.BUY else pos
            if reducible <= 0:
                raise VenueError(-2022, "ReduceOnly Order is rejected.")
            steps = min(steps, int(reducible / inst.step))
        notional = (inst.price(ticks) if ticks else book.reference) * inst.qty(steps)
        if notional < inst.min_notional and not reduce_only:
            raise VenueError(-4164, f"Order's notional must be no smaller than {inst.min_notional}.")
        now = self.now_ms()
        order = Order(next(self._ids), client_id or f"x-{now}-{len(self.orders)}", symbol, side, kind,
                      TimeInForce.IOC if kind == "MARKET" else tif, ticks, steps, reduce_only, now, update_ms=now)
        crowd = book.crowd_asks if side is Side.BUY else book.crowd_bids
        crosses = sorted(p for p in crowd if kind == "MARKET" or (p <= ticks if side is Side.BUY else p >= ticks))
        if side is Side.SELL:
            crosses.reverse()
        available = sum(crowd[p] for p in crosses)
        if order.tif is TimeInForce.GTX and crosses:
            order.status = "EXPIRED"
            self.orders[order.order_id] = order
            return order
        if order.tif is TimeInForce.FOK and available < steps:
            order.status = "EXPIRED"
            self.orders[order.order_id] = order
            return order
        self.orders[order.order_id] = order
        for p in crosses:
            if not order.remaining:
                break
            take = min(crowd[p], order.remaining)
            crowd[p] -= take
            if not crowd[p]:
                del crowd[p]
            self._fill(order, p, take, maker=False)
        if order.remaining:
            if order.tif is TimeInForce.GTC or order.tif is TimeInForce.GTX:
                book.orders[order.order_id] = order
            else:
                order.status = "EXPIRED"  # the remainder of an IOC, partly filled or not
        self._changed(symbol)
        return order

    def cancel(self, symbol: str, order_id: int | None = None, client_id: str | None = None) -> Order:
        """Cancel a resting order by id or client id; VenueError -2011 when unknown or not open."""
        book = self.book(symbol)
        order = self.find(symbol, order_id, client_id)
        if not order.open or order.order_id not in book.orders:
            raise VenueError(-2011, "Unknown order sent.")
        del book.orders[order.order_id]
        order.status = "CANCELED"
        order.update_ms = self.now_ms()
        self._changed(symbol)
        return order

    def find(self, symbol: str, order_id: int | None = None, client_id: str | None = None) -> Order:
        """An order of ``symbol`` by id or client id; VenueError -2013 when there is none."""
        if order_id is None and not client_id:
            raise VenueError(-1102, "Either orderId or origClientOrderId must be sent.")
        for o in ([self.orders.get(order_id)] if order_id is not None else reversed(list(self.orders.values()))):
            if o is not None and o.symbol == symbol and (order_id is not None or o.client_id == client_id):
                return o
        raise VenueError(-2013, "Order does not exist.")

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        books = [self.book(symbol)] if symbol else list(self.books.values())
        return sorted((o for b in books for o in b.orders.values()), key=lambda o: o.order_id)

    # -- the account --------------------------------------------------------------------------------------
    def unrealized(self, symbol: str) -> Decimal:
        pos, book = self.positions[symbol], self.books[symbol]
        return (book.reference - pos.entry) * pos.qty if pos.qty else Decimal(0)

    def equity(self) -> Decimal:
        return self.wallet + sum((self.unrealized(s) for s in self.positions), Decimal(0))

    def _fill(self, order: Order, ticks: int, steps: int, maker: bool) -> Fill:
        inst = self.instruments[order.symbol]
        price, qty = inst.price(ticks), inst.qty(steps)
        fee = (price * qty * (self.maker_fee if maker else self.taker_fee)).quantize(Decimal("0.00000001"))
        signed = qty if order.side is Side.BUY else -qty
        pos = self.positions[order.symbol]
        realized = Decimal(0)
        if pos.qty and (pos.qty > 0) != (signed > 0):  # reduces (and maybe flips)
            closed = min(abs(pos.qty), qty)
            realized = (price - pos.entry) * closed * (1 if pos.qty > 0 else -1)
            new = pos.qty + signed
            if new == 0:
                pos.entry = Decimal(0)
            elif (new > 0) != (pos.qty > 0):
                pos.entry = price
            pos.qty = new
        else:
            total = pos.qty + signed
            pos.entry = (pos.entry * abs(pos.qty) + price * qty) / abs(total)
            pos.qty = total
        self.wallet += realized - fee
        order.filled += steps
        order.quote_filled += price * qty
        order.status = "FILLED" if order.remaining == 0 else "PARTIALLY_FILLED"
        order.update_ms = self.now_ms()
        fill = Fill(order.order_id, order.symbol, order.side, price, qty, fee, maker, realized, order.update_ms)
        self.fills.append(fill)
        return fill

    def _changed(self, symbol: str) -> None:
        book = self.books[symbol]
        bids, asks = book.levels()
        diff = DepthDiff(symbol, book.update_id + 1, _diff(book.shown[0], bids), _diff(book.shown[1], asks), self.now_ms())
        if not diff.bids and not diff.asks:
            return
        book.update_id, book.shown = diff.update_id, (bids, asks)
        for listener in list(self.listeners):
            listener(diff)

    def iter_books(self) -> Iterator[Book]:
        return iter(self.books.values())


__all__ = ["Book", "Crowd", "DepthDiff", "Fill", "Instrument", "Order", "Position", "Side", "TimeInForce", "Venue", "VenueError"]
