"""``PriceSeries``: one market's recorded prices with their own timestamps, and how a simulation replays them.

Every loader of ``sim.data`` returns one: timestamps in Unix seconds (float64, sorted, sub-second
precision kept), prices (float64, > 0), optional volumes and, for bar files, the bars' open/high/low.
``replay_path`` turns it into a ``localnet.price_paths.PricePath`` that honours the timestamps: one step
is ``seconds_per_step`` of recorded time (one slot of chain time in the simulator), and each step returns
the last recorded price at or before its time, so gaps hold the last price.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Bars:
    """OHLC bars of ``seconds`` each, starting at ``timestamps`` (Unix seconds, multiples of ``seconds``).

    A bar with no recorded point is flat at the previous close with zero volume (``filled`` marks it).
    """

    seconds: float
    timestamps: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    filled: np.ndarray

    def __len__(self) -> int:
        return len(self.timestamps)


@dataclass(frozen=True)
class PriceSeries:
    """Recorded prices of one instrument: ``timestamps`` (Unix seconds) ascending, ``prices`` > 0.

    ``notes`` says what the loader did that changes the rows (duplicates dropped, rows skipped, rows
    sorted), so that nothing is dropped silently. ``source`` names the file, ``fmt`` its format.
    """

    timestamps: np.ndarray
    prices: np.ndarray
    volumes: np.ndarray | None = None
    open: np.ndarray | None = None
    high: np.ndarray | None = None
    low: np.ndarray | None = None
    source: str = ""
    fmt: str = ""
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.timestamps)
        if n == 0:
            raise ValueError(f"{self.source or 'price series'}: no prices")
        for name in ("prices", "volumes", "open", "high", "low"):
            arr = getattr(self, name)
            if arr is not None and len(arr) != n:
                raise ValueError(f"{name} has {len(arr)} values for {n} timestamps")
        if n > 1 and np.any(np.diff(self.timestamps) < 0):
            raise ValueError(f"{self.source or 'price series'}: timestamps are not sorted")
        if not np.all(self.prices > 0) or not np.all(np.isfinite(self.prices)):
            raise ValueError(f"{self.source or 'price series'}: prices must be finite and positive")

    def __len__(self) -> int:
        return len(self.timestamps)

    @property
    def start(self) -> float:
        """The first timestamp (Unix seconds)."""
        return float(self.timestamps[0])

    @property
    def end(self) -> float:
        """The last timestamp (Unix seconds)."""
        return float(self.timestamps[-1])

    @property
    def duration_s(self) -> float:
        """Seconds from the first to the last point."""
        return self.end - self.start

    def price_at(self, t: float) -> float:
        """The last price at or before ``t``; before the first point, the first price."""
        i = int(np.searchsorted(self.timestamps, t, side="right")) - 1
        return float(self.prices[max(i, 0)])

    def prices_at(self, times: np.ndarray) -> np.ndarray:
        """``price_at`` of every time in ``times`` (vectorised)."""
        idx = np.searchsorted(self.timestamps, np.asarray(times, dtype=np.float64), side="right") - 1
        return self.prices[np.maximum(idx, 0)]

    def steps(self, seconds_per_step: float, start: float | None = None) -> int:
        """How many replay steps reach the last point from ``start`` (the first step is at ``start``)."""
        t0 = self.start if start is None else start
        return max(int(np.ceil((self.end - t0) / seconds_per_step)), 0) + 1

    def replay_path(self, seconds_per_step: float, start: float | None = None) -> SeriesReplayPath:
        """A ``PricePath`` over this series: step k (from 0) returns the last price at or before
        ``start + k * seconds_per_step`` (default start: the first timestamp); past the end it holds the
        last price and ``exhausted`` is True."""
        return SeriesReplayPath(self, seconds_per_step, self.start if start is None else float(start))

    def between(self, start: float | None = None, end: float | None = None) -> PriceSeries:
        """The points with ``start <= t <= end`` (either bound optional)."""
        lo = 0 if start is None else int(np.searchsorted(self.timestamps, start, side="left"))
        hi = len(self) if end is None else int(np.searchsorted(self.timestamps, end, side="right"))
        if hi <= lo:
            raise ValueError(f"{self.source or 'price series'}: no points between {start} and {end}")

        def cut(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[lo:hi]

        return PriceSeries(self.timestamps[lo:hi], self.prices[lo:hi], cut(self.volumes), cut(self.open),
                           cut(self.high), cut(self.low), self.source, self.fmt, self.notes)

    def resample(self, seconds: float) -> Bars:
        """OHLC bars of ``seconds`` each, aligned to multiples of ``seconds`` since the Unix epoch.

        Bar files keep their own high/low inside a bar; empty bars are flat at the previous close.
        """
        if not seconds > 0:
            raise ValueError(f"bar length must be positive, got {seconds}")
        t0 = np.floor(self.timestamps[0] / seconds) * seconds
        idx = np.floor((self.timestamps - t0) / seconds).astype(np.int64)
        nbars = int(idx[-1]) + 1
        starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])  # first point of each non-empty bar
        which = idx[starts]
        ends = np.r_[starts[1:], len(idx)] - 1
        first_open = self.prices if self.open is None else self.open
        hi_src = self.prices if self.high is None else self.high
        lo_src = self.prices if self.low is None else self.low
        close = np.empty(nbars)
        close[:] = np.nan
        close[which] = self.prices[ends]
        filled = np.isnan(close)
        # forward-fill the closes of empty bars (the first bar is never empty)
        pos = np.where(~filled, np.arange(nbars), 0)
        np.maximum.accumulate(pos, out=pos)
        close = close[pos]
        open_ = close.copy()
        open_[1:] = close[:-1]
        open_[which] = first_open[starts]
        high = close.copy()
        low = close.copy()
        high[which] = np.maximum.reduceat(hi_src, starts)
        low[which] = np.minimum.reduceat(lo_src, starts)
        volume = np.zeros(nbars)
        if self.volumes is not None:
            volume[which] = np.add.reduceat(self.volumes, starts)
        return Bars(float(seconds), t0 + np.arange(nbars) * seconds, open_, high, low, close, volume, filled)


@dataclass
class SeriesReplayPath:
    """A ``PricePath`` replaying a ``PriceSeries`` in recorded time (see ``PriceSeries.replay_path``)."""

    series: PriceSeries
    seconds_per_step: float
    start: float
    step: int = field(default=0, init=False)
    _index: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.seconds_per_step > 0:
            raise ValueError(f"seconds_per_step must be positive, got {self.seconds_per_step}")

    @property
    def time(self) -> float:
        """The recorded time of the next step."""
        return self.start + self.step * self.seconds_per_step

    @property
    def exhausted(self) -> bool:
        """True once a step has reached the last recorded point (every later step holds its price)."""
        return self.step > 0 and self.start + (self.step - 1) * self.seconds_per_step >= self.series.end

    def next_price(self, rng: random.Random) -> float:
        """The last recorded price at or before this step's time (``rng`` is unused), then advance."""
        t = self.time
        ts = self.series.timestamps
        # steps move forward, so scan from the last position (amortised O(1)) rather than bisecting
        i = self._index
        if i + 64 < len(ts) and ts[i + 64] <= t:
            i = int(np.searchsorted(ts, t, side="right")) - 1
        else:
            while i + 1 < len(ts) and ts[i + 1] <= t:
                i += 1
        self._index = i
        self.step += 1
        return float(self.series.prices[i])


__all__ = ["Bars", "PriceSeries", "SeriesReplayPath"]
