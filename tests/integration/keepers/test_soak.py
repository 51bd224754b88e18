"""The two-minute soak (``benchmarks.soak``): ``perpkeep run`` in a subprocess against the LiteSVM node with
400 ms slots, ~20% of RPC requests failing, websockets dropped every 2 to 3 s, three crash-and-recover
cycles of the oracle prices and a SIGKILL of the keeper in the middle.

Bounds are those a correct keeper meets with margin (the issue's goal is p95 <= 10 and max <= 20 slots
of liquidation delay over the 10-minute run). In two minutes a third of the episodes fall in the crash
the kill interrupts, whose delay is mostly the restart's (a new process on a loaded machine: 2 to 6 s),
so the percentiles are bounded outside that window and the maximum over all of them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]


def test_a_two_minute_soak_under_faults(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    run = subprocess.run([sys.executable, "-m", "benchmarks.soak", "--minutes", "2", "--cycles", "3", "--out",
                          str(tmp_path / "run"), "--json", str(out)], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    f = json.loads(out.read_text())
    report = run.stdout
    delay = f["liquidation_delay_slots"]
    assert delay["episodes"] >= 15, report  # three cycles liquidate longs on the crash and shorts on the rise
    outside = f["liquidation_delay_slots_outside_restart"]
    assert outside["episodes"] >= 10 and outside["p95"] <= 15 and outside["max"] <= 30, report
    assert delay["max"] <= 45, report
    assert f["never_liquidated"]["longer_than_20_slots"] == 0 and f["never_liquidated"]["open_at_end"] <= 2, report
    assert f["duplicates"] == {"keys_landed_twice": 0, "liquidations_from_one_state": 0,
                               "signatures_executed_twice": 0}, report
    assert "ProgramFailedToComplete" not in f["onchain_failures"], report
    assert sum(f["onchain_failures"].values()) <= 10, report  # stale plans may still fail now and then
    assert f["restarts"] == 1 and max(f["ready_s"]) < 20, report
    assert f["keeper_log"]["tracebacks"] == 0, report
    assert f["conservation"]["checks"] >= 10 and f["conservation"]["broken"] == 0, report
    assert f["funding_lag_periods_max"] < 1.5, report
    first, last, _ = f["resources"]["rss_kib_first_last_max"]
    assert last < first * 1.5, report
    assert f["faults"]["http_5xx"] > 100 and f["faults"]["ws_drops"] >= 20, report  # the faults did happen
