"""Compute-unit limits from what each instruction is known to cost, so that a limit is never too tight
(a transaction out of compute fails and pays its fee) nor set by one absurd simulation.

``compute_units.json`` beside this module is written by ``python -m benchmarks.compute_units`` from the
table it measures in LiteSVM (``benchmarks/compute_units.md``; a test fails when either is stale): for
each perp instruction the most any of its measured cases cost, and for instructions whose cost grows
with what they meet (fills consumed, makers crossed) the cost of one more item.

``floor`` is what an action's limit must at least be: ``WORST_CASE_FACTOR`` times the measured cost of
each of its instructions plus ``FLOOR_EXTRA_UNITS`` (state that changes between the plan and the
execution: another position settled first, more funding to settle, a fuller book). ``ceiling`` is the
most a simulation may believe: ``OUTLIER_FACTOR`` times that cost; a simulated figure above it is an
outlier (a faulty or hostile endpoint) and neither sizes the limit nor is remembered.

Some instructions do as much work as the state at execution gives them, up to a bound, whatever was
there when the action was planned or simulated: ``consume_events`` applies up to ``limit`` queued
events (fills queued between the simulation and the execution too), a crossing ``place_order`` fills
up to the program's 16 makers (the book may have changed). Both bounds add the table's per-item cost
for every item beyond the measured case that the bound allows (``ITEMS``).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from solders.instruction import Instruction
from solders.pubkey import Pubkey

from programs_client.perp.accounts import EventQueue
from programs_client.perp.types import order_type

TABLE = Path(__file__).with_name("compute_units.json")
WORST_CASE_FACTOR = 2
FLOOR_EXTRA_UNITS = 2_000  # per instruction
OUTLIER_FACTOR = 20
UNKNOWN_INSTRUCTION_UNITS = 200_000  # another program's instruction: the runtime's default per instruction
COMPUTE_BUDGET_PROGRAM = Pubkey.from_string("ComputeBudget111111111111111111111111111111")
# The event queue's capacity (the IDL's fills array): no consume_events applies more, whatever its limit.
QUEUE_CAPACITY = next(c.subcon.count for c in EventQueue.layout.subcons if c.name == "fills")
MAX_FILLS_PER_ORDER = 16  # makers one order may fill (PK_MAX_FILLS_PER_ORDER, programs/perp/trading.c)
_ORDER_TYPE_OFFSET = 8 + 24 + 1  # discriminator, then OrderArgs: price, base_amount, client_order_id, side


def _consume_events_items(data: bytes) -> int:
    """Events applied at most: the ``limit`` argument (u16), no more than the queue holds."""
    return min(int.from_bytes(data[8:10], "little"), QUEUE_CAPACITY)


def _place_order_items(data: bytes) -> int:
    """Makers filled at most beyond the measured one: none for a post-only order, which never crosses."""
    return 0 if data[_ORDER_TYPE_OFFSET] == order_type.PostOnly.discriminator else MAX_FILLS_PER_ORDER - 1


# Instructions whose work grows with the state at execution: the most items beyond their measured case.
ITEMS: dict[str, Callable[[bytes], int]] = {"consume_events": _consume_events_items, "place_order": _place_order_items}


def discriminator(name: str) -> bytes:
    """The 8-byte Anchor discriminator of instruction ``name`` (``sha256("global:" + name)[:8]``)."""
    return hashlib.sha256(f"global:{name}".encode()).digest()[:8]


@functools.cache
def load_table(path: Path = TABLE) -> dict[str, dict[str, int]]:
    """The committed table: ``{"instructions": {name: units}, "per_item": {name: units}}``."""
    return json.loads(path.read_text())


@functools.cache
def _by_discriminator(path: Path = TABLE) -> dict[bytes, tuple[int, int, Callable[[bytes], int] | None]]:
    """discriminator -> (measured worst case, per-item cost, the most items its data allows)."""
    table = load_table(path)
    return {discriminator(name): (units, table["per_item"].get(name, 0), ITEMS.get(name))
            for name, units in table["instructions"].items()}


def instruction_units(instruction: Instruction, program_id: Pubkey | None = None) -> int | None:
    """The measured worst case of one instruction with every item it may meet at execution (per-item
    cost times ``ITEMS``), 0 for a compute-budget one, None when unknown."""
    if instruction.program_id == COMPUTE_BUDGET_PROGRAM:
        return 0
    if program_id is not None and instruction.program_id != program_id:
        return None
    data = bytes(instruction.data)
    known = _by_discriminator().get(data[:8])
    if known is None:
        return None
    units, per_item, items = known
    return units + per_item * (items(data) if items else 0)


def floor(instructions: Iterable[Instruction], program_id: Pubkey | None = None) -> int:
    """The least limit these instructions get: their measured worst cases with headroom (unknown ones add nothing)."""
    total = 0
    for i in instructions:
        units = instruction_units(i, program_id)
        if units:
            total += units * WORST_CASE_FACTOR + FLOOR_EXTRA_UNITS
    return total


CANCEL_ALL_MEASURED_ORDERS = 8  # resting orders in the table's costliest cancel_all_orders case


def cancel_all_extra_units(resting: int) -> int:
    """The limit a ``cancel_all_orders`` needs beyond its ``floor`` for ``resting`` orders of the signer:
    its work grows with them (about 400 units each) and its data cannot say how many there are, so the
    sender, who knows, adds this to the action (``Action.extra_units``)."""
    per_order = load_table()["per_item"].get("cancel_all_orders", 0)
    return per_order * max(0, resting - CANCEL_ALL_MEASURED_ORDERS) * WORST_CASE_FACTOR


def ceiling(instructions: Iterable[Instruction], program_id: Pubkey | None = None) -> int | None:
    """The most a simulation of these instructions may plausibly report, or None when one is unknown."""
    total = 0
    for i in instructions:
        units = instruction_units(i, program_id)
        if units is None:
            return None
        total += units * OUTLIER_FACTOR + FLOOR_EXTRA_UNITS
    return total


def render_table(instructions: Mapping[str, int], per_item: Mapping[str, int]) -> str:
    """The JSON text of the table (sorted, one entry a line: diffs stay readable)."""
    return json.dumps({"instructions": dict(sorted(instructions.items())), "per_item": dict(sorted(per_item.items()))},
                      indent=1) + "\n"


__all__ = ["CANCEL_ALL_MEASURED_ORDERS", "ITEMS", "MAX_FILLS_PER_ORDER", "OUTLIER_FACTOR", "QUEUE_CAPACITY", "TABLE", "WORST_CASE_FACTOR", "cancel_all_extra_units", "ceiling", "discriminator", "floor", "instruction_units",
           "load_table", "render_table"]
