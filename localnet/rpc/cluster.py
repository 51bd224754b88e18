"""Cluster methods answered as a one-node test validator answers them.

The node's identity (``getIdentity``, the faucet key) is the only leader, the only cluster node and
the node of the one vote account, which holds all the stake. The epoch schedule is LiteSVM's
(Agave's default, with warm-up), inflation is Agave's ``Inflation::default()``, no staking rewards
are ever paid (getInflationReward answers null per address), and the node takes no snapshots.
Shapes and limits follow Agave's ``rpc.rs`` and ``rpc-client-api`` response types.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from solders.pubkey import Pubkey

from localnet.rpc.blocks import MAX_SIGNATURES_LIMIT, first_available, newest_closed
from localnet.rpc.errors import block_cleaned_up, block_not_available, invalid_params, no_snapshot
from localnet.rpc.methods import FEATURE_SET, SOLANA_CORE_VERSION, NodeContext, bank_slot, context
from localnet.rpc.params import Params, normalize_commitment, opt_bool, opt_uint, parse_pubkey
from localnet.svm import NATIVE_ACCOUNTS

VOTE_PROGRAM_ID = Pubkey.from_string("Vote111111111111111111111111111111111111111")
MAX_LOCKOUT_HISTORY = 32
VALIDATOR_STAKE = 500_000_000_000_000  # lamports staked to the one vote account (all the stake there is)
STAKE_MINIMUM_DELEGATION = 1_000_000_000  # 1 SOL: a test validator activates stake_raise_minimum_delegation_to_1_sol
NUM_LARGEST_ACCOUNTS = 20  # Agave
MAX_GET_SLOT_LEADERS = 5000  # Agave
MAX_EPOCH_CREDITS = 5  # Agave: MAX_RPC_VOTE_ACCOUNT_INFO_EPOCH_CREDITS_HISTORY
SECONDS_PER_YEAR = 365.242_199 * 24.0 * 60.0 * 60.0
SLOTS_PER_YEAR = SECONDS_PER_YEAR * 160 / 64  # Agave: 160 ticks per second, 64 ticks per slot
INFLATION = {"initial": 0.08, "terminal": 0.015, "taper": 0.15, "foundation": 0.05, "foundationTerm": 7.0}


def identity(ctx: NodeContext) -> Pubkey:
    """The node's identity: the only leader and cluster node."""
    return ctx.chain.faucet.pubkey()


def vote_address(identity_key: Pubkey) -> Pubkey:
    """The vote account address of a node with this identity (derived from it with the seed "vote")."""
    return Pubkey.create_with_seed(identity_key, "vote", VOTE_PROGRAM_ID)


def vote_account(ctx: NodeContext) -> Pubkey:
    """The node's vote account address (``vote_address`` of its identity)."""
    return vote_address(identity(ctx))


# -- epochs and inflation ---------------------------------------------------------------------------
def get_epoch_schedule(ctx: NodeContext, raw: Any) -> Any:
    """getEpochSchedule []."""
    Params(raw, 0, 0)
    s = ctx.chain.epoch_schedule
    return {"firstNormalEpoch": s.first_normal_epoch, "firstNormalSlot": s.first_normal_slot,
            "leaderScheduleSlotOffset": s.leader_schedule_slot_offset, "slotsPerEpoch": s.slots_per_epoch,
            "warmup": s.warmup}


def get_inflation_governor(ctx: NodeContext, raw: Any) -> Any:
    """getInflationGovernor [{commitment}]."""
    normalize_commitment(Params(raw, 0, 1).config(0).get("commitment"))
    return dict(INFLATION)


def inflation_rate(epoch_first_slot: int) -> tuple[float, float, float]:
    """Return (total, validator, foundation) of Agave's ``Inflation`` at the year of ``epoch_first_slot``."""
    year = epoch_first_slot / SLOTS_PER_YEAR
    total = max(INFLATION["initial"] * (1.0 - INFLATION["taper"]) ** year, INFLATION["terminal"])
    foundation = total * INFLATION["foundation"] if year < INFLATION["foundationTerm"] else 0.0
    return total, total - foundation, foundation


def get_inflation_rate(ctx: NodeContext, raw: Any) -> Any:
    """getInflationRate []: rates for the current epoch."""
    Params(raw, 0, 0)
    epoch = ctx.chain.epoch_schedule.get_epoch(ctx.chain.slot)
    total, validator, foundation = inflation_rate(ctx.chain.epoch_schedule.get_first_slot_in_epoch(epoch))
    return {"epoch": epoch, "foundation": foundation, "total": total, "validator": validator}


def get_inflation_reward(ctx: NodeContext, raw: Any) -> Any:
    """getInflationReward [[address, ...], {epoch, commitment, minContextSlot}]: null per address (no rewards).

    As Agave, the epoch's rewards live in the first block of the next epoch: that block must be kept
    (-32001 when pruned) and confirmed (-32004 until it is).
    """
    p = Params(raw, 1, 2)
    addresses = [parse_pubkey(a, "address") for a in p.array(0, "addresses")]
    if len(addresses) > MAX_SIGNATURES_LIMIT:
        raise invalid_params(f"Too many inputs provided; max {MAX_SIGNATURES_LIMIT}")
    cfg = p.config(1)
    slot = bank_slot(ctx, cfg)
    schedule = ctx.chain.epoch_schedule
    epoch = opt_uint(cfg, "epoch")
    if epoch is None:
        epoch = max(0, schedule.get_epoch(slot) - 1)
    boundary = schedule.get_first_slot_in_epoch(epoch + 1)
    first = first_available(ctx)
    if boundary < first:
        raise block_cleaned_up(boundary, first)
    if boundary > newest_closed(ctx, normalize_commitment(cfg.get("commitment"))):
        raise block_not_available(boundary)
    return [None for _ in addresses]


# -- supply and accounts ----------------------------------------------------------------------------
def _balances(ctx: NodeContext) -> list[tuple[Pubkey, int]]:
    """Every existing account the node can name: the ledger's index and LiteSVM's own builtins, sysvars and
    SPL programs. LiteSVM cannot list its accounts; the one it holds besides these is its airdrop pool, whose
    address it keeps to itself (the node's faucet, which airdrops come from, is counted)."""
    out = []
    for address in ctx.chain.known | NATIVE_ACCOUNTS:
        acc = ctx.chain.get_account(address)
        if acc is not None:
            out.append((address, acc.lamports))
    return out


def get_supply(ctx: NodeContext, raw: Any) -> Any:
    """getSupply [{commitment, excludeNonCirculatingAccountsList}]: every lamport circulates here."""
    cfg = Params(raw, 0, 1).config(0)
    slot = bank_slot(ctx, {"commitment": cfg.get("commitment")})
    opt_bool(cfg, "excludeNonCirculatingAccountsList")
    total = sum(lamports for _, lamports in _balances(ctx))
    return {"context": context(ctx, slot), "value": {"circulating": total, "nonCirculating": 0,
                                                     "nonCirculatingAccounts": [], "total": total}}


def get_largest_accounts(ctx: NodeContext, raw: Any) -> Any:
    """getLargestAccounts [{commitment, filter: circulating|nonCirculating}]: the 20 largest by lamports."""
    cfg = Params(raw, 0, 1).config(0)
    slot = bank_slot(ctx, {"commitment": cfg.get("commitment")})
    filt = cfg.get("filter")
    if filt not in (None, "circulating", "nonCirculating"):
        raise invalid_params(f"Invalid params: unknown variant `{filt}`, expected `circulating` or `nonCirculating`")
    largest = [] if filt == "nonCirculating" else sorted(_balances(ctx), key=lambda b: (-b[1], bytes(b[0])))
    return {"context": context(ctx, slot),
            "value": [{"address": str(a), "lamports": lamports} for a, lamports in largest[:NUM_LARGEST_ACCOUNTS]]}


def get_stake_minimum_delegation(ctx: NodeContext, raw: Any) -> Any:
    """getStakeMinimumDelegation [{commitment, minContextSlot}]."""
    slot = bank_slot(ctx, Params(raw, 0, 1).config(0))
    return {"context": context(ctx, slot), "value": STAKE_MINIMUM_DELEGATION}


# -- leaders and nodes ------------------------------------------------------------------------------
def get_leader_schedule(ctx: NodeContext, raw: Any) -> Any:
    """getLeaderSchedule [slot?, {identity, commitment}]: every slot index of the epoch, or null beyond it."""
    p = Params(raw, 0, 2)
    first = p.get(0)
    if isinstance(first, dict):
        if p.get(1) is not None:
            raise invalid_params("Invalid params: expected at most 1 argument when the first is a configuration")
        slot_param, cfg = None, first
    else:
        slot_param, cfg = (None if first is None else p.uint(0, "slot")), p.config(1)
    wanted = None if cfg.get("identity") is None else parse_pubkey(cfg["identity"], "identity")
    slot = bank_slot(ctx, {"commitment": cfg.get("commitment")}) if slot_param is None else slot_param
    schedule = ctx.chain.epoch_schedule
    epoch = schedule.get_epoch(slot)
    if epoch > schedule.get_leader_schedule_epoch(ctx.chain.slot):
        return None
    me = identity(ctx)
    if wanted is not None and wanted != me:
        return {}
    return {str(me): list(range(schedule.get_slots_in_epoch(epoch)))}


def get_slot_leader(ctx: NodeContext, raw: Any) -> Any:
    """getSlotLeader [{commitment, minContextSlot}]."""
    bank_slot(ctx, Params(raw, 0, 1).config(0))
    return str(identity(ctx))


def get_slot_leaders(ctx: NodeContext, raw: Any) -> Any:
    """getSlotLeaders [start slot, limit]: the identity for each slot."""
    p = Params(raw, 2, 2)
    start = p.uint(0, "start slot")
    limit = p.uint(1, "limit")
    if limit > MAX_GET_SLOT_LEADERS:
        raise invalid_params(f"Invalid limit; max {MAX_GET_SLOT_LEADERS}")
    schedule = ctx.chain.epoch_schedule
    last_epoch = schedule.get_epoch(start + limit - 1) if limit else schedule.get_epoch(start)
    known_epoch = schedule.get_leader_schedule_epoch(ctx.chain.slot)
    if last_epoch > known_epoch:
        raise invalid_params(f"Invalid slot range: leader schedule for epoch {known_epoch + 1} is unavailable")
    return [str(identity(ctx))] * limit


def _endpoint(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.hostname and parts.port else None


def get_cluster_nodes(ctx: NodeContext, raw: Any) -> Any:
    """getClusterNodes []: this node alone; it serves RPC and PubSub and has no gossip, TPU or TVU ports."""
    Params(raw, 0, 0)
    return [{"featureSet": FEATURE_SET, "gossip": None, "pubkey": str(identity(ctx)),
             "pubsub": _endpoint(getattr(ctx, "ws_url", None)), "rpc": _endpoint(getattr(ctx, "rpc_url", None)),
             "serveRepair": None, "shredVersion": 0, "tpu": None, "tpuForwards": None, "tpuForwardsQuic": None,
             "tpuQuic": None, "tpuVote": None, "tvu": None, "version": SOLANA_CORE_VERSION}]


def get_vote_accounts(ctx: NodeContext, raw: Any) -> Any:
    """getVoteAccounts [{commitment, votePubkey, keepUnstakedDelinquents, delinquentSlotDistance}]: one vote account."""
    cfg = Params(raw, 0, 1).config(0)
    slot = bank_slot(ctx, {"commitment": cfg.get("commitment")})
    wanted = None if cfg.get("votePubkey") is None else parse_pubkey(cfg["votePubkey"], "votePubkey")
    opt_bool(cfg, "keepUnstakedDelinquents")
    opt_uint(cfg, "delinquentSlotDistance")
    vote = vote_account(ctx)
    if wanted is not None and wanted != vote:
        return {"current": [], "delinquent": []}
    root = ctx.chain.commitment_slot("finalized")
    schedule = ctx.chain.epoch_schedule
    current_epoch = schedule.get_epoch(slot)
    credits = []
    for epoch in range(max(0, current_epoch - MAX_EPOCH_CREDITS + 1), current_epoch + 1):
        start = schedule.get_first_slot_in_epoch(epoch)
        end = min(schedule.get_last_slot_in_epoch(epoch), root)
        credits.append([epoch, max(start, end + 1), start])  # one credit per rooted slot, cumulative
    return {"current": [{"activatedStake": VALIDATOR_STAKE, "commission": 0, "epochCredits": credits,
                         "epochVoteAccount": True, "lastVote": slot, "nodePubkey": str(identity(ctx)),
                         "rootSlot": root, "votePubkey": str(vote)}],
            "delinquent": []}


def get_block_commitment(ctx: NodeContext, raw: Any) -> Any:
    """getBlockCommitment [slot]: the stake at each confirmation depth for unrooted blocks, null otherwise."""
    p = Params(raw, 1, 1)
    slot = p.uint(0, "slot")
    commitment = None
    depth = ctx.chain.slot - slot
    if ctx.chain.commitment_slot("finalized") < slot < ctx.chain.slot:
        commitment = [0] * MAX_LOCKOUT_HISTORY
        commitment[min(depth, MAX_LOCKOUT_HISTORY) - 1] = VALIDATOR_STAKE
    return {"commitment": commitment, "totalStake": VALIDATOR_STAKE}


# -- node progress ----------------------------------------------------------------------------------
def get_max_retransmit_slot(ctx: NodeContext, raw: Any) -> Any:
    """getMaxRetransmitSlot []: the newest slot (the node produces every slot itself)."""
    Params(raw, 0, 0)
    return ctx.chain.slot


def get_max_shred_insert_slot(ctx: NodeContext, raw: Any) -> Any:
    """getMaxShredInsertSlot []: the newest slot."""
    Params(raw, 0, 0)
    return ctx.chain.slot


def get_highest_snapshot_slot(ctx: NodeContext, raw: Any) -> Any:
    """getHighestSnapshotSlot []: -32008, the node takes no snapshots."""
    Params(raw, 0, 0)
    raise no_snapshot()


CLUSTER_METHODS = {
    "getEpochSchedule": get_epoch_schedule,
    "getInflationGovernor": get_inflation_governor,
    "getInflationRate": get_inflation_rate,
    "getInflationReward": get_inflation_reward,
    "getSupply": get_supply,
    "getLargestAccounts": get_largest_accounts,
    "getStakeMinimumDelegation": get_stake_minimum_delegation,
    "getLeaderSchedule": get_leader_schedule,
    "getSlotLeader": get_slot_leader,
    "getSlotLeaders": get_slot_leaders,
    "getClusterNodes": get_cluster_nodes,
    "getVoteAccounts": get_vote_accounts,
    "getMaxRetransmitSlot": get_max_retransmit_slot,
    "getMaxShredInsertSlot": get_max_shred_insert_slot,
    "getHighestSnapshotSlot": get_highest_snapshot_slot,
    "getBlockCommitment": get_block_commitment,
}

__all__ = ["CLUSTER_METHODS", "VALIDATOR_STAKE", "inflation_rate", "vote_account", "vote_address"]
