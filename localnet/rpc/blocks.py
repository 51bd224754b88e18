"""Block and signature-history methods: getBlock and friends, getSignaturesForAddress, performance samples.

They read the ledger's ``History`` (``localnet.history``), which keeps closed blocks for
``NodeConfig.history_slots``. Shapes, limits and errors follow Agave's ``rpc.rs``: a block newer
than the requested commitment is -32004 (BlockNotAvailable), one older than the oldest kept block is
-32001 (BlockCleanedUp, naming the first available block). Every slot has a block on this node,
so SlotSkipped (-32007) is never due.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from solders.message import MessageV0
from solders.pubkey import Pubkey

from localnet.history import MAX_PERFORMANCE_SAMPLES, Block
from localnet.ledger import TxRecord
from localnet.rpc.encoding import tx_error_json
from localnet.rpc.errors import (
    block_cleaned_up,
    block_not_available,
    invalid_params,
    unsupported_transaction_version,
)
from localnet.rpc.methods import NodeContext, bank_slot
from localnet.rpc.params import Params, normalize_commitment, opt_bool, opt_uint, parse_signature, uint
from localnet.rpc.parsed.transaction import account_keys_json
from localnet.rpc.txjson import check_transaction_encoding, encode_transaction, status_meta

MAX_BLOCKS_RANGE = 500_000  # Agave: MAX_GET_CONFIRMED_BLOCKS_RANGE
MAX_SIGNATURES_LIMIT = 1000  # Agave: MAX_GET_CONFIRMED_SIGNATURES_FOR_ADDRESS2_LIMIT
TRANSACTION_DETAILS = ("full", "signatures", "none", "accounts")
MEMO_PROGRAMS = (Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr"),
                 Pubkey.from_string("Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo"))


def confirmed_commitment(config: dict[str, Any]) -> str:
    commitment = normalize_commitment(config.get("commitment"))
    if commitment == "processed":
        raise invalid_params("Method does not support commitment below `confirmed`")
    return commitment


def first_available(ctx: NodeContext) -> int:
    first = ctx.chain.history.first_slot
    return ctx.chain.slot if first is None else first


def _closed_block(ctx: NodeContext, slot: int, newest: int) -> Block:
    """Return the block of ``slot`` if kept and not newer than ``newest``, else the validator's error."""
    block = ctx.chain.history.block(slot)
    if block is not None and slot <= newest:
        return block
    first = ctx.chain.history.first_slot
    if first is not None and slot < first:
        raise block_cleaned_up(slot, first)
    raise block_not_available(slot)


def newest_closed(ctx: NodeContext, commitment: str) -> int:
    """The newest closed slot at ``commitment`` (the open slot has no block yet)."""
    return min(ctx.chain.commitment_slot(commitment), ctx.chain.slot - 1)  # type: ignore[arg-type]


# -- getBlock ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BlockOptions:
    """How a block is rendered (getBlock's and blockSubscribe's configuration)."""

    encoding: str = "json"
    details: str = "full"
    rewards: bool = True
    max_version: int | None = None


def parse_block_options(cfg: dict[str, Any], default_encoding: str, default_rewards: bool) -> BlockOptions:
    """Validate ``encoding``, ``transactionDetails``, the rewards flag and ``maxSupportedTransactionVersion``.

    getBlock names the flag ``rewards`` (default true), blockSubscribe ``showRewards`` (default false).
    """
    encoding = check_transaction_encoding(cfg.get("encoding") or default_encoding)
    details = cfg.get("transactionDetails") or "full"
    if details not in TRANSACTION_DETAILS:
        raise invalid_params(f"Invalid params: unknown variant `{details}`, expected one of "
                             "`full`, `signatures`, `none`, `accounts`")
    rewards = opt_bool(cfg, "rewards" if default_rewards else "showRewards", default_rewards)
    max_version = opt_uint(cfg, "maxSupportedTransactionVersion")
    if max_version is not None and max_version > 0:
        raise invalid_params(f"Invalid params: maxSupportedTransactionVersion {max_version} is not supported (max 0)")
    return BlockOptions(encoding, details, rewards, max_version)


def _with_version(out: dict[str, Any], rec: TxRecord, max_version: int | None) -> dict[str, Any]:
    """Add ``version`` when the client named a max version; refuse a v0 transaction when it did not."""
    if max_version is not None:
        out["version"] = 0 if isinstance(rec.tx.message, MessageV0) else "legacy"
    elif isinstance(rec.tx.message, MessageV0):
        raise unsupported_transaction_version(0)
    return out


def _block_transaction(rec: TxRecord, opts: BlockOptions) -> dict[str, Any]:
    full = encode_transaction(rec, opts.encoding)
    out = {"meta": full["meta"], "transaction": full["transaction"]}
    if not opts.rewards:
        del out["meta"]["rewards"]
    return _with_version(out, rec, opts.max_version)


def _accounts_transaction(rec: TxRecord, opts: BlockOptions) -> dict[str, Any]:
    """``transactionDetails: "accounts"``: Agave's ``build_json_accounts``.

    The transaction is its signatures and ``accountKeys`` (as jsonParsed has them); the meta is
    ``build_simple_ui_transaction_status_meta``: no inner instructions, logs, loaded addresses,
    return data or compute units.
    """
    meta = status_meta(rec)
    simple = {k: meta[k] for k in ("err", "fee", "postBalances", "postTokenBalances", "preBalances",
                                   "preTokenBalances", "status")}
    if opts.rewards:
        simple["rewards"] = meta["rewards"]
    transaction = {"accountKeys": account_keys_json(rec), "signatures": [str(s) for s in rec.tx.signatures]}
    return _with_version({"meta": simple, "transaction": transaction}, rec, opts.max_version)


def block_json(block: Block, opts: BlockOptions, transactions: Sequence[TxRecord] | None = None) -> dict[str, Any]:
    """Agave's ``UiConfirmedBlock`` of ``block`` (with ``transactions`` in place of its own, when given).

    Raises the -32015 RpcError for a v0 transaction without ``maxSupportedTransactionVersion``.
    """
    txs = block.transactions if transactions is None else transactions
    out: dict[str, Any] = {"blockHeight": block.block_height, "blockTime": block.block_time,
                           "blockhash": str(block.blockhash), "parentSlot": block.parent_slot,
                           "previousBlockhash": str(block.previous_blockhash)}
    if opts.details == "full":
        out["transactions"] = [_block_transaction(r, opts) for r in txs]
    elif opts.details == "accounts":
        out["transactions"] = [_accounts_transaction(r, opts) for r in txs]
    elif opts.details == "signatures":
        out["signatures"] = [str(r.signature) for r in txs]
    if opts.rewards:
        out["rewards"] = []
    return out


def get_block(ctx: NodeContext, raw: Any) -> Any:
    """getBlock [slot, {commitment, encoding, transactionDetails, rewards, maxSupportedTransactionVersion}]."""
    p = Params(raw, 1, 2)
    slot = p.uint(0, "slot")
    cfg_raw = p.get(1)
    cfg = {"encoding": cfg_raw} if isinstance(cfg_raw, str) else p.config(1)
    opts = parse_block_options(cfg, "json", True)
    block = _closed_block(ctx, slot, newest_closed(ctx, confirmed_commitment(cfg)))
    return block_json(block, opts)


# -- block lists and times --------------------------------------------------------------------------
def get_blocks(ctx: NodeContext, raw: Any) -> Any:
    """getBlocks [start slot, end slot?, {commitment}] (the second parameter may be the config)."""
    p = Params(raw, 1, 3)
    start = p.uint(0, "start slot")
    second = p.get(1)
    if isinstance(second, dict):
        if p.get(2) is not None:
            raise invalid_params("Invalid params: expected at most 2 argument(s) when the second is a configuration")
        end, cfg = None, second
    else:
        end = None if second is None else uint(second, "end slot")
        cfg = p.config(2)
    newest = newest_closed(ctx, confirmed_commitment(cfg))
    end = newest if end is None else end
    if end < start:
        return []
    if end - start > MAX_BLOCKS_RANGE:
        raise invalid_params(f"Slot range too large; max {MAX_BLOCKS_RANGE}")
    return ctx.chain.history.slots_between(start, min(end, newest))


def get_blocks_with_limit(ctx: NodeContext, raw: Any) -> Any:
    """getBlocksWithLimit [start slot, limit, {commitment}]."""
    p = Params(raw, 2, 3)
    start = p.uint(0, "start slot")
    limit = p.uint(1, "limit")
    if limit > MAX_BLOCKS_RANGE:
        raise invalid_params(f"Limit too large; max {MAX_BLOCKS_RANGE}")
    newest = newest_closed(ctx, confirmed_commitment(p.config(2)))
    if limit == 0:
        return []
    return ctx.chain.history.slots_between(start, newest)[:limit]


def get_block_time(ctx: NodeContext, raw: Any) -> Any:
    """getBlockTime [slot]: the block's Unix time."""
    p = Params(raw, 1, 1)
    slot = p.uint(0, "slot")
    return _closed_block(ctx, slot, ctx.chain.slot - 1).block_time


def get_first_available_block(ctx: NodeContext, raw: Any) -> Any:
    """getFirstAvailableBlock []: the oldest block the node still keeps."""
    Params(raw, 0, 0)
    return first_available(ctx)


def minimum_ledger_slot(ctx: NodeContext, raw: Any) -> Any:
    """minimumLedgerSlot []: the lowest slot the node has information about (after pruning)."""
    Params(raw, 0, 0)
    return first_available(ctx)


# -- signatures -------------------------------------------------------------------------------------
def _memo(rec: TxRecord) -> str | None:
    """Agave's ``extract_and_fmt_memos``: each memo as ``[len] text``, joined by ``; ``."""
    keys = rec.tx.message.account_keys
    memos = []
    for ix in rec.tx.message.instructions:
        if ix.program_id_index < len(keys) and keys[ix.program_id_index] in MEMO_PROGRAMS:
            data = bytes(ix.data)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = "(unparseable)"
            memos.append(f"[{len(data)}] {text}")
    return "; ".join(memos) if memos else None


def get_signatures_for_address(ctx: NodeContext, raw: Any) -> Any:
    """getSignaturesForAddress [address, {limit, before, until, commitment, minContextSlot}], newest first."""
    p = Params(raw, 1, 2)
    address = p.pubkey(0, "address")
    cfg = p.config(1)
    limit = opt_uint(cfg, "limit")
    limit = MAX_SIGNATURES_LIMIT if limit is None else limit
    if limit == 0 or limit > MAX_SIGNATURES_LIMIT:
        raise invalid_params(f"Invalid limit; max {MAX_SIGNATURES_LIMIT}")
    before = None if cfg.get("before") is None else parse_signature(cfg["before"])
    until = None if cfg.get("until") is None else parse_signature(cfg["until"])
    commitment = confirmed_commitment(cfg)
    bank_slot(ctx, cfg)
    newest = newest_closed(ctx, commitment)
    finalized = ctx.chain.commitment_slot("finalized")
    records = ctx.chain.records
    entries = list(ctx.chain.history.signatures_of(address))
    if before is not None:
        rec = records.get(before)
        if rec is None:
            return []  # as Agave: an unknown `before` finds nothing
        # after `before` itself, or (when it does not mention the address) older than its slot
        start = next((i + 1 for i, (_, sig) in enumerate(entries) if sig == before), None)
        if start is None:
            start = next((i for i, (slot, _) in enumerate(entries) if slot < rec.slot), len(entries))
        entries = entries[start:]
    until_slot = -1
    if until is not None and (rec := records.get(until)) is not None:
        until_slot = rec.slot
    out = []
    for slot, sig in entries:
        if sig == until or slot < until_slot or len(out) >= limit:
            break
        if slot > newest:
            continue
        rec = records.get(sig)
        if rec is None:
            continue
        out.append({"blockTime": rec.block_time, "confirmationStatus": "finalized" if slot <= finalized else "confirmed",
                    "err": tx_error_json(rec.err), "memo": _memo(rec), "signature": str(sig), "slot": slot})
    return out


def get_recent_performance_samples(ctx: NodeContext, raw: Any) -> Any:
    """getRecentPerformanceSamples [limit?]: 60-second samples, newest first."""
    p = Params(raw, 0, 1)
    limit = MAX_PERFORMANCE_SAMPLES if p.get(0) is None else p.uint(0, "limit")
    if limit > MAX_PERFORMANCE_SAMPLES:
        raise invalid_params(f"Invalid limit; max {MAX_PERFORMANCE_SAMPLES}")
    return [{"numNonVoteTransactions": s.num_non_vote_transactions, "numSlots": s.num_slots,
             "numTransactions": s.num_transactions, "samplePeriodSecs": s.sample_period_secs, "slot": s.slot}
            for s in list(ctx.chain.history.samples)[:limit]]


BLOCK_METHODS = {
    "getBlock": get_block,
    "getBlocks": get_blocks,
    "getBlocksWithLimit": get_blocks_with_limit,
    "getBlockTime": get_block_time,
    "getFirstAvailableBlock": get_first_available_block,
    "minimumLedgerSlot": minimum_ledger_slot,
    "getSignaturesForAddress": get_signatures_for_address,
    "getRecentPerformanceSamples": get_recent_performance_samples,
}

__all__ = ["BLOCK_METHODS", "MAX_SIGNATURES_LIMIT", "BlockOptions", "block_json", "confirmed_commitment", "first_available",
           "newest_closed", "parse_block_options"]
