"""``Ledger(lean=True)``: a simulation's ledger keeps outcomes only, on the real perp program in LiteSVM."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from solders.keypair import Keypair
from solders.transaction_status import TransactionErrorFieldless

from keepers.exchange import instructions as ix
from keepers.execution.results import Failed, Landed
from localnet.bootstrap import LocalExchange, LocalUser
from localnet.ledger import LeanRecord, Ledger, LedgerConfig, TxRecord, TxStatus
from programs_client.perp.constants import QUOTE_PRECISION as QUOTE

INSUFFICIENT_COLLATERAL = 6021  # idl/perp.json
CONFIG = LedgerConfig(confirmed_depth_slots=1, finalized_depth_slots=3, blockhash_valid_slots=4, status_cache_slots=6,
                      history_slots=6)


@dataclass
class SlotsOnly:
    """A listener that takes slots only (``wants_transactions`` false); counts what it is told besides."""

    wants_transactions = False
    slots: list[int] = field(default_factory=list)
    told: int = 0

    def on_slot(self, slot: int) -> None:
        self.slots.append(slot)

    def on_transaction(self, record: TxRecord) -> None:
        self.told += 1

    def on_accounts_written(self, slot: int, accounts: dict) -> None:
        self.told += 1


@dataclass
class Everything:
    """A listener that takes transactions (no ``wants_transactions``: it wants them)."""

    records: list[TxRecord] = field(default_factory=list)

    def on_slot(self, slot: int) -> None:
        pass

    def on_transaction(self, record: TxRecord) -> None:
        self.records.append(record)

    def on_accounts_written(self, slot: int, accounts: dict) -> None:
        pass


@pytest.fixture
def user(exchange: LocalExchange) -> LocalUser:
    return exchange.add_user(tokens=1_000 * QUOTE)


@pytest.fixture
def ledger(exchange: LocalExchange, user: LocalUser) -> Ledger:
    return Ledger(exchange.svm, CONFIG, lean=True)


def _deposit(user: LocalUser, amount: int) -> list:
    return [ix.deposit(user.authority, user.token_account, amount, 0, user.program_id)]


def test_a_lean_send_executes_and_keeps_the_outcome_only(ledger: Ledger, exchange: LocalExchange, user: LocalUser) -> None:
    lamports = ledger.svm.get_balance(user.authority)
    vault = exchange.svm.token_balance(exchange.collateral_vault)
    out = ledger.send(_deposit(user, 7 * QUOTE), [], user.keypair)
    assert isinstance(out, Landed) and out.slot == ledger.slot and out.logs and out.compute_units > 0
    assert exchange.svm.token_balance(exchange.collateral_vault) == vault + 7 * QUOTE
    assert ledger.svm.get_balance(user.authority) == lamports - 5000  # the fee, as in full recording
    assert ledger.records == {} and ledger.transaction_count == 1
    rec = ledger.lean_records[out.signature]
    assert isinstance(rec, LeanRecord) and rec.err is None and rec.slot == ledger.slot
    assert rec.tx.signatures[0] == out.signature
    assert {user.address, user.token_account, exchange.collateral_vault} <= ledger.known
    assert ledger.signature_status(out.signature) == TxStatus(ledger.slot, None, 0, "processed")
    same = ledger.send(_deposit(user, 7 * QUOTE), [], user.keypair)  # same slot, same blockhash: a duplicate
    assert isinstance(same, Failed) and same.error == TransactionErrorFieldless.AlreadyProcessed
    assert ledger.precheck(rec.tx) == TransactionErrorFieldless.AlreadyProcessed
    block_slot = ledger.slot
    ledger.advance_slot()
    assert ledger.history.blocks[block_slot].transactions == ()  # no block or address history in lean mode
    assert ledger.signature_status(out.signature) == TxStatus(block_slot, None, 1, "confirmed")


def test_a_lean_failure_is_charged_and_kept_and_a_refused_one_dropped(ledger: Ledger, user: LocalUser) -> None:
    lamports = ledger.svm.get_balance(user.authority)
    out = ledger.send([ix.withdraw(user.authority, user.token_account, 10**15, 0, user.program_id)], [], user.keypair)
    assert isinstance(out, Failed) and out.custom_code == INSUFFICIENT_COLLATERAL and out.logs
    assert ledger.svm.get_balance(user.authority) == lamports - 5000
    status = ledger.signature_status(out.signature)
    assert status is not None and status.err == out.error
    broke = Keypair()  # no lamports: LiteSVM refuses it before execution, no fee is charged
    dropped = ledger.send(_deposit(user, QUOTE), [user.keypair], broke)
    assert isinstance(dropped, Failed) and dropped.signature not in ledger.lean_records
    assert ledger.signature_status(dropped.signature) is None and ledger.transaction_count == 1


def test_lean_records_leave_with_the_history_window(ledger: Ledger, user: LocalUser) -> None:
    out = ledger.send(_deposit(user, QUOTE), [], user.keypair)
    for _ in range(CONFIG.history_slots):
        ledger.advance_slot()
    assert out.signature in ledger.lean_records
    ledger.advance_slot()
    assert out.signature not in ledger.lean_records
    assert ledger.signature_status(out.signature, search_history=True) is None


def test_a_listener_that_takes_transactions_gets_full_records(ledger: Ledger, user: LocalUser) -> None:
    slots = SlotsOnly()
    ledger.listeners.append(slots)
    lean = ledger.send(_deposit(user, QUOTE), [], user.keypair)
    assert lean.ok and lean.signature in ledger.lean_records and slots.told == 0
    assert ledger.advance_slot() == slots.slots[-1]
    everything = Everything()
    ledger.listeners.append(everything)
    full = ledger.send(_deposit(user, QUOTE), [], user.keypair)
    assert full.ok and full.signature not in ledger.lean_records
    assert [r.signature for r in everything.records] == [full.signature] and ledger.records[full.signature].pre_balances
    ledger.listeners.remove(everything)
    ledger.lean = False  # switched off: every transaction is recorded in full again
    assert ledger.send(_deposit(user, 2 * QUOTE), [], user.keypair).signature in ledger.records
