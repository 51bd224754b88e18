"""Draining the event queue in front of ``update_funding`` (and the other cranks that need it empty).

The pure parts are checked with hand-built queues and books; the race it exists for is played on the
real program: a funding crank planned while the queue is empty meets a fill queued before it executes.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from solders.compute_budget import set_compute_unit_limit
from solders.pubkey import Pubkey

from keepers.bots.drain import LATE_FILLS, book_makers, consume_instructions, drain, drain_makers, queued_makers
from keepers.bots.funding import funding_action, funding_due
from keepers.execution import compute_budget
from localnet.build import build_program
from programs_client.perp.accounts import EventQueue, Market, Orderbook
from programs_client.perp.constants import QUEUE_EVENT_FILL, QUEUE_EVENT_OUT
from programs_client.perp.errors import custom
from programs_client.perp.types import side
from programs_client.perp.types.fill_record import FillRecord
from programs_client.perp.types.resting_order import RestingOrder
from sim.scenario import LedgerWorld, ScenarioSettings, build_ledger_world

SETTINGS = ScenarioSettings(users=2, seconds_per_slot=600, funding_period_s=3600)  # a funding period in 6 slots


@pytest.fixture
def world(perp_program: bytes) -> LedgerWorld:
    return build_ledger_world(SETTINGS, perp_program, Path(build_program("mock_oracle")).read_bytes())


def _market(world: LedgerWorld, index: int = 0) -> Market:
    return Market.decode(bytes(world.ledger.get_account(world.dep.markets[index].address).data))


def _queue(world: LedgerWorld, index: int = 0) -> EventQueue:
    return EventQueue.decode(bytes(world.ledger.get_account(_market(world, index).event_queue).data))


def _book(world: LedgerWorld, index: int = 0) -> Orderbook:
    return Orderbook.decode(bytes(world.ledger.get_account(_market(world, index).orderbook).data))


def _fill(maker: Pubkey, kind: int = QUEUE_EVENT_FILL) -> FillRecord:
    return FillRecord(maker, 1, 100, 1, 0, side.Bid(), int(kind == QUEUE_EVENT_OUT), kind, [0] * 5)


def _queue_of(template: EventQueue, makers: list[Pubkey], head: int = 0, kinds: list[int] | None = None) -> EventQueue:
    fills = list(template.fills)
    for i, k in enumerate(makers):
        fills[(head + i) % len(fills)] = _fill(k, kinds[i] if kinds else QUEUE_EVENT_FILL)
    return replace(template, fills=fills, head=head, count=len(makers))


def _book_of(template: Orderbook, bids: list[Pubkey], asks: list[Pubkey]) -> Orderbook:
    """A book whose sides hold orders of these owners, listed best first (stored best last)."""
    def side_of(existing: list[RestingOrder], owners: list[Pubkey]) -> list[RestingOrder]:
        out = list(existing)
        for i, owner in enumerate(reversed(owners)):
            out[i] = RestingOrder(owner, i + 1, 0, 100, 1, 0)
        return out
    return replace(template, bids=side_of(template.bids, bids), asks=side_of(template.asks, asks),
                   bid_count=len(bids), ask_count=len(asks))


# -- pure ---------------------------------------------------------------------------------------------
def test_queued_makers_follow_the_ring_buffer(world: LedgerWorld) -> None:
    q = _queue(world)
    makers = [Pubkey.new_unique() for _ in range(4)]
    wrapped = _queue_of(q, makers, head=len(q.fills) - 2)
    assert queued_makers(wrapped, 10) == makers
    assert queued_makers(wrapped, 3) == makers[:3]
    assert queued_makers(replace(wrapped, count=0), 10) == []
    assert queued_makers(None, 10) == []


def test_the_owner_of_an_evicted_order_is_passed_like_a_maker(world: LedgerWorld) -> None:
    """An out event (an order evicted from a full book side) names its owner where a fill names its
    maker: consume_events needs that account to release the reservation, and the settler passes it."""
    maker, evicted = Pubkey.new_unique(), Pubkey.new_unique()
    q = _queue_of(_queue(world), [maker, evicted], kinds=[QUEUE_EVENT_FILL, QUEUE_EVENT_OUT])
    assert queued_makers(q, 10) == [maker, evicted]
    [consume] = consume_instructions(0, q, 2, world.dep.program_id)
    assert [a.pubkey for a in consume.accounts][-2:] == [maker, evicted]
    assert drain_makers(q, None) == [maker, evicted]


def test_book_makers_alternate_sides_best_first(world: LedgerWorld) -> None:
    b1, b2, b3, a1 = (Pubkey.new_unique() for _ in range(4))
    book = _book_of(_book(world), bids=[b1, b2, b3], asks=[a1])
    assert list(book_makers(book)) == [b1, a1, b2, b3]
    assert list(book_makers(None)) == []


def test_drain_makers_put_the_queue_first_then_the_book_within_the_limit(world: LedgerWorld) -> None:
    m1, m2, b1, a1, b2 = (Pubkey.new_unique() for _ in range(5))
    q = _queue_of(_queue(world), [m1, m2, m1])
    book = _book_of(_book(world), bids=[b1, m2, b2], asks=[a1])
    assert drain_makers(q, book) == [m1, m2, b1, a1, b2]
    assert drain_makers(q, book, limit=3) == [m1, m2, b1]
    assert drain_makers(q, book, limit=1) is None  # two makers queued: one account is not enough
    assert drain(0, q, book, world.dep.program_id, limit=1) is None


def test_a_drain_is_budgeted_for_every_fill_its_limit_allows(world: LedgerWorld) -> None:
    maker = Pubkey.new_unique()
    q = _queue_of(_queue(world), [maker, maker])
    d = drain(0, q, None, world.dep.program_id)
    assert d is not None and len(d.instructions) == 1
    # The limit argument is the queue's capacity (128 records in the IDL): whatever arrived by execution is drained.
    assert int.from_bytes(bytes(d.instructions[0].data)[8:16], "little") == 128
    # Its compute limit covers 128 fills (the table's per-fill cost), however few the simulation met.
    per_fill = compute_budget.load_table()["per_item"]["consume_events"]
    assert compute_budget.floor(d.instructions, world.dep.program_id) >= 128 * per_fill
    # Without the queue, a budget of LATE_FILLS after the fills it cannot see.
    no_queue = drain(0, None, _book_of(_book(world), bids=[maker], asks=[]), world.dep.program_id)
    assert no_queue is not None
    assert int.from_bytes(bytes(no_queue.instructions[0].data)[8:16], "little") == LATE_FILLS
    assert drain(0, replace(q, count=0), None, world.dep.program_id).instructions == []
    # The settler's consume is exact: the next two fills, no more.
    (consume,) = consume_instructions(0, q, 2, world.dep.program_id)
    assert int.from_bytes(bytes(consume.data)[8:16], "little") == 2


# -- the race, on the real program ---------------------------------------------------------------------
def _to_funding_period_end(world: LedgerWorld) -> None:
    for _ in range(SETTINGS.funding_period_s // SETTINGS.seconds_per_slot + 1):
        slot = world.ledger.advance_slot()
        for pub in world.scenario.publishers:
            pub.tick(slot)


def _fill_arrives(world: LedgerWorld) -> None:
    """A taker buys from the maker's resting asks: a fill waits in the queue for consume_events."""
    params = world.scenario.makers[0].markets[0]
    out = world.scenario.takers[0].open(world.ledger.send, 0, params, True, 3_000 / world.scenario.prices[0],
                                        world.scenario.prices[0])
    assert out.ok, out
    assert _queue(world).count > 0


def test_a_funding_crank_planned_on_an_empty_queue_survives_a_late_fill(world: LedgerWorld) -> None:
    maker = world.scenario.makers[0]
    assert maker.quote(world.ledger.send, 0, world.scenario.prices[0]).ok
    _to_funding_period_end(world)
    m = _market(world)
    now = world.ledger.svm.get_clock().unix_timestamp
    assert funding_due(m, now) and _queue(world).count == 0
    address, program = world.dep.markets[0].address, world.dep.program_id

    # Planned from the empty queue: the drain passes the maker resting on the book.
    drained = drain(0, _queue(world), _book(world), program)
    assert drained is not None and maker.address in [a.pubkey for a in drained.instructions[0].accounts]
    action = funding_action("funding", m, address, drained, program)
    # Without the drain (what an exact consume of the queue seen at planning time gives): the late
    # fill makes update_funding refuse.
    bare = funding_action("funding", m, address, replace(drained, instructions=[]), program)

    _fill_arrives(world)
    budget = [set_compute_unit_limit(400_000)]
    refused = world.ledger.send(budget + list(bare.instructions), [], world.dep.wallets["keeper"])
    assert not refused.ok and refused.custom_code == custom.EventQueueNotEmpty.code, refused

    out = world.ledger.send(budget + list(action.instructions), [], world.dep.wallets["keeper"])
    assert out.ok, out
    after = _market(world)
    assert after.last_funding_ts == m.last_funding_ts + SETTINGS.funding_period_s
    assert _queue(world).count == 0
