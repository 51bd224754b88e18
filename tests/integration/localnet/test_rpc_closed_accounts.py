"""A closed account does not exist: null in account reads, absent from program scans, notified as a
zero-lamport System account (as Agave's accounts DB and pubsub have it). Through solana-py's AsyncClient."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from solana.rpc.async_api import AsyncClient
from solana.rpc.types import MemcmpOpts
from solders.keypair import Keypair
from solders.system_program import CreateAccountParams, TransferParams, create_account, transfer
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.instructions import CloseAccountParams, InitializeAccountParams, close_account, initialize_account

from tests.integration.localnet.conftest import LocalNode
from tests.integration.localnet.helpers import signed, user

TIMEOUT_S = 5.0
TOKEN_ACCOUNT_SIZE = 165
SYSTEM_PROGRAM = "11111111111111111111111111111111"
pytestmark = pytest.mark.filterwarnings("ignore:websockets.legacy is deprecated:DeprecationWarning")


async def _land(client: AsyncClient, tx) -> None:
    sig = (await client.send_transaction(tx)).value
    await asyncio.wait_for(client.confirm_transaction(sig, "processed", sleep_seconds=0.05), 10)
    status = (await client.get_signature_statuses([sig])).value[0]
    assert status is not None and status.err is None


async def _next_notification(ws, sub: int) -> dict:
    async with asyncio.timeout(TIMEOUT_S):
        for _ in range(200):
            msg = json.loads(await ws.recv())
            if msg.get("method") == "accountNotification" and msg["params"]["subscription"] == sub:
                return msg["params"]["result"]
    raise AssertionError("no account notification")


async def test_closed_token_account_is_null_everywhere(client: AsyncClient, local_node: LocalNode) -> None:
    dep = local_node.deployment
    kp, _, _ = user(dep, 0)
    account = Keypair()
    rent = (await client.get_minimum_balance_for_rent_exemption(TOKEN_ACCOUNT_SIZE)).value
    blockhash = (await client.get_latest_blockhash("processed")).value.blockhash
    await _land(client, signed(kp, [
        create_account(CreateAccountParams(from_pubkey=kp.pubkey(), to_pubkey=account.pubkey(), lamports=rent,
                                           space=TOKEN_ACCOUNT_SIZE, owner=TOKEN_PROGRAM_ID)),
        initialize_account(InitializeAccountParams(program_id=TOKEN_PROGRAM_ID, account=account.pubkey(),
                                                   mint=dep.mint, owner=kp.pubkey())),
    ], blockhash, [account]))
    before = (await client.get_account_info(account.pubkey(), "processed")).value
    assert before is not None and before.owner == TOKEN_PROGRAM_ID and before.lamports == rent
    by_owner = MemcmpOpts(offset=32, bytes=str(kp.pubkey()))
    scan = (await client.get_program_accounts(TOKEN_PROGRAM_ID, "processed", encoding="base64", filters=[TOKEN_ACCOUNT_SIZE, by_owner])).value
    assert account.pubkey() in [a.pubkey for a in scan]

    async with websockets.connect(local_node.ws_url) as ws:
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "accountSubscribe",
                                  "params": [str(account.pubkey()), {"encoding": "base64", "commitment": "processed"}]}))
        async with asyncio.timeout(TIMEOUT_S):
            sub = json.loads(await ws.recv())["result"]
        blockhash = (await client.get_latest_blockhash("processed")).value.blockhash
        await _land(client, signed(kp, [close_account(CloseAccountParams(
            program_id=TOKEN_PROGRAM_ID, account=account.pubkey(), dest=kp.pubkey(), owner=kp.pubkey()))], blockhash))
        note = await _next_notification(ws, sub)
    assert note["value"] == {"data": ["", "base64"], "executable": False, "lamports": 0, "owner": SYSTEM_PROGRAM,
                             "rentEpoch": 0, "space": 0}

    assert (await client.get_account_info(account.pubkey(), "processed")).value is None
    assert (await client.get_multiple_accounts([account.pubkey(), kp.pubkey()], "processed")).value[0] is None
    assert (await client.get_balance(account.pubkey(), "processed")).value == 0
    raw = local_node.rpc("getAccountInfo", [str(account.pubkey()), {"encoding": "jsonParsed", "commitment": "processed"}])
    assert raw["result"]["value"] is None
    scan = (await client.get_program_accounts(TOKEN_PROGRAM_ID, "processed", encoding="base64", filters=[TOKEN_ACCOUNT_SIZE, by_owner])).value
    assert account.pubkey() not in [a.pubkey for a in scan]
    assert len(scan) >= 1  # the user's own token account is still there


async def test_drained_system_account_is_null(client: AsyncClient, local_node: LocalNode) -> None:
    dep = local_node.deployment
    kp, _, _ = user(dep, 1)
    drained = Keypair()
    blockhash = (await client.get_latest_blockhash("processed")).value.blockhash
    await _land(client, signed(kp, [transfer(TransferParams(from_pubkey=kp.pubkey(), to_pubkey=drained.pubkey(),
                                                            lamports=2_000_000))], blockhash))
    assert (await client.get_account_info(drained.pubkey(), "processed")).value.lamports == 2_000_000
    blockhash = (await client.get_latest_blockhash("processed")).value.blockhash
    await _land(client, signed(kp, [transfer(TransferParams(from_pubkey=drained.pubkey(), to_pubkey=kp.pubkey(),
                                                            lamports=2_000_000))], blockhash, [drained]))
    assert (await client.get_account_info(drained.pubkey(), "processed")).value is None
    values = (await client.get_multiple_accounts([drained.pubkey()], "processed")).value
    assert values == [None]
