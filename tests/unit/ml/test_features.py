"""The signal features the bot and the training data share (``keepers.strategies.features``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from keepers.strategies.features import FEATURE_NAMES, HISTORY, SignalFeatures


def test_features_of_a_known_price_history() -> None:
    prices = [100.0 * (1.001 ** i) * (1.0005 if i % 2 else 1.0) for i in range(HISTORY + 3)]
    f = SignalFeatures()
    for slot, p in enumerate(prices):
        assert f.ready == (slot >= HISTORY)
        f.update(p, slot)
    kept = prices[-HISTORY:]
    rets = np.diff(np.log(kept)) * 1e4
    want = [math.log(kept[-1] / kept[-2]) * 1e4, math.log(kept[-1] / kept[-6]) * 1e4,
            math.log(kept[-1] / kept[-21]) * 1e4, float(np.std(rets)), 0.25, -3.0]
    got = f.vector(0.25, -3.0)
    assert got.dtype == np.float32 and len(got) == len(FEATURE_NAMES)
    assert got == pytest.approx(want, rel=1e-5, abs=1e-4)


def test_a_repeated_slot_replaces_its_price_and_bad_prices_are_ignored() -> None:
    f = SignalFeatures()
    f.update(100.0, 1)
    f.update(0.0, 2)
    f.update(101.0, 2)
    f.update(102.0, 2)
    f.update(50.0, 1)  # an older slot
    assert list(f.prices) == [100.0, 102.0]
    assert f.vector(0.0, 0.0)[0] == pytest.approx(math.log(1.02) * 1e4, rel=1e-6)
