"""Fault injection on the running node, set through the admin method (and at start)."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request

import httpx
import pytest
import websockets
from solana.exceptions import SolanaRpcException
from solana.rpc.async_api import AsyncClient
from websockets.exceptions import ConnectionClosed

from localnet.rpc import FaultConfig
from localnet.rpc.encoding import b64encode
from tests.integration.localnet.conftest import LocalNode, start_node, stop_node
from tests.integration.localnet.helpers import deposit_tx


def set_faults(node: LocalNode, **settings: object) -> dict:
    reply = node.rpc("perpkeep_setFaults", [settings])
    assert "result" in reply, reply
    return reply["result"]


@pytest.fixture(autouse=True)
def clear_faults(local_node: LocalNode):
    yield
    set_faults(local_node)
    local_node.rpc("perpkeep_stallSlots", [0])


def _status(node: LocalNode, method: str = "getSlot") -> tuple[int, dict[str, str]]:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method}).encode()
    req = urllib.request.Request(node.rpc_url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, dict(resp.headers)
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers)


async def test_429_with_retry_after_reaches_solana_py(local_node: LocalNode) -> None:
    set_faults(local_node, http_429_rate=1.0, retry_after_s=2, methods=["getBalance"])
    status, headers = _status(local_node, "getBalance")
    assert status == 429 and headers["Retry-After"] == "2"
    assert _status(local_node, "getSlot")[0] == 200  # not in the method list
    client = AsyncClient(local_node.rpc_url)
    try:
        with pytest.raises(SolanaRpcException) as info:
            await client.get_balance(local_node.deployment.exchange)
        cause = info.value.__cause__
        assert isinstance(cause, httpx.HTTPStatusError) and cause.response.status_code == 429
        assert cause.response.headers["Retry-After"] == "2"
    finally:
        await client.close()
    stats = local_node.rpc("perpkeep_getFaults")["result"]["stats"]
    assert stats["http_429"] == 2


def test_5xx_and_seeded_replay(local_node: LocalNode) -> None:
    set_faults(local_node, seed=42, http_5xx_rate=0.5)
    first = [_status(local_node)[0] for _ in range(30)]
    set_faults(local_node, seed=42, http_5xx_rate=0.5)
    assert [_status(local_node)[0] for _ in range(30)] == first
    assert {s for s in first} - {200} <= {500, 502, 503, 504} and first.count(200) not in (0, 30)
    assert local_node.rpc("perpkeep_getFaults")["result"]["config"]["seed"] == 42  # admin never faulted


def test_added_latency(local_node: LocalNode) -> None:
    set_faults(local_node, latency_ms=150)
    started = time.monotonic()
    assert _status(local_node)[0] == 200
    assert time.monotonic() - started >= 0.15


async def test_websocket_connections_dropped(local_node: LocalNode) -> None:
    async with websockets.connect(local_node.ws_url) as ws:
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "slotSubscribe"}))
        json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert local_node.rpc("perpkeep_dropWebsockets")["result"] >= 1
        with pytest.raises(ConnectionClosed):
            async with asyncio.timeout(5):
                for _ in range(1000):
                    await ws.recv()
    set_faults(local_node, seed=1, ws_drop_rate=1.0)
    async with websockets.connect(local_node.ws_url) as ws:
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "slotSubscribe"}))
        with pytest.raises(ConnectionClosed):
            async with asyncio.timeout(5):
                await ws.recv()
    assert local_node.rpc("perpkeep_getFaults")["result"]["stats"]["ws_dropped"] >= 1


async def test_slot_stall_and_health(local_node: LocalNode) -> None:
    local_node.rpc("perpkeep_stallSlots", [600])
    first = local_node.rpc("getSlot", [{"commitment": "processed"}])["result"]
    health = local_node.rpc("getHealth")["error"]
    assert health["code"] == -32005 and health["message"].startswith("Node is behind by")
    await asyncio.sleep(0.3)
    assert local_node.rpc("getSlot", [{"commitment": "processed"}])["result"] == first
    await asyncio.sleep(0.5)
    assert local_node.rpc("getSlot", [{"commitment": "processed"}])["result"] > first
    assert local_node.rpc("getHealth")["result"] == "ok"


async def test_blockhash_expires_early(local_node: LocalNode) -> None:
    client = AsyncClient(local_node.rpc_url)
    try:
        tx = await deposit_tx(client, local_node.deployment, 0, 1)
        set_faults(local_node, blockhash_ttl_slots=2)
        await asyncio.sleep(0.3)  # 6 slots of 50 ms
        assert local_node.rpc("isBlockhashValid", [str(tx.message.recent_blockhash)])["result"]["value"] is False
        err = local_node.rpc("sendTransaction", [b64encode(bytes(tx)), {"encoding": "base64"}])["error"]
        assert err["code"] == -32002 and err["data"]["err"] == "BlockhashNotFound"
        set_faults(local_node)
        assert local_node.rpc("isBlockhashValid", [str(tx.message.recent_blockhash)])["result"]["value"] is True
    finally:
        await client.close()


def test_oracle_hook_is_exposed(local_node: LocalNode) -> None:
    set_faults(local_node, withheld_oracles=[str(local_node.deployment.markets[0].oracle)])
    faults = local_node.node.faults
    assert faults.withhold_oracle_update(str(local_node.deployment.markets[0].oracle))
    assert not faults.withhold_oracle_update(str(local_node.deployment.markets[1].oracle))


def test_faults_configured_at_start(perp_program: bytes) -> None:
    n = start_node(perp_program, faults=FaultConfig(seed=5, http_5xx_rate=1.0, methods=("getSlot",)))
    try:
        assert _status(n, "getSlot")[0] >= 500
        assert _status(n, "getVersion")[0] == 200
    finally:
        stop_node(n)


async def test_a_timed_out_request_is_held_unanswered_then_answered_504(local_node: LocalNode) -> None:
    set_faults(local_node, http_timeout_rate=1.0, http_timeout_ms=1500, methods=["getSlot"])
    assert _status(local_node, "getBalance")[0] == 200  # not in the method list: answered at once
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "getSlot"}).encode()
    req = urllib.request.Request(local_node.rpc_url, body, {"Content-Type": "application/json"})
    started = time.monotonic()
    with pytest.raises(TimeoutError):  # a client with less patience than the hold gets nothing at all
        await asyncio.to_thread(urllib.request.urlopen, req, timeout=0.5)
    assert time.monotonic() - started < 1.4
    started = time.monotonic()
    status, _ = await asyncio.to_thread(_status, local_node, "getSlot")  # a patient one gets the 504 after the hold
    assert status == 504 and 1.4 <= time.monotonic() - started < 4.0
    stats = local_node.rpc("perpkeep_getFaults", [])["result"]["stats"]
    assert stats["http_timeouts"] == 2
