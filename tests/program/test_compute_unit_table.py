"""The committed compute-unit table must match the program built from this tree."""

from __future__ import annotations

from benchmarks.compute_units import TABLE, measure, render


def test_compute_unit_table_is_current(perp_program: bytes) -> None:
    fresh = render(measure(perp_program))
    assert TABLE.read_text() == fresh, "benchmarks/compute_units.md is stale: run python -m benchmarks.compute_units"
