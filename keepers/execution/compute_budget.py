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
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from solders.instruction import Instruction
from solders.pubkey import Pubkey

TABLE = Path(__file__).with_name("compute_units.json")
WORST_CASE_FACTOR = 2
FLOOR_EXTRA_UNITS = 2_000  # per instruction
OUTLIER_FACTOR = 20
UNKNOWN_INSTRUCTION_UNITS = 200_000  # another program's instruction: the runtime's default per instruction
COMPUTE_BUDGET_PROGRAM = Pubkey.from_string("ComputeBudget111111111111111111111111111111")


def discriminator(name: str) -> bytes:
    """The 8-byte Anchor discriminator of instruction ``name`` (``sha256("global:" + name)[:8]``)."""
    return hashlib.sha256(f"global:{name}".encode()).digest()[:8]


@functools.cache
def load_table(path: Path = TABLE) -> dict[str, dict[str, int]]:
    """The committed table: ``{"instructions": {name: units}, "per_item": {name: units}}``."""
    return json.loads(path.read_text())


@functools.cache
def _by_discriminator(path: Path = TABLE) -> dict[bytes, int]:
    return {discriminator(name): units for name, units in load_table(path)["instructions"].items()}


def instruction_units(instruction: Instruction, program_id: Pubkey | None = None) -> int | None:
    """The measured worst case of one instruction, 0 for a compute-budget one, None when unknown."""
    if instruction.program_id == COMPUTE_BUDGET_PROGRAM:
        return 0
    if program_id is not None and instruction.program_id != program_id:
        return None
    return _by_discriminator().get(bytes(instruction.data[:8]))


def floor(instructions: Iterable[Instruction], program_id: Pubkey | None = None) -> int:
    """The least limit these instructions get: their measured worst cases with headroom (unknown ones add nothing)."""
    total = 0
    for i in instructions:
        units = instruction_units(i, program_id)
        if units:
            total += units * WORST_CASE_FACTOR + FLOOR_EXTRA_UNITS
    return total


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


__all__ = ["OUTLIER_FACTOR", "TABLE", "WORST_CASE_FACTOR", "ceiling", "discriminator", "floor", "instruction_units",
           "load_table", "render_table"]
