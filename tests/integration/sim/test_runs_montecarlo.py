"""`perpkeep sim montecarlo` on local Ray with real short simulations: a worker process killed mid-run
loses no finished result, the killed seed is retried, nothing finished is run again, and a second
invocation on the same output folder resumes without running anything.

The command runs in a subprocess of its own, as a user runs it (a Ray driver inside the long-lived test
process shares that process's state with every test before it)."""

from __future__ import annotations

import csv
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from sim.runs.executor import summary_path
from tests.unit.sim.runs_support import KILL_DIR_ENV, VICTIM_ENV, calls_per_seed, project_root, write_scenario

KILL_DEADLINE_S = 90.0
COMMAND_TIMEOUT_S = 150.0


def montecarlo(scenario: Path, out: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """`perpkeep sim montecarlo` over 5 seeds with 2 workers and the killable run, started."""
    return subprocess.Popen([sys.executable, "-m", "sim.runs_cli", "montecarlo", str(scenario), "--seeds", "5",
                             "--workers", "2", "--out", str(out), "--no-progress",
                             "--run-fn", "tests.unit.sim.runs_support:killable_run"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_worker_killed_mid_run_loses_nothing(tmp_path: Path) -> None:
    folder, out = tmp_path / "test", tmp_path / "out"
    folder.mkdir()
    scenario = write_scenario(tmp_path, slots=20)
    seeds = [7, 8, 9, 10, 11]
    env = {**os.environ, "PYTHONPATH": project_root(), KILL_DIR_ENV: str(folder), VICTIM_ENV: "9"}
    proc = montecarlo(scenario, out, env)
    try:
        # Once the victim waits and two other seeds are saved, SIGKILL the victim's worker process.
        deadline = time.monotonic() + KILL_DEADLINE_S
        before: dict[int, bytes] = {}
        while time.monotonic() < deadline and proc.poll() is None:
            saved = [s for s in seeds if summary_path(out, f"seed-{s}").exists()]
            if (folder / "victim.pid").exists() and len(saved) >= 2:
                before = {s: summary_path(out, f"seed-{s}").read_bytes() for s in saved}
                os.kill(int((folder / "victim.pid").read_text()), signal.SIGKILL)
                break
            time.sleep(0.05)
        stdout, stderr = proc.communicate(timeout=COMMAND_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert before, f"the victim never waited to be killed:\n{stderr[-3000:]}"
    assert proc.returncode == 0, stderr[-3000:]
    assert "Monte Carlo: 5 of 5 seeds" in stdout

    calls = calls_per_seed(folder)
    assert calls == {7: 1, 8: 1, 9: 2, 10: 1, 11: 1}  # the victim twice; nothing finished ran again
    for seed, data in before.items():
        assert summary_path(out, f"seed-{seed}").read_bytes() == data
    summaries = {}
    for seed in seeds:
        saved = orjson.loads((out / "runs" / f"seed-{seed}.json").read_bytes())
        assert saved["seed"] == seed and saved["series"]["slot"]
        summaries[seed] = orjson.loads(summary_path(out, f"seed-{seed}").read_bytes())
        assert set(summaries[seed]) == set(saved["summary"])

    # The aggregates are those of the five saved summaries.
    bad = [summaries[s]["protocol.bad_debt"] for s in seeds]
    agg = orjson.loads((out / "montecarlo.json").read_bytes())
    assert agg["runs"] == 5 and agg["failures"] == {}
    assert set(agg["metrics"]) == set(summaries[7])
    var, es = agg["risk"]["protocol.bad_debt"]["var"], agg["risk"]["protocol.bad_debt"]["es"]
    assert statistics.median(bad) <= var <= max(bad) and var <= es <= max(bad)
    with open(out / "summaries.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["seed"]) for r in rows] == seeds
    assert [float(r["protocol.bad_debt"]) for r in rows] == pytest.approx(bad)

    # Again on the same folder: every seed is read back, none is run.
    again = montecarlo(scenario, out, env)
    stdout, stderr = again.communicate(timeout=COMMAND_TIMEOUT_S)
    assert again.returncode == 0, stderr[-3000:]
    assert calls_per_seed(folder) == calls
    assert orjson.loads((out / "montecarlo.json").read_bytes())["metrics"] == agg["metrics"]
