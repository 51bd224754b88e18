"""The venue emulator's matching and account (``localnet.venue.matching``), worked by hand: positions that
grow, reduce and flip with their realised PnL and fees, reduce-only, grid and notional checks."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from localnet.venue.matching import Crowd, Instrument, Side, TimeInForce, Venue, VenueError

SOL = Instrument("SOLUSDT", "SOL", "USDT", D("0.01"), D("1"), D("1"), D("1000"), D("5"))
CROWD = Crowd(levels=3, half_spread_bps=10.0, step_bps=10.0, qty_per_level=D("10"), qty_noise=0.0)


def venue() -> Venue:
    v = Venue([SOL], seed=1, balance=D("1000"), maker_fee=D("0"), taker_fee=D("0.001"), crowd=CROWD, now_ms=lambda: 1)
    v.set_reference("SOLUSDT", 100)  # asks 100.10, 100.20, 100.30; bids 99.90, 99.80, 99.70; 10 each
    return v


def test_the_crowd_ladder_is_on_the_grid_around_the_reference() -> None:
    bids, asks = venue().book("SOLUSDT").depth(5)
    assert asks == [(10010, 10), (10020, 10), (10030, 10)] and bids == [(9990, 10), (9980, 10), (9970, 10)]


def test_grow_reduce_and_flip_a_position() -> None:
    v = venue()
    v.place("SOLUSDT", Side.BUY, "MARKET", D("4"), None, TimeInForce.IOC, None)  # 4 at 100.10
    assert (v.positions["SOLUSDT"].qty, v.positions["SOLUSDT"].entry) == (D("4"), D("100.10"))
    v.set_reference("SOLUSDT", 110)  # bids 109.89, 109.78, 109.67
    v.place("SOLUSDT", Side.SELL, "MARKET", D("6"), None, TimeInForce.IOC, None)  # 6 at 109.89
    pos = v.positions["SOLUSDT"]
    # closed 4 at 109.89 bought at 100.10: +39.16; now short 2 entered at 109.89
    assert (pos.qty, pos.entry) == (D("-2"), D("109.89"))
    fees = D("0.001") * (D("100.10") * 4 + D("109.89") * 6)
    assert v.wallet == D("1000") + D("39.16") - fees
    assert [f.realized_pnl for f in v.fills] == [D("0"), D("39.16")]


def test_reduce_only_never_grows_or_flips() -> None:
    v = venue()
    with pytest.raises(VenueError) as e:
        v.place("SOLUSDT", Side.SELL, "MARKET", D("1"), None, TimeInForce.IOC, None, reduce_only=True)
    assert e.value.code == -2022
    v.place("SOLUSDT", Side.BUY, "MARKET", D("3"), None, TimeInForce.IOC, None)
    order = v.place("SOLUSDT", Side.SELL, "MARKET", D("5"), None, TimeInForce.IOC, None, reduce_only=True)
    assert order.filled == 3 and v.positions["SOLUSDT"].qty == 0


@pytest.mark.parametrize(("qty", "price", "code"), [
    (D("1.5"), D("99"), -1111),  # off the 1-unit step
    (D("2000"), D("99"), -4003),  # over the maximum
    (D("1"), D("99.005"), -4014),  # off the 0.01 tick
    (D("1"), D("4.99"), -4164),  # 4.99 of notional, under 5
])
def test_off_grid_and_out_of_limit_orders_are_refused(qty: D, price: D, code: int) -> None:
    with pytest.raises(VenueError) as e:
        venue().place("SOLUSDT", Side.BUY, "LIMIT", qty, price, TimeInForce.GTC, None)
    assert e.value.code == code


def test_depth_diffs_number_every_change_and_carry_only_changed_levels() -> None:
    v = venue()
    diffs = []
    v.listeners.append(diffs.append)
    first = v.book("SOLUSDT").update_id
    v.place("SOLUSDT", Side.BUY, "LIMIT", D("2"), D("99.95"), TimeInForce.GTC, "a")
    v.place("SOLUSDT", Side.BUY, "MARKET", D("10"), None, TimeInForce.IOC, None)  # takes the whole 100.10 level
    assert [d.update_id for d in diffs] == [first + 1, first + 2]
    assert (diffs[0].bids, diffs[0].asks) == ([(9995, 2)], [])
    assert (diffs[1].bids, diffs[1].asks) == ([], [(10010, 0)])
    with pytest.raises(VenueError) as e:
        v.place("SOLUSDT", Side.BUY, "LIMIT", D("1"), D("99"), TimeInForce.GTC, "a")
    assert e.value.code == -4116  # "a" is still open


def test_a_limit_order_without_a_price_is_refused_by_code() -> None:
    with pytest.raises(VenueError) as e:
        venue().place("SOLUSDT", Side.BUY, "LIMIT", D("1"), None, TimeInForce.GTC, None)
    assert e.value.code == -1102
