"""Monte Carlo on Ray with real short simulations: a worker process killed mid-run loses no finished
result, the killed seed is retried, nothing finished is run again, and a second invocation on the same
output folder resumes without running anything."""

from __future__ import annotations

import math
import os
import signal
import statistics
import threading
import time
from pathlib import Path

import orjson
import pytest

from sim.runs.executor import summary_path
from sim.runs.montecarlo import run_montecarlo
from tests.unit.sim.runs_support import calls_per_seed, killable_run, small_mapping

KILL_DEADLINE_S = 60.0


def _kill_victim(folder: Path, out: Path, seeds: list[int], killed: dict) -> None:
    """Once the victim waits and two other seeds are saved, SIGKILL the victim's worker process."""
    deadline = time.monotonic() + KILL_DEADLINE_S
    while time.monotonic() < deadline:
        pid_file = folder / "victim.pid"
        saved = [s for s in seeds if summary_path(out, f"seed-{s}").exists()]
        if pid_file.exists() and len(saved) >= 2:
            killed["before"] = {s: summary_path(out, f"seed-{s}").read_bytes() for s in saved}
            killed["pid"] = int(pid_file.read_text())
            os.kill(killed["pid"], signal.SIGKILL)
            return
        time.sleep(0.05)


@pytest.mark.slow
def test_worker_killed_mid_run_loses_nothing(tmp_path: Path) -> None:
    folder, out = tmp_path / "test", tmp_path / "out"
    folder.mkdir()
    mapping = small_mapping(tmp_path, slots=20)
    seeds = [7, 8, 9, 10, 11]
    mapping["_test"] = {"dir": str(folder), "victim": 9}
    killed: dict = {}
    watcher = threading.Thread(target=_kill_victim, args=(folder, out, seeds, killed), daemon=True)
    watcher.start()
    result = run_montecarlo(mapping, 5, out, workers=2, run_fn=killable_run, progress=False)
    watcher.join(5)

    assert "pid" in killed, "the victim never waited to be killed"
    assert result.failures == {} and sorted(result.summaries) == seeds
    calls = calls_per_seed(folder)
    assert calls == {7: 1, 8: 1, 9: 2, 10: 1, 11: 1}  # the victim twice; nothing finished ran again
    for seed, before in killed["before"].items():
        assert summary_path(out, f"seed-{seed}").read_bytes() == before
    for seed in seeds:
        saved = orjson.loads((out / "runs" / f"seed-{seed}.json").read_bytes())
        assert saved["seed"] == seed and saved["series"]["slot"][-1] - saved["series"]["slot"][0] == 20

    # The aggregates are those of the five saved summaries.
    bad = [result.summaries[s]["protocol.bad_debt"] for s in seeds]
    agg = result.aggregates
    assert agg["runs"] == 5
    assert set(agg["metrics"]) == set(result.summaries[7])
    var, es = agg["risk"]["protocol.bad_debt"]["var"], agg["risk"]["protocol.bad_debt"]["es"]
    assert statistics.median(bad) <= var <= max(bad) and var <= es <= max(bad)
    rows = (out / "summaries.csv").read_text().splitlines()
    assert len(rows) == 6 and rows[0].startswith("seed,")
    assert math.isclose(float(rows[1].split(",")[rows[0].split(",").index("protocol.bad_debt")]), bad[0])

    # Again on the same folder: every seed is read back, none is run.
    again = run_montecarlo(mapping, 5, out, workers=2, run_fn=killable_run, progress=False)
    assert calls_per_seed(folder) == calls
    assert again.summaries == result.summaries
