"""liquidate_perp: size, prices, insurance fee, flags, order cancellation and refusals.

``expected`` recomputes every liquidation from the formulas of programs/perp/liquidation.c with
keepers.exchange.margin (compute_margin, apply_fill) from the accounts as they were before:

    target = 1.5 * maintenance;  shortfall = target - equity
    q = ceil(shortfall * 1e9 / (mark * maintenance bps * 1.5 / 1e4 - mark * fee bps / 1e4))
    q rounded up to a lot, capped by the position and max_base; all of it when the rest is below the
    minimum order (and max_base allows it)
    user price = mark -+ fee (floor when selling, ceil when buying), liquidator price = mark -+ fee * (1 -
    insurance share); the difference of the two fills' quote goes to the fee pool

Prices are moved with update_prices at an unchanged timestamp (zero weight), so the mark is the index.
The exchange fixture checks vault == exchange total == collateral + PnL pools after every test.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from keepers.exchange import instructions as ix
from keepers.exchange.margin import (
    liquidation_prices,
    liquidation_quotes,
    liquidation_size,
    ASK,
    BID,
    Margin,
    MarketState,
    Position,
    apply_fill,
    compute_margin,
)
from keepers.execution.results import Outcome
from localnet.bootstrap import LocalExchange, LocalUser, default_market_params
from programs_client.perp.accounts import Orderbook
from programs_client.perp.constants import BASE_PRECISION as BASE, BPS, PRICE_PRECISION as PRICE, QUOTE_PRECISION as QUOTE
from programs_client.perp.errors import custom
from programs_client.perp.types import market_status, side
from tests.program.helpers import enum_name, events, expect_error
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

PARAMS = default_market_params()
FLAG_BEING_LIQUIDATED, FLAG_BANKRUPT = 1, 2
LP_BOOK = 4  # liquidate_perp account index of the order book


def reprice(exchange: LocalExchange, index: int, feed: PythFeed, price: int) -> None:
    """New oracle price, cranked one slot later at the same timestamp: the mark becomes the index."""
    c = exchange.svm.clock()
    exchange.svm.warp(c.slot + 1, c.unix_timestamp)
    feed.set(price)
    out = crank(exchange, index, feed)
    assert out.ok, out.logs
    m = market(exchange, index)
    assert m.index_price == price and m.premium_ema == 0 and m.mark_price == price


def positions(exchange: LocalExchange, u: LocalUser) -> list[Position]:
    return [Position.from_account(p) for p in user(exchange, u).positions]


def in_use(p: Position) -> bool:
    return any(
        (
            p.base_amount,
            p.quote_entry_amount,
            p.unsettled_pnl,
            p.open_orders,
            p.open_bids,
            p.open_asks,
        )
    )


def slot_of(ps: list[Position], index: int) -> int:
    """The position slot the program uses for market ``index``: its own, else the first free one."""
    used = [i for i, p in enumerate(ps) if p.market_index == index and in_use(p)]
    assert len(used) <= 1
    return used[0] if used else next(i for i, p in enumerate(ps) if not in_use(p))


def states(exchange: LocalExchange) -> dict[int, MarketState]:
    n = exchange.state().market_count
    return {i: MarketState.from_account(market(exchange, i)) for i in range(n)}


def margin_of(exchange: LocalExchange, u: LocalUser) -> Margin:
    return compute_margin(user(exchange, u).collateral, positions(exchange, u), states(exchange))


@dataclass(frozen=True)
class Expected:
    base: int
    user_side: int
    user_price: int
    user_quote: int
    liq_quote: int
    liq_price: int
    insurance_fee: int
    user_positions: list[Position]
    liq_positions: list[Position]
    before: Margin
    after: Margin
    liq_after: Margin
    flags: int


def expected(
    exchange: LocalExchange, liq: LocalUser, target: LocalUser, index: int, max_base: int
) -> Expected:
    """What liquidate_perp must do, from the accounts as they are now."""
    ms = states(exchange)
    m = ms[index]
    mp = market(exchange, index).params
    u, lq = user(exchange, target), user(exchange, liq)
    ups, lps = positions(exchange, target), positions(exchange, liq)
    before = compute_margin(u.collateral, ups, ms)
    assert before.equity < before.maintenance_requirement, "the target must be liquidatable"
    ui = slot_of(ups, index)
    pos = ups[ui]
    held = abs(pos.base_amount)
    user_side = ASK if pos.base_amount > 0 else BID
    liq_side = BID if user_side == ASK else ASK
    q = liquidation_size(
        before, held, m.mark_price, mp.liquidation_fee_bps, mp.maintenance_margin_bps, mp.lot_size,
        mp.min_order_size, max_base,
    )
    user_quote, liq_quote = liquidation_quotes(
        q, m.mark_price, user_side == ASK, mp.liquidation_fee_bps, mp.insurance_share_bps, before.equity
    )
    user_price, liq_price = liquidation_prices(m.mark_price, user_side == ASK, mp.liquidation_fee_bps, mp.insurance_share_bps)
    new_user, _ = apply_fill(
        replace(pos, open_bids=0, open_asks=0, open_orders=0), m, user_side, q, user_quote
    )
    ups = ups[:ui] + [new_user] + ups[ui + 1 :]
    li = slot_of(lps, index)
    lpos = (
        lps[li]
        if in_use(lps[li])
        else Position(market_index=index, last_cumulative_funding=m.cumulative_funding_long)
    )
    new_liq, _ = apply_fill(lpos, m, liq_side, q, liq_quote)
    lps = lps[:li] + [new_liq] + lps[li + 1 :]
    after = compute_margin(u.collateral, ups, ms)
    liq_after = compute_margin(lq.collateral, lps, ms)
    flags = u.flags
    flags = (
        flags | FLAG_BEING_LIQUIDATED
        if after.equity < after.maintenance_requirement
        else flags & ~FLAG_BEING_LIQUIDATED
    )
    flags = flags | FLAG_BANKRUPT if after.equity < 0 else flags & ~FLAG_BANKRUPT
    insurance = liq_quote - user_quote if user_side == ASK else user_quote - liq_quote
    return Expected(
        q, user_side, user_price, user_quote, liq_quote, liq_price, insurance, ups, lps, before, after, liq_after, flags
    )


def liquidate(
    exchange: LocalExchange,
    liq: LocalUser,
    target: LocalUser,
    index: int,
    max_base: int,
    other_markets: list[int] = (),  # type: ignore[assignment]
) -> Outcome:
    others = [exchange.market_address(i) for i in other_markets]
    return exchange.svm.send(
        [ix.liquidate_perp(liq.authority, liq.address, target.address, index, max_base, others)],
        [liq.keypair],
    )


def liquidate_and_check(
    exchange: LocalExchange,
    liq: LocalUser,
    target: LocalUser,
    index: int,
    max_base: int,
    other_markets: list[int] = (),  # type: ignore[assignment]
) -> Expected:
    """Liquidate and check every account change and the event against ``expected``."""
    want = expected(exchange, liq, target, index, max_base)
    m0 = market(exchange, index)
    collateral = (user(exchange, target).collateral, user(exchange, liq).collateral)
    before_ps = positions(exchange, target) + positions(exchange, liq)
    out = liquidate(exchange, liq, target, index, max_base, other_markets)
    assert out.ok, "\n".join(out.logs)
    assert positions(exchange, target) == want.user_positions
    assert positions(exchange, liq) == want.liq_positions
    assert (user(exchange, target).collateral, user(exchange, liq).collateral) == collateral
    assert user(exchange, target).flags == want.flags
    assert margin_of(exchange, target) == want.after
    assert margin_of(exchange, liq) == want.liq_after
    assert want.liq_after.equity >= want.liq_after.initial_requirement
    m = market(exchange, index)
    assert m.fee_pool == m0.fee_pool + want.insurance_fee
    assert m.pnl_pool == m0.pnl_pool
    assert m.open_interest_long == m.open_interest_short

    # open interest moves by the two positions' changes, and stays balanced
    def sides(ps: list[Position]) -> tuple[int, int]:
        b = [p.base_amount for p in ps if p.market_index == index]
        return sum(max(x, 0) for x in b), sum(max(-x, 0) for x in b)

    (l0, s0), (l1, s1) = sides(before_ps), sides(want.user_positions + want.liq_positions)
    assert (m.open_interest_long, m.open_interest_short) == (
        m0.open_interest_long + l1 - l0,
        m0.open_interest_short + s1 - s0,
    )
    evs = [d for n, d in events(out) if n == "LiquidationEvent"]
    assert len(evs) == 1
    ev = evs[0]
    assert (ev.user, ev.liquidator) == (target.address, liq.address)
    assert (
        ev.base_amount,
        ev.mark_price,
        ev.user_price,
        ev.liquidator_price,
        ev.insurance_fee,
    ) == (
        want.base,
        m.mark_price,
        want.user_price,
        want.liq_price,
        want.insurance_fee,
    )
    assert (ev.equity_before, ev.maintenance_before, ev.equity_after, ev.maintenance_after) == (
        want.before.equity,
        want.before.maintenance_requirement,
        want.after.equity,
        want.after.maintenance_requirement,
    )
    assert (ev.slot, ev.market_index, enum_name(ev.user_side)) == (
        exchange.svm.clock().slot,
        index,
        "Ask" if want.user_side == ASK else "Bid",
    )
    return want


@dataclass
class Setup:
    index: int
    feed: PythFeed
    maker: LocalUser
    target: LocalUser
    liq: LocalUser


def setup(
    exchange: LocalExchange,
    long: bool = True,
    base: int = 95 * BASE,
    collateral: int = 1_000 * QUOTE,
    liq_collateral: int = 5_000 * QUOTE,
    params=None,
) -> Setup:
    """``target`` takes ``base`` at 100 from ``maker`` (long unless ``long`` is False); mark 100."""
    index, feed = priced_market(exchange, 100 * PRICE, params=params)
    maker = exchange.add_user(deposit=5_000 * QUOTE)
    target = exchange.add_user(deposit=collateral)
    liq = exchange.add_user(deposit=liq_collateral)
    trade(exchange, maker, target, index, side.Bid() if long else side.Ask(), 100 * PRICE, base)
    return Setup(index, feed, maker, target, liq)


def oi_balanced(exchange: LocalExchange, index: int) -> None:
    m = market(exchange, index)
    assert m.open_interest_long == m.open_interest_short
    total_long = sum(
        max(p.base_amount, 0)
        for u in exchange.users
        for p in positions(exchange, u)
        if p.market_index == index
    )
    assert m.open_interest_long == total_long


# ------------------------------------------------------------------------------------------------
# when


def boundary_price(exchange: LocalExchange, u: LocalUser, index: int, lo: int, hi: int) -> int:
    """The lowest mark at which the (long) user meets maintenance, by bisection on the mirror."""
    coll, ps = user(exchange, u).collateral, positions(exchange, u)

    def meets(p: int) -> bool:
        ms = {index: replace(states(exchange)[index], mark_price=p)}
        mg = compute_margin(coll, ps, ms)
        return mg.equity >= mg.maintenance_requirement

    assert meets(hi) and not meets(lo)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if meets(mid):
            hi = mid
        else:
            lo = mid
    return hi


def test_not_liquidatable_at_or_above_maintenance(exchange: LocalExchange) -> None:
    s = setup(exchange)
    expect_error(liquidate(exchange, s.liq, s.target, s.index, 100 * BASE), custom.NotLiquidatable)
    p = boundary_price(exchange, s.target, s.index, 50 * PRICE, 100 * PRICE)
    reprice(exchange, s.index, s.feed, p)
    mg = margin_of(exchange, s.target)
    assert mg.equity >= mg.maintenance_requirement and mg.equity - mg.maintenance_requirement < 100
    before = (user(exchange, s.target), user(exchange, s.liq), market(exchange, s.index))
    expect_error(liquidate(exchange, s.liq, s.target, s.index, 100 * BASE), custom.NotLiquidatable)
    assert (user(exchange, s.target), user(exchange, s.liq), market(exchange, s.index)) == before
    reprice(exchange, s.index, s.feed, p - 1)
    liquidate_and_check(exchange, s.liq, s.target, s.index, 100 * BASE)


# ------------------------------------------------------------------------------------------------
# size, prices, fee


@pytest.mark.parametrize(
    "long, price",
    [(True, 94 * PRICE), (True, 93_333_333), (False, 106 * PRICE), (False, 106_666_667)],
)
def test_partial_liquidation_restores_half_again_the_maintenance(
    exchange: LocalExchange, long: bool, price: int
) -> None:
    s = setup(exchange, long=long)
    reprice(exchange, s.index, s.feed, price)
    want = liquidate_and_check(exchange, s.liq, s.target, s.index, 100 * BASE)
    held = 95 * BASE
    assert 0 < want.base < held and want.base % PARAMS.lot_size == 0
    # Not just maintenance: 150% of it, so the next tick of the price does not make it liquidatable again.
    assert 2 * want.after.equity >= 3 * want.after.maintenance_requirement
    # ... and not much more: one lot less would have fallen short of the target.
    lot_value = PARAMS.lot_size * price // BASE
    assert 2 * want.after.equity < 3 * want.after.maintenance_requirement + 2 * lot_value
    assert user(exchange, s.target).flags == 0
    assert want.insurance_fee > 0
    # the fee split: the user pays the whole fee, the liquidator earns the rest of the share, both in
    # sub-units of the quote: base * mark * (1 -+ fee) rounded once, against each side
    notional = want.base * price
    if long:
        assert (want.user_quote, want.liq_quote) == (
            notional * (BPS - 250) // (BASE * BPS), -(-notional * (BPS - 125) // (BASE * BPS))
        )
    else:
        assert (want.user_quote, want.liq_quote) == (
            -(-notional * (BPS + 250) // (BASE * BPS)), notional * (BPS + 125) // (BASE * BPS)
        )
    oi_balanced(exchange, s.index)
    # now above maintenance: a second attempt is refused
    expect_error(liquidate(exchange, s.liq, s.target, s.index, 100 * BASE), custom.NotLiquidatable)


@pytest.mark.parametrize("long, price", [(True, 93_000_051), (False, 105_400_673)])
def test_partial_liquidation_restores_the_target_whatever_the_rounding(
    exchange: LocalExchange, long: bool, price: int
) -> None:
    """The header promises a size "whose transfer at the discounted price restores equity to 150% of
    maintenance". At these marks a formula without PK_LIQUIDATION_ROUNDING_SLACK (checked exactly
    against the program) left the user a few micro-units short: the user price is floored to 1e-6 per
    base, the fill quote floored and the requirement ceiled."""
    s = setup(exchange, long=long)
    reprice(exchange, s.index, s.feed, price)
    want = liquidate_and_check(exchange, s.liq, s.target, s.index, 100 * BASE)
    assert 0 < want.base < 95 * BASE
    assert 2 * want.after.equity >= 3 * want.after.maintenance_requirement, (
        f"left {3 * want.after.maintenance_requirement - 2 * want.after.equity} (x1/2) below the target after liquidating "
        f"{want.base} of {95 * BASE} at mark {price}; flags {user(exchange, s.target).flags}"
    )
    assert user(exchange, s.target).flags == 0


def test_full_close_when_the_rest_would_be_below_the_minimum_order(exchange: LocalExchange) -> None:
    params = replace(default_market_params(), min_order_size=20 * BASE)
    s = setup(exchange, base=40 * BASE, collateral=420 * QUOTE, params=params)
    # find a mark where the formula leaves a positive rest below the minimum order
    held = 40 * BASE
    for price in range(99 * PRICE, 80 * PRICE, -PRICE // 10):
        reprice(exchange, s.index, s.feed, price)
        mg = margin_of(exchange, s.target)
        if mg.equity >= mg.maintenance_requirement:
            continue
        raw = expected(exchange, s.liq, s.target, s.index, held - PARAMS.lot_size)
        if 0 < held - raw.base < params.min_order_size and raw.base < held - PARAMS.lot_size:
            break
    else:
        raise AssertionError("no such price")
    # with max_base below the position the dust rule does not apply
    capped = expected(exchange, s.liq, s.target, s.index, held - PARAMS.lot_size)
    assert capped.base == raw.base < held
    want = liquidate_and_check(exchange, s.liq, s.target, s.index, held)
    assert want.base == held
    assert all(p.base_amount == 0 for p in positions(exchange, s.target))
    oi_balanced(exchange, s.index)


def test_max_base_caps_the_size_and_the_flag_follows_the_margin(exchange: LocalExchange) -> None:
    s = setup(exchange)
    reprice(exchange, s.index, s.feed, 94 * PRICE)
    full = expected(exchange, s.liq, s.target, s.index, 100 * BASE).base
    want = liquidate_and_check(exchange, s.liq, s.target, s.index, 3 * BASE)
    assert want.base == 3 * BASE < full
    assert user(exchange, s.target).flags == FLAG_BEING_LIQUIDATED
    oi_balanced(exchange, s.index)
    want = liquidate_and_check(exchange, s.liq, s.target, s.index, 100 * BASE)
    assert user(exchange, s.target).flags == 0
    assert want.after.equity >= want.after.maintenance_requirement
    oi_balanced(exchange, s.index)


def test_liquidated_size_stays_on_the_lot_grid(exchange: LocalExchange) -> None:
    """The size is rounded up to a lot, then capped by max_base without rounding: a max_base off the
    lot grid leaves a position off the grid, whose last fraction of a lot no order can ever close
    (orders are whole lots). Either refuse such a max_base or round the capped size down to a lot."""
    s = setup(exchange)
    reprice(exchange, s.index, s.feed, 94 * PRICE)
    max_base = 3 * BASE + PARAMS.lot_size // 2
    out = liquidate(exchange, s.liq, s.target, s.index, max_base)
    if not out.ok:
        expect_error(out, custom.InvalidInstructionData)
        return
    ev = next(d for n, d in events(out) if n == "LiquidationEvent")
    base = next(p.base_amount for p in positions(exchange, s.target) if p.market_index == s.index)
    assert ev.base_amount <= max_base
    assert ev.base_amount % PARAMS.lot_size == 0 and base % PARAMS.lot_size == 0, (
        f"liquidated {ev.base_amount}, position left {base}: not multiples of the lot {PARAMS.lot_size}"
    )


def test_zero_max_base_is_refused(exchange: LocalExchange) -> None:
    s = setup(exchange)
    reprice(exchange, s.index, s.feed, 94 * PRICE)
    expect_error(liquidate(exchange, s.liq, s.target, s.index, 0), custom.InvalidInstructionData)


def test_bankrupt_user_is_closed_entirely_and_flagged(exchange: LocalExchange) -> None:
    s = setup(exchange)
    reprice(exchange, s.index, s.feed, 89 * PRICE)
    assert margin_of(exchange, s.target).equity < 0
    want = liquidate_and_check(exchange, s.liq, s.target, s.index, 100 * BASE)
    assert want.base == 95 * BASE
    assert want.after.equity < 0 and want.after.maintenance_requirement == 0
    assert user(exchange, s.target).flags == FLAG_BEING_LIQUIDATED | FLAG_BANKRUPT
    oi_balanced(exchange, s.index)
    # nothing is left to take over
    expect_error(
        liquidate(exchange, s.liq, s.target, s.index, 100 * BASE), custom.NoPositionToLiquidate
    )
    # the realised loss exceeds the collateral: settle_pnl takes all of it, the rest stays unsettled
    pnl = next(p.unsettled_pnl for p in positions(exchange, s.target) if p.market_index == s.index)
    assert pnl < -1_000 * QUOTE
    exchange.svm.send_ok([ix.settle_pnl(s.target.address, s.index)])
    assert user(exchange, s.target).collateral == 0
    assert market(exchange, s.index).pnl_pool == 1_000 * QUOTE


def test_liquidation_settles_pending_funding_first(exchange: LocalExchange) -> None:
    s = setup(exchange)
    svm = exchange.svm
    # a book above the index for a period: positive funding, paid by the long
    mm = exchange.add_user(deposit=5_000 * QUOTE)
    assert rest(exchange, mm, s.index, side.Bid(), 100 * PRICE + 500_000, BASE).ok
    assert rest(exchange, mm, s.index, side.Ask(), 101 * PRICE, BASE).ok
    let_orders_rest(exchange, s.index)
    c = svm.clock()
    svm.warp(c.slot + 1, market(exchange, s.index).last_funding_ts + PARAMS.funding_period_secs)
    s.feed.set(100 * PRICE)
    assert crank(exchange, s.index, s.feed).ok
    svm.send_ok([ix.update_funding(s.index)])
    assert market(exchange, s.index).cumulative_funding_long > 0
    svm.send_ok([ix.cancel_all_orders(mm.authority, mm.address, s.index)], [mm.keypair])
    c = svm.clock()
    svm.warp(c.slot + 1, c.unix_timestamp)
    s.feed.set(94 * PRICE)
    assert crank(exchange, s.index, s.feed).ok
    pos = next(p for p in positions(exchange, s.target) if p.market_index == s.index)
    assert pos.last_cumulative_funding == 0
    want = liquidate_and_check(exchange, s.liq, s.target, s.index, 100 * BASE)
    new = next(p for p in want.user_positions if p.market_index == s.index)
    assert new.last_cumulative_funding == market(exchange, s.index).cumulative_funding_long


# ------------------------------------------------------------------------------------------------
# resting orders


def test_liquidation_cancels_the_users_resting_orders(exchange: LocalExchange) -> None:
    s = setup(exchange)
    other = exchange.add_user(deposit=5_000 * QUOTE)
    assert rest(exchange, s.target, s.index, side.Ask(), 105 * PRICE, BASE).ok
    assert rest(exchange, s.target, s.index, side.Bid(), 90 * PRICE, BASE).ok
    assert rest(exchange, other, s.index, side.Bid(), 89 * PRICE, 2 * BASE).ok
    assert rest(exchange, other, s.index, side.Ask(), 106 * PRICE, 2 * BASE).ok
    pos = next(p for p in positions(exchange, s.target) if p.market_index == s.index)
    assert (pos.open_bids, pos.open_asks, pos.open_orders) == (BASE, BASE, 2)
    reprice(exchange, s.index, s.feed, 94 * PRICE)
    liquidate_and_check(exchange, s.liq, s.target, s.index, 100 * BASE)
    pos = next(p for p in positions(exchange, s.target) if p.market_index == s.index)
    assert (pos.open_bids, pos.open_asks, pos.open_orders) == (0, 0, 0)
    book = exchange.svm.decode(Orderbook, market(exchange, s.index).orderbook)
    bids = [(o.owner, o.price, o.base_amount) for o in book.bids[: book.bid_count]]
    asks = [(o.owner, o.price, o.base_amount) for o in book.asks[: book.ask_count]]
    assert bids == [(other.address, 89 * PRICE, 2 * BASE)]
    assert asks == [(other.address, 106 * PRICE, 2 * BASE)]
    # the cancelled orders cannot fill any more
    expect_error(
        exchange.svm.send(
            [ix.cancel_order(s.target.authority, s.target.address, s.index, 2)], [s.target.keypair]
        ),
        custom.OrderNotFound,
    )


def test_queued_fills_keep_their_reservation_through_liquidation(exchange: LocalExchange) -> None:
    """liquidation.c: "Fills of these orders already in the event queue keep their reservations until
    applied." A fill of the user's bid that sits in the event queue must stay in open_bids."""
    s = setup(exchange)
    other = exchange.add_user(deposit=5_000 * QUOTE)
    assert rest(exchange, s.target, s.index, side.Bid(), 99 * PRICE, 2 * BASE).ok
    out = take(exchange, other, s.index, side.Ask(), 99 * PRICE, BASE)  # half of it fills, queued
    assert out.ok, out.logs
    pos = next(p for p in positions(exchange, s.target) if p.market_index == s.index)
    assert (pos.base_amount, pos.open_bids, pos.open_orders) == (95 * BASE, 2 * BASE, 1)
    reprice(exchange, s.index, s.feed, 94 * PRICE)
    assert liquidate(exchange, s.liq, s.target, s.index, 100 * BASE).ok
    pos = next(p for p in positions(exchange, s.target) if p.market_index == s.index)
    # the resting 1 base was cancelled; the queued 1 base is still to be applied
    assert pos.open_bids == BASE, f"open_bids {pos.open_bids}: the queued fill lost its reservation"


# ------------------------------------------------------------------------------------------------
# refusals


def test_liquidator_must_meet_initial_margin(exchange: LocalExchange) -> None:
    s = setup(exchange, liq_collateral=50 * QUOTE)
    reprice(exchange, s.index, s.feed, 94 * PRICE)
    want = expected(exchange, s.liq, s.target, s.index, 100 * BASE)
    assert want.liq_after.equity < want.liq_after.initial_requirement
    before = (user(exchange, s.target), user(exchange, s.liq), market(exchange, s.index))
    expect_error(
        liquidate(exchange, s.liq, s.target, s.index, 100 * BASE), custom.InsufficientMargin
    )
    assert (user(exchange, s.target), user(exchange, s.liq), market(exchange, s.index)) == before
    # a smaller take-over fits its margin
    small = 3 * BASE
    assert expected(exchange, s.liq, s.target, s.index, small).liq_after.meets_initial
    liquidate_and_check(exchange, s.liq, s.target, s.index, small)


def test_cannot_liquidate_self(exchange: LocalExchange) -> None:
    s = setup(exchange)
    reprice(exchange, s.index, s.feed, 94 * PRICE)
    expect_error(
        liquidate(exchange, s.target, s.target, s.index, 100 * BASE), custom.CannotLiquidateSelf
    )


def test_liquidator_must_sign_for_its_account(exchange: LocalExchange) -> None:
    s = setup(exchange)
    reprice(exchange, s.index, s.feed, 94 * PRICE)
    stranger = exchange.svm.funded_keypair(1)
    out = exchange.svm.send(
        [
            ix.liquidate_perp(
                stranger.pubkey(), s.liq.address, s.target.address, s.index, 100 * BASE
            )
        ],
        [stranger],
    )
    expect_error(out, custom.Unauthorized)


def two_market_user(exchange: LocalExchange) -> tuple[Setup, int, PythFeed]:
    """Setup's target also long 5 in a second market (from a maker without other positions); both marks drop."""
    s = setup(exchange, collateral=1_050 * QUOTE)
    m1, f1 = priced_market(exchange, 100 * PRICE)
    maker1 = exchange.add_user(deposit=5_000 * QUOTE)
    trade(
        exchange,
        maker1,
        s.target,
        m1,
        side.Bid(),
        100 * PRICE,
        5 * BASE,
        taker_other_markets=[exchange.market_address(s.index)],
    )
    reprice(exchange, s.index, s.feed, 94 * PRICE)
    reprice(exchange, m1, f1, 90 * PRICE)
    mg = margin_of(exchange, s.target)
    assert mg.equity < mg.maintenance_requirement
    return s, m1, f1


def test_other_markets_of_the_user_must_be_passed(exchange: LocalExchange) -> None:
    s, m1, _ = two_market_user(exchange)
    expect_error(
        liquidate(exchange, s.liq, s.target, s.index, 100 * BASE), custom.MissingMarketAccount
    )
    liquidate_and_check(exchange, s.liq, s.target, s.index, 100 * BASE, other_markets=[m1])
    oi_balanced(exchange, s.index)


def test_no_position_in_the_market_to_liquidate(exchange: LocalExchange) -> None:
    s = setup(exchange)
    m1, _f1 = priced_market(exchange, 100 * PRICE)
    reprice(exchange, s.index, s.feed, 94 * PRICE)
    # liquidatable through market 0, but asked to liquidate in market 1 where it holds nothing
    expect_error(
        liquidate(exchange, s.liq, s.target, m1, 100 * BASE, other_markets=[s.index]),
        custom.NoPositionToLiquidate,
    )


def test_foreign_order_book_is_refused(exchange: LocalExchange) -> None:
    s = setup(exchange)
    m1, _ = priced_market(exchange, 100 * PRICE)
    reprice(exchange, s.index, s.feed, 94 * PRICE)
    good = ix.liquidate_perp(s.liq.authority, s.liq.address, s.target.address, s.index, 100 * BASE)
    foreign = (
        ix.liquidate_perp(s.liq.authority, s.liq.address, s.target.address, m1, 100 * BASE)
        .accounts[LP_BOOK]
        .pubkey
    )
    expect_error(
        exchange.svm.send([with_account(good, LP_BOOK, foreign)], [s.liq.keypair]),
        custom.MarketAccountMismatch,
    )


@pytest.mark.parametrize(
    "status, err",
    [(market_status.Paused(), custom.MarketNotTradable), (market_status.ReduceOnly(), None)],
)
def test_liquidation_by_market_status(
    exchange: LocalExchange, status: market_status.MarketStatusKind, err: type | None
) -> None:
    s = setup(exchange)
    reprice(exchange, s.index, s.feed, 94 * PRICE)
    exchange.svm.send_ok(
        [ix.set_market_status(exchange.admin.pubkey(), s.index, status)], [exchange.admin]
    )
    if err is None:
        liquidate_and_check(exchange, s.liq, s.target, s.index, 100 * BASE)
    else:
        expect_error(liquidate(exchange, s.liq, s.target, s.index, 100 * BASE), err)


# ------------------------------------------------------------------------------------------------
# the fee in sub-units and capped by equity (security review, issue 12 items 8 and 11)


@pytest.mark.parametrize("entry, mark, collateral", [(11, 10, 1_400 * QUOTE), (2, 1, 1_020 * QUOTE)])
def test_the_fee_at_a_mark_of_a_few_price_units_is_the_configured_bps(
    exchange: LocalExchange, entry: int, mark: int, collateral: int
) -> None:
    """A market priced at a few price units (1e-6 quote per base): a billion base long from ``entry``, then
    the mark falls to ``mark`` and the target is liquidatable with equity left. Rounding the liquidation
    price to whole price units first made the 250 bps fee floor(10 * 0.975) = 9, i.e. 1,000 bps at mark
    10, and 0 (the whole position) at mark 1. The user's fee must be at most 250 bps of the notional plus
    one quote unit, and at most its equity before."""
    params = default_market_params(
        tick_size=1, lot_size=BASE, min_order_size=BASE, max_open_interest=2 * 10**18
    )
    index, feed = priced_market(exchange, entry, params=params)
    maker = exchange.add_user(tokens=50_000 * QUOTE, deposit=50_000 * QUOTE)
    target = exchange.add_user(deposit=collateral)
    liq = exchange.add_user(tokens=50_000 * QUOTE, deposit=50_000 * QUOTE)
    held = 10**9 * BASE
    trade(exchange, maker, target, index, side.Bid(), entry, held)
    reprice(exchange, index, feed, mark)
    want = liquidate_and_check(exchange, liq, target, index, held)
    assert want.before.equity > 0 and want.base > 0
    at_mark = want.base * mark // BASE
    fee = at_mark - want.user_quote
    assert 0 < fee
    assert fee * BPS <= at_mark * 250 + BPS, f"{fee} on {at_mark}: more than 250 bps + one unit"
    assert fee <= want.before.equity + 1
    # the whole-unit price the program used to fill at would have cost the user this much
    old_fee = at_mark - want.base * (mark * (BPS - 250) // BPS) // BASE
    assert old_fee >= 4 * fee


def test_an_account_below_zero_pays_no_fee(exchange: LocalExchange) -> None:
    """Equity already negative: the old program still charged the full fee, which only grew the loss the
    insurance fund and the other traders cover, while its insurance share was swept back to the fund
    as revenue. Now the user fills at mark (rounded against it by at most a unit), the liquidator gets
    no discount and the fee pool only the rounding."""
    s = setup(exchange)
    reprice(exchange, s.index, s.feed, 89 * PRICE)
    assert margin_of(exchange, s.target).equity < 0
    fee_pool = market(exchange, s.index).fee_pool
    want = liquidate_and_check(exchange, s.liq, s.target, s.index, 100 * BASE)
    assert want.base == 95 * BASE
    assert want.user_quote == 95 * 89 * QUOTE and want.liq_quote == 95 * 89 * QUOTE
    assert market(exchange, s.index).fee_pool == fee_pool
    assert want.after.equity == want.before.equity  # nothing beyond what it had lost
    assert user(exchange, s.target).flags & FLAG_BANKRUPT
    assert exchange.state().bankrupt_users == 1


def test_the_fee_is_capped_by_the_equity_left_and_the_liquidator_is_paid_first(exchange: LocalExchange) -> None:
    """Equity of a few quote, far below the fee on the position: the user gives up exactly that equity
    (ending at zero, not below), the liquidator gets it up to its share and the fee pool what is left."""
    s = setup(exchange)
    pos = positions(exchange, s.target)[0]
    coll = user(exchange, s.target).collateral
    price = -(-(2 * QUOTE - coll - pos.quote_entry_amount - pos.unsettled_pnl) // 95)  # equity 2 QUOTE (and < 95 units more)
    reprice(exchange, s.index, s.feed, price)
    before = margin_of(exchange, s.target)
    assert 2 * QUOTE <= before.equity < 2 * QUOTE + 95
    assert before.equity * BPS < 95 * price * 125  # below even the liquidator's part of the fee
    want = liquidate_and_check(exchange, s.liq, s.target, s.index, 100 * BASE)
    assert want.base == 95 * BASE
    at_mark = 95 * price
    assert at_mark - want.user_quote == before.equity
    assert want.after.equity == 0
    # the liquidator buys: its gain is its discount below the mark, the whole equity (its part of the fee
    # is larger), and nothing is left for the fee pool
    assert at_mark - want.liq_quote == before.equity
    assert want.insurance_fee == want.liq_quote - want.user_quote == 0
    assert not user(exchange, s.target).flags & FLAG_BANKRUPT
