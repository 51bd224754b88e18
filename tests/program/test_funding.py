"""update_funding, and funding reaching positions through settle_funding, settle_pnl and trades.

Expected values come from the formulas (programs/perp/funding.c, positions.c), computed here:

    rate = clamp(mark TWAP - index TWAP, +-floor(index TWAP * max rate bps / 1e4)) * 1000
    cumulative long += rate, cumulative short += rate, once per period on the grid that starts at
    market creation (a late crank does not shift it)
    a position owes floor(-base * (cumulative - snapshot) / 1e12), rounded against the user

TWAPs come from ``PriceModel`` (oracle_accounts.py); positions from keepers.exchange.margin's mirror.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from keepers.exchange import instructions as ix
from keepers.exchange.margin import BID as M_BID
from keepers.exchange.margin import MarketState, Position, apply_fill, fill_quote, pending_funding
from localnet.bootstrap import LocalExchange, LocalUser, default_market_params
from programs_client.perp.constants import BASE_PRECISION as BASE, BPS, FUNDING_PRECISION, PRICE_PRECISION as PRICE, QUOTE_PRECISION as QUOTE
from programs_client.perp.errors import custom
from programs_client.perp.types import market_status, side
from tests.program.helpers import events, expect_error, single_event
from tests.program.oracle_accounts import (
    PriceModel,
    PythFeed,
    advance,
    crank,
    let_orders_rest,
    market,
    priced_market,
    rest,
    take,
    trade,
    user,
)

PARAMS = default_market_params()
W = PARAMS.funding_period_secs
STALENESS = PARAMS.oracle_max_staleness_slots
SIZE = 1_237_000_000  # 1.237 base: funding on it does not divide evenly


def funding_rate(
    mark_twap: int, index_twap: int, max_bps: int = PARAMS.max_funding_rate_bps
) -> int:
    cap = index_twap * max_bps // BPS
    return max(-cap, min(cap, mark_twap - index_twap)) * 1000


def owed(base: int, delta: int) -> int:
    """Funding of a position as PnL: floor(-base * delta / 1e12)."""
    return -base * delta // FUNDING_PRECISION


@dataclass
class Scenario:
    exchange: LocalExchange
    index: int
    feed: PythFeed
    t0: int
    model: PriceModel
    long: LocalUser
    short: LocalUser
    mm: LocalUser
    bid: int
    ask: int

    def at(self, offset: int, price: int | None = None) -> None:
        """Move to t0 + offset (one slot on) and crank prices (at ``price`` or the model's index)."""
        svm = self.exchange.svm
        c = svm.clock()
        svm.warp(c.slot + 1, self.t0 + offset)
        price = price or self.model.index
        self.feed.set(price)
        out = crank(self.exchange, self.index, self.feed)
        assert out.ok, out.logs
        self.model = self.model.update(price, self.t0 + offset, self.bid, self.ask)
        self.model.assert_market(market(self.exchange, self.index))

    def requote(self, bid: int, ask: int) -> None:
        ex = self.exchange
        ex.svm.send_ok(
            [ix.cancel_all_orders(self.mm.authority, self.mm.address, self.index)],
            [self.mm.keypair],
        )
        assert rest(ex, self.mm, self.index, side.Bid(), bid, BASE).ok
        assert rest(ex, self.mm, self.index, side.Ask(), ask, BASE).ok
        self.bid, self.ask = bid, ask
        let_orders_rest(ex, self.index)
        self.model.assert_market(market(ex, self.index))

    def fund(self):
        out = self.exchange.svm.send([ix.update_funding(self.index)])
        assert out.ok, out.logs
        return out

    def state(self, u: LocalUser) -> Position:
        p = [
            q
            for q in user(self.exchange, u).positions
            if q.market_index == self.index and q.base_amount != 0
        ]
        assert len(p) == 1
        return Position.from_account(p[0])

    def market_state(self) -> MarketState:
        return MarketState.from_account(market(self.exchange, self.index))


def scenario(
    exchange: LocalExchange,
    bid: int = 100_400_000,
    ask: int = 100_800_000,
    size: int = SIZE,
    index_price: int = 100 * PRICE,
) -> Scenario:
    """A priced market, ``long`` bought ``size`` from ``short`` at 100, ``mm`` quotes bid / ask."""
    index, feed = priced_market(exchange, index_price)
    t0 = market(exchange, index).last_funding_ts
    assert exchange.svm.clock().unix_timestamp == t0
    model = PriceModel().update(index_price, t0)
    long_, short = (
        exchange.add_user(deposit=1_000 * QUOTE),
        exchange.add_user(deposit=1_000 * QUOTE),
    )
    mm = exchange.add_user(deposit=10_000 * QUOTE)
    trade(exchange, short, long_, index, side.Bid(), 100 * PRICE, size)
    sc = Scenario(exchange, index, feed, t0, model, long_, short, mm, bid, ask)
    sc.requote(bid, ask)
    return sc


# ------------------------------------------------------------------------------------------------
# update_funding: timing and preconditions


def test_funding_waits_for_a_full_period_since_market_creation(exchange: LocalExchange) -> None:
    sc = scenario(exchange)
    expect_error(exchange.svm.send([ix.update_funding(sc.index)]), custom.FundingTooEarly)
    sc.at(W - 1)
    before = market(exchange, sc.index)
    expect_error(exchange.svm.send([ix.update_funding(sc.index)]), custom.FundingTooEarly)
    assert market(exchange, sc.index) == before
    sc.at(W)
    sc.fund()
    m = market(exchange, sc.index)
    assert m.last_funding_ts == sc.t0 + W
    expect_error(exchange.svm.send([ix.update_funding(sc.index)]), custom.FundingTooEarly)


def test_funding_needs_a_price(exchange: LocalExchange) -> None:
    feed = PythFeed(exchange.svm)
    index = exchange.add_market("NOPRICE-PERP", oracle=feed.config())
    advance(exchange.svm, W)
    expect_error(exchange.svm.send([ix.update_funding(index)]), custom.OracleUnavailable)


def test_funding_refuses_prices_older_than_the_staleness_limit(exchange: LocalExchange) -> None:
    svm = exchange.svm
    a, _fa = priced_market(exchange, 100 * PRICE)
    b, fb = priced_market(exchange, 100 * PRICE)
    slot = svm.clock().slot
    assert (
        market(exchange, a).last_price_update_slot
        == market(exchange, b).last_price_update_slot
        == slot
    )
    c = svm.clock()
    svm.warp(slot + STALENESS, c.unix_timestamp + W)
    svm.send_ok([ix.update_funding(a)])  # exactly the limit: accepted
    svm.warp(slot + STALENESS + 1, c.unix_timestamp + W)
    before = market(exchange, b)
    expect_error(svm.send([ix.update_funding(b)]), custom.PricesStale)
    assert market(exchange, b) == before
    fb.set(100 * PRICE)
    assert crank(exchange, b, fb).ok
    svm.send_ok([ix.update_funding(b)])


@pytest.mark.parametrize(
    "status, err",
    [
        (market_status.Paused(), custom.MarketNotTradable),
        (market_status.ReduceOnly(), None),
    ],
)
def test_funding_by_market_status(
    exchange: LocalExchange, status: market_status.MarketStatusKind, err: type | None
) -> None:
    index, feed = priced_market(exchange, 100 * PRICE)
    exchange.svm.send_ok(
        [ix.set_market_status(exchange.admin.pubkey(), index, status)], [exchange.admin]
    )
    advance(exchange.svm, W)
    feed.set(100 * PRICE)
    assert crank(exchange, index, feed).ok
    out = exchange.svm.send([ix.update_funding(index)])
    if err is None:
        assert out.ok, out.logs
    else:
        expect_error(out, err)


# ------------------------------------------------------------------------------------------------
# update_funding: rate, cumulative sums, event, grid


def test_rate_and_cumulative_funding_over_two_periods(exchange: LocalExchange) -> None:
    sc = scenario(exchange, bid=100_400_000, ask=100_800_000)
    sc.at(1_000)
    sc.at(2_500, 100_050_000)
    sc.at(W, 99_970_000)
    r1 = funding_rate(sc.model.mark_twap, sc.model.index_twap)
    cap1 = sc.model.index_twap * PARAMS.max_funding_rate_bps // BPS
    assert 0 < r1 < cap1 * 1000, "an unclamped positive rate"
    out = sc.fund()
    ev = single_event(out, "FundingUpdated")
    m = market(exchange, sc.index)
    assert (
        m.cumulative_funding_long,
        m.cumulative_funding_short,
        m.last_funding_rate,
        m.last_funding_ts,
    ) == (r1, r1, r1, sc.t0 + W)
    assert ev.market == exchange.market_address(sc.index)
    assert (ev.funding_rate, ev.cumulative_funding_long, ev.cumulative_funding_short) == (
        r1,
        r1,
        r1,
    )
    assert (ev.mark_twap, ev.index_twap, ev.ts, ev.market_index) == (
        sc.model.mark_twap,
        sc.model.index_twap,
        sc.t0 + W,
        sc.index,
    )
    # funding does not touch the prices
    sc.model.assert_market(m)

    sc.requote(99_000_000, 99_300_000)  # the book below the index: a negative premium
    sc.at(W + 1_400)
    sc.at(W + 2_900, 100_010_000)
    sc.at(2 * W)
    r2 = funding_rate(sc.model.mark_twap, sc.model.index_twap)
    cap2 = sc.model.index_twap * PARAMS.max_funding_rate_bps // BPS
    assert -cap2 * 1000 < r2 < 0, "an unclamped negative rate"
    ev = single_event(sc.fund(), "FundingUpdated")
    m = market(exchange, sc.index)
    assert (
        m.cumulative_funding_long,
        m.cumulative_funding_short,
        m.last_funding_rate,
        m.last_funding_ts,
    ) == (
        r1 + r2,
        r1 + r2,
        r2,
        sc.t0 + 2 * W,
    )
    assert (ev.funding_rate, ev.cumulative_funding_long, ev.cumulative_funding_short, ev.ts) == (
        r2,
        r1 + r2,
        r1 + r2,
        sc.t0 + 2 * W,
    )


def test_zero_premium_gives_zero_rate(exchange: LocalExchange) -> None:
    index, feed = priced_market(exchange, 100 * PRICE)
    advance(exchange.svm, W)
    feed.set(103 * PRICE)
    assert crank(exchange, index, feed).ok
    m = market(exchange, index)
    assert m.mark_twap == m.index_twap == 103 * PRICE  # no book: the mark is the index
    ev = single_event(exchange.svm.send_ok([ix.update_funding(index)]), "FundingUpdated")
    assert ev.funding_rate == 0 and market(exchange, index).cumulative_funding_long == 0


@pytest.mark.parametrize("direction", [1, -1])
def test_rate_is_clamped_to_the_maximum_both_ways(exchange: LocalExchange, direction: int) -> None:
    index_price = 100_123_457
    bid, ask = (105 * PRICE, 106 * PRICE) if direction > 0 else (94 * PRICE, 95 * PRICE)
    sc = scenario(exchange, bid=bid, ask=ask, index_price=index_price)
    sc.at(W // 2)
    sc.at(W)
    premium = sc.model.mark_twap - sc.model.index_twap
    cap = sc.model.index_twap * PARAMS.max_funding_rate_bps // BPS
    assert abs(premium) > cap and sc.model.index_twap * PARAMS.max_funding_rate_bps % 10_000 != 0
    ev = single_event(sc.fund(), "FundingUpdated")
    assert (
        ev.funding_rate
        == direction * cap * 1000
        == funding_rate(sc.model.mark_twap, sc.model.index_twap)
    )
    m = market(exchange, sc.index)
    assert m.cumulative_funding_long == m.cumulative_funding_short == direction * cap * 1000


def test_late_cranks_keep_the_period_grid(exchange: LocalExchange) -> None:
    sc = scenario(exchange)
    sc.at(W + 1_000)  # 1000 s late
    r1 = funding_rate(sc.model.mark_twap, sc.model.index_twap)
    ev = single_event(sc.fund(), "FundingUpdated")
    assert ev.ts == sc.t0 + W + 1_000
    assert market(exchange, sc.index).last_funding_ts == sc.t0 + W  # the grid, not the crank time
    sc.at(2 * W - 1)
    expect_error(exchange.svm.send([ix.update_funding(sc.index)]), custom.FundingTooEarly)
    sc.at(2 * W)
    r2 = funding_rate(sc.model.mark_twap, sc.model.index_twap)
    sc.fund()
    assert market(exchange, sc.index).last_funding_ts == sc.t0 + 2 * W
    # 2.9 periods late: one funding (not three), and the next is due at the next grid point
    sc.at(4 * W + 3_300)
    r3 = funding_rate(sc.model.mark_twap, sc.model.index_twap)
    sc.fund()
    m = market(exchange, sc.index)
    assert m.last_funding_ts == sc.t0 + 4 * W
    assert m.cumulative_funding_long == m.cumulative_funding_short == r1 + r2 + r3
    sc.at(5 * W - 1)
    expect_error(exchange.svm.send([ix.update_funding(sc.index)]), custom.FundingTooEarly)
    sc.at(5 * W)
    sc.fund()
    assert market(exchange, sc.index).last_funding_ts == sc.t0 + 5 * W


# ------------------------------------------------------------------------------------------------
# funding into positions


def positive_funding(exchange: LocalExchange) -> tuple[Scenario, int]:
    sc = scenario(exchange)
    sc.at(1_111)
    sc.at(W, 100_020_000)
    rate = funding_rate(sc.model.mark_twap, sc.model.index_twap)
    assert rate > 0
    sc.fund()
    return sc, rate


def negative_funding(exchange: LocalExchange) -> tuple[Scenario, int]:
    sc = scenario(exchange, bid=99_100_000, ask=99_500_000)
    sc.at(1_111)
    sc.at(W, 99_980_000)
    rate = funding_rate(sc.model.mark_twap, sc.model.index_twap)
    assert rate < 0
    sc.fund()
    return sc, rate


@pytest.mark.parametrize(
    "make", [positive_funding, negative_funding], ids=["longs pay", "shorts pay"]
)
def test_settle_funding_moves_funding_into_unsettled_pnl_against_the_user(
    exchange: LocalExchange, make
) -> None:
    sc, rate = make(exchange)
    long_before, short_before = sc.state(sc.long), sc.state(sc.short)
    assert long_before.last_cumulative_funding == short_before.last_cumulative_funding == 0
    exact = SIZE * rate
    assert exact % FUNDING_PRECISION != 0, "the scenario must exercise rounding"
    long_owes, short_owes = owed(SIZE, rate), owed(-SIZE, rate)
    # rounded against both: the payer pays the ceiling, the receiver gets the floor
    assert long_owes + short_owes == -1
    assert (long_owes < 0) == (rate > 0) and (short_owes > 0) == (rate > 0)
    ms = sc.market_state()
    assert (pending_funding(long_before, ms), pending_funding(short_before, ms)) == (
        long_owes,
        short_owes,
    )

    market_addr = exchange.market_address(sc.index)
    for u, before, amount in (
        (sc.long, long_before, long_owes),
        (sc.short, short_before, short_owes),
    ):
        out = exchange.svm.send_ok([ix.settle_funding(u.address, [market_addr])])
        assert events(out) == []
        after = sc.state(u)
        assert after.unsettled_pnl == before.unsettled_pnl + amount
        assert after.last_cumulative_funding == rate
        assert (after.base_amount, after.quote_entry_amount) == (
            before.base_amount,
            before.quote_entry_amount,
        )
        # settling again changes nothing
        exchange.svm.send_ok([ix.settle_funding(u.address, [market_addr])])
        assert sc.state(u) == after
        assert user(exchange, u).collateral == 1_000 * QUOTE


def test_settle_pnl_settles_funding_first(exchange: LocalExchange) -> None:
    sc, rate = positive_funding(exchange)
    pool_before = market(exchange, sc.index).pnl_pool
    long_pos, short_pos = sc.state(sc.long), sc.state(sc.short)
    # long: taker fee plus funding paid leave collateral for the pool
    long_pnl = long_pos.unsettled_pnl + owed(SIZE, rate)
    assert long_pnl < 0
    ev = single_event(
        exchange.svm.send_ok([ix.settle_pnl(sc.long.address, sc.index)]), "PnlSettled"
    )
    assert (ev.amount, ev.collateral_after, ev.pnl_pool_after, ev.unsettled_after) == (
        long_pnl,
        1_000 * QUOTE + long_pnl,
        pool_before - long_pnl,
        0,
    )
    after = sc.state(sc.long)
    assert (after.unsettled_pnl, after.last_cumulative_funding) == (0, rate)
    # short: maker rebate plus funding received, paid from the pool
    short_pnl = short_pos.unsettled_pnl + owed(-SIZE, rate)
    assert 0 < short_pnl <= pool_before - long_pnl
    ev = single_event(
        exchange.svm.send_ok([ix.settle_pnl(sc.short.address, sc.index)]), "PnlSettled"
    )
    assert (ev.amount, ev.collateral_after, ev.pnl_pool_after, ev.unsettled_after) == (
        short_pnl,
        1_000 * QUOTE + short_pnl,
        pool_before - long_pnl - short_pnl,
        0,
    )
    assert sc.state(sc.short).last_cumulative_funding == rate


@pytest.mark.parametrize(
    "make", [positive_funding, negative_funding], ids=["longs pay", "shorts pay"]
)
def test_a_trade_settles_funding_before_changing_the_position(
    exchange: LocalExchange, make
) -> None:
    sc, rate = make(exchange)
    ms = sc.market_state()
    # the long sells 1 of its 1.237 base into mm's bid: funding is settled first, at the long sum
    long_before = sc.state(sc.long)
    out = take(exchange, sc.long, sc.index, side.Ask(), sc.bid, 1 * BASE)
    assert out.ok, out.logs
    quote = fill_quote(BASE, sc.bid, 1)
    fee = -(-quote * PARAMS.taker_fee_bps // BPS)
    want, _ = apply_fill(long_before, ms, 1, BASE, quote)
    want = replace(want, unsettled_pnl=want.unsettled_pnl - fee)
    got = sc.state(sc.long)
    assert got == want
    without_funding, _ = apply_fill(
        replace(long_before, last_cumulative_funding=rate), ms, 1, BASE, quote
    )
    assert got.unsettled_pnl - (without_funding.unsettled_pnl - fee) == owed(SIZE, rate)
    assert got.last_cumulative_funding == rate
    # the short buys back 0.5 at mm's ask: funding settled into its PnL, the snapshot moved
    short_before = sc.state(sc.short)
    out = take(exchange, sc.short, sc.index, side.Bid(), sc.ask, BASE // 2)
    assert out.ok, out.logs
    quote = fill_quote(BASE // 2, sc.ask, M_BID)
    fee = -(-quote * PARAMS.taker_fee_bps // BPS)
    want, _ = apply_fill(short_before, ms, M_BID, BASE // 2, quote)
    assert sc.state(sc.short) == replace(want, unsettled_pnl=want.unsettled_pnl - fee)
    without_funding, _ = apply_fill(
        replace(short_before, last_cumulative_funding=rate), ms, M_BID, BASE // 2, quote
    )
    assert sc.state(sc.short).unsettled_pnl - (without_funding.unsettled_pnl - fee) == owed(
        -SIZE, rate
    )
    assert sc.state(sc.short).last_cumulative_funding == rate


def test_a_position_flip_settles_at_the_old_side_and_snapshots_the_new(
    exchange: LocalExchange,
) -> None:
    sc, rate = positive_funding(exchange)
    ms = sc.market_state()
    long_before = sc.state(sc.long)
    bigger = 2 * BASE
    assert rest(exchange, sc.mm, sc.index, side.Bid(), sc.bid, bigger).ok  # depth for the flip
    out = take(exchange, sc.long, sc.index, side.Ask(), sc.bid, bigger)
    assert out.ok, out.logs
    # mm's first bid (1 base) and the new one (2 base) at the same price: two fills
    quotes = [fill_quote(BASE, sc.bid, 1), fill_quote(BASE, sc.bid, 1)]
    want = long_before
    for q in quotes:
        want, _ = apply_fill(want, ms, 1, BASE, q)
    fee = sum(-(-q * PARAMS.taker_fee_bps // BPS) for q in quotes)
    want = replace(want, unsettled_pnl=want.unsettled_pnl - fee)
    got = sc.state(sc.long)
    assert got == want
    assert got.base_amount == SIZE - bigger < 0 and got.last_cumulative_funding == rate


def test_positions_opened_after_a_funding_owe_nothing_for_it(exchange: LocalExchange) -> None:
    sc, rate = positive_funding(exchange)
    late = exchange.add_user(deposit=1_000 * QUOTE)
    out = take(exchange, late, sc.index, side.Bid(), sc.ask, BASE)
    assert out.ok, out.logs
    pos = sc.state(late)
    assert pos.last_cumulative_funding == rate
    before = pos.unsettled_pnl
    exchange.svm.send_ok([ix.settle_funding(late.address, [exchange.market_address(sc.index)])])
    assert sc.state(late).unsettled_pnl == before


def test_settle_funding_needs_the_market_of_every_position(exchange: LocalExchange) -> None:
    sc, _ = positive_funding(exchange)
    other, _ = priced_market(exchange, 50 * PRICE)
    before = user(exchange, sc.long)
    expect_error(
        exchange.svm.send([ix.settle_funding(sc.long.address, [])]), custom.MissingMarketAccount
    )
    expect_error(
        exchange.svm.send([ix.settle_funding(sc.long.address, [exchange.market_address(other)])]),
        custom.MissingMarketAccount,
    )
    assert user(exchange, sc.long) == before
    # any order, extra markets ignored
    exchange.svm.send_ok(
        [
            ix.settle_funding(
                sc.long.address, [exchange.market_address(other), exchange.market_address(sc.index)]
            )
        ]
    )
    # a user without positions needs no market
    nobody = exchange.add_user(deposit=QUOTE)
    exchange.svm.send_ok([ix.settle_funding(nobody.address, [])])
