"""Trader behaviours on hand-made views: what each wants to hold."""

from __future__ import annotations

import random

from sim.agents import HuntTarget, MarketView, decide

KNOBS = {"long_bias": 0.5, "close_probability": 0.3, "lookback_slots": 5, "threshold_bps": 10.0, "horizon_slots": 3,
         "hunt_distance_bps": 100.0, "hunt_min_notional": 1_000.0}
RISING = [100.0, 100.5, 101.0, 101.5, 102.0, 102.5, 103.0]  # +2.5% over 5 slots at step 6


def test_momentum_follows_and_mean_reversion_fades_a_move_past_the_threshold() -> None:
    view = MarketView(0, RISING, step=6)
    assert decide("momentum", view, 0, random.Random(0), KNOBS) == 1
    assert decide("mean_reversion", view, 0, random.Random(0), KNOBS) == -1
    flat = MarketView(0, [100.0] * 7, step=6)
    assert decide("momentum", flat, 1, random.Random(0), KNOBS) is None  # below the threshold: keeps what it has


def test_the_informed_trader_reads_the_path_ahead() -> None:
    crash = [100.0, 100.0, 100.0, 60.0, 60.0]
    assert decide("informed", MarketView(0, crash, step=1), 0, random.Random(0), KNOBS) == -1  # sees the crash at 3
    assert decide("informed", MarketView(0, crash, step=3), -1, random.Random(0), KNOBS) == 0  # nothing more ahead


def test_the_liquidation_hunter_pushes_toward_the_nearest_large_liquidation() -> None:
    view = MarketView(0, [100.0], targets=[HuntTarget(0, True, 99.5, 50_000.0), HuntTarget(0, False, 100.2, 500.0),
                                           HuntTarget(1, False, 100.1, 50_000.0)])
    # the short at 100.2 is too small and the other is in another market: it sells toward the long's 99.5
    assert decide("liquidation_hunter", view, 0, random.Random(0), KNOBS) == -1
    view.targets = [HuntTarget(0, True, 90.0, 50_000.0)]  # 10% away: nothing to hunt, it closes
    assert decide("liquidation_hunter", view, -1, random.Random(0), KNOBS) == 0


def test_noise_and_whales_draw_from_the_agent_stream_only() -> None:
    view = MarketView(0, [100.0])
    a = [decide("noise", view, 0, random.Random(9), KNOBS) for _ in range(3)]
    assert a == [decide("noise", view, 0, random.Random(9), KNOBS) for _ in range(3)]
    assert decide("whale", view, 1, random.Random(0), KNOBS) == -1  # a whale holding long flips
    longs = sum(decide("noise", view, 0, r, {**KNOBS, "long_bias": 0.8}) == 1
                for r in (random.Random(i) for i in range(2000)))
    assert 0.76 < longs / 2000 < 0.84
