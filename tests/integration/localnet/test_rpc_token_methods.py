"""getTokenSupply, getTokenLargestAccounts, getTokenAccountsByOwner and getTokenAccountsByDelegate over HTTP,
through solana-py where it has the method; shapes and -32602 messages from Agave's ``rpc/src/rpc.rs``."""

from __future__ import annotations

import asyncio
import base64

from solana.rpc.async_api import AsyncClient
from solana.rpc.types import DataSliceOpts, TokenAccountOpts
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, create_account
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.instructions import (
    ApproveParams,
    InitializeMintParams,
    MintToCheckedParams,
    approve,
    create_idempotent_associated_token_account,
    get_associated_token_address,
    initialize_mint,
    mint_to_checked,
)

from localnet.deployment import BootstrapPlan
from localnet.spl_token import TOKEN_2022_PROGRAM_ID
from tests.integration.localnet.conftest import LocalNode
from tests.integration.localnet.helpers import signed, user


def _raw(local_node: LocalNode, address: Pubkey) -> bytes:
    reply = local_node.rpc("getAccountInfo", [str(address), {"encoding": "base64", "commitment": "processed"}])
    return base64.b64decode(reply["result"]["value"]["data"][0])


def _amount(amount: int) -> dict:
    """UiTokenAmount of a 6-decimal raw amount, written out independently of the node's helper."""
    text = str(amount).rjust(7, "0")
    text = (text[:-6] + "." + text[-6:]).rstrip("0").rstrip(".")
    return {"amount": str(amount), "decimals": 6, "uiAmount": amount / 10**6, "uiAmountString": text}


def _users(local_node: LocalNode) -> int:
    return sum(1 for name in local_node.deployment.user_accounts if name.startswith("user-") and name.endswith("-tokens"))


def _error(reply: dict) -> tuple[int, str]:
    return reply["error"]["code"], reply["error"]["message"]


async def test_token_supply_is_the_mints_supply(client: AsyncClient, local_node: LocalNode) -> None:
    dep = local_node.deployment
    supply = int.from_bytes(_raw(local_node, dep.mint)[36:44], "little")
    assert supply == _users(local_node) * BootstrapPlan().user_tokens
    reply = local_node.rpc("getTokenSupply", [str(dep.mint), {"commitment": "confirmed"}])["result"]
    assert set(reply["context"]) == {"slot", "apiVersion"}
    assert reply["value"] == _amount(supply)
    typed = (await client.get_token_supply(dep.mint)).value
    assert typed.amount == str(supply) and typed.decimals == 6


def test_token_supply_errors(local_node: LocalNode) -> None:
    dep = local_node.deployment
    assert _error(local_node.rpc("getTokenSupply", [str(Pubkey.new_unique())])) == (-32602, "Invalid param: could not find account")
    assert _error(local_node.rpc("getTokenSupply", [str(dep.exchange)])) == (-32602, "Invalid param: not a Token mint")
    _, _, tokens = user(dep, 0)
    assert _error(local_node.rpc("getTokenSupply", [str(tokens)])) == (-32602, "Invalid param: mint could not be unpacked")
    assert local_node.rpc("getTokenSupply", ["not-a-key"])["error"]["code"] == -32602
    assert local_node.rpc("getTokenSupply", [])["error"]["code"] == -32602


async def test_largest_accounts_are_sorted_by_amount(client: AsyncClient, local_node: LocalNode) -> None:
    dep = local_node.deployment
    plan, users = BootstrapPlan(), _users(local_node)
    expected = {str(user(dep, i)[2]): int.from_bytes(_raw(local_node, user(dep, i)[2])[64:72], "little") for i in range(users)}
    reply = local_node.rpc("getTokenLargestAccounts", [str(dep.mint)])["result"]
    value = reply["value"]
    assert all(set(v) == {"address", "amount", "decimals", "uiAmount", "uiAmountString"} for v in value)
    amounts = [int(v["amount"]) for v in value]
    assert amounts == sorted(amounts, reverse=True) and len(value) <= 20
    by_address = {v["address"]: v for v in value}
    for address, amount in expected.items():
        assert by_address[address] == {"address": address, **_amount(amount)}
    vault = next(v for v in value if v["address"] not in expected)  # the exchange's collateral vault holds the deposits
    assert int(vault["amount"]) >= users * plan.user_deposit
    typed = (await client.get_token_largest_accounts(dep.mint)).value
    assert [str(t.address) for t in typed] == [v["address"] for v in value]
    assert _error(local_node.rpc("getTokenLargestAccounts", [str(Pubkey.new_unique())])) == (-32602, "Invalid param: could not find mint")


async def test_accounts_by_owner_json_parsed_through_solana_py(client: AsyncClient, local_node: LocalNode) -> None:
    dep = local_node.deployment
    kp, _, tokens = user(dep, 0)
    amount = int.from_bytes(_raw(local_node, tokens)[64:72], "little")
    resp = await client.get_token_accounts_by_owner_json_parsed(kp.pubkey(), TokenAccountOpts(mint=dep.mint))
    (keyed,) = resp.value
    assert keyed.pubkey == tokens and keyed.account.owner == TOKEN_PROGRAM_ID
    parsed = keyed.account.data.parsed
    assert keyed.account.data.program == "spl-token" and keyed.account.data.space == 165
    assert parsed == {"type": "account", "info": {"isNative": False, "mint": str(dep.mint), "owner": str(kp.pubkey()),
                                                  "state": "initialized", "tokenAmount": _amount(amount)}}
    by_program = await client.get_token_accounts_by_owner_json_parsed(kp.pubkey(), TokenAccountOpts(program_id=TOKEN_PROGRAM_ID))
    assert [k.pubkey for k in by_program.value] == [tokens]
    none = await client.get_token_accounts_by_owner_json_parsed(Keypair().pubkey(), TokenAccountOpts(mint=dep.mint))
    assert none.value == []
    assert (await client.get_token_accounts_by_owner_json_parsed(kp.pubkey(), TokenAccountOpts(program_id=TOKEN_2022_PROGRAM_ID))).value == []


async def test_accounts_by_owner_base64_and_data_slice(client: AsyncClient, local_node: LocalNode) -> None:
    dep = local_node.deployment
    kp, _, tokens = user(dep, 1)
    resp = await client.get_token_accounts_by_owner(kp.pubkey(), TokenAccountOpts(mint=dep.mint, data_slice=DataSliceOpts(32, 32)))
    (keyed,) = resp.value
    assert keyed.pubkey == tokens and bytes(keyed.account.data) == bytes(kp.pubkey())
    reply = local_node.rpc("getTokenAccountsByOwner", [str(kp.pubkey()), {"programId": str(TOKEN_PROGRAM_ID)},
                                                      {"encoding": "base64", "commitment": "processed"}])["result"]
    (entry,) = reply["value"]
    assert set(entry) == {"account", "pubkey"} and entry["pubkey"] == str(tokens)
    assert base64.b64decode(entry["account"]["data"][0]) == _raw(local_node, tokens)
    ahead = local_node.rpc("getTokenAccountsByOwner", [str(kp.pubkey()), {"mint": str(dep.mint)}, {"minContextSlot": 10**9}])
    assert ahead["error"]["code"] == -32016


def test_accounts_by_owner_errors(local_node: LocalNode) -> None:
    dep = local_node.deployment
    owner = str(user(dep, 0)[0].pubkey())
    cases = [
        ([owner, {"programId": str(dep.program_id)}], "Invalid param: unrecognized Token program id"),
        ([owner, {"mint": str(Pubkey.new_unique())}], "Invalid param: could not find mint"),
        ([owner, {"mint": str(dep.exchange)}], "Invalid param: mint could not be unpacked"),
    ]
    for params, message in cases:
        assert _error(local_node.rpc("getTokenAccountsByOwner", params)) == (-32602, message)
    for bad in ([owner], [owner, {}], [owner, {"mint": str(dep.mint), "programId": str(TOKEN_PROGRAM_ID)}],
                [owner, {"owner": owner}], ["xyz", {"mint": str(dep.mint)}], [owner, {"mint": str(dep.mint)}, {"encoding": "hex"}]):
        assert local_node.rpc("getTokenAccountsByOwner", bad)["error"]["code"] == -32602, bad


async def test_accounts_by_delegate_after_an_approve(client: AsyncClient, local_node: LocalNode) -> None:
    dep = local_node.deployment
    kp, _, tokens = user(dep, 2)
    delegate = Keypair().pubkey()
    blockhash = (await client.get_latest_blockhash("processed")).value.blockhash
    tx = signed(kp, [approve(ApproveParams(program_id=TOKEN_PROGRAM_ID, source=tokens, delegate=delegate, owner=kp.pubkey(),
                                           amount=1_500_000))], blockhash)
    sig = (await client.send_transaction(tx)).value
    await asyncio.wait_for(client.confirm_transaction(sig, "confirmed", sleep_seconds=0.05), 10)

    resp = await client.get_token_accounts_by_delegate_json_parsed(delegate, TokenAccountOpts(mint=dep.mint), "processed")
    (keyed,) = resp.value
    info = keyed.account.data.parsed["info"]
    assert keyed.pubkey == tokens
    assert info["delegate"] == str(delegate) and info["delegatedAmount"] == _amount(1_500_000)
    assert info["owner"] == str(kp.pubkey())
    assert (await client.get_token_accounts_by_delegate_json_parsed(Keypair().pubkey(), TokenAccountOpts(mint=dep.mint))).value == []
    assert _error(local_node.rpc("getTokenAccountsByDelegate", [str(delegate), {"programId": str(Pubkey.new_unique())}])) == (
        -32602, "Invalid param: unrecognized Token program id")

    # the approve itself, parsed
    result = local_node.rpc("getTransaction", [str(sig), {"encoding": "jsonParsed", "commitment": "confirmed",
                                                          "maxSupportedTransactionVersion": 0}])["result"]
    (ix,) = result["transaction"]["message"]["instructions"]
    assert ix["parsed"] == {"type": "approve", "info": {"source": str(tokens), "delegate": str(delegate),
                                                        "owner": str(kp.pubkey()), "amount": "1500000"}}


async def test_token_2022_mint_and_account_with_immutable_owner(client: AsyncClient, local_node: LocalNode) -> None:
    dep = local_node.deployment
    kp = user(dep, 0)[0]
    payer = kp.pubkey()
    mint, mint_authority = Keypair(), Keypair()
    rent = (await client.get_minimum_balance_for_rent_exemption(82)).value
    ata = get_associated_token_address(payer, mint.pubkey(), TOKEN_2022_PROGRAM_ID)
    ixs = [
        create_account(CreateAccountParams(from_pubkey=payer, to_pubkey=mint.pubkey(), lamports=rent, space=82,
                                           owner=TOKEN_2022_PROGRAM_ID)),
        initialize_mint(InitializeMintParams(decimals=2, mint=mint.pubkey(), mint_authority=mint_authority.pubkey(),
                                             program_id=TOKEN_2022_PROGRAM_ID)),
        create_idempotent_associated_token_account(payer, payer, mint.pubkey(), TOKEN_2022_PROGRAM_ID),
        mint_to_checked(MintToCheckedParams(program_id=TOKEN_2022_PROGRAM_ID, mint=mint.pubkey(), dest=ata,
                                            mint_authority=mint_authority.pubkey(), amount=12_345, decimals=2)),
    ]
    blockhash = (await client.get_latest_blockhash("processed")).value.blockhash
    sig = (await client.send_transaction(signed(kp, ixs, blockhash, [mint, mint_authority]))).value
    await asyncio.wait_for(client.confirm_transaction(sig, "confirmed", sleep_seconds=0.05), 10)

    amount = {"amount": "12345", "decimals": 2, "uiAmount": 123.45, "uiAmountString": "123.45"}
    mint_value = local_node.rpc("getAccountInfo", [str(mint.pubkey()), {"encoding": "jsonParsed"}])["result"]["value"]
    assert mint_value["data"] == {"program": "spl-token-2022", "space": 82, "parsed": {"type": "mint", "info": {
        "decimals": 2, "freezeAuthority": None, "isInitialized": True, "mintAuthority": str(mint_authority.pubkey()),
        "supply": "12345"}}}
    reply = local_node.rpc("getTokenAccountsByOwner", [str(payer), {"programId": str(TOKEN_2022_PROGRAM_ID)},
                                                      {"encoding": "jsonParsed", "commitment": "processed"}])["result"]
    (entry,) = reply["value"]
    space = len(_raw(local_node, ata))
    assert space > 165  # the associated token program gives Token-2022 accounts the ImmutableOwner extension
    assert entry == {"pubkey": str(ata), "account": {**entry["account"], "data": {
        "program": "spl-token-2022", "space": space, "parsed": {"type": "account", "info": {
            "isNative": False, "mint": str(mint.pubkey()), "owner": str(payer), "state": "initialized", "tokenAmount": amount,
            "extensions": [{"extension": "immutableOwner"}]}}}}}
    assert entry["account"]["owner"] == str(TOKEN_2022_PROGRAM_ID) and entry["account"]["space"] == space
    assert local_node.rpc("getTokenSupply", [str(mint.pubkey())])["result"]["value"] == amount
    largest = local_node.rpc("getTokenLargestAccounts", [str(mint.pubkey())])["result"]["value"]
    assert largest == [{"address": str(ata), **amount}]

    parsed = local_node.rpc("getTransaction", [str(sig), {"encoding": "jsonParsed", "commitment": "confirmed",
                                                          "maxSupportedTransactionVersion": 0}])["result"]
    top = parsed["transaction"]["message"]["instructions"]
    assert [i["parsed"]["type"] for i in top] == ["createAccount", "initializeMint", "createIdempotent", "mintToChecked"]
    assert top[3]["program"] == "spl-token" and top[3]["programId"] == str(TOKEN_2022_PROGRAM_ID)
    assert top[3]["parsed"]["info"] == {"mint": str(mint.pubkey()), "account": str(ata), "mintAuthority": str(mint_authority.pubkey()),
                                        "tokenAmount": amount}
