"""``Ledger``: the typed API of the in-process chain, on the real perp program in LiteSVM."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from solders.account import Account
from solders.compute_budget import set_compute_unit_price
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction
from solders.transaction_status import (
    InstructionErrorCustom,
    TransactionErrorFieldless,
    TransactionErrorInstructionError,
)
from spl.token.constants import TOKEN_PROGRAM_ID

from keepers.exchange import instructions as ix
from keepers.chain.base import Blockhash
from keepers.execution.results import Failed, Landed
from localnet.bootstrap import LocalExchange, LocalUser
from localnet.ledger import (
    AirdropFailed,
    EpochInfo,
    Ledger,
    LedgerConfig,
    PrioritizationFee,
    TokenBalance,
    TxRecord,
    TxStatus,
)
from localnet.rpc.config import FaultConfig
from localnet.rpc.faults import FaultInjector
from programs_client.perp.constants import QUOTE_PRECISION as QUOTE

INSUFFICIENT_COLLATERAL = 6021  # idl/perp.json
CONFIG = LedgerConfig(confirmed_depth_slots=1, finalized_depth_slots=3, blockhash_valid_slots=4, status_cache_slots=6)


@dataclass
class Events:
    """A listener that keeps what the ledger told it."""

    slots: list[int] = field(default_factory=list)
    records: list[TxRecord] = field(default_factory=list)
    written: list[dict[Pubkey, Account | None]] = field(default_factory=list)

    def on_slot(self, slot: int) -> None:
        self.slots.append(slot)

    def on_transaction(self, record: TxRecord) -> None:
        self.records.append(record)

    def on_accounts_written(self, slot: int, accounts: dict[Pubkey, Account | None]) -> None:
        self.written.append(accounts)


@pytest.fixture
def user(exchange: LocalExchange) -> LocalUser:
    return exchange.add_user(tokens=1_000 * QUOTE)


@pytest.fixture
def ledger(exchange: LocalExchange, user: LocalUser) -> Ledger:
    ledger = Ledger(exchange.svm, CONFIG)
    ledger.note_addresses([exchange.address, user.address])
    return ledger


def _tx(ledger: Ledger, payer: Keypair, ixs: list[Instruction], blockhash: Hash | None = None) -> VersionedTransaction:
    blockhash = blockhash or ledger.blockhash_at(ledger.slot).blockhash
    return VersionedTransaction(MessageV0.try_compile(payer.pubkey(), ixs, [], blockhash), [payer])


def _deposit(ledger: Ledger, user: LocalUser, amount: int, blockhash: Hash | None = None) -> VersionedTransaction:
    return _tx(ledger, user.keypair, [ix.deposit(user.authority, user.token_account, amount, 0, user.program_id)], blockhash)


def test_a_deposit_is_recorded_with_typed_meta(ledger: Ledger, exchange: LocalExchange, user: LocalUser) -> None:
    events = Events()
    ledger.listeners.append(events)
    record = ledger.execute(_deposit(ledger, user, 7 * QUOTE))
    assert record is not None and record.err is None and record.slot == ledger.slot
    assert events.records == [record]
    assert user.address in events.written[0] and exchange.collateral_vault in events.written[0]
    assert record.fee == 5000 and record.pre_balances[0] - record.post_balances[0] == 5000
    user_index = record.account_keys.index(user.token_account)
    vault_index = record.account_keys.index(exchange.collateral_vault)
    pre = {b.account_index: b for b in record.pre_token_balances}
    post = {b.account_index: b for b in record.post_token_balances}
    assert pre[user_index] == TokenBalance(user_index, exchange.mint, user.authority, TOKEN_PROGRAM_ID, 1_000 * QUOTE, 6)
    assert post[user_index].amount == 993 * QUOTE and post[vault_index].amount == pre[vault_index].amount + 7 * QUOTE
    # The one CPI: the SPL Token transfer (instruction 3, amount u64 little-endian) under instruction 0.
    (cpi,) = record.inner_instructions[0]
    compiled = cpi.instruction()
    assert record.account_keys[compiled.program_id_index] == TOKEN_PROGRAM_ID
    assert bytes(compiled.data) == bytes([3]) + (7 * QUOTE).to_bytes(8, "little") and cpi.stack_height() == 2
    assert record.return_data is None
    assert ledger.records[record.signature] is record and ledger.transaction_count == 1


def test_balances_of_read_only_programs_and_token_accounts_with_and_without_preflight(
        ledger: Ledger, exchange: LocalExchange, user: LocalUser) -> None:
    """Programs passed read-only are read by balance alone; their lamports stay in pre/post balances."""
    for n, preflight in enumerate((False, True, True)):  # the second preflight run reads the programs from the ledger's cache
        vault_before = ledger.svm.get_account(exchange.collateral_vault)
        record = ledger.execute(_deposit(ledger, user, QUOTE + n), preflight=preflight)
        assert record is not None and record.err is None
        for program in (TOKEN_PROGRAM_ID, user.program_id):
            i = record.account_keys.index(program)
            assert not record.writable[i]
            assert record.pre_balances[i] == record.post_balances[i] == ledger.svm.get_account(program).lamports > 0
        vault = record.account_keys.index(exchange.collateral_vault)
        assert record.pre_balances[vault] == vault_before.lamports
        pre = {b.account_index: b.amount for b in record.pre_token_balances}
        post = {b.account_index: b.amount for b in record.post_token_balances}
        assert post[vault] - pre[vault] == QUOTE + n
        assert [b.account_index for b in record.post_token_balances] == sorted(pre)  # key order, no program among them


def test_statuses_deepen_with_slots_and_leave_the_status_cache(ledger: Ledger, user: LocalUser) -> None:
    record = ledger.execute(_deposit(ledger, user, QUOTE))
    assert record is not None
    landed = record.slot
    assert ledger.signature_status(record.signature) == TxStatus(landed, None, 0, "processed")
    ledger.advance_slot()
    assert ledger.signature_status(record.signature) == TxStatus(landed, None, 1, "confirmed")
    ledger.advance_slot()
    assert ledger.signature_status(record.signature) == TxStatus(landed, None, 2, "confirmed")
    ledger.advance_slot()
    assert ledger.signature_status(record.signature) == TxStatus(landed, None, None, "finalized")
    assert (ledger.commitment_slot("processed"), ledger.commitment_slot("confirmed"), ledger.commitment_slot("finalized")) \
        == (landed + 3, landed + 2, landed)
    for _ in range(4):
        ledger.advance_slot()
    assert ledger.signature_status(record.signature) is None  # 7 slots old: beyond the cache of 6
    assert ledger.signature_status(record.signature, search_history=True) == TxStatus(landed, None, None, "finalized")


def test_a_program_error_is_a_solders_value_in_records_statuses_and_simulations(ledger: Ledger, user: LocalUser) -> None:
    too_much = [ix.withdraw(user.authority, user.token_account, 10**15, 0, user.program_id)]
    sim = ledger.simulate(_tx(ledger, user.keypair, too_much))
    expected = TransactionErrorInstructionError(0, InstructionErrorCustom(INSUFFICIENT_COLLATERAL))
    assert sim.err == expected and sim.logs and sim.units_consumed > 0 and sim.inner_instructions == [[]]
    record = ledger.execute(_tx(ledger, user.keypair, too_much))
    assert record is not None and record.err == expected
    assert record.pre_balances[0] - record.post_balances[0] == 5000  # the fee is charged for a failed transaction
    status = ledger.signature_status(record.signature)
    assert status is not None and status.err == expected
    out = ledger.send([ix.withdraw(user.authority, user.token_account, 10**15 + 1, 0, user.program_id)], [], user.keypair)
    assert isinstance(out, Failed) and out.custom_code == INSUFFICIENT_COLLATERAL and out.logs


def test_simulation_commits_nothing_and_shows_the_accounts_it_would_write(ledger: Ledger, user: LocalUser) -> None:
    before = ledger.get_account(user.address)
    sim = ledger.simulate(_deposit(ledger, user, 3 * QUOTE), want_accounts=True)
    assert sim.err is None and sim.units_consumed > 0 and sim.return_data is None
    assert ledger.get_account(user.address) == before and ledger.records == {}
    assert sim.post_accounts[user.address].data != before.data


def test_blockhashes_are_hashes_that_expire(ledger: Ledger, user: LocalUser) -> None:
    first = ledger.blockhash_at(ledger.slot)
    assert isinstance(first, Blockhash) and isinstance(first.blockhash, Hash)
    assert first.last_valid_block_height == ledger.slot + 4
    assert ledger.blockhash_valid(first.blockhash) and isinstance(ledger.genesis_hash, Hash)
    start = ledger.slot
    for _ in range(5):
        ledger.advance_slot()
    assert ledger.blockhash_at(start) == first  # the newest hash registered at or before that slot
    assert ledger.blockhash_at(ledger.slot).blockhash != first.blockhash
    assert not ledger.blockhash_valid(first.blockhash)  # 5 slots old, valid for 4
    stale = _deposit(ledger, user, QUOTE, first.blockhash)
    assert ledger.precheck(stale) == TransactionErrorFieldless.BlockhashNotFound
    assert ledger.simulate(stale).err == TransactionErrorFieldless.BlockhashNotFound
    assert ledger.simulate(stale, check_blockhash=False).err is None
    assert ledger.execute(stale) is None and ledger.signature_status(stale.signatures[0]) is None  # dropped


def test_the_fault_hook_shortens_a_blockhash_life(ledger: Ledger) -> None:
    first = ledger.blockhash_at(ledger.slot).blockhash
    ledger.advance_slot()
    assert ledger.blockhash_valid(first)
    faults = FaultInjector(FaultConfig(blockhash_ttl_slots=0))
    ledger.faults = faults
    assert not ledger.blockhash_valid(first) and faults.stats.blockhashes_expired_early == 1
    assert ledger.blockhash_valid(ledger.blockhash_at(ledger.slot).blockhash)


def test_duplicates_and_bad_signatures_are_dropped(ledger: Ledger, user: LocalUser) -> None:
    tx = _deposit(ledger, user, QUOTE)
    assert ledger.execute(tx) is not None
    assert ledger.precheck(tx) == TransactionErrorFieldless.AlreadyProcessed
    assert ledger.execute(tx) is None and ledger.transaction_count == 1
    other = Keypair()
    forged = VersionedTransaction.populate(_deposit(ledger, user, 2 * QUOTE).message, [other.sign_message(b"x")])
    assert not ledger.signatures_valid(forged) and ledger.execute(forged) is None
    # ``send`` signs with the slot's blockhash: the same instructions twice in a slot are one transaction.
    same = ledger.send([ix.deposit(user.authority, user.token_account, QUOTE, 0, user.program_id)], [], user.keypair)
    assert isinstance(same, Failed) and same.error == TransactionErrorFieldless.AlreadyProcessed
    ledger.advance_slot()
    again = ledger.send([ix.deposit(user.authority, user.token_account, QUOTE, 0, user.program_id)], [], user.keypair)
    assert isinstance(again, Landed) and again.slot == ledger.slot and again.return_data is None


def test_prioritization_fees_per_slot_and_account(ledger: Ledger, user: LocalUser, exchange: LocalExchange) -> None:
    ledger.advance_slot()
    priced = [set_compute_unit_price(777), ix.deposit(user.authority, user.token_account, QUOTE, 0, user.program_id)]
    assert ledger.send(priced, [], user.keypair).ok
    fees = ledger.recent_prioritization_fees([user.address])
    assert fees[-1] == PrioritizationFee(ledger.slot, 777) and all(isinstance(f, PrioritizationFee) for f in fees)
    ledger.airdrop(Pubkey.new_unique(), 10**9)  # no price: the slot's minimum drops to 0
    assert ledger.recent_prioritization_fees([])[-1] == PrioritizationFee(ledger.slot, 0)
    assert ledger.recent_prioritization_fees([user.address])[-1] == PrioritizationFee(ledger.slot, 777)
    assert [f.slot for f in fees] == list(range(max(0, ledger.slot - 149), ledger.slot + 1))


def test_epoch_info_and_listeners_on_slots_and_writes(ledger: Ledger) -> None:
    events = Events()
    ledger.listeners.append(events)
    info = ledger.epoch_info(ledger.slot)
    assert isinstance(info, EpochInfo) and info.absolute_slot == info.block_height == ledger.slot
    assert info.transaction_count == 0 and 0 <= info.slot_index < info.slots_in_epoch
    slot = ledger.advance_slot()
    assert events.slots == [slot] and ledger.svm.get_clock().slot == slot
    address, owner = Pubkey.new_unique(), Pubkey.new_unique()
    written = Account(10**6, b"\x01\x02", owner, False, 0)
    ledger.set_account(address, written)
    assert events.written == [{address: written}]
    assert ledger.program_accounts(owner) == [(address, written)]


def test_airdrops_are_recorded_transfers_and_fail_as_typed_errors(exchange: LocalExchange) -> None:
    ledger = Ledger(exchange.svm, LedgerConfig(faucet_lamports=10**10))
    to = Pubkey.new_unique()
    signature = ledger.airdrop(to, 10**9)
    assert ledger.get_account(to).lamports == 10**9 and ledger.records[signature].err is None
    with pytest.raises(AirdropFailed):
        ledger.airdrop(to, 10**11)
