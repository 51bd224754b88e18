"""The keeper under faults for minutes on end: liquidation delay, duplicates, failures, restarts, resources.

The node is the one ``perpkeep localnet up`` serves (``localnet.rpc.RpcNode`` over LiteSVM, ``--slot-ms``
400, the faults of ``--faults``; default ``benchmarks/soak_faults.toml``: 18% 5xx, 1.4% 429), run in this
process so that the scenario and the observer act on its ledger directly, unfaulted. The keeper is
``perpkeep run`` in a subprocess, configured by the files ``localnet up`` writes (``keeper.toml`` and the
wallets), with every bot. On the ledger, at every slot:

- the trading scenario (``sim.scenario``): two markets, a market maker, 40 leveraged takers (80% long)
  that top their positions up to their leverage before each move, and ``--cycles`` crash-and-recover
  cycles of the oracle prices (-14% over 8 slots, +11.9% over 8 slots 30 slots later:
  ``localnet.price_paths.CyclePath``);
- the observer: which users are liquidatable at the mark the next price crank sets (the keeper's own
  prediction, ``keepers.bots.liquidator.predicted_states``, with the exact margin mirror), from which
  slot, until a ``liquidate_perp`` lands for them; the keeper's transactions that fail on chain, by
  cause, with their fees; conservation and the funding lag every 25 slots.

Meanwhile websockets are dropped every 2 to 3 s, and at ``--kill-at`` (slots after trading starts) the
keeper is killed with SIGKILL and started again on the same journal. The keeper's RSS, open files and
CPU seconds are sampled every 5 s (``benchmarks.resources`` runs the same load without faults or kill for
its CPU and memory over an hour). Printed at the end (and written as JSON with ``--json``): liquidation delay
percentiles in slots, episodes that ended without a liquidation, duplicates, on-chain failures by cause
and their fees, restarts and restart-ready time, RSS and open files over time, conservation, funding lag,
and where the slots of a liquidation go (``breakdown``: from liquidatable to the keeper's first attempt,
then attempts until one lands; from the journal).

Run: python -m benchmarks.soak --minutes 10 [--faults FILE] [--kill-at SLOT] [--cycles 10] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from solders.pubkey import Pubkey

from keepers.bots.liquidator import positions_of, predicted_states
from keepers.bots.mark_price import oracle_accounts
from keepers.exchange.margin import MarketState, compute_margin
from keepers.exchange.oracles import RawAccount
from keepers.exchange.pdas import orderbook_pda
from keepers.execution.compute_budget import discriminator
from keepers.execution.error_policy import error_name
from keepers.execution.journal import read_only_rows as journal_rows
from localnet import mock_oracle as mo
from localnet.deployment import RecordingSvm, bootstrap_local, write_deployment
from localnet.price_paths import CyclePath
from localnet.price_publisher import PricePublisher
from localnet.price_service import market_rng
from localnet.rpc import NodeConfig, NodeThread, RpcNode
from localnet.up import load_faults
from programs_client.perp.accounts import Market, Orderbook, User
from programs_client.perp.constants import BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION as QUOTE
from sim.scenario import Scenario, ScenarioSettings, conservation, seed_insurance_fund, slot_clock

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FAULTS = Path(__file__).with_name("soak_faults.toml")
LIQUIDATE = discriminator("liquidate_perp")
CHECK_EVERY_SLOTS = 25
SAMPLE_EVERY_S = 5.0
READY_TIMEOUT_S = 90.0
RAMP, RECOVER_AFTER = 8, 30
RELEVER_BEFORE = 12  # slots before a move in which takers top up, a few per slot
SETUP_SLOTS = 45  # the maker quotes and 40 takers open, two a slot
MAKER_NOTIONAL_PER_LEVEL = 100_000.0
SKIP_LINE = re.compile(r"liquidatable user not acted on: (\w+) \((\d+) times")


def percentile(values: list[int], q: float) -> float | None:
    """The ``q``-th percentile (0-100) of ``values``, None when empty."""
    return float(np.percentile(values, q)) if values else None


# -- the scenario --------------------------------------------------------------------------------------
class SoakScenario(Scenario):
    """``sim.scenario.Scenario`` with crash-and-recover cycles instead of one crash, and takers that top
    up to their leverage before each move (so that every cycle liquidates some of them again)."""

    def configure(self, crashes: tuple[int, ...]) -> None:
        """Publish prices along ``CyclePath``s with crashes at these scenario steps."""
        self.crashes = crashes
        dep, ledger, s = self.dep, self.ledger, self.settings
        authority = dep.oracle_authority
        oracle = mo.MockOracle(lambda ixs, signers: ledger.send(ixs, signers, payer=authority), authority, dep.oracle_program)
        self.publishers = [
            PricePublisher(oracle, m.oracles.feeds,
                           CyclePath(m.initial_price, volatility=s.volatility, crashes=crashes, ramp=RAMP,
                                     recover_after=RECOVER_AFTER),
                           market_rng(s.seed, m.name), confidence_bps=5.0)
            for m in dep.markets
        ]
        for maker in self.makers:
            maker.notional_per_level = MAKER_NOTIONAL_PER_LEVEL
        moves = [c for start in crashes for c in (start, start + RECOVER_AFTER)]
        per_step = -(-len(self.takers) // (RELEVER_BEFORE // 2))
        self._relever_at: dict[int, list[int]] = {}
        for move in moves:
            for n, first in enumerate(range(0, len(self.takers), per_step)):
                step = move - RELEVER_BEFORE + n
                self._relever_at.setdefault(step, []).extend(range(first, min(first + per_step, len(self.takers))))

    def step(self, slot: int) -> None:
        super().step(slot)
        for i in getattr(self, "_relever_at", {}).get(self.steps, ()):
            self._relever(i)

    def _relever(self, i: int) -> None:
        taker, (long, leverage) = self.takers[i], self._plan[i]
        account = self.ledger.get_account(taker.address)
        if account is None:
            return
        user = User.decode(bytes(account.data))
        markets = {m.index: Market.decode(bytes(self.ledger.get_account(m.address).data)) for m in self.dep.markets}
        states = {i: MarketState.from_account(m) for i, m in markets.items()}
        try:
            equity = compute_margin(user.collateral, positions_of(user), states).equity / QUOTE
        except (KeyError, ValueError):
            return
        index = i % len(self.prices)
        mid = self.prices[index]
        held = sum(p.base_amount for p in positions_of(user) if p.market_index == index) / BASE_PRECISION
        target = leverage * equity / mid * 0.97
        more = target - abs(held) if (held >= 0) == long or held == 0 else 0.0
        if equity > 50 and more * mid > 50:
            self._note(taker.open(self.ledger.send, index, self.makers[0].markets[index], long, more, mid))


# -- what the observer sees on the ledger ---------------------------------------------------------------
@dataclass
class Episode:
    """A user liquidatable from ``first`` until a liquidation landed at ``landed`` (None: never)."""

    user: Pubkey
    first: int
    landed: int | None = None
    last: int | None = None  # the last slot it was liquidatable (episodes ended without a liquidation)


@dataclass
class Observer:
    """A ledger listener (on the node's thread): liquidatable users, the keeper's transactions, invariants."""

    scenario: SoakScenario
    keeper: Pubkey
    users: list[Pubkey]
    slot_times: dict[int, float] = field(default_factory=dict)
    open: dict[Pubkey, Episode] = field(default_factory=dict)
    episodes: list[Episode] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    failure_fees: Counter[str] = field(default_factory=Counter)
    landed_fees: int = 0
    signatures: Counter[str] = field(default_factory=Counter)
    checks: int = 0
    conservation_broken: list[tuple[int, tuple[int, int, int]]] = field(default_factory=list)
    funding_lag_periods: float = 0.0

    def on_slot(self, slot: int) -> None:
        self.slot_times[slot] = time.time()
        ledger, dep = self.scenario.ledger, self.scenario.dep
        markets = {m.index: Market.decode(bytes(ledger.get_account(m.address).data)) for m in dep.markets}
        books = {i: Orderbook.decode(bytes(ledger.get_account(orderbook_pda(i, dep.program_id)).data)) for i in markets}
        oracles: dict[Pubkey, RawAccount] = {}
        for m in markets.values():
            for address in oracle_accounts(m):
                if address is not None and (acc := ledger.get_account(address)) is not None:
                    oracles[address] = RawAccount(address, acc.owner, bytes(acc.data))
        now_ts = ledger.svm.get_clock().unix_timestamp
        states = {i: p.state for i, p in predicted_states(markets, books, oracles, slot, now_ts).items()}
        for user_address in self.users:
            account = ledger.get_account(user_address)
            if account is None:
                continue
            user = User.decode(bytes(account.data))
            positions = positions_of(user)
            try:
                below = any(p.base_amount for p in positions) and compute_margin(user.collateral, positions, states).liquidatable
            except (KeyError, ValueError):
                continue
            episode = self.open.get(user_address)
            if below:
                if episode is None:
                    self.open[user_address] = Episode(user_address, slot)
                self.open[user_address].last = slot
            elif episode is not None:  # recovered (a price move) before a liquidation landed
                self.episodes.append(self.open.pop(user_address))
        if slot % CHECK_EVERY_SLOTS == 0:
            self._check(markets, now_ts, slot)

    def _check(self, markets: dict[int, Market], now_ts: int, slot: int) -> None:
        self.checks += 1
        figures = conservation(self.scenario.ledger, self.scenario.dep)
        if not figures[0] == figures[1] == figures[2]:
            self.conservation_broken.append((slot, figures))
        for m in markets.values():
            period = m.params.funding_period_secs
            if period > 0 and m.last_funding_ts > 0:
                self.funding_lag_periods = max(self.funding_lag_periods, (now_ts - m.last_funding_ts) / period)

    def on_transaction(self, record: Any) -> None:
        keys = record.account_keys
        if not keys or keys[0] != self.keeper:
            return
        self.signatures[str(record.signature)] += 1
        if record.err is not None:
            cause = error_name(record.err)
            self.failures[cause] += 1
            self.failure_fees[cause] += record.fee
            return
        self.landed_fees += record.fee
        for ci in record.tx.message.instructions:
            if bytes(ci.data[:8]) == LIQUIDATE and len(ci.accounts) > 2:
                user = keys[ci.accounts[2]]
                episode = self.open.pop(user, None)
                if episode is not None:
                    episode.landed = record.slot
                    self.episodes.append(episode)

    def on_accounts_written(self, slot: int, accounts: dict[Any, Any]) -> None:
        pass

    def slot_at(self, t: float) -> int | None:
        """The slot the ledger was at wall time ``t`` (seconds since the epoch)."""
        before = [s for s, at in self.slot_times.items() if at <= t]
        return max(before) if before else None


# -- the keeper process ---------------------------------------------------------------------------------
class KeeperProcess:
    """``perpkeep run`` in a subprocess: started, killed, restarted; its stderr read for readiness and errors."""

    def __init__(self, config: Path, env: dict[str, str], log_path: Path) -> None:
        self.config, self.env, self.log_path = config, env, log_path
        self.skips: Counter[str] = Counter()  # the liquidator's "not acted on" lines, summed by reason
        self.proc: subprocess.Popen[str] | None = None
        self.tail: deque[str] = deque(maxlen=400)
        self.tracebacks = 0
        self.errors = 0
        self.ready_s: list[float] = []
        self._ready = threading.Event()

    def start(self) -> float:
        """Start it and wait until it logs "keeper started"; return the seconds that took."""
        self._ready.clear()
        started = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, "-m", "perpkeep_cli", "run", "--config", str(self.config)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=self.env)
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()
        if not self._ready.wait(READY_TIMEOUT_S):
            raise RuntimeError("keeper not ready in time:\n" + "".join(self.tail))
        took = time.monotonic() - started
        self.ready_s.append(took)
        return took

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        with self.log_path.open("a") as log:
            for line in proc.stderr:
                log.write(line)
                self._note(line)

    def _note(self, line: str) -> None:
        self.tail.append(line)
        if (m := SKIP_LINE.search(line)) is not None:
            self.skips[m.group(1)] += int(m.group(2))
        if "Traceback" in line:
            self.tracebacks += 1
        if '"level": "ERROR"' in line or " ERROR " in line:
            self.errors += 1
        if "keeper started" in line:
            self._ready.set()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None

    def kill(self) -> None:
        """SIGKILL: no clean-up at all."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        """SIGTERM and wait (bounded), SIGKILL after that."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


def rss_by_mapping(pid: int) -> dict[str, int]:
    """RSS in KiB of process ``pid`` by kind of mapping (``/proc/PID/smaps``): ``heap`` (glibc's main
    arena), ``anon`` (anonymous mappings: other malloc arenas, Python's obmalloc arenas, big allocations),
    ``stack`` (thread stacks included), ``file`` (code and data of shared objects and mapped files). Empty
    when the process is gone."""
    out = {"heap": 0, "anon": 0, "stack": 0, "file": 0}
    kind = "anon"
    try:
        for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
            head = line.split(maxsplit=5)
            if len(head) >= 5 and "-" in head[0] and not head[0].endswith(":"):
                path = head[5] if len(head) == 6 else ""
                kind = ("heap" if path == "[heap]" else "stack" if path.startswith("[stack") else
                        "anon" if not path or path.startswith("[anon") else "file" if path.startswith("/") else "anon")
            elif line.startswith("Rss:"):
                out[kind] += int(head[1])
    except (OSError, ValueError, IndexError):
        return {}
    return out


def resources(pid: int) -> tuple[int, int, float] | None:
    """(RSS in KiB, open file descriptors, CPU seconds used so far: user + system) of process ``pid``,
    None when it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
        # /proc/PID/stat: fields 14 and 15 (utime, stime) in clock ticks, counted after the ")" that
        # closes the command name (which may itself hold spaces)
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
        return rss, len(os.listdir(f"/proc/{pid}/fd")), cpu
    except (OSError, StopIteration, ValueError, IndexError):
        return None


# -- the run --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SoakOptions:
    """What one soak runs."""

    minutes: float = 10.0
    faults_file: Path | None = DEFAULT_FAULTS
    kill_at: int | None = None  # slots after trading starts; None: during the middle crash
    kill: bool = True  # False: the keeper runs undisturbed (no SIGKILL, no restart)
    cycles: int = 10
    slot_ms: int = 400
    seed: int = 7
    users: int = 40
    ws_drop_s: tuple[float, float] | None = (2.0, 3.0)  # None: websockets are never dropped
    out_dir: Path | None = None
    sample_every_s: float = SAMPLE_EVERY_S


def crash_steps(total_slots: int, cycles: int) -> tuple[int, ...]:
    """Scenario steps at which the cycles' crashes start, evenly over the run after the set-up."""
    usable = total_slots - SETUP_SLOTS - RELEVER_BEFORE - RECOVER_AFTER - RAMP - 10
    if cycles < 1 or usable < cycles * (RECOVER_AFTER + RAMP + RELEVER_BEFORE):
        raise ValueError(f"{cycles} cycles do not fit in {total_slots} slots")
    spacing = usable // cycles
    return tuple(SETUP_SLOTS + RELEVER_BEFORE + k * spacing for k in range(cycles))


def run_soak(opts: SoakOptions) -> dict[str, Any]:
    """Run the soak and return its figures (see the module docstring)."""
    from localnet.build import build_program

    out = opts.out_dir or Path(tempfile.mkdtemp(prefix="perpkeep-soak-"))
    total_slots = int(opts.minutes * 60_000 / opts.slot_ms)
    crashes = crash_steps(total_slots, opts.cycles)
    kill_at = opts.kill_at if opts.kill_at is not None else crashes[len(crashes) // 2] + RAMP // 2
    settings = ScenarioSettings(users=opts.users, crash_at=10**9, seconds_per_slot=5, funding_period_s=600, seed=opts.seed)
    faults = load_faults(opts.faults_file, None)
    svm = RecordingSvm(build_program("perp").read_bytes(), mock_oracle=build_program("mock_oracle").read_bytes())
    dep = bootstrap_local(svm, settings.plan())
    node = RpcNode(svm, NodeConfig(rpc_port=0, ws_port=0, slot_ms=opts.slot_ms, faults=faults))
    node.chain.note_addresses(svm.touched | set(dep.addresses()))
    thread = NodeThread(node).start()
    ledger = node.chain
    dep.rpc_url, dep.ws_url = node.rpc_url, node.ws_url

    def prepare() -> SoakScenario:
        ledger.wall_clock = slot_clock(lambda: ledger, ledger.slot, settings.seconds_per_slot,
                                       ledger.svm.get_clock().unix_timestamp)
        seed_insurance_fund(ledger, dep, settings.insurance_stake)
        scenario = SoakScenario(ledger, dep, settings)
        scenario.configure(crashes)
        return scenario

    scenario = thread.call(prepare)
    paths = write_deployment(dep, out / "localnet")
    journal = out / "journal.sqlite"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERPKEEP_")}
    env.update({"PERPKEEP_METRICS__PORT": "0", "PERPKEEP_KEEPER__JOURNAL_PATH": str(journal),
                "PERPKEEP_LOGGING__LEVEL": "info"})
    keeper = KeeperProcess(paths["keeper-config"], env, out / "keeper.log")
    users = [scenario.takers[i].address for i in range(opts.users)]
    observer = Observer(scenario, dep.wallets["keeper"].pubkey(), users)
    samples: list[tuple[float, int, int, float]] = []
    mappings: list[tuple[float, dict[str, int]]] = []
    stop = threading.Event()
    drops = [0]
    t0 = time.monotonic()

    def sample() -> None:
        while not stop.wait(opts.sample_every_s):
            pid = keeper.pid
            if pid is not None and (r := resources(pid)) is not None:
                samples.append((round(time.monotonic() - t0, 1), *r))
                mappings.append((samples[-1][0], rss_by_mapping(pid)))

    def drop_websockets() -> None:
        if opts.ws_drop_s is None:
            return
        rng = random.Random(opts.seed)
        while not stop.wait(rng.uniform(*opts.ws_drop_s)):
            try:
                drops[0] += thread.call(node.drop_websockets)
            except Exception:  # noqa: BLE001 - the node is stopping
                return

    restarts = 0
    try:
        keeper.start()
        first_slot = thread.call(lambda: (ledger.listeners.extend([scenario, observer]), ledger.slot)[1])
        workers = [threading.Thread(target=sample, daemon=True), threading.Thread(target=drop_websockets, daemon=True)]
        for w in workers:
            w.start()
        killed = False
        deadline = time.monotonic() + opts.minutes * 60 * 2 + 120  # bounded even if slots stall
        while time.monotonic() < deadline:
            slot = thread.call(lambda: ledger.slot)
            if slot - first_slot >= total_slots:
                break
            if opts.kill and not killed and slot - first_slot >= kill_at:
                keeper.kill()
                killed = True
                restarts += 1
                keeper.start()
            time.sleep(0.1)
        keeper.stop()
        stop.set()
        for w in workers:
            w.join(10)
        thread.call(lambda: [ledger.listeners.remove(x) for x in (scenario, observer) if x in ledger.listeners])
        last_slot = thread.call(lambda: ledger.slot)
        figures = _figures(observer, keeper, journal, samples, restarts, drops[0], first_slot, last_slot, kill_at,
                           thread.call(node.faults.stats.to_dict), scenario, opts.slot_ms)
        figures["out_dir"] = str(out)
        figures["resource_samples"] = samples  # every sample: (s since start, RSS KiB, open files, CPU s)
        figures["mapping_samples"] = mappings  # the same times: RSS KiB by kind of mapping (``rss_by_mapping``)
        return figures
    finally:
        stop.set()
        keeper.kill()
        thread.stop()


def _breakdown(observer: Observer, journal: Path, slot_ms: int) -> dict[str, Any]:
    """Where a liquidation's slots go, per episode that ended in one (from the journal's times):

    - ``detect``: liquidatable -> the pipeline got the first attempt (notification, scan, plan);
    - ``lost_to_attempts``: first attempt -> the attempt that landed (attempts that expired or failed);
    - ``prepare``: that attempt's submission -> its send (simulation, fees, blockhash, locks);
    - ``chain``: its send -> its landing slot (the send's retries under faults, then execution).
    """
    rows = journal_rows(journal, "SELECT target, created_at, sent_at, status, slot, detail FROM actions "
                             "WHERE kind = 'liquidate_perp' ORDER BY id")
    by_user: dict[str, list[tuple[float, float | None, str, int | None]]] = {}
    for target, created, sent, status, slot, detail in rows:
        submitted = json.loads(detail or "{}").get("submitted_at", created)
        by_user.setdefault(target, []).append((submitted, sent, status, slot))
    parts: dict[str, list[float]] = {"detect": [], "lost_to_attempts": [], "prepare": [], "chain": []}
    attempts: list[int] = []
    for e in observer.episodes:
        start, end = observer.slot_times.get(e.first), observer.slot_times.get(e.landed) if e.landed else None
        if start is None or end is None:
            continue
        tries = [t for t in by_user.get(str(e.user), []) if start - 0.5 <= t[0] <= end + 0.5]
        landing = next((t for t in tries if t[2] == "landed" and t[3] == e.landed), None)
        first = observer.slot_at(tries[0][0]) if tries else None
        if landing is None or first is None or landing[1] is None:
            continue
        submitted, sent = observer.slot_at(landing[0]), observer.slot_at(landing[1])
        if submitted is None or sent is None:
            continue
        parts["detect"].append(max(first - e.first, 0))
        parts["lost_to_attempts"].append(max(submitted - first, 0))
        parts["prepare"].append((landing[1] - landing[0]) * 1000 / slot_ms)
        parts["chain"].append(e.landed - sent)
        attempts.append(len(tries))

    def summary(values: list[float]) -> dict[str, float | None]:
        return {"mean": round(float(np.mean(values)), 2) if values else None, "p50": percentile(values, 50),
                "p95": percentile(values, 95), "max": round(max(values), 2) if values else None}

    return {"episodes": len(attempts), "attempts": summary(attempts),
            **{f"{name}_slots": summary(values) for name, values in parts.items()}}


def _figures(observer: Observer, keeper: KeeperProcess, journal: Path, samples: list[tuple[float, int, int, float]],
             restarts: int, ws_drops: int, first_slot: int, last_slot: int, kill_at: int, faults: dict[str, int],
             scenario: SoakScenario, slot_ms: int) -> dict[str, Any]:
    delays = [e.landed - e.first for e in observer.episodes if e.landed is not None]
    # Episodes that began while the keeper was down (killed, until the restarted one was ready): their
    # delay is mostly the restart's (a new process imports, snapshots and subscribes).
    down_from = first_slot + kill_at
    down_to = down_from + int(max(keeper.ready_s[1:], default=0) * 1000 / slot_ms) + 1
    outside = [e.landed - e.first for e in observer.episodes
               if e.landed is not None and not down_from - 1 <= e.first <= down_to]
    slowest = sorted((e for e in observer.episodes if e.landed is not None), key=lambda e: e.first - e.landed)[:8]
    unliquidated = [e for e in observer.episodes if e.landed is None] + list(observer.open.values())
    lengths = [(e.last or e.first) - e.first + 1 for e in unliquidated]
    twice = journal_rows(journal, "SELECT key, COUNT(*) FROM actions WHERE status = 'landed' GROUP BY key HAVING COUNT(*) > 1")
    same_state: Counter[tuple[str, str]] = Counter()
    for (key,) in journal_rows(journal, "SELECT key FROM actions WHERE status = 'landed' AND kind = 'liquidate_perp'"):
        _, user, _market, slot, _mark = key.split(":")
        same_state[(user, slot)] += 1
    statuses = dict(journal_rows(journal, "SELECT status, COUNT(*) FROM actions GROUP BY status"))
    return {
        "slots": last_slot - first_slot, "kill_at_slot": kill_at,
        "liquidation_delay_slots": {"episodes": len(delays), "p50": percentile(delays, 50), "p95": percentile(delays, 95),
                                    "max": max(delays, default=None)},
        "liquidation_delay_slots_outside_restart": {"episodes": len(outside), "p50": percentile(outside, 50),
                                                    "p95": percentile(outside, 95), "max": max(outside, default=None),
                                                    "restart_window": [down_from - first_slot, down_to - first_slot]},
        "slowest_episodes": [{"first": e.first - first_slot, "delay": e.landed - e.first} for e in slowest
                             if e.landed is not None],
        "never_liquidated": {"episodes": len(unliquidated), "longer_than_20_slots": sum(1 for n in lengths if n > 20),
                             "longest_slots": max(lengths, default=0), "open_at_end": len(observer.open)},
        "duplicates": {"keys_landed_twice": len(twice),
                       "liquidations_from_one_state": sum(1 for n in same_state.values() if n > 1),
                       "signatures_executed_twice": sum(1 for n in observer.signatures.values() if n > 1)},
        "onchain_failures": dict(observer.failures), "onchain_failure_fees_lamports": dict(observer.failure_fees),
        "landed_fees_lamports": observer.landed_fees,
        "journal": statuses,
        "restarts": restarts, "ready_s": [round(s, 2) for s in keeper.ready_s],
        "keeper_log": {"tracebacks": keeper.tracebacks, "errors": keeper.errors},
        "resources": {"samples": samples[:: max(1, len(samples) // 12)],
                      "rss_kib_first_last_max": [samples[0][1], samples[-1][1], max(s[1] for s in samples)] if samples else None,
                      "open_files_first_last_max": [samples[0][2], samples[-1][2], max(s[2] for s in samples)] if samples else None},
        "conservation": {"checks": observer.checks, "broken": len(observer.conservation_broken)},
        "funding_lag_periods_max": round(observer.funding_lag_periods, 3),
        "faults": {**faults, "ws_drops": ws_drops},
        "scenario_failed_orders": sum(scenario.failed.values()),
        "liquidator_skips": dict(keeper.skips),
        "breakdown": _breakdown(observer, journal, slot_ms),
    }


def render(f: dict[str, Any]) -> str:
    """The figures as text."""
    d, n = f["liquidation_delay_slots"], f["never_liquidated"]
    lines = [
        f"soak: {f['slots']} slots, keeper killed at slot {f['kill_at_slot']} of trading",
        f"liquidation delay (slots): p50 {d['p50']} p95 {d['p95']} max {d['max']} over {d['episodes']} episodes",
        f"  outside the restart window (slots {f['liquidation_delay_slots_outside_restart']['restart_window']}): "
        f"p50 {f['liquidation_delay_slots_outside_restart']['p50']} p95 {f['liquidation_delay_slots_outside_restart']['p95']} "
        f"max {f['liquidation_delay_slots_outside_restart']['max']} over {f['liquidation_delay_slots_outside_restart']['episodes']}",
        f"  slowest (first liquidatable slot of trading, delay): {[(e['first'], e['delay']) for e in f['slowest_episodes']]}",
        f"ended without a liquidation: {n['episodes']} episodes ({n['longer_than_20_slots']} longer than 20 slots, "
        f"longest {n['longest_slots']}, {n['open_at_end']} open at the end)",
        f"duplicates: {f['duplicates']}",
        f"on-chain failures: {f['onchain_failures'] or 'none'}; their fees (lamports): {f['onchain_failure_fees_lamports'] or 0}",
        f"journal: {f['journal']}",
        f"restarts: {f['restarts']}, ready in {f['ready_s']} s; keeper log: {f['keeper_log']}",
        f"RSS KiB (first, last, max): {f['resources']['rss_kib_first_last_max']}; "
        f"open files: {f['resources']['open_files_first_last_max']}",
        f"RSS/open files/CPU over time (s, KiB, fds, CPU s): {f['resources']['samples']}",
        f"conservation: {f['conservation']['checks']} checks, {f['conservation']['broken']} broken",
        f"funding lag: at worst {f['funding_lag_periods_max']} periods since the last update",
        f"faults injected: {f['faults']}",
        f"liquidator skips by reason: {f['liquidator_skips'] or 'none logged'}",
        f"breakdown: {json.dumps(f['breakdown'])}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run, print (and write --json)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--faults", type=Path, default=DEFAULT_FAULTS, help="fault settings (localnet up's format)")
    p.add_argument("--kill-at", type=int, default=None, help="slot after trading starts to SIGKILL the keeper")
    p.add_argument("--cycles", type=int, default=10)
    p.add_argument("--slot-ms", type=int, default=400)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--out", type=Path, default=None, help="directory for the wallets, config and journal")
    p.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = p.parse_args(argv)
    figures = run_soak(SoakOptions(minutes=args.minutes, faults_file=args.faults, kill_at=args.kill_at, cycles=args.cycles,
                                   slot_ms=args.slot_ms, seed=args.seed, out_dir=args.out))
    print(render(figures))
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
