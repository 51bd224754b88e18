"""The console's security against a keeper on the in-process chain (real program, real HTTP on 127.0.0.1):
no default credentials, bad tokens and weaker roles refused, oversized and malformed bodies refused before
anything runs, floods answered 429 per token, CORS closed, and every refused mutation in the audit log with
nothing changed."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import socket
import stat
from pathlib import Path

import pytest

from keepers.config import ConfigError
from keepers.console.audit import read_audit
from keepers.chain.inprocess import InProcessChain
from keepers.runtime import Keeper
from tests.integration.console.support import BOTS, Console, running_console, world, write_tokens
from tests.unit.keepers.support import in_process_config


def _entries(c: Console) -> list[dict]:
    return read_audit(c.audit_path)


async def _mm_state(c: Console) -> str:
    status, body, _ = await c.call("GET", "/api/bots/market_maker")
    assert status == 200
    return body["state"]


async def test_no_token_or_a_bad_one_is_refused_and_a_viewer_cannot_steer(perp_program: bytes, tmp_path: Path) -> None:
    async with running_console(world(perp_program), tmp_path) as c:
        for token in (None, "", "pk_" + "x" * 43, c.tokens["admin"] + "x", "Basic " + c.tokens["admin"]):
            status, _, headers = await c.call("GET", "/api/bots", role=None, token=token)
            assert status == 401, token
            assert headers.get("www-authenticate") == "Bearer"
        status, body, _ = await c.call("GET", "/api/bots", "viewer")
        assert status == 200 and {b["name"] for b in body} == set(BOTS)
        assert await _mm_state(c) == "running"
        for role, method, path, payload in (
                ("viewer", "POST", "/api/bots/market_maker/pause", {}),
                ("viewer", "POST", "/api/orders", {"market": 0, "side": "bid", "price": 150.0, "size": 0.1}),
                ("operator", "POST", "/api/kill", {"confirm": True}),
                ("operator", "PATCH", "/api/bots/market_maker/params", {"changes": {"levels": 1}})):
            status, body, _ = await c.call(method, path, role, json=payload)
            assert status == 403, (role, path, body)
            assert f"role {role} may not" in body["detail"]
        status, _, _ = await c.call("POST", "/api/bots/market_maker/pause", None, json={})
        assert status == 401
        # Nothing changed: the maker runs with its parameters, no order was sent by the console.
        assert await _mm_state(c) == "running" and c.keeper.bots["market_maker"].config.levels == 3
        assert not any(k[0].startswith("console") for k in c.keeper.pipeline.outcomes)
        refused = [e for e in _entries(c) if e["outcome"] == "refused"]
        assert [(e["role"], e["action"]) for e in refused] == [
            ("viewer", "pause"), ("viewer", "place_order"), ("operator", "kill"), ("operator", "set_params"),
            ("-", "pause")]
        assert refused[-1]["who"] == "anonymous" and all(e["reason"] for e in refused)
        assert not [e for e in _entries(c) if e["outcome"] != "refused"]


async def test_oversized_and_malformed_bodies_are_refused_before_anything_runs(perp_program: bytes,
                                                                              tmp_path: Path) -> None:
    async with running_console(world(perp_program), tmp_path, max_body_bytes=1024) as c:
        big = {"changes": {"levels": 2, "pad": "x" * 2000}}
        status, body, _ = await c.call("PATCH", "/api/bots/market_maker/params", json=big)
        assert status == 413 and "1024" in body["detail"]

        async def chunks():  # no Content-Length: the size is counted while reading
            for _ in range(4):
                yield b"x" * 400
        status, _, _ = await c.call("PATCH", "/api/bots/market_maker/params", data=chunks(),
                                    headers={"Content-Type": "application/json"})
        assert status == 413
        for raw in (b"{not json", b'{"changes": []}', b'{"changes": {"levels": 2}, "extra": 1}', b"[]"):
            status, body, _ = await c.call("PATCH", "/api/bots/market_maker/params", data=raw,
                                           headers={"Content-Type": "application/json"})
            assert status == 422 and body["detail"] == "malformed request", raw
        for order in ({"market": 0, "side": "buy", "price": 150, "size": 1}, {"market": 0, "side": "bid", "price": -1,
                      "size": 1}, {"market": 0, "side": "bid", "price": 150}, {"market": 70000, "side": "bid",
                      "price": 150, "size": 1}):
            status, _, _ = await c.call("POST", "/api/orders", json=order)
            assert status == 422, order
        # A value the config file would refuse: refused by the same rule, named by its key.
        status, body, _ = await c.call("PATCH", "/api/bots/market_maker/params", json={"changes": {"levels": 99}})
        assert status == 422 and body["detail"].startswith("bots.market_maker.levels: must be a whole number")
        status, body, _ = await c.call("PATCH", "/api/bots/market_maker/params",
                                       json={"changes": {"base_size": 9.0}})  # above max_order_base 5
        assert status == 422 and "max_order_base" in body["detail"]
        status, body, _ = await c.call("PATCH", "/api/bots/market_maker/params", json={"changes": {"levelz": 2}})
        assert status == 422 and "did you mean 'levels'" in body["detail"]
        bot = c.keeper.bots["market_maker"]
        assert (bot.config.levels, bot.config.base_size, bot.params.levels) == (3, 1.0, 3)
        entries = _entries(c)
        assert len(entries) == 4 + 4 + 3  # oversized bodies never reached a route; the rest are refused
        assert all(e["outcome"] == "refused" for e in entries)
        # The limit applies to the sender of a valid change too: an accepted change goes through.
        status, body, _ = await c.call("PATCH", "/api/bots/market_maker/params", json={"changes": {"levels": 2}})
        assert status == 200 and bot.config.levels == 2 and bot.params.levels == 2
        assert _entries(c)[-1]["before"] == {"levels": 3} and _entries(c)[-1]["after"] == {"levels": 2}


async def test_a_flood_is_answered_429_per_token_and_cors_stays_closed(perp_program: bytes, tmp_path: Path) -> None:
    async with running_console(world(perp_program), tmp_path, requests_per_second=2.0, burst=10) as c:
        statuses = await asyncio.gather(*(c.call("GET", "/api/whoami", "viewer") for _ in range(40)))
        codes = [s for s, _, _ in statuses]
        assert codes.count(200) <= 12 and codes.count(429) >= 28, codes
        limited = next(h for s, _, h in statuses if s == 429)
        assert int(limited["retry-after"]) >= 1
        status, _, _ = await c.call("GET", "/api/whoami", "operator")  # another token has its own budget
        assert status == 200
        bad = await asyncio.gather(*(c.call("GET", "/api/whoami", None, token="nope") for _ in range(20)))
        assert {s for s, _, _ in bad} == {401, 429}  # guessing tokens is rate limited per address too
        status, _, headers = await c.call("OPTIONS", "/api/bots", "operator", headers={
            "Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in {k.lower() for k in headers}
        status, _, headers = await c.call("GET", "/api/whoami", "admin", headers={"Origin": "http://evil.example"})
        assert status == 200 and "access-control-allow-origin" not in {k.lower() for k in headers}
        assert headers["x-frame-options"] == "DENY" and "default-src 'self'" in headers["content-security-policy"]
        status, schema, _ = await c.call("GET", "/api/openapi.json", "admin")  # the address is out of budget
        assert status == 200 and schema["openapi"].startswith("3.")
        assert {"/api/bots/{name}/pause", "/api/bots/{name}/params", "/api/kill", "/api/orders", "/api/risk",
                "/api/portfolio", "/api/stream"} <= set(schema["paths"])


async def test_without_tokens_the_console_does_not_start_and_tokens_are_stored_hashed(perp_program: bytes,
                                                                                     tmp_path: Path) -> None:
    w = world(perp_program)
    for token_file in (None, tmp_path / "missing.json", tmp_path / "empty.json"):
        (tmp_path / "empty.json").write_text("[]")
        console = {"enabled": True, "port": 0}
        if token_file is not None:
            console["token_file"] = str(token_file)
        config = in_process_config(tmp_path, console=console)
        chain = InProcessChain(w.ledger)
        keeper = Keeper(config, chain, w.dep.wallets["keeper"], bots=("mark_price",))
        with pytest.raises(ConfigError, match="console.token_file"):
            await keeper.start()
        await keeper.stop()
        await chain.close()
    with socket.socket() as taken:  # a port in use (e.g. by the other process of a pair) stops the keeper
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        write_tokens(tmp_path / "ok.json")
        config = in_process_config(tmp_path, console={"enabled": True, "port": taken.getsockname()[1],
                                                      "token_file": str(tmp_path / "ok.json")})
        chain = InProcessChain(w.ledger)
        keeper = Keeper(config, chain, w.dep.wallets["keeper"], bots=("mark_price",))
        with pytest.raises(ConfigError, match="console.port: cannot listen on 127.0.0.1"):
            await keeper.start()
        await keeper.stop()
        await chain.close()
    assert in_process_config(tmp_path).console.host == "127.0.0.1"
    assert not in_process_config(tmp_path).console.enabled and in_process_config(tmp_path).console.cors_origins == ()
    tokens = write_tokens(tmp_path / "t.json")
    stored = (tmp_path / "t.json").read_text()
    assert stat.S_IMODE(os.stat(tmp_path / "t.json").st_mode) == 0o600
    assert not any(t in stored or t[3:] in stored for t in tokens.values())
    assert [e["role"] for e in json.loads(stored)] == ["viewer", "operator", "admin"]


async def test_a_refused_order_names_its_check_and_changes_nothing(perp_program: bytes, tmp_path: Path) -> None:
    async with running_console(world(perp_program), tmp_path, max_position_base=2.0,
                               max_order_notional_quote=1000.0) as c:
        status, _, _ = await c.call("POST", "/api/bots/market_maker/pause", "operator", json={})
        assert status == 200
        status, portfolio, _ = await c.call("GET", "/api/portfolio")
        account = portfolio["accounts"][0]
        mark = 150.0  # the scenario's SOL-PERP starts at 150
        cases = {  # SOL-PERP: tick 0.01, lot 0.001; the keeper's account holds 500,000 of collateral
            "order_grid": {"price": mark + 0.005, "size": 0.5},
            "price_band": {"price": mark * 1.2, "size": 0.5},  # 2000 bps from the mark, band 500
            "max_notional": {"price": mark, "size": 7.0},  # 1,050 > 1,000
            "position_limit": {"price": mark, "size": 2.5},  # 2.5 > 2
            # 40,000 at 150 is 6M of notional: 10% initial margin is 600,000 > 500,000 of equity
            "margin_after_fill": {"price": mark, "size": 40_000.0},
        }
        for check, order in cases.items():
            if check == "margin_after_fill":  # the limits above out of the way (the service reads them live)
                k = c.keeper
                k.config = dataclasses.replace(k.config, console=dataclasses.replace(
                    k.config.console, max_position_base=1e6, max_order_notional_quote=1e9))
            status, body, _ = await c.call("POST", "/api/orders", "operator", json={"market": 0, "side": "bid", **order})
            assert status == 422 and body["check"] == check and body["detail"].startswith(check), (check, body)
        status, after, _ = await c.call("GET", "/api/portfolio")
        assert after["accounts"][0]["orders"] == account["orders"] and after["accounts"][0]["positions"] == account["positions"]
        assert not any(k[0].startswith("console") for k in c.keeper.pipeline.outcomes)
        refused = [e for e in _entries(c) if e["action"] == "place_order"]
        assert [e["reason"].split(":")[0] for e in refused] == list(cases) and {e["outcome"] for e in refused} == {"refused"}
        assert all(e["before"] == e["after"] for e in refused)
