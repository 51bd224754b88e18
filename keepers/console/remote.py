"""The keeper as the console's worker process sees it: the latest snapshot the keeper pushed, the series of
its points, and calls to the keeper's ``ConsoleService.handle`` over the link (``keepers.console.protocol``).

The keeper pushes a snapshot every stream interval; reads are served from it, and only when it is over
``STALE_INTERVALS`` intervals old (the keeper's loop was late) is it asked for one. The status (with the
journal's counts) is asked for at most once a stream interval, the risk panel and shocks once per
``risk_refresh_s``; one call is shared by every request waiting for it. However many clients poll, the
keeper's loop does the same few things a second; a mutation's answer brings a new snapshot and clears
what was kept.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from typing import Any

from keepers.console.protocol import HISTORY, ConsoleError, encode

CALL_TIMEOUT_S = 90.0  # the kill switch waits up to 30 s for each cancel: generous, but bounded
STALE_INTERVALS = 1.5  # the push is due every interval: half an interval of slack before asking for one
KEPT_ANSWERS = 64  # shocks of many different moves: the oldest answers are dropped beyond this


class RemoteService:
    """See the module docstring; ``write`` sends one encoded message to the keeper."""

    def __init__(self, write: Any, stream_interval_s: float, risk_refresh_s: float) -> None:
        self._write = write
        self.stream_interval_s, self.risk_refresh_s = stream_interval_s, risk_refresh_s
        self.latest: dict[str, Any] = {}
        self._at = -1e9  # monotonic time ``latest`` arrived
        self.history: deque[dict[str, Any]] = deque(maxlen=HISTORY)
        self.closing = False  # the server stops: open streams end
        self._ids = itertools.count(1)
        self._calls: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._kept: dict[tuple[Any, ...], tuple[float, Any]] = {}  # (op, args) -> (monotonic time, answer)
        self._asking: dict[tuple[Any, ...], asyncio.Future[Any]] = {}
        self._event: tuple[int, int, bytes] = (-1, -1, b"")
        self._version = 0  # counts snapshots, for the stream's cached event

    # -- the link -----------------------------------------------------------------------------------
    def on_message(self, message: dict[str, Any]) -> None:
        """A message from the keeper: a pushed snapshot or the answer to a call."""
        if "push" in message:
            self.on_snapshot(message["push"])
            return
        future = self._calls.pop(message.get("id", -1), None)
        if future is not None and not future.done():
            future.set_result(message)

    def on_snapshot(self, snapshot: dict[str, Any], stale: bool = False) -> None:
        """Serve reads from ``snapshot`` from now on (``stale``: until the next read refreshes it); its point
        joins the series."""
        self.latest, self._at = snapshot, -1e9 if stale else time.monotonic()
        self._version += 1
        point = snapshot.get("point")
        if point and (not self.history or self.history[-1]["ts"] != point["ts"]):
            self.history.append(point)

    def on_closed(self) -> None:
        """The keeper is gone: every waiting call fails and open streams end."""
        self.closing = True
        for future in self._calls.values():
            if not future.done():
                future.set_exception(ConsoleError("the keeper closed the console link", 503))
        self._calls.clear()

    async def call(self, op: str, timeout_s: float = CALL_TIMEOUT_S, **args: Any) -> Any:
        """The keeper's answer to ``op`` (``ConsoleError`` as the keeper raised it, 503 without a keeper, 504
        when it does not answer within ``timeout_s``); a snapshot in the answer becomes the latest."""
        if self.closing:
            raise ConsoleError("the keeper closed the console link", 503)
        call_id = next(self._ids)
        future = self._calls[call_id] = asyncio.get_running_loop().create_future()
        self._write(encode({"id": call_id, "op": op, "args": args}))
        try:
            answer = await asyncio.wait_for(future, timeout_s)
        except TimeoutError:
            raise ConsoleError(f"the keeper did not answer {op} within {timeout_s:g} s", 504) from None
        finally:
            self._calls.pop(call_id, None)
        if "error" in answer:
            raise ConsoleError.from_message(answer["error"])
        value = answer.get("value")
        if isinstance(value, dict) and "snapshot" in value:  # a mutation: what was kept may have changed
            self._kept.clear()
            self.on_snapshot(value.pop("snapshot"))
        return value

    async def _shared(self, ttl_s: float, op: str, **args: Any) -> Any:
        """The answer to ``op`` kept for ``ttl_s``; while it is asked for, every caller waits for that one call."""
        key = (op, *sorted(args.items()))
        hit = self._kept.get(key)
        if hit is not None and time.monotonic() - hit[0] < ttl_s:
            return hit[1]
        asking = self._asking.get(key)
        if asking is None:
            asking = self._asking[key] = asyncio.ensure_future(self.call(op, **args))
            asking.add_done_callback(lambda f: self._answered(key, f))
        return await asyncio.shield(asking)

    def _answered(self, key: tuple[Any, ...], future: asyncio.Future[Any]) -> None:
        self._asking.pop(key, None)
        if not future.cancelled() and future.exception() is None:
            self._kept[key] = (time.monotonic(), future.result())
            while len(self._kept) > KEPT_ANSWERS:
                self._kept.pop(next(iter(self._kept)))

    async def fresh(self) -> dict[str, Any]:
        """The latest snapshot; asked of the keeper when no push came for ``STALE_INTERVALS`` intervals."""
        if time.monotonic() - self._at >= STALE_INTERVALS * self.stream_interval_s:
            self.on_snapshot(await self._shared(0.0, "snapshot"))
        return self.latest

    # -- reads --------------------------------------------------------------------------------------
    async def status(self) -> dict[str, Any]:
        """The keeper's status (with its journal's counts: asked of the keeper once a stream interval)."""
        return await self._shared(self.stream_interval_s, "status")

    async def bots(self) -> list[dict[str, Any]]:
        """Every bot and strategy."""
        return (await self.fresh()).get("bots", [])

    async def bot_view(self, name: str) -> dict[str, Any]:
        """One bot (``ConsoleError`` 404 when the keeper runs none of that name)."""
        bots = await self.bots()
        for bot in bots:
            if bot["name"] == name:
                return bot
        raise ConsoleError(f"no bot {name!r} runs in this keeper (running: {', '.join(b['name'] for b in bots)})", 404)

    async def portfolio(self) -> dict[str, Any]:
        """The keeper wallet's margin accounts."""
        return (await self.fresh()).get("portfolio", {"accounts": [], "equity": 0.0})

    async def own_orders(self) -> list[dict[str, Any]]:
        """The keeper wallet's resting orders."""
        return [o for a in (await self.portfolio())["accounts"] for o in a["orders"]]

    async def alerts(self) -> list[dict[str, Any]]:
        """Health problems, strategy kill switches, a pulled kill switch."""
        return (await self.fresh()).get("alerts", [])

    async def risk(self, move: float) -> dict[str, Any]:
        """The risk panel (kept for ``console.risk_refresh_s``)."""
        return await self._shared(self.risk_refresh_s, "risk", move=move)

    async def shock(self, move: float) -> dict[str, Any]:
        """The insurance fund and the users after every mark moves by ``move``."""
        return await self._shared(self.risk_refresh_s, "shock", move=move)

    def stream_event(self, audit_seq: int) -> bytes:
        """The latest snapshot as one server-sent event, built once per snapshot and audit entry."""
        version, seq, event = self._event
        if version != self._version or seq != audit_seq:
            s = self.latest
            event = b"data: " + json.dumps(
                {"slot": s.get("slot"), "active": s.get("active"), "bots": s.get("bots", []),
                 "alerts": s.get("alerts", []), "point": s.get("point"), "audit_seq": audit_seq,
                 "in_flight": s.get("in_flight", 0)}, default=str).encode() + b"\n\n"
            self._event = (self._version, audit_seq, event)
        return event

    # -- mutations (each answer carries the state before and after, for the audit log) --------------
    async def pause(self, name: str) -> dict[str, Any]:
        return await self.call("pause", name=name)

    async def resume(self, name: str) -> dict[str, Any]:
        return await self.call("resume", name=name)

    async def set_params(self, name: str, changes: dict[str, Any]) -> dict[str, Any]:
        return await self.call("set_params", name=name, changes=changes)

    async def kill(self) -> dict[str, Any]:
        return await self.call("kill")

    async def place_order(self, **order: Any) -> dict[str, Any]:
        return await self.call("place_order", **order)

    async def cancel(self, market: int, order_id: str | None) -> dict[str, Any]:
        return await self.call("cancel", market=market, order_id=order_id)


__all__ = ["CALL_TIMEOUT_S", "RemoteService"]
