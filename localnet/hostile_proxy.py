"""A hostile RPC endpoint: a JSON-RPC (HTTP) and PubSub (websocket) proxy in front of a node that corrupts
what passes through it, with seeded faults per method.

The keeper talks to the proxy as to any cluster (``http_url``, ``ws_url``); the proxy forwards to the
node (``localnet/rpc``, or any endpoint) and, on the way back, applies the configured ``Fault``\\s. It is
the broken or hostile endpoint of ``tests/integration/keepers/test_keepers_hostile.py``: where the node's
own fault injection (``localnet.rpc.faults``) fails, delays and drops requests as an overloaded node
does, this one lies as a buggy or malicious one does.

Each fault names a ``kind`` (``HTTP_KINDS``, ``WS_KINDS``) and applies to the methods it lists (HTTP
method, websocket request method such as ``slotSubscribe``, or notification method such as
``programNotification``; none: all), optionally only to replies and notifications about the accounts
it lists, with probability ``rate``, at most ``count`` times. Decisions draw from one
``random.Random`` stream per fault, seeded by (seed, index, kind), so a run repeats. Faults can be
replaced while the proxy runs (``set_faults``); ``stats`` counts what was injected, by kind.

Built on aiohttp (server and client, HTTP and websocket), which the lock already holds.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

log = logging.getLogger("localnet.hostile_proxy")

# Faults of HTTP replies. Parameters: ``slots`` (slot_ahead), ``drip_s`` (drip: one byte per interval),
# ``size`` (huge: bytes of padding), ``hold_s`` (timeout: how long the request is held unanswered).
HTTP_KINDS = ("malformed_json", "wrong_types", "odd_error", "garbage_account", "malformed_account", "drop_result",
              "slot_ahead", "drip", "huge", "timeout")
# Faults of websocket traffic: subscribe requests (reject_subscribe, ignore_subscribe) and notifications
# (the rest). ``flood`` sends ``copies`` of the notification; ``garbage_ws`` sends ``copies`` unparseable
# messages before it (or instead of it: ``forward`` false); the account corruptions (``wrong_discriminator``, ``foreign_owner``, ``older_slot``,
# ``truncated``) rewrite the account a notification carries; ``slot_ahead`` moves its slot ``slots`` ahead.
WS_KINDS = ("reject_subscribe", "ignore_subscribe", "drop_notification", "flood", "garbage_ws", "slot_ahead",
            "wrong_discriminator", "foreign_owner", "older_slot", "truncated")
FOREIGN_OWNER = "11111111111111111111111111111111"
MAX_HOLD_S = 300.0


@dataclass(frozen=True)
class Fault:
    """One fault (see the module docstring)."""

    kind: str
    methods: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    rate: float = 1.0
    count: int | None = None
    slots: int = 1_000_000
    drip_s: float = 1.0
    size: int = 50 << 20
    hold_s: float = 60.0
    copies: int = 1000
    forward: bool = True  # garbage_ws: send the notification after the garbage (False: garbage instead of it)

    def __post_init__(self) -> None:
        if self.kind not in HTTP_KINDS + WS_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r} (known: {', '.join(sorted(set(HTTP_KINDS + WS_KINDS)))})")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, got {self.rate}")
        if self.count is not None and self.count < 0:
            raise ValueError(f"count must be >= 0, got {self.count}")


@dataclass
class _Armed:
    fault: Fault
    rng: random.Random
    used: int = 0


def _accounts_of(method: str, doc: Any, request: Any = None) -> set[str]:
    """Base58 account keys a reply or notification is about (for ``Fault.accounts``)."""
    keys: set[str] = set()
    params = request.get("params") if isinstance(request, dict) else None
    if method in ("getAccountInfo",) and isinstance(params, list) and params:
        keys.add(str(params[0]))
    elif method == "getMultipleAccounts" and isinstance(params, list) and params and isinstance(params[0], list):
        keys.update(map(str, params[0]))
    value = (doc.get("params", {}).get("result", {}) if "params" in doc else doc.get("result", {})) if isinstance(doc, dict) else {}
    value = value.get("value") if isinstance(value, dict) else None
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("pubkey"), str):
            keys.add(item["pubkey"])
    return keys


class HostileProxy:
    """The proxy; ``start`` binds two free ports on ``host``, ``stop`` closes everything."""

    def __init__(self, upstream_http: str, upstream_ws: str, faults: Iterable[Fault] = (), seed: int = 0,
                 host: str = "127.0.0.1") -> None:
        self.upstream_http = upstream_http
        self.upstream_ws = upstream_ws
        self.host = host
        self.seed = seed
        self.stats: dict[str, int] = {}
        self._armed: list[_Armed] = []
        self.set_faults(faults)
        self._session: aiohttp.ClientSession | None = None
        self._runners: list[web.AppRunner] = []
        self._sockets: set[web.WebSocketResponse] = set()
        self.http_port = self.ws_port = 0

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.ws_port}"

    def set_faults(self, faults: Iterable[Fault]) -> None:
        """Replace the faults (their streams and counts restart; ``stats`` keep counting)."""
        self._armed = [_Armed(f, random.Random(f"{self.seed}/{i}/{f.kind}")) for i, f in enumerate(faults)]

    def _pick(self, kinds: tuple[str, ...], method: str, accounts: set[str] = frozenset()) -> Fault | None:  # type: ignore[assignment]
        """The first armed fault of ``kinds`` that applies to ``method`` (and ``accounts``) and fires now."""
        for armed in self._armed:
            f = armed.fault
            if f.kind not in kinds or (f.methods and method not in f.methods):
                continue
            if f.accounts and not accounts & set(f.accounts):
                continue
            if f.count is not None and armed.used >= f.count:
                continue
            if f.rate < 1.0 and armed.rng.random() >= f.rate:
                continue
            armed.used += 1
            self.stats[f.kind] = self.stats.get(f.kind, 0) + 1
            return f
        return None

    # -- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> HostileProxy:
        """Bind the HTTP and websocket ports (free ones) and start forwarding."""
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_connect=5))
        for handler, attr in ((self._http, "http_port"), (self._ws, "ws_port")):
            app = web.Application(client_max_size=64 << 20)
            app.router.add_route("*", "/{tail:.*}", handler)
            runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
            await runner.setup()
            site = web.TCPSite(runner, self.host, 0)
            await site.start()
            self._runners.append(runner)
            setattr(self, attr, runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        """Close every connection and both ports."""
        for ws in list(self._sockets):
            await ws.close()
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()
        if self._session is not None:
            await self._session.close()

    async def drop_websockets(self) -> int:
        """Close every client websocket (as a restarting endpoint would); return how many."""
        socks = list(self._sockets)
        for ws in socks:
            await ws.close()
        return len(socks)

    # -- HTTP -----------------------------------------------------------------------------------
    async def _http(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.read()
        except ConnectionResetError:  # the client gave up
            return web.Response(status=499)
        try:
            call = json.loads(body)
        except ValueError:
            call = None
        method = call.get("method", "") if isinstance(call, dict) else ""
        held = self._pick(("timeout",), method)
        if held is not None:
            await asyncio.sleep(min(held.hold_s, MAX_HOLD_S))
            raise web.HTTPGatewayTimeout()
        assert self._session is not None
        async with self._session.post(self.upstream_http, data=body, headers={"Content-Type": "application/json"}) as up:
            status, text = up.status, await up.read()
            headers = {k: v for k, v in up.headers.items() if k.lower() == "retry-after"}
        if status != 200:
            return web.Response(status=status, body=text, headers=headers, content_type="application/json")
        try:
            doc = json.loads(text)
        except ValueError:
            return web.Response(body=text, content_type="application/json")
        accounts = _accounts_of(method, doc, call)
        fault = self._pick(HTTP_KINDS, method, accounts)
        if fault is None:
            return web.Response(body=text, content_type="application/json")
        return await self._corrupt_http(request, fault, doc, text)

    async def _corrupt_http(self, request: web.Request, fault: Fault, doc: Any, text: bytes) -> web.StreamResponse:
        kind = fault.kind
        if kind == "malformed_json":
            return web.Response(body=text[: max(1, len(text) // 2)], content_type="application/json")
        if kind == "drip":
            return await self._drip(request, text, fault.drip_s)
        if kind == "huge":
            resp = web.StreamResponse(headers={"Content-Type": "application/json"})
            await resp.prepare(request)
            await resp.write(text)
            pad = b" " * min(fault.size, 1 << 20)
            sent = 0
            try:
                while sent < fault.size:
                    await resp.write(pad)
                    sent += len(pad)
            except (ConnectionResetError, aiohttp.ClientConnectionResetError):
                return resp
            await resp.write_eof()
            return resp
        if kind == "odd_error":
            doc = {"jsonrpc": "2.0", "id": doc.get("id"), "error": {"code": "-32000", "message": ["odd"], "data": {"x": 1e308}}}
        elif kind == "drop_result":
            result = doc.get("result")
            doc["result"] = {**result, "value": None} if isinstance(result, dict) and "value" in result else None
        elif kind == "wrong_types":
            result = doc.get("result")
            if isinstance(result, dict) and isinstance(result.get("context"), dict):
                result["context"]["slot"] = "slot"
            else:
                doc["result"] = {"unexpected": [True]}
        elif kind == "slot_ahead":
            result = doc.get("result")
            if isinstance(result, dict) and isinstance(result.get("context"), dict):
                result["context"]["slot"] += fault.slots
            elif isinstance(result, int):
                doc["result"] = result + fault.slots
        elif kind in ("garbage_account", "malformed_account"):
            self._corrupt_accounts(doc, fault)
        return web.Response(body=json.dumps(doc).encode(), content_type="application/json")

    def _corrupt_accounts(self, doc: Any, fault: Fault) -> None:
        """Corrupt one account of a reply (the first, or the first listed in ``fault.accounts``)."""
        value = doc.get("result", {}).get("value") if isinstance(doc.get("result"), dict) else None
        items = value if isinstance(value, list) else [value]
        for item in items:
            if not isinstance(item, dict):
                continue
            if fault.accounts and item.get("pubkey") not in fault.accounts and "pubkey" in item:
                continue
            acc = item.get("account", item)
            if fault.kind == "garbage_account":
                acc["data"] = [base64.b64encode(random.Random(fault.slots).randbytes(97)).decode(), "base64"]
            else:
                acc["data"] = ["%%% not base64", "base64"]
                acc["lamports"] = "many"
            return

    async def _drip(self, request: web.Request, text: bytes, drip_s: float) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json", "Content-Length": str(len(text))})
        await resp.prepare(request)
        try:
            for i in range(len(text)):
                await resp.write(text[i : i + 1])
                await asyncio.sleep(drip_s)
        except (ConnectionResetError, aiohttp.ClientConnectionResetError):
            pass
        return resp

    # -- websocket ------------------------------------------------------------------------------
    async def _ws(self, request: web.Request) -> web.StreamResponse:
        client = web.WebSocketResponse(max_msg_size=64 << 20, autoping=True)
        await client.prepare(request)
        self._sockets.add(client)
        assert self._session is not None
        try:
            async with self._session.ws_connect(self.upstream_ws, max_msg_size=64 << 20) as upstream:
                down = asyncio.create_task(self._downstream(upstream, client))
                try:
                    async for msg in client:
                        if msg.type != aiohttp.WSMsgType.TEXT:
                            continue
                        await self._upstream_message(msg.data, upstream, client)
                finally:
                    down.cancel()
                    await asyncio.gather(down, return_exceptions=True)
        except (aiohttp.ClientError, ConnectionResetError) as e:
            log.info("hostile proxy: websocket upstream failed: %s", e)
        finally:
            self._sockets.discard(client)
            await client.close()
        return client

    async def _upstream_message(self, text: str, upstream: aiohttp.ClientWebSocketResponse,
                                client: web.WebSocketResponse) -> None:
        try:
            req = json.loads(text)
        except ValueError:
            req = None
        method = req.get("method", "") if isinstance(req, dict) else ""
        fault = self._pick(("reject_subscribe", "ignore_subscribe"), method) if method.endswith("Subscribe") else None
        if fault is None:
            await upstream.send_str(text)
        elif fault.kind == "reject_subscribe":
            await client.send_str(json.dumps({"jsonrpc": "2.0", "id": req.get("id"),
                                              "error": {"code": -32602, "message": "subscription refused (hostile proxy)"}}))

    async def _downstream(self, upstream: aiohttp.ClientWebSocketResponse, client: web.WebSocketResponse) -> None:
        async for msg in upstream:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            try:
                doc = json.loads(msg.data)
            except ValueError:
                await client.send_str(msg.data)
                continue
            method = doc.get("method", "") if isinstance(doc, dict) else ""
            fault = self._pick(WS_KINDS[2:], method, _accounts_of(method, doc)) if method.endswith("Notification") else None
            if fault is None:
                await client.send_str(msg.data)
            else:
                await self._corrupt_notification(client, fault, doc)

    async def _corrupt_notification(self, client: web.WebSocketResponse, fault: Fault, doc: dict[str, Any]) -> None:
        kind = fault.kind
        if kind == "drop_notification":
            return
        if kind == "garbage_ws":
            for i in range(fault.copies):
                await client.send_str(f"{{not json {i}")
            if fault.forward:
                await client.send_str(json.dumps(doc))
            return
        if kind == "flood":
            text = json.dumps(doc)
            for _ in range(fault.copies):
                await client.send_str(text)
            return
        try:
            self._rewrite(kind, fault, doc["params"]["result"])
        except (KeyError, TypeError, ValueError):  # a fault that does not fit this notification: sent as it is
            pass
        await client.send_str(json.dumps(doc))

    @staticmethod
    def _rewrite(kind: str, fault: Fault, result: Any) -> None:
        """Rewrite a notification's ``result`` in place for ``kind``."""
        if kind == "slot_ahead":
            if isinstance(result, dict) and "context" in result:
                result["context"]["slot"] += fault.slots
            elif isinstance(result, dict) and "slot" in result:
                result["slot"] += fault.slots
        elif kind == "older_slot":
            result["context"]["slot"] = max(0, result["context"]["slot"] - 1000)
        else:
            value = result["value"]
            acc = value.get("account", value)
            raw = base64.b64decode(acc["data"][0])
            if kind == "wrong_discriminator":
                raw = bytes(8) + raw[8:]
            elif kind == "truncated":
                raw = raw[: len(raw) // 2]
            elif kind == "foreign_owner":
                acc["owner"] = FOREIGN_OWNER
            acc["data"] = [base64.b64encode(raw).decode(), "base64"]


__all__ = ["FOREIGN_OWNER", "Fault", "HTTP_KINDS", "HostileProxy", "WS_KINDS"]
