"""``sim.run_record.SimRun``: canonical JSON, CSV and Parquet series that read back as written."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sim.run_record import SimRun, read_series


def _run() -> SimRun:
    return SimRun({"name": "t", "markets": {"SOL-PERP": {"price": 100.0}}}, 3,
                  {"slot": [1.0, 2.0], "time_s": [5.0, 10.0], "mark.SOL-PERP": [100.5, 99.25],
                   "strategy.maker.equity": [1000.0, 1001.5]},
                  [{"slot": 2, "kind": "liquidation", "delay_slots": 1}], {"protocol.bad_debt": 0.0, "x": math.nan})


def test_json_is_canonical_and_reads_back() -> None:
    run = _run()
    again = SimRun.from_json(run.to_json())
    assert again.to_json() == run.to_json()
    assert run.to_json().startswith(b'{"events":[{"delay_slots":1,"kind":"liquidation","slot":2}]')
    assert math.isnan(again.summary["x"]) and again.summary["protocol.bad_debt"] == 0.0
    assert run.markets() == ["SOL-PERP"] and run.strategies() == ["maker"] and run.rows == 2


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_series_round_trip(tmp_path: Path, suffix: str) -> None:
    path = _run().write_series(tmp_path / f"s{suffix}")
    assert read_series(path) == {"slot": [1.0, 2.0], "time_s": [5.0, 10.0], "mark.SOL-PERP": [100.5, 99.25],
                                 "strategy.maker.equity": [1000.0, 1001.5]}


def test_bad_shapes_and_formats_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="differ in length"):
        SimRun({}, 0, {"slot": [1.0], "time_s": []})
    with pytest.raises(ValueError, match=".csv or .parquet"):
        _run().write_series(tmp_path / "s.xlsx")
