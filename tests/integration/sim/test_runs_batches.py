"""`perpkeep sim stress` and `perpkeep sim sweep` on local Ray with real short simulations, each command in
a subprocess of its own as a user runs it."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tests.unit.sim.runs_support import project_root, run_fn_args, write_scenario

COMMAND_TIMEOUT_S = 150.0


def sim(*argv: str) -> None:
    """`perpkeep sim ARGV...` in a subprocess; fails the test with its stderr unless it exits 0."""
    done = subprocess.run([sys.executable, "-m", "sim.runs_cli", *argv, "--no-progress", *run_fn_args()],
                          env={**os.environ, "PYTHONPATH": project_root()}, capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.slow
def test_stress_compares_each_stress_with_the_baseline(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path, slots=20)
    out = tmp_path / "stress"
    sim("stress", str(scenario), "--only", "crash_40pct_10min", "liquidator_outage", "--out", str(out))
    with open(out / "stress.csv") as f:
        rows = {r["scenario"]: r for r in csv.DictReader(f)}
    assert list(rows) == ["baseline", "crash_40pct_10min", "liquidator_outage"]
    saved = {name: orjson.loads((out / "runs" / f"{name}-seed-7.json").read_bytes()) for name in rows}
    # Each stress ran its own scenario: the crash's at a third of 20 slots, the outage in [keepers].
    assert saved["crash_40pct_10min"]["scenario"]["markets"]["SOL-PERP"]["price"]["at_slot"] == 6
    assert saved["liquidator_outage"]["scenario"]["keepers"]["outages"][0]["bot"] == "liquidator"
    for name, run in saved.items():
        base = saved["baseline"]["summary"]["protocol.bad_debt"]
        assert float(rows[name]["protocol.bad_debt"]) == pytest.approx(run["summary"]["protocol.bad_debt"])
        if name != "baseline":
            assert float(rows[name]["Δ protocol.bad_debt"]) == pytest.approx(run["summary"]["protocol.bad_debt"] - base)


@pytest.mark.slow
def test_sweep_gives_percentiles_per_cell(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path, slots=15)
    out = tmp_path / "sweep"
    sim("sweep", str(scenario), "--param", "markets.*.params.maintenance_margin_bps=400,800",
        "--param", "markets.*.params.liquidation_fee_bps=50,150", "--seeds", "2", "--out", str(out))
    table = orjson.loads((out / "sweep.json").read_bytes())
    assert [c["cell"] for c in table["cells"]] == [[400, 50], [400, 150], [800, 50], [800, 150]]
    for i, cell in enumerate(table["cells"]):
        runs = [orjson.loads((out / "runs" / f"cell-{i}-seed-{s}.json").read_bytes()) for s in (7, 8)]
        assert [r["scenario"]["markets"]["SOL-PERP"]["params"]["maintenance_margin_bps"] for r in runs] == [cell["cell"][0]] * 2
        assert cell["values"] == [r["summary"]["protocol.bad_debt"] for r in runs]
    with open(out / "sweep.csv") as f:
        rows = list(csv.DictReader(f))
    first = sorted(table["cells"][0]["values"])
    assert float(rows[0]["p50"]) == pytest.approx((first[0] + first[1]) / 2)
    assert float(rows[0]["max"]) == pytest.approx(first[1])
    # A higher maintenance margin counts at least as many accounts liquidatable at the same prices.
    liq = {}
    for path in (out / "runs").glob("cell-*-seed-7.json"):
        run = orjson.loads(path.read_bytes())
        params = run["scenario"]["markets"]["SOL-PERP"]["params"]
        liq[(params["maintenance_margin_bps"], params["liquidation_fee_bps"])] = run["summary"]["protocol.liquidations"]
    assert liq[(800, 50)] >= liq[(400, 50)] and liq[(800, 150)] >= liq[(400, 150)]
