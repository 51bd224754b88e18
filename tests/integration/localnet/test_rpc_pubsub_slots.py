"""rootSubscribe, slotsUpdatesSubscribe and voteSubscribe: the validator's notification shapes, one per new slot.

Shapes (Agave rpc-client-api ``SlotUpdate`` and ``RpcVote``): a slotsUpdates result is tagged by
``type`` in camelCase with ``slot`` and a millisecond ``timestamp`` (``createdBank`` adds ``parent``,
``frozen`` adds ``stats``); a root result is the rooted slot; a vote has ``votePubkey``, ``slots``,
``hash``, ``timestamp`` (seconds) and ``signature``.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import websockets
from solana.rpc.async_api import AsyncClient
from solana.rpc.websocket_api import connect as solana_ws_connect
from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.rpc.responses import RootNotification, SlotUpdateNotification, SubscriptionResult, VoteNotification
from solders.signature import Signature

from tests.integration.localnet.conftest import FINALIZED_DEPTH, LocalNode
from tests.integration.localnet.helpers import deposit_tx

TIMEOUT_S = 5.0


async def _subscribe(ws: Any, method: str, req_id: int) -> int:
    await ws.send(json.dumps({"jsonrpc": "2.0", "id": req_id, "method": method}))
    async with asyncio.timeout(TIMEOUT_S):
        for _ in range(100):
            msg = json.loads(await ws.recv())
            if msg.get("id") == req_id:
                return msg["result"]
    raise AssertionError(f"no reply to {method}")


async def _collect(ws: Any, method: str, count: int) -> list[Any]:
    """The results of the next ``count`` notifications called ``method`` (bounded in time and messages)."""
    out: list[Any] = []
    async with asyncio.timeout(TIMEOUT_S):
        for _ in range(50 * count):
            msg = json.loads(await ws.recv())
            if msg.get("method") == method:
                out.append(msg["params"]["result"])
                if len(out) == count:
                    return out
    raise AssertionError(f"only {len(out)} of {count} {method}")


async def test_root_notifications_are_consecutive_rooted_slots(local_node: LocalNode) -> None:
    async with websockets.connect(local_node.ws_url, open_timeout=5) as ws:
        sub = await _subscribe(ws, "rootSubscribe", 1)
        roots = await _collect(ws, "rootNotification", 4)
        assert all(isinstance(r, int) for r in roots) and roots == list(range(roots[0], roots[0] + 4))
        processed = local_node.rpc("getSlot", [{"commitment": "processed"}])["result"]
        assert local_node.rpc("getSlot", [{"commitment": "finalized"}])["result"] >= roots[-1]
        assert processed - roots[-1] >= FINALIZED_DEPTH  # a root is at least the finalized depth behind the tip
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "rootUnsubscribe", "params": [sub]}))
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": 3, "method": "slotUnsubscribe", "params": [sub]}))
        replies: dict[int, Any] = {}
        async with asyncio.timeout(TIMEOUT_S):
            while len(replies) < 2:
                msg = json.loads(await ws.recv())
                if "id" in msg:
                    replies[msg["id"]] = msg
        assert replies[2]["result"] is True
        assert replies[3]["error"]["code"] == -32602  # no longer a subscription, and never a slot one


async def test_slots_updates_follow_each_slot_and_count_its_transactions(local_node: LocalNode) -> None:
    client = AsyncClient(local_node.rpc_url, timeout=10)
    try:
        async with websockets.connect(local_node.ws_url, open_timeout=5) as ws:
            await _subscribe(ws, "slotsUpdatesSubscribe", 1)
            tx = await deposit_tx(client, local_node.deployment, 0, 11)
            await client.send_transaction(tx)
            landed_at = (await client.get_signature_statuses([tx.signatures[0]])).value[0].slot
            updates = await _collect(ws, "slotsUpdatesNotification", 60)
    finally:
        await client.close()
    now_ms = time.time() * 1000
    assert {u["type"] for u in updates} >= {"completed", "frozen", "createdBank", "optimisticConfirmation", "root"}
    for u in updates:
        assert abs(u["timestamp"] - now_ms) < 60_000 and isinstance(u["slot"], int)
    created = [u for u in updates if u["type"] == "createdBank"]
    assert all(u["parent"] == u["slot"] - 1 for u in created)
    frozen = {u["slot"]: u["stats"] for u in updates if u["type"] == "frozen"}
    assert frozen[landed_at]["numSuccessfulTransactions"] >= 1 and frozen[landed_at]["numFailedTransactions"] == 0
    assert set(frozen[landed_at]) == {"numTransactionEntries", "numSuccessfulTransactions", "numFailedTransactions",
                                      "maxTransactionsPerEntry"}
    roots = [u["slot"] for u in updates if u["type"] == "root"]
    assert roots == sorted(roots) and len(set(roots)) == len(roots)


async def test_votes_are_the_node_vote_account_voting_on_each_slot(local_node: LocalNode) -> None:
    identity = Pubkey.from_string(local_node.rpc("getIdentity")["result"]["identity"])
    vote_account = Pubkey.create_with_seed(identity, "vote", Pubkey.from_string("Vote111111111111111111111111111111111111111"))
    async with websockets.connect(local_node.ws_url, open_timeout=5) as ws:
        await _subscribe(ws, "voteSubscribe", 1)
        votes = await _collect(ws, "voteNotification", 3)
    for vote in votes:
        assert set(vote) == {"votePubkey", "slots", "hash", "timestamp", "signature"}
        assert vote["votePubkey"] == str(vote_account)
        assert len(vote["slots"]) == 1 and abs(vote["timestamp"] - time.time()) < 60
        Hash.from_string(vote["hash"])
        Signature.from_string(vote["signature"])
    assert [v["slots"][0] for v in votes] == list(range(votes[0]["slots"][0], votes[0]["slots"][0] + 3))


async def test_solana_py_parses_root_slots_updates_and_votes(local_node: LocalNode) -> None:
    """solana-py's websocket client (solders' parser, which follows Agave's types) reads all three."""
    async with solana_ws_connect(local_node.ws_url) as ws:
        await ws.root_subscribe()
        await ws.slots_updates_subscribe()
        await ws.vote_subscribe()
        seen: set[type] = set()
        async with asyncio.timeout(TIMEOUT_S):
            for _ in range(200):
                for msg in await ws.recv():
                    seen.add(type(msg))
                if {RootNotification, SlotUpdateNotification, VoteNotification} <= seen:
                    break
    assert {SubscriptionResult, RootNotification, SlotUpdateNotification, VoteNotification} <= seen
