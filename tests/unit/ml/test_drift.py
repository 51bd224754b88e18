"""Drift and PnL monitoring of a deployed model (``keepers.observability.ml_drift``) against the reference the
training pipeline writes (``sim.ml.dataset.psi_reference``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from keepers.observability.ml_drift import DriftMonitor, psi
from sim.ml.dataset import forward_returns, psi_reference


def test_psi_is_small_for_the_training_distribution_and_large_for_a_shifted_one() -> None:
    rng = np.random.default_rng(1)
    train = rng.normal(0, 1, (20_000, 2))
    ref = psi_reference(train, ["a", "b"])
    assert len(ref["a"]["edges"]) == 9 and sum(ref["a"]["shares"]) == pytest.approx(1.0)
    same = rng.normal(0, 1, 5_000)
    shifted = rng.normal(1.0, 1, 5_000)
    assert psi(ref["a"]["shares"], ref["a"]["edges"], same) < 0.02
    assert psi(ref["a"]["shares"], ref["a"]["edges"], shifted) > 0.25


def test_psi_by_hand_on_two_bins() -> None:
    # reference 50/50 around 0; live 80/20: (0.8-0.5) ln(0.8/0.5) + (0.2-0.5) ln(0.2/0.5)
    want = 0.3 * math.log(1.6) + (-0.3) * math.log(0.4)
    assert psi([0.5, 0.5], [0.0], [-1.0] * 8 + [1.0] * 2) == pytest.approx(want)


def test_monitor_reports_psi_per_feature_and_the_pnl_zscore() -> None:
    ref = {"features": {"a": {"edges": [0.0], "shares": [0.5, 0.5]}}, "pnl_per_slot_mean": 1.0, "pnl_per_slot_std": 2.0}
    m = DriftMonitor(("a", "b"), ref, window=4)
    assert m.psi_by_feature() == {} and m.pnl_zscore() is None
    for x in ([-1.0, 0.0], [1.0, 0.0], [-2.0, 0.0], [2.0, 0.0], [5.0, 0.0], [6.0, 0.0]):
        m.observe(np.array(x))
    assert list(m.psi_by_feature()) == ["a"]  # b has no reference bins
    assert m.psi_by_feature()["a"] == pytest.approx(psi([0.5, 0.5], [0.0], [-2.0, 2.0, 5.0, 6.0]))  # the last 4 rows
    m.observe_pnl(100, 50.0)
    m.observe_pnl(200, 50.0)  # 100 slots with no PnL: 0 per slot against 1 +- 2/sqrt(100)
    assert m.pnl_per_slot() == 0.0
    assert m.pnl_zscore() == pytest.approx(-5.0)


def test_forward_returns_in_bps() -> None:
    index = np.array([100.0, 101.0, 99.0, 100.0])
    assert forward_returns(index, 2) == pytest.approx([math.log(99 / 100) * 1e4, math.log(100 / 101) * 1e4])
