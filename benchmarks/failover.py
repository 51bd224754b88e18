"""Failover time of an active/standby keeper pair: ``kill -9`` of the active -> the standby's first action.

The node is the one ``perpkeep localnet up`` serves (``localnet.rpc.RpcNode`` over LiteSVM, ``--slot-ms``
slots), in this process, with the trading scenario (``sim.scenario``: a maker, takers, prices moving every
slot) so that there is always work; the keepers are two ``perpkeep run`` processes on the ``keeper.toml``
``localnet up`` writes, with ``[ha]`` set by ``PERPKEEP_HA__*`` overrides and one shared journal.

Each trial: the active has acted, the standby is up; the active is killed (SIGKILL, reaped); measured
from the kill to the standby's log line saying it took the lease (``takeover``), and to the ``sent_at``
of its first new journal row (``first action``: its first transaction sent). The killed process is
started again as the next standby, so the roles alternate. Printed: p50, p99 and max over ``--trials``
for each lease (file, postgres), and that no intent landed twice.

Run: python -m benchmarks.failover [--trials 20] [--modes file,postgres] [--ttl 3] [--renew 0.5] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.keeper_process import KeeperProcess
from keepers.execution.journal import read_only_rows
from localnet.deployment import RecordingSvm, bootstrap_local, write_deployment
from localnet.rpc import NodeConfig, NodeThread, RpcNode
from sim.scenario import Scenario, ScenarioSettings, seed_insurance_fund, slot_clock

START_S = 90.0
ACT_S = 60.0


@contextmanager
def trading_node(slot_ms: int, out: Path) -> Iterator[Path]:
    """A node with the scenario trading at every slot; yields the keeper.toml ``localnet up`` would write."""
    from localnet.build import build_program

    settings = ScenarioSettings(users=12, crash_at=10**9, seconds_per_slot=5, funding_period_s=600)
    svm = RecordingSvm(build_program("perp").read_bytes(), mock_oracle=build_program("mock_oracle").read_bytes())
    dep = bootstrap_local(svm, settings.plan())
    node = RpcNode(svm, NodeConfig(rpc_port=0, ws_port=0, slot_ms=slot_ms))
    node.chain.note_addresses(svm.touched | set(dep.addresses()))
    thread = NodeThread(node).start()
    ledger = node.chain
    dep.rpc_url, dep.ws_url = node.rpc_url, node.ws_url
    try:
        def prepare() -> None:
            ledger.wall_clock = slot_clock(lambda: ledger, ledger.slot, settings.seconds_per_slot,
                                           ledger.svm.get_clock().unix_timestamp)
            seed_insurance_fund(ledger, dep, settings.insurance_stake)
            Scenario(ledger, dep, settings).attach()

        thread.call(prepare)
        yield write_deployment(dep, out / "localnet")["keeper-config"]
    finally:
        thread.stop()


def _rows(journal: Path) -> list[tuple[str, str, float | None]]:
    """(by, status, sent_at) of every journal row."""
    rows = read_only_rows(journal, "SELECT json_extract(detail, '$.by'), status, sent_at FROM actions")
    return [(by, status, sent) for by, status, sent in rows]


def _first_sent(journal: Path, who: str, after: float) -> float | None:
    times = [sent for by, _, sent in _rows(journal) if by == who and sent is not None and sent > after]
    return min(times) if times else None


def _wait(predicate: Any, timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while (value := predicate()) is None or value is False:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout_s} s")
        time.sleep(0.02)
    return value


def run_mode(config: Path, out: Path, mode: str, trials: int, ttl_s: float, renew_s: float,
             dsn: str | None) -> dict[str, Any]:
    """``trials`` failovers with one lease ``mode``; the figures in seconds."""
    journal = out / f"journal-{mode}.sqlite"
    env = {"PERPKEEP_HA__MODE": mode, "PERPKEEP_HA__LEASE_TTL_S": str(ttl_s), "PERPKEEP_HA__RENEW_INTERVAL_S": str(renew_s),
           "PERPKEEP_HA__LEASE": f"bench-{mode}", "PERPKEEP_KEEPER__JOURNAL_PATH": str(journal),
           "PERPKEEP_METRICS__PORT": "0", "PERPKEEP_LOGGING__FORMAT": "text",
           "PERPKEEP_BOTS__MARK_PRICE__DEVIATION_BPS": "5"}
    env.update({"PERPKEEP_HA__PATH": str(out / f"{mode}.lease")} if mode == "file" else {"PERPKEEP_HA__DSN": str(dsn)})
    procs: list[KeeperProcess] = []

    def spawn(n: int) -> KeeperProcess:
        p = KeeperProcess(config, {**env, "PERPKEEP_HA__NAME": f"k{n}"}, out / f"{mode}-k{n}.log", f"k{n}")
        procs.append(p.start())
        return p

    takeover, first_action = [], []
    try:
        active = spawn(0)
        active.wait_for("ha: took the lease", START_S)
        standby = spawn(1)
        for trial in range(trials):
            standby.wait_for("keeper started as standby", START_S)
            since = time.time()
            _wait(lambda: _first_sent(journal, active.label, since), ACT_S, f"trial {trial}: the active acts")
            killed_at = time.time()
            active.signal(signal.SIGKILL)
            assert active.proc is not None
            active.proc.wait(10)
            line = standby.wait_for("ha: took the lease", ttl_s + renew_s + 30)
            takeover.append(standby.seen_at[line] - killed_at)
            first_action.append(_wait(lambda: _first_sent(journal, standby.label, killed_at), ACT_S,
                                      f"trial {trial}: the new active acts") - killed_at)
            print(f"{mode} trial {trial + 1}/{trials}: takeover {takeover[-1]:.3f} s, first action "
                  f"{first_action[-1]:.3f} s", file=sys.stderr, flush=True)
            active, standby = standby, spawn(trial + 2)
    finally:
        for p in procs:
            p.kill()
    twice = read_only_rows(journal, "SELECT key FROM actions WHERE status = 'landed' GROUP BY key HAVING COUNT(*) > 1")
    return {"trials": len(first_action), "takeover_s": _summary(takeover), "first_action_s": _summary(first_action),
            "keys_landed_twice": len(twice)}


def _summary(values: list[float]) -> dict[str, float]:
    return {"p50": round(float(np.percentile(values, 50)), 3), "p99": round(float(np.percentile(values, 99)), 3),
            "max": round(max(values), 3), "min": round(min(values), 3)}


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run each mode, print (and write --json)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=20)
    p.add_argument("--modes", default="file,postgres")
    p.add_argument("--ttl", type=float, default=3.0, help="lease_ttl_s")
    p.add_argument("--renew", type=float, default=0.5, help="renew_interval_s (also the standby's poll)")
    p.add_argument("--slot-ms", type=int, default=100)
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="perpkeep-failover-"))
    out.mkdir(parents=True, exist_ok=True)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    figures: dict[str, Any] = {"ttl_s": args.ttl, "renew_interval_s": args.renew, "slot_ms": args.slot_ms}
    with ExitStack() as stack:
        config = stack.enter_context(trading_node(args.slot_ms, out))
        dsn = None
        if "postgres" in modes:
            from localnet.services.postgres import running_postgres

            dsn = stack.enter_context(running_postgres()).dsn
        for mode in modes:
            figures[mode] = run_mode(config, out, mode, args.trials, args.ttl, args.renew, dsn)
    for mode in modes:
        f = figures[mode]
        print(f"{mode} lease (ttl {args.ttl} s, renew {args.renew} s), {f['trials']} kill -9 trials: "
              f"takeover p50 {f['takeover_s']['p50']:.3f} s p99 {f['takeover_s']['p99']:.3f} s; "
              f"first action p50 {f['first_action_s']['p50']:.3f} s p99 {f['first_action_s']['p99']:.3f} s "
              f"(max {f['first_action_s']['max']:.3f}); keys landed twice: {f['keys_landed_twice']}")
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
