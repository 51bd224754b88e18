"""keepers/clock.py: the virtual clock jumps to the next deadline only when every task waits, in order,
deterministically and without sleeping; the live clock is the system's time."""

from __future__ import annotations

import asyncio
import email.utils
import random
import time

import pytest

from keepers.chain.rpc import DEFAULT_RETRY_AFTER_S, _retry_after_s
from keepers.clock import LIVE, Clock, LiveClock, VirtualClock


def test_both_clocks_are_clocks() -> None:
    assert isinstance(LIVE, Clock) and isinstance(VirtualClock(), Clock)


def test_wakeups_come_in_deadline_order_at_their_deadlines() -> None:
    clock = VirtualClock()
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, delays: list[float]) -> None:
        for d in delays:
            await clock.sleep(d)
            woke.append((name, clock.monotonic()))

    async def main() -> None:
        await asyncio.gather(sleeper("a", [3.0, 3.0]), sleeper("b", [1.0, 4.0]), sleeper("c", [2.5]))

    started = time.perf_counter()
    clock.run(main())
    assert woke == [("b", 1.0), ("c", 2.5), ("a", 3.0), ("b", 5.0), ("a", 6.0)]
    assert clock.monotonic() == 6.0
    assert time.perf_counter() - started < 2.0  # 6 simulated seconds; nobody slept them


def test_time_stands_still_while_a_task_can_run() -> None:
    clock = VirtualClock()
    seen: list[float] = []

    async def busy() -> None:
        for _ in range(1000):  # yields to the loop without waiting on the clock
            seen.append(clock.monotonic())
            await asyncio.sleep(0)

    async def main() -> None:
        sleeper = asyncio.create_task(clock.sleep(10.0))
        await busy()
        assert clock.monotonic() == 0.0
        await sleeper

    clock.run(main())
    assert set(seen) == {0.0} and clock.monotonic() == 10.0


def test_an_event_set_before_the_deadline_wins_and_a_late_one_times_out() -> None:
    clock = VirtualClock()

    async def main() -> tuple[str, float, float]:
        early, late = asyncio.Event(), asyncio.Event()

        async def setter(event: asyncio.Event, after: float) -> None:
            await clock.sleep(after)
            event.set()

        setters = [asyncio.create_task(setter(early, 2.0)), asyncio.create_task(setter(late, 9.0))]
        assert await clock.wait_for(early.wait(), 5.0) is True
        at_early = clock.monotonic()
        with pytest.raises(TimeoutError):
            await clock.wait_for(late.wait(), 5.0)
        at_timeout = clock.monotonic()
        async with clock.timeout(None):  # no limit
            await late.wait()
        await asyncio.gather(*setters)
        with pytest.raises(TimeoutError):
            async with clock.timeout(1.5):
                await clock.sleep(60.0)
        return "done", at_early, at_timeout

    assert clock.run(main()) == ("done", 2.0, 7.0)
    assert clock.monotonic() == 10.5  # the late event at 9, then the 1.5 s block


def test_unix_time_moves_with_the_clock() -> None:
    clock = VirtualClock(start_unix_s=1_800_000_000.0)
    assert clock.time() == 1_800_000_000.0
    clock.run(clock.sleep(3600.0))
    assert (clock.monotonic(), clock.time()) == (3600.0, 1_800_003_600.0)
    clock.advance(0.25)
    assert clock.time() == 1_800_003_600.25
    with pytest.raises(ValueError, match="does not go back"):
        clock.advance(-1.0)


def test_a_long_run_lands_on_exact_multiples() -> None:
    clock = VirtualClock()
    ticks: list[float] = []

    async def every_tenth() -> None:
        for _ in range(36_000):  # 0.1 s steps: float sums would drift; whole nanoseconds do not
            await clock.sleep(0.1)
        ticks.append(clock.monotonic())

    clock.run(every_tenth())
    assert ticks == [pytest.approx(3600.0, abs=1e-5)]


def _trace(seed: int) -> list[tuple[int, float]]:
    """Workers sleeping random (seeded) times and waiting on each other's events, with timeouts."""
    clock, rng = VirtualClock(), random.Random(seed)
    out: list[tuple[int, float]] = []

    async def worker(i: int, evs: list[asyncio.Event], delays: list[float]) -> None:
        for j, d in enumerate(delays):
            try:
                await clock.wait_for(evs[(i + 1) % len(evs)].wait(), d)
            except TimeoutError:
                pass
            evs[(i + 1) % len(evs)].clear()
            out.append((i, clock.monotonic()))
            if j % 3 == 0:
                evs[i].set()

    async def main() -> None:
        evs = [asyncio.Event() for _ in range(4)]
        await asyncio.gather(*(worker(i, evs, [rng.uniform(0.01, 5.0) for _ in range(50)]) for i in range(4)))

    clock.run(main())
    return out


def test_the_same_program_runs_the_same_way_twice() -> None:
    first, second = _trace(11), _trace(11)
    assert len(first) == 200 and first == second
    assert _trace(12) != first  # the trace depends on the seed: it is not trivially constant


def test_a_virtual_clock_refuses_to_sleep_on_a_loop_that_does_not_run_on_it() -> None:
    clock = VirtualClock()

    async def main() -> None:
        await clock.sleep(1.0)

    with pytest.raises(RuntimeError, match="not the running loop's time"):
        asyncio.run(main())


async def test_the_live_clock_is_the_system_clock() -> None:
    live = LiveClock()
    before_m, before_t = time.monotonic(), time.time()
    await live.sleep(0.02)
    assert live.monotonic() - before_m >= 0.02 and abs(live.time() - before_t) < 5.0
    assert asyncio.get_running_loop().time() == pytest.approx(live.monotonic(), abs=0.05)
    assert await live.wait_for(asyncio.sleep(0, result=7), 1.0) == 7
    with pytest.raises(TimeoutError):
        await live.wait_for(asyncio.sleep(1.0), 0.01)
    with pytest.raises(TimeoutError):
        async with live.timeout(0.01):
            await asyncio.sleep(1.0)


def test_an_http_date_retry_after_is_measured_from_the_clock() -> None:
    clock = VirtualClock(start_unix_s=1_700_000_000.0)
    header = email.utils.formatdate(1_700_000_100, usegmt=True)
    assert _retry_after_s(header, clock.time()) == 100.0
    clock.advance(160.0)
    assert _retry_after_s(header, clock.time()) == 0.0  # already past
    assert _retry_after_s("Tue, 14 Nov 2023 22:15:00 -0000", clock.time()) == DEFAULT_RETRY_AFTER_S  # no zone
    assert _retry_after_s("2.5", clock.time()) == 2.5
