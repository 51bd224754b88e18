"""Program transactions per second inside a simulation against a bare LiteSVM loop of the same transactions.

One run, one exchange (``sim.scenario.build_ledger_world``: two markets, a scripted maker, 40 takers):

(a) the simulator's path: every slot ``Ledger.advance_slot``, the oracle publishers' writes, the maker's
    ladder (``cancel_all_orders`` + post-only ``place_order``s, every ``--requote`` slots), crossing
    taker orders (immediate-or-cancel), ``consume_events`` and ``update_prices`` per market, each built
    by the traders' and keepers' instruction builders and sent with ``Ledger.send`` as
    ``sim.scenario.Scenario`` sends them (sign, execute, record, notify), the ledger in lean
    recording mode as a simulation runs it (``Ledger(lean=True)``: outcomes only; ``--full-records``
    records every transaction in full, as for the RPC node);
(b) the same signed transactions, taken from the ledger's records, replayed with
    ``LiteSVM.send_transaction`` in a loop on a LiteSVM holding the accounts as they were before (a)
    (the clock set per slot as in (a)): once with LiteSVM's own signature check (its default) and once
    without it (as the ledger runs LiteSVM: the ledger signs and checks signatures itself).

The outcomes of (b) are compared with (a)'s (same successes and failures). Prints transactions/s of
each way, the ratios (goal: (a) at least 75% of the bare loop), a cProfile top-15 of (a), and the
slots/s of the demo scenario (``Scenario.step`` per slot without keepers, ``--demo-slots`` slots).
Nothing is asserted.

    python3 -m benchmarks.sim_throughput [--slots 400] [--demo-slots 1800] [--seed 7] [--full-records]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import random
import time
from dataclasses import dataclass
from pathlib import Path

from solders.account import Account
from solders.clock import Clock
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata

from keepers.exchange import instructions as ix
from localnet.build import build_program
from localnet.deployment import Deployment
from localnet.ledger import LeanRecord, Ledger, TxRecord
from localnet.svm import NATIVE_ACCOUNTS
from programs_client.mock_oracle.program_id import PROGRAM_ID as MOCK_ORACLE_ID
from sim.scenario import LedgerWorld, ScenarioSettings, build_ledger_world
from sim.traders import ScriptedMaker, Taker

CONSUME_LIMIT = 10


@dataclass
class Programs:
    """The two programs' bytes, built once."""

    perp: bytes
    mock_oracle: bytes


def _programs() -> Programs:
    return Programs(Path(build_program("perp")).read_bytes(), Path(build_program("mock_oracle")).read_bytes())


@dataclass
class MixDriver:
    """Drives the simulation mix on a world: one ``slot()`` call per slot (see the module docstring)."""

    world: LedgerWorld
    rng: random.Random
    requote: int = 5
    takers_per_slot: int = 2

    def __post_init__(self) -> None:
        w = self.world
        self.ledger: Ledger = w.ledger
        self.dep: Deployment = w.dep
        self.maker: ScriptedMaker = w.scenario.makers[0]
        self.takers: list[Taker] = w.scenario.takers
        self.keeper = self.dep.wallets["keeper"]
        self.prices = dict(w.scenario.prices)
        self.steps = 0

    def _send(self, ixs: list[Instruction], signers: list[Keypair], payer: Keypair) -> None:
        self.ledger.send(ixs, signers, payer)

    def slot(self) -> None:
        """Advance one slot and send this slot's transactions."""
        slot = self.ledger.advance_slot()
        self.steps += 1
        for pub, m in zip(self.world.scenario.publishers, self.dep.markets):
            tick = pub.tick(slot)
            if tick is not None:
                self.prices[m.index] = tick.price
        for m in self.dep.markets:
            self._send([m.oracles.update_prices_ix(m.index, self.dep.program_id)], [self.keeper], self.keeper)
        if self.steps % self.requote == 1:
            for index, price in self.prices.items():
                self._send(self.maker.quote_instructions(index, price), [self.maker.keypair], self.maker.keypair)
        else:
            for _ in range(self.takers_per_slot):
                taker = self.takers[self.rng.randrange(len(self.takers))]
                index = self.rng.randrange(len(self.prices))
                mid = self.prices[index]
                base = self.rng.uniform(50, 400) / mid
                taker.open(self.ledger.send, index, self.maker.markets[index], self.rng.random() < 0.5, base, mid)
        for m in self.dep.markets:
            self._send([ix.consume_events(m.index, [self.maker.address], CONSUME_LIMIT, self.dep.program_id)],
                       [self.keeper], self.keeper)


def _snapshot(ledger: Ledger) -> dict[Pubkey, Account]:
    """Every non-program account the ledger knows, as it is now."""
    out = {}
    for address in ledger.known:
        if address in NATIVE_ACCOUNTS:
            continue
        acc = ledger.svm.get_account(address)
        if acc is not None and not acc.executable:
            out[address] = acc
    return out


def _bare_svm(programs: Programs, program_id: Pubkey, accounts: dict[Pubkey, Account], sigverify: bool) -> LiteSVM:
    svm = LiteSVM()
    svm.add_program(program_id, programs.perp)
    svm.add_program(MOCK_ORACLE_ID, programs.mock_oracle)
    for address, acc in accounts.items():
        svm.set_account(address, acc)
    svm.with_sigverify(sigverify)
    svm.with_blockhash_check(False)  # the transactions carry the ledger's blockhashes
    svm.with_transaction_history(0)
    return svm


@dataclass(frozen=True)
class Timing:
    """Wall seconds and this process's CPU seconds of one way (CPU time is steadier on a shared machine)."""

    wall: float
    cpu: float

    def rates(self, count: int) -> str:
        return f"{count / self.wall:,.0f} tx/s wall, {count / self.cpu:,.0f} tx/s CPU"


class _Timer:
    def __enter__(self) -> _Timer:
        gc.collect()  # the previous way's garbage is not charged to this one
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.timing = Timing(time.perf_counter() - self.wall, time.process_time() - self.cpu)


def _bare_loop(svm: LiteSVM, batches: list[tuple[Clock, list[VersionedTransaction]]]) -> tuple[Timing, list[bool]]:
    """Send every batch's transactions after setting its clock; return the time taken and the successes."""
    ok: list[bool] = []
    send, set_clock, append = svm.send_transaction, svm.set_clock, ok.append
    with _Timer() as timer:
        for clock, txs in batches:
            set_clock(clock)
            for tx in txs:
                append(not isinstance(send(tx), FailedTransactionMetadata))
    return timer.timing, ok


def _batches(ledger: Ledger, first: int, base_clock: Clock) -> tuple[list[tuple[Clock, list[VersionedTransaction]]], list[bool]]:
    """The transactions recorded after the first ``first`` records, grouped by slot with their clocks."""
    batches: list[tuple[Clock, list[VersionedTransaction]]] = []
    ok: list[bool] = []
    epoch_schedule = ledger.epoch_schedule
    records: list[TxRecord | LeanRecord] = [*ledger.records.values(), *ledger.lean_records.values()]
    for n, record in enumerate(sorted(records, key=lambda r: r.slot)):  # stable: execution order within a slot
        if n < first:
            continue
        if not batches or batches[-1][0].slot != record.slot:
            epoch, _ = epoch_schedule.get_epoch_and_slot_index(record.slot)
            batches.append((Clock(record.slot, base_clock.epoch_start_timestamp, epoch, epoch + 1, record.block_time), []))
        batches[-1][1].append(record.tx)
        ok.append(record.err is None)
    return batches, ok


def _profile(driver: MixDriver, slots: int) -> str:
    profiler = cProfile.Profile(time.process_time)  # CPU time: steadier than wall time on a shared machine
    profiler.enable()
    for _ in range(slots):
        driver.slot()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    return out.getvalue()


def _demo_slots_per_second(programs: Programs, slots: int, seed: int, lean: bool) -> tuple[float, int]:
    world = build_ledger_world(ScenarioSettings(seed=seed), programs.perp, programs.mock_oracle, lean=lean)
    ledger, scenario = world.ledger, world.scenario
    with _Timer() as timer:
        for _ in range(slots):
            scenario.step(ledger.advance_slot())
    return slots / timer.timing.wall, ledger.transaction_count


def main(argv: list[str] | None = None) -> None:
    """Run (a), (b) and the demo loop, and print their rates (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slots", type=int, default=400, help="slots of the measured mix")
    parser.add_argument("--profile-slots", type=int, default=150, help="slots of the profiled mix (after it)")
    parser.add_argument("--demo-slots", type=int, default=1_800)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--full-records", action="store_true", help="(a) records every transaction in full")
    args = parser.parse_args(argv)

    programs = _programs()
    world = build_ledger_world(ScenarioSettings(seed=args.seed), programs.perp, programs.mock_oracle,
                               lean=not args.full_records)
    ledger = world.ledger
    driver = MixDriver(world, random.Random(args.seed))
    for _ in range(10):  # the first ladders rest on the books before anything is measured
        driver.slot()
    accounts, clock0 = _snapshot(ledger), ledger.svm.get_clock()
    first = len(ledger.records) + len(ledger.lean_records)

    with _Timer() as timer:
        for _ in range(args.slots):
            driver.slot()
    sim = timer.timing
    batches, sim_ok = _batches(ledger, first, clock0)
    count = len(sim_ok)
    profile = _profile(driver, args.profile_slots)

    print(f"(a) simulator path ({'full' if args.full_records else 'lean'} records): {count} program transactions in {args.slots} slots ({sum(sim_ok)} succeeded, "
          f"{count - sum(sim_ok)} failed): {sim.rates(count)}")
    for label, sigverify in (("LiteSVM's defaults: its signature check on", True),
                             ("signature check off, as the ledger runs LiteSVM", False)):
        bare, bare_ok = _bare_loop(_bare_svm(programs, ledger.local.program_id, accounts, sigverify), batches)
        same = sum(a == b for a, b in zip(sim_ok, bare_ok))
        print(f"(b) bare LiteSVM loop, {label}: {bare.rates(count)}; same outcome for {same}/{count}\n"
              f"    (a)/(b) = {bare.wall / sim.wall:.0%} wall, {bare.cpu / sim.cpu:.0%} CPU (goal >= 75%)")
    rate, txs = _demo_slots_per_second(programs, args.demo_slots, args.seed, not args.full_records)
    print(f"demo scenario (Scenario.step, no keepers): {args.demo_slots} slots at {rate:,.0f} slots/s "
          f"({args.demo_slots / rate:.1f} s, {txs} transactions)")
    print(f"\ncProfile of (a), {args.profile_slots} more slots, top 15 by own time:\n{profile}")


if __name__ == "__main__":
    main()
