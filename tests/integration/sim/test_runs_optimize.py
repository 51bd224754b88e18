"""optuna studies over real short simulations: two worker processes sharing one study in a real
PostgreSQL, NSGA-II's Pareto front, pruning of hopeless trials, and walk-forward over a replayed file."""

from __future__ import annotations

import csv
import math
import os
import subprocess
import sys
from pathlib import Path

import optuna
import orjson
import pytest

from sim.runs.optimize import optimize, parse_space
from sim.runs.walkforward import walk_forward
from tests.unit.sim.runs_support import BARRIER_ENV, RUN_FN, project_root, small_mapping, write_scenario

WORKER_TIMEOUT_S = 120.0

SPACE = """
[optimize]
study = "shared"
sampler = "random"
trials = 4
seeds = 1
pruner = "none"          # every trial completes: the count below is exact
objectives = [{ metric = "protocol.bad_debt", direction = "minimize" }]
[[optimize.params]]
path = "markets.*.params.maintenance_margin_bps"
low = 300
high = 900
step = 100
[[optimize.params]]
path = "markets.*.price.volatility"
low = 0.0005
high = 0.01
log = true
"""


@pytest.mark.slow
def test_two_workers_share_one_study_in_postgres(postgres: object, tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path, slots=5, extra=SPACE)
    url = postgres.dsn.replace("postgresql://", "postgresql+psycopg://", 1)  # type: ignore[attr-defined]
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    env = {**os.environ, "PYTHONPATH": project_root(), BARRIER_ENV: str(barrier)}
    workers = [subprocess.Popen([sys.executable, "-m", "sim.runs_cli", "optimize", str(scenario), "--storage", url,
                                 "--out", str(tmp_path / f"w{i}"), "--sampler-seed", str(i), "--no-progress",
                                 "--run-fn", "tests.unit.sim.runs_support:paired_run"],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for i in (1, 2)]
    outputs = [w.communicate(timeout=WORKER_TIMEOUT_S) for w in workers]
    for w, (out, err) in zip(workers, outputs):
        assert w.returncode == 0, err[-3000:]
    study = optuna.load_study(study_name="shared", storage=url)
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert 4 <= len(done) <= 5  # the total is checked after each trial: both may start the fourth
    by_worker = {t.user_attrs["worker"] for t in done}
    assert {str(w.pid) for w in workers} == {w.split(":")[1] for w in by_worker}  # both contributed
    for t in done:
        assert 300 <= t.params["markets.*.params.maintenance_margin_bps"] <= 900
    saved = orjson.loads((tmp_path / "w1" / "optimize.json").read_bytes())
    assert "password" not in saved["storage"] and saved["storage"].startswith("postgresql+psycopg://")


@pytest.mark.slow
def test_nsga2_pareto_front(tmp_path: Path) -> None:
    mapping = small_mapping(tmp_path, slots=10)
    spec = parse_space({"study": "pareto", "sampler": "nsga2", "trials": 6, "seeds": 1,
                        "objectives": [{"metric": "protocol.open_interest_max", "direction": "maximize"},
                                       {"metric": "protocol.bad_debt", "direction": "minimize"}],
                        "params": [{"path": "markets.*.price.volatility", "low": 0.0005, "high": 0.02, "log": True}]})
    result = optimize(mapping, spec, tmp_path / "out", run_fn=RUN_FN, seed=3, progress=False)
    complete = [t for t in result.trials if t["state"] == "COMPLETE"]
    assert len(complete) == 6
    assert (tmp_path / "out" / "study.sqlite3").exists()  # the default storage

    def dominated(a: list[float], by: list[float]) -> bool:  # objective 0 maximised, 1 minimised
        return by[0] >= a[0] and by[1] <= a[1] and (by[0] > a[0] or by[1] < a[1])

    front = {t["number"] for t in complete if not any(dominated(t["values"], o["values"]) for o in complete)}
    assert {b["number"] for b in result.best} == front


@pytest.mark.slow
def test_hopeless_trials_are_pruned(tmp_path: Path) -> None:
    # The insurance fund's low is (about) its stake in a short run: trials differ by what they stake.
    mapping = small_mapping(tmp_path, slots=5)
    spec = parse_space({"study": "prune", "sampler": "random", "trials": 8, "seeds": 2, "pruner": "median",
                        "objectives": [{"metric": "protocol.insurance_fund_min", "direction": "maximize"}],
                        "params": [{"path": "insurance.stake", "choices": [1000.0, 2000.0, 3000.0, 4000.0, 5000.0]}]})
    result = optimize(mapping, spec, tmp_path / "out", run_fn=RUN_FN, seed=5, progress=False)
    finished: list[float] = []  # first-seed values of the completed trials, in order
    pruned = 0
    for t in sorted(result.trials, key=lambda t: t["number"]):
        runs = [orjson.loads(p.read_bytes()) for p in sorted((tmp_path / "out" / "runs").glob(f"trial-{t['number']}-seed-*.json"))]
        first = runs[0]["summary"]["protocol.insurance_fund_min"]
        assert runs[0]["scenario"]["insurance"]["stake"] == t["params"]["insurance.stake"]
        assert t["intermediate"][0] == pytest.approx(first)
        mid = sorted(finished)[(len(finished) - 1) // 2:len(finished) // 2 + 1]
        hopeless = len(finished) >= 2 and first < sum(mid) / len(mid)  # below the median of the others
        assert (t["state"] == "PRUNED") == hopeless, (t, finished)
        if t["state"] == "PRUNED":
            pruned += 1
            assert len(runs) == 1  # stopped after its first seed
        else:
            assert t["state"] == "COMPLETE" and len(runs) == 2
            assert t["values"][0] == pytest.approx(sum(r["summary"]["protocol.insurance_fund_min"] for r in runs) / 2)
            finished.append(first)
    assert pruned >= 1


@pytest.mark.slow
def test_walk_forward_reports_out_of_sample_apart(tmp_path: Path) -> None:
    prices = tmp_path / "prices.csv"
    with open(prices, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["timestamp", "price"])
        w.writerows((1_700_000_000 + 5 * i, 150.0 * math.exp(0.002 * math.sin(i / 3) - 0.004 * i)) for i in range(40))
    mapping = small_mapping(tmp_path, slots=40)
    mapping["markets"]["SOL-PERP"]["price"] = {"kind": "replay", "file": str(prices)}
    spec = parse_space({"study": "wf", "sampler": "tpe", "trials": 2, "seeds": 1,
                        "objectives": [{"metric": "protocol.bad_debt", "direction": "minimize"}],
                        "params": [{"path": "markets.*.params.maintenance_margin_bps", "low": 300, "high": 900,
                                    "step": 100}]})
    result = walk_forward(mapping, spec, tmp_path / "out", train=20, test=10, run_fn=RUN_FN, progress=False)
    assert [(r["train"], r["test"]) for r in result.rows] == [((0, 20), (20, 30)), ((10, 30), (30, 40))]
    for r in result.rows:
        k = r["window"]
        with open(tmp_path / "out" / "windows" / f"w{k}-test.csv") as f:
            stamps = [float(row["timestamp"]) for row in csv.DictReader(f)]
        assert stamps == [1_700_000_000 + 5 * i for i in range(r["test"][0], r["test"][1])]
        assert 300 <= r["params"]["markets.*.params.maintenance_margin_bps"] <= 900
        assert math.isfinite(r["in_sample"]) and math.isfinite(r["out_of_sample"])
    figures = result.figures()
    assert figures["in_sample_mean"] == pytest.approx(sum(r["in_sample"] for r in result.rows) / 2)
    assert figures["out_of_sample_mean"] == pytest.approx(sum(r["out_of_sample"] for r in result.rows) / 2)
    saved = orjson.loads((tmp_path / "out" / "walkforward.json").read_bytes())
    assert set(saved["figures"]) == {"in_sample_mean", "out_of_sample_mean", "efficiency"}


@pytest.mark.slow
def test_grid_stops_when_exhausted_and_cmaes_searches_the_box(tmp_path: Path) -> None:
    mapping = small_mapping(tmp_path, slots=5)
    objective = [{"metric": "protocol.open_interest_max", "direction": "maximize"}]
    grid = parse_space({"study": "grid", "sampler": "grid", "trials": 10, "objectives": objective,
                        "params": [{"path": "markets.*.params.maintenance_margin_bps", "choices": [400, 700]}]})
    result = optimize(mapping, grid, tmp_path / "grid", run_fn=RUN_FN, seed=1, progress=False)
    assert sorted(t["params"]["markets.*.params.maintenance_margin_bps"] for t in result.trials) == [400, 700]
    cmaes = parse_space({"study": "cmaes", "sampler": "cmaes", "trials": 3, "objectives": objective,
                         "params": [{"path": "markets.*.price.volatility", "low": 0.001, "high": 0.01},
                                    {"path": "markets.*.params.maintenance_margin_bps", "low": 300, "high": 900}]})
    result = optimize(mapping, cmaes, tmp_path / "cmaes", run_fn=RUN_FN, seed=1, progress=False)
    assert len(result.trials) == 3 and all(t["state"] == "COMPLETE" for t in result.trials)
    for t in result.trials:
        assert 0.001 <= t["params"]["markets.*.price.volatility"] <= 0.01
    best = max(result.trials, key=lambda t: t["values"][0])
    assert result.best[0]["number"] == best["number"]
