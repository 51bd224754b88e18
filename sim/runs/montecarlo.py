"""Monte Carlo: one scenario over many seeds on Ray, then the distribution of every summary metric.

Seeds are the scenario's own seed plus 0, 1, ... N-1, so a Monte Carlo of N seeds includes the single
run ``perpkeep sim run`` makes. For every summary metric the aggregates hold its percentiles and a
confidence interval (``sim.metrics.percentiles_and_ci``); for every strategy PnL and for bad debt, VaR
and expected shortfall (``sim.metrics.var_es``, which reads values as PnL: bad debt goes in negated).

Written to OUT: ``runs/seed-S.json`` (each run, as it finishes), ``summaries.csv`` (one row per seed),
``montecarlo.json`` (aggregates and risk), ``report.html`` (through ``sim.report``, with the tables in
its extra section).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from sim.runs.executor import DEFAULT_MAX_RETRIES, Outcome, RunFn, Task, load_run, run_tasks
from sim.runs.output import html_table, write_csv, write_json, write_report
from sim.runs.progress import RunProgress, table

ALPHA = 0.95


def scenario_seed(mapping: dict[str, Any]) -> int:
    """The scenario's own seed (``[scenario] seed``, 0 when absent)."""
    return int(mapping.get("scenario", {}).get("seed", 0))


def seed_list(mapping: dict[str, Any], seeds: int | Sequence[int]) -> list[int]:
    """``seeds`` seeds from the scenario's own, or the given list."""
    if isinstance(seeds, int):
        if seeds < 1:
            raise ValueError(f"seeds must be at least 1, got {seeds}")
        base = scenario_seed(mapping)
        return [base + i for i in range(seeds)]
    return list(seeds)


def _stats() -> tuple[Any, Any]:
    from sim.metrics import percentiles_and_ci, var_es  # type: ignore[attr-defined]  # simreport's

    return percentiles_and_ci, var_es


def aggregate(summaries: Sequence[dict[str, float]], alpha: float = ALPHA) -> dict[str, Any]:
    """Percentiles and confidence intervals of every metric, VaR and ES of PnL and bad debt."""
    percentiles_and_ci, var_es = _stats()
    metrics = sorted({k for s in summaries for k in s})
    stats = {m: dict(percentiles_and_ci([s[m] for s in summaries if m in s and s[m] == s[m]]))
             for m in metrics}
    risk: dict[str, dict[str, float]] = {}
    for m in metrics:
        values = [s[m] for s in summaries if m in s and s[m] == s[m]]
        if not values:
            continue
        if m.endswith(".pnl"):
            var, es = var_es(values, alpha)
        elif m == "protocol.bad_debt":
            var, es = var_es([-v for v in values], alpha)
        else:
            continue
        risk[m] = {"var": float(var), "es": float(es), "alpha": alpha}
    return {"runs": len(summaries), "metrics": stats, "risk": risk}


@dataclass
class MonteCarloResult:
    """The outcome of a Monte Carlo: per-seed summaries, failures, aggregates, and the files written."""

    out: Path
    seeds: list[int]
    summaries: dict[int, dict[str, float]]
    failures: dict[int, str]
    aggregates: dict[str, Any]
    files: dict[str, Path] = field(default_factory=dict)


def run_montecarlo(mapping: dict[str, Any], seeds: int | Sequence[int], out: Path, *, workers: int = 2,
                   cluster: str | None = None, run_fn: RunFn | str | None = None,
                   max_retries: int = DEFAULT_MAX_RETRIES, console: Console | None = None,
                   progress: bool = True) -> MonteCarloResult:
    """Run ``mapping`` once per seed on Ray, save every run as it finishes, aggregate (module docstring)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    seeds_ = seed_list(mapping, seeds)
    tasks = [Task(f"seed-{s}", copy.deepcopy(mapping), s) for s in seeds_]
    console = console or Console()
    with RunProgress(len(tasks), "monte carlo", console, enabled=progress) as bar:
        outcomes = run_tasks(tasks, out, run_fn=run_fn, workers=workers, cluster=cluster,
                             max_retries=max_retries, progress=bar)
    return finish(mapping, out, outcomes)


def finish(mapping: dict[str, Any], out: Path, outcomes: list[Outcome]) -> MonteCarloResult:
    """Aggregate the outcomes and write the tables and the report."""
    summaries = {o.task.seed: o.summary for o in outcomes if o.summary is not None}
    failures = {o.task.seed: o.error or "" for o in outcomes if o.summary is None}
    agg = aggregate(list(summaries.values())) if summaries else {"runs": 0, "metrics": {}, "risk": {}}
    result = MonteCarloResult(out, [o.task.seed for o in outcomes], summaries, failures, agg)
    metrics = sorted({k for s in summaries.values() for k in s})
    result.files["summaries"] = write_csv(out / "summaries.csv", ["seed", *metrics],
                                          [[seed, *(s.get(m) for m in metrics)] for seed, s in summaries.items()])
    result.files["aggregates"] = write_json(out / "montecarlo.json", {**agg, "failures": failures,
                                                                     "scenario": mapping})
    if summaries:
        cols, rows = stats_rows(agg)
        sections = {"Monte Carlo: distribution of every metric": html_table(cols, rows, f"{len(summaries)} seeds"),
                    "Monte Carlo: VaR and expected shortfall": html_table(*risk_rows(agg))}
        runs = [load_run(out, f"seed-{seed}") for seed in representative_seeds(summaries)]
        report = write_report(runs, out / "report.html", f"Monte Carlo of {scenario_name(mapping)}", sections)
        if report is not None:
            result.files["report"] = Path(report)
    return result


def scenario_name(mapping: dict[str, Any]) -> str:
    """The scenario's name (``[scenario] name``)."""
    return str(mapping.get("scenario", {}).get("name", "scenario"))


def representative_seeds(summaries: dict[int, dict[str, float]], metric: str = "protocol.bad_debt") -> list[int]:
    """The seeds whose runs go into the report: the median and the worst by ``metric``."""
    ranked = sorted(summaries, key=lambda s: (summaries[s].get(metric, 0.0), s))
    return sorted({ranked[len(ranked) // 2], ranked[-1]})


def stats_rows(agg: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """(columns, rows) of the per-metric statistics."""
    stats = agg["metrics"]
    keys: list[str] = []
    for s in stats.values():
        keys += [k for k in s if k not in keys]
    return ["metric", *keys], [[m, *(s.get(k) for k in keys)] for m, s in stats.items()]


def risk_rows(agg: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """(columns, rows) of VaR and ES."""
    return (["metric", "alpha", "VaR", "ES"],
            [[m, r["alpha"], r["var"], r["es"]] for m, r in agg["risk"].items()])


def print_result(result: MonteCarloResult, console: Console, wall_s: float | None = None) -> None:
    """The one-screen summary: the main statistics, risk, failures, where the files are."""
    cols, rows = stats_rows(result.aggregates)
    console.print(table(f"Monte Carlo: {len(result.summaries)} of {len(result.seeds)} seeds", cols, rows))
    if result.aggregates["risk"]:
        console.print(table("VaR / expected shortfall (losses)", *risk_rows(result.aggregates)))
    for seed, err in sorted(result.failures.items()):
        console.print(f"[red]seed {seed} failed:[/red] {err}")
    timing = f" in {wall_s:.1f} s ({len(result.summaries) / wall_s:.2f} seeds/s)" if wall_s else ""
    console.print(f"written to {result.out}{timing}: " + ", ".join(p.name for p in result.files.values()))


__all__ = ["MonteCarloResult", "aggregate", "finish", "print_result", "representative_seeds", "run_montecarlo",
           "scenario_name", "seed_list"]
