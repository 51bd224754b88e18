"""The in-process ledger: LiteSVM with slots, blockhashes, transaction history and an account index.

``Ledger`` is the only code that touches LiteSVM once a chain runs, whether the RPC node serves it
(``localnet.rpc`` turns its values into JSON-RPC replies) or keepers drive it in process
(``keepers.chain.inprocess.InProcessChain``). Everything it returns is a typed value: solders
hashes, signatures and transaction errors, and the dataclasses below; it knows no JSON, no
base58/base64 text and no RPC error codes. It is synchronous and not thread-safe, like LiteSVM
itself: call it from one thread.

What LiteSVM does not model is kept here:
- slots advance by ``advance_slot`` (driven by the node's ticker or a simulation), with the Clock
  sysvar in step and a new blockhash per slot, each valid for ``blockhash_valid_slots`` (LiteSVM's
  own blockhash check, which only accepts the latest hash, is turned off);
- signatures are verified here (LiteSVM's sigverify is off so that simulation can skip it);
- every address ever written is indexed, since LiteSVM cannot enumerate accounts;
- transactions are recorded with their slot, balances and logs for statuses and history, as long as
  their block is kept (``history_slots``, at least the status cache's ``status_cache_slots``);
- commitment levels are modelled by depth (``LedgerConfig``);
- closed blocks and signatures per address are kept for ``history_slots`` (``localnet.history``);
- an account with zero lamports does not exist, as on a validator (LiteSVM keeps closed accounts
  as zero-lamport entries): ``get_account`` returns None and listeners are told None.

A simulation that only needs each transaction's outcome opts into lean recording (``lean=True``, see
``Ledger.send``): as long as no listener takes transactions, ``send`` keeps a ``LeanRecord`` (slot,
error, the transaction) in ``lean_records`` for statuses and duplicate checks, and skips what only
an RPC client reads: balances before and after, token balances, block and address history,
prioritisation fees.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, NamedTuple, Protocol

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
from solders.transaction_metadata import FailedTransactionMetadata, InnerInstruction, TransactionMetadata
from solders.transaction_status import TransactionErrorFieldless, TransactionErrorType

from keepers.chain.base import Blockhash
from keepers.execution.results import Failed, Landed, Outcome
from localnet.history import History
from localnet.spl_token import TOKEN_ACCOUNT_LEN, TOKEN_PROGRAMS, mint_decimals, token_account_fields
from localnet.svm import LocalSvm, sign_transaction_keys

log = logging.getLogger("localnet.ledger")

Commitment = Literal["processed", "confirmed", "finalized"]
COMMITMENTS: tuple[Commitment, ...] = ("processed", "confirmed", "finalized")
MAX_PROCESSING_AGE = 150  # slots a blockhash stays valid (Agave: MAX_PROCESSING_AGE)
MAX_RECENT_BLOCKHASHES = 300  # slots the status cache answers for (Agave's status cache)
COMPUTE_BUDGET_PROGRAM_ID = Pubkey.from_string("ComputeBudget111111111111111111111111111111")
LOOKUP_TABLE_META_SIZE = 56
MAX_FEE_SLOTS = 150
DEFAULT_HISTORY_SLOTS = 10_000  # ~67 minutes of 400 ms slots
_TOKEN_PROGRAM_SET = frozenset(TOKEN_PROGRAMS)
_LOADERS = frozenset(Pubkey.from_string(k) for k in (
    "BPFLoaderUpgradeab1e11111111111111111111111", "BPFLoader2111111111111111111111111111111111",
    "BPFLoader1111111111111111111111111111111111", "LoaderV411111111111111111111111111111111111",
    "NativeLoader1111111111111111111111111111111"))


class LedgerError(Exception):
    """The ledger refused a request (as opposed to a transaction that executed and failed)."""


class AirdropFailed(LedgerError):
    """The faucet's transfer was dropped or failed."""


class PreflightFailed(LedgerError):
    """``execute(preflight=True)``: the transaction would fail or be dropped; nothing of it was kept."""

    def __init__(self, simulation: Simulation) -> None:
        super().__init__(str(simulation.err))
        self.simulation = simulation


@dataclass(frozen=True)
class LedgerConfig:
    """How the ledger's chain moves: commitment depths, blockhash life, status cache, fees, faucet."""

    confirmed_depth_slots: int = 1
    finalized_depth_slots: int = 32
    blockhash_valid_slots: int = MAX_PROCESSING_AGE
    status_cache_slots: int = MAX_RECENT_BLOCKHASHES  # older statuses only with search_history
    lamports_per_signature: int = 5000
    faucet_lamports: int = 50_000 * 1_000_000_000  # LiteSVM's own airdrop pool holds less than 1e6 SOL
    history_slots: int = DEFAULT_HISTORY_SLOTS  # blocks and signatures per address older than this are pruned


class BlockhashFaults(Protocol):
    """The fault hook the ledger consults (``localnet.rpc.faults.FaultInjector`` is one)."""

    def blockhash_expired_early(self, age_slots: int) -> bool: ...


class NoFaults:
    """No fault injection: blockhashes live their full nominal life."""

    def blockhash_expired_early(self, age_slots: int) -> bool:
        """Never."""
        return False


@dataclass(frozen=True)
class ReturnData:
    """What a program returned with ``sol_set_return_data`` (only kept when not empty)."""

    program_id: Pubkey
    data: bytes


@dataclass(frozen=True)
class TokenBalance:
    """An SPL Token account's balance before or after a transaction; ``account_index`` is in the tx's keys."""

    account_index: int
    mint: Pubkey
    owner: Pubkey
    program_id: Pubkey
    amount: int
    decimals: int


class TokenAccountBytes(NamedTuple):
    """A token account's bytes as a transaction saw them (its mint's decimals already found).

    Kept in place of a ``TokenBalance``, which is built only when a reader asks (getTransaction,
    getBlock): most transactions are never read back.
    """

    account_index: int
    program_id: Pubkey
    data: bytes
    decimals: int

    def balance(self) -> TokenBalance:
        """Return the ``TokenBalance`` these bytes hold."""
        fields = token_account_fields(self.data)
        assert fields is not None  # only initialised token accounts are kept (Ledger._token_bytes)
        mint, owner, amount, _ = fields
        return TokenBalance(self.account_index, mint, owner, self.program_id, amount, self.decimals)


@dataclass
class TxRecord:
    """A transaction that landed (successfully or with an execution error) and its status meta.

    ``pre_tokens`` and ``post_tokens`` hold the raw token accounts; ``pre_token_balances`` and
    ``post_token_balances`` are built from them on first read.
    """

    signature: Signature
    slot: int
    block_time: int
    tx: VersionedTransaction
    account_keys: list[Pubkey]
    writable: list[bool]
    loaded_writable: list[Pubkey]
    loaded_readonly: list[Pubkey]
    err: TransactionErrorType | None
    logs: list[str]
    fee: int
    compute_units: int
    pre_balances: list[int]
    post_balances: list[int]
    pre_tokens: tuple[TokenAccountBytes, ...]
    post_tokens: tuple[TokenAccountBytes, ...]
    inner_instructions: list[list[InnerInstruction]]  # per top-level instruction, empty lists included
    return_data: ReturnData | None
    priority_fee: int = 0

    @cached_property
    def pre_token_balances(self) -> list[TokenBalance]:
        """Token balances of the transaction's SPL Token accounts before it ran, in key order."""
        return [t.balance() for t in self.pre_tokens]

    @cached_property
    def post_token_balances(self) -> list[TokenBalance]:
        """Token balances of the transaction's SPL Token accounts after it ran, in key order."""
        return [t.balance() for t in self.post_tokens]


class LeanRecord(NamedTuple):
    """A transaction sent in lean mode (``Ledger(lean=True)``): what its status and a replay need.

    ``block_time`` is the slot's Clock sysvar time, not the wall clock at execution.
    """

    signature: Signature
    slot: int
    block_time: int
    tx: VersionedTransaction
    err: TransactionErrorType | None


@dataclass(frozen=True)
class Simulation:
    """The outcome of running a transaction without committing it.

    ``inner_instructions`` is None when the transaction was refused before execution.
    """

    err: TransactionErrorType | None
    logs: list[str]
    units_consumed: int
    return_data: ReturnData | None = None
    inner_instructions: list[list[InnerInstruction]] | None = None
    post_accounts: dict[Pubkey, Account] = field(default_factory=dict)


@dataclass(frozen=True)
class TxStatus:
    """Where a recorded transaction stands: its slot, its error (None: success), its depth.

    ``confirmations`` is the number of slots on top of it, None once it is finalized.
    """

    slot: int
    err: TransactionErrorType | None
    confirmations: int | None
    commitment: Commitment


@dataclass(frozen=True)
class PrioritizationFee:
    """The priority fee (micro-lamports per compute unit) a transaction needed in ``slot``."""

    slot: int
    fee: int


@dataclass(frozen=True)
class EpochInfo:
    """The epoch a slot belongs to, and the ledger's transaction count."""

    absolute_slot: int
    block_height: int
    epoch: int
    slot_index: int
    slots_in_epoch: int
    transaction_count: int


class LedgerListener(Protocol):
    """Receives ledger events (the node's subscription hub, the in-process chain, drivers).

    A listener with a false ``wants_transactions`` attribute (absent: true) takes slots only, and
    lets a lean ledger stay lean (``Ledger(lean=True)``).
    """

    def on_slot(self, slot: int) -> None: ...

    def on_transaction(self, record: TxRecord) -> None: ...

    def on_accounts_written(self, slot: int, accounts: dict[Pubkey, Account | None]) -> None: ...


def _existing(acc: Account | None) -> Account | None:
    """None for an absent or closed (zero-lamport) account, as a validator's accounts DB has it."""
    return acc if acc is not None and acc.lamports > 0 else None


def _return_data(rd: Any) -> ReturnData | None:
    if rd is None:
        return None
    data = bytes(rd.data)
    return ReturnData(rd.program_id, data) if data else None


def compute_unit_price(tx: VersionedTransaction) -> int:
    """Return the transaction's SetComputeUnitPrice (micro-lamports per CU), 0 when it sets none."""
    msg = tx.message
    return _compute_unit_price(msg, msg.account_keys)


def _compute_unit_price(msg: Message | MessageV0, keys: Sequence[Pubkey]) -> int:
    if COMPUTE_BUDGET_PROGRAM_ID not in keys:  # most transactions: no need to convert their instructions
        return 0
    for ix in msg.instructions:
        if ix.program_id_index < len(keys) and keys[ix.program_id_index] == COMPUTE_BUDGET_PROGRAM_ID:
            data = bytes(ix.data)
            if len(data) == 9 and data[0] == 3:
                return int.from_bytes(data[1:9], "little")
    return 0


class Ledger:
    """LiteSVM plus what a chain needs around it (see the module docstring). Call from one thread only."""

    def __init__(self, local: LocalSvm, config: LedgerConfig | None = None, faults: BlockhashFaults | None = None,
                 wall_clock: Callable[[], float] = time.time, *, lean: bool = False) -> None:
        self.local = local
        self.lean = lean  # see the module docstring and ``send``; may be switched at any time
        self.svm = local.svm
        self.config = config or LedgerConfig()
        self.faults: BlockhashFaults = faults or NoFaults()
        self.wall_clock = wall_clock
        self.svm.with_sigverify(False)
        self.svm.with_blockhash_check(False)
        # LiteSVM's own history (10,000 transactions with their metadata) duplicates ``records`` and
        # ignores the history window; duplicates are refused from ``records`` (``precheck``).
        self.svm.with_transaction_history(0)
        self.epoch_schedule = self.svm.get_epoch_schedule()
        self.slot = self.svm.get_clock().slot
        self.genesis_hash: Hash = self.svm.latest_blockhash()
        self.latest_blockhash: Hash = self.genesis_hash
        self.blockhashes: OrderedDict[Hash, int] = OrderedDict()
        self.known: set[Pubkey] = {local.program_id}
        self.records: OrderedDict[Signature, TxRecord] = OrderedDict()
        self.lean_records: OrderedDict[Signature, LeanRecord] = OrderedDict()  # sent while lean
        self.fee_slots: OrderedDict[int, tuple[int | None, dict[Pubkey, int]]] = OrderedDict()
        self.transaction_count = 0
        self.listeners: list[LedgerListener] = []
        self._mint_decimals: dict[Pubkey, int] = {}
        self._decimals_by_mint_bytes: dict[bytes, int] = {}  # the same, keyed by the mint's 32 bytes
        self._programs: set[Pubkey] = set()  # addresses last seen executable (see _read_accounts)
        self.history = History(self.config.history_slots, wall_clock)
        self.faucet = Keypair()
        funded = self.svm.airdrop(self.faucet.pubkey(), self.config.faucet_lamports)
        if isinstance(funded, FailedTransactionMetadata):
            raise LedgerError(f"cannot fund the faucet with {self.config.faucet_lamports} lamports from LiteSVM's airdrop pool")
        self.known.add(self.faucet.pubkey())
        self._sync_clock()
        self._register_blockhash()

    # -- time -----------------------------------------------------------------------------------
    @property
    def block_height(self) -> int:
        """Block height (every slot has a block on this ledger)."""
        return self.slot

    def commitment_slot(self, commitment: Commitment) -> int:
        """The newest slot at ``commitment`` (processed, confirmed or finalized)."""
        if commitment == "processed":
            return self.slot
        depth = self.config.confirmed_depth_slots if commitment == "confirmed" else self.config.finalized_depth_slots
        return max(0, self.slot - depth)

    def _sync_clock(self) -> None:
        epoch, _ = self.epoch_schedule.get_epoch_and_slot_index(self.slot)
        c = self.svm.get_clock()
        self.slot_time = int(self.wall_clock())  # the Clock sysvar's time this slot (lean records' block time)
        self.svm.set_clock(Clock(self.slot, c.epoch_start_timestamp, epoch, epoch + 1, self.slot_time))

    def _register_blockhash(self) -> None:
        self.latest_blockhash = self.svm.latest_blockhash()  # the current slot's (what ``send`` signs with)
        self.blockhashes[self.latest_blockhash] = self.slot
        horizon = self.slot - self.config.blockhash_valid_slots - 1
        while self.blockhashes:
            first, slot = next(iter(self.blockhashes.items()))
            if slot >= horizon:
                break
            del self.blockhashes[first]

    def advance_slot(self) -> int:
        """Close the current slot's block, produce the next slot (clock, a new blockhash), then tell listeners.

        Return the new slot.
        """
        closing = self.slot
        previous = self.blockhash_at(closing).blockhash
        self.slot += 1
        self._sync_clock()
        self.svm.expire_blockhash()
        self._register_blockhash()
        self.history.close_block(closing, self.svm.latest_blockhash(), previous, int(self.wall_clock()))
        self._prune_records()
        while len(self.fee_slots) > MAX_FEE_SLOTS:
            self.fee_slots.popitem(last=False)
        for listener in self.listeners:
            listener.on_slot(self.slot)
        return self.slot

    def _prune_records(self) -> None:
        """Forget transactions older than the history window, or the status cache if that is longer.

        ``records`` answer getTransaction, signature statuses and duplicate checks: they live as long
        as their block (``history_slots``), but at least as long as the status cache, so a duplicate
        is refused for as long as its blockhash could be valid.
        """
        horizon = self.slot - max(self.config.history_slots, self.config.status_cache_slots,
                                  self.config.blockhash_valid_slots + 1)
        for records in (self.records, self.lean_records):
            while records:
                first = next(iter(records.values()))
                if first.slot >= horizon:
                    break
                records.popitem(last=False)

    def epoch_info(self, slot: int) -> EpochInfo:
        """Return the epoch of ``slot``, its index in it, and the transaction count."""
        epoch, index = self.epoch_schedule.get_epoch_and_slot_index(slot)
        return EpochInfo(slot, slot, epoch, index, self.epoch_schedule.get_slots_in_epoch(epoch), self.transaction_count)

    # -- blockhashes ----------------------------------------------------------------------------
    def blockhash_at(self, slot: int) -> Blockhash:
        """Return the newest blockhash registered at or before ``slot`` and its last valid block height."""
        valid = self.config.blockhash_valid_slots
        for h, s in reversed(self.blockhashes.items()):
            if s <= slot:
                return Blockhash(h, s + valid)
        h, s = next(iter(self.blockhashes.items()))
        return Blockhash(h, s + valid)

    def blockhash_valid(self, blockhash: Hash) -> bool:
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
        """Return the account at ``address``, None when absent or closed (zero lamports)."""
        return _existing(self.svm.get_account(address))

    def set_account(self, address: Pubkey, account: Account) -> None:
        """Write an account directly (oracle publishers, fixtures) and notify listeners."""
        self.svm.set_account(address, account)
        self.known.add(address)
        self._programs.discard(address)
        for listener in self.listeners:
            listener.on_accounts_written(self.slot, {address: _existing(account)})

    def note_addresses(self, addresses: Iterable[Pubkey]) -> None:
        """Add addresses written outside the ledger (e.g. by an in-process bootstrap) to the index."""
        self.known.update(addresses)

    def program_accounts(self, program_id: Pubkey) -> list[tuple[Pubkey, Account]]:
        """Return every indexed account owned by ``program_id``, in address order."""
        out = []
        for address in sorted(self.known, key=bytes):
            acc = _existing(self.svm.get_account(address))
            if acc is not None and acc.owner == program_id:
                out.append((address, acc))
        return out

    def minimum_balance_for_rent_exemption(self, size: int) -> int:
        """Lamports that make an account of ``size`` data bytes rent-exempt."""
        return self.svm.minimum_balance_for_rent_exemption(size)

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
        return self._resolve_keys(tx.message)

    def _resolve_keys(self, msg: Message | MessageV0) -> tuple[list[Pubkey], list[bool], list[Pubkey], list[Pubkey]]:
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

    def _token_bytes(self, accounts: list[Account | None]) -> tuple[TokenAccountBytes, ...]:
        """The initialised SPL Token accounts among ``accounts`` (by key index) whose mint is known."""
        out = []
        for i, acc in enumerate(accounts):
            if acc is None:
                continue
            program = acc.owner
            if program not in _TOKEN_PROGRAM_SET:
                continue
            data = acc.data
            if len(data) < TOKEN_ACCOUNT_LEN or data[108] == 0:  # not an initialised token account
                continue
            mint = data[:32]
            decimals = self._decimals_by_mint_bytes.get(mint)
            if decimals is None:
                decimals = self.decimals_of(Pubkey.from_bytes(mint))
                if decimals is None:
                    continue
                self._decimals_by_mint_bytes[mint] = decimals
            out.append(TokenAccountBytes(i, program, data[:TOKEN_ACCOUNT_LEN] if len(data) > TOKEN_ACCOUNT_LEN else data,
                                         decimals))
        return tuple(out)

    def _read_accounts(self, keys: list[Pubkey], writable: list[bool]) -> tuple[list[Account | None], list[int]]:
        """Return the accounts (None: absent or closed) and lamports of ``keys``.

        A read-only key last seen executable is read by its balance only, and its account is None
        here: copying a program's bytes (over 100 KB for SPL Token) for every transaction that
        passes it was the largest cost of reading, and a program is never a token account.
        """
        accounts: list[Account | None] = []
        lamports: list[int] = []
        programs, svm = self._programs, self.svm
        for key, w in zip(keys, writable):
            if not w and key in programs:
                accounts.append(None)
                lamports.append(svm.get_balance(key) or 0)
                continue
            acc = svm.get_account(key)
            if acc is None or acc.lamports == 0:
                accounts.append(None)
                lamports.append(0)
                continue
            if acc.executable:
                programs.add(key)
            accounts.append(acc)
            lamports.append(acc.lamports)
        return accounts, lamports

    def precheck(self, tx: VersionedTransaction, *, check_blockhash: bool = True) -> TransactionErrorType | None:
        """Return the error that stops ``tx`` before execution (duplicate, stale blockhash), else None."""
        signatures = tx.signatures
        return self._refusal(signatures[0] if signatures else None, tx.message.recent_blockhash, check_blockhash)

    def _refusal(self, signature: Signature | None, blockhash: Hash, check_blockhash: bool) -> TransactionErrorType | None:
        if signature is not None and (signature in self.records or signature in self.lean_records):
            return TransactionErrorFieldless.AlreadyProcessed
        if check_blockhash and not self.blockhash_valid(blockhash):
            return TransactionErrorFieldless.BlockhashNotFound
        return None

    def simulate(self, tx: VersionedTransaction, *, check_blockhash: bool = True, want_accounts: bool = False) -> Simulation:
        """Run ``tx`` against the current state without committing it (signatures are not verified)."""
        pre_err = self.precheck(tx, check_blockhash=check_blockhash)
        if pre_err is not None:
            return Simulation(pre_err, [], 0)
        result = self.svm.simulate_transaction(tx)
        if isinstance(result, FailedTransactionMetadata):
            meta = result.meta()
            return Simulation(result.err(), list(meta.logs()), meta.compute_units_consumed(),
                              _return_data(meta.return_data()), meta.inner_instructions())
        meta = result.meta()
        posts = dict(result.post_accounts()) if want_accounts else {}
        return Simulation(None, list(meta.logs()), meta.compute_units_consumed(), _return_data(meta.return_data()),
                          meta.inner_instructions(), posts)

    def execute(self, tx: VersionedTransaction, *, verified: bool = False, preflight: bool = False) -> TxRecord | None:
        """Execute ``tx`` in the current slot. Return its record, or None when it was dropped.

        Dropped, as a cluster drops them without a trace: bad signatures, stale blockhash,
        duplicates, and failures before execution (no fee charged). ``verified`` skips the
        signature check when the caller just did it.

        ``preflight``: simulate first and raise ``PreflightFailed`` (nothing kept) when the
        transaction would fail or be dropped; else commit the simulation's writes, so that the
        transaction runs once, not twice (simulation, then execution).
        """
        signatures, msg = tx.signatures, tx.message  # each access builds a new object: once each
        signature = signatures[0] if signatures else Signature.default()
        signed = verified or self.signatures_valid(tx)
        pre_err = (self._refusal(signatures[0] if signatures else None, msg.recent_blockhash, True) if signed
                   else TransactionErrorFieldless.SignatureFailure)
        if pre_err is not None:
            if preflight:
                raise PreflightFailed(Simulation(pre_err, [], 0))
            log.info("dropped transaction %s (bad signature, stale blockhash or duplicate)", signature)
            return None
        keys, writable, loaded_w, loaded_r = self._resolve_keys(msg)
        pre_accounts, pre = self._read_accounts(keys, writable)
        if preflight:
            result, writes = self._run_preflighted(tx)
        else:
            result, writes = self.svm.send_transaction(tx), None
        # read-only accounts are as they were; writable ones as the simulation left them, else as read again
        post_accounts, post = list(pre_accounts), list(pre)
        written: dict[Pubkey, Account | None] = {}
        for i, (key, w) in enumerate(zip(keys, writable)):
            if w:
                acc = writes.get(key) if writes is not None else None
                if acc is None:
                    acc = self.svm.get_account(key)
                if acc is None or acc.lamports == 0:
                    acc = None
                    post[i] = 0
                    self._programs.discard(key)
                else:
                    post[i] = acc.lamports
                    if acc.executable:
                        self._programs.add(key)
                    else:
                        self._programs.discard(key)
                post_accounts[i] = written[key] = acc
        err: TransactionErrorType | None
        if isinstance(result, FailedTransactionMetadata):
            if pre[0] == post[0]:
                log.info("dropped transaction %s before execution: %s", signature, result.err())
                return None
            meta, err = result.meta(), result.err()
        else:
            meta, err = result, None
        record = TxRecord(
            signature=signature, slot=self.slot, block_time=int(self.wall_clock()), tx=tx, account_keys=keys,
            writable=writable, loaded_writable=loaded_w, loaded_readonly=loaded_r, err=err, logs=list(meta.logs()),
            fee=self.fee_for(msg), compute_units=meta.compute_units_consumed(), pre_balances=pre,
            post_balances=post, pre_tokens=self._token_bytes(pre_accounts), post_tokens=self._token_bytes(post_accounts),
            inner_instructions=meta.inner_instructions(), return_data=_return_data(meta.return_data()),
            priority_fee=_compute_unit_price(msg, keys[:len(keys) - len(loaded_w) - len(loaded_r)]),
        )
        self._remember(record)
        for listener in self.listeners:
            listener.on_transaction(record)
            listener.on_accounts_written(self.slot, written)
        return record

    def _run_preflighted(self, tx: VersionedTransaction) -> tuple[TransactionMetadata | FailedTransactionMetadata,
                                                                  dict[Pubkey, Account] | None]:
        """Simulate ``tx``; raise ``PreflightFailed`` when it fails, else write its accounts.

        Return its metadata and the accounts it wrote (None when it ran through LiteSVM instead).
        Duplicates are refused by ``precheck`` (from ``records``), not by LiteSVM, which never sees
        a transaction committed this way. Writes to programs go through LiteSVM's own execution,
        which keeps its program cache in step.
        """
        sim = self.svm.simulate_transaction(tx)
        if isinstance(sim, FailedTransactionMetadata):
            meta = sim.meta()
            raise PreflightFailed(Simulation(sim.err(), list(meta.logs()), meta.compute_units_consumed(),
                                             _return_data(meta.return_data()), meta.inner_instructions()))
        writes = sim.post_accounts()
        if any(acc.executable or acc.owner in _LOADERS for _, acc in writes):
            return self.svm.send_transaction(tx), None
        set_account = self.svm.set_account
        for key, acc in writes:
            set_account(key, acc)
        return sim.meta(), dict(writes)

    def _remember(self, record: TxRecord) -> None:
        self.records[record.signature] = record
        self.known.update(record.account_keys)
        self.transaction_count += 1
        self.history.add_transaction(record)
        block_min, per_account = self.fee_slots.get(record.slot, (None, {}))
        fee = record.priority_fee
        block_min = fee if block_min is None else min(block_min, fee)
        for key, w in zip(record.account_keys, record.writable):
            if w:
                per_account[key] = min(per_account.get(key, fee), fee)
        self.fee_slots[record.slot] = (block_min, per_account)

    def send(self, ixs: Sequence[Instruction], signers: Iterable[Keypair] = (), payer: Keypair | None = None) -> Outcome:
        """Sign and execute instructions in-process, like ``LocalSvm.send``, but recorded by the ledger.

        The transaction is recorded and its writes notify listeners, so in-process writers (oracle
        publishers, scenario drivers) are seen by RPC clients exactly as sent transactions are.
        A transaction identical to one already sent in this slot is refused as AlreadyProcessed.

        Lean (``lean`` set and no listener that takes transactions): the transaction is executed
        and only its ``LeanRecord`` kept (``lean_records``); its addresses are still indexed.
        """
        tx, signature, keys = sign_transaction_keys(ixs, payer or self.local.payer, signers, self.latest_blockhash)
        if signature in self.records or signature in self.lean_records:
            return Failed(signature, TransactionErrorFieldless.AlreadyProcessed)
        if self.lean and (not self.listeners
                          or not any(getattr(li, "wants_transactions", True) for li in self.listeners)):
            return self._send_lean(tx, signature, keys)
        record = self.execute(tx, verified=True)  # signed just now, by the keypairs themselves
        if record is None:
            return Failed(signature, "dropped before execution (see the log)")
        if record.err is not None:
            return Failed(record.signature, record.err, record.logs, record.compute_units)
        data = record.return_data.data if record.return_data is not None else None
        return Landed(record.signature, record.logs, record.compute_units, data, record.slot)

    def _send_lean(self, tx: VersionedTransaction, signature: Signature, keys: list[Pubkey]) -> Outcome:
        """Execute a transaction ``send`` just signed; keep its ``LeanRecord`` only (see ``send``).

        ``keys``: its account keys, the fee payer first. As ``execute`` does, a transaction that
        failed without charging its fee (refused before execution) is dropped, and so is one whose
        blockhash (the latest, age 0) fault injection expires.
        """
        if self.faults.blockhash_expired_early(0):
            log.info("dropped transaction %s (stale blockhash)", signature)
            return Failed(signature, "dropped before execution (see the log)")
        svm, payer = self.svm, keys[0]
        before = svm.get_balance(payer)
        result = svm.send_transaction(tx)
        err: TransactionErrorType | None
        if isinstance(result, FailedTransactionMetadata):
            if svm.get_balance(payer) == before:
                log.info("dropped transaction %s before execution: %s", signature, result.err())
                return Failed(signature, "dropped before execution (see the log)")
            meta, err = result.meta(), result.err()
        else:
            meta, err = result, None
        self.lean_records[signature] = LeanRecord(signature, self.slot, self.slot_time, tx, err)
        self.known.update(keys)
        self.transaction_count += 1
        logs, units = meta.logs(), meta.compute_units_consumed()  # logs(): a new list at every call
        if err is not None:
            return Failed(signature, err, logs, units)
        data = _return_data(meta.return_data())
        return Landed(signature, logs, units, data.data if data is not None else None, self.slot)

    def airdrop(self, to: Pubkey, lamports: int) -> Signature:
        """Transfer ``lamports`` from the faucet in a real, recorded transaction; return its signature.

        Raises ``AirdropFailed`` when the transfer is dropped or fails.
        """
        blockhash = self.blockhash_at(self.slot).blockhash
        msg = MessageV0.try_compile(self.faucet.pubkey(), [transfer(TransferParams(
            from_pubkey=self.faucet.pubkey(), to_pubkey=to, lamports=lamports))], [], blockhash)
        tx = VersionedTransaction(msg, [self.faucet])
        record = self.execute(tx)
        if record is None or record.err is not None:
            raise AirdropFailed(f"airdrop of {lamports} lamports to {to} failed: {record.err if record else 'dropped'}")
        return record.signature

    # -- status ---------------------------------------------------------------------------------
    def signature_status(self, signature: Signature, search_history: bool = False) -> TxStatus | None:
        """Return the status of ``signature``, or None when unknown.

        As on a cluster, a transaction older than the status cache (``status_cache_slots``) is found
        only with ``search_history``.
        """
        rec: TxRecord | LeanRecord | None = self.records.get(signature) or self.lean_records.get(signature)
        if rec is None:
            return None
        age = self.slot - rec.slot
        if age > self.config.status_cache_slots and not search_history:
            return None
        if age >= self.config.finalized_depth_slots:
            return TxStatus(rec.slot, rec.err, None, "finalized")
        if age >= self.config.confirmed_depth_slots:
            return TxStatus(rec.slot, rec.err, age, "confirmed")
        return TxStatus(rec.slot, rec.err, 0, "processed")

    def recent_prioritization_fees(self, accounts: Sequence[Pubkey] = ()) -> list[PrioritizationFee]:
        """Return the fee a transaction locking ``accounts`` needed in each of the last 150 slots, oldest first."""
        first = max(0, self.slot - MAX_FEE_SLOTS + 1)
        out = []
        for slot in range(first, self.slot + 1):
            block_min, per_account = self.fee_slots.get(slot, (None, {}))
            fee = block_min or 0
            for a in accounts:
                fee = max(fee, per_account.get(a, 0))
            out.append(PrioritizationFee(slot, fee))
        return out


__all__ = [
    "COMMITMENTS", "MAX_PROCESSING_AGE", "MAX_RECENT_BLOCKHASHES", "AirdropFailed", "BlockhashFaults", "Commitment",
    "EpochInfo", "Ledger", "LedgerConfig", "LedgerError", "LedgerListener", "LeanRecord", "NoFaults", "PrioritizationFee",
    "ReturnData", "Simulation", "TokenAccountBytes", "TokenBalance", "TxRecord", "TxStatus", "compute_unit_price",
]
