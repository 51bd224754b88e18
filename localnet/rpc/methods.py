"""The HTTP JSON-RPC methods: functions of (node state, params) returning the ``result`` value.

They turn the ledger's typed values (``localnet.ledger``) into the validator's JSON shapes and its
refusals into JSON-RPC errors; each raises ``RpcError`` for an error response. Shapes follow the
Agave validator; commitment parameters are accepted and select the context slot (state is always
the newest: LiteSVM keeps no forks), ``minContextSlot`` is enforced against that slot.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from solders.message import from_bytes_versioned
from solders.transaction import VersionedTransaction

from localnet.ledger import AirdropFailed, Ledger, PreflightFailed, TxStatus
from localnet.rpc.config import ConfigError, FaultConfig, NodeConfig
from localnet.rpc.encoding import (
    b58decode,
    b64decode,
    check_account_encoding,
    inner_instructions_json,
    parse_data_slice,
    return_data_json,
    tx_error_json,
    tx_error_text,
    ui_token_amount,
)
from localnet.rpc.errors import (
    INVALID_REQUEST,
    SEND_TRANSACTION_PREFLIGHT_FAILURE,
    RpcError,
    invalid_params,
    min_context_slot_not_reached,
    node_unhealthy,
    signature_verification_failure,
    unsupported_transaction_version,
)
from localnet.rpc.faults import FaultInjector
from localnet.rpc.params import (
    Params,
    normalize_commitment,
    opt_bool,
    opt_uint,
    parse_hash,
    parse_pubkey,
    parse_signature,
    uint,
)
from localnet.rpc.parsed.account import encode_account_parsed
from localnet.rpc.txjson import check_transaction_encoding, encode_transaction
from localnet.spl_token import TOKEN_PROGRAMS, token_account_fields

SOLANA_CORE_VERSION = "2.2.0"
FEATURE_SET = 3294202862
MAX_MULTIPLE_ACCOUNTS = 100
MAX_SIGNATURE_STATUSES = 256
MAX_PROGRAM_ACCOUNT_FILTERS = 4
MAX_PRIORITIZATION_FEE_ACCOUNTS = 128
MAX_MEMCMP_BYTES = 128
MAX_BASE58_SIZE = 1683  # Agave goldens for a 1232-byte packet
MAX_BASE64_SIZE = 1644
PACKET_DATA_SIZE = 1232
TX_TYPE = "solana_transaction::versioned::VersionedTransaction"


class NodeContext(Protocol):
    """What the methods see of the node."""

    chain: Ledger
    faults: FaultInjector
    config: NodeConfig

    def drop_websockets(self) -> int: ...


Method = Callable[[NodeContext, Any], Any]


# -- helpers ----------------------------------------------------------------------------------------
def context(ctx: NodeContext, slot: int) -> dict[str, Any]:
    """Return the response ``context`` member."""
    return {"slot": slot, "apiVersion": SOLANA_CORE_VERSION}


def bank_slot(ctx: NodeContext, config: dict[str, Any], default_commitment: str = "finalized") -> int:
    """Return the slot a request is served at, enforcing ``minContextSlot``."""
    slot = ctx.chain.commitment_slot(normalize_commitment(config.get("commitment"), default_commitment))
    min_slot = opt_uint(config, "minContextSlot")
    if min_slot is not None and slot < min_slot:
        raise min_context_slot_not_reached(slot)
    return slot


def _account_config(config: dict[str, Any]) -> tuple[str, tuple[int, int] | None]:
    return check_account_encoding(config.get("encoding")), parse_data_slice(config.get("dataSlice"))


def _encoded(ctx: NodeContext, address: Any, encoding: str, data_slice: tuple[int, int] | None) -> dict[str, Any] | None:
    acc = ctx.chain.get_account(address)
    return None if acc is None else encode_account_parsed(ctx.chain, acc, encoding, data_slice)


def _blockhash_json(ctx: NodeContext, slot: int) -> dict[str, Any]:
    recent = ctx.chain.blockhash_at(slot)
    return {"blockhash": str(recent.blockhash), "lastValidBlockHeight": recent.last_valid_block_height}


def _status_json(status: TxStatus | None) -> dict[str, Any] | None:
    if status is None:
        return None
    err = tx_error_json(status.err)
    return {"slot": status.slot, "confirmations": status.confirmations, "err": err,
            "status": {"Ok": None} if err is None else {"Err": err}, "confirmationStatus": status.commitment}


def _execute_preflighted(ctx: NodeContext, tx: VersionedTransaction) -> None:
    """Verify signatures, then execute with preflight; raise the RpcError a node returns when either fails."""
    if not ctx.chain.signatures_valid(tx):
        raise signature_verification_failure()
    try:
        ctx.chain.execute(tx, verified=True, preflight=True)
    except PreflightFailed as failed:
        sim = failed.simulation
        err = tx_error_json(sim.err)
        raise RpcError(SEND_TRANSACTION_PREFLIGHT_FAILURE, f"Transaction simulation failed: {tx_error_text(err)}", {
            "accounts": None, "err": err, "innerInstructions": None, "loadedAccountsDataSize": 0,
            "logs": sim.logs, "replacementBlockhash": None, "returnData": return_data_json(sim.return_data),
            "unitsConsumed": sim.units_consumed,
        })


def _check_health(ctx: NodeContext) -> None:
    behind = ctx.faults.stall_remaining_s
    if behind > 0:
        raise node_unhealthy(max(1, int(behind * 1000) // ctx.config.slot_ms))


# -- accounts ---------------------------------------------------------------------------------------
def get_account_info(ctx: NodeContext, raw: Any) -> Any:
    """getAccountInfo [pubkey, {commitment, encoding, dataSlice, minContextSlot}]."""
    p = Params(raw, 1, 2)
    address = p.pubkey(0)
    cfg = p.config(1)
    encoding, data_slice = _account_config(cfg)
    slot = bank_slot(ctx, cfg)
    return {"context": context(ctx, slot), "value": _encoded(ctx, address, encoding, data_slice)}


def get_multiple_accounts(ctx: NodeContext, raw: Any) -> Any:
    """getMultipleAccounts [[pubkey, ...], {commitment, encoding, dataSlice, minContextSlot}]."""
    p = Params(raw, 1, 2)
    keys = p.array(0, "pubkeys")
    if len(keys) > MAX_MULTIPLE_ACCOUNTS:
        raise invalid_params(f"Too many inputs provided; max {MAX_MULTIPLE_ACCOUNTS}")
    addresses = [parse_pubkey(k) for k in keys]
    cfg = p.config(1)
    encoding, data_slice = _account_config(cfg)
    slot = bank_slot(ctx, cfg)
    return {"context": context(ctx, slot), "value": [_encoded(ctx, a, encoding, data_slice) for a in addresses]}


@dataclass(frozen=True)
class _Filter:
    data_size: int | None = None
    offset: int = 0
    match: bytes | None = None
    token_account_state: bool = False

    def allows(self, data: bytes) -> bool:
        if self.data_size is not None:
            return len(data) == self.data_size
        if self.token_account_state:
            return len(data) >= 165 and data[108] != 0
        assert self.match is not None
        return data[self.offset : self.offset + len(self.match)] == self.match and self.offset + len(self.match) <= len(data)


def parse_filters(raw: Any) -> list[_Filter]:
    """Validate getProgramAccounts / programSubscribe ``filters`` as Agave does."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise invalid_params("Invalid params: filters must be an array")
    if len(raw) > MAX_PROGRAM_ACCOUNT_FILTERS:
        raise invalid_params(f"Too many filters provided; max {MAX_PROGRAM_ACCOUNT_FILTERS}")
    out = []
    for f in raw:
        if f == "tokenAccountState":
            out.append(_Filter(token_account_state=True))
        elif isinstance(f, dict) and len(f) == 1 and "dataSize" in f:
            out.append(_Filter(data_size=uint(f["dataSize"], "dataSize")))
        elif isinstance(f, dict) and len(f) == 1 and isinstance(f.get("memcmp"), dict):
            out.append(_memcmp(f["memcmp"]))
        else:
            raise invalid_params(f"Invalid params: unknown filter {f!r}; expected dataSize, memcmp or tokenAccountState")
    return out


def _memcmp(m: dict[str, Any]) -> _Filter:
    offset = uint(m.get("offset"), "memcmp.offset")
    data, encoding = m.get("bytes"), m.get("encoding")
    if isinstance(data, list):
        if not all(isinstance(b, int) and 0 <= b < 256 for b in data):
            raise invalid_params("Invalid params: memcmp.bytes must be a string or an array of bytes")
        match = bytes(data)
    elif isinstance(data, str):
        if encoding in (None, "base58", "binary"):
            if len(data) > 175:
                raise invalid_params("Invalid param: DataTooLarge")
            try:
                match = b58decode(data)
            except ValueError as e:
                raise invalid_params(f"Invalid param: Base58DecodeError ({e})") from None
        elif encoding == "base64":
            if len(data) > 172:
                raise invalid_params("Invalid param: DataTooLarge")
            try:
                match = b64decode(data)
            except ValueError as e:
                raise invalid_params(f"Invalid param: Base64DecodeError ({e})") from None
        else:
            raise invalid_params(f"Invalid params: unknown memcmp encoding `{encoding}`, expected `base58` or `base64`")
    else:
        raise invalid_params("Invalid params: memcmp.bytes must be a string or an array of bytes")
    if len(match) > MAX_MEMCMP_BYTES:
        raise invalid_params("Invalid param: DataTooLarge")
    return _Filter(offset=offset, match=match)


def get_program_accounts(ctx: NodeContext, raw: Any) -> Any:
    """getProgramAccounts [program, {commitment, encoding, dataSlice, filters, withContext, minContextSlot}]."""
    p = Params(raw, 1, 2)
    program = p.pubkey(0, "program id")
    cfg = p.config(1)
    encoding, data_slice = _account_config(cfg)
    filters = parse_filters(cfg.get("filters"))
    with_context = opt_bool(cfg, "withContext")
    slot = bank_slot(ctx, cfg)
    accounts = []
    for address, acc in ctx.chain.program_accounts(program):
        data = bytes(acc.data)
        if all(f.allows(data) for f in filters):
            accounts.append({"account": _encoded(ctx, address, encoding, data_slice), "pubkey": str(address)})
    return {"context": context(ctx, slot), "value": accounts} if with_context else accounts


def get_balance(ctx: NodeContext, raw: Any) -> Any:
    """getBalance [pubkey, {commitment, minContextSlot}]."""
    p = Params(raw, 1, 2)
    address = p.pubkey(0)
    slot = bank_slot(ctx, p.config(1))
    acc = ctx.chain.get_account(address)
    return {"context": context(ctx, slot), "value": acc.lamports if acc is not None else 0}


def get_token_account_balance(ctx: NodeContext, raw: Any) -> Any:
    """getTokenAccountBalance [pubkey, {commitment}]."""
    p = Params(raw, 1, 2)
    address = p.pubkey(0)
    slot = bank_slot(ctx, p.config(1))
    acc = ctx.chain.get_account(address)
    if acc is None:
        raise invalid_params("Invalid param: could not find account")
    fields = token_account_fields(bytes(acc.data)) if acc.owner in TOKEN_PROGRAMS else None
    if fields is None:
        raise invalid_params("Invalid param: not a Token account")
    decimals = ctx.chain.decimals_of(fields[0])
    if decimals is None:
        raise invalid_params("Invalid param: could not find mint")
    return {"context": context(ctx, slot), "value": ui_token_amount(fields[2], decimals)}


def get_minimum_balance_for_rent_exemption(ctx: NodeContext, raw: Any) -> Any:
    """getMinimumBalanceForRentExemption [data length, {commitment}]."""
    p = Params(raw, 1, 2)
    size = p.uint(0, "data length")
    if size > 10 * 1024 * 1024:
        raise invalid_params(f"Invalid params: data length {size} exceeds the 10 MiB account limit")
    return ctx.chain.minimum_balance_for_rent_exemption(size)


# -- slots and blockhashes --------------------------------------------------------------------------
def get_slot(ctx: NodeContext, raw: Any) -> Any:
    """getSlot [{commitment, minContextSlot}]."""
    return bank_slot(ctx, Params(raw, 0, 1).config(0))


def get_block_height(ctx: NodeContext, raw: Any) -> Any:
    """getBlockHeight [{commitment, minContextSlot}] (one block per slot on this node)."""
    return bank_slot(ctx, Params(raw, 0, 1).config(0))


def get_epoch_info(ctx: NodeContext, raw: Any) -> Any:
    """getEpochInfo [{commitment, minContextSlot}]."""
    info = ctx.chain.epoch_info(bank_slot(ctx, Params(raw, 0, 1).config(0)))
    return {"absoluteSlot": info.absolute_slot, "blockHeight": info.block_height, "epoch": info.epoch,
            "slotIndex": info.slot_index, "slotsInEpoch": info.slots_in_epoch, "transactionCount": info.transaction_count}


def get_latest_blockhash(ctx: NodeContext, raw: Any) -> Any:
    """getLatestBlockhash [{commitment, minContextSlot}]."""
    slot = bank_slot(ctx, Params(raw, 0, 1).config(0))
    return {"context": context(ctx, slot), "value": _blockhash_json(ctx, slot)}


def is_blockhash_valid(ctx: NodeContext, raw: Any) -> Any:
    """isBlockhashValid [blockhash, {commitment, minContextSlot}]."""
    p = Params(raw, 1, 2)
    blockhash = parse_hash(p.get(0))
    slot = bank_slot(ctx, p.config(1), "processed")
    return {"context": context(ctx, slot), "value": ctx.chain.blockhash_valid(blockhash)}


def get_version(ctx: NodeContext, raw: Any) -> Any:
    """getVersion []."""
    Params(raw, 0, 0)
    return {"feature-set": FEATURE_SET, "solana-core": SOLANA_CORE_VERSION}


def get_health(ctx: NodeContext, raw: Any) -> Any:
    """getHealth [] : "ok", or -32005 while the node's slots are stalled."""
    Params(raw, 0, 0)
    _check_health(ctx)
    return "ok"


def get_genesis_hash(ctx: NodeContext, raw: Any) -> Any:
    """getGenesisHash []."""
    Params(raw, 0, 0)
    return str(ctx.chain.genesis_hash)


def get_identity(ctx: NodeContext, raw: Any) -> Any:
    """getIdentity [] (the faucet key stands for the node's identity)."""
    Params(raw, 0, 0)
    return {"identity": str(ctx.chain.faucet.pubkey())}


def get_transaction_count(ctx: NodeContext, raw: Any) -> Any:
    """getTransactionCount [{commitment, minContextSlot}]."""
    bank_slot(ctx, Params(raw, 0, 1).config(0))
    return ctx.chain.transaction_count


def get_fee_for_message(ctx: NodeContext, raw: Any) -> Any:
    """getFeeForMessage [base64 message, {commitment, minContextSlot}]: null for an unknown blockhash."""
    p = Params(raw, 1, 2)
    text = p.string(0, "message")
    try:
        message = from_bytes_versioned(b64decode(text))
    except ValueError as e:
        raise invalid_params(f"invalid message: {e}") from None
    slot = bank_slot(ctx, p.config(1), "processed")
    known = message.recent_blockhash in ctx.chain.blockhashes
    return {"context": context(ctx, slot), "value": ctx.chain.fee_for(message) if known else None}


def get_recent_prioritization_fees(ctx: NodeContext, raw: Any) -> Any:
    """getRecentPrioritizationFees [[writable account, ...]]."""
    p = Params(raw, 0, 1)
    keys = p.array(0, "accounts") if p.get(0) is not None else []
    if len(keys) > MAX_PRIORITIZATION_FEE_ACCOUNTS:
        raise invalid_params(f"Too many inputs provided; max {MAX_PRIORITIZATION_FEE_ACCOUNTS}")
    fees = ctx.chain.recent_prioritization_fees([parse_pubkey(k) for k in keys])
    return [{"slot": f.slot, "prioritizationFee": f.fee} for f in fees]


# -- transactions -----------------------------------------------------------------------------------
def decode_transaction(data: str, encoding: Any) -> VersionedTransaction:
    """Decode a wire transaction with Agave's size limits and messages."""
    if encoding is None:
        encoding = "base58"
    if encoding not in ("base58", "base64"):
        raise invalid_params(f"unsupported encoding: {encoding}. Supported encodings: base58, base64")
    if encoding == "base58":
        if len(data) > MAX_BASE58_SIZE:
            raise invalid_params(f"base58 encoded {TX_TYPE} too large: {len(data)} bytes (max: encoded/raw {MAX_BASE58_SIZE}/{PACKET_DATA_SIZE})")
        try:
            wire = b58decode(data)
        except ValueError as e:
            raise invalid_params(f"invalid base58 encoding: {e}") from None
    else:
        if len(data) > MAX_BASE64_SIZE:
            raise invalid_params(f"base64 encoded {TX_TYPE} too large: {len(data)} bytes (max: encoded/raw {MAX_BASE64_SIZE}/{PACKET_DATA_SIZE})")
        try:
            wire = b64decode(data)
        except ValueError as e:
            raise invalid_params(f"invalid base64 encoding: {e}") from None
    if len(wire) > PACKET_DATA_SIZE:
        raise invalid_params(f"decoded {TX_TYPE} too large: {len(wire)} bytes (max: {PACKET_DATA_SIZE} bytes)")
    try:
        tx = VersionedTransaction.from_bytes(wire)
    except (ValueError, binascii.Error) as e:
        raise invalid_params(f"failed to deserialize {TX_TYPE}: {e}") from None
    if bytes(tx) != wire:
        raise invalid_params(f"failed to deserialize {TX_TYPE}: trailing bytes")
    try:
        tx.sanitize()
    except Exception:  # noqa: BLE001 - solders raises a SanitizeError
        raise invalid_params("invalid transaction: Transaction failed to sanitize accounts offsets correctly") from None
    if len(tx.signatures) != tx.message.header.num_required_signatures:
        raise invalid_params("invalid transaction: Transaction failed to sanitize accounts offsets correctly")
    return tx


def send_transaction(ctx: NodeContext, raw: Any) -> Any:
    """sendTransaction [encoded tx, {encoding, skipPreflight, preflightCommitment, maxRetries, minContextSlot}]."""
    p = Params(raw, 1, 2)
    data = p.string(0, "transaction")
    cfg = p.config(1)
    tx = decode_transaction(data, cfg.get("encoding"))
    skip = opt_bool(cfg, "skipPreflight")
    normalize_commitment(cfg.get("preflightCommitment"))
    opt_uint(cfg, "maxRetries")
    bank_slot(ctx, {"minContextSlot": cfg.get("minContextSlot")}, "processed")
    if skip:
        ctx.chain.execute(tx)
    else:
        _check_health(ctx)
        _execute_preflighted(ctx, tx)
    return str(tx.signatures[0])


def simulate_transaction(ctx: NodeContext, raw: Any) -> Any:
    """simulateTransaction [encoded tx, {sigVerify, replaceRecentBlockhash, commitment, encoding, accounts, ...}]."""
    p = Params(raw, 1, 2)
    data = p.string(0, "transaction")
    cfg = p.config(1)
    tx = decode_transaction(data, cfg.get("encoding"))
    sig_verify = opt_bool(cfg, "sigVerify")
    replace = opt_bool(cfg, "replaceRecentBlockhash")
    inner = opt_bool(cfg, "innerInstructions")
    slot = bank_slot(ctx, cfg, "processed")
    replacement = None
    if replace:
        if sig_verify:
            raise invalid_params("sigVerify may not be used with replaceRecentBlockhash")
        replacement = _blockhash_json(ctx, ctx.chain.slot)
    if sig_verify and not ctx.chain.signatures_valid(tx):
        raise signature_verification_failure()
    accounts_cfg = cfg.get("accounts")
    addresses: list[Any] | None = None
    acc_encoding = "base64"
    if accounts_cfg is not None:
        if not isinstance(accounts_cfg, dict) or not isinstance(accounts_cfg.get("addresses"), list):
            raise invalid_params("Invalid params: accounts must be an object with an addresses array")
        acc_encoding = check_account_encoding(accounts_cfg.get("encoding"), "base64")
        if acc_encoding in ("binary", "base58"):
            raise invalid_params("base58 encoding not supported")
        addresses = [parse_pubkey(a) for a in accounts_cfg["addresses"]]
        n_keys = len(ctx.chain.resolve_keys(tx)[0])
        if len(addresses) > n_keys:
            raise invalid_params(f"Too many accounts provided; max {n_keys}")
    sim = ctx.chain.simulate(tx, check_blockhash=not replace, want_accounts=addresses is not None)
    accounts = None
    if addresses is not None:
        if sim.err is not None:
            accounts = [None] * len(addresses)
        else:
            accounts = []
            for a in addresses:
                acc = sim.post_accounts.get(a) or ctx.chain.get_account(a)
                accounts.append(encode_account_parsed(ctx.chain, acc, acc_encoding) if acc is not None else None)
    inner_json = inner_instructions_json(sim.inner_instructions) if inner and sim.inner_instructions is not None else None
    return {"context": context(ctx, slot), "value": {
        "accounts": accounts, "err": tx_error_json(sim.err), "innerInstructions": inner_json,
        "loadedAccountsDataSize": 0, "logs": sim.logs, "replacementBlockhash": replacement,
        "returnData": return_data_json(sim.return_data), "unitsConsumed": sim.units_consumed}}


def request_airdrop(ctx: NodeContext, raw: Any) -> Any:
    """requestAirdrop [pubkey, lamports, {commitment}]."""
    p = Params(raw, 2, 3)
    address = p.pubkey(0)
    lamports = p.uint(1, "lamports")
    normalize_commitment(p.config(2).get("commitment"))
    try:
        return str(ctx.chain.airdrop(address, lamports))
    except AirdropFailed:
        raise RpcError(INVALID_REQUEST, "airdrop request failed. This can happen when the rate limit is reached.") from None


def get_signature_statuses(ctx: NodeContext, raw: Any) -> Any:
    """getSignatureStatuses [[signature, ...], {searchTransactionHistory}]."""
    p = Params(raw, 1, 2)
    sigs = p.array(0, "signatures")
    if len(sigs) > MAX_SIGNATURE_STATUSES:
        raise invalid_params(f"Too many inputs provided; max {MAX_SIGNATURE_STATUSES}")
    parsed = [parse_signature(s) for s in sigs]
    history = opt_bool(p.config(1), "searchTransactionHistory")
    return {"context": context(ctx, ctx.chain.slot), "value": [_status_json(ctx.chain.signature_status(s, history)) for s in parsed]}


def get_transaction(ctx: NodeContext, raw: Any) -> Any:
    """getTransaction [signature, {encoding, commitment, maxSupportedTransactionVersion}]: null until confirmed."""
    p = Params(raw, 1, 2)
    signature = parse_signature(p.get(0))
    cfg_raw = p.get(1)
    cfg = {"encoding": cfg_raw} if isinstance(cfg_raw, str) else p.config(1)
    encoding = check_transaction_encoding(cfg.get("encoding"))
    commitment = normalize_commitment(cfg.get("commitment"))
    if commitment == "processed":
        raise invalid_params("Method does not support commitment below `confirmed`")
    max_version = opt_uint(cfg, "maxSupportedTransactionVersion")
    if max_version is not None and max_version > 0:
        raise invalid_params(f"Invalid params: maxSupportedTransactionVersion {max_version} is not supported (max 0)")
    rec = ctx.chain.records.get(signature)
    if rec is None or rec.slot > ctx.chain.commitment_slot(commitment):
        return None
    first = ctx.chain.history.first_slot
    if first is not None and rec.slot < first:
        return None  # its block was pruned (the status cache may still know it: getSignatureStatuses)
    out = encode_transaction(rec, encoding)
    if max_version is None:
        if out["version"] != "legacy":
            raise unsupported_transaction_version(0)
        del out["version"]
    return out


# -- admin (never faulted) --------------------------------------------------------------------------
def admin_get_faults(ctx: NodeContext, raw: Any) -> Any:
    """perpkeep_getFaults []: the fault configuration and what was injected so far."""
    Params(raw, 0, 0)
    return {"config": ctx.faults.config.to_dict(), "stats": ctx.faults.stats.to_dict(),
            "stallRemainingMs": int(ctx.faults.stall_remaining_s * 1000)}


def admin_set_faults(ctx: NodeContext, raw: Any) -> Any:
    """perpkeep_setFaults [{setting: value, ...}]: replace the fault configuration (streams restart)."""
    p = Params(raw, 1, 1)
    try:
        config = FaultConfig.from_mapping(p.config(0))
    except (ConfigError, TypeError) as e:
        raise invalid_params(f"Invalid params: {e}") from None
    ctx.faults.configure(config)
    return config.to_dict()


def admin_stall_slots(ctx: NodeContext, raw: Any) -> Any:
    """perpkeep_stallSlots [milliseconds]: hold slots for that long from now (0 ends a stall)."""
    p = Params(raw, 1, 1)
    ms = p.uint(0, "milliseconds")
    ctx.faults.stall_now(ms)
    return {"slot": ctx.chain.slot, "stallMs": ms}


def admin_drop_websockets(ctx: NodeContext, raw: Any) -> Any:
    """perpkeep_dropWebsockets []: abort every open websocket connection; return how many."""
    Params(raw, 0, 0)
    return ctx.drop_websockets()


HTTP_METHODS: dict[str, Method] = {
    "getAccountInfo": get_account_info,
    "getMultipleAccounts": get_multiple_accounts,
    "getProgramAccounts": get_program_accounts,
    "getBalance": get_balance,
    "getTokenAccountBalance": get_token_account_balance,
    "getMinimumBalanceForRentExemption": get_minimum_balance_for_rent_exemption,
    "getSlot": get_slot,
    "getBlockHeight": get_block_height,
    "getEpochInfo": get_epoch_info,
    "getLatestBlockhash": get_latest_blockhash,
    "isBlockhashValid": is_blockhash_valid,
    "getVersion": get_version,
    "getHealth": get_health,
    "getGenesisHash": get_genesis_hash,
    "getIdentity": get_identity,
    "getTransactionCount": get_transaction_count,
    "getFeeForMessage": get_fee_for_message,
    "getRecentPrioritizationFees": get_recent_prioritization_fees,
    "sendTransaction": send_transaction,
    "simulateTransaction": simulate_transaction,
    "requestAirdrop": request_airdrop,
    "getSignatureStatuses": get_signature_statuses,
    "getTransaction": get_transaction,
    "perpkeep_getFaults": admin_get_faults,
    "perpkeep_setFaults": admin_set_faults,
    "perpkeep_stallSlots": admin_stall_slots,
    "perpkeep_dropWebsockets": admin_drop_websockets,
}

# Block history, cluster and token methods live in their own modules, which build on the helpers above.
from localnet.rpc.blocks import BLOCK_METHODS  # noqa: E402
from localnet.rpc.cluster import CLUSTER_METHODS  # noqa: E402
from localnet.rpc.token_methods import TOKEN_METHODS  # noqa: E402

HTTP_METHODS.update(BLOCK_METHODS | CLUSTER_METHODS | TOKEN_METHODS)

__all__ = ["HTTP_METHODS", "NodeContext", "decode_transaction", "parse_filters"]
