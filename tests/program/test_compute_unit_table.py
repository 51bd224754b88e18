"""The committed compute-unit table (and the keepers' JSON copy of it) must match the program built from this tree."""

from __future__ import annotations

from benchmarks.compute_units import TABLE, keeper_table, measure, render
from keepers.execution.compute_budget import TABLE as KEEPER_TABLE


def test_compute_unit_table_is_current(perp_program: bytes) -> None:
    rows = measure(perp_program)
    assert TABLE.read_text() == render(rows), "benchmarks/compute_units.md is stale: run python -m benchmarks.compute_units"
    assert KEEPER_TABLE.read_text() == keeper_table(rows), \
        "keepers/execution/compute_units.json is stale: run python -m benchmarks.compute_units"
