"""The one clock of the keeper runtime: every sleep, timeout, interval and timestamp in ``keepers/`` reads it.

Two implementations of ``Clock``, as nautilus_trader pairs ``LiveClock`` with ``TestClock``:

- ``LiveClock`` (the default everywhere): ``time.monotonic``/``time.time`` and asyncio's own sleeps and
  timeouts, exactly what the runtime used before the clock existed.
- ``VirtualClock`` (the simulator and tests): time moves only when nothing can run. Its event loop
  (``VirtualClock.run`` or ``new_event_loop``) keeps the loop's time on the clock; when every task is
  waiting and no I/O is ready, the clock jumps to the next deadline instead of sleeping. Without real
  I/O or other threads a run is deterministic: the same code and inputs make the same wakeups in the
  same order, as fast as the CPU goes.

Chain time (the Clock sysvar's slot and Unix timestamp, ``keepers.bots.base.ChainClock``) is another
thing: it is whatever the chain says, and the simulator moves it by producing slots.
"""

from __future__ import annotations

import asyncio
import selectors
import time
from collections.abc import Awaitable, Coroutine
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, TypeVar, runtime_checkable

T = TypeVar("T")

DEFAULT_START_UNIX_S = 1_700_000_000.0  # what ``VirtualClock.time`` reads at virtual time 0
_NS = 1_000_000_000


@runtime_checkable
class Clock(Protocol):
    """Time as the keeper runtime sees it."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back: for intervals, deadlines and ages."""
        ...

    def time(self) -> float:
        """Unix time in seconds: for timestamps that are stored or shown (the journal)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""
        ...

    async def wait_for(self, aw: Awaitable[T], timeout_s: float | None) -> T:
        """Await ``aw`` for at most ``timeout_s`` (None: no limit); raise ``TimeoutError`` (and cancel
        ``aw``) when the deadline passes first."""
        ...

    def timeout(self, seconds: float | None) -> AbstractAsyncContextManager[Any]:
        """An ``async with`` block that raises ``TimeoutError`` when it runs longer than ``seconds``."""
        ...


class LiveClock:
    """Real time: the system clocks and asyncio's sleeps and timeouts."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def wait_for(self, aw: Awaitable[T], timeout_s: float | None) -> T:
        return await asyncio.wait_for(aw, timeout_s)

    def timeout(self, seconds: float | None) -> AbstractAsyncContextManager[Any]:
        return asyncio.timeout(seconds)

    def run(self, main: Coroutine[Any, Any, T]) -> T:
        """Run ``main`` to completion on a new event loop (``asyncio.run``)."""
        return asyncio.run(main)


LIVE = LiveClock()


class _SkippingSelector(selectors.DefaultSelector):  # type: ignore[misc, valid-type]
    """The event loop's selector for a ``VirtualClock``: where the loop would block until its next timer,
    it looks for ready I/O without blocking and, finding none, moves the clock to that timer instead."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self._clock = clock

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:  # no timer at all: only I/O or another thread can wake the loop
            return super().select(None)
        self._clock.advance(timeout)
        return ready


class _VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self, clock: VirtualClock) -> None:
        super().__init__(_SkippingSelector(clock))
        self.virtual_clock = clock

    def time(self) -> float:
        return self.virtual_clock.monotonic()


class VirtualClock:
    """Simulated time that advances only when every task waits on it (see the module docstring).

    Time is kept in whole nanoseconds, so a long run does not drift by float rounding. Outside a
    running loop (synchronous tests) ``advance`` moves it by hand, like nautilus's ``TestClock``.
    """

    def __init__(self, start_unix_s: float = DEFAULT_START_UNIX_S) -> None:
        self._ns = 0
        self._unix0_ns = round(start_unix_s * _NS)

    def monotonic(self) -> float:
        return self._ns / _NS

    def time(self) -> float:
        return (self._unix0_ns + self._ns) / _NS

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``, to the nearest nanosecond (the event loop runs a timer
        due within its clock resolution, 1 ns, so a deadline the loop aims at is always reached)."""
        if seconds < 0:
            raise ValueError(f"a clock does not go back ({seconds} s)")
        self._ns += round(seconds * _NS)

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        """An event loop whose time is this clock (a ``loop_factory`` for ``asyncio.Runner``)."""
        return _VirtualTimeLoop(self)

    def run(self, main: Coroutine[Any, Any, T]) -> T:
        """Run ``main`` to completion on a new event loop on this clock."""
        with asyncio.Runner(loop_factory=self.new_event_loop) as runner:
            return runner.run(main)

    def _check_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if getattr(loop, "virtual_clock", None) is not self:
            raise RuntimeError("this VirtualClock is not the running loop's time: run the code with "
                               "VirtualClock.run or on VirtualClock.new_event_loop()")

    # On the clock's own loop, asyncio's timers are virtual: its primitives do the rest.
    async def sleep(self, seconds: float) -> None:
        self._check_loop()
        await asyncio.sleep(seconds)

    async def wait_for(self, aw: Awaitable[T], timeout_s: float | None) -> T:
        self._check_loop()
        return await asyncio.wait_for(aw, timeout_s)

    def timeout(self, seconds: float | None) -> AbstractAsyncContextManager[Any]:
        self._check_loop()
        return asyncio.timeout(seconds)


__all__ = ["DEFAULT_START_UNIX_S", "LIVE", "Clock", "LiveClock", "VirtualClock"]
