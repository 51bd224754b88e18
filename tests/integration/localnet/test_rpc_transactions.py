"""Transactions through the node: send (base64 and base58), confirm, statuses, history, simulation, fees."""

from __future__ import annotations

import asyncio

import pytest
from solana.rpc.async_api import AsyncClient
from solana.rpc.core import RPCException
from solana.rpc.types import TxOpts
from solders.compute_budget import set_compute_unit_price
from solders.keypair import Keypair
from solders.message import to_bytes_versioned
from solders.rpc.errors import SendTransactionPreflightFailureMessage
from solders.system_program import TransferParams, transfer
from solders.transaction_status import TransactionConfirmationStatus
from spl.token.constants import TOKEN_PROGRAM_ID

from keepers.exchange import instructions as ix
from localnet.rpc.encoding import b58encode, b64encode
from programs_client.perp.accounts import User
from programs_client.perp.constants import QUOTE_PRECISION as QUOTE
from programs_client.perp.errors import custom
from tests.integration.localnet.conftest import LocalNode
from tests.integration.localnet.helpers import deposit_tx, signed, user


async def _collateral(client: AsyncClient, address) -> int:
    acc = (await client.get_account_info(address, commitment="processed")).value
    return User.decode(bytes(acc.data)).collateral


async def test_deposit_over_rpc_lands_and_confirms(client: AsyncClient, local_node: LocalNode) -> None:
    dep = local_node.deployment
    _, margin, _ = user(dep, 0)
    before = await _collateral(client, margin)
    tx = await deposit_tx(client, dep, 0, 7 * QUOTE)
    sig = (await client.send_transaction(tx)).value
    assert sig == tx.signatures[0]
    assert await _collateral(client, margin) == before + 7 * QUOTE  # visible at processed at once
    resp = await asyncio.wait_for(client.confirm_transaction(sig, "confirmed", sleep_seconds=0.05), 10)
    status = resp.value[0]
    assert status.err is None and status.confirmation_status in (TransactionConfirmationStatus.Confirmed,
                                                                TransactionConfirmationStatus.Finalized)
    final = await asyncio.wait_for(client.confirm_transaction(sig, "finalized", sleep_seconds=0.05), 10)
    assert final.value[0].confirmation_status == TransactionConfirmationStatus.Finalized


async def test_get_transaction_has_meta_logs_and_balances(client: AsyncClient, local_node: LocalNode) -> None:
    dep = local_node.deployment
    tx = await deposit_tx(client, dep, 1, 3 * QUOTE)
    sig = (await client.send_transaction(tx)).value
    await asyncio.wait_for(client.confirm_transaction(sig, "confirmed", sleep_seconds=0.05), 10)
    got = (await client.get_transaction(sig, commitment="confirmed", max_supported_transaction_version=0)).value
    assert got is not None
    meta = got.transaction.meta
    assert meta.err is None and meta.fee == 5000
    assert any("invoke [1]" in line for line in meta.log_messages)
    assert meta.pre_balances[0] - meta.post_balances[0] == 5000
    pre = {b.account_index: int(b.ui_token_amount.amount) for b in meta.pre_token_balances}
    post = {b.account_index: int(b.ui_token_amount.amount) for b in meta.post_token_balances}
    assert sorted(pre[i] - post[i] for i in pre) == [-3 * QUOTE, 3 * QUOTE]
    assert meta.compute_units_consumed > 0 and got.slot > 0 and got.block_time
    raw = local_node.rpc("getTransaction", [str(sig), {"encoding": "base64", "commitment": "confirmed",
                                                       "maxSupportedTransactionVersion": 0}])["result"]
    assert raw["transaction"] == [b64encode(bytes(tx)), "base64"] and raw["version"] == 0


async def test_inner_instructions_in_history_and_simulation(client: AsyncClient, local_node: LocalNode) -> None:
    # A deposit makes one CPI: the SPL Token transfer of the amount (instruction 3, u64 little-endian)
    # from the user's token account to the vault, at stack height 2 under instruction 0.
    dep = local_node.deployment
    tx = await deposit_tx(client, dep, 1, 2 * QUOTE)
    sim = local_node.rpc("simulateTransaction", [b64encode(bytes(tx)), {"encoding": "base64", "innerInstructions": True}])
    sig = (await client.send_transaction(tx)).value
    await asyncio.wait_for(client.confirm_transaction(sig, "confirmed", sleep_seconds=0.05), 10)
    got = local_node.rpc("getTransaction", [str(sig), {"commitment": "confirmed", "maxSupportedTransactionVersion": 0}])
    keys = got["result"]["transaction"]["message"]["accountKeys"]
    transfer_data = b58encode(bytes([3]) + (2 * QUOTE).to_bytes(8, "little"))
    for inner in (got["result"]["meta"]["innerInstructions"], sim["result"]["value"]["innerInstructions"]):
        assert [i["index"] for i in inner] == [0]
        (cpi,) = inner[0]["instructions"]
        assert keys[cpi["programIdIndex"]] == str(TOKEN_PROGRAM_ID)
        assert cpi["data"] == transfer_data and cpi["stackHeight"] == 2
        assert keys[cpi["accounts"][0]] == str(user(dep, 1)[2])
    assert "returnData" not in got["result"]["meta"] and sim["result"]["value"]["returnData"] is None


async def test_get_transaction_rules(local_node: LocalNode, client: AsyncClient) -> None:
    tx = await deposit_tx(client, local_node.deployment, 1, 1)
    local_node.rpc("perpkeep_stallSlots", [5000])  # hold the slot: the transaction stays unconfirmed
    try:
        sig = str((await client.send_transaction(tx, opts=TxOpts(skip_preflight=True))).value)  # preflight refuses while stalled
        processed = local_node.rpc("getTransaction", [sig, {"commitment": "processed"}])
        assert processed["error"]["code"] == -32602 and "confirmed" in processed["error"]["message"]
        unconfirmed = local_node.rpc("getTransaction", [sig, {"commitment": "confirmed", "maxSupportedTransactionVersion": 0}])
        assert unconfirmed["result"] is None
        assert local_node.rpc("getSignatureStatuses", [[sig]])["result"]["value"][0]["confirmationStatus"] == "processed"
    finally:
        local_node.rpc("perpkeep_stallSlots", [0])
    await asyncio.wait_for(client.confirm_transaction(tx.signatures[0], "confirmed", sleep_seconds=0.05), 10)
    unversioned = local_node.rpc("getTransaction", [sig, {"commitment": "confirmed"}])
    assert unversioned["error"]["code"] == -32015 and "maxSupportedTransactionVersion" in unversioned["error"]["message"]


async def test_base58_send_and_legacy_transfer(local_node: LocalNode, client: AsyncClient) -> None:
    dep = local_node.deployment
    kp, _, _ = user(dep, 2)
    to = Keypair().pubkey()
    from solders.message import Message
    from solders.transaction import Transaction

    blockhash = (await client.get_latest_blockhash("processed")).value.blockhash
    tx = Transaction([kp], Message([transfer(TransferParams(from_pubkey=kp.pubkey(), to_pubkey=to, lamports=1_000_000))], kp.pubkey()), blockhash)
    reply = local_node.rpc("sendTransaction", [b58encode(bytes(tx))])
    assert reply["result"] == str(tx.signatures[0])
    assert (await client.get_balance(to, "processed")).value == 1_000_000
    await asyncio.wait_for(client.confirm_transaction(tx.signatures[0], "finalized", sleep_seconds=0.05), 10)
    got = local_node.rpc("getTransaction", [reply["result"], "json"])  # legacy form: encoding only, finalized
    assert got["result"]["transaction"]["message"]["accountKeys"][0] == str(kp.pubkey()) and "version" not in got["result"]


async def test_preflight_failure_is_32002_with_logs_and_program_error(client: AsyncClient, local_node: LocalNode) -> None:
    dep = local_node.deployment
    kp, _, tokens = user(dep, 0)
    blockhash = (await client.get_latest_blockhash("processed")).value.blockhash
    too_much = signed(kp, [ix.withdraw(kp.pubkey(), tokens, 10**15, 0, dep.program_id)], blockhash)
    with pytest.raises(RPCException) as info:
        await client.send_transaction(too_much)
    err = info.value.args[0]
    assert isinstance(err, SendTransactionPreflightFailureMessage)
    assert err.message.startswith("Transaction simulation failed: Error processing Instruction 0: custom program error: 0x")
    assert err.data.logs and err.data.units_consumed > 0
    raw = local_node.rpc("sendTransaction", [b64encode(bytes(too_much)), {"encoding": "base64"}])["error"]
    code = raw["data"]["err"]["InstructionError"][1]["Custom"]
    assert raw["code"] == -32002 and custom.from_code(code) is not None
    assert (await client.get_signature_statuses([too_much.signatures[0]])).value[0] is None  # never landed


async def test_skip_preflight_lands_with_the_error(client: AsyncClient, local_node: LocalNode) -> None:
    dep = local_node.deployment
    kp, _, tokens = user(dep, 0)
    blockhash = (await client.get_latest_blockhash("processed")).value.blockhash
    bad = signed(kp, [ix.withdraw(kp.pubkey(), tokens, 10**15 + 1, 0, dep.program_id)], blockhash)
    sig = (await client.send_transaction(bad, opts=TxOpts(skip_preflight=True))).value
    status = (await client.get_signature_statuses([sig])).value[0]
    assert status is not None and status.err is not None
    raw = local_node.rpc("getSignatureStatuses", [[str(sig)]])["result"]["value"][0]
    assert raw["status"] == {"Err": raw["err"]} and "InstructionError" in raw["err"]


async def test_duplicate_and_stale_blockhash(client: AsyncClient, local_node: LocalNode) -> None:
    dep = local_node.deployment
    tx = await deposit_tx(client, dep, 2, 2)
    await client.send_transaction(tx)
    again = local_node.rpc("sendTransaction", [b64encode(bytes(tx)), {"encoding": "base64"}])["error"]
    assert again["code"] == -32002 and again["data"]["err"] == "AlreadyProcessed"
    assert again["message"] == "Transaction simulation failed: This transaction has already been processed"
    kp, _, tokens = user(dep, 2)
    from solders.hash import Hash

    stale = signed(kp, [ix.deposit(kp.pubkey(), tokens, 3, 0, dep.program_id)], Hash.new_unique())
    err = local_node.rpc("sendTransaction", [b64encode(bytes(stale)), {"encoding": "base64"}])["error"]
    assert err["data"]["err"] == "BlockhashNotFound" and err["message"] == "Transaction simulation failed: Blockhash not found"
    skipped = local_node.rpc("sendTransaction", [b64encode(bytes(stale)), {"encoding": "base64", "skipPreflight": True}])
    assert skipped["result"] == str(stale.signatures[0])
    assert local_node.rpc("getSignatureStatuses", [[skipped["result"]]])["result"]["value"] == [None]  # dropped


async def test_simulate_transaction(client: AsyncClient, local_node: LocalNode) -> None:
    dep = local_node.deployment
    _, margin, _ = user(dep, 1)
    tx = await deposit_tx(client, dep, 1, 5 * QUOTE)
    before = await _collateral(client, margin)
    sim = (await client.simulate_transaction(tx)).value
    assert sim.err is None and sim.units_consumed > 0 and any("success" in line for line in sim.logs)
    assert await _collateral(client, margin) == before  # nothing committed
    raw = local_node.rpc("simulateTransaction", [b64encode(bytes(tx)), {
        "encoding": "base64", "replaceRecentBlockhash": True, "accounts": {"addresses": [str(margin)], "encoding": "base64"}}])
    value = raw["result"]["value"]
    assert value["replacementBlockhash"]["blockhash"] and value["accounts"][0]["owner"] == str(dep.program_id)
    import base64

    assert User.decode(base64.b64decode(value["accounts"][0]["data"][0])).collateral == before + 5 * QUOTE
    both = local_node.rpc("simulateTransaction", [b64encode(bytes(tx)), {"encoding": "base64", "sigVerify": True,
                                                                         "replaceRecentBlockhash": True}])
    assert both["error"] == {"code": -32602, "message": "sigVerify may not be used with replaceRecentBlockhash"}


async def test_simulate_failure_returns_err_not_error(client: AsyncClient, local_node: LocalNode) -> None:
    dep = local_node.deployment
    kp, _, tokens = user(dep, 1)
    blockhash = (await client.get_latest_blockhash("processed")).value.blockhash
    bad = signed(kp, [ix.withdraw(kp.pubkey(), tokens, 10**15, 0, dep.program_id)], blockhash)
    sim = (await client.simulate_transaction(bad)).value
    assert sim.err is not None and sim.logs


async def test_request_airdrop_and_fee_for_message(client: AsyncClient, local_node: LocalNode) -> None:
    who = Keypair().pubkey()
    sig = (await client.request_airdrop(who, 2_000_000_000)).value
    await asyncio.wait_for(client.confirm_transaction(sig, "confirmed", sleep_seconds=0.05), 10)
    assert (await client.get_balance(who, "confirmed")).value == 2_000_000_000
    tx = await deposit_tx(client, local_node.deployment, 0, 1)
    fee = (await client.get_fee_for_message(tx.message)).value
    assert fee == 5000
    from solders.hash import Hash
    from solders.message import MessageV0

    unknown = MessageV0.try_compile(who, [], [], Hash.new_unique())
    assert local_node.rpc("getFeeForMessage", [b64encode(to_bytes_versioned(unknown))])["result"]["value"] is None


async def test_recent_prioritization_fees(client: AsyncClient, local_node: LocalNode) -> None:
    # A slot's fee for an account is the lowest any transaction writing it paid in that slot, so the
    # transaction writes an account no other test writes (a fee-0 deposit to a shared margin account in
    # the same slot would rightly report 0).
    kp, _, _ = user(local_node.deployment, 2)
    fresh = Keypair().pubkey()
    blockhash = (await client.get_latest_blockhash("processed")).value.blockhash
    paid = transfer(TransferParams(from_pubkey=kp.pubkey(), to_pubkey=fresh, lamports=1_000_000))
    await client.send_transaction(signed(kp, [set_compute_unit_price(777), paid], blockhash))
    fees = local_node.rpc("getRecentPrioritizationFees", [[str(fresh)]])["result"]
    assert 0 < len(fees) <= 150 and set(fees[0]) == {"slot", "prioritizationFee"}
    assert max(f["prioritizationFee"] for f in fees) == 777
    slots = [f["slot"] for f in fees]
    assert slots == sorted(slots)


async def test_statuses_older_than_the_status_cache_need_search_transaction_history(perp_program: bytes) -> None:
    from tests.integration.localnet.conftest import start_node, stop_node

    node = start_node(perp_program, status_cache_slots=5)
    client = AsyncClient(node.rpc_url, timeout=10)
    try:
        tx = await deposit_tx(client, node.deployment, 0, 3)
        sig = (await client.send_transaction(tx)).value
        landed = node.rpc("getSignatureStatuses", [[str(sig)]])["result"]["value"][0]
        assert landed is not None
        for _ in range(100):  # bounded: 5 s at 50 ms a slot
            if node.rpc("getSlot", [{"commitment": "processed"}])["result"] > landed["slot"] + 5:
                break
            await asyncio.sleep(0.05)
        recent = node.rpc("getSignatureStatuses", [[str(sig)]])["result"]["value"][0]
        found = node.rpc("getSignatureStatuses", [[str(sig)], {"searchTransactionHistory": True}])["result"]["value"][0]
        assert recent is None  # out of the status cache, as a cluster answers
        assert found is not None and found["slot"] == landed["slot"] and found["confirmationStatus"] == "finalized"
        bad = node.rpc("getSignatureStatuses", [[str(sig)], {"searchTransactionHistory": "yes"}])["error"]
        assert bad["code"] == -32602 and "searchTransactionHistory" in bad["message"]
    finally:
        await client.close()
        stop_node(node)
