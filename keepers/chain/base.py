"""The one interface through which keepers see a chain, and the values it returns.

Two implementations: ``keepers.chain.rpc.RpcChain`` (JSON-RPC over HTTP plus websocket
subscriptions, for a validator, devnet, mainnet or the localnet node) and
``keepers.chain.inprocess.InProcessChain`` (a LiteSVM in the same process, for the simulator and
the embedded demo). Keepers cannot tell them apart.

Transport problems raise ``ChainError`` (or a subclass); a transaction that executed and failed is
a value (``Simulation.err`` / ``SignatureStatus.err``), not an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction
from solders.transaction_status import InstructionErrorCustom, TransactionErrorInstructionError

COMMITMENTS = ("processed", "confirmed", "finalized")

# Requests made while this is True (the transaction pipeline sets it for an urgent action's task) may use
# a chain's reserved share of its rate limit, so they do not queue behind bulk work (``RpcChain``).
URGENT: ContextVar[bool] = ContextVar("perpkeep_urgent_requests", default=False)


class ChainError(Exception):
    """The chain could not be asked (transport failure, refused request, malformed reply)."""


class RateLimited(ChainError):
    """The endpoint answered 429; ``retry_after_s`` is what it asked us to wait."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class BadResponse(ChainError):
    """The endpoint answered with something that is not a valid reply to the request."""


@dataclass(frozen=True)
class AccountData:
    """An account as read at ``slot``."""

    pubkey: Pubkey
    owner: Pubkey
    lamports: int
    data: bytes
    slot: int
    executable: bool = False


@dataclass(frozen=True)
class MemcmpFilter:
    """``getProgramAccounts`` filter: the account data holds ``data`` at ``offset``."""

    offset: int
    data: bytes


@dataclass(frozen=True)
class DataSizeFilter:
    """``getProgramAccounts`` filter: the account data is exactly ``size`` bytes."""

    size: int


AccountFilter = MemcmpFilter | DataSizeFilter


def matches(filters: Sequence[AccountFilter], data: bytes) -> bool:
    """Return whether ``data`` passes every filter (the validator's semantics)."""
    for f in filters:
        if isinstance(f, DataSizeFilter):
            if len(data) != f.size:
                return False
        elif data[f.offset : f.offset + len(f.data)] != f.data:
            return False
    return True


def custom_error_code(err: object) -> int | None:
    """The program's custom error code inside a transaction error, or None.

    ``err`` is a solders ``TransactionError`` or its JSON-RPC form, ``{"InstructionError": [i, {"Custom": n}]}``.
    """
    if isinstance(err, TransactionErrorInstructionError) and isinstance(err.err, InstructionErrorCustom):
        return err.err.code
    if isinstance(err, dict):
        pair = err.get("InstructionError")
        if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[1], dict):
            code = pair[1].get("Custom")
            if isinstance(code, int) and not isinstance(code, bool):
                return code
    return None


@dataclass(frozen=True)
class Simulation:
    """What simulating a transaction reported."""

    err: object | None
    logs: list[str] = field(default_factory=list)
    units_consumed: int = 0

    @property
    def custom_code(self) -> int | None:
        return custom_error_code(self.err)


@dataclass(frozen=True)
class SignatureStatus:
    """Where a sent transaction stands: the slot it landed in, its error (None: success), its commitment."""

    slot: int
    err: object | None
    commitment: str

    @property
    def custom_code(self) -> int | None:
        return custom_error_code(self.err)


@dataclass(frozen=True)
class Blockhash:
    """A recent blockhash and the last block height at which a transaction using it can land."""

    blockhash: Hash
    last_valid_block_height: int


class Subscription(Protocol):
    """A live subscription; ``close`` stops its callbacks."""

    def close(self) -> None: ...


AccountCallback = Callable[[AccountData], None]
SlotCallback = Callable[[int], None]
SignatureCallback = Callable[[Signature, SignatureStatus], None]


@runtime_checkable
class Chain(Protocol):
    """Reads, transactions and subscriptions of one cluster (see the module docstring)."""

    name: str

    async def get_slot(self) -> int:
        """The current slot at the chain's commitment."""
        ...

    async def get_block_height(self) -> int:
        """The current block height (what ``Blockhash.last_valid_block_height`` is compared with)."""
        ...

    async def get_account(self, pubkey: Pubkey) -> AccountData | None:
        """One account, or None when it does not exist."""
        ...

    async def get_accounts(self, pubkeys: Sequence[Pubkey]) -> list[AccountData | None]:
        """Many accounts in order (None for missing ones); batched as the endpoint allows."""
        ...

    async def get_program_accounts(self, program_id: Pubkey, filters: Sequence[AccountFilter] = ()) -> list[AccountData]:
        """Every account owned by ``program_id`` that passes ``filters``."""
        ...

    async def get_balance(self, pubkey: Pubkey) -> int:
        """Lamports held by ``pubkey`` (0 when the account does not exist)."""
        ...

    async def get_latest_blockhash(self) -> Blockhash:
        """A recent blockhash to sign with."""
        ...

    async def get_recent_prioritization_fees(self, writable: Sequence[Pubkey] = ()) -> list[int]:
        """Recent per-slot minimum priority fees (micro-lamports per CU) paid by transactions locking ``writable``."""
        ...

    async def simulate(self, tx: VersionedTransaction) -> Simulation:
        """Execute ``tx`` without committing it (signatures not verified, blockhash replaced)."""
        ...

    async def send(self, tx: VersionedTransaction) -> Signature:
        """Submit ``tx`` without preflight; return its signature (landing is learned from statuses)."""
        ...

    async def get_signature_statuses(self, signatures: Sequence[Signature],
                                     search_history: bool = False) -> list[SignatureStatus | None]:
        """Statuses of ``signatures`` in order; None for ones the chain has not seen (in its recent
        status cache, or anywhere with ``search_history``)."""
        ...

    def on_account(self, pubkey: Pubkey, callback: AccountCallback) -> Subscription:
        """Call ``callback`` with each new state of ``pubkey`` (also after a reconnect, with a fresh read)."""
        ...

    def on_program(self, program_id: Pubkey, callback: AccountCallback, filters: Sequence[AccountFilter] = ()) -> Subscription:
        """Call ``callback`` with each changed account owned by ``program_id`` that passes ``filters``."""
        ...

    def on_slot(self, callback: SlotCallback) -> Subscription:
        """Call ``callback`` with each new slot."""
        ...

    def on_signature(self, signature: Signature, callback: SignatureCallback) -> Subscription:
        """Call ``callback`` once when ``signature`` reaches the chain's commitment."""
        ...

    async def close(self) -> None:
        """Stop subscriptions and release connections."""
        ...


__all__ = [
    "COMMITMENTS", "URGENT", "AccountCallback", "AccountData", "AccountFilter", "BadResponse", "Blockhash", "Chain", "ChainError",
    "DataSizeFilter", "MemcmpFilter", "RateLimited", "SignatureCallback", "SignatureStatus", "Simulation", "SlotCallback",
    "Subscription", "custom_error_code", "matches",
]
