"""Parameter sweeps: a grid over protocol parameters x seeds, on the same Ray executor as Monte Carlo.

``--param markets.*.params.maintenance_margin_bps=300,500,800 --param markets.*.params.liquidation_fee_bps=50,100``
runs every combination once per seed and reports, per cell, the percentiles of the target metric
(``protocol.bad_debt`` by default) over the seeds: a table, and a heatmap when the grid has two axes.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from sim.runs.executor import DEFAULT_MAX_RETRIES, RunFn, Task, run_tasks
from sim.runs.montecarlo import seed_list
from sim.runs.output import html_heatmap, html_table, write_csv, write_json, write_report
from sim.runs.paths import set_path
from sim.runs.progress import RunProgress, table

PERCENTILES = (50.0, 95.0, 99.0)


def parse_axis(text: str) -> tuple[str, list[Any]]:
    """``PATH=V1,V2,...`` -> (path, values); values are ints, floats or strings as written."""
    path, sep, values = text.partition("=")
    if not sep or not path.strip() or not values.strip():
        raise ValueError(f"{text!r}: expected PATH=V1,V2,...")
    return path.strip(), [_number(v.strip()) for v in values.split(",") if v.strip()]


def _number(v: str) -> Any:
    for kind in (int, float):
        try:
            return kind(v)
        except ValueError:
            pass
    return v


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (linear interpolation, as numpy's default)."""
    import numpy as np

    finite = [v for v in values if v == v]
    return float(np.percentile(finite, q)) if finite else math.nan


@dataclass
class SweepResult:
    """Per cell (a tuple of values, one per axis): the target metric's values over seeds."""

    out: Path
    axes: list[tuple[str, list[Any]]]
    metric: str
    cells: dict[tuple[Any, ...], list[float]]
    failures: list[str]
    files: dict[str, Path]

    def rows(self) -> tuple[list[str], list[list[Any]]]:
        """(columns, rows) of the table: one row per cell with the percentiles and the mean of the metric."""
        cols = [p for p, _ in self.axes] + ["seeds"] + [f"p{q:g}" for q in PERCENTILES] + ["mean", "max"]
        rows = []
        for cell, values in self.cells.items():
            finite = [v for v in values if v == v]
            rows.append([*cell, len(finite), *(percentile(finite, q) for q in PERCENTILES),
                         sum(finite) / len(finite) if finite else math.nan, max(finite) if finite else math.nan])
        return cols, rows


def run_sweep(mapping: dict[str, Any], axes: Sequence[tuple[str, Sequence[Any]]], out: Path, *, seeds: int = 3,
              metric: str = "protocol.bad_debt", workers: int = 2, cluster: str | None = None,
              run_fn: RunFn | str | None = None, max_retries: int = DEFAULT_MAX_RETRIES,
              console: Console | None = None, progress: bool = True) -> SweepResult:
    """Run every cell of the grid once per seed; write the table, the heatmap and the report."""
    if not axes:
        raise ValueError("a sweep needs at least one --param axis")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    axes_ = [(p, list(v)) for p, v in axes]
    cells = list(itertools.product(*(v for _, v in axes_)))
    tasks = []
    for i, cell in enumerate(cells):
        m = copy.deepcopy(mapping)
        for (path, _), value in zip(axes_, cell):
            set_path(m, path, value)
        tasks += [Task(f"cell-{i}-seed-{s}", m, s, {"cell": cell}) for s in seed_list(mapping, seeds)]
    with RunProgress(len(tasks), "sweep", console or Console(), enabled=progress) as bar:
        outcomes = run_tasks(tasks, out, run_fn=run_fn, workers=workers, cluster=cluster, max_retries=max_retries,
                             progress=bar)
    values: dict[tuple[Any, ...], list[float]] = {c: [] for c in cells}
    failures = []
    for o in outcomes:
        if o.summary is None:
            failures.append(f"{o.task.meta['cell']} seed {o.task.seed}: {o.error}")
        elif metric in o.summary:
            values[o.task.meta["cell"]].append(o.summary[metric])
        else:
            failures.append(f"{o.task.meta['cell']} seed {o.task.seed}: no metric {metric} in the summary")
    result = SweepResult(out, axes_, metric, values, failures, {})
    cols, rows = result.rows()
    result.files["table"] = write_csv(out / "sweep.csv", cols, rows)
    result.files["json"] = write_json(out / "sweep.json", {"metric": metric, "axes": axes_, "failures": failures,
                                                           "cells": [{"cell": list(c), "values": v}
                                                                     for c, v in values.items()]})
    sections = {f"Sweep: {metric} per cell": html_table(cols, rows)}
    if len(axes_) == 2:
        (rp, rv), (cp, cv) = axes_
        p95 = {c: percentile(v, 95.0) for c, v in values.items()}
        sections[f"Sweep heatmap: p95 of {metric}"] = html_heatmap(rp, cp, rv, cv, p95, f"p95 of {metric} over seeds")
    from sim.runs.executor import load_run

    first = [o for o in outcomes if o.summary is not None][:1]
    if first:
        report = write_report([load_run(out, first[0].task.key)], out / "report.html", "Parameter sweep", sections)
        if report is not None:
            result.files["report"] = Path(report)
    return result


def print_result(result: SweepResult, console: Console) -> None:
    """The one-screen summary: the per-cell table, failures, files."""
    cols, rows = result.rows()
    console.print(table(f"Sweep of {result.metric}", cols, rows))
    for f in result.failures:
        console.print(f"[red]{f}[/red]")
    console.print(f"written to {result.out}: " + ", ".join(p.name for p in result.files.values()))


__all__ = ["PERCENTILES", "SweepResult", "parse_axis", "percentile", "print_result", "run_sweep"]
