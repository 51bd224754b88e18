"""Order expiry (good-til-slot), minimum fill (fill-or-kill) and the prune_expired_orders crank (issue 13).

An order with ``expirySlot = S`` is live through slot S and expired from S + 1: matching removes an expired
maker it meets with an out event (``OrderExpired``) and goes on, ``prune_expired_orders`` removes them for
anyone, ``cancel_all_orders`` drops them with the rest. The owner's reservation is released when the out
event is consumed, as for an eviction. An order with ``minFillBase`` fails unless matching filled that
much, and its whole transaction with it. Every transaction goes through ``Trading.send``: conservation
and reservations are checked after it, and a failed one must have changed no account.
"""

from __future__ import annotations

from typing import Any

import pytest
from solders.pubkey import Pubkey

from keepers.exchange import instructions as ix
from keepers.exchange.mark import next_mark
from keepers.exchange.pdas import event_queue_pda, orderbook_pda
from localnet.bootstrap import LocalExchange, LocalUser, default_market_params
from programs_client.perp.accounts import Orderbook
from programs_client.perp.constants import QUEUE_EVENT_OUT, QUOTE_PRECISION as QUOTE
from programs_client.perp.errors import custom
from tests.program.helpers import enum_name, events, expect_error
from tests.program.oracle_accounts import advance, crank, let_orders_rest, market, priced_market
from tests.program.tamper import with_account
from tests.program.test_exchange_admin import copy_to
from tests.program.test_trading import (
    ASK,
    B,
    BID,
    IOC,
    MARKET,
    MAX_FILLS,
    MIN_SIZE,
    OFF_EXPIRY,
    OFF_MIN_FILL,
    P,
    POST_ONLY,
    QUEUE_CAPACITY,
    SIDE_CAPACITY,
    TICK,
    Trading,
    _patched,
    landed,
    names,
)


@pytest.fixture
def t(exchange: LocalExchange) -> Trading:
    return Trading(exchange)


def slot(t: Trading) -> int:
    return t.svm.clock().slot


def the(out: Any, name: str) -> Any:
    """The one event named ``name`` among the transaction's events."""
    found = [e for n, e in events(out) if n == name]
    assert len(found) == 1, f"{name}: {names(out)}"
    return found[0]


def reservation(t: Trading, u: LocalUser, market: int = 0) -> tuple[int, int, int]:
    p = t.position(u, market)
    return (0, 0, 0) if p is None else (p.open_bids, p.open_asks, p.open_orders)


# ------------------------------------------------------------------------------------------------
# expiry in matching


def test_an_order_fills_in_its_expiry_slot_and_is_removed_in_the_next(t: Trading) -> None:
    a, b = t.add_user(), t.add_user()
    s = slot(t) + 5
    landed(t.place(a, ASK, 100 * P, 2 * B, expiry_slot=s))  # order 1
    assert t.asks()[0].expiry_slot == s
    t.svm.warp(s)  # the expiry slot itself is live
    out = landed(t.place(b, BID, 100 * P, B, IOC))
    fill = the(out, "FillEvent")
    assert (fill.maker, fill.price, fill.base_amount, fill.seq_num) == (a.address, 100 * P, B, 0)
    t.svm.warp(s + 1)
    out = landed(t.place(b, BID, 100 * P, B, IOC))
    assert names(out) == ["OrderExpired", "OrderPlaced"]
    ev = the(out, "OrderExpired")
    assert (ev.user, ev.order_id, ev.price, ev.base_amount, ev.seq_num, ev.expiry_slot, ev.market_index, enum_name(ev.side)) == (
        a.address, 1, 100 * P, B, 1, s, 0, "Ask"
    )
    assert the(out, "OrderPlaced").base_amount == 0 and t.position(b).base_amount == B  # nothing more filled
    assert t.asks() == []
    out_event = t.pending()[-1]
    assert (out_event.kind, out_event.maker, out_event.base_amount, out_event.maker_order_done) == (QUEUE_EVENT_OUT, a.address, B, 1)
    # a's reservation (2 base, one order) waits for its fill and its out event to be consumed
    assert reservation(t, a) == (0, 2 * B, 1)
    assert names(landed(t.consume())) == ["MakerFillApplied"]  # the out event logs nothing
    assert reservation(t, a) == (0, 0, 0) and t.position(a).base_amount == -B and t.queue().count == 0


def test_matching_goes_on_past_an_expired_order(t: Trading) -> None:
    a, c, b = t.add_user(), t.add_user(), t.add_user()
    s = slot(t) + 1
    landed(t.place(a, ASK, 100 * P, B, expiry_slot=s))  # the best ask, expiring
    landed(t.place(c, ASK, 101 * P, B))
    t.svm.warp(s + 1)
    out = landed(t.place(b, BID, 101 * P, B, IOC))
    assert names(out) == ["OrderExpired", "FillEvent", "OrderPlaced"]
    assert the(out, "FillEvent").maker == c.address
    pos = t.position(b)
    # bought 1 at 101: quote ceil(1e9 * 101e6 / 1e9), taker fee ceil(101e6 * 10 / 1e4)
    assert (pos.base_amount, pos.quote_entry_amount, pos.unsettled_pnl) == (B, -101_000_000, -101_000)
    assert t.asks() == []


def test_post_only_is_not_refused_by_an_expired_order_it_would_cross(t: Trading) -> None:
    a, b = t.add_user(), t.add_user()
    s = slot(t) + 1
    landed(t.place(a, ASK, 100 * P, B, expiry_slot=s))
    expect_error(t.place(b, BID, 100 * P, B, POST_ONLY), custom.PostOnlyWouldCross)  # in slot s it is live
    t.svm.warp(s + 1)
    out = landed(t.place(b, BID, 100 * P, B, POST_ONLY))
    assert names(out) == ["OrderExpired", "OrderPlaced"]
    assert [(o.owner, o.price) for o in t.bids()] == [(b.address, 100 * P)] and t.asks() == []


@pytest.mark.parametrize("ahead", [-1, 0])
def test_expiry_must_be_after_the_current_slot(t: Trading, ahead: int) -> None:
    a = t.add_user()
    t.svm.warp(slot(t) + 10)
    t.set_mark(100 * P)
    now = slot(t)
    expect_error(t.place(a, BID, 99 * P, B, expiry_slot=now + ahead), custom.ExpiryInPast)
    expect_error(t.place(a, BID, 99 * P, B, IOC, expiry_slot=now + ahead), custom.ExpiryInPast)
    landed(t.place(a, BID, 99 * P, B, expiry_slot=now + 1))
    landed(t.place(a, BID, 99 * P, B, expiry_slot=2**64 - 1))  # no horizon: far expiries are just long-lived
    assert [o.expiry_slot for o in t.bids()] == [2**64 - 1, now + 1]  # the earlier order nearest the end


def test_a_full_side_drops_its_expired_orders_before_refusing(t: Trading) -> None:
    a1, a2, b = t.add_user(), t.add_user(), t.add_user()
    s = slot(t) + 1
    for k in range(SIDE_CAPACITY // 8):
        owner = a1 if k < 4 else a2
        prices = [90 * P + (8 * k + j) * TICK for j in range(8)]
        expiring = {62, 63} if k == 7 else set()  # the two best bids of a2 expire
        t_ixs = [t.place_ix(owner, BID, p_, MIN_SIZE, expiry_slot=s if 8 * k + j in expiring else 0) for j, p_ in enumerate(prices)]
        landed(t.send(t_ixs, [owner.keypair]))
    assert t.book().bid_count == SIDE_CAPACITY
    expect_error(t.place(b, BID, 80 * P, MIN_SIZE), custom.OrderbookFull)  # in slot s they are live
    t.svm.warp(s + 1)
    out = landed(t.place(b, BID, 80 * P, MIN_SIZE))  # worse than every bid: takes an expired one's place
    assert [(e.user, e.price) for n, e in events(out) if n == "OrderExpired"] == [(a2.address, 90 * P + 62 * TICK), (a2.address, 90 * P + 63 * TICK)]
    assert "OrderEvicted" not in names(out)
    assert t.book().bid_count == SIDE_CAPACITY - 1 and t.bids()[0].owner == b.address
    assert reservation(t, a2) == (32 * MIN_SIZE, 0, 32)  # until consumed
    landed(t.consume())
    assert reservation(t, a2) == (30 * MIN_SIZE, 0, 30)


# ------------------------------------------------------------------------------------------------
# prune_expired_orders and cancel_all_orders


def test_prune_removes_expired_orders_up_to_its_limit(t: Trading) -> None:
    a, c = t.add_user(), t.add_user()
    s = slot(t) + 1
    landed(t.send([t.place_ix(a, BID, 96 * P, B), t.place_ix(a, BID, 97 * P, B, expiry_slot=s),
                   t.place_ix(a, BID, 98 * P, B, expiry_slot=s)], [a.keypair]))  # ids 1, 2, 3
    landed(t.send([t.place_ix(c, ASK, 103 * P, B, expiry_slot=s + 2), t.place_ix(c, ASK, 104 * P, B, expiry_slot=s)], [c.keypair]))  # 4, 5
    expect_error(t.prune(), custom.NothingToPrune)  # slot s: all live
    t.svm.warp(s + 1)
    expect_error(t.prune(limit=0), custom.NothingToPrune)
    out = landed(t.prune(limit=2))  # bids first, worst to best
    assert [(n, e.order_id, e.seq_num) for n, e in events(out)] == [("OrderExpired", 2, 0), ("OrderExpired", 3, 1)]
    assert [o.order_id for o in t.bids()] == [1] and [o.order_id for o in t.asks()] == [5, 4]
    out = landed(t.prune(limit=5))
    assert [e.order_id for _, e in events(out)] == [5]
    expect_error(t.prune(), custom.NothingToPrune)  # 103 lives through s + 2
    t.svm.warp(s + 3)
    assert [e.order_id for _, e in events(landed(t.prune()))] == [4]
    assert reservation(t, a) == (3 * B, 0, 3) and reservation(t, c) == (0, 2 * B, 2)
    landed(t.consume())
    assert reservation(t, a) == (B, 0, 1) and reservation(t, c) == (0, 0, 0)


def test_prune_stops_at_a_full_queue(t: Trading) -> None:
    a, b, c = t.add_user(deposit=10_000 * QUOTE), t.add_user(deposit=10_000 * QUOTE), t.add_user()
    s = slot(t) + 1
    landed(t.send([t.place_ix(c, BID, (90 + k) * P, B, expiry_slot=s) for k in range(3)], [c.keypair]))
    for _ in range(QUEUE_CAPACITY // MAX_FILLS):  # 128 unconsumed fills
        for _ in range(2):
            landed(t.place_many(a, [(ASK, 100 * P, MIN_SIZE)] * (MAX_FILLS // 2)))
        landed(t.place(b, BID, 100 * P, MAX_FILLS * MIN_SIZE, IOC))
    expect_error(t.prune(), custom.NothingToPrune)  # a full queue, but nothing expired yet
    landed(t.consume(limit=2))
    t.svm.warp(s + 1)
    out = landed(t.prune(limit=10))  # room for two out events
    assert [e.order_id for _, e in events(out)] == [1, 2] and t.queue().count == QUEUE_CAPACITY
    expect_error(t.prune(), custom.EventQueueFull)
    landed(t.consume())
    assert [e.order_id for _, e in events(landed(t.prune()))] == [3]


def test_cancel_all_releases_expired_orders_at_once(t: Trading) -> None:
    a = t.add_user()
    s = slot(t) + 1
    landed(t.send([t.place_ix(a, BID, 97 * P, B, expiry_slot=s), t.place_ix(a, BID, 98 * P, B)], [a.keypair]))
    t.svm.warp(s + 1)
    assert names(landed(t.cancel_all(a))) == ["OrderCancelled", "OrderCancelled"]
    assert reservation(t, a) == (0, 0, 0) and t.queue().count == 0 and t.bids() == []
    expect_error(t.prune(), custom.NothingToPrune)


def test_prune_rejects_accounts_of_another_market_or_owner(exchange: LocalExchange) -> None:
    t = Trading(exchange, markets=2)
    a = t.add_user()
    s = slot(t) + 1
    landed(t.place(a, BID, 99 * P, B, expiry_slot=s))
    t.svm.warp(s + 1)
    pid = t.svm.program_id
    good = ix.prune_expired_orders(0, 4, pid)
    expect_error(t.send([with_account(good, 1, orderbook_pda(1, pid))]), custom.MarketAccountMismatch)
    expect_error(t.send([with_account(good, 2, event_queue_pda(1, pid))]), custom.MarketAccountMismatch)
    expect_error(t.send([with_account(good, 1, event_queue_pda(0, pid))]), custom.InvalidDiscriminator)
    expect_error(t.send([with_account(good, 0, orderbook_pda(0, pid))]), custom.InvalidDiscriminator)
    for k, key in enumerate((exchange.market_address(0), orderbook_pda(0, pid), event_queue_pda(0, pid))):
        fake = copy_to(t.svm, key, owner=Pubkey.new_unique())
        expect_error(t.send([with_account(good, k, fake)]), custom.InvalidAccountOwner)
    landed(t.send([good]))


# ------------------------------------------------------------------------------------------------
# minimum fill


def test_min_fill_boundary(t: Trading) -> None:
    a, b = t.add_user(), t.add_user()
    landed(t.place(a, ASK, 100 * P, B))
    expect_error(t.place(b, BID, 100 * P, 2 * B, IOC, min_fill_base=B + MIN_SIZE), custom.MinFillNotMet)
    expect_error(t.place(b, BID, 100 * P, 2 * B, MARKET, min_fill_base=B + MIN_SIZE), custom.MinFillNotMet)
    assert t.position(b) is None and t.asks()[0].base_amount == B
    out = landed(t.place(b, BID, 100 * P, 2 * B, IOC, min_fill_base=B))  # exactly the fill
    assert the(out, "FillEvent").base_amount == B and t.position(b).base_amount == B


def test_min_fill_of_a_limit_order_then_rests_the_rest(t: Trading) -> None:
    a, b = t.add_user(), t.add_user()
    landed(t.place(a, ASK, 100 * P, B))
    landed(t.place(b, BID, 100 * P, 3 * B, min_fill_base=B))
    assert t.position(b).base_amount == B and [(o.owner, o.base_amount) for o in t.bids()] == [(b.address, 2 * B)]
    expect_error(t.place(b, BID, 99 * P, B, POST_ONLY, min_fill_base=MIN_SIZE), custom.MinFillOnPostOnly)
    bad = _patched(t.place_ix(b, BID, 99 * P, B, POST_ONLY), OFF_MIN_FILL, (1).to_bytes(8, "little"))
    expect_error(t.send([bad], [b.keypair]), custom.MinFillOnPostOnly)


def test_min_fill_counts_the_reduce_only_clip(t: Trading) -> None:
    a, b, c = t.add_user(), t.add_user(), t.add_user()
    landed(t.place(a, ASK, 100 * P, B))
    landed(t.place(b, BID, 100 * P, B, IOC))  # b long 1
    landed(t.place(c, BID, 100 * P, 3 * B))
    # reduce-only: at most the 1 base held sells, so a minimum of 2 cannot be met
    expect_error(t.place(b, ASK, 100 * P, 3 * B, IOC, reduce_only=True, min_fill_base=2 * B), custom.MinFillNotMet)
    landed(t.place(b, ASK, 100 * P, 3 * B, IOC, reduce_only=True, min_fill_base=B))
    assert t.position(b).base_amount == 0


def test_expired_orders_do_not_count_toward_a_min_fill_and_stay_on_failure(t: Trading) -> None:
    a, b = t.add_user(), t.add_user()
    s = slot(t) + 1
    landed(t.place(a, ASK, 100 * P, B, expiry_slot=s))
    t.svm.warp(s + 1)
    # the removal of the expired ask is rolled back with the order (Trading.send checks no account changed)
    expect_error(t.place(b, BID, 100 * P, B, IOC, min_fill_base=MIN_SIZE), custom.MinFillNotMet)
    assert [o.owner for o in t.asks()] == [a.address] and t.queue().count == 0


def test_two_legs_on_two_markets_fill_together_or_not_at_all(exchange: LocalExchange) -> None:
    """An arbitrage's legs in one transaction: when the second cannot fill, the first is rolled back."""
    t = Trading(exchange, markets=2)
    a, b = t.add_user(), t.add_user()
    landed(t.place(a, ASK, 100 * P, B, market=0))
    both = [exchange.market_address(0), exchange.market_address(1)]

    def legs() -> list[Any]:
        return [t.place_ix(b, BID, 100 * P, B, IOC, market=0, min_fill_base=B, other_markets=both[1:]),
                t.place_ix(b, ASK, 100 * P, B, IOC, market=1, min_fill_base=B, other_markets=both[:1])]

    keys = [m.pubkey for i in legs() for m in i.accounts]
    before = {k: t._data(k) for k in keys}
    expect_error(t.send(legs(), [b.keypair]), custom.MinFillNotMet)  # nothing bids in market 1
    assert {k: t._data(k) for k in keys} == before
    assert t.position(b) is None and t.asks(0)[0].base_amount == B and t.queue(0).count == 0
    landed(t.place(a, BID, 100 * P, B, market=1))
    out = landed(t.send(legs(), [b.keypair]))
    assert [e.market_index for n, e in events(out) if n == "FillEvent"] == [0, 1]
    assert (t.position(b, 0).base_amount, t.position(b, 1).base_amount) == (B, -B)


def test_the_expiry_slot_travels_in_the_instruction_data(t: Trading) -> None:
    a = t.add_user()
    good = t.place_ix(a, BID, 99 * P, B, expiry_slot=slot(t) + 10, min_fill_base=0)
    assert int.from_bytes(bytes(good.data)[OFF_EXPIRY:OFF_EXPIRY + 8], "little") == slot(t) + 10
    landed(t.send([good], [a.keypair]))


# ------------------------------------------------------------------------------------------------
# the mark premium


def test_expired_quotes_do_not_move_the_premium(exchange: LocalExchange) -> None:
    """A crank samples the book mid over the index; quotes that expired are no longer in it. The keeper's
    mirror (keepers/exchange/mark.py) predicts both cranks."""
    index, feed = priced_market(exchange, 100 * P)
    maker = exchange.add_user(tokens=1_000 * QUOTE, deposit=1_000 * QUOTE)
    svm = exchange.svm
    e = svm.clock().slot + 2
    quotes = [ix.place_order(maker.authority, maker.address, index, ix.order_args(s_, price, B, expiry_slot=e))
              for s_, price in ((BID, 100_400_000), (ASK, 100_800_000))]
    svm.send_ok(quotes, [maker.keypair])
    let_orders_rest(exchange, index)  # slot e - 1
    window = default_market_params().funding_period_secs

    def crank_and_check() -> Any:
        before = market(exchange, index)
        book = svm.decode(Orderbook, before.orderbook)
        c = svm.clock()
        predicted = next_mark(before, book, 100 * P, c.unix_timestamp, c.slot)
        assert crank(exchange, index, feed).ok
        after = market(exchange, index)
        assert after.mark_price == predicted
        return after

    advance(svm, 60)  # slot e: the quotes are live, mid 100.60 over an index of 100
    feed.set(100 * P)
    ema = crank_and_check().premium_ema
    assert ema == 600_000 * 60 // window
    advance(svm, 60)  # slot e + 1: expired, the sample is 0
    feed.set(100 * P)
    assert crank_and_check().premium_ema == ema + (0 - ema) * 60 // window
    assert svm.decode(Orderbook, market(exchange, index).orderbook).bid_count == 1  # still resting until pruned
