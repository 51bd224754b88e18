"""``benchmarks.sim_throughput``: the bare LiteSVM loop replays exactly the transactions the simulator's path
sent, with the same outcomes (the rates themselves are a benchmark, not a test: they are in the report)."""

from __future__ import annotations

import random

import pytest

from benchmarks.sim_throughput import MixDriver, _bare_loop, _bare_svm, _batches, _programs, _snapshot
from sim.scenario import ScenarioSettings, build_ledger_world


@pytest.mark.parametrize("lean", [True, False], ids=["lean records", "full records"])
def test_the_bare_loop_replays_the_simulated_transactions_with_their_outcomes(lean: bool) -> None:
    programs = _programs()
    world = build_ledger_world(ScenarioSettings(seed=3), programs.perp, programs.mock_oracle, lean=lean)
    driver = MixDriver(world, random.Random(3))
    driver.slot()  # the first ladder rests before the recorded part
    accounts, clock0, first = _snapshot(world.ledger), world.ledger.svm.get_clock(), len(world.ledger.records) + len(world.ledger.lean_records)
    for _ in range(6):
        driver.slot()
    batches, sim_ok = _batches(world.ledger, first, clock0)
    # every slot: 2 oracle writes, 2 update_prices, 2 consume_events, and a ladder per market or 2 takers
    assert [len(txs) for _, txs in batches] == [8] * 6 and [c.slot for c, _ in batches] == list(
        range(clock0.slot + 1, clock0.slot + 7))
    assert sum(sim_ok) > len(sim_ok) // 2  # most of the mix lands; some takers find no liquidity left
    for sigverify in (True, False):
        _, bare_ok = _bare_loop(_bare_svm(programs, world.ledger.local.program_id, accounts, sigverify), batches)
        assert bare_ok == sim_ok
