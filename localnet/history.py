"""Block and signature history of the ledger, kept for a configured number of slots.

A block is closed when its slot ends (``Ledger.advance_slot``): its blockhash is the hash the next
slot's transactions may reference, its previous blockhash the one its own transactions referenced,
so the chain of hashes reads as a validator's does. Every slot has a block on this ledger (no
skipped slots). Blocks older than ``keep_slots`` are pruned together with their entries in the
per-address signature index; ``first_slot`` then says what is still available (getFirstAvailableBlock,
minimumLedgerSlot).

Performance samples are taken every ``SAMPLE_PERIOD_S`` seconds of wall-clock time, as Agave's
sampler does, and the last ``MAX_PERFORMANCE_SAMPLES`` are kept.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.signature import Signature

if TYPE_CHECKING:
    from localnet.ledger import TxRecord

SAMPLE_PERIOD_S = 60  # Agave: SAMPLE_INTERVAL
MAX_PERFORMANCE_SAMPLES = 720  # Agave: NUM_SAMPLES_TO_KEEP / the getRecentPerformanceSamples limit


@dataclass(frozen=True)
class Block:
    """A closed slot with its transactions in execution order."""

    slot: int
    parent_slot: int
    blockhash: Hash
    previous_blockhash: Hash
    block_time: int
    block_height: int
    transactions: tuple[TxRecord, ...]


@dataclass(frozen=True)
class PerformanceSample:
    """Slots and transactions in one sample period ending at ``slot``."""

    slot: int
    num_transactions: int
    num_non_vote_transactions: int
    num_slots: int
    sample_period_secs: int


class History:
    """Closed blocks and, per address, the (slot, signature) of every transaction that mentioned it."""

    def __init__(self, keep_slots: int, wall_clock: Callable[[], float]) -> None:
        if keep_slots < 1:
            raise ValueError(f"keep_slots must be at least 1, got {keep_slots}")
        self.keep_slots = keep_slots
        self.wall_clock = wall_clock
        self.blocks: OrderedDict[int, Block] = OrderedDict()
        self.by_address: dict[Pubkey, deque[tuple[int, Signature]]] = {}
        self.samples: deque[PerformanceSample] = deque(maxlen=MAX_PERFORMANCE_SAMPLES)
        self.pruned_through: int | None = None  # the newest slot pruned so far
        self._pending: list[TxRecord] = []
        self._sample_start = wall_clock()
        self._sample_slots = 0
        self._sample_txs = 0

    # -- writing --------------------------------------------------------------------------------
    def add_transaction(self, record: TxRecord) -> None:
        """Record a transaction of the open slot."""
        self._pending.append(record)

    def close_block(self, slot: int, blockhash: Hash, previous_blockhash: Hash, now: int) -> Block:
        """Close ``slot`` with the transactions added since the last close; prune what is too old.

        The block time is that of its first transaction, else ``now`` (the time it closes).
        """
        parent = next(reversed(self.blocks)) if self.blocks else max(0, slot - 1)
        txs = tuple(r for r in self._pending if r.slot == slot)
        self._pending = [r for r in self._pending if r.slot > slot]
        block_time = txs[0].block_time if txs else now
        block = Block(slot, parent, blockhash, previous_blockhash, block_time, slot, txs)
        self.blocks[slot] = block
        by_address = self.by_address
        for rec in txs:
            entry = (slot, rec.signature)
            # set(): a key a transaction names twice is indexed once (no deque built per key: a slot of
            # a busy node closes thousands of transactions of ~10 keys each)
            for key in set(rec.account_keys):
                entries = by_address.get(key)
                if entries is None:
                    entries = by_address[key] = deque()
                entries.append(entry)
        self._prune(slot)
        self._sample(len(txs))
        return block

    def _prune(self, newest: int) -> None:
        horizon = newest - self.keep_slots
        while self.blocks:
            slot, block = next(iter(self.blocks.items()))
            if slot > horizon:
                break
            del self.blocks[slot]
            self.pruned_through = slot
            for rec in block.transactions:
                for key in set(rec.account_keys):
                    entries = self.by_address.get(key)
                    while entries and entries[0][0] <= slot:
                        entries.popleft()
                    if entries is not None and not entries:
                        del self.by_address[key]

    def _sample(self, txs: int) -> None:
        self._sample_slots += 1
        self._sample_txs += txs
        now = self.wall_clock()
        if now - self._sample_start >= SAMPLE_PERIOD_S:
            newest = next(reversed(self.blocks))
            self.samples.appendleft(PerformanceSample(newest, self._sample_txs, self._sample_txs, self._sample_slots,
                                                      SAMPLE_PERIOD_S))
            self._sample_start, self._sample_slots, self._sample_txs = now, 0, 0

    # -- reading --------------------------------------------------------------------------------
    @property
    def first_slot(self) -> int | None:
        """The oldest block still kept, None before any block closed."""
        return next(iter(self.blocks)) if self.blocks else None

    def block(self, slot: int) -> Block | None:
        """Return the closed block of ``slot`` or None."""
        return self.blocks.get(slot)

    def slots_between(self, start: int, end: int) -> list[int]:
        """Return the kept block slots in ``[start, end]``, ascending."""
        first = self.first_slot
        if first is None:
            return []
        last = next(reversed(self.blocks))
        return list(range(max(start, first), min(end, last) + 1))

    def signatures_of(self, address: Pubkey) -> Iterator[tuple[int, Signature]]:
        """Yield the (slot, signature) of kept transactions that mention ``address``, newest first."""
        return reversed(self.by_address.get(address, ()))


__all__ = ["MAX_PERFORMANCE_SAMPLES", "SAMPLE_PERIOD_S", "Block", "History", "PerformanceSample"]
