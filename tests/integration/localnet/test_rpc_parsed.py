"""The jsonParsed encoding over HTTP: getTransaction with System, Compute Budget, memo, Associated Token
Account and SPL Token instructions (and the perp program's CPI), and token accounts and mints.

Expected shapes are written out by hand from Agave's ``transaction-status/src/parse_*.rs`` and
``account-decoder/src/parse_token.rs``.
"""

from __future__ import annotations

import asyncio
import base64
import json

import base58
import pytest
import websockets
from solana.rpc.async_api import AsyncClient
from solders.compute_budget import set_compute_unit_limit
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from solders.transaction_status import ParsedInstruction, UiPartiallyDecodedInstruction
from spl.memo.constants import MEMO_PROGRAM_ID
from spl.memo.instructions import MemoParams, create_memo
from spl.token.constants import ASSOCIATED_TOKEN_PROGRAM_ID, TOKEN_PROGRAM_ID
from spl.token.instructions import (
    TransferCheckedParams,
    create_idempotent_associated_token_account,
    get_associated_token_address,
    transfer_checked,
)

from tests.integration.localnet.conftest import LocalNode
from tests.integration.localnet.helpers import deposit_tx, signed, user

SYSTEM = "11111111111111111111111111111111"
COMPUTE_BUDGET = "ComputeBudget111111111111111111111111111111"


async def _confirmed(client: AsyncClient, tx) -> str:
    sig = (await client.send_transaction(tx)).value
    await asyncio.wait_for(client.confirm_transaction(sig, "confirmed", sleep_seconds=0.05), 10)
    return str(sig)


def _raw(local_node: LocalNode, address: Pubkey) -> bytes:
    reply = local_node.rpc("getAccountInfo", [str(address), {"encoding": "base64", "commitment": "processed"}])
    return base64.b64decode(reply["result"]["value"]["data"][0])


async def test_get_transaction_json_parsed_parses_known_programs(client: AsyncClient, local_node: LocalNode) -> None:
    dep = local_node.deployment
    kp, _, tokens = user(dep, 0)
    payer = kp.pubkey()
    friend = Keypair().pubkey()
    friend_ata = get_associated_token_address(friend, dep.mint)
    ixs = [
        set_compute_unit_limit(300_000),
        transfer(TransferParams(from_pubkey=payer, to_pubkey=friend, lamports=1_234_567)),
        create_memo(MemoParams(program_id=MEMO_PROGRAM_ID, signer=payer, message=b"hello perpkeep")),
        create_idempotent_associated_token_account(payer, friend, dep.mint),
        transfer_checked(TransferCheckedParams(program_id=TOKEN_PROGRAM_ID, source=tokens, mint=dep.mint, dest=friend_ata,
                                               owner=payer, amount=2_500_000, decimals=6)),
    ]
    blockhash = (await client.get_latest_blockhash("processed")).value.blockhash
    tx = signed(kp, ixs, blockhash)
    sig = await _confirmed(client, tx)

    result = local_node.rpc("getTransaction", [sig, {"encoding": "jsonParsed", "commitment": "confirmed", "maxSupportedTransactionVersion": 0}])["result"]
    assert result["version"] == 0 and isinstance(result["slot"], int) and "blockTime" in result
    message = result["transaction"]["message"]
    assert result["transaction"]["signatures"] == [str(tx.signatures[0])]
    keys = {k["pubkey"]: k for k in message["accountKeys"]}
    assert all(set(k) == {"pubkey", "signer", "source", "writable"} for k in message["accountKeys"])
    assert message["accountKeys"][0] == {"pubkey": str(payer), "signer": True, "source": "transaction", "writable": True}
    assert keys[str(friend)] == {"pubkey": str(friend), "signer": False, "source": "transaction", "writable": True}
    for program in (SYSTEM, COMPUTE_BUDGET, str(TOKEN_PROGRAM_ID), str(MEMO_PROGRAM_ID), str(ASSOCIATED_TOKEN_PROGRAM_ID)):
        assert keys[program]["writable"] is False and keys[program]["signer"] is False
    assert message["recentBlockhash"] == str(blockhash) and message["addressTableLookups"] == []

    cu_data = tx.message.instructions[0].data
    assert message["instructions"] == [
        {"accounts": [], "data": base58.b58encode(bytes(cu_data)).decode(), "programId": COMPUTE_BUDGET, "stackHeight": None},
        {"parsed": {"info": {"destination": str(friend), "lamports": 1_234_567, "source": str(payer)}, "type": "transfer"},
         "program": "system", "programId": SYSTEM, "stackHeight": None},
        {"parsed": "hello perpkeep", "program": "spl-memo", "programId": str(MEMO_PROGRAM_ID), "stackHeight": None},
        {"parsed": {"info": {"account": str(friend_ata), "mint": str(dep.mint), "source": str(payer),
                             "systemProgram": SYSTEM, "tokenProgram": str(TOKEN_PROGRAM_ID), "wallet": str(friend)},
                    "type": "createIdempotent"},
         "program": "spl-associated-token-account", "programId": str(ASSOCIATED_TOKEN_PROGRAM_ID), "stackHeight": None},
        {"parsed": {"info": {"authority": str(payer), "destination": str(friend_ata), "mint": str(dep.mint), "source": str(tokens),
                             "tokenAmount": {"amount": "2500000", "decimals": 6, "uiAmount": 2.5, "uiAmountString": "2.5"}},
                    "type": "transferChecked"},
         "program": "spl-token", "programId": str(TOKEN_PROGRAM_ID), "stackHeight": None},
    ]

    meta = result["meta"]
    assert "loadedAddresses" not in meta and meta["err"] is None
    (inner,) = meta["innerInstructions"]
    assert inner["index"] == 3  # the associated token program creates and initialises the account by CPI
    types = [(i["program"], i["parsed"]["type"], i["stackHeight"]) for i in inner["instructions"]]
    assert types == [("spl-token", "getAccountDataSize", 2), ("system", "createAccount", 2),
                     ("spl-token", "initializeImmutableOwner", 2), ("spl-token", "initializeAccount3", 2)]
    create = inner["instructions"][1]["parsed"]["info"]
    assert create["source"] == str(payer) and create["newAccount"] == str(friend_ata) and create["space"] == 165
    assert create["owner"] == str(TOKEN_PROGRAM_ID) and isinstance(create["lamports"], int)
    assert inner["instructions"][0]["parsed"]["info"] == {"mint": str(dep.mint), "extensionTypes": ["immutableOwner"]}
    assert inner["instructions"][3]["parsed"]["info"] == {"account": str(friend_ata), "mint": str(dep.mint), "owner": str(friend)}
    post = {b["accountIndex"]: b for b in meta["postTokenBalances"]}
    friend_index = [k["pubkey"] for k in message["accountKeys"]].index(str(friend_ata))
    assert post[friend_index]["uiTokenAmount"]["amount"] == "2500000"

    # solana-py / solders decode the same reply into their parsed instruction types
    typed = (await client.get_transaction(tx.signatures[0], "jsonParsed", "confirmed", max_supported_transaction_version=0)).value
    assert typed is not None
    decoded = typed.transaction.transaction.message.instructions
    assert isinstance(decoded[0], UiPartiallyDecodedInstruction)
    assert all(isinstance(d, ParsedInstruction) for d in decoded[1:])
    assert decoded[4].parsed["info"]["tokenAmount"]["uiAmountString"] == "2.5"


async def test_perp_deposit_cpi_is_parsed_as_a_token_transfer(client: AsyncClient, local_node: LocalNode) -> None:
    dep = local_node.deployment
    kp, _, tokens = user(dep, 1)
    tx = await deposit_tx(client, dep, 1, 4_000_000)
    sig = await _confirmed(client, tx)
    result = local_node.rpc("getTransaction", [sig, {"encoding": "jsonParsed", "commitment": "confirmed", "maxSupportedTransactionVersion": 0}])["result"]
    (top,) = result["transaction"]["message"]["instructions"]
    assert set(top) == {"accounts", "data", "programId", "stackHeight"} and top["programId"] == str(dep.program_id)
    (inner,) = result["meta"]["innerInstructions"]
    (cpi,) = inner["instructions"]
    assert cpi["program"] == "spl-token" and cpi["stackHeight"] == 2 and cpi["parsed"]["type"] == "transfer"
    info = cpi["parsed"]["info"]
    assert info["source"] == str(tokens) and info["amount"] == "4000000" and info["authority"] == str(kp.pubkey())
    assert set(info) == {"source", "destination", "amount", "authority"}


async def test_json_parsed_without_max_version_is_refused_for_v0_like_json(local_node: LocalNode, client: AsyncClient) -> None:
    tx = await deposit_tx(client, local_node.deployment, 2, 1_000)
    sig = await _confirmed(client, tx)
    reply = local_node.rpc("getTransaction", [sig, {"encoding": "jsonParsed", "commitment": "confirmed"}])
    assert reply["error"]["code"] == -32015


async def test_json_parsed_mint_and_token_account(local_node: LocalNode) -> None:
    dep = local_node.deployment
    raw_mint = _raw(local_node, dep.mint)
    supply = int.from_bytes(raw_mint[36:44], "little")
    freeze = str(Pubkey.from_bytes(raw_mint[50:82])) if raw_mint[46] else None
    value = local_node.rpc("getAccountInfo", [str(dep.mint), {"encoding": "jsonParsed"}])["result"]["value"]
    assert value["data"] == {"program": "spl-token", "space": 82, "parsed": {"type": "mint", "info": {
        "decimals": 6, "freezeAuthority": freeze, "isInitialized": True,
        "mintAuthority": str(dep.wallets["mint-authority"].pubkey()), "supply": str(supply)}}}
    assert value["owner"] == str(TOKEN_PROGRAM_ID) and value["space"] == 82

    kp, _, tokens = user(dep, 2)
    amount = int.from_bytes(_raw(local_node, tokens)[64:72], "little")
    value = local_node.rpc("getMultipleAccounts", [[str(tokens)], {"encoding": "jsonParsed"}])["result"]["value"][0]
    whole, frac = divmod(amount, 10**6)
    assert value["data"] == {"program": "spl-token", "space": 165, "parsed": {"type": "account", "info": {
        "isNative": False, "mint": str(dep.mint), "owner": str(kp.pubkey()), "state": "initialized",
        "tokenAmount": {"amount": str(amount), "decimals": 6, "uiAmount": amount / 1e6,
                        "uiAmountString": f"{whole}.{frac:06d}".rstrip("0").rstrip(".")}}}}


async def test_json_parsed_falls_back_to_base64_for_other_accounts(local_node: LocalNode) -> None:
    dep = local_node.deployment
    value = local_node.rpc("getAccountInfo", [str(dep.exchange), {"encoding": "jsonParsed"}])["result"]["value"]
    data, enc = value["data"]
    assert enc == "base64" and base64.b64decode(data) == _raw(local_node, dep.exchange)


@pytest.mark.filterwarnings("ignore:websockets.legacy is deprecated:DeprecationWarning")
async def test_json_parsed_account_notification_carries_the_mints_decimals(client: AsyncClient, local_node: LocalNode) -> None:
    """accountSubscribe with jsonParsed notifies a token account as getAccountInfo serves it: parsed, with the
    mint's 6 decimals (a deposit moves the user's tokens into the vault)."""
    dep = local_node.deployment
    kp, _, tokens = user(dep, 1)
    async with websockets.connect(local_node.ws_url) as ws:
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "accountSubscribe",
                                  "params": [str(tokens), {"encoding": "jsonParsed", "commitment": "processed"}]}))
        async with asyncio.timeout(5):
            sub = json.loads(await ws.recv())["result"]
        await _confirmed(client, await deposit_tx(client, dep, 1, 1_000_000))
        note = None
        async with asyncio.timeout(5):
            for _ in range(200):
                msg = json.loads(await ws.recv())
                if msg.get("method") == "accountNotification" and msg["params"]["subscription"] == sub:
                    note = msg["params"]["result"]["value"]
                    break
    assert note is not None
    amount = int.from_bytes(_raw(local_node, tokens)[64:72], "little")
    assert note["data"]["program"] == "spl-token" and note["data"]["parsed"]["type"] == "account"
    info = note["data"]["parsed"]["info"]
    assert info["mint"] == str(dep.mint) and info["owner"] == str(kp.pubkey())
    assert info["tokenAmount"]["decimals"] == 6 and info["tokenAmount"]["amount"] == str(amount)
