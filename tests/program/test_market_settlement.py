"""settle_market and settle_expired_position (programs/perp/settlement.c), then settle_pnl pays out.

settle_market (admin): price in (0, i64 max], not twice, puts the market in Settlement, where trading,
price and funding cranks and liquidations stop (MarketNotTradable) and the admin status switch refuses
(InvalidStatusTransition). settle_expired_position (anyone): cancels the user's resting orders (their
reservations released, OrderCancelled each) and closes its position at the settlement price without a
fee: pending funding first, then a long sells for floor(base * price / 1e9), a short buys back for
ceil(|base| * price / 1e9), so

    realised = funding + quote entry + cash of the close      (rounded against the user)

Open interest drops by each closed position and reaches 0 once every position is settled; settle_pnl then
pays every PnL in full and the PnL pool keeps the fee pool plus the funding rounding (the market's quote
ledger, see test_bankruptcy.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from keepers.exchange import instructions as ix
from localnet.bootstrap import LocalExchange, LocalUser
from programs_client.perp.accounts import EventQueue, Orderbook
from programs_client.perp.constants import BASE_PRECISION as BASE, PRICE_PRECISION as PRICE, QUOTE_PRECISION as QUOTE
from programs_client.perp.errors import custom
from programs_client.perp.types import market_status, side
from tests.program.helpers import enum_name, events, expect_error, single_event
from tests.program.oracle_accounts import (
    PythFeed,
    crank,
    let_orders_rest,
    market,
    priced_market,
    rest,
    take,
    trade,
    user,
)
from tests.program.tamper import with_account
from tests.program.test_bankruptcy import (
    FUNDING_PRECISION,
    conserved,
    ledger,
    owed,
    position,
    resolve_and_check,
    settle_all,
    slot,
    slot_of,
)

SETTLEMENT_PRICE = 97_333_333  # not on the tick grid: the admin names any price
I64_MAX = 2**63 - 1
SE_BOOK = 2  # settle_expired_position account index of the order book


def settle_market(exchange: LocalExchange, index: int, price: int, signer=None):
    signer = signer or exchange.admin
    return exchange.svm.send(
        [ix.settle_market(signer.pubkey(), index, price, exchange.program_id)], [signer]
    )


def expire(exchange: LocalExchange, u: LocalUser, index: int):
    return exchange.svm.send([ix.settle_expired_position(u.address, index, exchange.program_id)])


def ceil_div(a: int, d: int) -> int:
    return -(-a // d)


@dataclass
class Scenario:
    index: int
    feed: PythFeed
    a: LocalUser  # long 1.237 (taker), resting bid
    b: LocalUser  # short 1.237 (maker)
    c: LocalUser  # short 2.001 (taker)
    d: LocalUser  # long 2.001 (maker), resting ask
    orders: dict[bytes, int]  # resting order id per user


def order_id(out) -> int:
    return next(d.order_id for n, d in events(out) if n == "OrderPlaced")


def scenario(exchange: LocalExchange, funding: bool = True) -> Scenario:
    index, feed = priced_market(exchange, 100 * PRICE)
    a, b, c, d = (exchange.add_user(deposit=2_000 * QUOTE) for _ in range(4))
    trade(exchange, b, a, index, side.Bid(), 100 * PRICE + 10_000, 1_237_000_000)
    trade(exchange, d, c, index, side.Ask(), 99_990_000, 2_001_000_000)
    out_a = rest(exchange, a, index, side.Bid(), 100_400_000, BASE)
    out_d = rest(exchange, d, index, side.Ask(), 100_800_000, 300_000_000)
    assert out_a.ok and out_d.ok
    if funding:
        let_orders_rest(exchange, index)
        # the resting quotes sit above the index for a period: positive funding, longs pay
        svm = exchange.svm
        c_ = svm.clock()
        svm.warp(
            c_.slot + 1,
            market(exchange, index).last_funding_ts
            + market(exchange, index).params.funding_period_secs,
        )
        feed.set(100 * PRICE)
        assert crank(exchange, index, feed).ok
        svm.send_ok([ix.update_funding(index)])
        m = market(exchange, index)
        assert m.cumulative_funding_long == m.cumulative_funding_short > 0
    return Scenario(
        index,
        feed,
        a,
        b,
        c,
        d,
        {bytes(a.address): order_id(out_a), bytes(d.address): order_id(out_d)},
    )


def expire_and_check(exchange: LocalExchange, u: LocalUser, index: int) -> int:
    """settle_expired_position checked against the formulas; returns the realised PnL."""
    m0 = market(exchange, index)
    i = slot_of(exchange, u, index)
    pos = slot(exchange, u, i)
    book0 = exchange.svm.decode(Orderbook, m0.orderbook)
    mine = [
        (o.order_id, o.base_amount, s)
        for s, orders, n in (
            ("Bid", book0.bids, book0.bid_count),
            ("Ask", book0.asks, book0.ask_count),
        )
        for o in reversed(orders[:n])
        if o.owner == u.address
    ]
    base, sp = pos.base_amount, m0.settlement_price
    cum = m0.cumulative_funding_long if base >= 0 else m0.cumulative_funding_short
    funding = owed(base, cum - pos.last_cumulative_funding) if base else 0
    if base > 0:
        cash = base * sp // BASE
    elif base < 0:
        cash = -ceil_div(-base * sp, BASE)
    else:
        cash = 0
    realised = funding + (pos.quote_entry_amount + cash if base else 0)
    queued_bids = pos.open_bids - sum(n for _, n, s in mine if s == "Bid")
    queued_asks = pos.open_asks - sum(n for _, n, s in mine if s == "Ask")
    want = replace(
        pos,
        base_amount=0,
        quote_entry_amount=0 if base else pos.quote_entry_amount,
        unsettled_pnl=pos.unsettled_pnl + realised,
        last_cumulative_funding=cum
        if base
        else pos.last_cumulative_funding,  # funding settled at its side
        open_bids=queued_bids,
        open_asks=queued_asks,
        open_orders=pos.open_orders - len(mine),
    )
    collateral = user(exchange, u).collateral
    ledger0 = ledger(exchange, index)

    out = expire(exchange, u, index)
    assert out.ok, "\n".join(out.logs)

    assert slot(exchange, u, i) == want
    assert user(exchange, u).collateral == collateral
    m = market(exchange, index)
    assert (m.fee_pool, m.pnl_pool) == (m0.fee_pool, m0.pnl_pool)  # no fee, no token
    assert (m.open_interest_long, m.open_interest_short) == (
        m0.open_interest_long - max(base, 0),
        m0.open_interest_short - max(-base, 0),
    )
    book = exchange.svm.decode(Orderbook, m.orderbook)
    assert all(
        o.owner != u.address for o in book.bids[: book.bid_count] + book.asks[: book.ask_count]
    )
    assert (book.bid_count, book.ask_count) == (
        book0.bid_count - sum(1 for *_, s in mine if s == "Bid"),
        book0.ask_count - sum(1 for *_, s in mine if s == "Ask"),
    )
    evs = events(out)
    assert [n for n, _ in evs] == ["OrderCancelled"] * len(mine) + ["PositionSettled"]
    for (oid, n, s), (_, ev) in zip(mine, evs):
        assert (ev.user, ev.order_id, ev.base_amount, ev.market_index, enum_name(ev.side)) == (
            u.address,
            oid,
            n,
            index,
            s,
        )
    ev = evs[-1][1]
    assert (ev.user, ev.base_amount, ev.settlement_price, ev.realised_pnl, ev.market_index) == (
        u.address,
        base,
        sp,
        realised,
        index,
    )
    # unsettled PnL + entries move by the funding and the close's cash; the rounding of the cash stays in
    # the PnL pool (outside the fee pool)
    assert ledger(exchange, index) == ledger0 - funding - cash
    conserved(exchange)
    return realised


# ------------------------------------------------------------------------------------------------
# settle_market


def test_settle_market_puts_the_market_in_settlement(exchange: LocalExchange) -> None:
    s = scenario(exchange, funding=False)
    m0 = market(exchange, s.index)
    out = settle_market(exchange, s.index, SETTLEMENT_PRICE)
    assert out.ok, out.logs
    m = market(exchange, s.index)
    assert enum_name(m.status) == "Settlement" and m.settlement_price == SETTLEMENT_PRICE
    assert replace(m, status=m0.status, settlement_price=0) == m0  # nothing else changes
    ev = single_event(out, "MarketSettled")
    assert (ev.market, ev.settlement_price, ev.open_interest, ev.slot, ev.market_index) == (
        exchange.market_address(s.index),
        SETTLEMENT_PRICE,
        m0.open_interest_long,
        exchange.svm.clock().slot,
        s.index,
    )
    assert m0.open_interest_long == 1_237_000_000 + 2_001_000_000


def test_settle_market_refusals(exchange: LocalExchange) -> None:
    index, _ = priced_market(exchange, 100 * PRICE)
    mallory = exchange.svm.funded_keypair(1)
    before = market(exchange, index)
    expect_error(
        settle_market(exchange, index, SETTLEMENT_PRICE, signer=mallory), custom.Unauthorized
    )
    unsigned = with_account(
        ix.settle_market(exchange.admin.pubkey(), index, SETTLEMENT_PRICE, exchange.program_id),
        0,
        is_signer=False,
    )
    expect_error(exchange.svm.send([unsigned]), custom.MissingSigner)
    for bad in (0, I64_MAX + 1, 2**64 - 1):
        expect_error(settle_market(exchange, index, bad), custom.InvalidInstructionData)
    assert market(exchange, index) == before
    assert settle_market(exchange, index, I64_MAX).ok
    expect_error(settle_market(exchange, index, SETTLEMENT_PRICE), custom.InvalidStatusTransition)
    assert market(exchange, index).settlement_price == I64_MAX


@pytest.mark.parametrize("status", [market_status.ReduceOnly(), market_status.Paused()])
def test_settle_market_from_reduce_only_or_paused(exchange: LocalExchange, status) -> None:
    index, _ = priced_market(exchange, 100 * PRICE)
    exchange.svm.send_ok(
        [ix.set_market_status(exchange.admin.pubkey(), index, status)], [exchange.admin]
    )
    assert settle_market(exchange, index, SETTLEMENT_PRICE).ok
    assert enum_name(market(exchange, index).status) == "Settlement"


def test_a_settled_market_no_longer_trades(exchange: LocalExchange) -> None:
    s = scenario(exchange, funding=False)
    assert settle_market(exchange, s.index, SETTLEMENT_PRICE).ok
    before = market(exchange, s.index)
    expect_error(
        rest(exchange, s.b, s.index, side.Ask(), 101 * PRICE, BASE), custom.MarketNotTradable
    )
    expect_error(
        take(exchange, s.c, s.index, side.Bid(), 101 * PRICE, BASE), custom.MarketNotTradable
    )
    expect_error(
        take(exchange, s.a, s.index, side.Ask(), 99 * PRICE, BASE, reduce_only=True),
        custom.MarketNotTradable,
    )
    s.feed.set(100 * PRICE)
    expect_error(crank(exchange, s.index, s.feed), custom.MarketNotTradable)
    expect_error(exchange.svm.send([ix.update_funding(s.index)]), custom.MarketNotTradable)
    liq = exchange.add_user(deposit=5_000 * QUOTE)
    expect_error(
        exchange.svm.send(
            [ix.liquidate_perp(liq.authority, liq.address, s.a.address, s.index, BASE)],
            [liq.keypair],
        ),
        custom.MarketNotTradable,
    )
    for status in (market_status.Active(), market_status.ReduceOnly(), market_status.Paused()):
        expect_error(
            exchange.svm.send(
                [ix.set_market_status(exchange.admin.pubkey(), s.index, status)], [exchange.admin]
            ),
            custom.InvalidStatusTransition,
        )
    assert market(exchange, s.index) == before


# ------------------------------------------------------------------------------------------------
# settle_expired_position


def test_positions_wait_for_settlement(exchange: LocalExchange) -> None:
    s = scenario(exchange, funding=False)
    before = (user(exchange, s.a), market(exchange, s.index))
    expect_error(expire(exchange, s.a, s.index), custom.MarketNotInSettlement)
    assert (user(exchange, s.a), market(exchange, s.index)) == before


def test_every_position_closes_at_the_settlement_price_then_pnl_is_paid(
    exchange: LocalExchange,
) -> None:
    s = scenario(exchange)
    m0 = market(exchange, s.index)
    funding_dust = -sum(
        owed(
            position(exchange, u, s.index).base_amount,
            m0.cumulative_funding_long - position(exchange, u, s.index).last_cumulative_funding,
        )
        for u in (s.a, s.d)
    ) - sum(
        owed(
            position(exchange, u, s.index).base_amount,
            m0.cumulative_funding_short - position(exchange, u, s.index).last_cumulative_funding,
        )
        for u in (s.b, s.c)
    )
    assert funding_dust >= 0
    assert settle_market(exchange, s.index, SETTLEMENT_PRICE).ok
    # rounding against the user on both sides: these closes do not divide evenly
    assert (1_237_000_000 * SETTLEMENT_PRICE) % BASE and (2_001_000_000 * SETTLEMENT_PRICE) % BASE
    realised = {}
    for u in (s.a, s.b, s.c, s.d):
        realised[bytes(u.address)] = expire_and_check(exchange, u, s.index)
    m = market(exchange, s.index)
    assert (m.open_interest_long, m.open_interest_short) == (0, 0)
    book = exchange.svm.decode(Orderbook, m.orderbook)
    assert (book.bid_count, book.ask_count) == (0, 0)
    for u in (s.a, s.b, s.c, s.d):
        p = position(exchange, u, s.index)
        assert (p.base_amount, p.quote_entry_amount, p.open_bids, p.open_asks, p.open_orders) == (
            0,
            0,
            0,
            0,
            0,
        )
    # the longs lost 100.01 -> 97.33 and 99.99 -> 97.33 (plus funding), the shorts won as much, less rounding
    assert realised[bytes(s.a.address)] < 0 < realised[bytes(s.b.address)]
    assert realised[bytes(s.d.address)] < 0 < realised[bytes(s.c.address)]
    # the ledger keeps the funding rounding and the close's rounding: 1 unit per long/short pair here
    close_dust = (
        ceil_div(1_237_000_000 * SETTLEMENT_PRICE, BASE) - 1_237_000_000 * SETTLEMENT_PRICE // BASE
    )
    close_dust += (
        ceil_div(2_001_000_000 * SETTLEMENT_PRICE, BASE) - 2_001_000_000 * SETTLEMENT_PRICE // BASE
    )
    assert close_dust == 2
    assert ledger(exchange, s.index) == funding_dust + close_dust
    # settling again changes nothing
    before = user(exchange, s.a)
    out = expire(exchange, s.a, s.index)
    assert out.ok
    ev = single_event(out, "PositionSettled")
    assert (ev.base_amount, ev.realised_pnl) == (0, 0)
    assert user(exchange, s.a) == before
    # every PnL is paid in full; the pool keeps the fees and the funding rounding
    settle_all(exchange, s.index)
    for u in (s.a, s.b, s.c, s.d):
        assert position(exchange, u, s.index).unsettled_pnl == 0
    m = market(exchange, s.index)
    assert m.pnl_pool == m.fee_pool + funding_dust + close_dust
    # and everyone can take its collateral out
    for u in (s.a, s.b, s.c, s.d):
        amount = user(exchange, u).collateral
        exchange.svm.send_ok([ix.withdraw(u.authority, u.token_account, amount)], [u.keypair])
        assert user(exchange, u).collateral == 0
    conserved(exchange)
    assert exchange.svm.token_balance(exchange.collateral_vault) == m.pnl_pool


def test_exact_realised_pnl_without_funding(exchange: LocalExchange) -> None:
    s = scenario(exchange, funding=False)
    assert settle_market(exchange, s.index, SETTLEMENT_PRICE).ok
    # a: bought 1.237 at 100.01 (paid ceil = 123_712_370), sells at floor(1.237 * 97.333333) = 120_401_332
    assert position(exchange, s.a, s.index).quote_entry_amount == -123_712_370
    assert expire_and_check(exchange, s.a, s.index) == 120_401_332 - 123_712_370
    # b: sold 1.237 at 100.01 (received floor = 123_712_370), buys back at ceil(...) = 120_401_333
    assert position(exchange, s.b, s.index).quote_entry_amount == 123_712_370
    assert expire_and_check(exchange, s.b, s.index) == 123_712_370 - 120_401_333
    # c: sold 2.001 at 99.99 (floor 200_079_990), buys back at ceil(2.001 * 97.333333) = 194_764_000
    assert expire_and_check(exchange, s.c, s.index) == 200_079_990 - 194_764_000
    # d: bought 2.001 at 99.99 (ceil 200_079_990), sells at floor = 194_763_999
    assert expire_and_check(exchange, s.d, s.index) == 194_763_999 - 200_079_990
    # the close's rounding (1 unit per pair) stays in the PnL pool, outside the fee pool
    assert ledger(exchange, s.index) == 2


def test_resting_orders_are_cancelled_and_their_reservations_released(
    exchange: LocalExchange,
) -> None:
    s = scenario(exchange, funding=False)
    # a second order of a on the ask side, and an order of a user without a position
    out = rest(exchange, s.a, s.index, side.Ask(), 102 * PRICE, 2 * BASE)
    assert out.ok
    flat = exchange.add_user(deposit=1_000 * QUOTE)
    assert rest(exchange, flat, s.index, side.Bid(), 95 * PRICE, BASE).ok
    pos = position(exchange, s.a, s.index)
    assert (pos.open_bids, pos.open_asks, pos.open_orders) == (BASE, 2 * BASE, 2)
    assert settle_market(exchange, s.index, SETTLEMENT_PRICE).ok
    expire_and_check(exchange, s.a, s.index)
    expire_and_check(exchange, flat, s.index)
    p = position(exchange, flat, s.index)
    assert (p.base_amount, p.open_bids, p.open_asks, p.open_orders, p.unsettled_pnl) == (
        0,
        0,
        0,
        0,
        0,
    )
    # the cancelled orders are gone for good
    expect_error(
        exchange.svm.send(
            [ix.cancel_order(s.a.authority, s.a.address, s.index, order_id(out))], [s.a.keypair]
        ),
        custom.OrderNotFound,
    )


def test_a_fill_queued_at_settlement_is_applied_and_settled_later(exchange: LocalExchange) -> None:
    s = scenario(exchange, funding=False)
    maker = exchange.add_user(deposit=1_000 * QUOTE)
    taker = exchange.add_user(deposit=1_000 * QUOTE)
    assert rest(exchange, maker, s.index, side.Ask(), 100 * PRICE + 500_000, 2 * BASE).ok
    assert take(
        exchange, taker, s.index, side.Bid(), 100 * PRICE + 500_000, BASE
    ).ok  # queued for the maker
    assert exchange.svm.decode(EventQueue, market(exchange, s.index).event_queue).count == 1
    assert settle_market(exchange, s.index, SETTLEMENT_PRICE).ok
    for u in (s.a, s.b, s.c, s.d, taker):
        expire_and_check(exchange, u, s.index)
    # the maker: its resting rest is cancelled, the queued base keeps its reservation
    expire_and_check(exchange, maker, s.index)
    p = position(exchange, maker, s.index)
    assert (p.base_amount, p.open_asks, p.open_orders) == (0, BASE, 0)
    m = market(exchange, s.index)
    assert (m.open_interest_long, m.open_interest_short) == (0, 0)
    # the queued fill is applied: the maker is short 1 in the settled market, and settles it
    exchange.svm.send_ok([ix.consume_events(s.index, [maker.address], 8)])
    p = position(exchange, maker, s.index)
    assert (p.base_amount, p.open_asks) == (-BASE, 0)
    assert market(exchange, s.index).open_interest_short == BASE
    expire_and_check(exchange, maker, s.index)
    m = market(exchange, s.index)
    assert (m.open_interest_long, m.open_interest_short) == (0, 0)
    dust = ledger(exchange, s.index)
    assert 0 <= dust <= 3  # the close's rounding: at most a unit per position
    settle_all(exchange, s.index)
    for u in exchange.users:
        assert position(exchange, u, s.index).unsettled_pnl == 0


def test_foreign_order_book_is_refused(exchange: LocalExchange) -> None:
    s = scenario(exchange, funding=False)
    other, _ = priced_market(exchange, 100 * PRICE)
    assert settle_market(exchange, s.index, SETTLEMENT_PRICE).ok
    good = ix.settle_expired_position(s.a.address, s.index, exchange.program_id)
    foreign = (
        ix.settle_expired_position(s.a.address, other, exchange.program_id).accounts[SE_BOOK].pubkey
    )
    expect_error(
        exchange.svm.send([with_account(good, SE_BOOK, foreign)]), custom.MarketAccountMismatch
    )
    expire_and_check(exchange, s.a, s.index)


def test_a_loss_beyond_collateral_at_settlement_is_socialised_over_unsettled_positions(
    exchange: LocalExchange,
) -> None:
    """The settlement price bankrupts a thin long; once it is settled and resolved, the positions still
    open pay the socialised rest through the funding settle_expired_position settles first."""
    s = scenario(exchange, funding=False)
    thin = exchange.add_user(deposit=150 * QUOTE)
    mm = exchange.add_user(deposit=5_000 * QUOTE)
    trade(
        exchange, mm, thin, s.index, side.Bid(), 100_600_000, 10 * BASE
    )  # between a's bid and d's ask
    assert settle_market(exchange, s.index, 80 * PRICE).ok
    expire_and_check(exchange, thin, s.index)
    loss = -position(exchange, thin, s.index).unsettled_pnl
    assert loss > 150 * QUOTE
    got = resolve_and_check(exchange, thin, s.index)
    # the fee pool's unswept trading fees first, then socialised (no insurance)
    assert got["from_fees"] > 0 and got["socialised"] == loss - 150 * QUOTE - got["from_fees"] and got["left"] == 0
    oi = 2 * (1_237_000_000 + 2_001_000_000) + 10 * BASE  # thin's long is closed, mm's short is not
    assert got["delta"] == ceil_div(got["socialised"] * FUNDING_PRECISION, oi)
    paid = 0
    for u in (s.a, s.b, s.c, s.d, mm):
        base = position(exchange, u, s.index).base_amount
        before = position(exchange, u, s.index).unsettled_pnl
        realised = expire_and_check(exchange, u, s.index)
        paid += ceil_div(abs(base) * got["delta"], FUNDING_PRECISION)
        assert position(exchange, u, s.index).unsettled_pnl == before + realised
    assert got["socialised"] <= paid <= got["socialised"] + 5
    dust = ledger(exchange, s.index)
    assert (
        paid - got["socialised"] <= dust <= paid - got["socialised"] + 6
    )  # + the closes' rounding
    settle_all(exchange, s.index)
    for u in exchange.users:
        assert position(exchange, u, s.index).unsettled_pnl == 0
    m = market(exchange, s.index)
    assert m.pnl_pool == m.fee_pool + dust
