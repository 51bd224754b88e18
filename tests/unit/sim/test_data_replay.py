"""PriceSeries.replay_path (recorded time honoured, gaps hold, clean end) and resample (OHLC bars)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from localnet.price_paths import PricePath
from sim.data import PriceSeries, load_price_series, sample_path

T0 = 1_700_000_000.0


def series(times: list[float], prices: list[float], volumes: list[float] | None = None) -> PriceSeries:
    return PriceSeries(np.array(times), np.array(prices), None if volumes is None else np.array(volumes))


def test_replay_steps_return_the_last_price_at_or_before_each_step_time() -> None:
    s = series([T0, T0 + 1, T0 + 2.5, T0 + 10], [10, 11, 12, 13])
    path = s.replay_path(2.0)
    typed: PricePath = path  # the protocol the publisher and the engine take
    assert callable(typed.next_price)
    rng = random.Random(0)
    # step times: T0, +2, +4, +6, +8, +10, +12
    got = [path.next_price(rng) for _ in range(5)]
    assert got == [10, 11, 12, 12, 12]   # the gap from +2.5 to +10 holds 12
    assert not path.exhausted
    assert path.next_price(rng) == 13    # +10: the last point
    assert path.exhausted
    assert [path.next_price(rng) for _ in range(3)] == [13, 13, 13]
    assert s.steps(2.0) == 6


def test_replay_from_a_start_time_and_before_the_first_point() -> None:
    s = series([T0, T0 + 60], [5, 6])
    late = s.replay_path(30, start=T0 + 45)
    assert [late.next_price(random.Random(1)) for _ in range(2)] == [5, 6]
    early = s.replay_path(30, start=T0 - 60)
    assert [early.next_price(random.Random(1)) for _ in range(5)] == [5, 5, 5, 5, 6]  # T0-60 ... T0+60
    with pytest.raises(ValueError, match="seconds_per_step must be positive"):
        s.replay_path(0)


def test_replay_of_a_long_series_matches_the_vectorised_lookup() -> None:
    s = load_price_series(sample_path("SOLUSDT-aggTrades-2025-01-01.csv"))
    path = s.replay_path(0.4)
    rng = random.Random(2)
    n = s.steps(0.4)
    got = np.array([path.next_price(rng) for _ in range(n)])
    times = s.start + 0.4 * np.arange(n)
    # independent reference: the last index whose time <= t
    ref = np.array([s.prices[max(i for i in range(len(s)) if s.timestamps[i] <= t)] for t in times[::97]])
    assert np.array_equal(got[::97], ref)
    assert path.exhausted and got[-1] == s.prices[-1]


def test_resample_to_ohlc_bars_with_an_empty_bar_held_flat() -> None:
    s = series([T0, T0 + 20, T0 + 50, T0 + 130], [10, 14, 9, 12], [1, 2, 3, 4])
    b = s.resample(60)
    assert b.timestamps.tolist() == [T0 - 20, T0 + 40, T0 + 100]  # aligned to multiples of 60 s
    assert b.open.tolist() == [10, 9, 12]
    assert b.high.tolist() == [14, 9, 12] and b.low.tolist() == [10, 9, 12]
    assert b.close.tolist() == [14, 9, 12] and b.volume.tolist() == [3, 3, 4]
    assert b.filled.tolist() == [False, False, False]
    gap = series([T0 - 20, T0 + 160], [7, 8]).resample(60)
    assert gap.close.tolist() == [7, 7, 7, 8] and gap.filled.tolist() == [False, True, True, False]
    assert gap.open.tolist() == [7, 7, 7, 8] and gap.volume.tolist() == [0, 0, 0, 0]


def test_resample_of_klines_keeps_the_bars_own_highs_and_lows() -> None:
    k = load_price_series(sample_path("SOLUSDT-1m-2025-01-01.csv"))
    five = k.resample(300)
    assert five.high.max() == k.high.max() and five.low.min() == k.low.min()
    assert five.volume.sum() == pytest.approx(k.volumes.sum())
    assert five.close[-1] == k.prices[-1]


def test_series_rejects_unsorted_or_non_positive_data_and_between_cuts() -> None:
    with pytest.raises(ValueError, match="not sorted"):
        series([T0 + 1, T0], [1, 1])
    with pytest.raises(ValueError, match="finite and positive"):
        series([T0], [0])
    s = series([T0, T0 + 1, T0 + 2], [1, 2, 3])
    assert s.between(T0 + 1, T0 + 2).prices.tolist() == [2, 3]
    with pytest.raises(ValueError, match="no points between"):
        s.between(T0 + 5)
