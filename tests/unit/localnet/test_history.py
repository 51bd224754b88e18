"""``History``: closed blocks, the per-address signature index, pruning and performance samples,
driven through a real ``Ledger`` (LiteSVM) with an injected wall clock."""

from __future__ import annotations

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer

from localnet.history import SAMPLE_PERIOD_S, History
from localnet.ledger import Ledger, LedgerConfig
from localnet.rpc.config import ConfigError, NodeConfig
from localnet.svm import LocalSvm


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def setup(perp_program: bytes) -> tuple[Ledger, Clock]:
    clock = Clock()
    return Ledger(LocalSvm(perp_program), LedgerConfig(history_slots=3), wall_clock=clock), clock


def _pay(ledger: Ledger, to: Pubkey, lamports: int) -> None:
    ledger.airdrop(to, lamports)


def test_blocks_chain_their_hashes_and_hold_their_transactions(setup: tuple[Ledger, Clock]) -> None:
    ledger, clock = setup
    start = ledger.slot
    to = Keypair().pubkey()
    _pay(ledger, to, 1_000)
    _pay(ledger, to, 2_000)
    clock.now += 5
    hash_used = ledger.blockhash_at(start).blockhash
    ledger.advance_slot()
    ledger.advance_slot()
    first, second = ledger.history.block(start), ledger.history.block(start + 1)
    assert first is not None and second is not None and ledger.history.block(start + 2) is None  # the open slot
    assert [r.post_balances[1] for r in first.transactions] == [1_000, 3_000]
    assert first.block_time == 1_700_000_000  # the time of its first transaction
    assert second.transactions == () and second.block_time == 1_700_000_005
    assert first.previous_blockhash == hash_used and second.previous_blockhash == first.blockhash
    assert second.blockhash == ledger.blockhash_at(start + 2).blockhash  # what the open slot's transactions use
    assert second.parent_slot == start and first.block_height == start
    assert [s for _, s in ledger.history.signatures_of(to)] == [r.signature for r in reversed(first.transactions)]


def test_pruning_drops_blocks_and_their_index_entries(setup: tuple[Ledger, Clock]) -> None:
    ledger, _ = setup
    start = ledger.slot
    early, late = Keypair().pubkey(), Keypair().pubkey()
    _pay(ledger, early, 1_000)
    ledger.advance_slot()
    _pay(ledger, late, 1_000)
    for _ in range(3):
        ledger.advance_slot()
    # 4 closed blocks, 3 kept: the first is gone with its index entries
    assert ledger.history.first_slot == start + 1 and ledger.history.pruned_through == start
    assert ledger.history.slots_between(0, 10**9) == [start + 1, start + 2, start + 3]
    assert list(ledger.history.signatures_of(early)) == []
    assert early not in ledger.history.by_address
    assert len(list(ledger.history.signatures_of(late))) == 1
    assert ledger.history.slots_between(start + 2, start + 2) == [start + 2]
    assert ledger.history.slots_between(start + 5, start + 9) == []


def test_performance_samples_every_sixty_seconds(setup: tuple[Ledger, Clock]) -> None:
    ledger, clock = setup
    _pay(ledger, Keypair().pubkey(), 1_000)
    ledger.advance_slot()
    clock.now += SAMPLE_PERIOD_S - 1
    ledger.advance_slot()
    assert list(ledger.history.samples) == []
    clock.now += 1
    ledger.advance_slot()
    (sample,) = ledger.history.samples
    assert (sample.num_slots, sample.num_transactions, sample.sample_period_secs) == (3, 1, 60)
    assert sample.slot == ledger.slot - 1


def test_history_slots_is_validated() -> None:
    with pytest.raises(ConfigError, match="history_slots"):
        NodeConfig(history_slots=0)
    with pytest.raises(ConfigError, match="history_slots"):
        NodeConfig(history_slots=True)
    assert NodeConfig().history_slots == 10_000 and NodeConfig(history_slots=7).ledger.history_slots == 7
    with pytest.raises(ValueError, match="keep_slots"):
        History(0, lambda: 0.0)


def test_transaction_records_live_with_the_window_or_the_status_cache(perp_program: bytes) -> None:
    """``records`` (getTransaction, statuses, duplicate checks) are kept for max(history, status cache) slots."""
    config = LedgerConfig(history_slots=3, status_cache_slots=5, blockhash_valid_slots=4)
    ledger = Ledger(LocalSvm(perp_program), config, wall_clock=Clock())
    start = ledger.slot
    sig = ledger.airdrop(Keypair().pubkey(), 1_000)
    tx = ledger.records[sig].tx
    for _ in range(5):
        ledger.advance_slot()
    assert ledger.history.block(start) is None and sig in ledger.records  # block pruned, status cache still knows it
    assert ledger.signature_status(sig) is not None
    ledger.advance_slot()
    assert sig not in ledger.records and ledger.signature_status(sig, search_history=True) is None
    # LiteSVM keeps no history of its own: the same bytes again are dropped for their stale blockhash, not re-run
    assert ledger.execute(tx) is None and sig not in ledger.records


def test_records_follow_a_window_longer_than_the_status_cache(perp_program: bytes) -> None:
    ledger = Ledger(LocalSvm(perp_program), LedgerConfig(history_slots=8, status_cache_slots=2, blockhash_valid_slots=1),
                    wall_clock=Clock())
    start = ledger.slot
    sig = ledger.airdrop(Keypair().pubkey(), 1_000)
    for _ in range(8):
        ledger.advance_slot()
    assert sig in ledger.records and ledger.history.first_slot == start
    ledger.advance_slot()
    assert sig not in ledger.records and ledger.history.first_slot == start + 1
