"""Features of a learned signal, computed the same way in the live bot and in the training data.

``SignalFeatures`` keeps a short history of one market's index prices (one per slot) and turns it, with the
book's imbalance and the mark premium, into the vector a signal model reads (``FEATURE_NAMES``, in this
order). The training pipeline (``sim.ml.dataset``) feeds it the simulator's slots, the market maker its own
observations, so a model never sees features computed by different code than it was trained on.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

FEATURE_NAMES = ("ret_1", "ret_5", "ret_20", "vol_20", "imbalance", "premium_bps")
HISTORY = 21


@dataclass
class SignalFeatures:
    """Rolling features of one market (returns and volatility in bps, imbalance in [-1, 1])."""

    prices: deque[float] = field(default_factory=lambda: deque(maxlen=HISTORY))
    last_slot: int | None = None

    def update(self, price: float, slot: int) -> None:
        """Take the index price of ``slot`` (a repeat of a slot replaces its price; non-positive prices are ignored)."""
        if price <= 0:
            return
        if self.last_slot is not None and slot == self.last_slot and self.prices:
            self.prices[-1] = price
        elif self.last_slot is None or slot > self.last_slot:
            self.prices.append(price)
            self.last_slot = slot

    @property
    def ready(self) -> bool:
        """Whether the history is long enough for every feature."""
        return len(self.prices) == HISTORY

    def vector(self, imbalance: float, premium_bps: float) -> np.ndarray:
        """The feature vector (float32, ``FEATURE_NAMES`` order)."""
        logs = [math.log(p) for p in self.prices]  # plain floats: numpy's fixed cost is most of a decision's time
        rets = [(b - a) * 1e4 for a, b in zip(logs, logs[1:])]
        vol = 0.0
        if len(rets) > 1:
            mean = sum(rets) / len(rets)
            vol = math.sqrt(sum((r - mean) ** 2 for r in rets) / len(rets))  # population std, as np.std

        def ret(lag: int) -> float:
            return (logs[-1] - logs[-1 - lag]) * 1e4 if len(logs) > lag else 0.0

        return np.array([ret(1), ret(5), ret(20), vol, imbalance, premium_bps], dtype=np.float32)


__all__ = ["FEATURE_NAMES", "HISTORY", "SignalFeatures"]
