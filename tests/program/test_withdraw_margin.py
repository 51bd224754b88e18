"""withdraw with open positions: it must leave the user meeting initial margin over all its positions,
whose markets come as remaining accounts.

The largest allowed withdrawal is computed with keepers.exchange.margin.compute_margin (cross margin at each
mark, pending funding included) on the collateral after the withdrawal; one unit more must fail.
"""

from __future__ import annotations

from keepers.exchange import instructions as ix
from keepers.exchange.margin import MarketState, Position, compute_margin
from keepers.execution.results import Outcome
from localnet.bootstrap import LocalExchange, LocalUser, default_market_params
from programs_client.perp.constants import BASE_PRECISION as BASE, PRICE_PRECISION as PRICE, QUOTE_PRECISION as QUOTE
from programs_client.perp.errors import custom
from programs_client.perp.types import side
from tests.program.helpers import expect_error, single_event
from tests.program.oracle_accounts import crank, let_orders_rest, market, priced_market, rest, take, trade, user

PARAMS = default_market_params()


def ceil_div(a: int, d: int) -> int:
    return -(-a // d)


def taker_fee(quote: int) -> int:
    return ceil_div(quote * PARAMS.taker_fee_bps, 10_000)


def withdraw(exchange: LocalExchange, u: LocalUser, amount: int, markets: list[int]) -> Outcome:
    """withdraw, passing each of ``markets`` with its order book."""
    addrs = [exchange.market_address(i) for i in markets]
    books = [market(exchange, i).orderbook for i in markets]
    return exchange.svm.send(
        [
            ix.withdraw(
                u.authority, u.token_account, amount, program_id=exchange.program_id, markets=addrs,
                orderbooks=books,
            )
        ],
        [u.keypair],
    )


def withdrawable(exchange: LocalExchange, u: LocalUser) -> int:
    """Largest amount that leaves equity >= initial requirement (and no more than the collateral)."""
    acc = user(exchange, u)
    ps = [Position.from_account(p) for p in acc.positions]
    ms = {
        i: MarketState.from_account(market(exchange, i))
        for i in range(exchange.state().market_count)
    }
    mg = compute_margin(acc.collateral, ps, ms)
    free = max(0, mg.equity - mg.initial_requirement)
    # withdrawing x lowers equity by exactly x: the requirements do not depend on collateral
    if free:
        after = compute_margin(acc.collateral - min(free, acc.collateral), ps, ms)
        assert after.equity >= after.initial_requirement
    return min(free, acc.collateral)


def check_withdraw_limit(exchange: LocalExchange, u: LocalUser, markets: list[int]) -> int:
    """One unit above the limit fails with InsufficientMargin and changes nothing; the limit lands."""
    limit = withdrawable(exchange, u)
    assert 0 < limit < user(exchange, u).collateral
    before = (
        user(exchange, u),
        exchange.state().total_collateral,
        exchange.svm.token_balance(u.token_account),
    )
    expect_error(withdraw(exchange, u, limit + 1, markets), custom.InsufficientMargin)
    assert (
        user(exchange, u),
        exchange.state().total_collateral,
        exchange.svm.token_balance(u.token_account),
    ) == before
    out = withdraw(exchange, u, limit, markets)
    assert out.ok, out.logs
    ev = single_event(out, "WithdrawEvent")
    assert (ev.amount, ev.collateral_after) == (limit, before[0].collateral - limit)
    assert user(exchange, u).collateral == before[0].collateral - limit
    assert exchange.state().total_collateral == before[1] - limit
    assert exchange.svm.token_balance(u.token_account) == before[2] + limit
    assert withdrawable(exchange, u) == 0
    expect_error(withdraw(exchange, u, 1, markets), custom.InsufficientMargin)
    return limit


def long_user(
    exchange: LocalExchange, collateral: int = 1_000 * QUOTE, base: int = 50 * BASE
) -> tuple[int, LocalUser, LocalUser]:
    index, _ = priced_market(exchange, 100 * PRICE)
    maker = exchange.add_user(deposit=5_000 * QUOTE)
    u = exchange.add_user(deposit=collateral)
    trade(exchange, maker, u, index, side.Bid(), 100 * PRICE, base)
    return index, u, maker


def test_withdraw_is_limited_by_initial_margin(exchange: LocalExchange) -> None:
    index, u, maker = long_user(exchange)
    # equity 1000 - taker fee 5 = 995, initial 10% of 5000 = 500: 495 free
    assert withdrawable(exchange, u) == 495 * QUOTE
    check_withdraw_limit(exchange, u, [index])
    # the maker (short, with its rebate) too
    check_withdraw_limit(exchange, maker, [index])


def test_withdraw_limit_follows_the_mark(exchange: LocalExchange) -> None:
    index, feed = priced_market(exchange, 100 * PRICE)
    maker = exchange.add_user(deposit=5_000 * QUOTE)
    u = exchange.add_user(deposit=1_000 * QUOTE)
    trade(exchange, maker, u, index, side.Bid(), 100 * PRICE, 50 * BASE)
    c = exchange.svm.clock()
    exchange.svm.warp(c.slot + 1, c.unix_timestamp)
    feed.set(93_456_789)
    assert crank(exchange, index, feed).ok
    assert market(exchange, index).mark_price == 93_456_789
    check_withdraw_limit(exchange, u, [index])
    # below initial margin already: nothing can leave
    feed.set(91 * PRICE)
    exchange.svm.warp(exchange.svm.clock().slot + 1, c.unix_timestamp)
    assert crank(exchange, index, feed).ok
    assert withdrawable(exchange, u) == 0
    expect_error(withdraw(exchange, u, 1, [index]), custom.InsufficientMargin)


def test_resting_orders_count_toward_the_requirement(exchange: LocalExchange) -> None:
    index, _ = priced_market(exchange, 100 * PRICE)
    u = exchange.add_user(deposit=150 * QUOTE)
    # worst case long 10 at mark 100: 100 initial margin on 150 collateral
    assert rest(exchange, u, index, side.Bid(), 99 * PRICE, 10 * BASE).ok
    assert withdrawable(exchange, u) == 50 * QUOTE
    expect_error(withdraw(exchange, u, QUOTE, []), custom.MissingMarketAccount)
    check_withdraw_limit(exchange, u, [index])
    exchange.svm.send_ok([ix.cancel_all_orders(u.authority, u.address, index)], [u.keypair])
    assert withdraw(exchange, u, 100 * QUOTE, []).ok  # no exposure left: no market needed


def test_every_market_of_a_position_must_be_passed(exchange: LocalExchange) -> None:
    index, u, _ = long_user(exchange, collateral=2_000 * QUOTE)
    m1, _ = priced_market(exchange, 20 * PRICE)
    m2, _ = priced_market(exchange, 7 * PRICE)
    maker1 = exchange.add_user(deposit=5_000 * QUOTE)
    trade(
        exchange,
        maker1,
        u,
        m1,
        side.Ask(),
        20 * PRICE,
        30 * BASE,
        taker_other_markets=[exchange.market_address(index)],
    )
    before = user(exchange, u)
    for markets in ([], [index], [m1], [m2], [m2, index]):
        expect_error(withdraw(exchange, u, QUOTE, markets), custom.MissingMarketAccount)
    assert user(exchange, u) == before
    # any order, unrelated markets ignored
    check_withdraw_limit(exchange, u, [m2, m1, index])


def test_withdraw_counts_pending_funding(exchange: LocalExchange) -> None:
    index, feed = priced_market(exchange, 100 * PRICE)
    maker = exchange.add_user(deposit=5_000 * QUOTE)
    u = exchange.add_user(deposit=1_000 * QUOTE)
    trade(exchange, maker, u, index, side.Bid(), 100 * PRICE, 50 * BASE)
    mm = exchange.add_user(deposit=5_000 * QUOTE)
    assert rest(exchange, mm, index, side.Bid(), 100 * PRICE + 600_000, BASE).ok
    assert rest(exchange, mm, index, side.Ask(), 101 * PRICE, BASE).ok
    let_orders_rest(exchange, index)
    svm = exchange.svm
    svm.warp(
        svm.clock().slot + 1, market(exchange, index).last_funding_ts + PARAMS.funding_period_secs
    )
    feed.set(100 * PRICE)
    assert crank(exchange, index, feed).ok
    svm.send_ok([ix.update_funding(index)])
    m = market(exchange, index)
    assert m.cumulative_funding_long > 0
    pos = next(p for p in user(exchange, u).positions if p.base_amount)
    assert pos.last_cumulative_funding == 0  # unsettled: the withdraw check must still see it
    owed = -pos.base_amount * m.cumulative_funding_long // 10**12
    assert owed < 0
    limit = check_withdraw_limit(exchange, u, [index])
    mark = m.mark_price
    equity = (
        1_000 * QUOTE - taker_fee(5_000 * QUOTE) + (50 * BASE * mark // BASE - 5_000 * QUOTE) + owed
    )
    initial = ceil_div(ceil_div(50 * BASE * mark, BASE) * PARAMS.initial_margin_bps, 10_000)
    assert limit == equity - initial


def test_positive_unsettled_pnl_does_not_raise_the_collateral_limit(
    exchange: LocalExchange,
) -> None:
    index, u, _maker = long_user(exchange, collateral=600 * QUOTE)
    # u sells its 50 at 110 to another bid: +500 realised, flat, unsettled
    other = exchange.add_user(deposit=5_000 * QUOTE)
    assert rest(exchange, other, index, side.Bid(), 110 * PRICE, 50 * BASE).ok
    assert take(exchange, u, index, side.Ask(), 110 * PRICE, 50 * BASE).ok
    acc = user(exchange, u)
    assert all(p.base_amount == 0 for p in acc.positions)
    expect_error(withdraw(exchange, u, acc.collateral + 1, []), custom.InsufficientCollateral)
    assert withdraw(exchange, u, acc.collateral, []).ok


def test_unsettled_losses_reduce_what_can_leave(exchange: LocalExchange) -> None:
    index, u, _maker = long_user(exchange, collateral=600 * QUOTE)
    # u sells its 50 at 95 to another bid: -250 realised, flat, unsettled
    other = exchange.add_user(deposit=5_000 * QUOTE)
    assert rest(exchange, other, index, side.Bid(), 95 * PRICE, 50 * BASE).ok
    assert take(exchange, u, index, side.Ask(), 95 * PRICE, 50 * BASE).ok
    acc = user(exchange, u)
    pnl = next(p.unsettled_pnl for p in acc.positions if p.unsettled_pnl)
    assert pnl == -250 * QUOTE - taker_fee(5_000 * QUOTE) - taker_fee(4_750 * QUOTE)
    limit = acc.collateral + pnl
    # a flat position with only unsettled PnL needs no market account
    expect_error(withdraw(exchange, u, limit + 1, []), custom.InsufficientMargin)
    assert withdraw(exchange, u, limit, []).ok
    assert user(exchange, u).collateral == 600 * QUOTE - limit
