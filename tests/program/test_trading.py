"""Trading: place_order, cancel_order, cancel_all_orders and consume_events in LiteSVM.

Every transaction goes through ``Trading.send``, which afterwards checks, per market:

* conservation of quote: the sum over all users of (quote entry + unsettled PnL) of their positions
  plus the market's fee pool is minus what applying the queued fills will add: a queued maker ask
  adds ceil(base * price / 1e9) (the floor to the maker, the dust to the pool: its taker already paid
  the ceiling), a queued maker bid adds -floor (the maker pays the ceiling, the pool takes the dust:
  its taker already received the floor); hence zero once the queue is drained;
* conservation of base: the sum of base over users equals the base still pending for queued makers;
* open interest long / short equal the sums of the users' long / short positions (so long == short
  once drained);
* every user's reservations (open bids, open asks, open orders) equal its resting orders plus its
  queued maker fills (open orders: plus the queued fills that completed an order);
* the book sides are sorted best-last, with time priority at equal prices;
* a failed transaction changed no account (it may have logged events before failing: indexers
  read events only from landed transactions).

These sums move only by trading: funding, PnL settlement and liquidation are not exercised here.
Expected numbers are worked out by hand in the tests (the formulas are written next to them) or, for
the margin boundaries, with keepers/exchange/margin.py, the Python mirror of positions.c / margin.c.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, NamedTuple

import pytest
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from keepers.bots.drain import consume_instructions
from keepers.exchange import instructions as ix
from keepers.exchange import margin as mirror
from keepers.exchange.pdas import event_queue_pda, orderbook_pda
from keepers.execution.results import Failed, Landed, Outcome
from localnet.bootstrap import LocalExchange, LocalUser, default_market_params
from programs_client.perp.accounts import EventQueue, Market, Orderbook, User
from programs_client.perp.constants import (
    BASE_PRECISION as BASE,
    PRICE_PRECISION as PRICE,
    QUEUE_EVENT_FILL,
    QUEUE_EVENT_OUT,
    QUOTE_PRECISION as QUOTE,
)
from programs_client.perp.errors import custom
from programs_client.perp.types import market_status, order_type, side
from programs_client.perp.types.market_params import MarketParams
from tests.program.helpers import (
    account_len,
    borsh_size,
    enum_name,
    events,
    expect_error,
    field_offset,
    set_market_prices,
    single_event,
)
from tests.program.tamper import with_account, with_data

BID, ASK = side.Bid(), side.Ask()
LIMIT, MARKET, POST_ONLY, IOC = order_type.Limit(), order_type.Market(), order_type.PostOnly(), order_type.ImmediateOrCancel()
P, B = PRICE, BASE
TICK, LOT, MIN_SIZE = P // 100, B // 1000, B // 100  # default_market_params
TAKER_BPS, MAKER_BPS = 10, 2
QUEUE_CAPACITY, SIDE_CAPACITY, MAX_FILLS = 128, 64, 16
# placeOrder data: discriminator, price, base, client id, side, order type, reduce only, padding[5],
# expiry slot, minimum fill
OFF_PRICE, OFF_BASE, OFF_SIDE, OFF_TYPE, OFF_REDUCE, OFF_PADDING = 8, 16, 32, 33, 34, 35
OFF_EXPIRY, OFF_MIN_FILL = 40, 48
# placeOrder accounts
PO_SIGNER, PO_USER, PO_MARKET, PO_BOOK, PO_QUEUE = range(5)




class RawOrder(NamedTuple):
    owner: Pubkey
    order_id: int
    client_order_id: int
    price: int
    base_amount: int
    expiry_slot: int


class RawFill(NamedTuple):
    maker: Pubkey
    maker_order_id: int
    price: int
    base_amount: int
    maker_rebate: int
    maker_side: Any
    maker_order_done: int
    kind: int = QUEUE_EVENT_FILL  # QUEUE_EVENT_OUT: an evicted order, only its reservation to release


class RawQueue(NamedTuple):
    seq_num: int
    pending_bid_base: int
    pending_ask_base: int
    head: int
    fills: list[RawFill]  # the queued ones, oldest first


# Direct parsing of the order book and the event queue for the invariant checks after every
# transaction (the generated decoders build all 128 slots; these read only the live ones).
# test_raw_parsers_agree_with_the_generated_client ties them to the IDL layout.
_ORDER = struct.Struct("<32sQQQQQ")
_FILL = struct.Struct("<32sQQQQBBB5x")
assert _ORDER.size == borsh_size({"defined": "RestingOrder"}) and _FILL.size == borsh_size({"defined": "FillRecord"})
_BIDS, _ASKS = field_offset("Orderbook", "bids"), field_offset("Orderbook", "asks")
_BID_COUNT, _ASK_COUNT = field_offset("Orderbook", "bidCount"), field_offset("Orderbook", "askCount")
_Q_SEQ, _Q_PENDING_BID, _Q_PENDING_ASK, _Q_HEAD, _Q_COUNT, _Q_FILLS = (
    field_offset("EventQueue", f) for f in ("seqNum", "pendingBidBase", "pendingAskBase", "head", "count", "fills")
)


def raw_book(data: bytes) -> tuple[list[RawOrder], list[RawOrder]]:
    assert len(data) == account_len("Orderbook")
    (nb,) = struct.unpack_from("<I", data, _BID_COUNT)
    (na,) = struct.unpack_from("<I", data, _ASK_COUNT)

    def side_(base: int, n: int) -> list[RawOrder]:
        out = []
        for k in range(n):
            owner, *rest = _ORDER.unpack_from(data, base + k * _ORDER.size)
            out.append(RawOrder(Pubkey.from_bytes(owner), *rest))
        return out

    return side_(_BIDS, nb), side_(_ASKS, na)


def raw_queue(data: bytes) -> RawQueue:
    assert len(data) == account_len("EventQueue")
    (seq,) = struct.unpack_from("<Q", data, _Q_SEQ)
    (pending_bid,) = struct.unpack_from("<Q", data, _Q_PENDING_BID)
    (pending_ask,) = struct.unpack_from("<Q", data, _Q_PENDING_ASK)
    head, count = struct.unpack_from("<II", data, _Q_HEAD)
    assert _Q_COUNT == _Q_HEAD + 4
    fills = []
    for k in range(count):
        maker, oid, price, base, rebate_, side_byte, done, kind = _FILL.unpack_from(
            data, _Q_FILLS + ((head + k) % QUEUE_CAPACITY) * _FILL.size
        )
        fills.append(RawFill(Pubkey.from_bytes(maker), oid, price, base, rebate_, BID if side_byte == 0 else ASK, done, kind))
    return RawQueue(seq, pending_bid, pending_ask, head, fills)


def floor_quote(base: int, price: int) -> int:
    return base * price // BASE


def ceil_quote(base: int, price: int) -> int:
    return -(-base * price // BASE)


def taker_fee(quote: int, bps: int = TAKER_BPS) -> int:
    return -(-quote * bps // 10_000)


def rebate(base: int, price: int, bps: int = MAKER_BPS) -> int:
    return floor_quote(base, price) * bps // 10_000


def is_bid(s: Any) -> bool:
    return enum_name(s) == "Bid"


def landed(out: Outcome) -> Landed:
    assert isinstance(out, Landed), f"expected the transaction to land, got {out.error_name}:\n" + "\n".join(out.logs)
    return out


def in_use(p: Any) -> bool:
    return any((p.base_amount, p.quote_entry_amount, p.unsettled_pnl, p.open_orders, p.open_bids, p.open_asks))


def names(out: Outcome) -> list[str]:
    return [n for n, _ in events(out)]


class Trading:
    """An exchange with markets whose prices are set directly, users, and checked order flow."""

    def __init__(self, exchange: LocalExchange, markets: int = 1, params: MarketParams | None = None, mark: int = 100 * P):
        self.ex = exchange
        self.svm = exchange.svm
        self.markets: list[int] = []
        for _ in range(markets):
            self.add_market(params, mark)

    # -- set-up ------------------------------------------------------------------------------------
    def add_market(self, params: MarketParams | None = None, mark: int = 100 * P) -> int:
        i = self.ex.add_market(f"MKT{self.ex.state().market_count}-PERP", params=params)
        if mark:
            set_market_prices(self.svm, self.ex.market_address(i), mark)
        self.markets.append(i)
        return i

    def add_user(self, deposit: int = 1_000 * QUOTE, **kw: Any) -> LocalUser:
        return self.ex.add_user(tokens=deposit, deposit=deposit, **kw)

    def set_mark(self, mark: int, market: int = 0) -> None:
        set_market_prices(self.svm, self.ex.market_address(market), mark)

    # -- state -------------------------------------------------------------------------------------
    def market(self, i: int = 0) -> Market:
        return self.svm.decode(Market, self.ex.market_address(i))

    def book(self, i: int = 0) -> Orderbook:
        return self.svm.decode(Orderbook, orderbook_pda(i, self.svm.program_id))

    def bids(self, i: int = 0) -> list[Any]:
        b = self.book(i)
        return list(b.bids[: b.bid_count])

    def asks(self, i: int = 0) -> list[Any]:
        b = self.book(i)
        return list(b.asks[: b.ask_count])

    def queue(self, i: int = 0) -> EventQueue:
        return self.svm.decode(EventQueue, event_queue_pda(i, self.svm.program_id))

    def pending(self, i: int = 0) -> list[Any]:
        q = self.queue(i)
        return [q.fills[(q.head + k) % QUEUE_CAPACITY] for k in range(q.count)]

    def state(self, u: LocalUser) -> User:
        return self.svm.decode(User, u.address)

    def position(self, u: LocalUser, market: int = 0) -> Any:
        found = [p for p in self.state(u).positions if in_use(p) and p.market_index == market]
        assert len(found) <= 1
        return found[0] if found else None

    def mirror_position(self, u: LocalUser, market: int = 0) -> mirror.Position:
        p = self.position(u, market)
        return mirror.Position(market_index=market) if p is None else mirror.Position.from_account(p)

    def market_state(self, i: int = 0) -> mirror.MarketState:
        return mirror.MarketState.from_account(self.market(i))

    def other_markets(self, u: LocalUser, market: int) -> list[Pubkey]:
        idx = sorted({p.market_index for p in self.state(u).positions if in_use(p) and p.market_index != market})
        return [self.ex.market_address(i) for i in idx]

    # -- instructions ------------------------------------------------------------------------------
    def place_ix(
        self,
        u: LocalUser,
        side_: Any,
        price: int,
        base: int,
        kind: Any = LIMIT,
        *,
        market: int = 0,
        reduce_only: bool = False,
        client_order_id: int = 0,
        signer: Keypair | None = None,
        other_markets: Sequence[Pubkey] | None = None,
        expiry_slot: int = 0,
        min_fill_base: int = 0,
    ) -> Instruction:
        args = ix.order_args(side_, price, base, kind, client_order_id, reduce_only, expiry_slot, min_fill_base)
        others = self.other_markets(u, market) if other_markets is None else list(other_markets)
        return ix.place_order((signer or u.keypair).pubkey(), u.address, market, args, others, self.svm.program_id)

    def place(self, u: LocalUser, side_: Any, price: int, base: int, kind: Any = LIMIT, *, signer: Keypair | None = None, **kw: Any) -> Outcome:
        return self.send([self.place_ix(u, side_, price, base, kind, signer=signer, **kw)], [signer or u.keypair])

    def place_many(self, u: LocalUser, orders: Sequence[tuple[Any, int, int]], kind: Any = LIMIT, market: int = 0) -> Outcome:
        """Several orders of one user in one transaction."""
        return self.send([self.place_ix(u, s, p, b, kind, market=market) for s, p, b in orders], [u.keypair])

    def cancel(self, u: LocalUser, order_id: int, market: int = 0, signer: Keypair | None = None) -> Outcome:
        kp = signer or u.keypair
        return self.send([ix.cancel_order(kp.pubkey(), u.address, market, order_id, self.svm.program_id)], [kp])

    def cancel_all(self, u: LocalUser, market: int = 0, signer: Keypair | None = None) -> Outcome:
        kp = signer or u.keypair
        return self.send([ix.cancel_all_orders(kp.pubkey(), u.address, market, self.svm.program_id)], [kp])

    def consume_ix(self, market: int = 0, limit: int | None = None, makers: Sequence[Pubkey] | None = None) -> Instruction:
        pending = self.pending(market)
        if makers is None:
            makers = [f.maker for f in pending[: len(pending) if limit is None else limit]]
        return ix.consume_events(market, list(makers), len(pending) if limit is None else limit, self.svm.program_id)

    def consume(self, market: int = 0, limit: int | None = None, makers: Sequence[Pubkey] | None = None) -> Outcome:
        return self.send([self.consume_ix(market, limit, makers)])

    def prune(self, market: int = 0, limit: int = 128) -> Outcome:
        return self.send([ix.prune_expired_orders(market, limit, self.svm.program_id)])

    # -- checked sending ---------------------------------------------------------------------------
    def send(self, ixs: Sequence[Instruction], signers: Sequence[Keypair] = ()) -> Outcome:
        keys = list(dict.fromkeys(m.pubkey for i in ixs for m in i.accounts))
        before = {k: self._data(k) for k in keys}
        out = self.svm.send(ixs, signers)
        if isinstance(out, Failed):
            assert {k: self._data(k) for k in keys} == before, "a failed transaction changed an account"
        self.check()
        return out

    def _data(self, key: Pubkey) -> bytes | None:
        acc = self.svm.account(key)
        return None if acc is None else bytes(acc.data)

    def check(self) -> None:
        """The invariants of the module docstring, for every market and every user of the exchange."""
        users = {u.address: self.state(u) for u in self.ex.users}
        pid = self.svm.program_id
        for mi in self.markets:
            m = self.market(mi)
            bids, asks = raw_book(self._data(orderbook_pda(mi, pid)) or b"")
            q = raw_queue(self._data(event_queue_pda(mi, pid)) or b"")
            pending = [f for f in q.fills if f.kind == QUEUE_EVENT_FILL]
            # pending quote: a queued maker ask still has to receive ceil in all (floor + dust to the pool),
            # a queued maker bid still has to pay ceil, of which floor already reached the taker
            owed_quote = sum(-ceil_quote(f.base_amount, f.price) if not is_bid(f.maker_side) else floor_quote(f.base_amount, f.price) for f in pending)
            owed_base = sum(f.base_amount if not is_bid(f.maker_side) else -f.base_amount for f in pending)
            total_quote, total_base, longs, shorts = m.fee_pool, 0, 0, 0
            for addr, st in users.items():
                slots = [p for p in st.positions if in_use(p) and p.market_index == mi]
                assert len(slots) <= 1, f"{addr} has {len(slots)} positions in market {mi}"
                pos = slots[0] if slots else None
                mine_b = [o for o in bids if o.owner == addr]
                mine_a = [o for o in asks if o.owner == addr]
                fills = [f for f in q.fills if f.maker == addr]  # out events hold their order's reservation too
                reserved = (
                    sum(o.base_amount for o in mine_b) + sum(f.base_amount for f in fills if is_bid(f.maker_side)),
                    sum(o.base_amount for o in mine_a) + sum(f.base_amount for f in fills if not is_bid(f.maker_side)),
                    len(mine_b) + len(mine_a) + sum(1 for f in fills if f.maker_order_done),
                )
                if pos is None:
                    assert reserved == (0, 0, 0), f"{addr} has orders but no position in market {mi}"
                    continue
                assert (pos.open_bids, pos.open_asks, pos.open_orders) == reserved, f"reservations of {addr}"
                total_quote += pos.quote_entry_amount + pos.unsettled_pnl
                total_base += pos.base_amount
                longs += max(pos.base_amount, 0)
                shorts += max(-pos.base_amount, 0)
            assert total_quote == owed_quote, f"market {mi}: quote {total_quote} != pending {owed_quote}"
            assert total_base == owed_base, f"market {mi}: base {total_base} != pending {owed_base}"
            assert (m.open_interest_long, m.open_interest_short) == (longs, shorts), f"market {mi}: open interest"
            if not pending:
                assert total_quote == 0 and total_base == 0 and longs == shorts
            # book order: best last, earliest first among equal prices; all ids distinct and below next id
            for side_orders, better in ((bids, lambda a, b: a < b), (asks, lambda a, b: a > b)):
                for lo, hi in itertools.pairwise(side_orders):
                    assert better(lo.price, hi.price) or (lo.price == hi.price and lo.order_id > hi.order_id)
                assert all(o.base_amount > 0 for o in side_orders)
            ids = [o.order_id for o in bids + asks]
            assert len(set(ids)) == len(ids) and all(0 < i < m.next_order_id for i in ids)
            assert len(q.fills) <= QUEUE_CAPACITY and q.seq_num >= len(q.fills)
            assert all(f.kind in (QUEUE_EVENT_FILL, QUEUE_EVENT_OUT) for f in q.fills)
            assert all(f.maker_rebate == 0 and f.maker_order_done == 1 for f in q.fills if f.kind == QUEUE_EVENT_OUT)
            # the queued base per maker side, which the open-interest limit counts
            assert q.pending_bid_base == sum(f.base_amount for f in pending if is_bid(f.maker_side))
            assert q.pending_ask_base == sum(f.base_amount for f in pending if not is_bid(f.maker_side))
            # a maker rebate never exceeds what the taker of its fill paid at the highest fee allowed (10%)
            assert all(f.maker_rebate <= floor_quote(f.base_amount, f.price) // 10 for f in pending)


@pytest.fixture
def t(exchange: LocalExchange) -> Trading:
    return Trading(exchange)


def fields(o: Any) -> tuple:
    return (o.owner, o.order_id, o.client_order_id, o.price, o.base_amount)


# ------------------------------------------------------------------------------------------------
# resting orders


def test_raw_parsers_agree_with_the_generated_client(t: Trading) -> None:
    a, b = t.add_user(), t.add_user()
    landed(t.place_many(a, [(BID, 99 * P, B), (ASK, 101 * P, 2 * B), (BID, 98 * P, 3 * B)]))
    for _ in range(3):
        landed(t.place(b, BID, 102 * P, 500_000_000, IOC))
    landed(t.consume(limit=2))
    landed(t.place(b, BID, 102 * P, B, IOC))
    pid = t.svm.program_id
    bids, asks = raw_book(t._data(orderbook_pda(0, pid)))
    assert [tuple(o) for o in bids] == [(*fields(o), o.expiry_slot) for o in t.bids()] and len(bids) == 2
    assert [tuple(o) for o in asks] == [(*fields(o), o.expiry_slot) for o in t.asks()] == []
    raw = raw_queue(t._data(event_queue_pda(0, pid)))
    q = t.queue()
    assert (raw.seq_num, raw.head, raw.pending_bid_base, raw.pending_ask_base) == (
        q.seq_num, q.head, q.pending_bid_base, q.pending_ask_base,
    ) == (4, 2, 0, B)
    assert [tuple(f) for f in raw.fills] == [
        (f.maker, f.maker_order_id, f.price, f.base_amount, f.maker_rebate, f.maker_side, f.maker_order_done, f.kind)
        for f in t.pending()
    ]
    # 0.5 at 101 = 50.5; rebate = floor(50.5 * 2 / 1e4) = 0.0101
    assert [(f.base_amount, f.maker_rebate, enum_name(f.maker_side), f.maker_order_done) for f in raw.fills] == [
        (500_000_000, 10_100, "Ask", 0), (500_000_000, 10_100, "Ask", 1),
    ]


def test_resting_orders_book_reservations_and_events(t: Trading) -> None:
    a, b = t.add_user(), t.add_user()
    t.svm.warp(500)
    t.set_mark(100 * P)  # cranked at slot 500: a mark 500 slots old is stale
    out = landed(t.place(a, BID, 99 * P, 2 * B, client_order_id=11))
    ev = single_event(out, "OrderPlaced")
    assert (ev.user, ev.order_id, ev.client_order_id, ev.price, ev.base_amount, ev.slot, ev.market_index) == (
        a.address, 1, 11, 99 * P, 2 * B, 500, 0,
    )
    assert (enum_name(ev.side), enum_name(ev.order_type)) == ("Bid", "Limit")
    landed(t.place(b, BID, 98_500_000, B, client_order_id=12))  # id 2
    out = landed(t.place(a, BID, 99 * P, 3 * B, POST_ONLY, client_order_id=13))  # id 3, behind id 1
    assert enum_name(single_event(out, "OrderPlaced").order_type) == "PostOnly"
    landed(t.place(b, ASK, 101 * P, B))  # id 4
    landed(t.place(a, ASK, 100_500_000, 1_500_000_000, client_order_id=2**64 - 1))  # id 5
    landed(t.place(b, ASK, 102 * P, 4 * B))  # id 6

    book = t.book()
    assert book.market == t.ex.market_address(0)
    assert (book.bid_count, book.ask_count) == (3, 3)
    assert [fields(o) for o in book.bids[:3]] == [
        (b.address, 2, 12, 98_500_000, B),
        (a.address, 3, 13, 99 * P, 3 * B),
        (a.address, 1, 11, 99 * P, 2 * B),  # best: highest price, earliest
    ]
    assert [fields(o) for o in book.asks[:3]] == [
        (b.address, 6, 0, 102 * P, 4 * B),
        (b.address, 4, 0, 101 * P, B),
        (a.address, 5, 2**64 - 1, 100_500_000, 1_500_000_000),
    ]
    assert all(fields(o) == (Pubkey.default(), 0, 0, 0, 0) for o in book.bids[3:] + book.asks[3:])
    pa, pb = t.position(a), t.position(b)
    assert (pa.open_bids, pa.open_asks, pa.open_orders, pa.base_amount, pa.quote_entry_amount) == (5 * B, 1_500_000_000, 3, 0, 0)
    assert (pb.open_bids, pb.open_asks, pb.open_orders) == (B, 5 * B, 3)
    m = t.market()
    assert (m.next_order_id, m.fee_pool, m.open_interest_long, m.open_interest_short) == (7, 0, 0, 0)
    assert t.queue().count == 0


# ------------------------------------------------------------------------------------------------
# crossing


def test_crossing_order_fills_the_taker_now_and_the_maker_at_consume(t: Trading) -> None:
    a, b = t.add_user(), t.add_user()
    landed(t.place(a, ASK, 100_370_000, 2 * B))  # id 1
    out = landed(t.place(b, BID, 101 * P, 1_237_000_000))
    # fill at the maker's price: 1.237 * 100.37 = 124.15769 quote (exact); fee ceil(124_157.69) = 124_158
    assert names(out) == ["FillEvent", "OrderPlaced"]
    fill, placed = events(out)[0][1], events(out)[1][1]
    assert (fill.taker, fill.maker, fill.maker_order_id, fill.price, fill.base_amount, fill.taker_fee, fill.seq_num, fill.market_index) == (
        b.address, a.address, 1, 100_370_000, 1_237_000_000, 124_158, 0, 0,
    )
    assert enum_name(fill.taker_side) == "Bid"
    assert (placed.order_id, placed.base_amount, placed.price) == (0, 0, 101 * P)  # nothing rests
    pb = t.position(b)
    assert (pb.base_amount, pb.quote_entry_amount, pb.unsettled_pnl, pb.open_bids, pb.open_orders) == (1_237_000_000, -124_157_690, -124_158, 0, 0)
    m = t.market()
    assert (m.fee_pool, m.open_interest_long, m.open_interest_short, m.next_order_id) == (124_158, 1_237_000_000, 0, 2)
    assert [fields(o) for o in t.asks()] == [(a.address, 1, 0, 100_370_000, 763_000_000)]
    q = t.queue()
    assert (q.head, q.count, q.seq_num) == (0, 1, 1)
    rec = q.fills[0]
    assert (rec.maker, rec.maker_order_id, rec.price, rec.base_amount, enum_name(rec.maker_side), rec.maker_order_done) == (
        a.address, 1, 100_370_000, 1_237_000_000, "Ask", 0,
    )
    assert rec.maker_rebate == 24_831  # fixed now: floor(124_157_690 * 2 / 1e4), see below
    pa = t.position(a)
    assert (pa.base_amount, pa.quote_entry_amount, pa.unsettled_pnl, pa.open_asks, pa.open_orders) == (0, 0, 0, 2 * B, 1)

    out = landed(t.consume())
    applied = single_event(out, "MakerFillApplied")
    # rebate floor(124_157_690 * 2 / 1e4) = floor(24_831.538) = 24_831
    assert (applied.maker, applied.maker_order_id, applied.price, applied.base_amount, applied.maker_rebate, applied.seq_num, applied.market_index) == (
        a.address, 1, 100_370_000, 1_237_000_000, 24_831, 0, 0,
    )
    assert enum_name(applied.maker_side) == "Ask"
    pa = t.position(a)
    assert (pa.base_amount, pa.quote_entry_amount, pa.unsettled_pnl, pa.open_asks, pa.open_orders) == (-1_237_000_000, 124_157_690, 24_831, 763_000_000, 1)
    m = t.market()
    assert (m.fee_pool, m.open_interest_long, m.open_interest_short) == (124_158 - 24_831, 1_237_000_000, 1_237_000_000)
    q = t.queue()
    assert (q.head, q.count, q.seq_num) == (1, 0, 1)

    # a market order takes the rest: 0.763 * 100.37 = 76.58231; fee ceil(76_582.31) = 76_583
    out = landed(t.place(b, BID, 101 * P, B, MARKET))
    assert names(out) == ["FillEvent", "OrderPlaced"]
    assert events(out)[0][1].taker_fee == 76_583 and events(out)[0][1].seq_num == 1
    assert t.asks() == [] and t.queue().fills[1].maker_order_done == 1
    out = landed(t.consume())
    assert single_event(out, "MakerFillApplied").maker_rebate == 15_316  # floor(15_316.462)
    pa = t.position(a)
    assert (pa.base_amount, pa.quote_entry_amount, pa.unsettled_pnl, pa.open_asks, pa.open_orders) == (-2 * B, 200_740_000, 24_831 + 15_316, 0, 0)
    assert t.market().fee_pool == 124_158 + 76_583 - 24_831 - 15_316


@pytest.mark.parametrize("maker_side", ["bid", "ask"])
def test_rounding_buyer_pays_ceiling_seller_gets_floor_dust_to_pool(exchange: LocalExchange, maker_side: str) -> None:
    params = default_market_params(tick_size=1, lot_size=1_000, min_order_size=1_000)
    t = Trading(exchange, params=params)
    maker, taker = t.add_user(), t.add_user()
    price, base = 100_370_001, 1_234_567_000
    lo, hi = floor_quote(base, price), ceil_quote(base, price)
    assert hi - lo == 1  # 1.234567 * 100.370001 has a fraction of a micro-unit
    m_side, t_side = (BID, ASK) if maker_side == "bid" else (ASK, BID)
    landed(t.place(maker, m_side, price, base))
    out = landed(t.place(taker, t_side, price, base, IOC))
    taker_cash = lo if maker_side == "bid" else -hi  # the taker sells for the floor or buys for the ceiling
    fee = taker_fee(abs(taker_cash))
    assert events(out)[0][1].taker_fee == fee
    pt = t.position(taker)
    assert (pt.quote_entry_amount, pt.unsettled_pnl) == (taker_cash, -fee)
    assert t.market().fee_pool == fee
    landed(t.consume())
    pm = t.position(maker)
    maker_cash = -hi if maker_side == "bid" else lo
    assert (pm.quote_entry_amount, pm.unsettled_pnl) == (maker_cash, rebate(base, price))
    assert t.market().fee_pool == fee + (hi - lo) - rebate(base, price)


def test_partial_fills_then_done(t: Trading) -> None:
    a, b, c, d = (t.add_user() for _ in range(4))
    landed(t.place(a, ASK, 100 * P, 3 * B))
    landed(t.place(b, BID, 100 * P, B))
    assert t.asks()[0].base_amount == 2 * B
    landed(t.place(c, BID, 100 * P, 1_500_000_000))
    out = landed(t.place(d, BID, 100 * P, B, IOC))  # takes the last 0.5, the rest is dropped
    placed = events(out)[-1][1]
    assert (placed.order_id, placed.base_amount, enum_name(placed.order_type)) == (0, 0, "ImmediateOrCancel")
    assert t.asks() == [] and t.bids() == []
    assert [(f.base_amount, f.maker_order_done) for f in t.pending()] == [(B, 0), (1_500_000_000, 0), (500_000_000, 1)]
    assert [t.position(u).base_amount for u in (b, c, d)] == [B, 1_500_000_000, 500_000_000]
    landed(t.consume(limit=2))
    pa = t.position(a)
    assert (pa.base_amount, pa.open_asks, pa.open_orders) == (-2_500_000_000, 500_000_000, 1)
    landed(t.consume())
    pa = t.position(a)
    # rebates: 100 * 2bp = 0.02, 150 -> 0.03, 50 -> 0.01
    assert (pa.base_amount, pa.quote_entry_amount, pa.unsettled_pnl, pa.open_asks, pa.open_orders) == (-3 * B, 300 * QUOTE, 60_000, 0, 0)
    assert t.market().fee_pool == 100_000 + 150_000 + 50_000 - 60_000


def test_price_time_priority_across_makers_and_levels(t: Trading) -> None:
    a, b, c, d = (t.add_user() for _ in range(4))
    landed(t.place(a, ASK, 101 * P, B))  # 1
    landed(t.place(b, ASK, 100 * P, B))  # 2
    landed(t.place(c, ASK, 100 * P, B))  # 3
    landed(t.place(a, ASK, 102 * P, B))  # 4
    landed(t.place(b, ASK, 100_500_000, 500_000_000))  # 5
    out = landed(t.place(d, BID, 101 * P, 3_200_000_000))
    fills = [e for n, e in events(out) if n == "FillEvent"]
    assert [(f.maker_order_id, f.maker, f.price, f.base_amount, f.seq_num) for f in fills] == [
        (2, b.address, 100 * P, B, 0),
        (3, c.address, 100 * P, B, 1),
        (5, b.address, 100_500_000, 500_000_000, 2),
        (1, a.address, 101 * P, 700_000_000, 3),
    ]
    assert [f.taker_fee for f in fills] == [100_000, 100_000, 50_250, 70_700]
    assert [(o.order_id, o.base_amount) for o in t.asks()] == [(4, B), (1, 300_000_000)]
    pd = t.position(d)
    assert (pd.base_amount, pd.quote_entry_amount, pd.unsettled_pnl) == (3_200_000_000, -320_950_000, -320_950)
    out = landed(t.consume())
    assert [(e.seq_num, e.maker, e.maker_rebate) for _, e in events(out)] == [
        (0, b.address, 20_000), (1, c.address, 20_000), (2, b.address, 10_050), (3, a.address, 14_140),
    ]
    # bids: the same at equal prices, best price first
    e, f, g = (t.add_user() for _ in range(3))
    landed(t.place(e, BID, 99 * P, B))  # 6
    landed(t.place(f, BID, 99 * P, B))  # 7
    landed(t.place(e, BID, 99_500_000, B))  # 8
    out = landed(t.place(g, ASK, 99 * P, 2_500_000_000, IOC))
    assert [(x.maker_order_id, x.price, x.base_amount) for n, x in events(out) if n == "FillEvent"] == [
        (8, 99_500_000, B), (6, 99 * P, B), (7, 99 * P, 500_000_000),
    ]
    assert [(o.order_id, o.base_amount) for o in t.bids()] == [(7, 500_000_000)]
    landed(t.consume())


@pytest.mark.parametrize("kind", [LIMIT, IOC, MARKET], ids=lambda k: k.kind)
def test_sixteen_makers_at_most_then_the_remainder_rests_or_is_dropped(exchange: LocalExchange, kind: Any) -> None:
    t = Trading(exchange)
    makers = [t.add_user() for _ in range(4)]
    taker = t.add_user()
    for k in range(MAX_FILLS + 1):  # 17 asks at 100.00, 100.01, ... 100.16
        landed(t.place(makers[k % 4], ASK, 100 * P + k * TICK, MIN_SIZE))
    out = landed(t.place(taker, BID, 101 * P, 20 * MIN_SIZE, kind))
    fills = [e for n, e in events(out) if n == "FillEvent"]
    assert [f.price for f in fills] == [100 * P + k * TICK for k in range(MAX_FILLS)]
    assert [f.seq_num for f in fills] == list(range(MAX_FILLS))
    assert [o.price for o in t.asks()] == [100 * P + MAX_FILLS * TICK]  # the 17th maker is untouched
    placed = events(out)[-1][1]
    pt = t.position(taker)
    paid = sum(ceil_quote(MIN_SIZE, f.price) for f in fills)
    assert (pt.base_amount, pt.quote_entry_amount) == (MAX_FILLS * MIN_SIZE, -paid)
    assert pt.unsettled_pnl == -sum(taker_fee(ceil_quote(MIN_SIZE, f.price)) for f in fills)
    if kind == LIMIT:
        assert (placed.order_id, placed.base_amount) == (MAX_FILLS + 2, 4 * MIN_SIZE)
        assert [(o.owner, o.price, o.base_amount) for o in t.bids()] == [(taker.address, 101 * P, 4 * MIN_SIZE)]
        assert (pt.open_bids, pt.open_orders) == (4 * MIN_SIZE, 1)
    else:
        assert (placed.order_id, placed.base_amount) == (0, 0)
        assert t.bids() == []
        assert (pt.open_bids, pt.open_orders) == (0, 0)
    assert t.queue().count == MAX_FILLS
    landed(t.consume())


def test_post_only(t: Trading) -> None:
    a, b = t.add_user(), t.add_user()
    landed(t.place(a, ASK, 100 * P, B))
    expect_error(t.place(b, BID, 100 * P, B, POST_ONLY), custom.PostOnlyWouldCross)  # at the touch
    expect_error(t.place(b, BID, 105 * P, B, POST_ONLY), custom.PostOnlyWouldCross)
    # crossing only its own order is still a cross: the resting order stays
    expect_error(t.place(a, BID, 100 * P, B, POST_ONLY), custom.PostOnlyWouldCross)
    assert [o.order_id for o in t.asks()] == [1]
    landed(t.place(b, BID, 100 * P - TICK, B, POST_ONLY))
    assert [(o.owner, o.price) for o in t.bids()] == [(b.address, 100 * P - TICK)]


def test_self_trade_cancels_the_resting_order(t: Trading) -> None:
    a, b = t.add_user(), t.add_user()
    landed(t.place(a, ASK, 100 * P, B))  # 1
    landed(t.place(b, ASK, 100_500_000, B))  # 2
    landed(t.place(a, ASK, 100_800_000, 500_000_000))  # 3
    out = landed(t.place(a, BID, 101 * P, 1_200_000_000))  # 4
    assert names(out) == ["OrderCancelled", "FillEvent", "OrderCancelled", "OrderPlaced"]
    evs = [e for _, e in events(out)]
    assert (evs[0].user, evs[0].order_id, evs[0].base_amount, evs[0].market_index, enum_name(evs[0].side)) == (a.address, 1, B, 0, "Ask")
    assert (evs[1].maker, evs[1].maker_order_id, evs[1].base_amount) == (b.address, 2, B)
    assert (evs[2].order_id, evs[2].base_amount) == (3, 500_000_000)
    assert (evs[3].order_id, evs[3].base_amount) == (4, 200_000_000)
    assert t.asks() == []
    pa = t.position(a)
    assert (pa.base_amount, pa.open_bids, pa.open_asks, pa.open_orders) == (B, 200_000_000, 0, 1)
    landed(t.consume())
    # another margin account of the same authority is another trader: no self-trade prevention
    a2 = t.add_user(keypair=a.keypair, sub_id=1)
    out = landed(t.place(a2, ASK, 101 * P, 100_000_000, IOC))
    assert names(out) == ["FillEvent", "OrderPlaced"]
    assert events(out)[0][1].maker == a.address
    landed(t.consume())


# ------------------------------------------------------------------------------------------------
# reduce-only


def test_reduce_only_orders(t: Trading) -> None:
    a, b = t.add_user(), t.add_user()
    expect_error(t.place(a, BID, 100 * P, B, reduce_only=True), custom.ReduceOnlyViolated)
    expect_error(t.place(a, ASK, 100 * P, B, reduce_only=True), custom.ReduceOnlyViolated)
    landed(t.place(b, ASK, 100 * P, B))
    landed(t.place(a, BID, 100 * P, B))  # a long 1
    landed(t.consume())
    expect_error(t.place(a, BID, 90 * P, MIN_SIZE, reduce_only=True), custom.ReduceOnlyViolated)
    # clamped to what closes the position
    out = landed(t.place(a, ASK, 105 * P, 3 * B, reduce_only=True))
    assert single_event(out, "OrderPlaced").base_amount == B
    assert t.position(a).open_asks == B
    # net of resting orders on the same side
    expect_error(t.place(a, ASK, 106 * P, MIN_SIZE, reduce_only=True), custom.ReduceOnlyViolated)
    landed(t.cancel_all(a))
    landed(t.place(a, ASK, 106 * P, 600_000_000))  # a plain order reserves 0.6
    out = landed(t.place(a, ASK, 107 * P, 3 * B, reduce_only=True))
    assert single_event(out, "OrderPlaced").base_amount == 400_000_000
    landed(t.cancel_all(a))
    # a crossing reduce-only order fills at most the position and drops nothing else on the book
    landed(t.place(b, BID, 99 * P, 5 * B))
    out = landed(t.place(a, ASK, 99 * P, 5 * B, IOC, reduce_only=True))
    assert [e.base_amount for n, e in events(out) if n == "FillEvent"] == [B]
    assert t.position(a).base_amount == 0
    landed(t.consume())
    expect_error(t.place(a, ASK, 99 * P, B, reduce_only=True), custom.ReduceOnlyViolated)


def test_reduce_only_limit_is_rounded_down_to_the_lot(exchange: LocalExchange) -> None:
    t = Trading(exchange)
    a, b = t.add_user(), t.add_user()
    landed(t.place(b, ASK, 100 * P, 15 * MIN_SIZE // 10))
    landed(t.place(a, BID, 100 * P, 15 * MIN_SIZE // 10))  # a long 0.015
    landed(t.consume())
    coarse = default_market_params(lot_size=MIN_SIZE, min_order_size=MIN_SIZE)  # lot 0.01
    t.svm.send_ok([ix.update_market_params(t.ex.admin.pubkey(), 0, coarse)], [t.ex.admin])
    out = landed(t.place(a, ASK, 101 * P, 2 * MIN_SIZE, reduce_only=True))
    assert single_event(out, "OrderPlaced").base_amount == MIN_SIZE  # 0.015 rounded down to 0.01
    # 0.005 left to close: less than a lot
    expect_error(t.place(a, ASK, 101 * P, MIN_SIZE, reduce_only=True), custom.ReduceOnlyViolated)


def test_reduce_only_market_status_forces_reduce_only(t: Trading) -> None:
    a, b, c = t.add_user(), t.add_user(), t.add_user()
    landed(t.place(b, ASK, 100 * P, B))
    landed(t.place(a, BID, 100 * P, B))
    landed(t.consume())
    t.svm.send_ok([ix.set_market_status(t.ex.admin.pubkey(), 0, market_status.ReduceOnly())], [t.ex.admin])
    expect_error(t.place(a, BID, 99 * P, MIN_SIZE), custom.ReduceOnlyViolated)
    expect_error(t.place(c, ASK, 101 * P, MIN_SIZE), custom.ReduceOnlyViolated)  # flat: nothing to reduce
    out = landed(t.place(a, ASK, 101 * P, 2 * B))
    assert single_event(out, "OrderPlaced").base_amount == B
    # b is short 1: its bid closes at most 1 and fills a's ask
    out = landed(t.place(b, BID, 101 * P, 3 * B, IOC))
    assert [e.base_amount for n, e in events(out) if n == "FillEvent"] == [B]
    landed(t.consume())
    assert t.position(a).base_amount == 0 and t.position(b).base_amount == 0


# ------------------------------------------------------------------------------------------------
# cancelling


def test_cancel_order(t: Trading) -> None:
    a, b, c = t.add_user(), t.add_user(), t.add_user()
    landed(t.place(a, BID, 99 * P, B))  # 1
    landed(t.place(a, ASK, 101 * P, 2 * B))  # 2
    landed(t.place(b, BID, 98 * P, 3 * B))  # 3
    t.svm.warp(77)
    out = landed(t.cancel(a, 2))
    ev = single_event(out, "OrderCancelled")
    assert (ev.user, ev.order_id, ev.base_amount, ev.market_index, enum_name(ev.side)) == (a.address, 2, 2 * B, 0, "Ask")
    pa = t.position(a)
    assert (pa.open_bids, pa.open_asks, pa.open_orders) == (B, 0, 1)
    assert [o.order_id for o in t.asks()] == []
    expect_error(t.cancel(a, 3), custom.OrderNotFound)  # b's order
    expect_error(t.cancel(a, 2), custom.OrderNotFound)  # already cancelled
    expect_error(t.cancel(a, 999), custom.OrderNotFound)
    expect_error(t.cancel(a, 0), custom.OrderNotFound)
    # c sells 2: all of a's bid at 99, then 1 of b's 3 at 98
    landed(t.place(c, ASK, 98 * P, 2 * B, IOC))
    expect_error(t.cancel(a, 1), custom.OrderNotFound)  # filled, even though not applied to a yet
    # a partly filled order: the remainder is released now, the filled part at consume
    out = landed(t.cancel(b, 3))
    assert single_event(out, "OrderCancelled").base_amount == 2 * B
    pb = t.position(b)
    assert (pb.open_bids, pb.open_orders) == (B, 0)
    landed(t.consume())
    pb = t.position(b)
    assert (pb.base_amount, pb.open_bids, pb.open_orders) == (B, 0, 0)


def test_cancel_all_orders(t: Trading) -> None:
    a, b = t.add_user(), t.add_user()
    landed(t.place(a, BID, 98 * P, B))  # 1
    landed(t.place(a, ASK, 101 * P, B))  # 2
    landed(t.place(a, BID, 99 * P, B))  # 3
    landed(t.place(b, BID, 98_500_000, B))  # 4
    landed(t.place(a, ASK, 102 * P, B))  # 5
    landed(t.place(b, ASK, 101_500_000, B))  # 6
    landed(t.place(a, BID, 98 * P, B))  # 7
    out = landed(t.cancel_all(a))
    evs = events(out)
    assert {n for n, _ in evs} == {"OrderCancelled"}
    assert [(e.order_id, enum_name(e.side)) for _, e in evs] == [(3, "Bid"), (1, "Bid"), (7, "Bid"), (2, "Ask"), (5, "Ask")]
    assert [o.order_id for o in t.bids()] == [4] and [o.order_id for o in t.asks()] == [6]
    assert t.position(a) is None
    assert events(landed(t.cancel_all(a))) == []  # nothing left: lands and logs nothing


def test_delegate_may_trade_a_random_key_may_not(t: Trading) -> None:
    a, b = t.add_user(), t.add_user()
    delegate, stranger = t.svm.funded_keypair(1), t.svm.funded_keypair(1)
    t.svm.send_ok([ix.set_user_delegate(a.authority, delegate.pubkey())], [a.keypair])
    landed(t.place(b, ASK, 100 * P, 2 * B))  # id 1
    out = landed(t.place(a, BID, 100 * P, B, IOC, signer=delegate))
    assert names(out) == ["FillEvent", "OrderPlaced"] and events(out)[0][1].taker == a.address
    landed(t.place(a, BID, 99 * P, B))  # id 2: the authority rests orders, the delegate may cancel them
    landed(t.place(a, BID, 98 * P, B))  # id 3
    landed(t.cancel(a, 2, signer=delegate))
    for kp in (stranger, b.keypair):
        expect_error(t.place(a, BID, 100 * P, B, IOC, signer=kp), custom.Unauthorized)
        expect_error(t.cancel(a, 3, signer=kp), custom.Unauthorized)
        expect_error(t.cancel_all(a, signer=kp), custom.Unauthorized)
    landed(t.cancel_all(a, signer=delegate))
    assert [o.owner for o in t.bids()] == []
    t.svm.send_ok([ix.set_user_delegate(a.authority, None)], [a.keypair])
    expect_error(t.place(a, BID, 100 * P, B, IOC, signer=delegate), custom.Unauthorized)
    landed(t.place(a, BID, 100 * P, B, IOC))


# ------------------------------------------------------------------------------------------------
# margin: differential against keepers/exchange/margin.py


def largest(ok: Any, start: int = MIN_SIZE) -> int:
    """Largest lot multiple s >= start with ok(s), given ok(start) and a monotone ok."""
    assert ok(start)
    lo, hi = start, start * 2
    while ok(hi):
        lo, hi = hi, hi * 2
    while hi - lo > LOT:
        mid = (lo + hi) // 2 // LOT * LOT
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return lo


@pytest.mark.parametrize("side_", [BID, ASK], ids=["bid", "ask"])
def test_largest_resting_order_that_meets_initial_margin(exchange: LocalExchange, side_: Any) -> None:
    t = Trading(exchange, mark=100_370_000)
    collateral = 123_456_789
    a = t.add_user(deposit=collateral)
    ms = t.market_state()
    field = "open_bids" if side_ == BID else "open_asks"

    def ok(size: int) -> bool:
        pos = mirror.Position(market_index=0, open_orders=1, **{field: size})
        return mirror.compute_margin(collateral, [pos], {0: ms}).meets_initial

    s = largest(ok)
    assert 12_300 * LOT <= s < 12_310 * LOT  # 123.456789 * 10 / 100.37 = 12.3001...
    price = 95 * P if side_ == BID else 105 * P  # the order price does not matter, the mark does
    expect_error(t.place(a, side_, price, s + LOT), custom.InsufficientMargin)
    out = landed(t.place(a, side_, price, s))
    assert single_event(out, "OrderPlaced").base_amount == s


def test_largest_order_with_a_position_counts_open_orders_on_the_worse_side(t: Trading) -> None:
    a, b = t.add_user(deposit=31_415_926), t.add_user(deposit=10_000 * QUOTE)
    landed(t.place(b, ASK, 99 * P, 2 * B))
    landed(t.place(a, BID, 99 * P, 2 * B))  # a long 2 at 99, fee 0.198
    landed(t.consume())
    landed(t.place(a, BID, 90 * P, 500_000_000))  # bids make the long side worse: |2 + 0.5|
    t.set_mark(101_230_000)
    ms = t.market_state()
    base_pos = t.mirror_position(a)
    assert (base_pos.base_amount, base_pos.open_bids) == (2 * B, 500_000_000)

    def ok(size: int) -> bool:
        pos = replace(base_pos, open_asks=size, open_orders=2)
        return mirror.compute_margin(31_415_926, [pos], {0: ms}).meets_initial

    # asks up to 4.5 only lower |2 - asks| below |2.5|; beyond that the short side is worse
    assert ok(4_500_000_000)
    s = largest(ok, 4_500_000_000)
    assert s > 4_500_000_000
    expect_error(t.place(a, ASK, 120 * P, s + LOT), custom.InsufficientMargin)
    landed(t.place(a, ASK, 120 * P, s))
    assert t.mirror_position(a).open_asks == s
    assert mirror.compute_margin(t.state(a).collateral, [t.mirror_position(a)], {0: t.market_state()}).meets_initial


def test_largest_crossing_order_differential(t: Trading) -> None:
    collateral = 77_777_777
    a, maker = t.add_user(deposit=collateral), t.add_user(deposit=100_000 * QUOTE)
    price = 101_230_000
    landed(t.place(maker, ASK, price, 50 * B))
    t.set_mark(100_370_000)
    ms = t.market_state()

    def after(size: int) -> mirror.Position:
        quote = mirror.fill_quote(size, price, mirror.BID)
        pos, _ = mirror.apply_fill(mirror.Position(market_index=0), ms, mirror.BID, size, quote)
        return replace(pos, unsettled_pnl=pos.unsettled_pnl - taker_fee(quote))

    def ok(size: int) -> bool:
        return mirror.compute_margin(collateral, [after(size)], {0: ms}).meets_initial

    s = largest(ok)
    # by hand: equity = 77.78 - s * (101.23 - 100.37) - s * 0.10123 (fee), requirement s * 10.037
    assert 7_000 * LOT < s < 7_100 * LOT  # 77.777777 / (10.037 + 0.86 + 0.10123) = 7.07
    expect_error(t.place(a, BID, price, s + LOT, IOC), custom.InsufficientMargin)
    landed(t.place(a, BID, price, s, IOC))
    assert t.mirror_position(a) == after(s)
    landed(t.consume())


def test_margin_uses_every_market_passed_as_remaining_accounts(exchange: LocalExchange) -> None:
    t = Trading(exchange, markets=3)
    a = t.add_user(deposit=30 * QUOTE)
    landed(t.place(a, BID, 99 * P, B, market=1))  # reserves 10 of 30
    # without market 1 the margin check cannot value the position there
    expect_error(t.place(a, BID, 99 * P, B, other_markets=[]), custom.MissingMarketAccount)
    expect_error(t.place(a, BID, 99 * P, B, other_markets=[t.ex.market_address(2)]), custom.MissingMarketAccount)
    landed(t.place(a, BID, 99 * P, B))  # passes market 1: 20 of 30
    # the third order would need 30 of 30 at a mark of 100.01: only the cross margin sees it
    t.set_mark(100_010_000, market=2)
    expect_error(t.place(a, BID, 99 * P, B, market=2), custom.InsufficientMargin)
    landed(t.place(a, BID, 99 * P, B - 10 * LOT, market=2))
    # cancelling needs no other market
    landed(t.cancel_all(a, market=1))
    # a market without a price makes the margin of positions there unknowable
    t.set_mark(0, market=2)
    expect_error(t.place(a, BID, 99 * P, MIN_SIZE), custom.OracleUnavailable)


def test_too_many_positions(exchange: LocalExchange) -> None:
    t = Trading(exchange, markets=9)
    a = t.add_user(deposit=10_000 * QUOTE)
    for mi in range(8):
        landed(t.place(a, BID, 99 * P, MIN_SIZE, market=mi))
    assert sorted(p.market_index for p in t.state(a).positions) == list(range(8))
    expect_error(t.place(a, BID, 99 * P, MIN_SIZE, market=8), custom.TooManyPositions)
    landed(t.cancel_all(a, market=3))
    landed(t.place(a, BID, 99 * P, MIN_SIZE, market=8))
    assert sorted(p.market_index for p in t.state(a).positions if in_use(p)) == [0, 1, 2, 4, 5, 6, 7, 8]


# ------------------------------------------------------------------------------------------------
# capacity


def fill_bids(t: Trading, owners: Sequence[LocalUser], first: int) -> None:
    """SIDE_CAPACITY minimum-size bids at first, first + 1 tick, ..., 8 per transaction, the owners in turn
    (each may hold at most max_orders_per_user = 32 of them)."""
    for k in range(SIDE_CAPACITY // 8):
        owner = owners[k * len(owners) // (SIDE_CAPACITY // 8)]
        landed(t.place_many(owner, [(BID, first + (8 * k + j) * TICK, MIN_SIZE) for j in range(8)]))
    assert t.book().bid_count == SIDE_CAPACITY


def test_orderbook_side_of_65_orders_evicts_the_worst_for_a_better_one(t: Trading) -> None:
    a1, a2, b = t.add_user(), t.add_user(), t.add_user()
    fill_bids(t, [a1, a2], 90 * P)  # ids 1..64, a1 holds 90.00-90.31, a2 90.32-90.63
    expect_error(t.place(b, BID, 80 * P, MIN_SIZE), custom.OrderbookFull)  # worse than every resting bid
    expect_error(t.place(b, BID, 90 * P, MIN_SIZE), custom.OrderbookFull)  # only as good as the worst: no eviction
    c = t.add_user()
    landed(t.place(c, ASK, 101 * P, MIN_SIZE))  # the other side has room
    landed(t.place(b, BID, 101 * P, MIN_SIZE))  # fills completely: needs no slot on the full side
    out = landed(t.place(b, BID, 90 * P + TICK, MIN_SIZE))  # better than the worst bid (90.00, id 1): evicts it
    evicted = [e for n, e in events(out) if n == "OrderEvicted"]
    assert len(evicted) == 1
    ev = evicted[0]
    assert (ev.user, ev.order_id, ev.price, ev.base_amount, ev.market_index, enum_name(ev.side)) == (
        a1.address, 1, 90 * P, MIN_SIZE, 0, "Bid"
    )
    placed = [e for n, e in events(out) if n == "OrderPlaced"][0]
    assert ev.evicted_by == placed.order_id and ev.seq_num == 1  # the fill at 101 was seq 0
    assert t.book().bid_count == SIDE_CAPACITY and 1 not in [o.order_id for o in t.bids()]
    assert t.bids()[0].price == 90 * P + TICK and t.bids()[0].owner == b.address  # time priority: after a1's 90.01
    # a1's reservation waits for consume_events, which needs a1's account like a maker's
    out_event = t.pending()[-1]
    assert (out_event.maker, out_event.kind, out_event.base_amount, out_event.maker_order_done, out_event.maker_rebate) == (
        a1.address, QUEUE_EVENT_OUT, MIN_SIZE, 1, 0
    )
    assert (t.position(a1).open_bids, t.position(a1).open_orders) == (32 * MIN_SIZE, 32)
    q = t.queue()
    assert (q.pending_bid_base, q.pending_ask_base) == (0, MIN_SIZE)  # an out event adds no open interest
    assert names(landed(t.consume(makers=[c.address]))) == ["MakerFillApplied"]  # stops before a1's out event
    expect_error(t.consume(makers=[b.address]), custom.MakerNotPassed)
    assert names(landed(t.consume())) == []  # the out event only releases the reservation
    assert (t.position(a1).open_bids, t.position(a1).open_orders) == (31 * MIN_SIZE, 31)
    assert t.queue().count == 0


def test_event_queue_full_at_the_129th_unconsumed_fill_and_wraps(t: Trading) -> None:
    a, b = t.add_user(deposit=10_000 * QUOTE), t.add_user(deposit=10_000 * QUOTE)
    for _ in range(QUEUE_CAPACITY // MAX_FILLS):
        for _ in range(2):
            landed(t.place_many(a, [(ASK, 100 * P, MIN_SIZE)] * (MAX_FILLS // 2)))
        landed(t.place(b, BID, 100 * P, MAX_FILLS * MIN_SIZE, IOC))
    q = t.queue()
    assert (q.head, q.count, q.seq_num) == (0, QUEUE_CAPACITY, QUEUE_CAPACITY)
    landed(t.place(a, ASK, 100 * P, MIN_SIZE))  # 128 filled orders not yet applied do not count as resting
    expect_error(t.place(b, BID, 100 * P, MIN_SIZE, IOC), custom.EventQueueFull)
    landed(t.consume(limit=64))
    out = landed(t.place(b, BID, 100 * P, MIN_SIZE, IOC))
    assert events(out)[0][1].seq_num == QUEUE_CAPACITY
    q = t.queue()
    assert (q.head, q.count, q.seq_num) == (64, 65, QUEUE_CAPACITY + 1)
    assert q.fills[0].base_amount == MIN_SIZE and q.fills[0].maker == a.address  # wrapped to slot 0
    out = landed(t.consume(limit=65))
    assert [e.seq_num for _, e in events(out)] == list(range(64, QUEUE_CAPACITY + 1))
    assert t.position(a).base_amount == -(QUEUE_CAPACITY + 1) * MIN_SIZE


# ------------------------------------------------------------------------------------------------
# rejected orders


def _patched(i: Instruction, offset: int, raw: bytes) -> Instruction:
    data = bytearray(bytes(i.data))
    data[offset : offset + len(raw)] = raw
    return with_data(i, bytes(data))


BAD_ORDERS = {
    "zero_price": (OFF_PRICE, (0).to_bytes(8, "little")),
    "off_tick_price": (OFF_PRICE, (100 * P + 1).to_bytes(8, "little")),
    "zero_size": (OFF_BASE, (0).to_bytes(8, "little")),
    "off_lot_size": (OFF_BASE, (MIN_SIZE + 1).to_bytes(8, "little")),
    "below_minimum": (OFF_BASE, (MIN_SIZE - LOT).to_bytes(8, "little")),
    "above_i64": (OFF_BASE, ((2**63 // LOT + 1) * LOT).to_bytes(8, "little")),
    "side_2": (OFF_SIDE, b"\x02"),
    "side_ff": (OFF_SIDE, b"\xff"),
    "type_4": (OFF_TYPE, b"\x04"),
    "type_ff": (OFF_TYPE, b"\xff"),
    "reduce_only_2": (OFF_REDUCE, b"\x02"),
    **{f"padding_{k}": (OFF_PADDING + k, b"\x01") for k in range(5)},
    "padding_all": (OFF_PADDING, b"\x80" * 5),
}


@pytest.mark.parametrize("bad", list(BAD_ORDERS))
def test_invalid_order(t: Trading, bad: str) -> None:
    a = t.add_user()
    good = t.place_ix(a, BID, 99 * P, MIN_SIZE)
    assert len(good.data) == 8 + 48 == OFF_MIN_FILL + 8 == OFF_EXPIRY + 16 == OFF_PADDING + 5 + 16
    expect_error(t.send([_patched(good, *BAD_ORDERS[bad])], [a.keypair]), custom.InvalidOrder)
    landed(t.send([good], [a.keypair]))


def test_paused_market_rejects_orders_but_allows_cancel_and_consume(t: Trading) -> None:
    a, b = t.add_user(), t.add_user()
    landed(t.place(a, ASK, 100 * P, 2 * B))
    landed(t.place(b, BID, 100 * P, B))
    t.svm.send_ok([ix.set_market_status(t.ex.admin.pubkey(), 0, market_status.Paused())], [t.ex.admin])
    expect_error(t.place(b, BID, 100 * P, B), custom.MarketNotTradable)
    expect_error(t.place(a, ASK, 100 * P, B, reduce_only=True), custom.MarketNotTradable)
    landed(t.consume())
    landed(t.cancel_all(a))


def test_market_without_a_price_rejects_orders(exchange: LocalExchange) -> None:
    t = Trading(exchange, mark=0)
    a = t.add_user()
    expect_error(t.place(a, BID, 100 * P, B), custom.OracleUnavailable)
    t.set_mark(100 * P)
    landed(t.place(a, BID, 100 * P, B))


def test_accounts_of_another_market_are_rejected(exchange: LocalExchange) -> None:
    t = Trading(exchange, markets=2)
    a, b = t.add_user(), t.add_user()
    landed(t.place(a, ASK, 100 * P, B))
    landed(t.place(b, BID, 100 * P, MIN_SIZE))
    pid = t.svm.program_id
    other_book, other_queue = orderbook_pda(1, pid), event_queue_pda(1, pid)
    place = t.place_ix(b, BID, 100 * P, MIN_SIZE)
    expect_error(t.send([with_account(place, PO_BOOK, other_book)], [b.keypair]), custom.MarketAccountMismatch)
    expect_error(t.send([with_account(place, PO_QUEUE, other_queue)], [b.keypair]), custom.MarketAccountMismatch)
    expect_error(t.send([with_account(place, PO_BOOK, event_queue_pda(0, pid))], [b.keypair]), custom.InvalidDiscriminator)
    for i in (ix.cancel_order(a.authority, a.address, 0, 1, pid), ix.cancel_all_orders(a.authority, a.address, 0, pid)):
        expect_error(t.send([with_account(i, 3, other_book)], [a.keypair]), custom.MarketAccountMismatch)
    consume = t.consume_ix()
    expect_error(t.send([with_account(consume, 1, other_queue)]), custom.MarketAccountMismatch)
    landed(t.send([consume]))


def test_consume_events_needs_the_makers(t: Trading) -> None:
    a, b, c = t.add_user(), t.add_user(), t.add_user()
    landed(t.place(a, ASK, 100 * P, B))  # 1
    landed(t.place(b, ASK, 100 * P, B))  # 2
    landed(t.place(a, ASK, 100 * P, B))  # 3
    landed(t.place(c, BID, 100 * P, 3 * B))
    assert [f.maker for f in t.pending()] == [a.address, b.address, a.address]
    expect_error(t.consume(makers=[]), custom.MakerNotPassed)
    expect_error(t.consume(makers=[b.address]), custom.MakerNotPassed)
    expect_error(t.consume(makers=[c.address, b.address]), custom.MakerNotPassed)
    read_only = with_account(t.consume_ix(makers=[a.address]), 2, is_writable=False)
    expect_error(t.send([read_only]), custom.AccountNotWritable)
    # applies what it can and stops at the first maker it was not given
    out = landed(t.consume(makers=[a.address]))
    assert [(e.maker, e.seq_num) for _, e in events(out)] == [(a.address, 0)]
    assert t.queue().count == 2
    out = landed(t.consume(limit=0))
    assert events(out) == [] and t.queue().count == 2
    out = landed(t.consume(limit=1, makers=[b.address, a.address]))
    assert [(e.maker, e.seq_num) for _, e in events(out)] == [(b.address, 1)]
    out = landed(t.consume(limit=5, makers=[Pubkey.new_unique(), a.address]))
    assert [(e.maker, e.seq_num) for _, e in events(out)] == [(a.address, 2)]
    assert events(landed(t.consume(limit=5, makers=[]))) == []  # an empty queue needs nobody


def test_open_interest_limit(exchange: LocalExchange) -> None:
    t = Trading(exchange, params=default_market_params(max_open_interest=2 * B))
    a, b, c = t.add_user(), t.add_user(), t.add_user()
    landed(t.place(a, ASK, 100 * P, 5 * B))
    expect_error(t.place(b, BID, 100 * P, 2_500_000_000), custom.OpenInterestLimit)
    landed(t.place(b, BID, 100 * P, 2 * B))  # exactly the limit
    expect_error(t.place(c, BID, 100 * P, MIN_SIZE), custom.OpenInterestLimit)
    landed(t.consume())
    assert (t.market().open_interest_long, t.market().open_interest_short) == (2 * B, 2 * B)
    # a taker reducing its long is allowed at the limit; the freed interest can be taken again
    landed(t.place(c, BID, 99 * P, B))
    landed(t.place(b, ASK, 99 * P, B, IOC))
    assert t.market().open_interest_long == B
    landed(t.consume())
    assert (t.market().open_interest_long, t.market().open_interest_short) == (2 * B, 2 * B)
    d = t.add_user()
    landed(t.place(d, BID, 98 * P, 3 * B))
    expect_error(t.place(c, ASK, 98 * P, 3 * B, IOC), custom.OpenInterestLimit)  # c long 1 -> short 2
    landed(t.place(c, ASK, 98 * P, B, IOC))  # c closes
    landed(t.consume())
    assert (t.market().open_interest_long, t.market().open_interest_short) == (2 * B, 2 * B)


# ------------------------------------------------------------------------------------------------
# regressions: a queued fill can always be applied, the open-interest limit holds after the queue


def test_maker_rebate_is_fixed_when_the_fill_happens(exchange: LocalExchange) -> None:
    # The taker pays its fee at the fill; the maker's rebate, paid at consume out of that fee, must use
    # the rate of that moment. Computed at consume, a fee change in between made the pool underflow and
    # consume_events fail with MathOverflow for good.
    t = Trading(exchange, params=default_market_params(taker_fee_bps=0, maker_rebate_bps=0))
    a, b = t.add_user(), t.add_user()
    landed(t.place(a, ASK, 100 * P, 2 * B))
    out = landed(t.place(b, BID, 100 * P, B))
    assert events(out)[0][1].taker_fee == 0 and t.market().fee_pool == 0
    assert t.pending()[0].maker_rebate == 0
    admin = t.ex.admin
    t.svm.send_ok([ix.update_market_params(admin.pubkey(), 0, default_market_params(taker_fee_bps=10, maker_rebate_bps=5))], [admin])
    out = landed(t.place(b, BID, 100 * P, B))  # at the new rates: fee 0.1, rebate floor(100 * 5bp) = 0.05
    assert events(out)[0][1].taker_fee == 100_000 and t.pending()[1].maker_rebate == 50_000
    t.svm.send_ok([ix.update_market_params(admin.pubkey(), 0, default_market_params(taker_fee_bps=20, maker_rebate_bps=20))], [admin])
    out = landed(t.consume())
    assert [e.maker_rebate for _, e in events(out)] == [0, 50_000]
    assert t.market().fee_pool == 50_000
    assert t.position(a).unsettled_pnl == 50_000


def test_a_queued_fill_can_always_be_applied(exchange: LocalExchange) -> None:
    # A bid far above the mark passed the margin check (reservations are valued at the mark). Its fills
    # each fitted in the sellers' accounts, but their sum overflowed the maker's quote entry when
    # applied, and consume_events could never get past it. Either such orders are refused when placed,
    # or the queue must drain.
    t = Trading(exchange)
    attacker, s1, s2 = t.add_user(), t.add_user(), t.add_user()
    price = (2**63 * 6 // 100) // TICK * TICK  # 10 base at this price: 0.6 * 2^63 quote
    assert floor_quote(10 * B, price) < 2**63 - 1 < 2 * floor_quote(10 * B, price)
    for seller in (s1, s2):
        t.place(attacker, BID, price, 10 * B)
        t.place(seller, ASK, price, 10 * B, IOC)
    out = t.consume()
    assert out.ok, f"consume_events is stuck: {out.error_name}\n" + "\n".join(out.logs)
    assert t.queue().count == 0


def test_order_price_band_is_half_the_mark_either_side(exchange: LocalExchange) -> None:
    # mark 99.999999: mark / 2 = 49.9999995 -> 49_999_999 (floor), band [50_000_000, 149_999_998]
    t = Trading(exchange, mark=99_999_999)
    a = t.add_user()
    for side_, ok, bad in ((BID, 149_990_000, 150 * P), (ASK, 50 * P, 49_990_000)):
        expect_error(t.place(a, side_, bad, MIN_SIZE), custom.OrderPriceOutOfBand)
        landed(t.place(a, side_, ok, MIN_SIZE))
    expect_error(t.place(a, BID, 150 * P, MIN_SIZE, IOC), custom.OrderPriceOutOfBand)
    expect_error(t.place(a, ASK, 49_990_000, MIN_SIZE, reduce_only=True), custom.OrderPriceOutOfBand)
    # the band moves with the mark
    t.set_mark(120 * P)
    landed(t.place(a, BID, 150 * P, MIN_SIZE))
    expect_error(t.place(a, ASK, 50 * P, MIN_SIZE), custom.OrderPriceOutOfBand)


def test_order_notional_cap(exchange: LocalExchange) -> None:
    # notional = ceil(base * price / 1e9) must not exceed 2^52 quote units; at 100, base / 10 does
    cap = 2**52
    t = Trading(exchange)
    whale = t.add_user(deposit=500_000_000 * QUOTE)
    largest_ok = cap * 10 // LOT * LOT
    assert largest_ok // 10 <= cap < (largest_ok + LOT) // 10
    expect_error(t.place(whale, BID, 100 * P, largest_ok + LOT), custom.InvalidOrder)
    out = landed(t.place(whale, BID, 100 * P, largest_ok))
    assert single_event(out, "OrderPlaced").base_amount == largest_ok


def test_open_interest_limit_holds_once_the_queue_is_drained(exchange: LocalExchange) -> None:
    # maxOpenInterest is "the largest open interest per side" (idl/perp.json). A taker check without
    # the queued maker fills let a second pair of traders open the same interest again while the first
    # makers' fills waited in the queue: 8 per side once drained, for a limit of 4.
    t = Trading(exchange, params=default_market_params(max_open_interest=4 * B))
    a, b, c, d = (t.add_user() for _ in range(4))
    landed(t.place(a, ASK, 100 * P, 4 * B))
    landed(t.place(b, BID, 100 * P, 4 * B, IOC))  # b long 4; a's short 4 is queued
    landed(t.place(c, BID, 99 * P, 4 * B))
    expect_error(t.place(d, ASK, 99 * P, 4 * B, IOC), custom.OpenInterestLimit)  # next to a's queued short 4
    landed(t.consume())
    m = t.market()
    assert (m.open_interest_long, m.open_interest_short) == (4 * B, 4 * B)
    # once a's fill is applied, d may close ... nothing; b may sell to c: long moves from b to c
    landed(t.place(b, ASK, 99 * P, 4 * B, IOC))
    landed(t.consume())
    assert (t.market().open_interest_long, t.market().open_interest_short) == (4 * B, 4 * B)


# ------------------------------------------------------------------------------------------------
# reservations bounded (security review, issue 12 item 3)


def test_open_order_totals_cannot_wrap_past_i64(t: Trading) -> None:
    """Attack: in a low-priced market two maximum-size bids pass the notional cap; their u64 total
    passed i64's range and margin.c's cast wrapped it to about -2 lots, so the pair needed almost no
    margin and nearly all collateral could be withdrawn. A reservation total beyond i64 is refused."""
    t.set_mark(TICK)  # 0.01 quote per base: the smallest price on the tick grid
    biggest = (2**63 - 1) // LOT * LOT
    notional = biggest * TICK // B  # quote units, under the 2^52 notional cap
    required = notional * 1_000 // 10_000  # initial margin at the default 10%
    a = t.add_user(deposit=2 * required)
    landed(t.place(a, BID, TICK, biggest))
    expect_error(t.place(a, BID, TICK, biggest), custom.InvalidOrder)
    assert t.position(a).open_bids == biggest
    # The one bid that rests still needs its margin: only the collateral above it (`required`) can leave.
    book = orderbook_pda(0, t.ex.program_id)
    out = t.send([ix.withdraw(a.authority, a.token_account, required + QUOTE, program_id=t.ex.program_id,
                              markets=[t.ex.market_address(0)], orderbooks=[book])], [a.keypair])
    expect_error(out, custom.InsufficientMargin)
    landed(t.send([ix.withdraw(a.authority, a.token_account, required - QUOTE, program_id=t.ex.program_id,
                               markets=[t.ex.market_address(0)], orderbooks=[book])], [a.keypair]))


# ------------------------------------------------------------------------------------------------
# a full book side (security review, issue 12 item 5)


def test_lockout_by_minimum_orders_at_the_band_edges_is_broken_by_eviction(exchange: LocalExchange) -> None:
    """Attack: 64 minimum orders a side at the edges of the +-50% band (here from four accounts, the
    most resting orders one account may hold being 32) filled the book, and every other maker got
    OrderbookFull. Now a better-priced order evicts the worst one; each of the 128 orders must be worth
    the market's minimum notional (10 quote here), so the lock-out ties up margin for 1,280 quote of
    orders, and still locks nobody out."""
    t = Trading(exchange, params=default_market_params(min_order_notional=10 * QUOTE))
    attackers = [t.add_user(deposit=100 * QUOTE) for _ in range(4)]
    edge_bid, edge_ask = 50 * P, 150 * P
    expect_error(t.place(attackers[0], BID, edge_bid, MIN_SIZE), custom.OrderBelowMinNotional)  # 0.5 quote
    size = 20 * MIN_SIZE  # 0.2 base: 10 quote at 50, 30 quote at 150
    for k, a in enumerate(attackers):
        for s, price in ((BID, edge_bid), (ASK, edge_ask)):
            for _ in range(2):
                landed(t.place_many(a, [(s, price, size)] * 8))
        expect_error(t.place(a, BID, edge_bid, size), custom.TooManyOpenOrders)
    assert (t.book().bid_count, t.book().ask_count) == (SIDE_CAPACITY, SIDE_CAPACITY)
    maker = t.add_user()
    expect_error(t.place(maker, BID, edge_bid, size), custom.OrderbookFull)  # no better than the worst
    out = landed(t.place_many(maker, [(BID, 99 * P, B // 5), (ASK, 101 * P, B // 5)]))
    evicted = [e for n, e in events(out) if n == "OrderEvicted"]
    # the latest order at the worst price goes: attacker 3's last bid and last ask
    assert [(e.user, e.price, e.base_amount, enum_name(e.side)) for e in evicted] == [
        (attackers[3].address, edge_bid, size, "Bid"), (attackers[3].address, edge_ask, size, "Ask"),
    ]
    assert (t.bids()[-1].owner, t.asks()[-1].owner) == (maker.address, maker.address)  # the best of each side
    # the settler's consume_events passes the evicted orders' owner as it passes makers
    q = t.queue()
    assert [(f.maker, f.kind) for f in t.pending()] == [(attackers[3].address, QUEUE_EVENT_OUT)] * 2
    landed(t.send(consume_instructions(0, q, q.count, t.svm.program_id)))
    p = t.position(attackers[3])
    assert (p.open_bids, p.open_asks, p.open_orders) == (15 * size, 15 * size, 30)
    # a taker now trades at the maker's prices, not at the band edges
    taker = t.add_user()
    out = landed(t.place(taker, BID, 150 * P, B // 10, IOC))
    assert [(e.maker, e.price) for n, e in events(out) if n == "FillEvent"] == [(maker.address, 101 * P)]


def test_min_order_notional_applies_to_orders_that_may_rest(exchange: LocalExchange) -> None:
    t = Trading(exchange, params=default_market_params(min_order_notional=10 * QUOTE))
    a, b = t.add_user(), t.add_user()
    small = 9 * MIN_SIZE  # 9 quote at 100
    for kind in (LIMIT, POST_ONLY):
        expect_error(t.place(a, BID, 100 * P, small, kind), custom.OrderBelowMinNotional)
        expect_error(t.place(a, ASK, 100 * P, small, kind), custom.OrderBelowMinNotional)
    landed(t.place(a, ASK, 100 * P, 10 * MIN_SIZE))  # exactly 10 quote
    landed(t.place(b, BID, 100 * P, small, IOC))  # never rests: no minimum (a dust position can be closed)
    landed(t.place(b, BID, 150 * P, MIN_SIZE, MARKET))
    assert t.position(b).base_amount == 10 * MIN_SIZE
    # a reduce-only limit order is clipped to the position first, then held to the minimum
    landed(t.consume())
    expect_error(t.place(b, ASK, 99 * P, 20 * MIN_SIZE, reduce_only=True), custom.OrderBelowMinNotional)  # 0.1 at 99
    landed(t.place(b, ASK, 100 * P, small, IOC, reduce_only=True))


def test_resting_orders_per_user_are_limited(exchange: LocalExchange) -> None:
    t = Trading(exchange, params=default_market_params(max_orders_per_user=3))
    a, b = t.add_user(), t.add_user()
    landed(t.place_many(a, [(BID, 99 * P, MIN_SIZE), (BID, 98 * P, MIN_SIZE), (ASK, 101 * P, MIN_SIZE)]))
    expect_error(t.place(a, ASK, 102 * P, MIN_SIZE), custom.TooManyOpenOrders)
    landed(t.place(a, ASK, 99 * P, MIN_SIZE, IOC))  # matches nothing: a's own bid is cancelled, not matched
    landed(t.place(a, ASK, 102 * P, MIN_SIZE))  # the self-trade cancel freed one
    expect_error(t.place(a, ASK, 103 * P, MIN_SIZE), custom.TooManyOpenOrders)
    # an order filled (applied or not) no longer rests: it frees its place at once
    landed(t.place(b, BID, 101 * P, MIN_SIZE, IOC))
    assert t.position(a).open_orders == 3  # the filled order counts here until consume_events
    landed(t.place(a, ASK, 103 * P, MIN_SIZE))
    expect_error(t.place(a, ASK, 104 * P, MIN_SIZE), custom.TooManyOpenOrders)
    landed(t.consume())
    expect_error(t.place(a, ASK, 104 * P, MIN_SIZE), custom.TooManyOpenOrders)


# ------------------------------------------------------------------------------------------------
# delegates (security review, issue 12 item 10)


def with_delegate(t: Trading, victim: LocalUser) -> tuple[Keypair, LocalUser]:
    """A delegate of victim's account that is also the authority of an account of its own."""
    accomplice = t.add_user()
    t.svm.send_ok([ix.set_user_delegate(victim.authority, accomplice.keypair.pubkey())], [victim.keypair])
    return accomplice.keypair, accomplice


def test_delegate_orders_never_rest(t: Trading) -> None:
    victim = t.add_user()
    delegate, _ = with_delegate(t, victim)
    for kind in (LIMIT, POST_ONLY):
        expect_error(t.place(victim, BID, 100 * P, B, kind, signer=delegate), custom.DelegateMayNotRest)
        expect_error(t.place(victim, ASK, 100 * P, B, kind, signer=delegate), custom.DelegateMayNotRest)
    landed(t.place(victim, BID, 100 * P, B, IOC, signer=delegate))
    assert t.bids() == [] and t.position(victim) is None


def test_delegate_orders_stay_within_the_delegate_band_of_the_mark(t: Trading) -> None:
    victim = t.add_user()
    delegate, _ = with_delegate(t, victim)
    band = 100 * P * 50 // 10_000  # 0.5% of the mark 100: default_market_params' delegatePriceBandBps = 50
    for s, inside, outside in ((BID, 100 * P + band, 100 * P + band + TICK), (ASK, 100 * P - band, 100 * P - band - TICK)):
        for kind in (IOC, MARKET):
            expect_error(t.place(victim, s, outside, B, kind, signer=delegate), custom.DelegatePriceOutOfBand)
            landed(t.place(victim, s, inside, B, kind, signer=delegate))
    # the authority keeps the whole +-50% band
    landed(t.place(victim, BID, 150 * P, B, IOC))


def test_delegate_cannot_drain_the_account_into_its_own(t: Trading) -> None:
    """Attack: the delegate rested an ask of its own account at the top of the +-50% band and bought it
    with the victim's account (or sold the victim's position into its own bid at the bottom): each round
    trip moved half the notional from the victim to the accomplice. A delegate's order now fills only
    within 0.5% of the mark and earns the accomplice no maker rebate: the best the delegate can do is a
    round trip at mark +-0.5%, 1 quote per base, while the victim also pays both taker fees into the
    fee pool (the protocol, not the accomplice)."""
    victim = t.add_user(deposit=1_000 * QUOTE)
    delegate, accomplice = with_delegate(t, victim)
    landed(t.place(accomplice, ASK, 150 * P, B))
    expect_error(t.place(victim, BID, 150 * P, B, IOC, signer=delegate), custom.DelegatePriceOutOfBand)
    expect_error(t.place(victim, ASK, 150 * P, B, LIMIT, signer=delegate), custom.DelegateMayNotRest)
    landed(t.cancel_all(accomplice))
    # within the band: buy at 100.5 from the accomplice, sell at 99.5 to it
    landed(t.place(accomplice, ASK, 100_500_000, B))
    landed(t.place(victim, BID, 100_500_000, B, IOC, signer=delegate))
    landed(t.place(accomplice, BID, 99_500_000, B))
    landed(t.place(victim, ASK, 99_500_000, B, IOC, signer=delegate))
    assert [f.maker_rebate for f in t.pending()] == [0, 0]
    landed(t.consume())
    v, acc = t.position(victim), t.position(accomplice)
    assert (v.base_amount, acc.base_amount) == (0, 0)
    fees = taker_fee(100_500_000) + taker_fee(99_500_000)  # 0.1005 + 0.0995
    assert v.unsettled_pnl == -QUOTE - fees
    assert acc.unsettled_pnl == QUOTE  # the 1 quote of the round trip, and no rebate
    assert t.market().fee_pool == fees
