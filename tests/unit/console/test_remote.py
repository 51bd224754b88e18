"""The worker's view of the keeper (``keepers.console.remote.RemoteService``), with the test speaking the
keeper's side of the link: calls answered, shared and kept as long as they should be, a keeper that does
not answer or is gone turned into 504 and 503, and reads served from pushes without asking the keeper."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from keepers.console.protocol import ConsoleError
from keepers.console.remote import RemoteService


class Keeper:
    """The keeper's end of the link: what the worker sent, and answers to it."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.remote = RemoteService(self.write, stream_interval_s=0.2, risk_refresh_s=0.5)

    def write(self, data: bytes) -> None:
        self.sent.append(json.loads(data))

    def calls(self, op: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m.get("op") == op]

    def answer(self, message: dict[str, Any], value: Any = None, error: dict[str, Any] | None = None) -> None:
        self.remote.on_message({"id": message["id"], **({"error": error} if error else {"value": value})})


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_many_readers_share_one_call_and_the_answer_is_kept_until_it_expires() -> None:
    k = Keeper()
    readers = [asyncio.ensure_future(k.remote.risk(0.1)) for _ in range(20)]
    await _settle()
    assert len(k.calls("risk")) == 1 and k.calls("risk")[0]["args"] == {"move": 0.1}
    k.answer(k.calls("risk")[0], {"var": 1.5})
    assert await asyncio.gather(*readers) == [{"var": 1.5}] * 20
    assert await k.remote.risk(0.1) == {"var": 1.5} and len(k.calls("risk")) == 1  # kept for risk_refresh_s
    other = asyncio.ensure_future(k.remote.risk(0.2))  # another move is another question
    await _settle()
    assert len(k.calls("risk")) == 2
    k.answer(k.calls("risk")[1], {"var": 3.0})
    assert await other == {"var": 3.0}
    await asyncio.sleep(0.55)
    again = asyncio.ensure_future(k.remote.risk(0.1))
    await _settle()
    assert len(k.calls("risk")) == 3  # expired: asked again
    k.answer(k.calls("risk")[2], {"var": 2.0})
    assert await again == {"var": 2.0}


async def test_a_mutation_brings_a_snapshot_and_clears_what_was_kept() -> None:
    k = Keeper()
    status = asyncio.ensure_future(k.remote.status())
    await _settle()
    k.answer(k.calls("status")[0], {"slot": 1})
    assert await status == {"slot": 1}
    pause = asyncio.ensure_future(k.remote.pause("market_maker"))
    await _settle()
    snapshot = {"bots": [{"name": "market_maker", "state": "paused"}], "point": {"ts": 1.0, "equity": 5.0}}
    k.answer(k.calls("pause")[0], {"before": "running", "after": "paused", "snapshot": snapshot})
    assert await pause == {"before": "running", "after": "paused"}
    assert await k.remote.bot_view("market_maker") == {"name": "market_maker", "state": "paused"}
    assert not k.calls("snapshot") and list(k.remote.history) == [snapshot["point"]]
    status = asyncio.ensure_future(k.remote.status())
    await _settle()
    assert len(k.calls("status")) == 2  # kept for a stream interval, but the pause may have changed it
    k.answer(k.calls("status")[1], {"slot": 2})
    assert await status == {"slot": 2}


async def test_reads_come_from_pushes_and_a_late_push_is_asked_for() -> None:
    k = Keeper()
    k.remote.on_message({"push": {"bots": [{"name": "liquidator", "state": "running"}], "point": {"ts": 1.0}}})
    for _ in range(10):
        assert [b["name"] for b in await k.remote.bots()] == ["liquidator"]
    assert not k.calls("snapshot")
    with pytest.raises(ConsoleError) as e:
        await k.remote.bot_view("nope")
    assert e.value.status == 404 and "running: liquidator" in str(e.value)
    await asyncio.sleep(0.31)  # 1.5 intervals without a push
    late = [asyncio.ensure_future(k.remote.bots()) for _ in range(5)]
    await _settle()
    assert len(k.calls("snapshot")) == 1
    k.answer(k.calls("snapshot")[0], {"bots": [], "point": {"ts": 2.0}})
    assert await asyncio.gather(*late) == [[]] * 5
    assert [p["ts"] for p in k.remote.history] == [1.0, 2.0]


async def test_a_keeper_that_does_not_answer_is_a_504_and_one_that_is_gone_a_503() -> None:
    k = Keeper()
    with pytest.raises(ConsoleError) as e:
        await k.remote.call("kill", timeout_s=0.05)
    assert e.value.status == 504
    k.answer(k.calls("kill")[0], {"result": {}})  # a late answer finds nobody waiting: ignored
    refused = asyncio.ensure_future(k.remote.place_order(market=0, side="bid", price=1.0, size=1.0))
    await _settle()
    k.answer(k.calls("place_order")[0], error={"message": "price_band: too far", "status": 422,
                                               "check": "price_band", "before": 2})
    with pytest.raises(ConsoleError) as e:
        await refused
    assert (e.value.status, e.value.check, e.value.before) == (422, "price_band", 2)
    waiting = asyncio.ensure_future(k.remote.cancel(0, None))
    await _settle()
    k.remote.on_closed()
    for call in (waiting, k.remote.resume("market_maker")):
        with pytest.raises(ConsoleError) as e:
            await call
        assert e.value.status == 503
    assert k.remote.closing
