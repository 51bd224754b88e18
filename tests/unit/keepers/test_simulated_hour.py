"""A real ``Keeper`` with every bot on the in-process chain for one simulated hour under ``VirtualClock``.

A driver task on the same clock produces one slot every ``SECONDS_PER_SLOT`` simulated seconds, so the
chain's time and the keeper's run together; the oracle price holds still (a calm hour), which leaves the
heartbeat and the funding period as the only reasons to crank. What the bots did is checked against the
configured heartbeat and funding period. Bots do no idle work: they tick on changes (a slot, an account,
an oracle) and when the chain's clock reaches work that falls due, never on a timer while the chain
stands still, so the hour costs only the CPU time of the chain and of the bots' real work (printed with
``-s``: about 0.5 s on the 2-core development machine, nothing of it spent waiting). Two runs of the
same scenario keep the same journal.
"""

from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from keepers.chain.inprocess import InProcessChain
from keepers.clock import VirtualClock
from keepers.execution.journal import Journal
from keepers.runtime import Keeper
from localnet.build import build_program
from sim.scenario import LedgerWorld, ScenarioSettings, build_ledger_world
from programs_client.perp.accounts import Market
from tests.unit.keepers.support import in_process_config

HOUR_S = 3600
# 120 slots in the hour: the heartbeat (60 s) every 2nd slot, a funding period (600 s) every 20th. The
# demo's pace (5 s) works the same and costs the chain's work of 6 times as many slots.
SECONDS_PER_SLOT = 30
SETTINGS = ScenarioSettings(users=12, volatility=0.0, crash_at=10**9, seconds_per_slot=SECONDS_PER_SLOT,
                            funding_period_s=600, takers_per_slot=2)
SETTLE_S = 1.0  # after the last slot: time for what it started to land
WALL_SANITY_S = 20.0  # generous: the run takes far less (the figure is printed, see -s)
TICKS_PER_SLOT = 3  # at most, for any bot: each slot's changes wake it a few times (its own cranks land)


@dataclass
class HourRun:
    """What one simulated hour left behind."""

    rows: list[Any]  # journal entries, oldest first
    outcomes: dict[tuple[str, str], int]
    ticks: dict[str, int]
    start_ts: int
    slot0: int
    funding_ts0: dict[int, int]
    prices_ts0: dict[int, int]  # when each market's prices were last cranked, at the start
    funding_ts1: dict[int, int]
    healthy: bool
    simulated_s: float
    wall_s: float
    cpu_s: float  # this process's CPU time over the run: close to wall_s when nothing slept


def _market(world: LedgerWorld, index: int) -> Market:
    return Market.decode(bytes(world.ledger.get_account(world.dep.markets[index].address).data))


def _run_hour(world: LedgerWorld, out: Path) -> HourRun:
    out.mkdir()
    start_ts = world.ledger.svm.get_clock().unix_timestamp
    clock = VirtualClock(start_unix_s=start_ts)  # journal timestamps then read in chain time
    # The journal in memory: a simulation needs no durability, and the file's syncs cost real time.
    keeper = Keeper(in_process_config(out), InProcessChain(world.ledger), world.dep.wallets["keeper"],
                    journal=Journal(":memory:", clock=clock), serve_http=False, clock=clock)
    rows: list[Any] = []
    markets = [m.index for m in world.dep.markets]
    slot0, funding_ts0 = world.ledger.slot, {i: _market(world, i).last_funding_ts for i in markets}
    prices_ts0 = {i: _market(world, i).twap_updated_ts for i in markets}

    async def hour() -> None:
        await keeper.start()
        try:
            for _ in range(HOUR_S // SECONDS_PER_SLOT):
                await clock.sleep(SECONDS_PER_SLOT)
                world.scenario.step(world.ledger.advance_slot())
            await clock.sleep(SETTLE_S)
            rows.extend(keeper.journal.recent(1_000_000)[::-1])
        finally:
            await keeper.stop()
            await keeper.chain.close()

    started, cpu0 = time.perf_counter(), time.process_time()
    clock.run(hour())
    wall_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu0
    return HourRun(rows,
                   dict(keeper.pipeline.outcomes), {n: b.ticks for n, b in keeper.bots.items()}, start_ts, slot0,
                   funding_ts0, prices_ts0, {i: _market(world, i).last_funding_ts for i in markets}, keeper.health.report()[0],
                   clock.monotonic(), wall_s, cpu_s)


@pytest.fixture
def programs(perp_program: bytes) -> tuple[bytes, bytes]:
    return perp_program, Path(build_program("mock_oracle")).read_bytes()


def test_a_keeper_runs_a_simulated_hour_without_waiting_for_it(programs: tuple[bytes, bytes], tmp_path: Path) -> None:
    world = build_ledger_world(SETTINGS, *programs)
    run = _run_hour(world, tmp_path / "run")
    config = in_process_config(tmp_path)
    heartbeat_s, period_s = config.bots.mark_price.heartbeat_s, SETTINGS.funding_period_s
    assert heartbeat_s % SECONDS_PER_SLOT == 0 and period_s % heartbeat_s == 0  # the arithmetic below relies on it
    print(f"\nsimulated {run.simulated_s:.0f} s in {run.wall_s:.3f} s of wall time ({run.cpu_s:.3f} s of CPU)")
    assert run.simulated_s == HOUR_S + SETTLE_S
    assert run.wall_s < WALL_SANITY_S

    def slot_at(ts: int) -> int:
        return run.slot0 + (ts - run.start_ts) // SECONDS_PER_SLOT

    landed = [e for e in run.rows if e.status == "landed"]
    for index in run.funding_ts0:
        # Funding: once per period end that fell in the hour, in the slot where it fell due.
        ends = [run.funding_ts0[index] + k * period_s for k in range(1, HOUR_S // period_s + 1)]
        ends = [t for t in ends if t <= run.start_ts + HOUR_S]
        funded = [e for e in landed if e.kind == "update_funding" and e.detail["market"] == index]
        assert [e.slot for e in funded] == [slot_at(t) for t in ends], (index, funded)
        assert run.funding_ts1[index] == ends[-1]
        # Prices: refreshed once a heartbeat, by the heartbeat crank or by the funding crank, which
        # refreshes prices in the same transaction; never for a deviation (the price holds still).
        assert run.prices_ts0[index] == run.start_ts  # the bootstrap's crank: heartbeats fall at start + k * heartbeat
        cranks = [e for e in landed if e.kind == "update_prices" and e.detail["market"] == index]
        assert {e.detail["reason"] for e in cranks} == {"heartbeat"}, cranks
        refreshed = sorted({e.slot for e in cranks + funded})
        assert refreshed == [slot_at(run.start_ts + k * int(heartbeat_s)) for k in range(1, int(HOUR_S // heartbeat_s) + 1)]
    # No idle work: the bots ticked a few times per slot (120 in the hour), not once per interval (a 1 s
    # poll alone made 3,600 ticks), and those sleeping most of the hour are healthy.
    slots = HOUR_S // SECONDS_PER_SLOT
    for name, ticks in run.ticks.items():
        assert 1 <= ticks <= TICKS_PER_SLOT * slots, (name, ticks)
    # The funding bot sleeps until a period end or a market change (a trade changes a market every slot).
    assert run.ticks["funding"] <= slots + HOUR_S // period_s + 1, run.ticks
    assert run.healthy
    # Journal timestamps are simulated time: the last row finished within the hour.
    assert run.start_ts <= landed[0].created_at and landed[-1].finished_at <= run.start_ts + HOUR_S + SETTLE_S


def test_a_keeper_on_a_chain_that_stands_still_does_nothing_for_an_hour(programs: tuple[bytes, bytes],
                                                                          tmp_path: Path) -> None:
    world = build_ledger_world(SETTINGS, *programs)
    clock = VirtualClock(start_unix_s=world.ledger.svm.get_clock().unix_timestamp)
    keeper = Keeper(in_process_config(tmp_path), InProcessChain(world.ledger), world.dep.wallets["keeper"],
                    journal=Journal(":memory:", clock=clock), serve_http=False, clock=clock)

    async def hour() -> tuple[dict[str, int], dict[str, int], bool]:
        await keeper.start()
        try:
            await clock.sleep(SETTLE_S)  # the first ticks, and what they sent, land
            before = {n: b.ticks for n, b in keeper.bots.items()}
            await clock.sleep(HOUR_S)  # no slot, no account change
            return before, {n: b.ticks for n, b in keeper.bots.items()}, keeper.health.report()[0]
        finally:
            await keeper.stop()
            await keeper.chain.close()

    started = time.perf_counter()
    before, after, healthy = clock.run(hour())
    wall_s = time.perf_counter() - started
    print(f"\nan idle hour in {wall_s:.3f} s of wall time; ticks {after}")
    assert all(before.values()) and after == before  # ticked at start, then never: nothing could change
    assert healthy  # an hour asleep is not stale
    assert wall_s < WALL_SANITY_S


_ADDRESS = re.compile(r"\b[1-9A-HJ-NP-Za-km-z]{32,88}\b")


def _canonical(rows: list[Any]) -> list[tuple[Any, ...]]:
    """Journal rows with every address and signature replaced by the order of its first appearance: the
    localnet bootstrap draws fresh keypairs each time, everything else must match."""
    names: dict[str, str] = {}

    def rename(value: Any) -> Any:
        return _ADDRESS.sub(lambda m: names.setdefault(m.group(), f"<{len(names)}>"), value) if isinstance(value, str) else value

    out = []
    for e in rows:
        fields = dataclasses.asdict(e)
        fields["detail"] = {k: rename(v) for k, v in sorted(fields["detail"].items())}
        out.append(tuple(rename(v) if k != "detail" else v for k, v in fields.items()))
    return out


def test_two_simulated_hours_of_one_scenario_keep_the_same_journal(programs: tuple[bytes, bytes], tmp_path: Path) -> None:
    first = _run_hour(build_ledger_world(SETTINGS, *programs), tmp_path / "first")
    second = _run_hour(build_ledger_world(SETTINGS, *programs), tmp_path / "second")
    assert len(first.rows) > 100
    assert _canonical(first.rows) == _canonical(second.rows)
    assert (first.outcomes, first.ticks, first.simulated_s) == (second.outcomes, second.ticks, second.simulated_s)
