"""The exchange program's markets as a ``Venue``: books from the keeper's cache, orders through its pipeline.

A market's symbol is its index as text ("0"). Prices and quantities are ``Decimal`` in whole quote per
base and whole base (the program's 1e6 and 1e9 fixed points divided out); an order off the market's tick
or lot grid is refused (``VenueError(REJECTED)``), never rounded. Books leave out expired orders and the
keeper's own (the program refuses to fill an account against itself). Positions and the balance are the
keeper's own margin account (``user``) as cached; fees are the market's parameters (a maker rebate is a
negative maker fee). ``latency`` holds the time from handing a transaction to the pipeline to its
confirmation, the round trip a strategy prices latency risk with.

Strategies that need several orders in ONE transaction (the atomic legs) build them with
``order_instruction`` and send them with ``send``; ``place`` is the single-order path of the interface:
IOC and FOK orders are fill-or-kill (``min_fill_base`` = the quantity), so a report says filled in full
or not at all.
"""

from __future__ import annotations

import asyncio
import zlib
from decimal import Decimal

from solders.instruction import Instruction
from solders.pubkey import Pubkey

from keepers.bots.base import KeeperContext
from keepers.bots.liquidator import other_markets, positions_of
from keepers.bots.mark_price import oracle_accounts
from keepers.exchange import instructions as ix
from keepers.exchange.mark import mark_stale, order_expired
from keepers.execution.pipeline import Action, ActionResult
from keepers.venues.base import (
    Book, ErrorKind, Fees, Latency, OrderReport, OrderRequest, Side, TimeInForce, VenueError,
)
from programs_client.perp.accounts import Market, User
from programs_client.perp.constants import BASE_PRECISION, BPS, PRICE_PRECISION, QUOTE_PRECISION
from programs_client.perp.types import order_type, side

QUOTE_ASSET = "USD"
WATCH_POLL_S = 0.01  # the cache is pushed to, not pulled: ``watch_book`` looks at it this often
_TYPES = {TimeInForce.GTC: order_type.Limit, TimeInForce.IOC: order_type.ImmediateOrCancel,
          TimeInForce.FOK: order_type.ImmediateOrCancel, TimeInForce.POST_ONLY: order_type.PostOnly}


def to_price(price: Decimal) -> int:
    """A whole-quote price as the program's 1e6 fixed point (exact, or ValueError)."""
    raw = price * PRICE_PRECISION
    if raw != raw.to_integral_value():
        raise ValueError(f"price {price} has more than 6 decimals")
    return int(raw)


def to_base(qty: Decimal) -> int:
    """A whole-base quantity as the program's 1e9 fixed point (exact, or ValueError)."""
    raw = qty * BASE_PRECISION
    if raw != raw.to_integral_value():
        raise ValueError(f"quantity {qty} has more than 9 decimals")
    return int(raw)


def from_price(raw: int) -> Decimal:
    return Decimal(raw) / PRICE_PRECISION


def from_base(raw: int) -> Decimal:
    return Decimal(raw) / BASE_PRECISION


class ProgramVenue:
    """The program's markets behind the ``Venue`` interface (see the module docstring)."""

    name = "program"

    def __init__(self, ctx: KeeperContext, user: Pubkey, bot: str = "arbitrage") -> None:
        self.ctx, self.user, self.bot = ctx, user, bot
        self.latency = Latency()
        self._sent = 0

    async def start(self) -> None:
        """Nothing to connect: the keeper's cache is already following the program."""

    async def close(self) -> None:
        """Nothing to close (the keeper owns the pipeline)."""

    # -- reading ------------------------------------------------------------------------------------
    def market(self, symbol: str) -> tuple[int, Market]:
        """(index, market) of ``symbol``; REJECTED when the cache has no such market."""
        try:
            index = int(symbol)
            return index, self.ctx.cache.markets[index]
        except (ValueError, KeyError):
            raise VenueError(ErrorKind.REJECTED, f"the program lists no market {symbol!r}") from None

    def symbols(self) -> list[str]:
        return [str(i) for i, _ in self.ctx.kept_markets()]

    def fees(self, symbol: str) -> Fees:
        p = self.market(symbol)[1].params
        return Fees(-Decimal(p.maker_rebate_bps) / BPS, Decimal(p.taker_fee_bps) / BPS)

    def book_now(self, symbol: str, depth: int = 20) -> Book:
        """The cached book of ``symbol`` (other accounts' live orders, aggregated by price)."""
        index, _ = self.market(symbol)
        ob = self.ctx.cache.orderbook(index)
        slot = self.ctx.clock.slot
        sides: list[tuple[tuple[Decimal, Decimal], ...]] = []
        for orders, count in (([] if ob is None else ob.bids), 0 if ob is None else ob.bid_count), \
                             (([] if ob is None else ob.asks), 0 if ob is None else ob.ask_count):
            levels: dict[int, int] = {}
            for o in reversed(orders[:count]):  # each side's best is last
                if o.owner == self.user or order_expired(o, slot):
                    continue
                if o.price not in levels and len(levels) == depth:
                    break
                levels[o.price] = levels.get(o.price, 0) + o.base_amount
            sides.append(tuple((from_price(p), from_base(b)) for p, b in levels.items()))
        book_slot = self.ctx.cache.slot_of(self.market(symbol)[1].orderbook)
        return Book(symbol, sides[0], sides[1], sequence=book_slot)

    async def book(self, symbol: str, depth: int = 20) -> Book:
        return self.book_now(symbol, depth)

    async def watch_book(self, symbol: str, timeout_s: float = 30.0) -> Book:
        """The book once the cache holds a newer copy of it (DISCONNECTED after ``timeout_s`` without one)."""
        seen = self.book_now(symbol).sequence
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while loop.time() < deadline:
            await asyncio.sleep(WATCH_POLL_S)
            book = self.book_now(symbol)
            if book.sequence != seen:
                return book
        raise VenueError(ErrorKind.DISCONNECTED, f"no update of market {symbol}'s book in {timeout_s} s")

    def own(self) -> User | None:
        return self.ctx.cache.users.get(self.user)

    async def balances(self) -> dict[str, Decimal]:
        own = self.own()
        return {} if own is None else {QUOTE_ASSET: Decimal(own.collateral) / QUOTE_PRECISION}

    async def positions(self) -> dict[str, Decimal]:
        own = self.own()
        return {} if own is None else {str(p.market_index): from_base(p.base_amount) for p in positions_of(own)}

    async def open_orders(self, symbol: str) -> list[OrderReport]:
        index, _ = self.market(symbol)
        ob = self.ctx.cache.orderbook(index)
        if ob is None:
            return []
        out = []
        for s, orders, count in ((Side.BUY, ob.bids, ob.bid_count), (Side.SELL, ob.asks, ob.ask_count)):
            for o in orders[:count]:
                if o.owner == self.user and not order_expired(o, self.ctx.clock.slot):
                    out.append(OrderReport(str(o.order_id), str(o.client_order_id), symbol, s, "open",
                                           from_base(o.base_amount), Decimal(0), None, from_price(o.price)))
        return out

    # -- acting -------------------------------------------------------------------------------------
    def on_grid(self, symbol: str, price: Decimal, qty: Decimal) -> tuple[int, int]:
        """(price 1e6, base 1e9) of an order, REJECTED when off the market's grid or under its minimum."""
        p = self.market(symbol)[1].params
        try:
            raw_price, raw_base = to_price(price), to_base(qty)
        except ValueError as e:
            raise VenueError(ErrorKind.REJECTED, str(e)) from None
        if raw_price <= 0 or raw_price % p.tick_size or raw_base % p.lot_size or raw_base < p.min_order_size:
            raise VenueError(ErrorKind.REJECTED, f"market {symbol}: {qty} at {price} is off the grid (tick "
                                                 f"{from_price(p.tick_size)}, lot {from_base(p.lot_size)}, "
                                                 f"minimum {from_base(p.min_order_size)})")
        return raw_price, raw_base

    def order_instruction(self, order: OrderRequest, min_fill_base: int | None = None, client_order_id: int = 0,
                          expiry_slot: int = 0) -> Instruction:
        """The ``place_order`` of ``order`` for the keeper's account. ``min_fill_base`` None: fill-or-kill for
        IOC and FOK (the whole quantity), none otherwise."""
        index, _ = self.market(order.symbol)
        price, base = self.on_grid(order.symbol, order.price, order.qty) if order.price is not None else (0, 0)
        if order.price is None:
            raise VenueError(ErrorKind.REJECTED, "the program takes limit orders only (IOC for a taker)")
        if min_fill_base is None:
            min_fill_base = base if order.tif in (TimeInForce.IOC, TimeInForce.FOK) else 0
        args = ix.order_args(side.Bid() if order.side is Side.BUY else side.Ask(), price, base, _TYPES[order.tif](),
                             client_order_id=client_order_id, reduce_only=order.reduce_only, expiry_slot=expiry_slot,
                             min_fill_base=min_fill_base)
        return ix.place_order(self.ctx.authority, self.user, index, args, self.other_markets(index), self.ctx.program_id)

    def other_markets(self, index: int) -> list[Pubkey]:
        """The market accounts a trade in ``index`` must pass: those of the account's other positions."""
        own = self.own()
        if own is None:
            return []
        cache = self.ctx.cache
        return other_markets([own], index, {i: cache.market_address(i) for i in cache.markets})

    def price_cranks(self, indexes: list[int]) -> list[Instruction]:
        """``update_prices`` for those of ``indexes`` whose mark is stale (the program refuses orders then)."""
        out = []
        for i in dict.fromkeys(indexes):
            market = self.ctx.cache.markets.get(i)
            if market is not None and mark_stale(market, self.ctx.clock.slot):
                primary, fallback = oracle_accounts(market)
                out.append(ix.update_prices(i, primary, fallback, self.ctx.program_id))
        return out

    async def send(self, action: Action) -> ActionResult:
        """Send ``action`` through the keeper's pipeline and wait for it; a landing's time goes into ``latency``."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        result = await self.ctx.pipeline.submit(action)
        if result.landed:
            self.latency.add(loop.time() - started)
        return result

    async def place(self, order: OrderRequest) -> OrderReport:
        index, _ = self.market(order.symbol)
        self._sent += 1
        cid = zlib.crc32(f"{order.client_id or ''}:{self._sent}".encode())
        instructions = (*self.price_cranks([index]), self.order_instruction(order, client_order_id=cid))
        action = Action(bot=self.bot, kind="venue_order", key=f"venue_order:{order.client_id or cid}:{self._sent}",
                        target=self.user, instructions=instructions, locks=((self.bot, f"venue:{index}"),),
                        simulate_first=False, urgent=True, detail={"market": index, "client_id": order.client_id})
        result = await self.send(action)
        status, filled = _outcome(order, result)
        return OrderReport(str(cid), order.client_id, order.symbol, order.side, status, order.qty, filled,
                           order.price if filled else None, order.price)

    async def cancel(self, symbol: str, order_id: str) -> OrderReport:
        index, _ = self.market(symbol)
        action = Action(bot=self.bot, kind="venue_cancel", key=f"venue_cancel:{index}:{order_id}:{self.ctx.clock.slot}",
                        target=self.user, instructions=(ix.cancel_order(self.ctx.authority, self.user, index,
                                                                        int(order_id), self.ctx.program_id),),
                        locks=((self.bot, f"venue:{index}"),), simulate_first=False, urgent=True)
        result = await self.send(action)
        if not result.landed:
            raise VenueError(ErrorKind.REJECTED, f"cancel of {order_id} in market {symbol}: {result.error or result.status}")
        return OrderReport(order_id, None, symbol, Side.BUY, "canceled", Decimal(0), Decimal(0), None, None)


def _outcome(order: OrderRequest, result: ActionResult) -> tuple[str, Decimal]:
    """(status, filled) of a single order's transaction."""
    if not result.landed:
        if result.error_name in ("MinFillNotMet", "PostOnlyWouldCross"):
            return "expired", Decimal(0)
        kind = ErrorKind.REJECTED if result.status == "failed" else ErrorKind.RETRYABLE
        raise VenueError(kind, f"order in market {order.symbol}: {result.error or result.status}")
    if order.tif in (TimeInForce.IOC, TimeInForce.FOK):
        return "closed", order.qty  # fill-or-kill: landed means filled in full
    return "open", Decimal(0)


def program_symbol(index: int) -> str:
    """The symbol of market ``index`` on ``ProgramVenue``."""
    return str(index)


__all__ = ["ProgramVenue", "from_base", "from_price", "program_symbol", "to_base", "to_price"]
