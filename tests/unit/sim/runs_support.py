"""Until the merge: a real short simulation behind ``sim.runs.executor.RunFn``, and the statistics that
``sim.metrics`` (helper simreport) provides after it.

``interim_run(mapping, seed)`` builds today's demo world (``sim.scenario.build_ledger_world``: the real perp
program in LiteSVM), applies what ``ScenarioSettings`` can express of the scenario mapping (``[scenario]
slots``/``seed``/``seconds_per_slot``/``record_every_slots``, ``markets.*.params``, ``markets.*.price``
``volatility``, the ``crash`` keys and a ``replay`` file (a plain CSV), the takers' count,
``insurance.stake``), steps it, and records a ``SimRun`` whose summary comes from what it reads on the ledger: the insurance fund, socialised losses,
bad debt (negative equity of margin accounts valued at the oracle price; no keeper runs here, so nobody
liquidates) and the accounts that became liquidatable. At the merge ``sim.engine.run_scenario`` replaces it.

``RUN_FN`` is what every runs test runs (the one line to change at the merge); ``killable_run`` is the
run the Monte Carlo test kills mid-run; ``write_scenario`` writes a small crash scenario.

``use_interim_stats()`` (called on import) puts ``var_es`` and ``percentiles_and_ci`` on ``sim.metrics``
when that module does not have them yet (they are simreport's); it does nothing once the real ones exist.
"""

from __future__ import annotations

import math
import os
import sys
import types
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from localnet.deployment import BootstrapPlan
from sim.run_record import SimRun
from sim.scenario import ScenarioSettings

_PROGRAMS: dict[str, bytes] = {}
SUPPORT_DIR = Path(__file__).resolve().parent


def _programs() -> tuple[bytes, bytes]:
    from localnet.build import build_program

    for name in ("perp", "mock_oracle"):
        if name not in _PROGRAMS:
            _PROGRAMS[name] = Path(build_program(name)).read_bytes()
    return _PROGRAMS["perp"], _PROGRAMS["mock_oracle"]


def settings_of(mapping: dict[str, Any], seed: int) -> tuple[ScenarioSettings, int, int]:
    """(ScenarioSettings, slots, record_every_slots) for the parts of ``mapping`` that today's scenario expresses."""
    from programs_client.perp.constants import QUOTE_PRECISION as QUOTE

    sc = mapping.get("scenario", {})
    slots = int(sc.get("slots", 100))
    markets = mapping.get("markets", {}) or {"SOL-PERP": {}}
    first = next(iter(markets.values()))
    price = first.get("price", {})
    users = sum(int(t.get("count", 0)) for t in mapping.get("traders", [])) or 4
    crash = price.get("kind") == "crash"
    kw: dict[str, Any] = {
        "users": users, "seed": seed, "markets": tuple(markets),
        "seconds_per_slot": int(sc.get("seconds_per_slot", 5)),
        "volatility": float(price.get("volatility", 0.0015)),
        "crash_at": int(price.get("at_slot", slots // 3)) if crash else slots + 10,
        "crash_drop": float(price.get("drop", 0.13)) if crash else 0.5,
        "insurance_stake": int(float(mapping.get("insurance", {}).get("stake", 2000.0)) * QUOTE),
    }
    params: dict[str, int] = {}
    for m in markets.values():
        params.update({k: int(v) for k, v in m.get("params", {}).items()})
    every = max(1, int(sc.get("record_every_slots", 10)))
    return ParamSettings(**kw, overrides=tuple(sorted(params.items()))), slots, every


@dataclass(frozen=True)
class ParamSettings(ScenarioSettings):
    """ScenarioSettings whose market parameters take the scenario's ``markets.*.params``."""

    overrides: tuple[tuple[str, int], ...] = ()

    def plan(self) -> BootstrapPlan:
        base = super().plan()
        return replace(base, market_params={**base.market_params, **dict(self.overrides)})


def interim_run(mapping: dict[str, Any], seed: int) -> SimRun:
    """A real short run of ``mapping`` with ``seed`` (see the module docstring)."""
    from keepers.exchange.margin import MarketState, Position, compute_margin
    from keepers.exchange.pdas import insurance_vault_pda
    from localnet.price_paths import ReplayPath
    from programs_client.perp.accounts import Market
    from programs_client.perp.constants import BASE_PRECISION, QUOTE_PRECISION as QUOTE
    from sim.scenario import build_ledger_world, users_of

    settings, slots, every = settings_of(mapping, seed)
    world = build_ledger_world(settings, *_programs())
    ledger, dep, scenario = world.ledger, world.dep, world.scenario
    for pub, m in zip(scenario.publishers, dep.markets):
        price = mapping.get("markets", {}).get(m.name, {}).get("price", {})
        if price.get("kind") == "replay":
            pub.path = ReplayPath.from_csv(price["file"], price.get("column", "price"))
    maker_wallet = dep.wallets["maker-0"].pubkey()
    names = [m.name for m in dep.markets]
    cols: dict[str, list[float]] = {c: [] for c in (
        "slot", "time_s", *(f"oracle.{n}" for n in names), "insurance_fund", "socialized_loss", "bad_debt",
        "liquidatable_users", "open_interest", "strategy.maker.equity")}
    ever_liquidatable: set[bytes] = set()

    def sample(slot: int) -> None:
        markets = [Market.decode(bytes(ledger.get_account(m.address).data)) for m in dep.markets]
        states = {mk.market_index: replace(MarketState.from_account(mk),
                                           mark_price=max(1, round(scenario.prices[mk.market_index] * QUOTE)))
                  for mk in markets}
        bad, liquidatable, maker_equity = 0, 0, 0.0
        for u in users_of(ledger, dep.program_id):
            margin = compute_margin(u.collateral, [Position.from_account(p) for p in u.positions], states)
            bad += max(0, -margin.equity)
            if margin.liquidatable:
                liquidatable += 1
                ever_liquidatable.add(bytes(u.authority))
            if u.authority == maker_wallet:
                maker_equity = margin.equity / QUOTE
        oi = sum(max(mk.open_interest_long, mk.open_interest_short) * states[mk.market_index].mark_price
                 // BASE_PRECISION for mk in markets)
        row = {"slot": slot, "time_s": ledger.wall_clock(), "insurance_fund":
               ledger.local.token_balance(insurance_vault_pda(dep.program_id)) / QUOTE,
               "socialized_loss": sum(mk.socialised_loss for mk in markets) / QUOTE, "bad_debt": bad / QUOTE,
               "liquidatable_users": liquidatable, "open_interest": oi / QUOTE, "strategy.maker.equity": maker_equity}
        row.update({f"oracle.{m.name}": scenario.prices[m.index] for m in dep.markets})
        for c, v in row.items():
            cols[c].append(float(v))

    sample(ledger.slot)
    for n in range(1, slots + 1):
        slot = ledger.advance_slot()
        scenario.step(slot)
        if n % every == 0 or n == slots:
            sample(slot)
    return SimRun(mapping, seed, cols, [], summary_of(cols, len(ever_liquidatable)))


def summary_of(cols: dict[str, list[float]], liquidatable_ever: int) -> dict[str, float]:
    """The summary figures the interim run can read (named as ``sim.metrics.summarize`` names them)."""
    fund, equity = cols["insurance_fund"], cols["strategy.maker.equity"]
    peak, drawdown = -math.inf, 0.0
    for e in equity:
        peak = max(peak, e)
        drawdown = max(drawdown, (peak - e) / peak if peak > 0 else 0.0)
    return {
        "protocol.bad_debt": cols["bad_debt"][-1],
        "protocol.insurance_fund_min": min(fund),
        "protocol.insurance_drawdown": fund[0] - min(fund),
        "protocol.socialized_loss": cols["socialized_loss"][-1],
        "protocol.liquidations": float(liquidatable_ever),
        "protocol.open_interest_max": max(cols["open_interest"]),
        "strategy.maker.pnl": equity[-1] - equity[0],
        "strategy.maker.max_drawdown": drawdown,
    }


# -- statistics until simreport's sim.metrics has them ---------------------------------------------------

def _var_es(values: Sequence[float], alpha: float = 0.95) -> tuple[float, float]:
    """VaR and expected shortfall at ``alpha`` of ``values`` read as PnL: the loss (a positive number) not
    exceeded with probability ``alpha``, and the mean loss beyond it."""
    losses = sorted(-float(v) for v in values)
    if not losses:
        return math.nan, math.nan
    k = min(len(losses) - 1, max(0, math.ceil(alpha * len(losses)) - 1))
    tail = losses[k:]
    return losses[k], sum(tail) / len(tail)


def _percentiles_and_ci(values: Sequence[float], percentiles: Sequence[float] = (5, 50, 95),
                        confidence: float = 0.95) -> dict[str, float]:
    """Percentiles and a normal confidence interval of the mean."""
    import numpy as np

    xs = np.asarray([float(v) for v in values if v is not None and math.isfinite(float(v))])
    if xs.size == 0:
        return {"n": 0.0}
    out = {f"p{p:g}": float(np.percentile(xs, p)) for p in percentiles}
    mean = float(xs.mean())
    half = 1.959964 * float(xs.std(ddof=1)) / math.sqrt(xs.size) if xs.size > 1 else 0.0
    out.update({"n": float(xs.size), "mean": mean, "ci_low": mean - half, "ci_high": mean + half})
    return out


def use_interim_stats() -> None:
    """Give ``sim.metrics`` the two statistics when it lacks them (before the merge)."""
    try:
        import sim.metrics as metrics  # type: ignore[import-not-found]
    except ImportError:
        metrics = types.ModuleType("sim.metrics")
        sys.modules["sim.metrics"] = metrics
        import sim

        sim.metrics = metrics  # type: ignore[attr-defined]
    if not hasattr(metrics, "var_es"):
        metrics.var_es = _var_es  # type: ignore[attr-defined]
    if not hasattr(metrics, "percentiles_and_ci"):
        metrics.percentiles_and_ci = _percentiles_and_ci  # type: ignore[attr-defined]


def project_root() -> str:
    """The folder holding ``sim`` and ``tests`` (Ray workers import the run function from there)."""
    return os.fspath(SUPPORT_DIR.parents[2])


use_interim_stats()  # a CLI given --run-fn tests.unit.sim.runs_support:interim_run aggregates with them too


# -- a run that the Monte Carlo test kills ---------------------------------------------------------------

KILL_WAIT_S = 60.0
KILL_DIR_ENV = "PERPKEEP_TEST_KILL_DIR"  # where killable_run counts its calls
VICTIM_ENV = "PERPKEEP_TEST_VICTIM_SEED"  # the seed whose first run waits to be killed


def killable_run(mapping: dict[str, Any], seed: int) -> SimRun:
    """``RUN_FN``, counting its calls in files under ``$PERPKEEP_TEST_KILL_DIR/calls``; the first call for the
    seed ``$PERPKEEP_TEST_VICTIM_SEED`` writes its process id to ``victim.pid`` and waits to be killed (the
    test kills that worker process); the retry runs normally. (Environment variables reach Ray's local
    workers, and leave the scenario as the engine validates it.)"""
    import time

    folder = Path(os.environ[KILL_DIR_ENV])
    (folder / "calls").mkdir(exist_ok=True)
    (folder / "calls" / f"{seed}-{os.getpid()}-{time.monotonic_ns()}").touch()
    victim = folder / "victim.pid"
    if seed == int(os.environ[VICTIM_ENV]) and not victim.exists():
        victim.write_text(str(os.getpid()))
        deadline = time.monotonic() + KILL_WAIT_S
        while time.monotonic() < deadline:
            time.sleep(0.05)
        raise RuntimeError(f"seed {seed}: not killed within {KILL_WAIT_S} s")
    from sim.runs.executor import resolve_run_fn

    return resolve_run_fn(RUN_FN)(mapping, seed)


def calls_per_seed(folder: Path) -> dict[int, int]:
    """How many times ``killable_run`` started for each seed."""
    out: dict[int, int] = {}
    for f in (Path(folder) / "calls").iterdir():
        seed = int(f.name.split("-")[0])
        out[seed] = out.get(seed, 0) + 1
    return out


# -- a small scenario ------------------------------------------------------------------------------------

# The run function every runs test uses. At the merge: RUN_FN = None (sim.engine.run_scenario).
RUN_FN: str | None = None


def run_fn_args() -> list[str]:
    """``--run-fn RUN_FN`` for the command line (nothing once RUN_FN is the engine)."""
    return ["--run-fn", RUN_FN] if RUN_FN else []

SMALL_SCENARIO = """\
[scenario]
name = "small-crash"
seed = 7
slots = {slots}
seconds_per_slot = 5
record_every_slots = 5

[markets.SOL-PERP]
initial_price = 150.0
params = {{ maintenance_margin_bps = 500, liquidation_fee_bps = 100 }}

[markets.SOL-PERP.price]
kind = "crash"
volatility = 0.0015
at_slot = {at_slot}
drop = 0.4
over_slots = 2

[markets.SOL-PERP.oracle]
cadence_slots = 1
confidence_bps = 5.0

[[traders]]
behaviour = "noise"
count = {users}
capital = 1000.0
leverage = {{ dist = "uniform", low = 2.0, high = 9.0 }}
activity = 0.05

[keepers]
bots = ["mark_price", "funding", "liquidator", "settler", "insurance"]

[strategies.maker]
kind = "scripted_maker"
levels = 4
half_spread_bps = 10.0
notional_per_level = 20000.0

[insurance]
stake = 2000.0
{extra}"""


def write_scenario(folder: Path, slots: int = 20, users: int = 4, extra: str = "", name: str = "small.toml") -> Path:
    """A small crash scenario file (``extra``: TOML appended, e.g. an ``[optimize]`` table)."""
    path = Path(folder) / name
    path.write_text(SMALL_SCENARIO.format(slots=slots, at_slot=max(1, slots // 2), users=users, extra=extra))
    return path


def small_mapping(folder: Path, **kw: Any) -> dict[str, Any]:
    """The mapping of ``write_scenario``."""
    import tomllib

    return tomllib.loads(write_scenario(folder, **kw).read_text())


# -- two processes that start their studies together -----------------------------------------------------

BARRIER_ENV = "PERPKEEP_TEST_BARRIER"  # a folder; every process sharing it waits for the others once
BARRIER_PARTIES_ENV = "PERPKEEP_TEST_BARRIER_PARTIES"
BARRIER_WAIT_S = 60.0
_PASSED_BARRIER: list[bool] = []


def paired_run(mapping: dict[str, Any], seed: int) -> SimRun:
    """``RUN_FN``, but the first call of each process waits (bounded) until every party has made its first
    call: optuna has then created one trial per process, so each process contributes to the study."""
    import time

    if not _PASSED_BARRIER:
        folder = Path(os.environ[BARRIER_ENV])
        parties = int(os.environ.get(BARRIER_PARTIES_ENV, "2"))
        (folder / f"ready-{os.getpid()}").touch()
        deadline = time.monotonic() + BARRIER_WAIT_S
        while len(list(folder.glob("ready-*"))) < parties and time.monotonic() < deadline:
            time.sleep(0.02)
        _PASSED_BARRIER.append(True)
    from sim.runs.executor import resolve_run_fn

    return resolve_run_fn(RUN_FN)(mapping, seed)
