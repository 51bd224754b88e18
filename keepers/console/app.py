"""The console's FastAPI application: the control API under ``/api`` (schema at ``/api/openapi.json``), the
update stream (server-sent events at ``/api/stream``) and the dashboard (``/`` and ``/static``). It runs in
the console's worker process (``keepers.console.worker``) over a ``RemoteService``: the keeper's state and
operations reach it over the link, and the keeper's loop never handles a request.

Security, in the order a request meets it (``Guard``, a plain ASGI middleware, then the route's dependency):
- bodies larger than ``console.max_body_bytes`` are refused with 413 before any handler reads them;
- a bearer token (``Authorization: Bearer pk_...``) is looked up by hash; each token (or, without a valid
  one, each client address) has its own rate limit, beyond which 429 with ``Retry-After``;
- a route needs a role: viewer reads, operator pauses and resumes bots and sends and cancels orders, admin
  changes parameters and pulls the kill switch; no valid token is 401, a weaker role 403;
- no CORS headers unless ``console.cors_origins`` names origins; responses carry ``no-store`` and a
  content security policy that allows only this origin (the dashboard loads nothing from elsewhere).
Every mutating call is in the audit log: applied, failed, or refused (role, malformed body, failed check)
with the reason, a refused one having changed nothing.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import math
import time
from importlib import resources
from typing import Any, Literal

from fastapi import Body, Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from keepers.config import ConsoleConfig
from keepers.console.audit import AuditLog
from keepers.console.auth import Principal, RateLimiter, TokenStore, role_allows
from keepers.console.protocol import ConsoleError
from keepers.console.remote import RemoteService

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'"),
]


def static_dir() -> str:
    """The packaged dashboard's folder."""
    return str(resources.files("keepers.console") / "static")


class Guard:
    """Body size limit, token lookup and per-token rate limit, security headers (see the module docstring)."""

    def __init__(self, app: Any, tokens: TokenStore, limiter: RateLimiter, max_body: int) -> None:
        self.app, self.tokens, self.limiter, self.max_body = app, tokens, limiter, max_body

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        headers = dict(scope.get("headers") or [])
        auth = headers.get(b"authorization", b"").decode("latin-1")
        principal = self.tokens.verify(auth[7:].strip()) if auth[:7].lower() == "bearer " else None
        scope.setdefault("state", {})["principal"] = principal
        if scope["path"].startswith("/api/"):
            client = scope.get("client") or ("?", 0)
            key = f"token:{principal.token_id}" if principal else f"addr:{client[0]}"
            if not self.limiter.allow(key):
                retry = str(max(1, math.ceil(self.limiter.retry_after_s(key))))
                return await _plain(send_with_headers, 429, "rate limit exceeded", [(b"retry-after", retry.encode())])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            return await _plain(send_with_headers, 413, f"body larger than {self.max_body} bytes")
        if scope["method"] in MUTATING:  # read the body now, bounded, whatever the transfer encoding
            chunks, size, more = [], 0, True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return None
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_body:
                    return await _plain(send_with_headers, 413, f"body larger than {self.max_body} bytes")
                chunks.append(chunk)
                more = message.get("more_body", False)
            body = b"".join(chunks)
            done = False

            async def replay() -> dict:
                nonlocal done
                if not done:
                    done = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()
            return await self.app(scope, replay, send_with_headers)
        return await self.app(scope, receive, send_with_headers)


def _outcome_of(e: ConsoleError) -> str:
    """A refusal changed nothing; a call the keeper did not answer (503, 504) may have: it failed."""
    return "refused" if e.status < 500 else "failed"


async def _plain(send: Any, status: int, detail: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store"), *(extra or [])]})
    await send({"type": "http.response.body", "body": body})


# -- request bodies ------------------------------------------------------------------------------------

class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ParamsBody(_Body):
    changes: dict[str, Any] = Field(description="keys of [bots.<name>] and their new values, as in the config file")


class KillBody(_Body):
    confirm: Literal[True] = Field(description="must be true: the kill switch cancels every order and stops strategies")


class OrderBody(_Body):
    market: int = Field(ge=0, le=0xFFFF)
    side: Literal["bid", "ask"]
    price: float = Field(gt=0, allow_inf_nan=False, description="quote per whole base unit")
    size: float = Field(gt=0, allow_inf_nan=False, description="whole base units")
    post_only: bool = False
    reduce_only: bool = False


class CancelBody(_Body):
    market: int = Field(ge=0, le=0xFFFF)
    order_id: str | None = Field(default=None, pattern=r"^\d{1,40}$", description="one order; absent: all in the market")


def create_app(service: RemoteService, tokens: TokenStore, audit: AuditLog, config: ConsoleConfig) -> FastAPI:
    """The console application over ``service`` (see the module docstring)."""
    app = FastAPI(title="perpkeep operator console", version="1", docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json",
                  description="Control API of a running perpkeep keeper. Bearer tokens; roles viewer < operator < admin.")

    # Replies are serialised at most once per half stream interval and shared by every caller (their data is
    # the snapshot the keeper pushes every interval). A change clears them.
    shared: dict[str, tuple[float, bytes]] = {}
    ttl_s = config.stream_interval_s / 2

    computing: dict[str, asyncio.Future[tuple[float, bytes]]] = {}  # one computation of a key at a time

    async def reply(key: str, make: Any) -> Response:
        hit = shared.get(key)
        if hit is None or time.monotonic() - hit[0] >= ttl_s:
            pending = computing.get(key)
            if pending is not None:
                hit = await asyncio.shield(pending)
            else:
                pending = computing[key] = asyncio.get_running_loop().create_future()
                try:
                    value = make()
                    if inspect.isawaitable(value):
                        value = await value
                    hit = shared[key] = (time.monotonic(), json.dumps(value, default=str).encode())
                    pending.set_result(hit)
                except asyncio.CancelledError:
                    pending.cancel()
                    raise
                except Exception as e:
                    pending.set_exception(e)
                    pending.exception()  # retrieved: the waiters, if any, raise it
                    raise
                finally:
                    computing.pop(key, None)
        return Response(hit[1], media_type="application/json", headers={"cache-control": "no-store"})

    def record(*args: Any, **kwargs: Any) -> None:
        shared.clear()
        audit.record(*args, **kwargs)

    def principal_of(request: Request) -> Principal | None:
        return request.scope.get("state", {}).get("principal")

    def need(role: str, action: str | None = None) -> Any:
        async def check(request: Request) -> Principal:
            p = principal_of(request)
            if p is None:
                if action:
                    audit.record("anonymous", "-", action, request.url.path, "refused", reason="no valid token")
                raise HTTPException(401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})
            if not role_allows(p.role, role):
                if action:
                    audit.record(p.token_id, p.role, action, request.url.path, "refused",
                                 reason=f"role {p.role} may not {action} (needs {role})")
                raise HTTPException(403, f"role {p.role} may not {action or 'read this'} (needs {role})")
            return p
        return Depends(check)

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, exc: RequestValidationError) -> JSONResponse:
        p = principal_of(request)
        if request.method in MUTATING:
            audit.record(p.token_id if p else "anonymous", p.role if p else "-", f"{request.method} {request.url.path}",
                         request.url.path, "refused", reason="malformed request")
        return JSONResponse({"detail": "malformed request", "errors": json.loads(json.dumps(exc.errors(), default=str))},
                            422)

    @app.exception_handler(ConsoleError)
    async def refused(request: Request, exc: ConsoleError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "check": exc.check}, exc.status)

    def refuse(p: Principal, action: str, target: str, e: ConsoleError, before: Any) -> ConsoleError:
        audit.record(p.token_id, p.role, action, target, _outcome_of(e), before, before, reason=str(e))
        return e

    # -- reads ----------------------------------------------------------------------------------------
    @app.get("/api/whoami", tags=["session"])
    async def whoami(p: Principal = need("viewer")) -> dict[str, Any]:
        """The caller's token id, role and label."""
        return {"token_id": p.token_id, "role": p.role, "label": p.label}

    @app.get("/api/status", tags=["bots"])
    async def status(p: Principal = need("viewer")) -> Response:
        """The keeper: slot, active or standby, health problems, in-flight actions, journal counts."""
        return await reply("status", service.status)

    @app.get("/api/bots", tags=["bots"])
    async def bots(p: Principal = need("viewer")) -> Response:
        """Every bot and strategy: state (running, paused, standby), health figures, parameters."""
        return await reply("bots", service.bots)

    @app.get("/api/bots/{name}", tags=["bots"])
    async def bot(name: str, p: Principal = need("viewer")) -> dict[str, Any]:
        """One bot."""
        return await service.bot_view(name)

    @app.get("/api/portfolio", tags=["portfolio"])
    async def portfolio(p: Principal = need("viewer")) -> Response:
        """Positions, collateral, margin health and open orders of every margin account of the keeper wallet."""
        return await reply("portfolio", service.portfolio)

    @app.get("/api/orders", tags=["orders"])
    async def orders(p: Principal = need("viewer")) -> Response:
        """The keeper wallet's resting orders."""
        return await reply("orders", service.own_orders)

    @app.get("/api/risk", tags=["risk"])
    async def risk_view(move: float = Query(0.1, gt=0, le=0.99), p: Principal = need("viewer")) -> Response:
        """Exposure per market, users closest to liquidation, the liquidation queue, the insurance fund, VaR and
        expected shortfall (historical and parametric), OI concentration, and the fund after a move of -move and +move."""
        return await reply(f"risk:{move}", lambda: service.risk(move))

    @app.get("/api/risk/shock", tags=["risk"])
    async def shock(move: float = Query(..., gt=-0.99, le=10.0), p: Principal = need("viewer")) -> dict[str, Any]:
        """The insurance fund, liquidatable and bankrupt users after every mark moves by ``move`` (e.g. -0.2)."""
        return await service.shock(move)

    @app.get("/api/history", tags=["portfolio"])
    async def history(limit: int = Query(300, ge=1, le=900), p: Principal = need("viewer")) -> Response:
        """The sampled series: equity, PnL, inventory and marks."""
        return await reply(f"history:{limit}", lambda: list(service.history)[-limit:])

    @app.get("/api/alerts", tags=["risk"])
    async def alerts(p: Principal = need("viewer")) -> Response:
        """Health problems, strategy kill switches, a pulled console kill switch."""
        return await reply("alerts", service.alerts)

    @app.get("/api/audit", tags=["session"])
    async def audit_tail(limit: int = Query(100, ge=1, le=500), p: Principal = need("viewer")) -> list[dict[str, Any]]:
        """The last audit entries of this run, newest first (the file holds them all)."""
        return audit.tail(limit)

    @app.get("/api/stream", tags=["session"])
    async def stream(request: Request, max_events: int = Query(0, ge=0, le=1_000_000),
                     p: Principal = need("viewer")) -> StreamingResponse:
        """Server-sent events: the status, PnL point, alerts and the audit sequence every ``console.stream_interval_s``
        (``max_events`` > 0 ends the stream after that many)."""
        async def events() -> Any:
            sent = 0
            while not service.closing and (max_events == 0 or sent < max_events):
                try:
                    await service.fresh()
                except ConsoleError:
                    break  # the keeper is gone
                yield service.stream_event(audit.seq)
                sent += 1
                if await request.is_disconnected():
                    break
                await asyncio.sleep(config.stream_interval_s)
        return StreamingResponse(events(), media_type="text/event-stream", headers={"cache-control": "no-store"})

    # -- mutations ------------------------------------------------------------------------------------
    async def steer(p: Principal, action: str, name: str) -> dict[str, Any]:
        try:
            out = await (service.pause if action == "pause" else service.resume)(name)
        except ConsoleError as e:
            raise refuse(p, action, name, e, e.before) from None
        record(p.token_id, p.role, action, name, "applied", out["before"], out["after"])
        return {"name": name, "state": out["after"]}

    @app.post("/api/bots/{name}/pause", tags=["bots"])
    async def pause(name: str, p: Principal = need("operator", "pause")) -> dict[str, Any]:
        """Stop a bot's loop (the rest of the keeper runs on)."""
        return await steer(p, "pause", name)

    @app.post("/api/bots/{name}/resume", tags=["bots"])
    async def resume(name: str, p: Principal = need("operator", "resume")) -> dict[str, Any]:
        """Start a paused bot again."""
        return await steer(p, "resume", name)

    @app.patch("/api/bots/{name}/params", tags=["bots"])
    async def params(name: str, body: ParamsBody = Body(...), p: Principal = need("admin", "set_params")) -> dict[str, Any]:
        """Change parameters of ``[bots.<name>]``, checked by the config file's rules, applied from the next tick."""
        try:
            out = await service.set_params(name, body.changes)
        except ConsoleError as e:
            raise refuse(p, "set_params", name, e, e.before) from None
        record(p.token_id, p.role, "set_params", name, "applied", out["before"], out["after"])
        return {"name": name, "params": out["params"]}

    @app.post("/api/kill", tags=["bots"])
    async def kill(body: KillBody = Body(...), p: Principal = need("admin", "kill")) -> dict[str, Any]:
        """The kill switch: stop every strategy and cancel every order of the keeper wallet."""
        try:
            out = await service.kill()
        except ConsoleError as e:  # the keeper did not answer: what it did is unknown, the attempt is on record
            audit.record(p.token_id, p.role, "kill", "*", "failed", reason=str(e))
            raise
        record(p.token_id, p.role, "kill", "*", "applied", out["before"], out["after"], detail=out["result"])
        return out["result"]

    @app.post("/api/orders", tags=["orders"])
    async def place(body: OrderBody = Body(...), p: Principal = need("operator", "place_order")) -> dict[str, Any]:
        """A manual limit order from the keeper's account, behind the pre-trade checks (a refusal names the check)."""
        target = f"market {body.market}"
        try:
            out = await service.place_order(**body.model_dump())
        except ConsoleError as e:
            audit.record(p.token_id, p.role, "place_order", target, _outcome_of(e), e.before, e.before, reason=str(e),
                         detail=body.model_dump())
            raise
        result = out["result"]
        outcome = "applied" if result["status"] in ("landed", "dry_run") else "failed"
        record(p.token_id, p.role, "place_order", target, outcome, out["before"], None,
               detail=dict(body.model_dump(), result=result))
        return result

    @app.post("/api/orders/cancel", tags=["orders"])
    async def cancel(body: CancelBody = Body(...), p: Principal = need("operator", "cancel_order")) -> dict[str, Any]:
        """Cancel one order of the keeper's account (``order_id``) or all of them in ``market``."""
        target = f"market {body.market}"
        try:
            out = await service.cancel(body.market, body.order_id)
        except ConsoleError as e:
            raise refuse(p, "cancel_order", target, e, e.before) from None
        result = out["result"]
        outcome = "applied" if result["status"] in ("landed", "dry_run") else "failed"
        record(p.token_id, p.role, "cancel_order", target, outcome, out["before"], None,
               detail=dict(body.model_dump(), result=result))
        return result

    # -- the dashboard --------------------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(f"{static_dir()}/index.html", headers={"cache-control": "no-store"})

    app.mount("/static", StaticFiles(directory=static_dir()), name="static")
    if config.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(config.cors_origins), allow_methods=["GET", "POST", "PATCH"],
                           allow_headers=["authorization", "content-type"])
    app.add_middleware(Guard, tokens=tokens, limiter=RateLimiter(config.requests_per_second, config.burst),
                       max_body=config.max_body_bytes)
    return app


__all__ = ["CancelBody", "Guard", "KillBody", "OrderBody", "ParamsBody", "create_app", "static_dir"]
