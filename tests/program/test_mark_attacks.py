"""The mark-price attacks of the security review (issue 12, items 4 and 7), performed against the program.

Item 4: the premium EMA sampled the book mid at the moment of the crank, so one transaction could quote
far from the index, crank, liquidate a healthy account at the moved mark and cancel, and a crank per slot
with such quotes pushed funding to its cap for nothing. Only orders that rested across a slot boundary
count now (an id below ``Market.premiumOrderIdLimit``, set at the first update_prices of each slot), and
repeated cranks within one slot do not move the premium.

Item 7: only update_funding checked that the mark was fresh. withdraw, orders that are not reduce-only
and liquidate_perp now refuse a mark older than ``oracleMaxStalenessSlots`` with MarkStale; reduce-only
orders, cancels and deposits stay allowed.

Low: a Pyth PriceUpdateV2 was aged by its posted slot only; its publish time counts too now.
"""

from __future__ import annotations

from dataclasses import replace

from keepers.exchange import instructions as ix
from keepers.exchange.margin import Margin, MarketState, Position, compute_margin
from keepers.exchange.oracles import OracleKind
from localnet.bootstrap import LocalExchange, LocalUser, default_market_params
from localnet.mock_oracle import MOCK_ORACLE_PROGRAM_ID, MockOracle, mock_oracle_config, write_price_update_v2_ix
from localnet.oracle_lab import build_mock_oracle
from programs_client.perp.constants import BASE_PRECISION as BASE, PRICE_PRECISION as PRICE, QUOTE_PRECISION as QUOTE
from programs_client.perp.errors import custom
from programs_client.perp.types import order_type, side
from tests.program.helpers import expect_error
from tests.program.oracle_accounts import (
    PythFeed, advance, crank, let_orders_rest, market, priced_market, rest, take, trade, user,
)

PARAMS = default_market_params()
W = PARAMS.funding_period_secs
STALENESS = PARAMS.oracle_max_staleness_slots
U64_MAX = 2**64 - 1


def margin_at(exchange: LocalExchange, u: LocalUser, index: int, mark: int) -> Margin:
    """keepers.exchange.margin's valuation of ``u`` (positions in market ``index`` only) at ``mark``."""
    acc = user(exchange, u)
    state = replace(MarketState.from_account(market(exchange, index)), mark_price=mark)
    held = [Position.from_account(p) for p in acc.positions if p.market_index == index and (p.base_amount or p.open_bids or p.open_asks)]
    return compute_margin(acc.collateral, held, {index: state})


def far_quotes(u: LocalUser, index: int, bid: int, ask: int) -> list:
    """Post-only bid and ask of one base each from ``u``."""
    return [ix.place_order(u.authority, u.address, index, ix.order_args(side.Bid(), bid, BASE, order_type.PostOnly())),
            ix.place_order(u.authority, u.address, index, ix.order_args(side.Ask(), ask, BASE, order_type.PostOnly()))]


# ------------------------------------------------------------------------------------------------
# item 4: the premium


def test_quotes_crank_liquidate_cancel_in_one_transaction_is_refused(exchange: LocalExchange) -> None:
    index, feed = priced_market(exchange, 100 * PRICE)
    maker, target = exchange.add_user(deposit=5_000 * QUOTE), exchange.add_user(deposit=1_000 * QUOTE)
    attacker = exchange.add_user(deposit=5_000 * QUOTE)
    trade(exchange, maker, target, index, side.Bid(), 100 * PRICE, 95 * BASE)  # long 95 at 100: ~10x, healthy
    assert not margin_at(exchange, target, index, 100 * PRICE).liquidatable
    assert margin_at(exchange, target, index, 90 * PRICE).liquidatable  # what a mark 10% lower would do
    advance(exchange.svm, W)  # a quiet period: the next crank's sample used to get the whole weight
    feed.set(100 * PRICE)
    before = (market(exchange, index), user(exchange, target))
    attack = far_quotes(attacker, index, 88 * PRICE, 89 * PRICE) + [
        ix.update_prices(index, feed.address),
        ix.liquidate_perp(attacker.authority, attacker.address, target.address, index, U64_MAX),
        ix.cancel_all_orders(attacker.authority, attacker.address, index),
    ]
    expect_error(exchange.svm.send(attack, [attacker.keypair]), custom.NotLiquidatable)
    assert (market(exchange, index), user(exchange, target)) == before
    # Without the liquidation the transaction lands: the quotes never rested, so the mark stays at the index.
    out = exchange.svm.send(attack[:3] + attack[4:], [attacker.keypair])
    assert out.ok, out.logs
    m = market(exchange, index)
    assert (m.premium_ema, m.mark_price) == (0, 100 * PRICE)


def test_quotes_count_once_an_update_of_a_later_slot_saw_them(exchange: LocalExchange) -> None:
    """The control of the attack above: the same quotes, left resting, move the premium (clamped to 10%)."""
    index, feed = priced_market(exchange, 100 * PRICE)
    mm = exchange.add_user(deposit=5_000 * QUOTE)
    exchange.svm.send_ok(far_quotes(mm, index, 88 * PRICE, 89 * PRICE), [mm.keypair])
    advance(exchange.svm, W // 4)
    feed.set(100 * PRICE)
    assert crank(exchange, index, feed).ok  # the first update that sees them: they do not count yet
    m = market(exchange, index)
    assert (m.premium_ema, m.premium_order_id_limit) == (0, m.next_order_id)
    advance(exchange.svm, W // 4)
    feed.set(100 * PRICE)
    assert crank(exchange, index, feed).ok
    # sample = clamp(88.5 - 100, -10) = -10; EMA = floor(-10 * (W/4) / W) = -2.5
    assert market(exchange, index).premium_ema == -10 * PRICE // 4


def test_cranks_of_one_slot_move_the_premium_once(exchange: LocalExchange) -> None:
    index, feed = priced_market(exchange, 100 * PRICE)
    mm = exchange.add_user(deposit=5_000 * QUOTE)
    assert rest(exchange, mm, index, side.Bid(), 101 * PRICE, BASE).ok
    assert rest(exchange, mm, index, side.Ask(), 102 * PRICE, BASE).ok  # mid 101.5: +1.5
    let_orders_rest(exchange, index)
    advance(exchange.svm, W // 2)
    feed.set(100 * PRICE)
    assert crank(exchange, index, feed).ok
    once = market(exchange, index)
    assert once.premium_ema == 1_500_000 // 2
    # The same slot, later by the clock (LiteSVM lets the two differ): no more weight for the premium.
    c = exchange.svm.clock()
    exchange.svm.warp(c.slot, c.unix_timestamp + W)
    exchange.svm.send_ok([ix.update_prices(index, feed.address), ix.update_prices(index, feed.address)])
    again = market(exchange, index)
    assert (again.premium_ema, again.mark_price, again.premium_order_id_limit) == (
        once.premium_ema, once.mark_price, once.premium_order_id_limit
    )


def test_a_crank_per_slot_with_fleeting_quotes_leaves_funding_at_zero(exchange: LocalExchange) -> None:
    """The funding attack: every slot of a whole period, quote 10% over the index, crank, cancel."""
    index, feed = priced_market(exchange, 100 * PRICE)
    attacker = exchange.add_user(deposit=5_000 * QUOTE)
    steps = 30
    for _ in range(steps):
        advance(exchange.svm, W // steps)
        feed.set(100 * PRICE)
        out = exchange.svm.send(far_quotes(attacker, index, 111 * PRICE, 112 * PRICE) + [
            ix.update_prices(index, feed.address), ix.cancel_all_orders(attacker.authority, attacker.address, index),
        ], [attacker.keypair])
        assert out.ok, out.logs
    m = market(exchange, index)
    assert (m.premium_ema, m.mark_twap, m.index_twap) == (0, 100 * PRICE, 100 * PRICE)
    exchange.svm.send_ok([ix.update_funding(index)])
    assert market(exchange, index).last_funding_rate == 0


# ------------------------------------------------------------------------------------------------
# item 7: stale marks


def stale_setup(exchange: LocalExchange) -> tuple[int, PythFeed, LocalUser, LocalUser]:
    """A long and a short at 100, a resting ask of the maker, then the clock STALENESS + 1 slots on with
    no crank: the mark is stale."""
    index, feed = priced_market(exchange, 100 * PRICE)
    maker, long_ = exchange.add_user(deposit=5_000 * QUOTE), exchange.add_user(deposit=1_000 * QUOTE)
    trade(exchange, maker, long_, index, side.Bid(), 100 * PRICE, 5 * BASE)
    assert rest(exchange, maker, index, side.Bid(), 99 * PRICE, BASE).ok
    advance(exchange.svm, 60, STALENESS + 1)
    return index, feed, maker, long_


def test_withdraw_on_a_stale_mark_is_refused(exchange: LocalExchange) -> None:
    index, feed, maker, long_ = stale_setup(exchange)
    svm = exchange.svm
    withdraw = ix.withdraw(long_.authority, long_.token_account, QUOTE, long_.sub_id, markets=[exchange.market_address(index)])
    before = user(exchange, long_)
    expect_error(svm.send([withdraw], [long_.keypair]), custom.MarkStale)
    assert user(exchange, long_) == before
    # deposits stay allowed; a user with nothing open is not valued at any mark
    svm.send_ok([ix.deposit(long_.authority, long_.token_account, QUOTE, long_.sub_id)], [long_.keypair])
    flat = exchange.add_user(deposit=10 * QUOTE)
    svm.send_ok([ix.withdraw(flat.authority, flat.token_account, QUOTE, flat.sub_id)], [flat.keypair])
    # at exactly the limit the mark is fresh enough; a crank refreshes it
    feed.set(100 * PRICE)
    assert crank(exchange, index, feed).ok
    c = svm.clock()
    svm.warp(c.slot + STALENESS, c.unix_timestamp)
    svm.send_ok([withdraw], [long_.keypair])


def test_orders_that_add_risk_are_refused_on_a_stale_mark(exchange: LocalExchange) -> None:
    index, feed, maker, long_ = stale_setup(exchange)
    svm = exchange.svm
    expect_error(rest(exchange, long_, index, side.Bid(), 98 * PRICE, BASE), custom.MarkStale)
    # an order that is not reduce-only is valued at the mark, whichever way it goes
    expect_error(take(exchange, long_, index, side.Ask(), 99 * PRICE, BASE), custom.MarkStale)
    # reduce-only orders and cancels stay allowed: the long sells 1 into the maker's bid, the maker cancels
    out = take(exchange, long_, index, side.Ask(), 99 * PRICE, BASE, reduce_only=True)
    assert out.ok, out.logs
    assert user(exchange, long_).positions[0].base_amount == 4 * BASE
    expect_error(rest(exchange, maker, index, side.Bid(), 98 * PRICE, BASE), custom.MarkStale)
    svm.send_ok([ix.cancel_all_orders(maker.authority, maker.address, index)], [maker.keypair])


def test_liquidation_on_a_stale_mark_is_refused(exchange: LocalExchange) -> None:
    index, feed = priced_market(exchange, 100 * PRICE)
    maker, target = exchange.add_user(deposit=5_000 * QUOTE), exchange.add_user(deposit=1_000 * QUOTE)
    liq = exchange.add_user(deposit=5_000 * QUOTE)
    trade(exchange, maker, target, index, side.Bid(), 100 * PRICE, 95 * BASE)
    c = exchange.svm.clock()
    exchange.svm.warp(c.slot + 1, c.unix_timestamp)
    feed.set(90 * PRICE)
    assert crank(exchange, index, feed).ok  # mark 90: the target is below maintenance
    advance(exchange.svm, 60, STALENESS + 1)
    liquidate = ix.liquidate_perp(liq.authority, liq.address, target.address, index, U64_MAX)
    expect_error(exchange.svm.send([liquidate], [liq.keypair]), custom.MarkStale)
    feed.set(90 * PRICE)
    out = exchange.svm.send([ix.update_prices(index, feed.address), liquidate], [liq.keypair])
    assert out.ok, out.logs


# ------------------------------------------------------------------------------------------------
# low: PriceUpdateV2's publish time


def test_price_update_v2_with_an_old_publish_time_is_stale(exchange: LocalExchange) -> None:
    """A PriceUpdateV2 posted just now (posted_slot = this slot) with a price signed long ago: the posted
    slot alone passed it; its publish time now makes it stale (more than oracleMaxStalenessSlots seconds)."""
    svm = exchange.svm
    svm.add_program(MOCK_ORACLE_PROGRAM_ID, build_mock_oracle())
    oracle = MockOracle(svm.send, svm.funded_keypair(100))
    assert oracle.initialize().ok
    account = oracle.create_account(OracleKind.PYTH_PULL_V2)
    feed_id = bytes(range(32))
    index = exchange.add_market("PULL-PERP", oracle=mock_oracle_config(OracleKind.PYTH_PULL_V2, account, primary_feed_id=feed_id))
    now = svm.clock().unix_timestamp

    def post(age: int) -> None:
        out = oracle.write(write_price_update_v2_ix(oracle.authority.pubkey(), account, feed_id=feed_id, price=100 * 10**8,
                                                    conf=0, exponent=-8, publish_time=now - age))
        assert out.ok, out

    post(STALENESS + 1)
    expect_error(svm.send([ix.update_prices(index, account)]), custom.OracleStale)
    assert market(exchange, index).index_price == 0
    post(STALENESS)  # at the limit: accepted
    svm.send_ok([ix.update_prices(index, account)])
    assert market(exchange, index).index_price == 100 * PRICE
