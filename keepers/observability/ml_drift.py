"""Monitoring a learned model in a live bot: input drift against its training data, PnL against its backtest.

The model's pointer (``keepers.strategies.policy``) carries a ``reference`` written at training time
(``sim.ml.dataset.psi_reference``): per feature the inner quantile edges of the training data and the
share of it in each bin, and the backtest's PnL per slot (mean and standard deviation).

- ``psi(reference_shares, edges, values)``: the population stability index of live ``values`` against the
  training shares, sum over bins of (live - ref) * ln(live / ref), shares floored at ``PSI_FLOOR`` (an
  empty bin would make it infinite). Rule of thumb: < 0.1 stable, 0.1-0.25 drifting, > 0.25 shifted.
- ``DriftMonitor``: a rolling window of the live feature vectors and the PnL since the model went live;
  ``psi_by_feature()`` and ``pnl_zscore()`` (how many standard errors the live mean PnL per slot lies from
  the backtest's) feed the Prometheus gauges the alert rules read.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

PSI_FLOOR = 1e-4
DEFAULT_WINDOW = 2000


def psi(reference_shares: Sequence[float], edges: Sequence[float], values: Sequence[float]) -> float:
    """Population stability index of ``values`` binned on ``edges`` against ``reference_shares``."""
    ref = np.maximum(np.asarray(reference_shares, dtype=np.float64), PSI_FLOOR)
    counts = np.bincount(np.searchsorted(np.asarray(edges, dtype=np.float64), np.asarray(values, dtype=np.float64),
                                         side="right"), minlength=len(ref))
    live = np.maximum(counts / max(len(values), 1), PSI_FLOOR)
    return float(np.sum((live - ref) * np.log(live / ref)))


@dataclass
class DriftMonitor:
    """Live inputs and PnL of one deployed model against its ``reference`` (module docstring)."""

    features: tuple[str, ...]
    reference: dict[str, Any]
    window: int = DEFAULT_WINDOW
    rows: deque[np.ndarray] = field(init=False)
    pnl_start: tuple[int, float] | None = None  # (slot, PnL) when the model went live
    pnl_now: tuple[int, float] | None = None

    def __post_init__(self) -> None:
        self.rows = deque(maxlen=self.window)

    def observe(self, x: np.ndarray) -> None:
        """Take one live feature vector."""
        self.rows.append(np.asarray(x, dtype=np.float64).ravel())

    def observe_pnl(self, slot: int, pnl: float) -> None:
        """Take the strategy's PnL so far at ``slot`` (any origin: only differences count)."""
        if self.pnl_start is None:
            self.pnl_start = (slot, pnl)
        self.pnl_now = (slot, pnl)

    def psi_by_feature(self) -> dict[str, float]:
        """PSI of each feature the reference has bins for (empty before any row)."""
        if not self.rows:
            return {}
        data = np.vstack(self.rows)
        ref = self.reference.get("features", {})
        return {name: psi(ref[name]["shares"], ref[name]["edges"], data[:, j])
                for j, name in enumerate(self.features) if name in ref}

    def pnl_per_slot(self) -> float | None:
        """The live PnL per slot since the model went live (None before two slots)."""
        if self.pnl_start is None or self.pnl_now is None or self.pnl_now[0] <= self.pnl_start[0]:
            return None
        return (self.pnl_now[1] - self.pnl_start[1]) / (self.pnl_now[0] - self.pnl_start[0])

    def pnl_zscore(self) -> float | None:
        """(live mean - backtest mean) / (backtest std / sqrt(slots)): negative when the live PnL falls short."""
        live = self.pnl_per_slot()
        mean, std = self.reference.get("pnl_per_slot_mean"), self.reference.get("pnl_per_slot_std")
        if live is None or mean is None or not std or self.pnl_start is None or self.pnl_now is None:
            return None
        slots = self.pnl_now[0] - self.pnl_start[0]
        return (live - float(mean)) / (float(std) / math.sqrt(slots))


__all__ = ["DEFAULT_WINDOW", "PSI_FLOOR", "DriftMonitor", "psi"]
