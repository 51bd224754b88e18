"""Training data from simulated episodes: signal features and forward-return targets, split by seed and regime,
and the reference a deployed model's inputs are compared with (population stability index, PSI).

A split is a list of (seed, regime) episodes (``sim.ml.pipeline`` reads them from the training config), so
train, validation and test never share a seed, and a regime can be held out of training altogether.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.ml.strategies import Episode

PSI_BINS = 10


@dataclass(frozen=True)
class Dataset:
    """Features, forward-return targets (bps) and per-slot index log returns of a set of episodes."""

    x: np.ndarray
    y: np.ndarray
    returns: np.ndarray

    def __len__(self) -> int:
        return len(self.y)


def forward_returns(index: np.ndarray, horizon: int) -> np.ndarray:
    """log(index[t + horizon] / index[t]) in bps for every t with a price ``horizon`` slots on (the record's
    index has one more entry than it has slots: the price after the last action)."""
    index = np.asarray(index, dtype=np.float64)
    return np.log(index[horizon:] / index[:-horizon]) * 1e4


def dataset(episodes: Sequence[Episode], horizon: int) -> Dataset:
    """The supervised data of ``episodes``: each slot's features with the return ``horizon`` slots ahead."""
    xs, ys, rs = [], [], []
    for e in episodes:
        y = forward_returns(e.index, horizon)
        n = min(len(y), len(e.features))
        xs.append(e.features[:n])
        ys.append(y[:n])
        rs.append(np.diff(np.log(e.index)))
    return Dataset(np.vstack(xs), np.concatenate(ys), np.concatenate(rs))


def psi_reference(x: np.ndarray, names: Sequence[str], bins: int = PSI_BINS) -> dict[str, dict[str, list[float]]]:
    """Per feature: the inner quantile edges of the training data and the share of it in each bin (JSON-able)."""
    out = {}
    for j, name in enumerate(names):
        edges = np.unique(np.quantile(x[:, j], np.linspace(0, 1, bins + 1)[1:-1]))
        counts = np.bincount(np.searchsorted(edges, x[:, j], side="right"), minlength=len(edges) + 1)
        out[name] = {"edges": edges.tolist(), "shares": (counts / max(len(x), 1)).tolist()}
    return out


__all__ = ["PSI_BINS", "Dataset", "dataset", "forward_returns", "psi_reference"]
