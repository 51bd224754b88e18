"""PubSub subscriptions of ``RpcChain`` over one websocket connection that is kept alive.

``WsSubscriptions`` owns the connection through a background task started by the first
subscription (it ends by itself once the last subscription is closed and the connection has been
idle for ``silence_s``). The task:

- connects, sends one subscribe request per live subscription, and routes replies and
  notifications by request id and by subscription id (solders parses every message);
- once a subscription is acknowledged, catches it up over HTTP: subscribed accounts are re-read
  (one ``getMultipleAccounts`` for all of them), program subscriptions re-read with their filters,
  pending signatures polled. A notification cannot be missed between the read and the subscription,
  because the read starts after the node acknowledged it. This runs after every (re)subscribe,
  so callbacks also get the current state right after subscribing;
- treats a connection as dead when no notification of any of its subscriptions arrived for
  ``silence_s`` while a subscription exists, or when its acknowledged slot subscription got none for
  that long (other messages, such as replies, errors or garbage, do not count: a node can answer and
  still be deaf); reconnects after a drop with jittered exponential backoff capped at
  ``max_backoff_s`` (reset once a connection has lived for ``HEALTHY_CONNECTION_S``, or ``max_backoff_s``
  if shorter). Nodes send nothing for
  quiet accounts, so a connection holding only account subscriptions is recycled every ``silence_s``
  (harmless: the catch-up re-reads them); a slot subscription, which keepers hold anyway, keeps it busy;
- gives every subscribe request a reply deadline (``ack_timeout_s``): an unanswered request is sent
  again, ``MAX_SUBSCRIBE_ATTEMPTS`` times in all, then the connection is recycled; a refused one is
  retried after a backoff, and given up (logged as an error) after ``MAX_SUBSCRIBE_ATTEMPTS`` refusals.

Deliveries never go back in time: an account (or slot) update older than the last one delivered to
the same subscription is dropped, so a catch-up read racing a notification cannot undo it. A slot is
believed only when plausible (``keepers.chain.slots.SlotBound``): a notification far ahead of the
chain is dropped. An account notification dropped for its slot (too old or implausible) is replaced by
a read of the account over HTTP, so a lost update costs one read, not the update. Deleted accounts
(0 lamports) are not delivered, as ``InProcessChain`` does. Every drop is counted by reason in
``refused`` (a ``CountedLog``: one warning line per interval, not one per message). Callbacks run on
the event loop, in the reader: they must be quick; their exceptions are logged and never stop the loop.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from solders.account import Account
from solders.pubkey import Pubkey
from solders.rpc.responses import (
    AccountNotification,
    ProgramNotification,
    SignatureNotification,
    SlotNotification,
    SubscriptionError,
    SubscriptionResult,
    parse_websocket_message,
)
from solders.signature import Signature
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from keepers.background import Background
from keepers.chain.slots import SlotBound
from keepers.chain.base import (
    COMMITMENTS,
    AccountData,
    AccountFilter,
    ChainError,
    SignatureStatus,
)
from keepers.clock import LIVE, Clock
from keepers.log_limit import CountedLog

log = logging.getLogger("perpkeep.chain")

MAX_MESSAGE_BYTES = 64 << 20  # a programNotification carries a whole account (10 MiB at most)
CLOSE_TIMEOUT_S = 1.0
_BACKOFF_BASE_S = 0.1
MAX_SUBSCRIBE_ATTEMPTS = 3
_UNSUBSCRIBE = {"accountSubscribe": "accountUnsubscribe", "programSubscribe": "programUnsubscribe",
                "slotSubscribe": "slotUnsubscribe", "signatureSubscribe": "signatureUnsubscribe"}


HEALTHY_CONNECTION_S = 1.0  # a connection that lived this long resets the reconnect backoff


def backoff_s(attempt: int, cap_s: float) -> float:
    """Return the jittered exponential delay before retry ``attempt`` (0-based), at most ``cap_s``."""
    return min(cap_s, _BACKOFF_BASE_S * 2 ** min(attempt, 30)) * random.uniform(0.5, 1.0)


def reached(commitment: str, target: str) -> bool:
    """Return whether ``commitment`` is at least ``target`` (processed < confirmed < finalized)."""
    return COMMITMENTS.index(commitment) >= COMMITMENTS.index(target)


def account_data(pubkey: Pubkey, acc: Account, slot: int) -> AccountData:
    """Return the ``AccountData`` of a solders ``Account`` read at ``slot``."""
    return AccountData(pubkey, acc.owner, acc.lamports, bytes(acc.data), slot, acc.executable)


def _request(request_id: int, method: str, params: list[Any]) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})


def _snippet(text: str | bytes, limit: int = 160) -> str:
    s = text if isinstance(text, str) else repr(text)
    return s if len(s) <= limit else s[:limit] + "..."


class CatchUpReads(Protocol):
    """The HTTP reads a catch-up needs (``RpcChain`` has them)."""

    async def get_accounts(self, pubkeys: Sequence[Pubkey]) -> list[AccountData | None]: ...

    async def get_program_accounts(self, program_id: Pubkey,
                                   filters: Sequence[AccountFilter] = ()) -> list[AccountData]: ...

    async def get_signature_statuses(self, signatures: Sequence[Signature]) -> list[SignatureStatus | None]: ...


class _Silent(ChainError):
    """The connection was open but silent (or deaf to a subscribe request) for too long."""


@dataclass
class _Pending:
    """A subscribe request awaiting its reply."""

    sub: WsSubscription
    sent_at: float


class WsSubscription:
    """One subscription: what to ask the node, whom to call; ``close`` ends it."""

    def __init__(self, hub: WsSubscriptions, key: int, method: str, params: list[Any], callback: Callable[..., None],
                 target: Pubkey | Signature | None = None, filters: Sequence[AccountFilter] = ()) -> None:
        self._hub = hub
        self.key = key
        self.method = method
        self.params = params
        self.callback = callback
        self.target = target
        self.filters = tuple(filters)
        self.server_id: int | None = None
        self.active = True
        self.notified_at: float | None = None  # monotonic time of the last notification (None: none yet)
        self.acknowledged_at: float | None = None  # of the current connection's subscription
        self.attempts = 0  # subscribe requests sent on the current connection
        self.refusals = 0  # subscribe requests the node refused, over all connections
        self._last_slot: dict[Any, int] = {}

    @property
    def kind(self) -> str:
        """``account``, ``program``, ``slot`` or ``signature``."""
        return self.method.removesuffix("Subscribe")

    def close(self) -> None:
        """Stop the callbacks and unsubscribe (idempotent)."""
        self._hub.remove(self)

    def fresh(self, key: Any, slot: int, *, strictly: bool = False) -> bool:
        """Record an update of ``key`` at ``slot``; False when it is older than (or, ``strictly``, as old as)
        the last one delivered."""
        last = self._last_slot.get(key, -1)
        if slot < last or (strictly and slot == last):
            return False
        self._last_slot[key] = slot
        return True


class WsSubscriptions:
    """Every subscription of one ``RpcChain``, multiplexed over one websocket (see the module docstring)."""

    def __init__(self, ws_url: str, reads: CatchUpReads, commitment: str, *, label: str, silence_s: float,
                 max_backoff_s: float, open_timeout_s: float, clock: Clock = LIVE, slots: SlotBound | None = None,
                 ack_timeout_s: float | None = None) -> None:
        self.reconnects = 0
        self.refused = CountedLog(log, f"{label}: websocket messages dropped")
        self.resubscribes = 0  # subscribe requests sent again (unanswered or refused)
        self._url = ws_url
        self._reads = reads
        self._commitment = commitment
        self._label = label
        self._silence_s = silence_s
        self._max_backoff_s = max_backoff_s
        self._open_timeout_s = open_timeout_s
        self._ack_timeout_s = ack_timeout_s if ack_timeout_s is not None else min(open_timeout_s, silence_s)
        self._clock = clock
        self._slots = slots or SlotBound()
        self._notified_at = 0.0  # last notification of the current connection (monotonic)
        self._keys = itertools.count(1)
        self._request_ids = itertools.count(1)
        self._subs: dict[int, WsSubscription] = {}
        self._by_server_id: dict[int, WsSubscription] = {}
        self._requests: dict[int, _Pending] = {}  # subscribe requests of this connection awaiting a reply
        self._to_catch_up: dict[int, WsSubscription] = {}
        self._rereads: dict[int, tuple[WsSubscription, set[Pubkey]]] = {}  # single accounts to read again
        self._catch_up_due = asyncio.Event()
        self._ws: ClientConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._helpers = Background(log, f"{label}: websocket request not sent")
        self._connections = 0
        self._closed = False

    @property
    def connected(self) -> bool:
        """True while a connection is open."""
        return self._ws is not None

    # -- subscriptions ----------------------------------------------------------------------------
    def add(self, method: str, params: list[Any], callback: Callable[..., None],
            target: Pubkey | Signature | None = None, filters: Sequence[AccountFilter] = ()) -> WsSubscription:
        """Register a subscription and subscribe it now if connected (must run on the event loop)."""
        if self._closed:
            raise ChainError(f"{self._label}: chain is closed")
        sub = WsSubscription(self, next(self._keys), method, params, callback, target, filters)
        self._subs[sub.key] = sub
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"ws {self._label}")
        elif self._ws is not None:
            self._helpers.spawn(self._subscribe(self._ws, [sub]))
        return sub

    def remove(self, sub: WsSubscription, *, tell_node: bool = True) -> None:
        """Forget ``sub``; unsubscribe it on the node when it was subscribed there and ``tell_node``."""
        if not sub.active:
            return
        sub.active = False
        self._subs.pop(sub.key, None)
        self._to_catch_up.pop(sub.key, None)
        if sub.server_id is not None:
            self._by_server_id.pop(sub.server_id, None)
            if tell_node and self._ws is not None:
                self._helpers.spawn(self._unsubscribe(self._ws, sub.method, sub.server_id))

    async def close(self) -> None:
        """Cancel the connection task and every helper, and forget every subscription (idempotent)."""
        self._closed = True
        for sub in list(self._subs.values()):
            sub.active = False
        self._subs.clear()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._helpers.cancel()

    # -- connection ---------------------------------------------------------------------------------
    async def _run(self) -> None:
        failures = 0
        while self._subs and not self._closed:
            started = self._clock.monotonic()
            try:
                async with connect(self._url, open_timeout=self._open_timeout_s, close_timeout=CLOSE_TIMEOUT_S,
                                   max_size=MAX_MESSAGE_BYTES) as ws:
                    self._connections += 1
                    if self._connections > 1:
                        self.reconnects += 1
                        log.info("%s: websocket reconnected; resubscribing %d", self._label, len(self._subs))
                    await self._session(ws)
            except (OSError, TimeoutError, WebSocketException, ChainError) as e:
                log.warning("%s: websocket lost (%s: %s)", self._label, type(e).__name__, e)
            except Exception:  # noqa: BLE001 - a bug here must not end the subscriptions for good
                log.exception("%s: websocket session failed", self._label)
            if not self._subs or self._closed:
                break
            # A connection that stood for a while was healthy: a drop of it is not a failure to connect,
            # and must not grow the wait (drops every few seconds kept it at the cap, deaf most of the time).
            lived = self._clock.monotonic() - started
            failures = 0 if lived >= min(self._max_backoff_s, HEALTHY_CONNECTION_S) else failures + 1
            await self._clock.sleep(backoff_s(failures, self._max_backoff_s))

    async def _session(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._notified_at = self._clock.monotonic()
        subs = list(self._subs.values())  # taken with _ws set: later additions subscribe themselves
        tasks = [asyncio.create_task(self._read(ws)), asyncio.create_task(self._catch_up_loop())]
        try:
            await self._subscribe(ws, subs)
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for t in done:
                t.result()  # why the session ended (None: idle without subscriptions)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._ws = None
            self._requests.clear()
            self._by_server_id.clear()
            self._to_catch_up.clear()
            for sub in self._subs.values():
                sub.server_id = None
                sub.acknowledged_at = None
                sub.attempts = 0

    async def _subscribe(self, ws: ClientConnection, subs: list[WsSubscription]) -> None:
        for sub in subs:
            if sub.active:
                request_id = next(self._request_ids)
                self._requests[request_id] = _Pending(sub, self._clock.monotonic())
                sub.attempts += 1
                await ws.send(_request(request_id, sub.method, sub.params))

    async def _resubscribe_later(self, ws: ClientConnection, sub: WsSubscription, delay_s: float) -> None:
        await self._clock.sleep(delay_s)
        if sub.active and sub.server_id is None and self._ws is ws:
            self.resubscribes += 1
            await self._subscribe(ws, [sub])

    async def _unsubscribe(self, ws: ClientConnection, method: str, server_id: int) -> None:
        await ws.send(_request(next(self._request_ids), _UNSUBSCRIBE[method], [server_id]))

    async def _read(self, ws: ClientConnection) -> None:
        while True:
            wait_s = self._check_deadlines(ws)
            try:
                async with self._clock.timeout(wait_s):
                    text = await ws.recv()
            except TimeoutError:
                if not self._subs:
                    return  # idle: let the connection go
                continue  # the deadlines decide
            self._dispatch(text)

    def _check_deadlines(self, ws: ClientConnection) -> float:
        """Raise ``_Silent`` when the connection is deaf (module docstring); send again the subscribe requests
        whose reply is late; return how long to wait for the next message before checking again."""
        now = self._clock.monotonic()
        if self._subs and now - self._notified_at > self._silence_s:
            raise _Silent(f"no notification for {self._silence_s:g} s")
        for sub in self._subs.values():
            if sub.kind == "slot" and sub.acknowledged_at is not None:
                heard = max(sub.acknowledged_at, sub.notified_at or 0.0)
                if now - heard > self._silence_s:
                    raise _Silent(f"slot subscription silent for {self._silence_s:g} s")
        next_at = self._notified_at + self._silence_s
        for request_id, pending in list(self._requests.items()):
            due = pending.sent_at + self._ack_timeout_s
            if now < due:
                next_at = min(next_at, due)
                continue
            del self._requests[request_id]
            sub = pending.sub
            if not sub.active or sub.server_id is not None:  # gone, or an earlier request was answered
                continue
            if sub.attempts >= MAX_SUBSCRIBE_ATTEMPTS:
                raise _Silent(f"{sub.method} unanswered {sub.attempts} times")
            self.refused.note("subscribe request unanswered", f"{sub.method} after {self._ack_timeout_s:g} s")
            self.resubscribes += 1
            self._helpers.spawn(self._subscribe(ws, [sub]))
            next_at = min(next_at, now + self._ack_timeout_s)
        return max(0.01, next_at - now)

    # -- messages -----------------------------------------------------------------------------------
    def _dispatch(self, text: str | bytes) -> None:
        try:
            messages = parse_websocket_message(text if isinstance(text, str) else text.decode("utf-8", "replace"))
        except BaseException as e:  # noqa: BLE001 - SerdeJSONError, ValueError, or pyo3's PanicException
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            self.refused.note("unparseable message", _snippet(text))
            return
        for msg in messages:
            self._handle(msg)

    def _handle(self, msg: Any) -> None:
        if isinstance(msg, SubscriptionResult):
            self._acknowledged(msg.id, msg.result)
        elif isinstance(msg, SubscriptionError):
            pending = self._requests.pop(msg.id, None)
            if pending is None:
                return
            sub = pending.sub
            sub.refusals += 1
            if sub.refusals >= MAX_SUBSCRIBE_ATTEMPTS:
                log.error("%s: node refused %s %s %d times, giving up: %s", self._label, sub.method, sub.params,
                          sub.refusals, msg.error)
                self.remove(sub, tell_node=False)
            elif self._ws is not None:
                self.refused.note("subscribe request refused", f"{sub.method}: {msg.error}")
                self._helpers.spawn(self._resubscribe_later(self._ws, sub, backoff_s(sub.refusals, self._max_backoff_s)))
        elif isinstance(msg, AccountNotification | ProgramNotification | SlotNotification | SignatureNotification):
            sub = self._by_server_id.get(msg.subscription)
            if sub is not None:
                self._notified(sub, msg)

    def _acknowledged(self, request_id: int, server_id: int) -> None:
        pending = self._requests.pop(request_id, None)
        if pending is None:
            return
        sub = pending.sub
        if sub.server_id is not None:  # an answer to a request sent again: one subscription is enough
            if self._ws is not None:
                self._helpers.spawn(self._unsubscribe(self._ws, sub.method, server_id))
            return
        if not sub.active:  # closed while the request was in flight
            if self._ws is not None:
                self._helpers.spawn(self._unsubscribe(self._ws, sub.method, server_id))
            return
        sub.server_id = server_id
        sub.acknowledged_at = self._clock.monotonic()
        self._by_server_id[server_id] = sub
        if sub.kind != "slot":
            self._to_catch_up[sub.key] = sub
            self._catch_up_due.set()

    def _notified(self, sub: WsSubscription, msg: Any) -> None:
        slot = msg.result.slot if isinstance(msg, SlotNotification) else msg.result.context.slot
        now = self._clock.monotonic()
        self._notified_at = sub.notified_at = now
        if isinstance(msg, AccountNotification | ProgramNotification):
            if isinstance(msg, AccountNotification):
                data = account_data(sub.target, msg.result.value, slot)  # type: ignore[arg-type]
            else:
                data = account_data(msg.result.value.pubkey, msg.result.value.account, slot)
            if not self._slots.plausible(slot):
                self._refuse_update(sub, data.pubkey, "implausible slot", f"{slot} (bound {self._slots.limit()})")
            elif sub.active and data.lamports > 0 and not sub.fresh(data.pubkey, slot):
                self._refuse_update(sub, data.pubkey, "older slot", f"{data.pubkey} at {slot}")
            else:
                self._deliver_account(sub, data)
        elif isinstance(msg, SlotNotification):
            if not self._slots.plausible(slot):
                self.refused.note("implausible slot", f"{slot} (bound {self._slots.limit()})")
            elif sub.active and sub.fresh(None, slot, strictly=True):
                self._call(sub, slot)
        elif isinstance(msg, SignatureNotification):  # the node ends its subscription with this notification
            status = SignatureStatus(slot, msg.result.value.err, self._commitment)
            self._deliver_signature(sub, status, tell_node=False)

    # -- delivery -----------------------------------------------------------------------------------
    def _call(self, sub: WsSubscription, *args: Any) -> None:
        try:
            sub.callback(*args)
        except Exception:  # noqa: BLE001 - a subscriber's bug must not stop the subscriptions
            log.exception("%s: %s callback failed", self._label, sub.method)

    def _deliver_account(self, sub: WsSubscription, data: AccountData) -> None:
        if sub.active and data.lamports > 0 and sub.fresh(data.pubkey, data.slot):
            self._call(sub, data)

    def _deliver_signature(self, sub: WsSubscription, status: SignatureStatus, *, tell_node: bool) -> None:
        if sub.active:
            self.remove(sub, tell_node=tell_node)  # one-shot: before the callback, so it runs once
            self._call(sub, sub.target, status)

    def _refuse_update(self, sub: WsSubscription, pubkey: Pubkey, reason: str, detail: str) -> None:
        """Count a dropped account notification and read the account over HTTP instead."""
        self.refused.note(reason, detail)
        self.reread(sub, pubkey)

    def reread(self, sub: WsSubscription, pubkey: Pubkey) -> None:
        """Read ``pubkey`` over HTTP and deliver it to ``sub`` (with the next catch-up; coalesced)."""
        if sub.active:
            self._rereads.setdefault(sub.key, (sub, set()))[1].add(pubkey)
            self._catch_up_due.set()

    # -- catch-up after (re)subscribing ------------------------------------------------------------
    async def _catch_up_loop(self) -> None:
        failures = 0
        while True:
            await self._catch_up_due.wait()
            self._catch_up_due.clear()
            subs = list(self._to_catch_up.values())
            self._to_catch_up.clear()
            rereads, self._rereads = self._rereads, {}
            try:
                await self._catch_up(subs)
                await self._read_again(rereads)
                failures = 0
            except ChainError as e:
                log.warning("%s: catch-up read failed (%s); retrying", self._label, e)
                for sub in subs:
                    if sub.active:
                        self._to_catch_up.setdefault(sub.key, sub)
                for key, (sub, keys) in rereads.items():
                    if sub.active:
                        self._rereads.setdefault(key, (sub, set()))[1].update(keys)
                self._catch_up_due.set()
                await self._clock.sleep(backoff_s(failures, self._max_backoff_s))
                failures += 1

    async def _read_again(self, rereads: dict[int, tuple[WsSubscription, set[Pubkey]]]) -> None:
        wanted = list(dict.fromkeys(k for _, keys in rereads.values() for k in keys))
        if not wanted:
            return
        by_key = dict(zip(wanted, await self._reads.get_accounts(wanted), strict=True))
        for sub, keys in rereads.values():
            for key in keys:
                data = by_key[key]
                if data is not None:
                    self._deliver_account(sub, data)

    async def _catch_up(self, subs: list[WsSubscription]) -> None:
        accounts = [s for s in subs if s.kind == "account"]
        if accounts:
            keys = list(dict.fromkeys(s.target for s in accounts))
            by_key = dict(zip(keys, await self._reads.get_accounts(keys), strict=True))  # type: ignore[arg-type]
            for sub in accounts:
                data = by_key[sub.target]
                if data is not None:
                    self._deliver_account(sub, data)
        for sub in (s for s in subs if s.kind == "program"):
            for data in await self._reads.get_program_accounts(sub.target, sub.filters):  # type: ignore[arg-type]
                self._deliver_account(sub, data)
        signatures = [s for s in subs if s.kind == "signature"]
        if signatures:
            statuses = await self._reads.get_signature_statuses([s.target for s in signatures])  # type: ignore[misc]
            for sub, status in zip(signatures, statuses, strict=True):
                if status is not None and reached(status.commitment, self._commitment):
                    self._deliver_signature(sub, status, tell_node=True)


__all__ = ["CatchUpReads", "account_data", "WsSubscription", "WsSubscriptions", "backoff_s", "reached"]
