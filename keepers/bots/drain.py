"""Draining a market's event queue in the same transaction as an instruction that needs it empty.

``update_funding``, ``resolve_bankruptcy`` and ``settle_revenue_to_insurance`` refuse while maker fills
wait in the queue. The queue also holds out events (``QUEUE_EVENT_OUT``: an order evicted from a full
book side by a better one); an out event names the evicted order's owner in its ``maker`` field, so
everything here passes those owners exactly as it passes makers. On a busy market new fills arrive between planning and execution, so a drain of
only the fills seen at planning time loses the race. ``consume_events`` applies every queued fill whose
maker account is passed, up to its limit, so the drain passes the makers of the queued fills and then
the owners of the best resting orders (who make the next fills), with the queue's whole capacity as its
limit: the transaction executes against the queue as it is then, however many fills arrived since the
plan (under load, more than a few dozen did). The pipeline's compute limit covers every event that limit
allows (``keepers.execution.compute_budget.floor``), not only those the simulation met. A maker whose
orders come to rest only after the plan cannot be passed: a crank planned on an empty book and queue
(a keeper started before trading) carries no drain, and is refused (``EventQueueNotEmpty``) if fills
arrive before it executes; the next plan drains them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from solders.instruction import Instruction
from solders.pubkey import Pubkey

from keepers.exchange import instructions as ix
from programs_client.perp.accounts import EventQueue, Orderbook

MAX_DRAIN_MAKERS = 12  # maker accounts per transaction: keeps it well under the packet size
LATE_FILLS = 16  # fills drained after the plan when the queue itself is not known


@dataclass(frozen=True)
class Drain:
    """The ``consume_events`` that empties a queue first (none when nothing is queued and no order rests)."""

    instructions: list[Instruction]


def queued_makers(queue: EventQueue | None, limit: int) -> list[Pubkey]:
    """The maker accounts of the next ``limit`` queued fills (and owners of queued evictions), in queue
    order (repeats kept)."""
    if queue is None:
        return []
    n = min(queue.count, limit)
    size = len(queue.fills)
    return [queue.fills[(queue.head + i) % size].maker for i in range(n)]


def book_makers(book: Orderbook | None) -> Iterator[Pubkey]:
    """Owners of resting orders, best prices first, alternating sides (each side's best order is last)."""
    if book is None:
        return
    bids, asks = book.bids[:book.bid_count], book.asks[:book.ask_count]
    for i in range(max(len(bids), len(asks))):
        for side in (bids, asks):
            if i < len(side):
                yield side[len(side) - 1 - i].owner


def drain_makers(queue: EventQueue | None, book: Orderbook | None, limit: int = MAX_DRAIN_MAKERS) -> list[Pubkey] | None:
    """Distinct makers to pass: those of the queued fills, then the book's best; None when the queued
    fills alone have more than ``limit`` makers (one transaction cannot drain them)."""
    queued = list(dict.fromkeys(queued_makers(queue, queue.count if queue else 0)))
    if len(queued) > limit:
        return None
    makers = dict.fromkeys(queued)
    for owner in book_makers(book):
        if len(makers) >= limit:
            break
        makers.setdefault(owner)
    return list(makers)


def drain(market_index: int, queue: EventQueue | None, book: Orderbook | None, program_id: Pubkey,
          limit: int = MAX_DRAIN_MAKERS) -> Drain | None:
    """The drain to put before an instruction that needs ``market_index``'s queue empty.

    Empty when nothing is queued and no order rests (nothing can fill); None when ``queue`` cannot be
    drained in one transaction.
    """
    makers = drain_makers(queue, book, limit)
    if makers is None:
        return None
    if not makers:
        return Drain([])
    capacity = len(queue.fills) if queue else LATE_FILLS
    return Drain([ix.consume_events(market_index, makers, capacity, program_id)])


def consume_instructions(market_index: int, queue: EventQueue | None, limit: int, program_id: Pubkey) -> list[Instruction]:
    """``consume_events`` for exactly the next ``limit`` queued fills (empty when the queue is empty)."""
    makers = queued_makers(queue, limit)
    return [ix.consume_events(market_index, makers, len(makers), program_id)] if makers else []


__all__ = ["Drain", "book_makers", "consume_instructions", "drain", "drain_makers", "queued_makers"]
