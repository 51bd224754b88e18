"""The engine on the real program with the real keepers: deterministic from a seed (in one process and
across processes with different PYTHONHASHSEED), a keeper outage delays liquidations, `perpkeep sim run`."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from sim.engine import run_scenario
from sim.run_record import SimRun, read_series

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]
SLOTS = 120


def short_demo(users: int = 6, outage: dict | None = None) -> dict:
    """The demo scenario, short: the crash at slot 40."""
    mapping = tomllib.loads((ROOT / "sim" / "scenarios" / "demo.toml").read_text())
    mapping["scenario"] |= {"slots": SLOTS, "record_every_slots": 5}
    mapping["traders"][0] |= {"count": users, "activity": 0.5}
    for m in mapping["markets"].values():
        m["price"]["at_slot"] = 40
    if outage is not None:
        mapping["keepers"]["outages"] = [outage]
    return mapping


@pytest.fixture(scope="module")
def first() -> SimRun:
    return run_scenario(short_demo(), seed=3)


def test_one_seed_gives_byte_identical_runs_in_one_process(first: SimRun) -> None:
    assert first.rows == SLOTS // 5 + 1 and first.markets() == ["SOL-PERP", "BTC-PERP"]
    assert first.series["liquidations"][-1] > 0  # the crash liquidated someone...
    assert any(e["kind"] == "liquidation" and e["delay_slots"] >= 0 for e in first.events)
    assert first.series["volume.SOL-PERP"][-1] > 0 and first.strategies() == ["maker"]
    assert run_scenario(short_demo(), seed=3).to_json() == first.to_json()
    assert run_scenario(short_demo(), seed=4).to_json() != first.to_json()


def test_one_seed_gives_byte_identical_runs_across_processes(first: SimRun, tmp_path: Path) -> None:
    code = ("import sys, tomllib; sys.path.insert(0, %r); from tests.integration.sim.test_engine import short_demo; "
            "from sim.engine import run_scenario; sys.stdout.buffer.write(run_scenario(short_demo(), seed=3).to_json())") % str(ROOT)
    outs = []
    for hashseed in ("1", "12345"):
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120, cwd=ROOT,
                           env={**os.environ, "PYTHONHASHSEED": hashseed})
        assert r.returncode == 0, r.stderr.decode()[-2000:]
        outs.append(r.stdout)
    assert outs[0] == outs[1] == first.to_json()


def test_a_liquidator_outage_delays_liquidations_until_it_ends(first: SimRun) -> None:
    down = run_scenario(short_demo(outage={"bot": "liquidator", "start_slot": 30, "slots": 40}), seed=3)
    liquidations = [e for e in down.events if e["kind"] == "liquidation"]
    assert liquidations and min(e["slot"] for e in liquidations) >= 70
    assert max(e["delay_slots"] for e in liquidations) >= 70 - 41  # liquidatable from the crash at slot 40 on
    kinds = [e["kind"] for e in down.events]
    assert "keeper_outage" in kinds and "keeper_restored" in kinds


def test_sim_run_writes_the_record_and_series(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "perpkeep_cli", "sim", "run", str(ROOT / "sim" / "scenarios" / "demo.toml"),
                        "--slots", "30", "--seed", "5", "--out", str(out)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    run = SimRun.from_json((out / "run.json").read_bytes())
    assert run.seed == 5 and run.rows == 4 and run.scenario["scenario"]["slots"] == 30  # slots 1, 10, 20, 30
    assert read_series(out / "series.csv") == read_series(out / "series.parquet") == run.series
    bad = subprocess.run([sys.executable, "-m", "perpkeep_cli", "sim", "run", str(ROOT / "sim" / "scenarios" / "demo.toml"),
                          "--slots", "0"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert bad.returncode == 2 and "--slots" in bad.stderr


def test_oracles_follow_cadence_outages_and_the_fallback_divergence() -> None:
    from keepers.exchange.oracles import decode_oracle
    from sim.engine import Simulation
    from sim.scenario_file import scenario_from_mapping

    mapping = {"scenario": {"slots": 40, "record_every_slots": 1},
               "markets": {"SOL-PERP": {"price": {"kind": "gbm", "volatility": 0.001},
                                        "oracle": {"cadence_slots": 2, "fallback": True, "divergence_bps": 100.0,
                                                   "outages": [{"start_slot": 11, "slots": 10}]}}},
               "keepers": {"bots": ["mark_price"]}}
    sim = Simulation(scenario_from_mapping(mapping, "."), seed=1)
    run = sim.run()
    assert [(e["slot"], e["kind"]) for e in run.events] == [(11, "oracle_outage"), (21, "oracle_restored")]
    published = run.series["oracle.SOL-PERP"]
    path = sim.paths[0]
    # slots 1, 3, 5, ... publish (cadence 2); the primary is silent in 11..20 and the last value stays
    assert published[0] == path[1] and published[2] == published[3] == path[3]  # rows are slots 1, 2, ...
    assert published[9] == path[9] and published[15] == path[9] and published[21] == path[21]
    info = sim.dep.markets[0]
    primary = decode_oracle(info.oracles.primary.kind, bytes(sim.ledger.get_account(info.oracle).data))
    fallback = decode_oracle(info.oracles.fallback.kind, bytes(sim.ledger.get_account(info.fallback_oracle).data),
                             info.oracles.fallback.feed_id)
    assert fallback.price_1e6 / primary.price_1e6 == pytest.approx(1.01, abs=1e-6)  # both from slot 39's price
