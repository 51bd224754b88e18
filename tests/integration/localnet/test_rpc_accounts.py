"""Account and chain-state methods through solana-py's AsyncClient against the running node."""

from __future__ import annotations

import base64

from solana.rpc.async_api import AsyncClient
from solana.rpc.types import DataSliceOpts, MemcmpOpts
from solders.pubkey import Pubkey

from localnet.deployment import BootstrapPlan
from programs_client.perp.accounts import Exchange, User
from programs_client.perp.constants import QUOTE_PRECISION as QUOTE
from tests.integration.localnet.conftest import LocalNode
from tests.integration.localnet.helpers import user


async def test_get_account_info_returns_the_exchange_in_base64(client: AsyncClient, local_node: LocalNode) -> None:
    dep = local_node.deployment
    resp = await client.get_account_info(dep.exchange, commitment="processed")
    acc = resp.value
    assert acc is not None and acc.owner == dep.program_id and not acc.executable
    state = Exchange.decode(bytes(acc.data))
    assert state.collateral_mint == dep.mint and state.market_count == len(BootstrapPlan().markets)
    assert resp.context.slot >= 0


async def test_get_account_info_shape_matches_a_validator(local_node: LocalNode) -> None:
    dep = local_node.deployment
    reply = local_node.rpc("getAccountInfo", [str(dep.exchange), {"encoding": "base64", "commitment": "processed"}])
    result = reply["result"]
    assert set(result["context"]) == {"slot", "apiVersion"}
    assert set(result["value"]) == {"data", "executable", "lamports", "owner", "rentEpoch", "space"}
    data, enc = result["value"]["data"]
    assert enc == "base64" and len(base64.b64decode(data)) == result["value"]["space"]


async def test_missing_account_is_null_and_balance_zero(client: AsyncClient) -> None:
    nobody = Pubkey.new_unique()
    assert (await client.get_account_info(nobody)).value is None
    assert (await client.get_balance(nobody)).value == 0


async def test_data_slice_and_base58(local_node: LocalNode) -> None:
    dep = local_node.deployment
    sliced = local_node.rpc("getAccountInfo", [str(dep.exchange), {"encoding": "base64", "dataSlice": {"offset": 0, "length": 8}}])
    assert base64.b64decode(sliced["result"]["value"]["data"][0]) == Exchange.discriminator
    b58 = local_node.rpc("getAccountInfo", [str(dep.exchange), {"encoding": "base58", "dataSlice": {"offset": 8, "length": 32}}])
    assert b58["result"]["value"]["data"] == [str(Pubkey.from_bytes(bytes(Exchange.decode(_raw(local_node, dep.exchange)).admin))), "base58"]
    too_big = local_node.rpc("getAccountInfo", [str(dep.exchange), {"encoding": "base58"}])
    assert too_big["error"]["code"] == -32600 and "base 58" in too_big["error"]["message"]


def _raw(local_node: LocalNode, address: Pubkey) -> bytes:
    return base64.b64decode(local_node.rpc("getAccountInfo", [str(address), {"encoding": "base64"}])["result"]["value"]["data"][0])


async def test_json_parsed_token_account(local_node: LocalNode, client: AsyncClient) -> None:
    _, _, tokens = user(local_node.deployment, 0)
    reply = local_node.rpc("getAccountInfo", [str(tokens), {"encoding": "jsonParsed"}])
    parsed = reply["result"]["value"]["data"]
    assert parsed["program"] == "spl-token" and parsed["parsed"]["type"] == "account"
    assert parsed["parsed"]["info"]["mint"] == str(local_node.deployment.mint)
    balance = (await client.get_token_account_balance(tokens)).value
    assert balance.decimals == 6 and int(balance.amount) == BootstrapPlan().user_tokens - BootstrapPlan().user_deposit
    assert parsed["parsed"]["info"]["tokenAmount"]["amount"] == balance.amount


async def test_get_multiple_accounts(client: AsyncClient, local_node: LocalNode) -> None:
    dep = local_node.deployment
    keys = [dep.exchange, Pubkey.new_unique(), dep.markets[0].address]
    values = (await client.get_multiple_accounts(keys)).value
    assert values[0] is not None and values[1] is None and values[2] is not None
    assert values[2].owner == dep.program_id


async def test_get_program_accounts_with_memcmp_and_data_size(client: AsyncClient, local_node: LocalNode) -> None:
    dep = local_node.deployment
    kp, margin, _ = user(dep, 1)
    user_len = len(_raw(local_node, margin))
    every = (await client.get_program_accounts(dep.program_id, encoding="base64")).value
    users = (await client.get_program_accounts(
        dep.program_id, encoding="base64", filters=[user_len, MemcmpOpts(offset=0, bytes=_b58(User.discriminator))])).value
    assert len(users) == 3 and len(every) >= 3 + 1 + len(dep.markets)
    mine = (await client.get_program_accounts(
        dep.program_id, encoding="base64", filters=[MemcmpOpts(offset=8, bytes=str(kp.pubkey()))])).value
    assert [a.pubkey for a in mine] == [margin]
    assert User.decode(bytes(mine[0].account.data)).authority == kp.pubkey()
    sliced = (await client.get_program_accounts(dep.program_id, encoding="base64", data_slice=DataSliceOpts(0, 40),
                                                filters=[user_len, MemcmpOpts(offset=0, bytes=_b58(User.discriminator))])).value
    assert sorted(bytes(a.account.data)[8:] for a in sliced) == sorted(bytes(u.account.data)[8:40] for u in users)
    assert all(len(a.account.data) == 40 for a in sliced)


def _b58(data: bytes) -> str:
    from localnet.rpc.encoding import b58encode

    return b58encode(data)


async def test_get_program_accounts_with_context_and_base64_memcmp(local_node: LocalNode) -> None:
    dep = local_node.deployment
    flt = {"memcmp": {"offset": 0, "bytes": base64.b64encode(User.discriminator).decode(), "encoding": "base64"}}
    reply = local_node.rpc("getProgramAccounts", [str(dep.program_id), {"encoding": "base64", "withContext": True, "filters": [flt]}])
    assert set(reply["result"]) == {"context", "value"} and len(reply["result"]["value"]) == 3
    assert set(reply["result"]["value"][0]) == {"account", "pubkey"}


async def test_slots_blockhash_epoch_and_node_info(client: AsyncClient, local_node: LocalNode) -> None:
    processed = (await client.get_slot("processed")).value
    finalized = (await client.get_slot("finalized")).value
    assert finalized <= processed
    assert (await client.get_block_height("processed")).value >= processed - 1
    bh = (await client.get_latest_blockhash("processed")).value
    assert bh.last_valid_block_height >= processed + 149
    valid = local_node.rpc("isBlockhashValid", [str(bh.blockhash), {"commitment": "processed"}])["result"]
    assert valid["value"] is True and set(valid["context"]) == {"slot", "apiVersion"}
    assert local_node.rpc("isBlockhashValid", [str(Pubkey.new_unique())])["result"]["value"] is False
    info = (await client.get_epoch_info("processed")).value
    assert info.absolute_slot >= processed and info.slots_in_epoch > info.slot_index
    assert (await client.get_version()).value.solana_core
    assert local_node.rpc("getHealth") == {"jsonrpc": "2.0", "result": "ok", "id": 1}
    assert (await client.get_minimum_balance_for_rent_exemption(165)).value == 2039280
    assert local_node.rpc("getGenesisHash")["result"]


async def test_slots_advance_in_real_time_with_the_clock(client: AsyncClient, local_node: LocalNode) -> None:
    import asyncio

    first = (await client.get_slot("processed")).value
    await asyncio.sleep(0.3)
    later = (await client.get_slot("processed")).value
    assert later >= first + 3  # 50 ms slots
    clock_slot = local_node.thread.call(lambda: local_node.node.chain.svm.get_clock().slot)
    assert clock_slot >= later


async def test_min_context_slot_not_reached(local_node: LocalNode) -> None:
    reply = local_node.rpc("getBalance", [str(local_node.deployment.exchange), {"minContextSlot": 10**12}])
    assert reply["error"]["code"] == -32016 and "contextSlot" in reply["error"]["data"]


async def test_collateral_deposited_by_bootstrap(client: AsyncClient, local_node: LocalNode) -> None:
    _, margin, _ = user(local_node.deployment, 2)
    acc = (await client.get_account_info(margin, commitment="processed")).value
    assert acc is not None and User.decode(bytes(acc.data)).collateral == 1_000 * QUOTE
