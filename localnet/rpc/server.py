"""The node: JSON-RPC over HTTP, PubSub over websocket, and the slot ticker, on one asyncio loop.

``RpcNode`` owns the ``Ledger`` (and so LiteSVM) and is driven from the loop it was started
on. ``NodeThread`` runs a node on a loop of its own in a background thread, for tests, benchmarks
and in-process tools; ``NodeThread.call`` runs a function on that loop (the only safe way to touch
the chain from another thread).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, Self, TypeVar

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from localnet.ledger import Ledger
from localnet.rpc.config import NodeConfig
from localnet.rpc.dispatch import Payload, dumps, parse_payload, run_call
from localnet.rpc.errors import invalid_request
from localnet.rpc.faults import FaultInjector, HttpFault
from keepers.observability.http_server import HttpResponse, HttpServer
from localnet.rpc.methods import HTTP_METHODS
from localnet.rpc.subscriptions import SubscriptionHub
from localnet.svm import LocalSvm

log = logging.getLogger("localnet.rpc")
T = TypeVar("T")
_JSON_TYPES = ("application/json", "application/json-rpc", "application/jsonrequest")


def _fault_response(fault: HttpFault) -> HttpResponse:
    return HttpResponse(fault.status, fault.body, "application/json" if fault.status == 429 else "text/plain",
                        fault.headers, fault.reason)


def _too_large(max_body: int) -> HttpResponse:
    """413 whose body is a JSON-RPC error a client can show as it is."""
    error = invalid_request(f"Invalid request: the body exceeds the limit of {max_body} bytes")
    return HttpResponse(413, dumps({"jsonrpc": "2.0", "error": error.to_json(), "id": None}))


class _WsConnection:
    """One websocket client: a bounded outgoing queue drained by a writer task."""

    def __init__(self, ws: ServerConnection, faults: FaultInjector, max_queue: int) -> None:
        self.ws = ws
        self.faults = faults
        self.queue: asyncio.Queue[str] = asyncio.Queue(max_queue)
        self.closed = False

    def send(self, text: str) -> None:
        if self.closed:
            return
        if self.faults.drop_ws_connection():
            log.info("fault injection: dropping websocket %s", self.ws.remote_address)
            self.abort()
            return
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            log.warning("websocket %s is not reading; disconnecting it", self.ws.remote_address)
            self.abort()

    def abort(self) -> None:
        """Drop the TCP connection without a close frame (as a crashed or unreachable node would)."""
        self.closed = True
        transport = getattr(self.ws, "transport", None)
        if transport is not None:
            transport.abort()

    async def writer(self) -> None:
        while True:
            text = await self.queue.get()
            await self.ws.send(text)


class RpcNode:
    """A LiteSVM-backed Solana JSON-RPC and PubSub endpoint."""

    def __init__(self, local: LocalSvm, config: NodeConfig | None = None) -> None:
        self.config = config or NodeConfig()
        self.local = local
        self.faults = FaultInjector(self.config.faults)
        self.chain = Ledger(local, self.config.ledger, self.faults)
        self.hub = SubscriptionHub(self.chain)
        self.rpc_port = self.config.rpc_port
        self.ws_port = self.config.resolved_ws_port
        self._http = HttpServer(self._handle_http, self.config.max_request_bytes, _too_large)
        self._ws_server: Server | None = None
        self._ws_conns: set[_WsConnection] = set()
        self._ticker: asyncio.Task[None] | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def rpc_url(self) -> str:
        return f"http://{self.config.host}:{self.rpc_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.config.host}:{self.ws_port}"

    async def start(self) -> None:
        """Bind both ports and start producing slots."""
        self.rpc_port = await self._http.start(self.config.host, self.config.rpc_port)
        try:
            self._ws_server = await serve(self._handle_ws, self.config.host, self.ws_port, compression=None,
                                          max_size=1 << 20, ping_interval=None)
        except OSError:
            await self._http.stop()
            raise
        self.ws_port = self._ws_server.sockets[0].getsockname()[1] if self._ws_server.sockets else self.ws_port
        self._ticker = asyncio.create_task(self._tick(), name="slot-ticker")
        log.info("node listening: rpc %s, websocket %s, slot %d ms", self.rpc_url, self.ws_url, self.config.slot_ms)

    async def stop(self) -> None:
        """Stop the ticker and both servers."""
        if self._ticker is not None:
            self._ticker.cancel()
            try:
                await self._ticker
            except asyncio.CancelledError:
                pass
            self._ticker = None
        if self._ws_server is not None:
            for conn in list(self._ws_conns):
                conn.abort()
            self._ws_server.close()
            await self._ws_server.wait_closed()
            self._ws_server = None
        await self._http.stop()
        log.info("node stopped at slot %d", self.chain.slot)

    async def _tick(self) -> None:
        period = self.config.slot_ms / 1000.0
        due = time.monotonic()
        while True:
            due += period
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if time.monotonic() - due > 5 * period:
                due = time.monotonic()  # the loop was blocked: resume without a burst of slots
            try:
                if not self.faults.slot_stalled():
                    self.chain.advance_slot()
            except Exception:
                log.exception("error while producing slot %d", self.chain.slot)

    def drop_websockets(self) -> int:
        """Abort every websocket connection; return how many there were."""
        conns = list(self._ws_conns)
        for conn in conns:
            conn.abort()
        return len(conns)

    # -- HTTP -----------------------------------------------------------------------------------
    def _handle_http(self, method: str, path: str, headers: dict[str, str], body: bytes) -> HttpResponse | Awaitable[HttpResponse]:
        """Answer a request at once, or return a coroutine when an injected fault makes it wait."""
        if method == "GET" and path.split("?")[0] == "/health":
            return HttpResponse(200, b"behind" if self.faults.stall_remaining_s > 0 else b"ok", "text/plain")
        if method == "OPTIONS":
            return HttpResponse(200, headers=(("Access-Control-Allow-Methods", "POST, GET, OPTIONS"),
                                              ("Access-Control-Allow-Headers", "content-type")))
        if method != "POST":
            return HttpResponse(405, b"Used HTTP Method is not allowed. POST or OPTIONS is required", "text/plain",
                                (("Allow", "POST, OPTIONS"),))
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in _JSON_TYPES:
            return HttpResponse(415, b"Supplied content type is not allowed. Content-Type: application/json is required",
                                "text/plain")
        payload = parse_payload(body, self.config.max_batch_requests)
        if not self.faults.http_faults:
            return self._answer(payload)
        methods = payload.methods
        delay, hold = self.faults.http_latency_s(methods), self.faults.http_timeout_s(methods)
        if delay or hold:
            return self._answer_late(payload, delay, hold)
        fault = self.faults.http_fault(methods)
        return _fault_response(fault) if fault is not None else self._answer(payload)

    async def _answer_late(self, payload: Payload, delay: float, hold: float) -> HttpResponse:
        if delay:
            await asyncio.sleep(delay)
        if hold:  # a request that times out: no answer before any client's patience runs out
            await asyncio.sleep(hold)
            return HttpResponse(504, b"504 Gateway Timeout (injected)", "text/plain", reason="Gateway Timeout")
        fault = self.faults.http_fault(payload.methods)
        return _fault_response(fault) if fault is not None else self._answer(payload)

    def _answer(self, payload: Payload) -> HttpResponse:
        if payload.error is not None:
            reply: Any = {"jsonrpc": "2.0", "error": payload.error.to_json(), "id": None}
        else:
            replies = [r for r in (run_call(self, c, HTTP_METHODS) for c in payload.calls) if r is not None]
            reply = (replies or None) if payload.batch else (replies[0] if replies else None)
        return HttpResponse(200, dumps(reply) if reply is not None else b"")

    # -- websocket ------------------------------------------------------------------------------
    async def _handle_ws(self, ws: ServerConnection) -> None:
        conn = _WsConnection(ws, self.faults, self.config.ws_queue_messages)
        self._ws_conns.add(conn)
        writer = asyncio.create_task(conn.writer())
        table = {m: (lambda ctx, params, m=m: self.hub.handle(conn, m, params))
                 for m in (*self.hub.subscribe_methods, *self.hub.UNSUBSCRIBE)}
        try:
            async for message in ws:
                payload = parse_payload(message, self.config.max_batch_requests)
                if payload.error is not None:
                    conn.send(dumps({"jsonrpc": "2.0", "error": payload.error.to_json(), "id": None}).decode())
                    continue
                replies = [(c, run_call(self, c, table)) for c in payload.calls]
                out = [r for _, r in replies if r is not None]
                if out:
                    conn.send(dumps(out if payload.batch else out[0]).decode())
                for call, reply in replies:
                    if call.method == "signatureSubscribe" and reply is not None and "result" in reply:
                        self.hub.after_subscribe(reply["result"])
        except ConnectionClosed:
            pass
        except Exception:
            log.exception("websocket handler failed")
        finally:
            conn.closed = True
            self.hub.drop_connection(conn)
            self._ws_conns.discard(conn)
            writer.cancel()


class NodeThread:
    """Run an ``RpcNode`` on its own event loop in a daemon thread."""

    def __init__(self, node: RpcNode) -> None:
        self.node = node
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="rpc-node", daemon=True)
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._stopped: asyncio.Event | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._main())

    async def _main(self) -> None:
        self._stopped = asyncio.Event()
        try:
            await self.node.start()
        except BaseException as e:  # noqa: BLE001 - reported to the starting thread
            self._error = e
            self._ready.set()
            return
        self._ready.set()
        await self._stopped.wait()
        await self.node.stop()

    def start(self, timeout_s: float = 10.0) -> NodeThread:
        """Start the thread and wait until the node listens; re-raise its start-up error."""
        self._thread.start()
        if not self._ready.wait(timeout_s):
            raise TimeoutError(f"RPC node did not start within {timeout_s} s")
        if self._error is not None:
            raise self._error
        return self

    def call(self, fn: Callable[..., T], *args: Any, timeout_s: float = 10.0) -> T:
        """Run ``fn(*args)`` on the node's loop (where the chain lives) and return its result."""
        async def run() -> T:
            return fn(*args)

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout_s)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the node and join the thread."""
        if self._stopped is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self._stopped.set)
            self._thread.join(timeout_s)
        if not self.loop.is_closed() and not self._thread.is_alive():
            self.loop.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["NodeThread", "RpcNode"]
