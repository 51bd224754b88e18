"""update_prices: the index from the oracle ladder, the premium EMA, the mark and the TWAPs.

Oracles are Pyth legacy price accounts written byte for byte (tests/program/oracle_accounts.py). Every
expected price is computed by ``PriceModel`` (oracle_accounts.py) from the formulas of programs/perp/prices.c:

    sample = clamp(floor((best bid + best ask) / 2) - index, +-floor(index / 10))  (0 without both sides)
    w = clamp(now - last update, 0, W), W = funding period;  x += floor((sample - x) * w / W)
    first update: mark = index, TWAPs = index, EMA 0;  later: mark = max(index + EMA, tick)
"""

from __future__ import annotations

import dataclasses

import pytest
from solders.account import Account

from keepers.exchange import instructions as ix
from localnet.bootstrap import LocalExchange, LocalUser, default_market_params
from programs_client.perp.accounts import Market
from programs_client.perp.constants import BASE_PRECISION as BASE, PRICE_PRECISION as PRICE, QUOTE_PRECISION as QUOTE
from programs_client.perp.errors import custom
from programs_client.perp.types import market_status, oracle_kind, side
from tests.program.helpers import enum_name, expect_error, field_offset, single_event
from tests.program.oracle_accounts import (
    PYTH_STATUS_AUCTION,
    PYTH_STATUS_HALTED,
    PYTH_STATUS_IGNORED,
    PYTH_STATUS_UNKNOWN,
    PriceModel,
    PythFeed,
    advance,
    crank,
    let_orders_rest,
    market,
    priced_market,
    rest,
)
from tests.program.tamper import with_account

PARAMS = default_market_params()
W = PARAMS.funding_period_secs
TICK = PARAMS.tick_size
STALENESS = PARAMS.oracle_max_staleness_slots
UP_BOOK = 1  # update_prices account index of the order book
SOURCE_PRIMARY, SOURCE_FALLBACK = 1, 2


def assert_prices(m: Market, model: PriceModel) -> None:
    model.assert_market(m)


def now(exchange: LocalExchange) -> int:
    return exchange.svm.clock().unix_timestamp


def maker(exchange: LocalExchange) -> LocalUser:
    return exchange.add_user(deposit=10_000 * QUOTE)


def quote_book(
    exchange: LocalExchange, index: int, u: LocalUser, bids: list[int], asks: list[int]
) -> None:
    for p in bids:
        assert rest(exchange, u, index, side.Bid(), p, BASE).ok
    for p in asks:
        assert rest(exchange, u, index, side.Ask(), p, BASE).ok
    let_orders_rest(exchange, index)


def raw_market(exchange: LocalExchange, index: int) -> bytes:
    acc = exchange.svm.account(exchange.market_address(index))
    assert acc is not None
    return bytes(acc.data)


# ------------------------------------------------------------------------------------------------
# first update, event


def test_first_update_sets_mark_and_twaps_to_index_and_logs_prices_updated(
    exchange: LocalExchange,
) -> None:
    svm = exchange.svm
    feed = PythFeed(svm)
    index = exchange.add_market("SOL-PERP", oracle=feed.config())
    m0 = market(exchange, index)
    assert (m0.index_price, m0.mark_price, m0.last_price_update_slot) == (0, 0, 0)

    advance(svm, 7, slots=20)
    pub_slot = svm.clock().slot - 3
    feed.set(123_456_789, conf=45_678, pub_slot=pub_slot)
    out = crank(exchange, index, feed)
    assert out.ok, out.logs
    clock = svm.clock()
    m = market(exchange, index)
    assert_prices(m, PriceModel().update(123_456_789, clock.unix_timestamp))
    assert (
        m.premium_ema == 0
        and m.mark_price == m.index_price == m.mark_twap == m.index_twap == 123_456_789
    )
    assert m.index_price_slot == pub_slot
    assert m.index_confidence == 45_678
    assert m.last_price_update_slot == clock.slot
    assert m.oracle_source == SOURCE_PRIMARY

    ev = single_event(out, "PricesUpdated")
    assert ev.market == exchange.market_address(index)
    assert (ev.index_price, ev.index_confidence, ev.mark_price, ev.premium_ema) == (
        123_456_789,
        45_678,
        123_456_789,
        0,
    )
    assert (ev.mark_twap, ev.index_twap) == (123_456_789, 123_456_789)
    assert (ev.oracle_slot, ev.slot, ev.market_index, ev.oracle_source) == (
        pub_slot,
        clock.slot,
        index,
        SOURCE_PRIMARY,
    )


@pytest.mark.parametrize(
    "expo, mantissa, conf, price, conf_units",
    [
        (-8, 10_012_345_678, 1_234_567, 100_123_456, 12_345),  # floor(x / 100)
        (-6, 100_123_456, 12_345, 100_123_456, 12_345),
        (-4, 1_001_235, 123, 100_123_500, 12_300),  # x * 100
        (-10, 1_001_234_567_891, 99_999, 100_123_456, 9),
    ],
)
def test_exponent_is_normalised_to_price_units(
    exchange: LocalExchange, expo: int, mantissa: int, conf: int, price: int, conf_units: int
) -> None:
    def rescale(v: int) -> int:
        return v * 10 ** (6 + expo) if expo >= -6 else v // 10 ** (-6 - expo)

    assert (rescale(mantissa), rescale(conf)) == (price, conf_units)
    feed = PythFeed(exchange.svm)
    index = exchange.add_market("X-PERP", oracle=feed.config())
    feed.set(mantissa, conf=conf, expo=expo)
    out = crank(exchange, index, feed)
    assert out.ok, out.logs
    m = market(exchange, index)
    assert (m.index_price, m.index_confidence, m.mark_price) == (price, conf_units, price)


# ------------------------------------------------------------------------------------------------
# EMA and TWAP steps


def test_ema_and_twaps_step_by_elapsed_share_of_the_period(exchange: LocalExchange) -> None:
    svm = exchange.svm
    index, feed = priced_market(exchange, 100 * PRICE)
    model = PriceModel().update(100 * PRICE, now(exchange))
    assert_prices(market(exchange, index), model)
    mm = maker(exchange)
    # best bid 100.50 (the highest of two), best ask 101.50 (the lowest of two): mid 101.00
    quote_book(
        exchange,
        index,
        mm,
        [99 * PRICE + 500_000, 100 * PRICE + 500_000],
        [103 * PRICE, 101 * PRICE + 500_000],
    )
    bid, ask = 100 * PRICE + 500_000, 101 * PRICE + 500_000

    steps = [
        (600, 100_300_000),  # sample +0.70, w = 600 < W
        (601, 100_300_000),  # w = 601: steps that do not divide evenly
        (1_237, 101_700_000),  # index above the mid: a negative sample, floored toward -infinity
        (1, 101_700_001),
    ]
    saw_negative_inexact = False
    for dt, price in steps:
        advance(svm, dt)
        feed.set(price)
        out = crank(exchange, index, feed)
        assert out.ok, out.logs
        before = model
        model = model.update(price, now(exchange), bid, ask)
        diff = ((bid + ask) // 2 - price) - before.ema
        saw_negative_inexact |= diff < 0 and (diff * min(dt, W)) % W != 0
        m = market(exchange, index)
        assert_prices(m, model)
        ev = single_event(out, "PricesUpdated")
        assert (ev.index_price, ev.mark_price, ev.premium_ema, ev.mark_twap, ev.index_twap) == (
            model.index,
            model.mark,
            model.ema,
            model.mark_twap,
            model.index_twap,
        )
    assert saw_negative_inexact, "the scenario must exercise floor of a negative, inexact step"
    assert model.ema != 0 and model.mark_twap != model.index_twap


@pytest.mark.parametrize("dt", [W, W + 1, 5 * W])
def test_weight_is_capped_at_the_funding_period(exchange: LocalExchange, dt: int) -> None:
    index, feed = priced_market(exchange, 100 * PRICE)
    mm = maker(exchange)
    quote_book(exchange, index, mm, [100 * PRICE + 200_000], [100 * PRICE + 600_000])  # mid 100.40
    advance(exchange.svm, dt)
    feed.set(99_900_000)
    assert crank(exchange, index, feed).ok
    m = market(exchange, index)
    sample = 100_400_000 - 99_900_000
    # a full window replaces every average by its sample
    assert (m.premium_ema, m.mark_price, m.mark_twap, m.index_twap) == (
        sample,
        99_900_000 + sample,
        99_900_000 + sample,
        99_900_000,
    )


def test_one_sided_book_samples_zero_premium(exchange: LocalExchange) -> None:
    index, feed = priced_market(exchange, 100 * PRICE)
    mm = maker(exchange)
    quote_book(exchange, index, mm, [100 * PRICE + 300_000], [100 * PRICE + 900_000])  # mid 100.60
    model = PriceModel().update(100 * PRICE, now(exchange))
    advance(exchange.svm, 900)
    assert crank(exchange, index, feed).ok
    model = model.update(100 * PRICE, now(exchange), 100 * PRICE + 300_000, 100 * PRICE + 900_000)
    assert_prices(market(exchange, index), model)
    assert model.ema == 150_000
    exchange.svm.send_ok([ix.cancel_all_orders(mm.authority, mm.address, index)], [mm.keypair])
    assert rest(exchange, mm, index, side.Ask(), 100 * PRICE + 900_000, BASE).ok  # asks only
    advance(exchange.svm, 1_200)
    assert crank(exchange, index, feed).ok
    model = model.update(100 * PRICE, now(exchange))  # sample 0: the EMA decays toward 0
    assert_prices(market(exchange, index), model)
    assert model.ema == 100_000


def test_clock_moving_backwards_gives_zero_weight(exchange: LocalExchange) -> None:
    svm = exchange.svm
    index, feed = priced_market(exchange, 100 * PRICE)
    mm = maker(exchange)
    quote_book(exchange, index, mm, [101 * PRICE], [102 * PRICE])
    advance(svm, 1_800)
    assert crank(exchange, index, feed).ok
    m1 = market(exchange, index)
    c = svm.clock()
    svm.warp(c.slot + 5, c.unix_timestamp - 100)
    feed.set(100_500_000)
    assert crank(exchange, index, feed).ok
    m2 = market(exchange, index)
    # no weight: EMA and TWAPs stay, the mark follows the new index, the timestamp moves back
    assert (m2.premium_ema, m2.mark_twap, m2.index_twap) == (
        m1.premium_ema,
        m1.mark_twap,
        m1.index_twap,
    )
    assert m2.mark_price == 100_500_000 + m1.premium_ema
    assert m2.twap_updated_ts == c.unix_timestamp - 100


@pytest.mark.parametrize("direction", [1, -1])
def test_premium_sample_is_clamped_to_a_tenth_of_the_index(
    exchange: LocalExchange, direction: int
) -> None:
    index_price = 100_123_457  # floor(index / 10) = 10_012_345
    index, feed = priced_market(exchange, index_price)
    mm = maker(exchange)
    if direction > 0:
        quote_book(
            exchange, index, mm, [120 * PRICE], [130 * PRICE]
        )  # mid 125: +24.88 before the clamp
    else:
        quote_book(
            exchange, index, mm, [70 * PRICE], [80 * PRICE]
        )  # mid 75: -25.12 before the clamp
    advance(exchange.svm, 600)
    assert crank(exchange, index, feed).ok
    cap = index_price // 10
    m = market(exchange, index)
    assert m.premium_ema == direction * cap * 600 // W
    advance(exchange.svm, W)
    assert crank(exchange, index, feed).ok
    m = market(exchange, index)
    assert (m.premium_ema, m.mark_price) == (direction * cap, index_price + direction * cap)


def test_mark_is_floored_at_one_tick(exchange: LocalExchange) -> None:
    svm = exchange.svm
    index, feed = priced_market(exchange, 100 * PRICE)
    mm = maker(exchange)
    quote_book(exchange, index, mm, [80 * PRICE], [90 * PRICE])  # mid 85: clamped to -10
    advance(svm, W)
    assert crank(exchange, index, feed).ok
    model = PriceModel().update(100 * PRICE, now(exchange) - W)
    model = model.update(100 * PRICE, now(exchange), 80 * PRICE, 90 * PRICE)
    assert_prices(market(exchange, index), model)
    assert model.ema == -10 * PRICE
    # The index collapses within the same second: no weight, so the EMA stays at -10 and
    # index + EMA = 5 - 10 < 0; the mark is held at one tick.
    c = svm.clock()
    svm.warp(c.slot + 1, c.unix_timestamp)
    feed.set(5 * PRICE)
    out = crank(exchange, index, feed)
    assert out.ok, out.logs
    model = model.update(5 * PRICE, now(exchange), 80 * PRICE, 90 * PRICE)
    assert model.mark == TICK and 5 * PRICE + model.ema < 0
    assert_prices(market(exchange, index), model)
    assert single_event(out, "PricesUpdated").mark_price == TICK
    # With weight again, the TWAP moves toward the floored mark, not toward index + EMA
    advance(svm, 360)
    assert crank(exchange, index, feed).ok
    model = model.update(5 * PRICE, now(exchange), 80 * PRICE, 90 * PRICE)
    assert_prices(market(exchange, index), model)


# ------------------------------------------------------------------------------------------------
# oracle failures


def stale(feed: PythFeed) -> None:
    """Publish now, then let one slot more than the market's maximum staleness pass."""
    feed.set(100 * PRICE)
    c = feed.svm.clock()
    feed.svm.warp(c.slot + STALENESS + 1, c.unix_timestamp)


FAILURES = {
    "stale": (stale, custom.OracleStale),
    "zero price": (lambda f: f.set(0, conf=0), custom.OracleNonPositive),
    "negative price": (lambda f: f.set(-100 * PRICE, conf=1), custom.OracleNonPositive),
    "rounds to zero": (lambda f: f.set(999, conf=0, expo=-9), custom.OracleNonPositive),
    "confidence too wide": (
        lambda f: f.set(100 * PRICE, conf=2 * PRICE + 1),
        custom.OracleConfidenceTooWide,
    ),
    "status unknown": (
        lambda f: f.set(100 * PRICE, status=PYTH_STATUS_UNKNOWN),
        custom.OracleUnavailable,
    ),
    "status halted": (
        lambda f: f.set(100 * PRICE, status=PYTH_STATUS_HALTED),
        custom.OracleUnavailable,
    ),
    "status auction": (
        lambda f: f.set(100 * PRICE, status=PYTH_STATUS_AUCTION),
        custom.OracleUnavailable,
    ),
    "status ignored": (
        lambda f: f.set(100 * PRICE, status=PYTH_STATUS_IGNORED),
        custom.OracleUnavailable,
    ),
    "status out of range": (lambda f: f.set(100 * PRICE, status=5), custom.OracleInvalidData),
    "bad magic": (lambda f: f.set(100 * PRICE, magic=0xA1B2C3D5), custom.OracleInvalidData),
    "bad version": (lambda f: f.set(100 * PRICE, version=1), custom.OracleInvalidData),
    "mapping account type": (
        lambda f: f.set(100 * PRICE, account_type=1),
        custom.OracleInvalidData,
    ),
    "truncated": (lambda f: f.set(100 * PRICE, length=3311, size=3311), custom.OracleInvalidData),
    "wrong owner": (
        lambda f: f.set(100 * PRICE, owner=f.svm.program_id),
        custom.OracleWrongAccount,
    ),
    "above i64 max / 2": (lambda f: f.set(2**62, conf=0), custom.OracleInvalidData),
    "beyond u64 once scaled": (lambda f: f.set(2**62, conf=0, expo=-4), custom.OracleInvalidData),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_oracle_failure_surfaces_as_its_error_and_leaves_the_market(
    exchange: LocalExchange, case: str
) -> None:
    index, feed = priced_market(exchange, 100 * PRICE)
    advance(exchange.svm, 10)
    before = raw_market(exchange, index)
    make, err = FAILURES[case]
    make(feed)
    expect_error(crank(exchange, index, feed), err)
    assert raw_market(exchange, index) == before


def test_largest_index_price_is_accepted(exchange: LocalExchange) -> None:
    index, feed = priced_market(exchange, 100 * PRICE)
    advance(exchange.svm, 10)
    feed.set(2**62 - 1, conf=0)  # the largest index update_prices accepts (<= i64 max / 2)
    out = crank(exchange, index, feed)
    assert out.ok, out.logs
    m = market(exchange, index)
    model = PriceModel().update(100 * PRICE, now(exchange) - 10).update(2**62 - 1, now(exchange))
    assert_prices(m, model)


def test_staleness_and_confidence_limits_are_inclusive(exchange: LocalExchange) -> None:
    index, feed = priced_market(exchange, 100 * PRICE)
    advance(exchange.svm, 10, slots=STALENESS + 50)
    slot = exchange.svm.clock().slot
    feed.set(100 * PRICE, conf=2 * PRICE, pub_slot=slot - STALENESS)  # age == max, conf == 200 bps
    out = crank(exchange, index, feed)
    assert out.ok, out.logs
    m = market(exchange, index)
    assert (m.index_price_slot, m.index_confidence, m.last_price_update_slot) == (
        slot - STALENESS,
        2 * PRICE,
        slot,
    )
    feed.set(100 * PRICE, pub_slot=slot + 10)  # a publish slot ahead of the clock counts as fresh
    assert crank(exchange, index, feed).ok
    assert market(exchange, index).index_price_slot == slot + 10


def test_an_account_other_than_the_configured_one_is_refused(exchange: LocalExchange) -> None:
    index, feed = priced_market(exchange, 100 * PRICE)
    # same owner, same layout, another address
    impostor = PythFeed(exchange.svm, program=feed.program)
    impostor.set(100 * PRICE)
    expect_error(crank(exchange, index, impostor), custom.OracleWrongAccount)


# ------------------------------------------------------------------------------------------------
# fallback and divergence


def fallback_market(
    exchange: LocalExchange, primary_price: int, fallback_price: int
) -> tuple[int, PythFeed, PythFeed]:
    svm = exchange.svm
    primary, fallback = PythFeed(svm), PythFeed(svm)
    config = dataclasses.replace(
        primary.config(),
        fallback=fallback.address,
        fallback_program=fallback.program,
        fallback_kind=oracle_kind.PythLegacy(),
    )
    index = exchange.add_market("FB-PERP", oracle=config)
    primary.set(primary_price)
    fallback.set(fallback_price)
    return index, primary, fallback


def test_primary_is_used_when_both_sources_are_valid(exchange: LocalExchange) -> None:
    index, primary, fallback = fallback_market(exchange, 100 * PRICE, 103 * PRICE)
    out = crank(exchange, index, primary, fallback)
    assert out.ok, out.logs
    m = market(exchange, index)
    assert (m.index_price, m.oracle_source) == (100 * PRICE, SOURCE_PRIMARY)
    assert single_event(out, "PricesUpdated").oracle_source == SOURCE_PRIMARY


@pytest.mark.parametrize(
    "failure", ["stale", "confidence too wide", "status halted", "wrong owner", "zero price"]
)
def test_fallback_is_used_when_the_primary_fails(exchange: LocalExchange, failure: str) -> None:
    index, primary, fallback = fallback_market(exchange, 100 * PRICE, 98_765_432)
    assert crank(exchange, index, primary, fallback).ok
    advance(exchange.svm, 60)
    FAILURES[failure][0](primary)
    fallback.set(98_765_432, conf=54_321)
    out = crank(exchange, index, primary, fallback)
    assert out.ok, out.logs
    m = market(exchange, index)
    model = PriceModel().update(100 * PRICE, now(exchange) - 60)
    model = model.update(98_765_432, now(exchange))
    assert_prices(m, model)
    assert (m.index_confidence, m.oracle_source, m.index_price_slot) == (
        54_321,
        SOURCE_FALLBACK,
        exchange.svm.clock().slot,
    )
    ev = single_event(out, "PricesUpdated")
    assert (ev.index_price, ev.index_confidence, ev.oracle_source) == (
        98_765_432,
        54_321,
        SOURCE_FALLBACK,
    )
    # once the primary recovers it is preferred again
    primary.set(99 * PRICE)
    assert crank(exchange, index, primary, fallback).ok
    assert market(exchange, index).oracle_source == SOURCE_PRIMARY


def test_first_update_can_come_from_the_fallback(exchange: LocalExchange) -> None:
    index, primary, fallback = fallback_market(exchange, 100 * PRICE, 101 * PRICE)
    advance(exchange.svm, 1, slots=STALENESS + 1)
    fallback.set(101 * PRICE)
    out = crank(exchange, index, primary, fallback)
    assert out.ok, out.logs
    m = market(exchange, index)
    assert (m.index_price, m.mark_price, m.mark_twap, m.index_twap, m.oracle_source) == (
        101 * PRICE,
        101 * PRICE,
        101 * PRICE,
        101 * PRICE,
        SOURCE_FALLBACK,
    )


def test_both_sources_invalid_reports_the_primary_error(exchange: LocalExchange) -> None:
    index, primary, fallback = fallback_market(exchange, 100 * PRICE, 100 * PRICE)
    assert crank(exchange, index, primary, fallback).ok
    before = raw_market(exchange, index)
    stale(primary)
    fallback.set(100 * PRICE, conf=3 * PRICE)
    expect_error(crank(exchange, index, primary, fallback), custom.OracleStale)
    primary.set(100 * PRICE, status=PYTH_STATUS_HALTED)
    stale(fallback)
    expect_error(crank(exchange, index, primary, fallback), custom.OracleUnavailable)
    assert raw_market(exchange, index) == before


def test_fallback_configured_but_not_passed(exchange: LocalExchange) -> None:
    """Attack (security review, issue 12 item 6): a wrong account was taken as an invalid source, so a
    cranker could leave out a fallback that diverges from the primary (or a primary, to crank the
    fallback's price) and skip the divergence check. A configured source's account must be passed."""
    index, primary, fallback = fallback_market(exchange, 100 * PRICE, 120 * PRICE)  # 20% apart: divergent
    expect_error(crank(exchange, index, primary, fallback), custom.OracleDivergence)
    # the primary passed in the fallback's place, the fallback in the primary's: refused, nothing cranked
    expect_error(crank(exchange, index, primary), custom.OracleWrongAccount)
    expect_error(crank(exchange, index, fallback, fallback), custom.OracleWrongAccount)
    assert market(exchange, index).index_price == 0


@pytest.mark.parametrize(
    "primary_price, fallback_price, diverges",
    [
        (100 * PRICE, 105 * PRICE, False),  # |diff| * 1e4 == 500 bps * min: allowed
        (100 * PRICE, 105 * PRICE + 1, True),
        (105 * PRICE, 100 * PRICE, False),
        (105 * PRICE + 1, 100 * PRICE, True),
        (100 * PRICE, 80 * PRICE, True),
    ],
)
def test_divergence_between_valid_sources(
    exchange: LocalExchange, primary_price: int, fallback_price: int, diverges: bool
) -> None:
    assert diverges == (
        abs(primary_price - fallback_price) * 10_000
        > PARAMS.oracle_max_divergence_bps * min(primary_price, fallback_price)
    )
    index, primary, fallback = fallback_market(exchange, primary_price, fallback_price)
    out = crank(exchange, index, primary, fallback)
    if diverges:
        expect_error(out, custom.OracleDivergence)
        assert market(exchange, index).index_price == 0
    else:
        assert out.ok, out.logs
        assert market(exchange, index).index_price == primary_price
    # a diverging fallback that is itself invalid is ignored
    fallback.set(fallback_price, status=PYTH_STATUS_HALTED)
    assert crank(exchange, index, primary, fallback).ok
    assert market(exchange, index).index_price == primary_price


# ------------------------------------------------------------------------------------------------
# accounts and status


def test_order_book_of_another_market_is_refused(exchange: LocalExchange) -> None:
    index, feed = priced_market(exchange, 100 * PRICE)
    other, _ = priced_market(exchange, 50 * PRICE)
    before = raw_market(exchange, index)
    foreign = ix.update_prices(other, feed.address).accounts[UP_BOOK].pubkey
    bad = with_account(ix.update_prices(index, feed.address), UP_BOOK, foreign)
    expect_error(exchange.svm.send([bad]), custom.MarketAccountMismatch)
    assert raw_market(exchange, index) == before


def set_status_byte(exchange: LocalExchange, index: int, status: int) -> None:
    addr = exchange.market_address(index)
    acc = exchange.svm.account(addr)
    assert acc is not None
    data = bytearray(bytes(acc.data))
    data[field_offset("Market", "status")] = status
    exchange.svm.set_account(
        addr, Account(acc.lamports, bytes(data), acc.owner, acc.executable, acc.rent_epoch)
    )


@pytest.mark.parametrize("status", [market_status.Settlement(), market_status.Delisted()])
def test_settlement_and_delisted_markets_are_refused(
    exchange: LocalExchange, status: market_status.MarketStatusKind
) -> None:
    index, feed = priced_market(exchange, 100 * PRICE)
    # no instruction can move a market there yet, so the status byte is written directly
    expect_error(
        exchange.svm.send(
            [ix.set_market_status(exchange.admin.pubkey(), index, status)], [exchange.admin]
        ),
        custom.InvalidStatusTransition,
    )
    set_status_byte(exchange, index, status.discriminator)
    assert enum_name(market(exchange, index).status) == status.kind
    before = raw_market(exchange, index)
    advance(exchange.svm, 10)
    feed.set(101 * PRICE)
    expect_error(crank(exchange, index, feed), custom.MarketNotTradable)
    assert raw_market(exchange, index) == before


@pytest.mark.parametrize("status", [market_status.ReduceOnly(), market_status.Paused()])
def test_reduce_only_and_paused_markets_keep_their_prices_current(
    exchange: LocalExchange, status: market_status.MarketStatusKind
) -> None:
    index, feed = priced_market(exchange, 100 * PRICE)
    exchange.svm.send_ok(
        [ix.set_market_status(exchange.admin.pubkey(), index, status)], [exchange.admin]
    )
    advance(exchange.svm, 10)
    feed.set(101 * PRICE)
    assert crank(exchange, index, feed).ok
    assert market(exchange, index).index_price == 101 * PRICE
