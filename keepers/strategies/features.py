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

    def _ret(self, lag: int) -> float:
        p = self.prices
        return math.log(p[-1] / p[-1 - lag]) * 1e4 if len(p) > lag else 0.0

    def vector(self, imbalance: float, premium_bps: float) -> np.ndarray:
        """The feature vector (float32, ``FEATURE_NAMES`` order)."""
        p = list(self.prices)
        rets = [math.log(b / a) * 1e4 for a, b in zip(p, p[1:])]
        vol = float(np.std(rets)) if len(rets) > 1 else 0.0
        return np.asarray([self._ret(1), self._ret(5), self._ret(20), vol, imbalance, premium_bps], dtype=np.float32)


__all__ = ["FEATURE_NAMES", "HISTORY", "SignalFeatures"]
