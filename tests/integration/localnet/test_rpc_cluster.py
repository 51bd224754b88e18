"""Cluster methods answered as a one-node test validator, through solana-py's AsyncClient and raw JSON."""

from __future__ import annotations

import json

import pytest
from solana.rpc.async_api import AsyncClient
from solders.pubkey import Pubkey

from tests.integration.localnet.conftest import LocalNode

VOTE_PROGRAM = Pubkey.from_string("Vote111111111111111111111111111111111111111")
SLOTS_PER_YEAR = 365.242199 * 24 * 3600 * 2.5  # 2.5 slots per second in Agave's inflation year


def _identity(local_node: LocalNode) -> str:
    return local_node.rpc("getIdentity")["result"]["identity"]


async def test_epoch_schedule_and_inflation(client: AsyncClient, local_node: LocalNode) -> None:
    schedule = local_node.rpc("getEpochSchedule")["result"]
    # Agave's default schedule with warm-up: 432,000 slots, epochs doubling from 32 slots until epoch 14
    assert schedule == {"firstNormalEpoch": 14, "firstNormalSlot": 524_256, "leaderScheduleSlotOffset": 432_000,
                        "slotsPerEpoch": 432_000, "warmup": True}
    assert (await client.get_epoch_schedule()).value.slots_per_epoch == 432_000
    governor = local_node.rpc("getInflationGovernor")["result"]
    assert governor == {"initial": 0.08, "terminal": 0.015, "taper": 0.15, "foundation": 0.05, "foundationTerm": 7.0}
    assert (await client.get_inflation_governor()).value.foundation_term == 7.0
    rate = local_node.rpc("getInflationRate")["result"]
    epoch = local_node.rpc("getEpochInfo", [{"commitment": "processed"}])["result"]["epoch"]
    assert rate["epoch"] in (epoch, epoch + 1)
    first_slot = 32 * (2 ** rate["epoch"] - 1)  # warm-up epochs hold 32, 64, 128, ... slots
    total = 0.08 * 0.85 ** (first_slot / SLOTS_PER_YEAR)
    assert rate["total"] == pytest.approx(total, rel=1e-12)
    assert rate["foundation"] == pytest.approx(total * 0.05, rel=1e-12)
    assert rate["validator"] == pytest.approx(total * 0.95, rel=1e-12)
    assert (await client.get_inflation_rate()).value.total == pytest.approx(total, rel=1e-9)


async def test_inflation_reward_is_null_once_the_epoch_boundary_is_confirmed(local_node: LocalNode) -> None:
    key = str(Pubkey.new_unique())
    pending = local_node.rpc("getInflationReward", [[key], {"epoch": 1000}])["error"]
    first_of_1001 = 524_256 + (1001 - 14) * 432_000
    assert pending == {"code": -32004, "message": f"Block not available for slot {first_of_1001}"}
    epoch0 = local_node.rpc("getInflationReward", [[key, key], {"epoch": 0}])
    if "error" in epoch0:  # slot 32 (first of epoch 1) not finalized yet on a young node
        assert epoch0["error"]["code"] == -32004
    else:
        assert epoch0["result"] == [None, None]
    assert local_node.rpc("getInflationReward", [["bad"]])["error"]["code"] == -32602
    assert local_node.rpc("getInflationReward", [])["error"]["code"] == -32602


async def test_supply_and_largest_accounts(client: AsyncClient, local_node: LocalNode) -> None:
    supply = local_node.rpc("getSupply", [{"commitment": "processed"}])["result"]["value"]
    assert set(supply) == {"total", "circulating", "nonCirculating", "nonCirculatingAccounts"}
    assert supply["total"] == supply["circulating"] > 0 and supply["nonCirculating"] == 0
    assert supply["nonCirculatingAccounts"] == []
    assert (await client.get_supply()).value.total > 0
    largest = local_node.rpc("getLargestAccounts", [{"commitment": "processed"}])["result"]["value"]
    assert 0 < len(largest) <= 20 and all(set(a) == {"address", "lamports"} for a in largest)
    lamports = [a["lamports"] for a in largest]
    assert lamports == sorted(lamports, reverse=True)
    faucet = local_node.node.chain.faucet.pubkey()
    assert largest[0]["address"] == str(faucet)  # the faucet holds 50,000 SOL
    assert (await client.get_largest_accounts()).value[0].lamports > 0
    assert local_node.rpc("getLargestAccounts", [{"filter": "nonCirculating"}])["result"]["value"] == []
    assert local_node.rpc("getLargestAccounts", [{"filter": "other"}])["error"]["code"] == -32602
    minimum = local_node.rpc("getStakeMinimumDelegation")["result"]
    assert set(minimum) == {"context", "value"} and minimum["value"] == 1_000_000_000


async def test_the_node_is_the_only_leader(client: AsyncClient, local_node: LocalNode) -> None:
    me = _identity(local_node)
    assert local_node.rpc("getSlotLeader")["result"] == me
    assert str((await client.get_slot_leader()).value) == me
    assert local_node.rpc("getSlotLeaders", [0, 3])["result"] == [me, me, me]
    assert local_node.rpc("getSlotLeaders", [0, 5001])["error"] == {"code": -32602, "message": "Invalid limit; max 5000"}
    assert local_node.rpc("getSlotLeaders", [10**12, 1])["error"]["code"] == -32602  # beyond the known schedule
    assert local_node.rpc("getSlotLeaders", [0])["error"]["code"] == -32602
    epoch0 = local_node.rpc("getLeaderSchedule", [0])["result"]
    assert epoch0 == {me: list(range(32))}  # epoch 0 of the warm-up holds 32 slots
    assert local_node.rpc("getLeaderSchedule", [0, {"identity": str(Pubkey.new_unique())}])["result"] == {}
    assert local_node.rpc("getLeaderSchedule", [10**12])["result"] is None
    assert local_node.rpc("getLeaderSchedule", [{"identity": me}])["result"] is not None
    typed = (await client.get_leader_schedule(0)).value
    assert {str(k): list(v) for k, v in typed.items()} == {me: list(range(32))}


async def test_cluster_nodes_and_vote_account(client: AsyncClient, local_node: LocalNode) -> None:
    me = _identity(local_node)
    (node,) = local_node.rpc("getClusterNodes")["result"]
    host_port = local_node.rpc_url.removeprefix("http://")
    assert node["pubkey"] == me and node["rpc"] == host_port
    assert node["pubsub"] == local_node.ws_url.removeprefix("ws://") and node["gossip"] is None
    (typed,) = (await client.get_cluster_nodes()).value
    parsed = json.loads(typed.to_json())  # solders exposes the parsed contact info only as JSON
    assert parsed["pubkey"] == me and parsed["rpc"] == host_port
    votes = local_node.rpc("getVoteAccounts")["result"]
    assert votes["delinquent"] == []
    (vote,) = votes["current"]
    assert set(vote) == {"votePubkey", "nodePubkey", "activatedStake", "epochVoteAccount", "commission", "lastVote",
                         "epochCredits", "rootSlot"}
    assert vote["nodePubkey"] == me and vote["epochVoteAccount"] is True and vote["activatedStake"] > 0
    assert vote["votePubkey"] == str(Pubkey.create_with_seed(Pubkey.from_string(me), "vote", VOTE_PROGRAM))
    assert vote["rootSlot"] <= vote["lastVote"]
    assert all(len(c) == 3 and c[1] >= c[2] for c in vote["epochCredits"])
    assert (await client.get_vote_accounts()).value.current[0].activated_stake == vote["activatedStake"]
    other = local_node.rpc("getVoteAccounts", [{"votePubkey": str(Pubkey.new_unique())}])["result"]
    assert other == {"current": [], "delinquent": []}
    total = local_node.rpc("getBlockCommitment", [0])["result"]["totalStake"]
    assert total == vote["activatedStake"]


def test_node_progress_and_snapshots(local_node: LocalNode) -> None:
    before = local_node.rpc("getSlot", [{"commitment": "processed"}])["result"]
    for method in ("getMaxRetransmitSlot", "getMaxShredInsertSlot"):
        got = local_node.rpc(method)["result"]
        assert isinstance(got, int) and got >= before
    assert local_node.rpc("getHighestSnapshotSlot")["error"] == {"code": -32008, "message": "No snapshot"}
    assert local_node.rpc("getMaxRetransmitSlot", [1])["error"]["code"] == -32602
    assert local_node.rpc("getEpochSchedule", [{}])["error"]["code"] == -32602


async def test_supply_counts_litesvm_programs_and_only_fees_leave_it(client: AsyncClient, local_node: LocalNode) -> None:
    """The supply includes the SPL programs and sysvars LiteSVM creates itself, and a transfer changes it
    by its fee alone (5,000 lamports, burnt: no validator collects it on this node)."""
    from solders.keypair import Keypair
    from solders.system_program import TransferParams, transfer

    from tests.integration.localnet.helpers import signed, user

    def total() -> int:
        return local_node.rpc("getSupply", [{"commitment": "processed"}])["result"]["value"]["total"]

    programs = ["TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA", "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb",
                "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL", "SysvarC1ock11111111111111111111111111111111"]
    balances = [local_node.rpc("getBalance", [p])["result"]["value"] for p in programs]
    assert all(b > 0 for b in balances)
    faucet = local_node.node.chain.faucet.pubkey()
    assert total() >= local_node.rpc("getBalance", [str(faucet)])["result"]["value"] + sum(balances)
    before = total()
    kp, _, _ = user(local_node.deployment, 2)
    blockhash = (await client.get_latest_blockhash("processed")).value.blockhash
    tx = signed(kp, [transfer(TransferParams(from_pubkey=kp.pubkey(), to_pubkey=Keypair().pubkey(), lamports=7_000_000))],
                blockhash)
    await client.send_transaction(tx)
    assert before - total() == 5000
