"""A keeper on the in-process chain (the real program in LiteSVM) serving its console on 127.0.0.1, and an
HTTP client for it; shared by the console's tests."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from keepers.chain.inprocess import InProcessChain
from keepers.console.auth import add_token
from keepers.runtime import Keeper
from localnet.build import build_program
from sim.scenario import LedgerWorld, ScenarioSettings, build_ledger_world
from tests.unit.keepers.support import in_process_config

SETTINGS = ScenarioSettings(users=4, seconds_per_slot=1)
BOTS = ["mark_price", "liquidator", "market_maker"]


@dataclasses.dataclass
class ApiClient:
    """HTTP calls to a console at ``url`` with one token per role."""

    url: str
    tokens: dict[str, str]
    session: aiohttp.ClientSession

    async def call(self, method: str, path: str, role: str | None = "admin", token: str | None = None,
                   **kwargs: Any) -> tuple[int, Any, Any]:
        """(status, JSON body or text, headers) of one request with ``role``'s token (or ``token``)."""
        headers = dict(kwargs.pop("headers", {}))
        if token is None and role is not None:
            token = self.tokens[role]
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        async with self.session.request(method, self.url + path, headers=headers, **kwargs) as r:
            text = await r.text()
            try:
                body = await r.json(content_type=None)
            except ValueError:
                body = text
            return r.status, body, r.headers

    async def ok(self, method: str, path: str, role: str = "admin", **kwargs: Any) -> Any:
        """The JSON body of a call that must answer 200."""
        status, body, _ = await self.call(method, path, role, **kwargs)
        assert status == 200, (method, path, status, body)
        return body


@contextlib.asynccontextmanager
async def api_client(url: str, tokens: dict[str, str]) -> AsyncIterator[ApiClient]:
    """An ``ApiClient`` with a session that gives up on a call after 60 s."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        yield ApiClient(url, tokens, session)


@dataclasses.dataclass
class Console(ApiClient):
    """A running keeper with its console, the world it runs on, and one token per role."""

    keeper: Keeper = None  # type: ignore[assignment]
    world: LedgerWorld = None  # type: ignore[assignment]
    audit_path: Path = Path()


def world(perp_program: bytes) -> LedgerWorld:
    """The scenario's exchange on a fresh ledger (the keeper wallet has a funded margin account)."""
    return build_ledger_world(SETTINGS, perp_program, Path(build_program("mock_oracle")).read_bytes())


def write_tokens(path: Path) -> dict[str, str]:
    """One token per role in a new token file."""
    return {role: add_token(path, role, f"{role}-test")[1] for role in ("viewer", "operator", "admin")}


@contextlib.asynccontextmanager
async def running_console(w: LedgerWorld, tmp: Path, **console: Any) -> AsyncIterator[Console]:
    """A keeper running ``BOTS`` on ``w`` with its console on a free port (``console`` updates ``[console]``)."""
    tokens = write_tokens(tmp / "tokens.json")
    config = in_process_config(tmp, console={"enabled": True, "port": 0, "token_file": str(tmp / "tokens.json"),
                                             "audit_log_path": "audit.jsonl", **console},
                               keeper={"bots": BOTS}, bots={"market_maker": {"markets": [0]}})
    chain = InProcessChain(w.ledger)
    keeper = Keeper(config, chain, w.dep.wallets["keeper"])
    await keeper.start()
    try:
        async with api_client(keeper.console.url, tokens) as client:
            yield Console(client.url, tokens, client.session, keeper, w, tmp / "audit.jsonl")
    finally:
        await keeper.stop()
        await chain.close()
