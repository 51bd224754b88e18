"""The operator console of a keeper running against the LiteSVM RPC node (real HTTP and websockets) while the
trading scenario trades: what the API reports matches the chain, and what it changes happens on the chain and
in the keeper without a restart: the maker's parameters, pause and resume, a manual order through the pipeline
and its cancel, the kill switch; the stream delivers updates; the audit log holds every change."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from keepers.console.audit import read_audit
from keepers.exchange.pdas import insurance_vault_pda, user_pda
from keepers.exchange.spl_token import token_amount
from programs_client.perp.accounts import Market, Orderbook
from programs_client.perp.constants import PRICE_PRECISION
from tests.integration.console.support import ApiClient, api_client, write_tokens
from tests.integration.keepers.harness import SETTINGS, KeeperWorld, RunningKeeper, wait_until

pytestmark = pytest.mark.slow

MAKER = {"markets": [0], "levels": 3, "base_size": 0.2, "max_order_base": 1.0, "max_inventory_base": 2.0,
         "max_inventory_quote": 1_000_000.0, "lost_connection_s": 20.0, "min_sol": 0.001, "expiry_slots": 200,
         "max_oracle_age_slots": 40, "max_return_bps": 2000.0, "max_sigma_bps": 1000.0, "requote_every_s": 2.0}
BOTS = ("market_maker", "mark_price", "settler", "liquidator", "insurance")


def chain_orders(world: KeeperWorld) -> list[Any]:
    """The keeper's resting orders in market 0, read from the ledger on the node's thread."""
    dep = world.node.deployment
    me = user_pda(dep.wallets["keeper"].pubkey(), 0, dep.program_id)

    def read() -> list[Any]:
        ledger = world.node.node.chain
        m = Market.decode(bytes(ledger.get_account(dep.markets[0].address).data))
        book = Orderbook.decode(bytes(ledger.get_account(m.orderbook).data))
        return [o for o in book.bids[:book.bid_count] + book.asks[:book.ask_count] if o.owner == me]

    return world.on_node(read)


def best_ask(world: KeeperWorld) -> float | None:
    """The lowest ask resting in market 0 (quote per base)."""
    def read() -> float | None:
        ledger = world.node.node.chain
        m = Market.decode(bytes(ledger.get_account(world.node.deployment.markets[0].address).data))
        book = Orderbook.decode(bytes(ledger.get_account(m.orderbook).data))
        return min((o.price for o in book.asks[:book.ask_count]), default=None)

    price = world.on_node(read)
    return None if price is None else price / PRICE_PRECISION


def start_console_keeper(world: KeeperWorld, tmp: Path) -> tuple[RunningKeeper, dict[str, str]]:
    """A keeper running ``BOTS`` on the node with its console on a free port."""
    tokens = write_tokens(tmp / "tokens.json")
    config = world.config(bots={"market_maker": MAKER, "insurance": {"interval_s": 0.5}},
                          console={"enabled": True, "port": 0, "token_file": str(tmp / "tokens.json"),
                                   "audit_log_path": str(tmp / "audit.jsonl"), "stream_interval_s": 0.25,
                                   "requests_per_second": 100.0, "burst": 200,
                                   # the liquidator takes positions over into this account
                                   "max_position_base": 100_000.0, "price_band_bps": 2500.0})
    return RunningKeeper(world, config, bots=BOTS), tokens


async def maker_quotes(world: KeeperWorld, running: RunningKeeper, timeout_s: float = 60) -> None:
    """Wait until the maker's quotes rest on chain."""
    await wait_until(lambda: running.landed("mm_requote") >= 1, timeout_s, poll_s=0.25)
    await wait_until(lambda: bool(chain_orders(world)), timeout_s, poll_s=0.25)


async def read_stream(api: ApiClient, events: int) -> list[dict[str, Any]]:
    """``events`` updates of the console's server-sent events."""
    out = []
    async with api.session.get(f"{api.url}/api/stream?max_events={events}",
                               headers={"Authorization": f"Bearer {api.tokens['viewer']}"}) as r:
        assert r.status == 200 and r.headers["content-type"].startswith("text/event-stream")
        async for line in r.content:
            if line.startswith(b"data: "):
                out.append(json.loads(line[6:]))
    return out


async def test_the_console_reports_the_chain_and_steers_the_keeper(perp_program: bytes, mock_oracle_program: bytes,
                                                                   tmp_path: Path) -> None:
    world = KeeperWorld.start(perp_program, mock_oracle_program, tmp_path, SETTINGS)
    running = None
    try:
        running, tokens = start_console_keeper(world, tmp_path)
        await running.start()
        keeper = running.keeper
        world.begin_trading()
        await maker_quotes(world, running)
        async with api_client(keeper.console.url, tokens) as api:
            bots = {b["name"]: b for b in await api.ok("GET", "/api/bots", "viewer")}
            assert set(bots) == set(BOTS) and {b["state"] for b in bots.values()} == {"running"}
            assert bots["market_maker"]["kind"] == "strategy" and bots["market_maker"]["params"]["levels"] == 3

            # Portfolio: the keeper's account and its resting quotes, as the chain holds them.
            portfolio = await api.ok("GET", "/api/portfolio", "viewer")
            own = user_pda(world.node.deployment.wallets["keeper"].pubkey(), 0, world.node.deployment.program_id)
            assert [a["address"] for a in portfolio["accounts"]] == [str(own)]
            chain_ids = {o.order_id for o in chain_orders(world)}
            api_ids = {int(o["order_id"]) for o in portfolio["accounts"][0]["orders"] if o["market"] == 0}
            assert api_ids and len(api_ids & chain_ids) >= len(api_ids) - 6  # a requote may land in between

            # Risk: the fund is the vault's balance; shocks are monotone; every market has its exposure row.
            risk = await api.ok("GET", "/api/risk?move=0.2", "viewer")
            vault = world.on_node(lambda: token_amount(bytes(world.node.node.chain.get_account(
                insurance_vault_pda(world.node.deployment.program_id)).data)))
            assert risk["insurance_fund"] == pytest.approx(vault / 1e6, rel=0.5)
            assert [e["market"] for e in risk["exposure"]] == [m.index for m in world.node.deployment.markets]
            down, up = risk["shocks"]
            assert down["move"] == -0.2 and up["move"] == 0.2 and down["fund_before"] == risk["insurance_fund"]
            assert down["fund_after"] <= down["fund_before"] and risk["closest"]
            deep = await api.ok("GET", "/api/risk/shock?move=-0.6", "viewer")
            assert deep["liquidatable"] >= down["liquidatable"] and deep["bad_debt"] >= down["bad_debt"]
            assert {c["market"] for c in risk["concentration"]} == {m.index for m in world.node.deployment.markets}

            # A parameter applied without a restart: two levels a side from the next requote on.
            await api.ok("PATCH", "/api/bots/market_maker/params", json={"changes": {"levels": 2}})
            assert keeper.bots["market_maker"].params.levels == 2

            def two_a_side() -> bool:
                orders = chain_orders(world)
                return bool(orders) and len(orders) <= 4
            await wait_until(two_a_side, 30, poll_s=0.25)

            # Pause: the maker stops requoting; the rest of the keeper runs on.
            assert (await api.ok("POST", "/api/bots/market_maker/pause", "operator", json={}))["state"] == "paused"
            requotes = running.landed("mm_requote")
            cranks = running.keeper.bots["mark_price"].ticks
            await asyncio.sleep(3)
            assert running.landed("mm_requote") <= requotes + 1  # one may have been in flight
            assert running.keeper.bots["mark_price"].ticks > cranks
            assert (await api.ok("GET", "/api/bots/market_maker", "viewer"))["state"] == "paused"

            # A manual order through the pipeline, then its cancel by id.
            await api.ok("POST", "/api/orders/cancel", "operator", json={"market": 0})  # the paused maker's quotes
            await wait_until(lambda: not chain_orders(world), 20, poll_s=0.25)
            for _ in range(5):  # the scenario's makers requote as the oracle moves: an ask may come down to ours
                mark = world.markets()[0].mark_price / PRICE_PRECISION
                price = round(min(mark, best_ask(world) or mark) * 0.97, 2)  # resting below every ask
                result = await api.ok("POST", "/api/orders", "operator",
                                      json={"market": 0, "side": "bid", "price": price, "size": 0.1, "post_only": True})
                if "PostOnlyWouldCross" not in (result.get("error") or ""):
                    break
            assert result["status"] == "landed", result
            placed = chain_orders(world)
            assert [(o.price, o.base_amount) for o in placed] == [(round(price * PRICE_PRECISION), 100_000_000)]
            result = await api.ok("POST", "/api/orders/cancel", "operator",
                                  json={"market": 0, "order_id": str(placed[0].order_id)})
            assert result["status"] == "landed" and chain_orders(world) == []

            # The kill switch: the maker quoting again, then every order cancelled and every strategy stopped.
            assert (await api.ok("POST", "/api/bots/market_maker/resume", "operator", json={}))["state"] == "running"
            await maker_quotes(world, running, 30)
            status, body, _ = await api.call("POST", "/api/kill", "admin", json={"confirm": False})
            assert status == 422 and chain_orders(world)  # the confirmation is required
            killed = await api.ok("POST", "/api/kill", "admin", json={"confirm": True})
            assert killed["stopped"] == ["market_maker"] and killed["cancels"]
            assert all(c["status"] == "landed" for c in killed["cancels"]), killed
            await wait_until(lambda: not chain_orders(world), 20, poll_s=0.25)
            await asyncio.sleep(1)
            assert chain_orders(world) == []
            bots = {b["name"]: b["state"] for b in await api.ok("GET", "/api/bots", "viewer")}
            assert bots["market_maker"] == "paused" and bots["liquidator"] == "running"
            assert any(a["name"] == "kill switch" for a in await api.ok("GET", "/api/alerts", "viewer"))

            # The stream: status and PnL points, the kill in the alerts.
            events = await read_stream(api, 3)
            assert len(events) == 3 and all(e["active"] for e in events)
            assert {b["name"] for b in events[-1]["bots"]} == set(BOTS) and events[-1]["point"]["equity"] > 0
            history = await api.ok("GET", "/api/history", "viewer")
            assert len(history) >= 5 and all("0" in p["marks"] for p in history)

        # a manual order that met a crossing ask (retried above) is audited as failed: it changed nothing
        actions = [(e["action"], e["outcome"]) for e in read_audit(tmp_path / "audit.jsonl")
                   if (e["action"], e["outcome"]) != ("place_order", "failed")]
        assert actions == [("set_params", "applied"), ("pause", "applied"), ("cancel_order", "applied"),
                           ("place_order", "applied"), ("cancel_order", "applied"), ("resume", "applied"),
                           ("POST /api/kill", "refused"), ("kill", "applied")]
    finally:
        if running is not None:
            await running.stop()
        world.stop()
