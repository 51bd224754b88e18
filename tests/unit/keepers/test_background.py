"""keepers/background.py: held tasks, logged failures, cancelled together."""

from __future__ import annotations

import asyncio
import logging

import pytest

from keepers.background import Background


async def test_tasks_are_held_until_done_and_failures_logged(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("test.background")
    bg = Background(log, "helper")

    async def fail() -> None:
        raise RuntimeError("boom")

    with caplog.at_level(logging.DEBUG, logger="test.background"):
        task = bg.spawn(fail())
        assert len(bg) == 1
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0)  # the done callback runs
    assert len(bg) == 0
    assert [r.getMessage() for r in caplog.records] == ["helper: boom"]


async def test_cancel_ends_every_task() -> None:
    bg = Background(logging.getLogger("test.background"), "helper")
    never = asyncio.Event()
    tasks = [bg.spawn(never.wait()) for _ in range(3)]
    bg.adopt(asyncio.ensure_future(never.wait()))
    assert len(bg) == 4
    await bg.cancel()
    assert len(bg) == 0 and all(t.cancelled() for t in tasks)
