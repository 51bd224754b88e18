"""``InProcessChain``: the ``Chain`` interface over a ledger living in this process.

The ledger is anything shaped like ``localnet.ledger.Ledger`` (LiteSVM plus slots, blockhashes,
transaction history and an account index); the keepers runtime only knows the ``Ledger`` protocol
below, so it never imports ``localnet``. The ledger answers with typed values (solders hashes and
transaction errors, small status/simulation/fee records), which are handed on as they are: no JSON
on this path. Whoever owns the ledger produces slots (``ledger.advance_slot()``); subscriptions are
fed by the ledger's listener hooks and delivered on the event loop, never inside the ledger call
that caused them.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from solders.account import Account
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from keepers.chain.base import (
    AccountCallback,
    AccountData,
    AccountFilter,
    Blockhash,
    ChainError,
    SignatureCallback,
    SignatureStatus,
    Simulation,
    SlotCallback,
    matches,
)

log = logging.getLogger("perpkeep.chain")


class LedgerSimulation(Protocol):
    """A simulation's error (a solders ``TransactionError``, None: success), logs and compute units."""

    @property
    def err(self) -> object | None: ...

    @property
    def logs(self) -> list[str]: ...

    @property
    def units_consumed(self) -> int: ...


class LedgerStatus(Protocol):
    """A recorded transaction's slot, error and commitment level (``localnet.ledger.TxStatus``)."""

    @property
    def slot(self) -> int: ...

    @property
    def err(self) -> object | None: ...

    @property
    def commitment(self) -> str: ...


class LedgerFee(Protocol):
    """The priority fee a slot needed (``localnet.ledger.PrioritizationFee``)."""

    @property
    def fee(self) -> int: ...


class Ledger(Protocol):
    """What ``InProcessChain`` needs from the in-process ledger (``localnet.ledger.Ledger`` has it)."""

    slot: int
    listeners: list[Any]

    @property
    def block_height(self) -> int: ...

    def get_account(self, address: Pubkey) -> Account | None: ...

    def program_accounts(self, program_id: Pubkey) -> list[tuple[Pubkey, Account]]: ...

    def blockhash_at(self, slot: int) -> Blockhash: ...

    def simulate(self, tx: VersionedTransaction, *, check_blockhash: bool = True,
                 want_accounts: bool = False) -> LedgerSimulation: ...

    def execute(self, tx: VersionedTransaction, *, verified: bool = False) -> object: ...

    def signature_status(self, signature: Signature, search_history: bool = False) -> LedgerStatus | None: ...

    def recent_prioritization_fees(self, accounts: Sequence[Pubkey] = ()) -> Sequence[LedgerFee]: ...


def _account_data(pubkey: Pubkey, acc: Account, slot: int) -> AccountData:
    return AccountData(pubkey, acc.owner, acc.lamports, bytes(acc.data), slot, acc.executable)


def _status(status: LedgerStatus) -> SignatureStatus:
    return SignatureStatus(status.slot, status.err, status.commitment)


class _Handle:
    def __init__(self, table: dict[int, Any], key: int) -> None:
        self._table, self._key = table, key

    def close(self) -> None:
        self._table.pop(self._key, None)


# The ledger calls ``on_slot(slot)`` on its listeners; the public ``on_slot`` subscribes instead,
# so the hook is bound under the ledger's name on a small adapter.
class _LedgerHooks:
    def __init__(self, chain: "InProcessChain") -> None:
        self.chain = chain

    def on_slot(self, slot: int) -> None:
        self.chain._slot_produced(slot)

    def on_transaction(self, record: Any) -> None:
        self.chain._transaction(record)

    def on_accounts_written(self, slot: int, accounts: dict[Pubkey, Account | None]) -> None:
        self.chain._accounts_written(slot, accounts)



class InProcessChain:
    """A ``Chain`` over an in-process ledger; reads and sends run synchronously on the caller's loop."""

    # Every slot the ledger makes reaches ``on_slot`` subscribers: nothing needs to poll for missed ones.
    slots_can_stop = False

    def __init__(self, ledger: Ledger, name: str = "inprocess") -> None:
        self.name = name
        self.ledger = ledger
        self._ids = itertools.count(1)
        self._accounts: dict[int, tuple[Pubkey, AccountCallback]] = {}
        self._programs: dict[int, tuple[Pubkey, Sequence[AccountFilter], AccountCallback]] = {}
        self._slots: dict[int, SlotCallback] = {}
        self._signatures: dict[int, tuple[Signature, SignatureCallback]] = {}
        self._closed = False
        self._hooks = _LedgerHooks(self)
        ledger.listeners.append(self._hooks)

    # -- reads --------------------------------------------------------------------------------------
    def _check(self) -> None:
        if self._closed:
            raise ChainError("the in-process chain is closed")

    async def get_slot(self) -> int:
        self._check()
        return self.ledger.slot

    async def get_block_height(self) -> int:
        self._check()
        return self.ledger.block_height

    async def get_account(self, pubkey: Pubkey) -> AccountData | None:
        self._check()
        acc = self.ledger.get_account(pubkey)
        return None if acc is None else _account_data(pubkey, acc, self.ledger.slot)

    async def get_accounts(self, pubkeys: Sequence[Pubkey]) -> list[AccountData | None]:
        return [await self.get_account(k) for k in pubkeys]

    async def get_program_accounts(self, program_id: Pubkey, filters: Sequence[AccountFilter] = ()) -> list[AccountData]:
        self._check()
        slot = self.ledger.slot
        return [_account_data(k, a, slot) for k, a in self.ledger.program_accounts(program_id) if matches(filters, bytes(a.data))]

    async def get_balance(self, pubkey: Pubkey) -> int:
        self._check()
        acc = self.ledger.get_account(pubkey)
        return 0 if acc is None else acc.lamports

    async def get_latest_blockhash(self) -> Blockhash:
        self._check()
        return self.ledger.blockhash_at(self.ledger.slot)

    async def get_recent_prioritization_fees(self, writable: Sequence[Pubkey] = ()) -> list[int]:
        self._check()
        return [f.fee for f in self.ledger.recent_prioritization_fees(writable)]

    # -- transactions -------------------------------------------------------------------------------
    async def simulate(self, tx: VersionedTransaction) -> Simulation:
        self._check()
        sim = self.ledger.simulate(tx, check_blockhash=False)
        return Simulation(sim.err, list(sim.logs), sim.units_consumed)

    async def send(self, tx: VersionedTransaction) -> Signature:
        self._check()
        self.ledger.execute(tx)  # a dropped transaction is simply never seen, as on a cluster
        return tx.signatures[0]

    async def get_signature_statuses(self, signatures: Sequence[Signature],
                                     search_history: bool = False) -> list[SignatureStatus | None]:
        self._check()
        out = []
        for sig in signatures:
            status = self.ledger.signature_status(sig, search_history)
            out.append(None if status is None else _status(status))
        return out

    # -- subscriptions ------------------------------------------------------------------------------
    def _add(self, table: dict[int, Any], value: Any) -> _Handle:
        self._check()
        key = next(self._ids)
        table[key] = value
        return _Handle(table, key)

    def on_account(self, pubkey: Pubkey, callback: AccountCallback) -> _Handle:
        return self._add(self._accounts, (pubkey, callback))

    def on_program(self, program_id: Pubkey, callback: AccountCallback, filters: Sequence[AccountFilter] = ()) -> _Handle:
        return self._add(self._programs, (program_id, tuple(filters), callback))

    def on_slot(self, callback: SlotCallback) -> _Handle:
        return self._add(self._slots, callback)

    def on_signature(self, signature: Signature, callback: SignatureCallback) -> _Handle:
        handle = self._add(self._signatures, (signature, callback))
        status = self.ledger.signature_status(signature)
        if status is not None:  # already landed: deliver now, as a node answers a late subscription
            self._signatures.pop(handle._key, None)
            self._deliver(callback, signature, _status(status))
        return handle

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for table in (self._accounts, self._programs, self._slots, self._signatures):
            table.clear()
        if self._hooks in self.ledger.listeners:
            self.ledger.listeners.remove(self._hooks)

    # -- ledger listener hooks (called synchronously by the ledger) -------------------------------
    def _deliver(self, callback: Callable[..., None], *args: Any) -> None:
        def run() -> None:
            try:
                callback(*args)
            except Exception:  # noqa: BLE001 - a subscriber's bug must not stop the chain
                log.exception("subscription callback failed")

        try:
            asyncio.get_running_loop().call_soon(run)
        except RuntimeError:  # no loop running (a synchronous driver): deliver now
            run()

    def _slot_produced(self, slot: int) -> None:
        for cb in list(self._slots.values()):
            self._deliver(cb, slot)

    def _transaction(self, record: Any) -> None:
        for key, (sig, cb) in list(self._signatures.items()):
            if sig == record.signature:
                self._signatures.pop(key, None)
                status = self.ledger.signature_status(sig)
                if status is not None:
                    self._deliver(cb, sig, _status(status))

    def _accounts_written(self, slot: int, accounts: dict[Pubkey, Account | None]) -> None:
        if not (self._accounts or self._programs):
            return
        for key, acc in accounts.items():
            if acc is None:
                continue
            data = _account_data(key, acc, slot)
            for pubkey, cb in list(self._accounts.values()):
                if pubkey == key:
                    self._deliver(cb, data)
            for program, filters, cb in list(self._programs.values()):
                if acc.owner == program and matches(filters, data.data):
                    self._deliver(cb, data)


__all__ = ["InProcessChain", "Ledger", "LedgerFee", "LedgerSimulation", "LedgerStatus"]
