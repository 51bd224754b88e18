"""blockSubscribe and getBlock's ``transactionDetails: "accounts"``, against the node on 127.0.0.1.

Shapes (Agave ``RpcBlockUpdate`` and ``build_json_accounts``): a notification's value is
``{slot, block, err}`` with the block as getBlock renders it; the defaults are finalized, base64,
full details and no rewards; ``mentionsAccountOrProgram`` keeps only the transactions that mention
the key and skips blocks with none; a v0 transaction without ``maxSupportedTransactionVersion`` is
``err: {"UnsupportedTransactionVersion": 0}`` with ``block: null``. "accounts" details give each
transaction's signatures and ``accountKeys`` objects, and a meta without instructions or logs.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import websockets
from solana.rpc.async_api import AsyncClient
from solana.rpc.websocket_api import connect as solana_ws_connect
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.rpc.responses import BlockNotification
from solders.system_program import TransferParams, transfer
from solders.transaction import Transaction

from tests.integration.localnet.conftest import LocalNode
from tests.integration.localnet.helpers import signed, user

TIMEOUT_S = 8.0
BLOCK_KEYS = {"blockHeight", "blockTime", "blockhash", "parentSlot", "previousBlockhash"}
SYSTEM_PROGRAM = "11111111111111111111111111111111"


async def _request(ws: Any, req_id: int, method: str, params: list[Any]) -> dict[str, Any]:
    """Send one request and return its reply (notifications read meanwhile are dropped)."""
    await ws.send(json.dumps({"jsonrpc": "2.0", "id": req_id, "method": method, "params": params}))
    async with asyncio.timeout(TIMEOUT_S):
        for _ in range(500):
            msg = json.loads(await ws.recv())
            if msg.get("id") == req_id:
                return msg
    raise AssertionError(f"no reply to {method}")


async def _notifications(ws: Any, until: Any, max_messages: int = 2000) -> dict[int, list[dict[str, Any]]]:
    """Collect blockNotification values per subscription until ``until(collected)`` holds (bounded)."""
    out: dict[int, list[dict[str, Any]]] = {}
    try:
        async with asyncio.timeout(TIMEOUT_S):
            for _ in range(max_messages):
                msg = json.loads(await ws.recv())
                if msg.get("method") == "blockNotification":
                    result = msg["params"]["result"]
                    assert set(result) == {"context", "value"} and result["context"]["slot"] == result["value"]["slot"]
                    out.setdefault(msg["params"]["subscription"], []).append(result["value"])
                    if until(out):
                        return out
    except TimeoutError:
        pass
    raise AssertionError(f"notifications so far: { {k: len(v) for k, v in out.items()} }")


async def _legacy_transfer(client: AsyncClient, payer: Keypair, to: Pubkey, lamports: int) -> str:
    blockhash = (await client.get_latest_blockhash("processed")).value.blockhash
    tx = Transaction([payer], Message([transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=to, lamports=lamports))],
                                      payer.pubkey()), blockhash)
    return str((await client.send_transaction(tx)).value)


async def test_block_notifications_follow_commitment_and_filter(client: AsyncClient, local_node: LocalNode) -> None:
    payer, _, _ = user(local_node.deployment, 0)
    to = Keypair().pubkey()
    async with websockets.connect(local_node.ws_url, open_timeout=5, max_size=None) as ws:
        every = (await _request(ws, 1, "blockSubscribe", ["all", {"commitment": "confirmed",
                                                                  "transactionDetails": "signatures"}]))["result"]
        mine = (await _request(ws, 2, "blockSubscribe", [{"mentionsAccountOrProgram": str(to)},
                                                         {"commitment": "confirmed", "maxSupportedTransactionVersion": 0}]))["result"]
        accounts = (await _request(ws, 3, "blockSubscribe", [
            {"mentionsAccountOrProgram": str(to)},
            {"transactionDetails": "accounts", "showRewards": True, "maxSupportedTransactionVersion": 0}]))["result"]
        sig = await _legacy_transfer(client, payer, to, 2_000_000)
        got = await _notifications(ws, lambda seen: mine in seen and accounts in seen and len(seen.get(every, ())) >= 3)

    # "all", signatures only: consecutive confirmed blocks, no rewards by default
    blocks = got[every]
    for value in blocks:
        assert set(value) == {"slot", "block", "err"} and value["err"] is None
        assert set(value["block"]) == BLOCK_KEYS | {"signatures"}
        # the genesis block (slot 0) is its own parent, as on a validator
        assert value["block"]["parentSlot"] == max(value["slot"] - 1, 0) and value["block"]["blockHeight"] == value["slot"]
    slots = [v["slot"] for v in blocks]
    assert slots == list(range(slots[0], slots[0] + len(slots)))
    assert blocks[1]["block"]["previousBlockhash"] == blocks[0]["block"]["blockhash"]

    # mentionsAccountOrProgram: one block, only the transfer, base64 by default, version as asked
    (value,) = got[mine]
    block = value["block"]
    assert set(block) == BLOCK_KEYS | {"transactions"}
    (entry,) = block["transactions"]
    assert set(entry) == {"meta", "transaction", "version"} and entry["version"] == "legacy"
    assert entry["transaction"][1] == "base64"
    assert str(Transaction.from_bytes(base64.b64decode(entry["transaction"][0])).signatures[0]) == sig
    assert "rewards" not in entry["meta"] and entry["meta"]["logMessages"]  # full meta, rewards off by default
    landed = local_node.rpc("getSignatureStatuses", [[sig]])["result"]["value"][0]["slot"]
    assert value["slot"] == landed
    assert local_node.rpc("getBlock", [landed, {"maxSupportedTransactionVersion": 0}])["result"]["blockhash"] == block["blockhash"]

    # finalized (the default) with "accounts" details and rewards
    (value,) = got[accounts]
    assert value["slot"] == landed and value["block"]["rewards"] == []
    (entry,) = value["block"]["transactions"]
    assert entry["version"] == "legacy"
    assert entry["transaction"] == {"signatures": [sig], "accountKeys": [
        {"pubkey": str(payer.pubkey()), "signer": True, "source": "transaction", "writable": True},
        {"pubkey": str(to), "signer": False, "source": "transaction", "writable": True},
        {"pubkey": SYSTEM_PROGRAM, "signer": False, "source": "transaction", "writable": False}]}
    meta = entry["meta"]
    assert set(meta) == {"err", "status", "fee", "preBalances", "postBalances", "preTokenBalances",
                         "postTokenBalances", "rewards"}
    assert meta["err"] is None and meta["status"] == {"Ok": None} and meta["fee"] == 5000
    assert meta["preBalances"][1] == 0 and meta["postBalances"][1] == 2_000_000
    assert meta["preBalances"][0] - meta["postBalances"][0] == 2_005_000
    assert meta["preTokenBalances"] == [] and meta["postTokenBalances"] == [] and meta["rewards"] == []


async def test_v0_block_without_max_version_is_an_error_value(client: AsyncClient, local_node: LocalNode) -> None:
    payer, _, _ = user(local_node.deployment, 1)
    to = Keypair().pubkey()
    async with websockets.connect(local_node.ws_url, open_timeout=5) as ws:
        sub = (await _request(ws, 1, "blockSubscribe", [{"mentionsAccountOrProgram": str(to)}, {"commitment": "confirmed"}]))["result"]
        blockhash = (await client.get_latest_blockhash("processed")).value.blockhash
        tx = signed(payer, [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=to, lamports=1_000_000))], blockhash)
        await client.send_transaction(tx)
        got = await _notifications(ws, lambda seen: sub in seen)
    (value,) = got[sub]
    assert value["block"] is None and value["err"] == {"UnsupportedTransactionVersion": 0}
    assert isinstance(value["slot"], int)


async def test_block_subscribe_refuses_bad_params_and_unsubscribes(local_node: LocalNode) -> None:
    async with websockets.connect(local_node.ws_url, open_timeout=5) as ws:
        cases = [["all", {"commitment": "processed"}], ["everything"], [{"mentionsAccountOrProgram": "not-a-key"}],
                 ["all", {"transactionDetails": "most"}], ["all", {"encoding": "hex"}],
                 ["all", {"maxSupportedTransactionVersion": 1}], []]
        for i, params in enumerate(cases):
            reply = await _request(ws, 10 + i, "blockSubscribe", params)
            assert reply["error"]["code"] == -32602, (params, reply)
        bad_key = await _request(ws, 30, "blockSubscribe", [{"mentionsAccountOrProgram": "not-a-key"}])
        assert bad_key["error"]["message"] == "Invalid Request: Invalid mentions_account_or_program provided"
        sub = (await _request(ws, 40, "blockSubscribe", ["all"]))["result"]
        assert (await _request(ws, 41, "blockUnsubscribe", [sub]))["result"] is True
        assert (await _request(ws, 42, "blockUnsubscribe", [sub]))["error"]["code"] == -32602


async def test_solana_py_parses_block_notifications(local_node: LocalNode) -> None:
    """solana-py's websocket client (solders' parser of Agave's RpcBlockUpdate) reads the notification."""
    from solana.rpc.commitment import Confirmed

    async with solana_ws_connect(local_node.ws_url) as ws:
        await ws.block_subscribe(commitment=Confirmed, encoding="json", max_supported_transaction_version=0)
        async with asyncio.timeout(TIMEOUT_S):
            for _ in range(50):
                notes = [m for m in await ws.recv() if isinstance(m, BlockNotification)]
                if notes:
                    break
    result = notes[0].result
    assert result.value.err is None and result.value.block is not None
    assert result.value.block.parent_slot == result.value.slot - 1 and result.context.slot == result.value.slot
