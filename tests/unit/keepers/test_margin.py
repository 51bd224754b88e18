"""keepers/exchange/margin.py on hand-computed cases.

Every expected number below is worked out in the comment next to it from the formulas of
programs/perp/positions.c and margin.c (base 1e9, quote 1e6, cumulative funding scaled so that
base * funding / 1e12 is quote), never by calling the function under test on other inputs.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from keepers.exchange.margin import (
    ASK,
    BID,
    I64_MAX,
    Margin,
    MarketState,
    MathOverflow,
    OiChange,
    Position,
    apply_fill,
    ceil_div,
    compute_margin,
    fill_quote,
    floor_div,
    pending_funding,
    settle_funding,
)
from programs_client.perp.constants import BASE_PRECISION as B, QUOTE_PRECISION as Q



def mkt(mark: int = 100 * Q, long: int = 0, short: int = 0, im: int = 1000, mm: int = 500, index: int = 0) -> MarketState:
    return MarketState(index, mark, long, short, im, mm)


# ------------------------------------------------------------------------------------------------
# rounding primitives


@pytest.mark.parametrize(
    "a,d,floor,ceil",
    [
        (7, 2, 3, 4),
        (-7, 2, -4, -3),  # floor goes toward -inf, ceil toward +inf
        (6, 3, 2, 2),
        (-6, 3, -2, -2),
        (0, 5, 0, 0),
        (1, 10**9, 0, 1),
        (-1, 10**9, -1, 0),
    ],
)
def test_floor_and_ceil_division(a: int, d: int, floor: int, ceil: int) -> None:
    assert floor_div(a, d) == floor
    assert ceil_div(a, d) == ceil


def test_fill_quote_buyer_pays_ceiling_seller_gets_floor() -> None:
    # 3 * 333_333_334 = 1_000_000_002 -> / 1e9 = 1.000000002
    assert fill_quote(3, 333_333_334, BID) == 2
    assert fill_quote(3, 333_333_334, ASK) == 1
    # exact products round neither way: 1.5 base at 100.25 = 150.375 quote
    assert fill_quote(1_500_000_000, 100_250_000, BID) == 150_375_000
    assert fill_quote(1_500_000_000, 100_250_000, ASK) == 150_375_000
    # 1e-6 base at 0.01 quote = 1e-8 quote: below one micro-unit
    assert fill_quote(10**3, 10_000, BID) == 1
    assert fill_quote(10**3, 10_000, ASK) == 0


# ------------------------------------------------------------------------------------------------
# apply_fill: open, add, reduce, close, flip


def test_open_long_from_flat() -> None:
    m = mkt(long=777, short=-55)
    pos, oi = apply_fill(Position(market_index=0, last_cumulative_funding=3), m, BID, 2 * B, 200 * Q)
    assert pos == Position(0, 2 * B, -200 * Q, 777, 0, 0, 0, 0)  # snapshot = cumulative long
    assert oi == OiChange(2 * B, 0)


def test_open_short_from_flat_snapshots_the_short_side() -> None:
    m = mkt(long=777, short=-55)
    pos, oi = apply_fill(Position(), m, ASK, 2 * B, 199_999_999)
    assert (pos.base_amount, pos.quote_entry_amount, pos.last_cumulative_funding) == (-2 * B, 199_999_999, -55)
    assert oi == OiChange(0, 2 * B)


def test_add_to_long_sums_the_entry() -> None:
    pos = Position(base_amount=2 * B, quote_entry_amount=-200 * Q)
    pos, oi = apply_fill(pos, mkt(), BID, B, 110 * Q)
    assert (pos.base_amount, pos.quote_entry_amount, pos.unsettled_pnl) == (3 * B, -310 * Q, 0)
    assert oi == OiChange(B, 0)


def test_reduce_long_realises_the_closed_share() -> None:
    # long 3 for -310; sell 1 for +120
    # removed   = floor(-310e6 * 1 / 3) = floor(-103_333_333.33) = -103_333_334
    # realised  = 120e6 + (-103_333_334) = 16_666_666
    # entry     = -310e6 - (-103_333_334) = -206_666_666
    pos = Position(base_amount=3 * B, quote_entry_amount=-310 * Q)
    pos, oi = apply_fill(pos, mkt(), ASK, B, 120 * Q)
    assert (pos.base_amount, pos.quote_entry_amount, pos.unsettled_pnl) == (2 * B, -206_666_666, 16_666_666)
    assert pos.quote_entry_amount + pos.unsettled_pnl == -310 * Q + 120 * Q
    assert oi == OiChange(-B, 0)
    # close the rest: sell 2 for +250 -> removed = -206_666_666, realised = 43_333_334
    pos, oi = apply_fill(pos, mkt(), ASK, 2 * B, 250 * Q)
    assert (pos.base_amount, pos.quote_entry_amount, pos.unsettled_pnl) == (0, 0, 60 * Q)
    assert oi == OiChange(-2 * B, 0)


def test_reduce_short_rounds_the_removed_entry_down() -> None:
    # short 3 for +310; buy 1 for 90 (cash -90)
    # removed  = floor(310e6 / 3) = 103_333_333; realised = -90e6 + 103_333_333 = 13_333_333
    pos = Position(base_amount=-3 * B, quote_entry_amount=310 * Q, unsettled_pnl=-7)
    pos, oi = apply_fill(pos, mkt(), BID, B, 90 * Q)
    assert (pos.base_amount, pos.quote_entry_amount, pos.unsettled_pnl) == (-2 * B, 206_666_667, 13_333_326)
    assert oi == OiChange(0, -B)


def test_flip_long_to_short() -> None:
    # long 1 for -100; sell 3 for 330_000_001
    # cash_close = floor(330_000_001 * 1 / 3) = 110_000_000; realised = 110e6 - 100e6 = 10e6
    # cash_open  = 330_000_001 - 110_000_000 = 220_000_001 becomes the short's entry
    m = mkt(long=5, short=9)
    pos = Position(base_amount=B, quote_entry_amount=-100 * Q, last_cumulative_funding=5)
    pos, oi = apply_fill(pos, m, ASK, 3 * B, 330_000_001)
    assert (pos.base_amount, pos.quote_entry_amount, pos.unsettled_pnl) == (-2 * B, 220_000_001, 10 * Q)
    assert pos.last_cumulative_funding == 9  # re-snapshotted on the short side
    assert oi == OiChange(-B, 2 * B)


def test_flip_short_to_long_rounds_the_closing_cash_down() -> None:
    # short 1 for +100; buy 3 for 330_000_001 (cash -330_000_001)
    # cash_close = floor(-330_000_001 / 3) = floor(-110_000_000.33) = -110_000_001
    # realised   = -110_000_001 + 100e6 = -10_000_001; entry = -330_000_001 + 110_000_001 = -220e6
    m = mkt(long=5, short=9)
    pos = Position(base_amount=-B, quote_entry_amount=100 * Q, last_cumulative_funding=9)
    pos, oi = apply_fill(pos, m, BID, 3 * B, 330_000_001)
    assert (pos.base_amount, pos.quote_entry_amount, pos.unsettled_pnl) == (2 * B, -220 * Q, -10_000_001)
    assert pos.last_cumulative_funding == 5
    assert oi == OiChange(2 * B, -B)


def test_fill_never_creates_or_destroys_quote() -> None:
    # entry + pnl moves by exactly the fill's cash whatever the rounding
    pos = Position(base_amount=7, quote_entry_amount=-13)
    for side, base, quote in [(ASK, 3, 5), (ASK, 9, 17), (BID, 11, 23), (BID, 1, 1), (ASK, 6, 2)]:
        before = pos.quote_entry_amount + pos.unsettled_pnl
        pos, _ = apply_fill(pos, mkt(), side, base, quote)
        assert pos.quote_entry_amount + pos.unsettled_pnl == before + (quote if side == ASK else -quote)
    assert pos.base_amount == 7 - 3 - 9 + 11 + 1 - 6


def test_same_side_fill_keeps_the_funding_snapshot() -> None:
    pos = Position(base_amount=B, quote_entry_amount=-100 * Q, last_cumulative_funding=40)
    pos, _ = apply_fill(pos, mkt(long=40), BID, B, 100 * Q)
    assert pos.last_cumulative_funding == 40
    # reducing without crossing zero keeps it too; closing to zero re-snapshots on the long side
    pos, _ = apply_fill(pos, mkt(long=40, short=70), ASK, B, 100 * Q)
    assert pos.last_cumulative_funding == 40
    pos, _ = apply_fill(pos, mkt(long=40, short=70), ASK, B, 100 * Q)
    assert (pos.base_amount, pos.last_cumulative_funding) == (0, 40)


# ------------------------------------------------------------------------------------------------
# funding


@pytest.mark.parametrize(
    "base,delta,owed",
    [
        # owed = floor(-base * delta / 1e12)
        (2 * B, 1_500_000_001, -3_000_001),  # long pays a positive delta: -3_000_000.002 -> -3_000_001
        (2 * B, -1_500_000_001, 3_000_000),  # long receives a negative one: 3_000_000.002 -> 3_000_000
        (-2 * B, 1_500_000_001, 3_000_000),  # short receives a positive delta
        (-2 * B, -1_500_000_001, -3_000_001),  # short pays a negative one
        (2 * B, 0, 0),
        (1, 1, -1),  # -1e-12 quote rounds to a whole debit
        (-1, 1, 0),  # a 1e-12 credit rounds to nothing
    ],
)
def test_funding_settlement_rounds_against_the_user(base: int, delta: int, owed: int) -> None:
    snap = 1_000
    cum = snap + delta
    m = mkt(long=cum if base > 0 else -1, short=cum if base < 0 else -1)
    pos = Position(base_amount=base, last_cumulative_funding=snap, unsettled_pnl=5)
    assert pending_funding(pos, m) == owed
    settled = settle_funding(pos, m)
    assert settled.unsettled_pnl == 5 + owed
    assert settled.last_cumulative_funding == cum
    assert pending_funding(settled, m) == 0


def test_flat_position_owes_no_funding_and_snapshots_the_long_side() -> None:
    m = mkt(long=123, short=456)
    pos = settle_funding(Position(last_cumulative_funding=9), m)
    assert (pos.unsettled_pnl, pos.last_cumulative_funding) == (0, 123)


def test_apply_fill_settles_funding_before_the_size_changes() -> None:
    # long 2 at snapshot 0, cumulative long now 1e9 -> owed floor(-2e9 * 1e9 / 1e12) = -2_000_000
    m = mkt(long=10**9, short=-(10**9))
    pos = Position(base_amount=2 * B, quote_entry_amount=-200 * Q)
    pos, _ = apply_fill(pos, m, BID, B, 100 * Q)
    assert (pos.unsettled_pnl, pos.last_cumulative_funding) == (-2 * Q, 10**9)
    # flipping settles on the old side, then snapshots the new one
    pos, _ = apply_fill(pos, mkt(long=2 * 10**9, short=-(10**9)), ASK, 4 * B, 400 * Q)
    # settled: floor(-3e9 * 1e9 / 1e12) = -3e6 more; close 3 for 300 against entry -300 -> 0
    assert (pos.base_amount, pos.unsettled_pnl, pos.last_cumulative_funding) == (-B, -5 * Q, -(10**9))
    assert pos.quote_entry_amount == 100 * Q


# ------------------------------------------------------------------------------------------------
# margin


def test_margin_long_position_hand_computed() -> None:
    # value       = floor(2e9 * 101_234_567 / 1e9) = 202_469_134
    # equity      = 1000e6 - 200e6 - 5 + 202_469_134 = 1_002_469_129
    # initial     = ceil(202_469_134 * 1000 / 1e4) = ceil(20_246_913.4) = 20_246_914
    # maintenance = ceil(202_469_134 * 500 / 1e4) = ceil(10_123_456.7) = 10_123_457
    pos = Position(base_amount=2 * B, quote_entry_amount=-200 * Q, unsettled_pnl=-5)
    mg = compute_margin(1000 * Q, [pos], {0: mkt(101_234_567)})
    assert (mg.equity, mg.initial_requirement, mg.maintenance_requirement) == (1_002_469_129, 20_246_914, 10_123_457)
    assert mg.meets_initial and not mg.liquidatable


def test_margin_short_value_and_notional_round_against_the_user() -> None:
    # base -3 (3e-9) at mark 333_333_334: value = floor(-1.000000002) = -2; notional = ceil(1.000000002) = 2
    # initial = ceil(2 * 1000 / 1e4) = 1, maintenance = ceil(2 * 500 / 1e4) = 1
    pos = Position(base_amount=-3, quote_entry_amount=1)
    mg = compute_margin(0, [pos], {0: mkt(333_333_334)})
    assert (mg.equity, mg.initial_requirement, mg.maintenance_requirement) == (1 - 2, 1, 1)


@pytest.mark.parametrize(
    "base,bids,asks,worst",
    [
        (2 * B, B, 5 * B, 3 * B),  # |2+1| = 3 = |2-5|
        (2 * B, B, 6 * B, 4 * B),  # asks are the worse side: |2-6| = 4
        (2 * B, 3 * B, 0, 5 * B),  # bids: |2+3| = 5
        (-B, 4 * B, B, 3 * B),  # short: |-1+4| = 3 > |-1-1| = 2
        (0, 2 * B, 2 * B, 2 * B),
        (0, 0, 7 * B, 7 * B),
    ],
)
def test_initial_margin_counts_open_orders_on_the_worse_side(base: int, bids: int, asks: int, worst: int) -> None:
    # mark 100: notional of `worst` is worst/1e9 * 100e6; initial 10%, maintenance 5% of |base| only
    pos = Position(base_amount=base, open_bids=bids, open_asks=asks)
    mg = compute_margin(0, [pos], {0: mkt(100 * Q)})
    assert mg.initial_requirement == worst // B * 10 * Q
    assert mg.maintenance_requirement == abs(base) * 5 * Q // B
    assert mg.equity == base * 100 * Q // B


def test_margin_sums_markets_and_pending_funding() -> None:
    # market 0: long 1 at mark 50, funding delta +2e9 since snapshot -> floor(-1e9 * 2e9 / 1e12) = -2e6
    # market 3: short 2 at mark 10.5, entry +22
    # equity = 10e6 + (-40e6 + 50e6 - 2e6) + (22e6 - 21e6) = 19e6
    # initial = ceil(50e6 * 0.2) + ceil(21e6 * 0.1) = 10e6 + 2.1e6; maintenance = 5e6 + 1.05e6
    markets = {0: mkt(50 * Q, long=2 * 10**9, im=2000, mm=1000), 3: mkt(10_500_000, index=3)}
    positions = [
        Position(market_index=0, base_amount=B, quote_entry_amount=-40 * Q),
        Position(market_index=3, base_amount=-2 * B, quote_entry_amount=22 * Q),
    ]
    mg = compute_margin(10 * Q, positions, markets)
    assert (mg.equity, mg.initial_requirement, mg.maintenance_requirement) == (19 * Q, 12_100_000, 6_050_000)


def test_unexposed_positions_count_only_their_cash_and_need_no_market() -> None:
    pos = Position(market_index=7, quote_entry_amount=3, unsettled_pnl=-10)
    mg = compute_margin(100, [pos, Position(market_index=9)], {})
    assert (mg.equity, mg.initial_requirement, mg.maintenance_requirement) == (93, 0, 0)


def test_margin_thresholds_are_inclusive_for_the_user() -> None:
    # long 1 at mark 100, entry -100 -> equity = collateral; initial 10e6, maintenance 5e6
    pos = Position(base_amount=B, quote_entry_amount=-100 * Q)
    at_initial = compute_margin(10 * Q, [pos], {0: mkt()})
    assert at_initial.meets_initial
    assert not compute_margin(10 * Q - 1, [pos], {0: mkt()}).meets_initial
    assert not compute_margin(5 * Q, [pos], {0: mkt()}).liquidatable
    assert compute_margin(5 * Q - 1, [pos], {0: mkt()}).liquidatable


def test_margin_without_a_mark_price_is_an_error() -> None:
    with pytest.raises(ValueError):
        compute_margin(0, [Position(open_bids=1)], {0: mkt(0)})
    with pytest.raises(KeyError):
        compute_margin(0, [Position(market_index=2, base_amount=1)], {0: mkt()})


# ------------------------------------------------------------------------------------------------
# overflow


def test_math_overflow() -> None:
    with pytest.raises(MathOverflow):
        apply_fill(Position(base_amount=I64_MAX), mkt(), BID, 1, 0)
    with pytest.raises(MathOverflow):
        apply_fill(Position(base_amount=1, quote_entry_amount=-(2**63)), mkt(), BID, 1, 1)
    with pytest.raises(MathOverflow):
        apply_fill(Position(base_amount=-1, quote_entry_amount=I64_MAX), mkt(), ASK, 1, 1)
    with pytest.raises(MathOverflow):
        # funding owed beyond i64: -1e9 * 2^62 ... / 1e12 fits, 2^63 base does not exist; use a huge delta
        pending_funding(Position(base_amount=I64_MAX, last_cumulative_funding=-(2**62)), mkt(long=2**62))
    with pytest.raises(MathOverflow):
        compute_margin(I64_MAX, [Position(unsettled_pnl=1)], {})
    # the last representable values still work
    pos, _ = apply_fill(Position(base_amount=I64_MAX - 1), mkt(), BID, 1, 0)
    assert pos.base_amount == I64_MAX
    assert compute_margin(I64_MAX - 1, [Position(unsettled_pnl=1)], {}).equity == I64_MAX


# ------------------------------------------------------------------------------------------------
# construction from decoded accounts


def test_from_account() -> None:
    p = SimpleNamespace(
        market_index=2, base_amount=-5, quote_entry_amount=6, last_cumulative_funding=7,
        open_bids=8, open_asks=9, unsettled_pnl=-10, open_orders=3, padding=[0] * 5,
    )
    assert Position.from_account(p) == Position(2, -5, 6, 7, 8, 9, -10, 3)
    m = SimpleNamespace(
        market_index=4, mark_price=11, cumulative_funding_long=12, cumulative_funding_short=-13,
        params=SimpleNamespace(initial_margin_bps=1500, maintenance_margin_bps=700),
    )
    ms = MarketState.from_account(m)
    assert ms == MarketState(4, 11, 12, -13, 1500, 700)
    assert (ms.cumulative_funding(0), ms.cumulative_funding(1), ms.cumulative_funding(-1)) == (12, 12, -13)


def test_reservation_totals_past_i64_are_refused_as_the_program_refuses_them() -> None:
    """programs/perp/margin.c refuses open bids or asks past i64 (and a position plus them past i64)
    with MathOverflow instead of wrapping; the mirror agrees."""
    market = {0: MarketState(market_index=0, mark_price=10**4, initial_margin_bps=1_000, maintenance_margin_bps=500)}

    def margin(**fields: int) -> Margin:
        pos = Position(market_index=0, **fields)
        return compute_margin(10**12, [pos], market)

    biggest = I64_MAX
    assert margin(open_bids=biggest).initial_requirement == ceil_div(ceil_div(biggest * 10**4, B) * 1_000, 10_000)
    with pytest.raises(MathOverflow):
        margin(open_bids=biggest + 1)
    with pytest.raises(MathOverflow):
        margin(open_asks=2 * biggest)
    with pytest.raises(MathOverflow):
        margin(base_amount=1, open_bids=biggest)
