"""Optimisation with optuna: search spaces from an ``[optimize]`` TOML table, shared studies in an RDB.

    [optimize]
    study = "maker-spread"            # the study's name: processes and hosts naming it share it
    sampler = "tpe"                   # grid | random | tpe | cmaes | nsga2
    trials = 40                       # total trials of the study, over every process sharing it
    seeds = 3                         # runs per trial (their mean is the objective)
    pruner = "median"                 # median | none (single objective only)
    objectives = [{ metric = "strategy.maker.pnl", direction = "maximize" },
                  { metric = "strategy.maker.max_drawdown", direction = "minimize" }]   # two: a Pareto front
    [[optimize.params]]
    path = "strategies.maker.half_spread_bps"   # a key path of the scenario (``*``: every market)
    low = 2.0
    high = 50.0
    log = true                        # or step = ...; or choices = [...] instead of low/high

A trial sets its parameters in a copy of the scenario and runs it once per seed, in process (the trials
themselves are spread over processes and hosts by sharing the study). After each seed a single-objective
trial reports the running mean, and the pruner stops trials that are already worse than the median of the
others at that seed. The storage is ``--storage URL`` (``postgresql+psycopg://user@host:port/db``, or any
SQLAlchemy URL optuna accepts), by default a SQLite file in the output folder.
"""

from __future__ import annotations

import copy
import math
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from sim.run_record import SimRun
from sim.runs.executor import RunFn, resolve_run_fn
from sim.runs.output import html_table, svg_scatter, write_csv, write_json, write_report
from sim.runs.paths import set_path
from sim.runs.progress import table

SAMPLERS = ("grid", "random", "tpe", "cmaes", "nsga2")
PRUNERS = ("median", "none")
SCHEMA_RACE_ATTEMPTS = 5


class SpaceError(ValueError):
    """An ``[optimize]`` table that cannot be used; the message names the key."""


@dataclass(frozen=True)
class Param:
    """One dimension of the search space."""

    path: str
    low: float | None = None
    high: float | None = None
    step: float | None = None
    log: bool = False
    choices: tuple[Any, ...] | None = None

    @property
    def is_int(self) -> bool:
        bounds = [v for v in (self.low, self.high, self.step) if v is not None]
        return bool(bounds) and all(isinstance(v, int) and not isinstance(v, bool) for v in bounds)

    def suggest(self, trial: Any) -> Any:
        """Draw this parameter for ``trial``."""
        if self.choices is not None:
            return trial.suggest_categorical(self.path, list(self.choices))
        if self.is_int:
            return trial.suggest_int(self.path, int(self.low), int(self.high), step=int(self.step or 1), log=self.log)
        return trial.suggest_float(self.path, float(self.low), float(self.high), step=self.step, log=self.log)

    def grid(self) -> list[Any]:
        """Every value of this dimension (for the grid sampler)."""
        if self.choices is not None:
            return list(self.choices)
        if self.step is None:
            raise SpaceError(f"optimize.params.{self.path}: the grid sampler needs step or choices")
        n = int(math.floor((self.high - self.low) / self.step + 1e-9)) + 1
        return [self.low + i * self.step if not self.is_int else int(self.low + i * self.step) for i in range(n)]


@dataclass(frozen=True)
class Objective:
    metric: str
    direction: str  # "maximize" | "minimize"


@dataclass(frozen=True)
class OptimizeSpec:
    """The ``[optimize]`` table, validated."""

    study: str
    sampler: str
    trials: int
    seeds: int
    pruner: str
    objectives: tuple[Objective, ...]
    params: tuple[Param, ...]

    @property
    def multi(self) -> bool:
        return len(self.objectives) > 1


def _num(t: dict[str, Any], key: str, where: str) -> float | int | None:
    v = t.get(key)
    if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
        raise SpaceError(f"{where}.{key}: must be a number, got {v!r}")
    return v


def parse_space(table_: dict[str, Any], default_study: str = "perpkeep-sim") -> OptimizeSpec:
    """Validate an ``[optimize]`` table (see the module docstring); errors name the key."""
    if not isinstance(table_, dict):
        raise SpaceError("optimize: must be a table")
    known = {"study", "sampler", "trials", "seeds", "pruner", "objectives", "params"}
    for k in table_:
        if k not in known:
            raise SpaceError(f"optimize.{k}: unknown key (known: {', '.join(sorted(known))})")
    sampler = str(table_.get("sampler", "tpe"))
    if sampler not in SAMPLERS:
        raise SpaceError(f"optimize.sampler: must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
    pruner = str(table_.get("pruner", "median"))
    if pruner not in PRUNERS:
        raise SpaceError(f"optimize.pruner: must be one of {', '.join(PRUNERS)}, got {pruner!r}")
    for key in ("trials", "seeds"):
        v = table_.get(key, 20 if key == "trials" else 1)
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise SpaceError(f"optimize.{key}: must be a whole number >= 1, got {v!r}")
    objectives = []
    for i, o in enumerate(table_.get("objectives", [{"metric": "protocol.bad_debt", "direction": "minimize"}])):
        where = f"optimize.objectives[{i}]"
        if not isinstance(o, dict) or not isinstance(o.get("metric"), str):
            raise SpaceError(f"{where}.metric: a summary metric name is required")
        if o.get("direction", "maximize") not in ("maximize", "minimize"):
            raise SpaceError(f"{where}.direction: must be maximize or minimize, got {o.get('direction')!r}")
        objectives.append(Objective(o["metric"], o.get("direction", "maximize")))
    if not 1 <= len(objectives) <= 2:
        raise SpaceError(f"optimize.objectives: one or two objectives, got {len(objectives)}")
    if len(objectives) == 2 and sampler not in ("nsga2", "random", "tpe", "grid"):
        raise SpaceError(f"optimize.sampler: {sampler} optimises one objective; use nsga2 for two")
    params = []
    raw = table_.get("params", [])
    if not raw:
        raise SpaceError("optimize.params: at least one parameter is required")
    for i, p in enumerate(raw):
        where = f"optimize.params[{i}]"
        if not isinstance(p, dict) or not isinstance(p.get("path"), str) or not p["path"]:
            raise SpaceError(f"{where}.path: a key path of the scenario is required")
        extra = set(p) - {"path", "low", "high", "step", "log", "choices"}
        if extra:
            raise SpaceError(f"{where}.{sorted(extra)[0]}: unknown key")
        if "choices" in p:
            if not isinstance(p["choices"], list) or not p["choices"]:
                raise SpaceError(f"{where}.choices: must be a non-empty list")
            params.append(Param(p["path"], choices=tuple(p["choices"])))
            continue
        low, high, step = (_num(p, k, where) for k in ("low", "high", "step"))
        if low is None or high is None:
            raise SpaceError(f"{where}: low and high (or choices) are required")
        if high <= low:
            raise SpaceError(f"{where}.high: must be above low ({low}), got {high}")
        if step is not None and step <= 0:
            raise SpaceError(f"{where}.step: must be > 0, got {step}")
        log = bool(p.get("log", False))
        if log and (low <= 0 or step is not None):
            raise SpaceError(f"{where}.log: needs low > 0 and no step")
        params.append(Param(p["path"], low, high, step, log))
    return OptimizeSpec(str(table_.get("study", default_study)), sampler, int(table_.get("trials", 20)),
                        int(table_.get("seeds", 1)), pruner, tuple(objectives), tuple(params))


def make_sampler(spec: OptimizeSpec, seed: int | None) -> Any:
    """The optuna sampler ``spec.sampler`` names (seeded: one seed, one sequence of trials per process)."""
    import optuna

    if spec.sampler == "grid":
        return optuna.samplers.GridSampler({p.path: p.grid() for p in spec.params}, seed=seed)
    if spec.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if spec.sampler == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, max(2, spec.trials // 4)))
    if spec.sampler == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    return optuna.samplers.NSGAIISampler(seed=seed, population_size=max(4, min(50, spec.trials // 4)))


def make_pruner(spec: OptimizeSpec) -> Any:
    """A median pruner over the per-seed running means (none for two objectives: optuna cannot prune those)."""
    import optuna

    if spec.pruner == "none" or spec.multi:
        return optuna.pruners.NopPruner()
    return optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0)


def default_storage(out: Path) -> str:
    """The SQLite file of the study in ``out``."""
    return f"sqlite:///{(Path(out) / 'study.sqlite3').resolve()}"


def open_study(spec: OptimizeSpec, storage: str, seed: int | None = None) -> Any:
    """Create or join the study ``spec.study`` in ``storage``."""
    import optuna
    import sqlalchemy.exc

    for attempt in range(SCHEMA_RACE_ATTEMPTS):
        try:
            rdb = optuna.storages.RDBStorage(storage, engine_kwargs={"pool_pre_ping": True})
            break
        except sqlalchemy.exc.IntegrityError:
            # Processes that reach a new database together race to create optuna's tables and types; the
            # losers see a duplicate key and find the tables there on the next attempt.
            if attempt == SCHEMA_RACE_ATTEMPTS - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    return optuna.create_study(study_name=spec.study, storage=rdb, load_if_exists=True,
                               directions=[o.direction for o in spec.objectives],
                               sampler=make_sampler(spec, seed), pruner=make_pruner(spec))


def with_params(mapping: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``mapping`` with each key path set."""
    m = copy.deepcopy(mapping)
    for path, v in values.items():
        set_path(m, path, v)
    return m


def evaluate(mapping: dict[str, Any], seeds: list[int], objectives: tuple[Objective, ...], run_fn: RunFn,
             report: Callable[[int, float], bool] | None = None, on_run: Callable[[SimRun], None] | None = None
             ) -> list[float]:
    """Mean of each objective over ``seeds``; ``report(step, running_mean)`` returning True stops early
    (the caller prunes)."""
    totals = [0.0] * len(objectives)
    for i, seed in enumerate(seeds):
        run = run_fn(mapping, seed)
        if on_run is not None:
            on_run(run)
        for j, o in enumerate(objectives):
            if o.metric not in run.summary:
                raise KeyError(f"objective {o.metric}: not in the run's summary (it has {', '.join(sorted(run.summary))})")
            totals[j] += float(run.summary[o.metric])
        if report is not None and report(i, totals[0] / (i + 1)):
            break
    done = i + 1
    return [t / done for t in totals]


@dataclass
class OptimizeResult:
    """The study after this process's trials."""

    out: Path
    spec: OptimizeSpec
    storage: str
    trials: list[dict[str, Any]]
    best: list[dict[str, Any]]  # one trial, or the Pareto front
    files: dict[str, Path] = field(default_factory=dict)


def optimize(mapping: dict[str, Any], spec: OptimizeSpec, out: Path, *, storage: str | None = None,
             run_fn: RunFn | str | None = None, seed: int | None = None, console: Console | None = None,
             progress: bool = True, save_runs: bool = True) -> OptimizeResult:
    """Run trials of ``spec.study`` until it holds ``spec.trials`` finished trials (counted over every
    process sharing it); write the tables and the report."""
    import optuna
    from optuna.trial import TrialState

    from sim.runs.montecarlo import seed_list

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    storage = storage or default_storage(out)
    fn = resolve_run_fn(run_fn)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = open_study(spec, storage, seed)
    seeds = seed_list(mapping, spec.seeds)
    (out / "runs").mkdir(exist_ok=True)

    worker = f"{socket.gethostname()}:{os.getpid()}"

    def objective(trial: optuna.Trial) -> float | list[float]:
        trial.set_user_attr("worker", worker)  # which process or host ran it (a shared study mixes them)
        values = {p.path: p.suggest(trial) for p in spec.params}

        def report(step: int, running: float) -> bool:
            if spec.multi:
                return False
            trial.report(running, step)
            return trial.should_prune()

        def save(run: SimRun) -> None:
            if save_runs:
                (out / "runs" / f"trial-{trial.number}-seed-{run.seed}.json").write_bytes(run.to_json())

        means = evaluate(with_params(mapping, values), seeds, spec.objectives, fn, report, save)
        if not spec.multi and trial.should_prune():
            raise optuna.TrialPruned()
        return means if spec.multi else means[0]

    callbacks = [optuna.study.MaxTrialsCallback(spec.trials, states=(TrialState.COMPLETE, TrialState.PRUNED))]
    from rich.progress import Progress

    with Progress(console=console or Console(), disable=not progress, transient=False) as bar:
        task = bar.add_task(f"study {spec.study} ({spec.sampler})", total=spec.trials)

        def tick(st: optuna.Study, _t: optuna.trial.FrozenTrial) -> None:
            bar.update(task, completed=len(st.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))))

        finished = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)))
        if finished < spec.trials:
            study.optimize(objective, n_trials=spec.trials, callbacks=[*callbacks, tick])
        tick(study, None)  # type: ignore[arg-type]
    return _finish(study, spec, out, storage, mapping)


def _trial_row(t: Any) -> dict[str, Any]:
    return {"number": t.number, "state": t.state.name, "values": t.values, "params": t.params,
            "intermediate": dict(t.intermediate_values), "worker": t.user_attrs.get("worker")}


def _finish(study: Any, spec: OptimizeSpec, out: Path, storage: str, mapping: dict[str, Any]) -> OptimizeResult:
    from optuna.trial import TrialState

    trials = [_trial_row(t) for t in study.get_trials(deepcopy=False)]
    complete = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
    best = [_trial_row(t) for t in (study.best_trials if spec.multi else [study.best_trial])] if complete else []
    result = OptimizeResult(out, spec, _safe_url(storage), trials, best)
    names = [p.path for p in spec.params]
    cols = ["trial", "state", *(o.metric for o in spec.objectives), *names]
    rows = [[t["number"], t["state"], *(t["values"] or [math.nan] * len(spec.objectives)),
             *(t["params"].get(n) for n in names)] for t in trials]
    result.files["trials"] = write_csv(out / "trials.csv", cols, rows)
    result.files["json"] = write_json(out / "optimize.json", {"study": spec.study, "sampler": spec.sampler,
                                                             "storage": result.storage, "best": best,
                                                             "trials": trials})
    sections = {"Optimisation: best": html_table(cols, [r for r in rows if r[0] in {b["number"] for b in best}]),
                "Optimisation: every trial": html_table(cols, rows)}
    if spec.multi and complete:
        pts = [tuple(t.values) for t in complete]
        front = [tuple(b["values"]) for b in best]
        sections["Pareto front"] = svg_scatter(pts, front, spec.objectives[0].metric, spec.objectives[1].metric,
                                               f"{len(front)} Pareto-optimal trials of {len(pts)}")
    runs = sorted((out / "runs").glob(f"trial-{best[0]['number']}-seed-*.json")) if best else []
    if runs:
        report = write_report([SimRun.from_json(runs[0].read_bytes())], out / "report.html",
                              f"Optimisation study {spec.study}", sections)
        if report is not None:
            result.files["report"] = Path(report)
    return result


def _safe_url(url: str) -> str:
    """``url`` without a password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def print_result(result: OptimizeResult, console: Console) -> None:
    """The one-screen summary: trial counts by state, the best trial(s), files."""
    states: dict[str, int] = {}
    for t in result.trials:
        states[t["state"]] = states.get(t["state"], 0) + 1
    console.print(f"study {result.spec.study} in {result.storage}: "
                  + ", ".join(f"{n} {s.lower()}" for s, n in sorted(states.items())))
    names = [p.path for p in result.spec.params]
    console.print(table("Pareto front" if result.spec.multi else "Best trial",
                        ["trial", *(o.metric for o in result.spec.objectives), *names],
                        [[b["number"], *b["values"], *(b["params"].get(n) for n in names)] for b in result.best]))
    console.print(f"written to {result.out}: " + ", ".join(p.name for p in result.files.values()))


__all__ = ["OptimizeResult", "OptimizeSpec", "Param", "SAMPLERS", "SpaceError", "default_storage", "evaluate",
           "make_sampler", "open_study", "optimize", "parse_space", "print_result", "with_params"]
