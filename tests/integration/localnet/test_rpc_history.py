"""Block and signature history over HTTP: getBlock and friends, getSignaturesForAddress, pruning.

Through solana-py's AsyncClient (which parses the validator's shapes) and raw JSON for exact shapes.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Iterator

import pytest
from solana.rpc.async_api import AsyncClient
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.transaction import Transaction

from tests.integration.localnet.conftest import LocalNode, start_node, stop_node
from tests.integration.localnet.helpers import signed, user

MEMO_PROGRAM = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
BLOCK_KEYS = {"blockHeight", "blockTime", "blockhash", "parentSlot", "previousBlockhash"}
SIGNATURE_INFO_KEYS = {"signature", "slot", "err", "memo", "blockTime", "confirmationStatus"}
HISTORY_SLOTS = 12


def _memo(text: str, signer: Pubkey) -> Instruction:
    from solders.instruction import AccountMeta

    return Instruction(MEMO_PROGRAM, text.encode(), [AccountMeta(signer, True, False)])


async def _legacy_transfer(client: AsyncClient, payer: Keypair, to: Pubkey, lamports: int, memo: str | None = None) -> Signature:
    """Send a legacy transfer (with a memo) and wait until it is finalized."""
    blockhash = (await client.get_latest_blockhash("processed")).value.blockhash
    ixs = [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=to, lamports=lamports))]
    if memo is not None:
        ixs.append(_memo(memo, payer.pubkey()))
    tx = Transaction([payer], Message(ixs, payer.pubkey()), blockhash)
    sig = (await client.send_transaction(tx)).value
    await asyncio.wait_for(client.confirm_transaction(sig, "finalized", sleep_seconds=0.05), 10)
    return sig


def _slot_of(local_node: LocalNode, sig: Signature) -> int:
    return local_node.rpc("getSignatureStatuses", [[str(sig)]])["result"]["value"][0]["slot"]


async def test_signatures_for_address_shape_memo_and_paging(client: AsyncClient, local_node: LocalNode) -> None:
    kp, _, _ = user(local_node.deployment, 0)
    to = Keypair().pubkey()
    sigs = [await _legacy_transfer(client, kp, to, 1_000_000 + i, memo="hello" if i == 0 else None) for i in range(3)]
    slots = [_slot_of(local_node, s) for s in sigs]
    raw = local_node.rpc("getSignaturesForAddress", [str(to)])["result"]
    assert [r["signature"] for r in raw] == [str(s) for s in reversed(sigs)]  # newest first
    oldest = raw[-1]
    assert set(oldest) == SIGNATURE_INFO_KEYS
    assert oldest["slot"] == slots[0] and oldest["err"] is None and oldest["confirmationStatus"] == "finalized"
    assert oldest["memo"] == "[5] hello" and raw[0]["memo"] is None
    assert abs(oldest["blockTime"] - time.time()) < 60
    typed = (await client.get_signatures_for_address(to, limit=2)).value
    assert [t.signature for t in typed] == [sigs[2], sigs[1]]
    assert [t.signature for t in (await client.get_signatures_for_address(to, before=sigs[2])).value] == [sigs[1], sigs[0]]
    assert [t.signature for t in (await client.get_signatures_for_address(to, until=sigs[0])).value] == [sigs[2], sigs[1]]
    assert (await client.get_signatures_for_address(to, before=Signature.new_unique())).value == []
    assert local_node.rpc("getSignaturesForAddress", [str(Keypair().pubkey())])["result"] == []


async def test_get_block_shapes(client: AsyncClient, local_node: LocalNode) -> None:
    kp, _, _ = user(local_node.deployment, 1)
    to = Keypair().pubkey()
    sig = await _legacy_transfer(client, kp, to, 3_000_000)
    slot = _slot_of(local_node, sig)
    full = local_node.rpc("getBlock", [slot, {"encoding": "json", "maxSupportedTransactionVersion": 0}])["result"]
    assert set(full) == BLOCK_KEYS | {"transactions", "rewards"}
    assert full["parentSlot"] == slot - 1 and full["blockHeight"] == slot and full["rewards"] == []
    parent = local_node.rpc("getBlock", [slot - 1, {"maxSupportedTransactionVersion": 0}])["result"]
    assert parent["blockhash"] == full["previousBlockhash"] != full["blockhash"]
    (entry,) = [t for t in full["transactions"] if t["transaction"]["signatures"] == [str(sig)]]
    assert set(entry) == {"meta", "transaction", "version"} and entry["version"] == "legacy"
    assert entry["meta"]["err"] is None and entry["meta"]["rewards"] == [] and entry["meta"]["fee"] == 5000
    assert entry["transaction"]["message"]["accountKeys"][:2] == [str(kp.pubkey()), str(to)]
    # the transaction's blockhash is the one the parent block produced (or an older one)
    assert entry["transaction"]["message"]["recentBlockhash"] != full["blockhash"]
    # jsonParsed: account keys as objects and the transfer parsed, as getTransaction serves them
    parsed = local_node.rpc("getBlock", [slot, {"encoding": "jsonParsed", "maxSupportedTransactionVersion": 0}])["result"]
    (pentry,) = [t for t in parsed["transactions"] if t["transaction"]["signatures"] == [str(sig)]]
    message = pentry["transaction"]["message"]
    assert message["accountKeys"][0] == {"pubkey": str(kp.pubkey()), "signer": True, "source": "transaction", "writable": True}
    (transfer,) = [i for i in message["instructions"] if i.get("program") == "system"]
    assert transfer["parsed"] == {"type": "transfer", "info": {"source": str(kp.pubkey()), "destination": str(to),
                                                                "lamports": 3_000_000}}

    sigs_only = local_node.rpc("getBlock", [slot, {"transactionDetails": "signatures", "rewards": False}])["result"]
    assert set(sigs_only) == BLOCK_KEYS | {"signatures"} and str(sig) in sigs_only["signatures"]
    bare = local_node.rpc("getBlock", [slot, {"transactionDetails": "none", "commitment": "confirmed"}])["result"]
    assert set(bare) == BLOCK_KEYS | {"rewards"}
    no_rewards = local_node.rpc("getBlock", [slot, {"rewards": False, "maxSupportedTransactionVersion": 0}])["result"]
    assert "rewards" not in no_rewards and all("rewards" not in t["meta"] for t in no_rewards["transactions"])
    b64 = local_node.rpc("getBlock", [slot, {"encoding": "base64", "maxSupportedTransactionVersion": 0}])["result"]
    wire = [base64.b64decode(t["transaction"][0]) for t in b64["transactions"] if t["transaction"][1] == "base64"]
    assert len(wire) == len(b64["transactions"]) and any(Transaction.from_bytes(w).signatures[0] == sig for w in wire)
    b58 = local_node.rpc("getBlock", [slot, {"encoding": "base58", "maxSupportedTransactionVersion": 0}])["result"]
    assert all(t["transaction"][1] == "base58" for t in b58["transactions"])

    typed = (await client.get_block(slot, "json", max_supported_transaction_version=0)).value
    assert typed.parent_slot == slot - 1 and str(typed.blockhash) == full["blockhash"]
    assert (await client.get_block_time(slot)).value == full["blockTime"]
    assert (await client.get_blocks(slot - 2, slot)).value == [slot - 2, slot - 1, slot]
    assert local_node.rpc("getBlocksWithLimit", [slot - 2, 2])["result"] == [slot - 2, slot - 1]
    commitment = (await client.get_block_commitment(slot)).value
    assert commitment.commitment is None and commitment.total_stake > 0  # finalized: no lockout array


async def test_v0_transactions_need_max_supported_version(client: AsyncClient, local_node: LocalNode) -> None:
    kp, _, _ = user(local_node.deployment, 2)
    blockhash = (await client.get_latest_blockhash("processed")).value.blockhash
    tx = signed(kp, [transfer(TransferParams(from_pubkey=kp.pubkey(), to_pubkey=Keypair().pubkey(), lamports=1_000_000))], blockhash)
    sig = (await client.send_transaction(tx)).value
    await asyncio.wait_for(client.confirm_transaction(sig, "finalized", sleep_seconds=0.05), 10)
    slot = _slot_of(local_node, sig)
    refused = local_node.rpc("getBlock", [slot])
    assert refused["error"]["code"] == -32015 and '"maxSupportedTransactionVersion": 0' in refused["error"]["message"]
    ok = local_node.rpc("getBlock", [slot, {"maxSupportedTransactionVersion": 0}])["result"]
    assert [t["version"] for t in ok["transactions"] if t["transaction"]["signatures"] == [str(sig)]] == [0]
    assert "signatures" in local_node.rpc("getBlock", [slot, {"transactionDetails": "signatures"}])["result"]


def test_block_errors_and_bad_params(local_node: LocalNode) -> None:
    future = local_node.rpc("getSlot", [{"commitment": "processed"}])["result"] + 10_000
    missing = local_node.rpc("getBlock", [future])["error"]
    assert missing == {"code": -32004, "message": f"Block not available for slot {future}"}
    assert local_node.rpc("getBlockTime", [future])["error"]["code"] == -32004
    finalized = local_node.rpc("getSlot", [{"commitment": "finalized"}])["result"]
    unconfirmed = local_node.rpc("getBlock", [finalized + 1_000, {"commitment": "finalized"}])["error"]
    assert unconfirmed["code"] == -32004
    for params in ([finalized, {"commitment": "processed"}], [finalized, {"transactionDetails": "most"}], ["1"],
                   [finalized, {"encoding": "yaml"}], [finalized, {"maxSupportedTransactionVersion": 1}], [-1]):
        assert local_node.rpc("getBlock", params)["error"]["code"] == -32602, params
    assert local_node.rpc("getBlocks", [0, 600_000])["error"] == {"code": -32602, "message": "Slot range too large; max 500000"}
    assert local_node.rpc("getBlocks", [10, 5])["result"] == []
    assert local_node.rpc("getBlocksWithLimit", [0, 500_001])["error"]["code"] == -32602
    assert local_node.rpc("getBlocksWithLimit", [0])["error"]["code"] == -32602
    for cfg in ({"limit": 0}, {"limit": 1001}, {"before": "nope"}, {"commitment": "processed"}):
        assert local_node.rpc("getSignaturesForAddress", [str(Pubkey.new_unique()), cfg])["error"]["code"] == -32602, cfg
    assert local_node.rpc("getSignaturesForAddress", ["not-a-key"])["error"]["code"] == -32602
    assert local_node.rpc("getRecentPerformanceSamples", [721])["error"]["code"] == -32602
    assert local_node.rpc("getRecentPerformanceSamples", [])["result"] == []  # the first sample comes after 60 s
    assert local_node.rpc("getBlockCommitment", ["x"])["error"]["code"] == -32602


def test_recent_block_commitment_has_a_lockout_array(local_node: LocalNode) -> None:
    slot = local_node.rpc("getSlot", [{"commitment": "confirmed"}])["result"]
    reply = local_node.rpc("getBlockCommitment", [slot])["result"]
    if reply["commitment"] is None:  # the slot was finalized between the two requests (4 slots of 50 ms)
        pytest.skip("slot finalized before the request")
    assert len(reply["commitment"]) == 32 and sum(reply["commitment"]) == reply["totalStake"] > 0


@pytest.fixture(scope="module")
def short_history(perp_program: bytes, mock_oracle_program: bytes) -> Iterator[LocalNode]:
    n = start_node(perp_program, mock_oracle_program, history_slots=HISTORY_SLOTS)
    yield n
    stop_node(n)


async def test_pruned_history_is_reported_truthfully(short_history: LocalNode) -> None:
    node = short_history
    async with AsyncClient(node.rpc_url, timeout=10) as client:
        kp, _, _ = user(node.deployment, 0)
        to = Keypair().pubkey()
        sig = await _legacy_transfer(client, kp, to, 1_000_000)
        slot = _slot_of(node, sig)
        assert [s["signature"] for s in node.rpc("getSignaturesForAddress", [str(to)])["result"]] == [str(sig)]
        deadline = time.monotonic() + 10
        while node.rpc("getFirstAvailableBlock")["result"] <= slot and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        first = node.rpc("getFirstAvailableBlock")["result"]
        assert first > slot
        now = node.rpc("getSlot", [{"commitment": "processed"}])["result"]
        assert now - HISTORY_SLOTS - 2 <= first <= now - HISTORY_SLOTS + 1  # HISTORY_SLOTS closed blocks are kept
        assert node.rpc("minimumLedgerSlot")["result"] in (first, first + 1)  # a slot may close between the calls
        gone = node.rpc("getBlock", [slot, {"maxSupportedTransactionVersion": 0}])["error"]
        assert gone["code"] == -32001
        assert gone["message"].startswith(f"Block {slot} cleaned up, does not exist on node. First available block: ")
        assert node.rpc("getSignaturesForAddress", [str(to)])["result"] == []
        assert node.rpc("getTransaction", [str(sig)])["result"] is None  # its block is gone: so is the transaction
        status = node.rpc("getSignatureStatuses", [[str(sig)]])["result"]["value"][0]  # the status cache outlives it
        assert status["slot"] == slot and status["confirmationStatus"] == "finalized"
        kept = node.rpc("getBlocks", [0])["result"]
        assert kept[0] >= first and kept == list(range(kept[0], kept[-1] + 1))
        assert (await client.get_first_available_block()).value >= first
        assert (await client.get_minimum_ledger_slot()).value >= first


async def test_get_block_accounts_details(client: AsyncClient, local_node: LocalNode) -> None:
    """``transactionDetails: "accounts"``: signatures and account keys, a meta without instructions or logs."""
    kp, _, _ = user(local_node.deployment, 0)
    to = Keypair().pubkey()
    sig = await _legacy_transfer(client, kp, to, 4_000_000)
    slot = _slot_of(local_node, sig)
    block = local_node.rpc("getBlock", [slot, {"transactionDetails": "accounts", "maxSupportedTransactionVersion": 0}])["result"]
    assert set(block) == BLOCK_KEYS | {"transactions", "rewards"}
    (entry,) = [t for t in block["transactions"] if t["transaction"]["signatures"] == [str(sig)]]
    assert entry["version"] == "legacy"
    assert entry["transaction"]["accountKeys"] == [
        {"pubkey": str(kp.pubkey()), "signer": True, "source": "transaction", "writable": True},
        {"pubkey": str(to), "signer": False, "source": "transaction", "writable": True},
        {"pubkey": "11111111111111111111111111111111", "signer": False, "source": "transaction", "writable": False}]
    assert entry["meta"] == {"err": None, "status": {"Ok": None}, "fee": 5000, "preBalances": entry["meta"]["preBalances"],
                             "postBalances": entry["meta"]["postBalances"], "preTokenBalances": [],
                             "postTokenBalances": [], "rewards": []}
    assert entry["meta"]["postBalances"][1] == 4_000_000 and entry["meta"]["preBalances"][1] == 0
    no_rewards = local_node.rpc("getBlock", [slot, {"transactionDetails": "accounts", "rewards": False,
                                                    "maxSupportedTransactionVersion": 0}])["result"]
    assert "rewards" not in no_rewards and all("rewards" not in t["meta"] for t in no_rewards["transactions"])
