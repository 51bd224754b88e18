"""Counted, rate-limited warnings: one log line per interval for a fault that can repeat thousands of
times a second (unparseable websocket messages, rejected account updates).

``CountedLog.note(reason, detail)`` counts every occurrence; the first one of an interval is logged at
once (with its detail), the rest of that interval are folded into the next line as a count. Totals
stay in ``counts`` (by reason) for metrics and tests.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

DEFAULT_INTERVAL_S = 10.0


class CountedLog:
    """Warn about ``what`` at most once per ``interval_s`` (per reason), with the count since the last line."""

    def __init__(self, log: logging.Logger, what: str, interval_s: float = DEFAULT_INTERVAL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._log = log
        self._what = what
        self._interval_s = interval_s
        self._clock = clock
        self.counts: dict[str, int] = {}
        self._unlogged: dict[str, int] = {}
        self._logged_at: dict[str, float] = {}

    @property
    def total(self) -> int:
        """Occurrences of every reason."""
        return sum(self.counts.values())

    def note(self, reason: str, detail: str = "") -> None:
        """Count one occurrence of ``reason``; log it unless one was logged less than ``interval_s`` ago."""
        self.counts[reason] = self.counts.get(reason, 0) + 1
        self._unlogged[reason] = self._unlogged.get(reason, 0) + 1
        now = self._clock()
        last = self._logged_at.get(reason)
        if last is not None and now - last < self._interval_s:
            return
        n = self._unlogged.pop(reason)
        self._logged_at[reason] = now
        since = "" if last is None else f" in the last {now - last:.0f} s"
        self._log.warning("%s (%s): %d%s (%d in all)%s", self._what, reason, n, since, self.counts[reason],
                          f"; latest: {detail}" if detail else "")


__all__ = ["CountedLog", "DEFAULT_INTERVAL_S"]
