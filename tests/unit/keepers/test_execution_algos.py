"""Execution schedules against figures worked out by hand."""

from __future__ import annotations

import math

import pytest

from keepers.execution.algos import (
    ScheduleExecutor,
    almgren_chriss_holdings,
    reduce_slice,
    shortfall_schedule,
    twap_schedule,
    volume_profile,
    vwap_schedule,
)


def test_twap_splits_evenly_on_the_lot_grid() -> None:
    # 10 lots of 100 in 3 children: 3.33 each -> 4, 3, 3 (the extra lot to the earliest)
    assert twap_schedule(1000, 3, 100) == [400, 300, 300]
    assert twap_schedule(1050, 2, 100) == [500, 500]  # the part off the grid is not sent
    assert twap_schedule(200, 5, 100) == [100, 100]  # empty children dropped


def test_vwap_follows_the_volume_profile_of_the_fills() -> None:
    # buckets of 10 slots, 4 of them: slots 5 and 45 in bucket 0 (1 + 1), 12 in bucket 1 (2), 37 in bucket 3 (4)
    profile = volume_profile([(5, 1), (45, 1), (12, 2), (37, 4)], 10, 4)
    assert profile == [0.25, 0.25, 0.0, 0.5]
    # 20 lots of 10: 5, 5, 0, 10
    assert vwap_schedule(200, profile, 10) == [50, 50, 0, 100]
    # starting in bucket 3: 10, 5, 5, 0
    assert vwap_schedule(200, profile, 10, start_bucket=3) == [100, 50, 50, 0]
    assert volume_profile([], 10, 4) == [0.25] * 4


def test_almgren_chriss_trajectory_by_hand() -> None:
    # interval 1, eta 1, gamma 0, lambda sigma^2 = 0.5: cosh(kappa) = 1.25, kappa = ln 2. Two intervals:
    # x_1 = X sinh(ln 2) / sinh(2 ln 2) = X * 0.75 / 1.875 = 0.4 X.
    x = almgren_chriss_holdings(1000.0, 2, 1.0, sigma=1.0, eta=1.0, risk_aversion=0.5)
    assert x == pytest.approx([1000.0, 400.0, 0.0])
    assert math.isclose(math.acosh(1.25), math.log(2))
    assert shortfall_schedule(1000, 2, 10, 1.0, 1.0, 1.0, 0.5) == [600, 400]
    # no risk aversion: the straight line (TWAP)
    assert almgren_chriss_holdings(900.0, 3, 1.0, 1.0, 1.0, 0.0) == pytest.approx([900.0, 600.0, 300.0, 0.0])


def test_a_reduce_slice_is_a_share_on_the_grid_and_never_leaves_dust() -> None:
    assert reduce_slice(1000, 2500, 100, 100) == 300  # 250 -> up to the lot
    assert reduce_slice(250, 5000, 100, 100) == 250  # 125 -> 200 would leave 50 (< min): all
    assert reduce_slice(50, 5000, 100, 100) == 0


def test_the_executor_sends_children_on_time_and_carries_what_did_not_fill() -> None:
    ex = ScheduleExecutor([300, 300, 400], interval_slots=10, start_slot=100)
    assert ex.due(99) == 0
    assert ex.due(100) == 300 and ex.due(105) == 0  # one child per interval
    ex.filled(300, 100)  # 200 did not fill: into the next child
    assert ex.next_slot() == 110
    assert ex.due(110) == 500
    ex.filled(500, 500)
    assert ex.due(125) == 400
    ex.filled(400, 400)
    assert ex.finished and ex.remaining == 0 and ex.history == [(100, 300), (110, 500), (125, 400)]
