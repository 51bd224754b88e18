"""settle_revenue_to_insurance: the fee pool, as far as the PnL pool holds its tokens, to the insurance vault.

From programs/perp/insurance.c and the IDL: at most once per REVENUE_SETTLE_INTERVAL_SECS per market
(the first sweep of a new market is free), only with an empty event queue;
amount = min(fee pool, PnL pool), moved from the collateral vault to the insurance vault, taken off both
pools and off the exchange total. Fees are computed here (taker ceil(quote * 10 / 1e4), maker rebate
floor(floor quote * 2 / 1e4)), and the market's quote ledger (PnL pool - unsettled PnL - quote entries -
fee pool, see test_bankruptcy.py) stays 0 through every sweep.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from keepers.exchange import instructions as ix
from localnet.bootstrap import LocalExchange, LocalUser, default_market_params
from programs_client.perp.accounts import EventQueue
from programs_client.perp.constants import BASE_PRECISION as BASE, PRICE_PRECISION as PRICE, QUOTE_PRECISION as QUOTE
from programs_client.perp.errors import custom
from programs_client.perp.types import market_status, side
from tests.program.helpers import IDL_JSON, expect_error, single_event
from tests.program.oracle_accounts import advance, market, priced_market, rest, take, trade
from tests.program.tamper import with_account
from tests.program.test_bankruptcy import conserved, insurance_balance, ledger, position, settle_all

INTERVAL = int(
    next(c["value"] for c in IDL_JSON["constants"] if c["name"] == "REVENUE_SETTLE_INTERVAL_SECS")
)
PARAMS = default_market_params()
SR_QUEUE, SR_VAULT, SR_INSURANCE = 2, 3, 4  # settle_revenue_to_insurance account indexes


def taker_fee(quote: int) -> int:
    return -(-quote * PARAMS.taker_fee_bps // 10_000)


def rebate(base: int, price: int) -> int:
    return base * price // BASE * PARAMS.maker_rebate_bps // 10_000


@dataclass
class Fees:
    index: int
    a: LocalUser  # taker of a round trip: pays two taker fees
    b: LocalUser  # its maker: a small loss net of two rebates


def fees_market(exchange: LocalExchange) -> Fees:
    """a buys 3.7 from b at 100 and sells it back at 100.05: only fees and a small price move."""
    index, _ = priced_market(exchange, 100 * PRICE)
    a, b = exchange.add_user(deposit=1_000 * QUOTE), exchange.add_user(deposit=1_000 * QUOTE)
    trade(exchange, b, a, index, side.Bid(), 100 * PRICE, 3_700_000_000)
    trade(exchange, b, a, index, side.Ask(), 100_050_000, 3_700_000_000)
    q1, q2 = 370 * QUOTE, 370_185_000
    fee_pool = (
        taker_fee(q1)
        + taker_fee(q2)
        - rebate(3_700_000_000, 100 * PRICE)
        - rebate(3_700_000_000, 100_050_000)
    )
    m = market(exchange, index)
    assert (m.fee_pool, m.pnl_pool) == (fee_pool, 0) == (592_148, 0)
    assert (
        position(exchange, a, index).unsettled_pnl
        == 185_000 - taker_fee(q1) - taker_fee(q2)
        == -555_185
    )
    assert position(exchange, b, index).unsettled_pnl == -185_000 + 74_000 + 74_037 == -36_963
    return Fees(index, a, b)


def sweep(exchange: LocalExchange, index: int):
    return exchange.svm.send([ix.settle_revenue_to_insurance(index, exchange.program_id)])


def sweep_and_check(exchange: LocalExchange, index: int) -> int:
    """One sweep, every change checked against the formula; returns the amount."""
    svm = exchange.svm
    m0 = market(exchange, index)
    amount = min(m0.fee_pool, m0.pnl_pool)
    before = (
        svm.token_balance(exchange.collateral_vault),
        insurance_balance(exchange),
        exchange.state().total_collateral,
    )
    ledger0 = ledger(exchange, index)
    out = sweep(exchange, index)
    assert out.ok, "\n".join(out.logs)
    now = svm.clock().unix_timestamp
    m = market(exchange, index)
    assert (m.fee_pool, m.pnl_pool, m.last_revenue_settle_ts) == (
        m0.fee_pool - amount,
        m0.pnl_pool - amount,
        now,
    )
    assert (
        svm.token_balance(exchange.collateral_vault),
        insurance_balance(exchange),
        exchange.state().total_collateral,
    ) == (
        before[0] - amount,
        before[1] + amount,
        before[2] - amount,
    )
    ev = single_event(out, "RevenueSettled")
    assert (ev.market, ev.amount, ev.fee_pool_after, ev.ts, ev.market_index) == (
        exchange.market_address(index),
        amount,
        m0.fee_pool - amount,
        now,
        index,
    )
    assert ledger(exchange, index) == ledger0
    conserved(exchange)
    return amount


# ------------------------------------------------------------------------------------------------
# the amount


def test_nothing_moves_while_the_pnl_pool_is_empty(exchange: LocalExchange) -> None:
    f = fees_market(exchange)
    assert sweep_and_check(exchange, f.index) == 0
    # the sweep still counts: the next one waits a full interval
    expect_error(sweep(exchange, f.index), custom.RevenueSettleTooEarly)


def test_pnl_pool_below_the_fee_pool_caps_the_amount(exchange: LocalExchange) -> None:
    f = fees_market(exchange)
    exchange.svm.send_ok([ix.settle_pnl(f.b.address, f.index)])
    assert market(exchange, f.index).pnl_pool == 36_963
    assert sweep_and_check(exchange, f.index) == 36_963
    m = market(exchange, f.index)
    assert (m.fee_pool, m.pnl_pool) == (592_148 - 36_963, 0)
    # the taker settles its fees later; the next sweep, an interval on, takes the rest of the fee pool
    exchange.svm.send_ok([ix.settle_pnl(f.a.address, f.index)])
    expect_error(sweep(exchange, f.index), custom.RevenueSettleTooEarly)
    advance(exchange.svm, INTERVAL)
    assert sweep_and_check(exchange, f.index) == 592_148 - 36_963
    m = market(exchange, f.index)
    assert (m.fee_pool, m.pnl_pool) == (0, 0)
    assert insurance_balance(exchange) == 592_148


def test_fee_pool_below_the_pnl_pool_is_swept_whole_and_winners_are_paid_later(
    exchange: LocalExchange,
) -> None:
    f = fees_market(exchange)
    c, d = exchange.add_user(deposit=1_000 * QUOTE), exchange.add_user(deposit=1_000 * QUOTE)
    trade(exchange, d, c, f.index, side.Bid(), 100 * PRICE, 10 * BASE)
    trade(exchange, d, c, f.index, side.Ask(), 95 * PRICE, 10 * BASE)  # c loses 50 to d
    exchange.svm.send_ok([ix.settle_pnl(c.address, f.index)])
    m0 = market(exchange, f.index)
    assert m0.pnl_pool > m0.fee_pool > 0
    assert sweep_and_check(exchange, f.index) == m0.fee_pool
    assert market(exchange, f.index).fee_pool == 0
    # the fee payers settle, then every winner is paid in full and the pool ends empty
    settle_all(exchange, f.index)
    for u in (f.a, f.b, c, d):
        assert position(exchange, u, f.index).unsettled_pnl == 0
    m = market(exchange, f.index)
    assert (m.pnl_pool, m.fee_pool) == (0, 0)
    assert insurance_balance(exchange) == m0.fee_pool


def test_pools_equal(exchange: LocalExchange) -> None:
    f = fees_market(exchange)
    exchange.svm.send_ok([ix.settle_pnl(f.a.address, f.index)])
    exchange.svm.send_ok([ix.settle_pnl(f.b.address, f.index)])
    assert market(exchange, f.index).pnl_pool == 592_148
    assert sweep_and_check(exchange, f.index) == 592_148


# ------------------------------------------------------------------------------------------------
# when


def test_once_per_interval_to_the_second(exchange: LocalExchange) -> None:
    f = fees_market(exchange)
    assert (
        market(exchange, f.index).last_revenue_settle_ts == 0
    )  # a new market's first sweep is free
    exchange.svm.send_ok([ix.settle_pnl(f.b.address, f.index)])
    sweep_and_check(exchange, f.index)
    t = market(exchange, f.index).last_revenue_settle_ts
    exchange.svm.send_ok([ix.settle_pnl(f.a.address, f.index)])
    before = market(exchange, f.index)
    advance(exchange.svm, INTERVAL - 1)
    expect_error(sweep(exchange, f.index), custom.RevenueSettleTooEarly)
    assert market(exchange, f.index) == before
    advance(exchange.svm, 1)
    assert exchange.svm.clock().unix_timestamp == t + INTERVAL
    assert sweep_and_check(exchange, f.index) > 0


def test_each_market_has_its_own_interval(exchange: LocalExchange) -> None:
    f = fees_market(exchange)
    g = fees_market(exchange)
    for x in (f, g):
        exchange.svm.send_ok([ix.settle_pnl(x.b.address, x.index)])
    assert sweep_and_check(exchange, f.index) == 36_963
    assert sweep_and_check(exchange, g.index) == 36_963
    assert insurance_balance(exchange) == 2 * 36_963


def test_refused_with_fills_in_the_event_queue(exchange: LocalExchange) -> None:
    f = fees_market(exchange)
    exchange.svm.send_ok([ix.settle_pnl(f.b.address, f.index)])
    assert rest(exchange, f.b, f.index, side.Ask(), 100 * PRICE, BASE).ok
    assert take(
        exchange, f.a, f.index, side.Bid(), 100 * PRICE, BASE
    ).ok  # the maker's fill is queued
    q = exchange.svm.decode(EventQueue, market(exchange, f.index).event_queue)
    assert q.count == 1
    before = market(exchange, f.index)
    expect_error(sweep(exchange, f.index), custom.EventQueueNotEmpty)
    assert market(exchange, f.index) == before
    exchange.svm.send_ok([ix.consume_events(f.index, [f.b.address], 8)])
    assert sweep_and_check(exchange, f.index) > 0


# ------------------------------------------------------------------------------------------------
# accounts


def test_vaults_and_queue_must_be_the_markets(exchange: LocalExchange) -> None:
    f = fees_market(exchange)
    g, _ = priced_market(exchange, 100 * PRICE)
    exchange.svm.send_ok([ix.settle_pnl(f.b.address, f.index)])
    good = ix.settle_revenue_to_insurance(f.index, exchange.program_id)
    swapped = with_account(
        with_account(good, SR_VAULT, exchange.insurance_vault),
        SR_INSURANCE,
        exchange.collateral_vault,
    )
    expect_error(exchange.svm.send([swapped]), custom.InvalidVault)
    other_queue = ix.settle_revenue_to_insurance(g, exchange.program_id).accounts[SR_QUEUE].pubkey
    expect_error(
        exchange.svm.send([with_account(good, SR_QUEUE, other_queue)]), custom.MarketAccountMismatch
    )
    mine = exchange.svm.token_account(exchange.svm.funded_keypair(1).pubkey(), exchange.mint)
    expect_error(exchange.svm.send([with_account(good, SR_INSURANCE, mine)]), custom.InvalidVault)
    assert exchange.svm.token_balance(mine) == 0
    assert sweep_and_check(exchange, f.index) == 36_963


@pytest.mark.parametrize("paused", [False, True])
def test_revenue_reaches_the_insurance_vault_whatever_the_market_status(
    exchange: LocalExchange, paused: bool
) -> None:
    """Nothing in the instruction depends on the market's status: a paused market's fees are swept too."""
    f = fees_market(exchange)
    exchange.svm.send_ok([ix.settle_pnl(f.b.address, f.index)])
    if paused:
        exchange.svm.send_ok(
            [ix.set_market_status(exchange.admin.pubkey(), f.index, market_status.Paused())],
            [exchange.admin],
        )
    assert sweep_and_check(exchange, f.index) == 36_963
