"""The chain behind the node: LiteSVM with slots, blockhashes, transaction history and an account index.

``ChainState`` is the only code that touches LiteSVM once the node runs. It is synchronous and not
thread-safe, like LiteSVM itself: the node calls it from its one event-loop thread.

What LiteSVM does not model is kept here:
- slots advance by ``advance_slot`` (driven by the node's ticker), with the Clock sysvar in step and
  a new blockhash per slot, each valid for ``blockhash_valid_slots`` (LiteSVM's own blockhash
  check, which only accepts the latest hash, is turned off);
- signatures are verified here (LiteSVM's sigverify is off so that simulation can skip it);
- every address ever written is indexed, since LiteSVM cannot enumerate accounts;
- transactions are recorded with their slot, balances and logs for getTransaction and statuses.
"""

from __future__ import annotations

import base64
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from solders.account import Account
from solders.clock import Clock
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata
from solders.transaction_status import TransactionErrorFieldless

from keepers.results import Failed, Landed, Outcome
from localnet.rpc.config import NodeConfig
from localnet.rpc.encoding import (
    TOKEN_ACCOUNT_LEN,
    TOKEN_PROGRAMS,
    b58encode,
    b64encode,
    mint_decimals,
    token_account_fields,
    tx_error_json,
    tx_error_text,
    ui_token_amount,
)
from localnet.rpc.errors import (
    SEND_TRANSACTION_PREFLIGHT_FAILURE,
    RpcError,
    invalid_params,
    signature_verification_failure,
)
from localnet.rpc.faults import FaultInjector
from localnet.svm import LocalSvm

log = logging.getLogger("localnet.rpc")

COMPUTE_BUDGET_PROGRAM_ID = Pubkey.from_string("ComputeBudget111111111111111111111111111111")
LOOKUP_TABLE_META_SIZE = 56
MAX_TX_RECORDS = 250_000
MAX_FEE_SLOTS = 150
COMMITMENTS = ("processed", "confirmed", "finalized")
_LEGACY_COMMITMENTS = {"recent": "processed", "single": "confirmed", "singleGossip": "confirmed",
                       "max": "finalized", "root": "finalized"}


def normalize_commitment(value: Any, default: str = "finalized") -> str:
    """Return one of processed/confirmed/finalized for a commitment parameter (-32602 if unknown)."""
    if value is None:
        return default
    if value in COMMITMENTS:
        return value
    if value in _LEGACY_COMMITMENTS:
        return _LEGACY_COMMITMENTS[value]
    raise invalid_params(f"Invalid params: unknown variant `{value}`, expected one of `processed`, `confirmed`, `finalized`")


@dataclass
class TxRecord:
    """A transaction that landed (successfully or with an execution error) and its status meta."""

    signature: Signature
    slot: int
    block_time: int
    tx: VersionedTransaction
    account_keys: list[Pubkey]
    writable: list[bool]
    loaded_writable: list[Pubkey]
    loaded_readonly: list[Pubkey]
    err: Any
    logs: list[str]
    fee: int
    compute_units: int
    pre_balances: list[int]
    post_balances: list[int]
    pre_token_balances: list[dict[str, Any]]
    post_token_balances: list[dict[str, Any]]
    inner_instructions: list[dict[str, Any]]
    return_data: dict[str, Any] | None
    priority_fee: int = 0
    raw_err: object = None


@dataclass
class Simulation:
    """The outcome of running a transaction without committing it."""

    err: Any
    logs: list[str]
    units_consumed: int
    return_data: dict[str, Any] | None
    inner_instructions: list[dict[str, Any]] | None
    post_accounts: dict[Pubkey, Account] = field(default_factory=dict)


class ChainListener(Protocol):
    """Receives chain events (the subscription hub)."""

    def on_slot(self, slot: int) -> None: ...

    def on_transaction(self, record: TxRecord) -> None: ...

    def on_accounts_written(self, slot: int, accounts: dict[Pubkey, Account | None]) -> None: ...


def _return_data_json(rd: Any) -> dict[str, Any] | None:
    if rd is None or not bytes(rd.data):
        return None
    return {"programId": str(rd.program_id), "data": [b64encode(bytes(rd.data)), "base64"]}


def _inner_json(inner: list[list[Any]]) -> list[dict[str, Any]]:
    out = []
    for index, ixs in enumerate(inner):
        if ixs:
            compiled = []
            for ii in ixs:
                ci, height = ii.instruction(), ii.stack_height()
                compiled.append({"accounts": list(bytes(ci.accounts)), "data": b58encode(bytes(ci.data)),
                                 "programIdIndex": ci.program_id_index, "stackHeight": height})
            out.append({"index": index, "instructions": compiled})
    return out


def compute_unit_price(tx: VersionedTransaction) -> int:
    """Return the transaction's SetComputeUnitPrice (micro-lamports per CU), 0 when it sets none."""
    msg = tx.message
    keys = msg.account_keys
    for ix in msg.instructions:
        if ix.program_id_index < len(keys) and keys[ix.program_id_index] == COMPUTE_BUDGET_PROGRAM_ID:
            data = bytes(ix.data)
            if len(data) == 9 and data[0] == 3:
                return int.from_bytes(data[1:9], "little")
    return 0


class ChainState:
    """LiteSVM plus what a node needs around it. Call from one thread only."""

    def __init__(self, local: LocalSvm, config: NodeConfig, faults: FaultInjector,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self.local = local
        self.svm = local.svm
        self.config = config
        self.faults = faults
        self.wall_clock = wall_clock
        self.svm.with_sigverify(False)
        self.svm.with_blockhash_check(False)
        self.epoch_schedule = self.svm.get_epoch_schedule()
        self.slot = self.svm.get_clock().slot
        self.genesis_hash = str(self.svm.latest_blockhash())
        self.blockhashes: OrderedDict[str, int] = OrderedDict()
        self.known: set[Pubkey] = {local.program_id}
        self.records: OrderedDict[Signature, TxRecord] = OrderedDict()
        self.fee_slots: OrderedDict[int, tuple[int | None, dict[Pubkey, int]]] = OrderedDict()
        self.transaction_count = 0
        self.listeners: list[ChainListener] = []
        self._mint_decimals: dict[Pubkey, int] = {}
        self.faucet = Keypair()
        funded = self.svm.airdrop(self.faucet.pubkey(), config.faucet_lamports)
        if isinstance(funded, FailedTransactionMetadata):
            raise RuntimeError(f"cannot fund the faucet with {config.faucet_lamports} lamports from LiteSVM's airdrop pool")  # noqa: TRY004 - a failed airdrop, not a type check
        self.known.add(self.faucet.pubkey())
        self._sync_clock()
        self._register_blockhash()

    # -- time -----------------------------------------------------------------------------------
    @property
    def block_height(self) -> int:
        """Block height (every slot has a block on this node)."""
        return self.slot

    def commitment_slot(self, commitment: str) -> int:
        """The newest slot at ``commitment`` (processed, confirmed or finalized)."""
        if commitment == "processed":
            return self.slot
        depth = self.config.confirmed_depth_slots if commitment == "confirmed" else self.config.finalized_depth_slots
        return max(0, self.slot - depth)

    def _sync_clock(self) -> None:
        epoch, _ = self.epoch_schedule.get_epoch_and_slot_index(self.slot)
        c = self.svm.get_clock()
        self.svm.set_clock(Clock(self.slot, c.epoch_start_timestamp, epoch, epoch + 1, int(self.wall_clock())))

    def _register_blockhash(self) -> None:
        self.blockhashes[str(self.svm.latest_blockhash())] = self.slot
        horizon = self.slot - self.config.blockhash_valid_slots - 1
        while self.blockhashes:
            first, slot = next(iter(self.blockhashes.items()))
            if slot >= horizon:
                break
            del self.blockhashes[first]

    def advance_slot(self) -> int:
        """Produce the next slot: clock, a new blockhash, then tell listeners. Return the new slot."""
        self.slot += 1
        self._sync_clock()
        self.svm.expire_blockhash()
        self._register_blockhash()
        while len(self.fee_slots) > MAX_FEE_SLOTS:
            self.fee_slots.popitem(last=False)
        for listener in self.listeners:
            listener.on_slot(self.slot)
        return self.slot

    def epoch_info(self, slot: int) -> dict[str, Any]:
        """Return the getEpochInfo value at ``slot``."""
        epoch, index = self.epoch_schedule.get_epoch_and_slot_index(slot)
        return {"absoluteSlot": slot, "blockHeight": slot, "epoch": epoch, "slotIndex": index,
                "slotsInEpoch": self.epoch_schedule.get_slots_in_epoch(epoch), "transactionCount": self.transaction_count}

    # -- blockhashes ----------------------------------------------------------------------------
    def blockhash_at(self, slot: int) -> tuple[str, int]:
        """Return (blockhash, last valid block height) of the newest blockhash registered at or before ``slot``."""
        for h, s in reversed(self.blockhashes.items()):
            if s <= slot:
                return h, s + self.config.blockhash_valid_slots
        h, s = next(iter(self.blockhashes.items()))
        return h, s + self.config.blockhash_valid_slots

    def blockhash_valid(self, blockhash: str) -> bool:
        """True when ``blockhash`` is recent enough to be used (fault injection may shorten its life)."""
        slot = self.blockhashes.get(blockhash)
        if slot is None:
            return False
        age = self.slot - slot
        if age > self.config.blockhash_valid_slots:
            return False
        return not self.faults.blockhash_expired_early(age)

    # -- accounts -------------------------------------------------------------------------------
    def get_account(self, address: Pubkey) -> Account | None:
        """Return the account at ``address`` or None."""
        return self.svm.get_account(address)

    def set_account(self, address: Pubkey, account: Account) -> None:
        """Write an account directly (oracle publishers, fixtures) and notify subscribers."""
        self.svm.set_account(address, account)
        self.known.add(address)
        for listener in self.listeners:
            listener.on_accounts_written(self.slot, {address: account})

    def note_addresses(self, addresses: Iterable[Pubkey]) -> None:
        """Add addresses written outside the node (e.g. by an in-process bootstrap) to the index."""
        self.known.update(addresses)

    def program_accounts(self, program_id: Pubkey) -> list[tuple[Pubkey, Account]]:
        """Return every indexed account owned by ``program_id``, in address order."""
        out = []
        for address in sorted(self.known, key=bytes):
            acc = self.svm.get_account(address)
            if acc is not None and acc.owner == program_id:
                out.append((address, acc))
        return out

    def decimals_of(self, mint: Pubkey) -> int | None:
        """Return (and cache) a mint's decimals, or None when ``mint`` is not an SPL Token mint."""
        dec = self._mint_decimals.get(mint)
        if dec is None:
            acc = self.svm.get_account(mint)
            if acc is None or acc.owner not in TOKEN_PROGRAMS:
                return None
            dec = mint_decimals(bytes(acc.data))
            if dec is not None:
                self._mint_decimals[mint] = dec
        return dec

    # -- transactions ---------------------------------------------------------------------------
    def resolve_keys(self, tx: VersionedTransaction) -> tuple[list[Pubkey], list[bool], list[Pubkey], list[Pubkey]]:
        """Return (all account keys, writable flags, loaded writable, loaded readonly) of ``tx``."""
        msg = tx.message
        keys = list(msg.account_keys)
        h = msg.header
        n, signers = len(keys), h.num_required_signatures
        writable = [
            (i < signers - h.num_readonly_signed_accounts) or (signers <= i < n - h.num_readonly_unsigned_accounts)
            for i in range(n)
        ]
        loaded_w: list[Pubkey] = []
        loaded_r: list[Pubkey] = []
        if isinstance(msg, MessageV0):
            for lookup in msg.address_table_lookups:
                table = self.svm.get_account(lookup.account_key)
                addrs = bytes(table.data)[LOOKUP_TABLE_META_SIZE:] if table is not None else b""
                count = len(addrs) // 32
                loaded_w += [Pubkey.from_bytes(addrs[32 * i : 32 * i + 32]) for i in bytes(lookup.writable_indexes) if i < count]
                loaded_r += [Pubkey.from_bytes(addrs[32 * i : 32 * i + 32]) for i in bytes(lookup.readonly_indexes) if i < count]
        return keys + loaded_w + loaded_r, writable + [True] * len(loaded_w) + [False] * len(loaded_r), loaded_w, loaded_r

    def fee_for(self, message: Message | MessageV0) -> int:
        """Return the fee LiteSVM charges for ``message`` (signatures only: it charges no priority fee)."""
        return self.config.lamports_per_signature * message.header.num_required_signatures

    def signatures_valid(self, tx: VersionedTransaction) -> bool:
        """True when every required signature verifies."""
        try:
            return all(tx.verify_with_results())
        except Exception:  # noqa: BLE001 - malformed input must never escape as a crash
            return False

    def _token_balances(self, keys: list[Pubkey], accounts: list[Account | None]) -> list[dict[str, Any]]:
        out = []
        for i, (key, acc) in enumerate(zip(keys, accounts)):
            if acc is None or acc.owner not in TOKEN_PROGRAMS or len(acc.data) < TOKEN_ACCOUNT_LEN:
                continue
            fields = token_account_fields(bytes(acc.data))
            if fields is None:
                continue
            mint, owner, amount, _ = fields
            decimals = self.decimals_of(mint)
            if decimals is None:
                continue
            out.append({"accountIndex": i, "mint": str(mint), "owner": str(owner), "programId": str(acc.owner),
                        "uiTokenAmount": ui_token_amount(amount, decimals)})
        return out

    def precheck(self, tx: VersionedTransaction, *, check_blockhash: bool = True) -> Any:
        """Return the JSON error that stops ``tx`` before execution (stale blockhash, duplicate), else None."""
        if tx.signatures and tx.signatures[0] in self.records:
            return "AlreadyProcessed"
        if check_blockhash and not self.blockhash_valid(str(tx.message.recent_blockhash)):
            return "BlockhashNotFound"
        return None

    def simulate(self, tx: VersionedTransaction, *, check_blockhash: bool = True, want_accounts: bool = False) -> Simulation:
        """Run ``tx`` against the current state without committing it."""
        pre_err = self.precheck(tx, check_blockhash=check_blockhash)
        if pre_err is not None:
            return Simulation(pre_err, [], 0, None, None)
        result = self.svm.simulate_transaction(tx)
        if isinstance(result, FailedTransactionMetadata):
            meta = result.meta()
            return Simulation(tx_error_json(result.err()), list(meta.logs()), meta.compute_units_consumed(),
                              _return_data_json(meta.return_data()), _inner_json(meta.inner_instructions()))
        meta = result.meta()
        posts = dict(result.post_accounts()) if want_accounts else {}
        return Simulation(None, list(meta.logs()), meta.compute_units_consumed(), _return_data_json(meta.return_data()),
                          _inner_json(meta.inner_instructions()), posts)

    def preflight(self, tx: VersionedTransaction) -> None:
        """Verify signatures and simulate; raise the RpcError a node returns when either fails."""
        if not self.signatures_valid(tx):
            raise signature_verification_failure()
        sim = self.simulate(tx)
        if sim.err is not None:
            raise RpcError(SEND_TRANSACTION_PREFLIGHT_FAILURE, f"Transaction simulation failed: {tx_error_text(sim.err)}", {
                "accounts": None, "err": sim.err, "innerInstructions": None, "loadedAccountsDataSize": 0,
                "logs": sim.logs, "replacementBlockhash": None, "returnData": sim.return_data,
                "unitsConsumed": sim.units_consumed,
            })

    def execute(self, tx: VersionedTransaction, *, verified: bool = False) -> TxRecord | None:
        """Execute ``tx`` in the current slot. Return its record, or None when it was dropped.

        Dropped, as a cluster drops them without a trace: bad signatures, stale blockhash,
        duplicates, and failures before execution (no fee charged). ``verified`` skips the
        signature check when ``preflight`` just did it.
        """
        signature = tx.signatures[0] if tx.signatures else Signature.default()
        if (not verified and not self.signatures_valid(tx)) or self.precheck(tx) is not None:
            log.info("dropped transaction %s (bad signature, stale blockhash or duplicate)", signature)
            return None
        keys, writable, loaded_w, loaded_r = self.resolve_keys(tx)
        pre_accounts = [self.svm.get_account(k) for k in keys]
        result = self.svm.send_transaction(tx)
        post_accounts = [self.svm.get_account(k) for k in keys]
        pre = [a.lamports if a is not None else 0 for a in pre_accounts]
        post = [a.lamports if a is not None else 0 for a in post_accounts]
        if isinstance(result, FailedTransactionMetadata):
            if pre[0] == post[0]:
                log.info("dropped transaction %s before execution: %s", signature, tx_error_json(result.err()))
                return None
            meta, err, raw_err = result.meta(), tx_error_json(result.err()), result.err()
        else:
            meta, err, raw_err = result, None, None
        record = TxRecord(
            signature=signature, slot=self.slot, block_time=int(self.wall_clock()), tx=tx, account_keys=keys,
            writable=writable, loaded_writable=loaded_w, loaded_readonly=loaded_r, err=err, logs=list(meta.logs()),
            fee=self.fee_for(tx.message), compute_units=meta.compute_units_consumed(), pre_balances=pre,
            post_balances=post, pre_token_balances=self._token_balances(keys, pre_accounts),
            post_token_balances=self._token_balances(keys, post_accounts),
            inner_instructions=_inner_json(meta.inner_instructions()), return_data=_return_data_json(meta.return_data()),
            priority_fee=compute_unit_price(tx), raw_err=raw_err,
        )
        self._remember(record)
        written = {k: a for k, a, w in zip(keys, post_accounts, writable) if w}
        for listener in self.listeners:
            listener.on_transaction(record)
            listener.on_accounts_written(self.slot, written)
        return record

    def _remember(self, record: TxRecord) -> None:
        self.records[record.signature] = record
        if len(self.records) > MAX_TX_RECORDS:
            self.records.popitem(last=False)
        self.known.update(record.account_keys)
        self.transaction_count += 1
        block_min, per_account = self.fee_slots.get(record.slot, (None, {}))
        fee = record.priority_fee
        block_min = fee if block_min is None else min(block_min, fee)
        for key, w in zip(record.account_keys, record.writable):
            if w:
                per_account[key] = min(per_account.get(key, fee), fee)
        self.fee_slots[record.slot] = (block_min, per_account)

    def send(self, ixs: Sequence[Instruction], signers: Iterable[Keypair] = (), payer: Keypair | None = None) -> Outcome:
        """Sign and execute instructions in-process, like ``LocalSvm.send``, but through the node.

        The transaction is recorded and its writes notify subscribers, so in-process writers (oracle
        publishers, scenario drivers) are seen by RPC clients exactly as sent transactions are.
        A transaction identical to one already sent in this slot is refused as AlreadyProcessed.
        """
        payer = payer or self.local.payer
        keys = [payer] + [s for s in signers if s.pubkey() != payer.pubkey()]
        blockhash = Hash.from_string(self.blockhash_at(self.slot)[0])
        tx = VersionedTransaction(MessageV0.try_compile(payer.pubkey(), list(ixs), [], blockhash), keys)
        if tx.signatures[0] in self.records:
            return Failed(tx.signatures[0], TransactionErrorFieldless.AlreadyProcessed)
        record = self.execute(tx)
        if record is None:
            return Failed(tx.signatures[0], "dropped before execution (see the node log)")
        if record.err is not None:
            return Failed(record.signature, record.raw_err, record.logs, record.compute_units)
        rd = record.return_data
        data = base64.b64decode(rd["data"][0]) if rd else None
        return Landed(record.signature, record.logs, record.compute_units, data, record.slot)

    def airdrop(self, to: Pubkey, lamports: int) -> Signature:
        """Transfer ``lamports`` from the faucet in a real, recorded transaction; return its signature."""
        blockhash = Hash.from_string(self.blockhash_at(self.slot)[0])
        msg = MessageV0.try_compile(self.faucet.pubkey(), [transfer(TransferParams(
            from_pubkey=self.faucet.pubkey(), to_pubkey=to, lamports=lamports))], [], blockhash)
        tx = VersionedTransaction(msg, [self.faucet])
        record = self.execute(tx)
        if record is None or record.err is not None:
            raise RpcError(-32600, "airdrop request failed. This can happen when the rate limit is reached.")
        return record.signature

    # -- status ---------------------------------------------------------------------------------
    def signature_status(self, signature: Signature, search_history: bool = False) -> dict[str, Any] | None:
        """Return the getSignatureStatuses entry of ``signature``, or None when unknown.

        As on a cluster, a transaction older than the status cache (``status_cache_slots``) is found
        only with ``search_history`` (``searchTransactionHistory``).
        """
        rec = self.records.get(signature)
        if rec is None:
            return None
        age = self.slot - rec.slot
        if age > self.config.status_cache_slots and not search_history:
            return None
        if age >= self.config.finalized_depth_slots:
            level, confirmations = "finalized", None
        elif age >= self.config.confirmed_depth_slots:
            level, confirmations = "confirmed", age
        else:
            level, confirmations = "processed", 0
        return {"slot": rec.slot, "confirmations": confirmations, "err": rec.err,
                "status": {"Ok": None} if rec.err is None else {"Err": rec.err}, "confirmationStatus": level}

    def recent_prioritization_fees(self, accounts: list[Pubkey]) -> list[dict[str, int]]:
        """Return getRecentPrioritizationFees entries for the last 150 slots, oldest first."""
        first = max(0, self.slot - MAX_FEE_SLOTS + 1)
        out = []
        for slot in range(first, self.slot + 1):
            block_min, per_account = self.fee_slots.get(slot, (None, {}))
            fee = block_min or 0
            for a in accounts:
                fee = max(fee, per_account.get(a, 0))
            out.append({"slot": slot, "prioritizationFee": fee})
        return out


__all__ = ["ChainListener", "ChainState", "Simulation", "TxRecord", "compute_unit_price", "normalize_commitment"]
