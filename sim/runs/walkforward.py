"""Walk-forward analysis over a replayed price file: optimise on a training window, evaluate the best
parameters on the test window that follows, roll both forward, and report out-of-sample figures apart
from in-sample ones.

The scenario replays a price file (``markets.X.price.kind = "replay"``, ``file = ...``); one slot is
``seconds_per_slot`` of the file's time. Windows are in slots from the file's first timestamp:

    train [k*step, k*step + train)   test [k*step + train, k*step + train + test)

Each window gets its own slice of the file (``OUT/windows/NAME-w{k}-train.csv``, plain ``timestamp,price``)
and its own scenario (``[scenario] slots`` = the window's length), so the engine replays exactly that
stretch. Each training window is a study ``STUDY-w{k}`` in the same storage as ``sim optimize``.
"""

from __future__ import annotations

import copy
import csv
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rich.console import Console

from sim.runs.executor import RunFn, resolve_run_fn
from sim.runs.montecarlo import seed_list
from sim.runs.optimize import OptimizeSpec, default_storage, evaluate, optimize, with_params
from sim.runs.output import html_table, write_csv, write_json, write_report
from sim.runs.progress import table


def replayed_market(mapping: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(market name, its price table) of the first market whose price is replayed from a file."""
    for name, m in mapping.get("markets", {}).items():
        price = m.get("price", {})
        if price.get("kind") == "replay":
            if not price.get("file"):
                raise ValueError(f"markets.{name}.price.file: a replayed price needs a file")
            return name, price
    raise ValueError('markets.*.price.kind: walk-forward needs a market with kind = "replay"')


def read_prices(path: Path, fmt: str | None = None, column: str | None = None) -> tuple[list[float], list[float]]:
    """(timestamps in seconds, prices) of a price file, through simdata's ``sim.data.load_price_series``;
    before that module exists, a plain ``timestamp,price`` CSV only."""
    try:
        from sim.data import load_price_series  # type: ignore[import-not-found]
    except ImportError:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        col = column or "price"
        if not rows or "timestamp" not in rows[0] or col not in rows[0]:
            raise ValueError(f"{path}: expected a CSV with columns timestamp,{col}") from None
        return [float(r["timestamp"]) for r in rows], [float(r[col]) for r in rows]
    series = load_price_series(path, fmt)
    return [float(t) for t in series.timestamps], [float(p) for p in series.prices]


@dataclass(frozen=True)
class Window:
    """One train/test pair, in slots from the file's first timestamp."""

    index: int
    train: tuple[int, int]
    test: tuple[int, int]


def windows(total_slots: int, train: int, test: int, step: int | None = None) -> list[Window]:
    """Every whole train+test window that fits in ``total_slots``, ``step`` (default: ``test``) apart."""
    if train < 1 or test < 1:
        raise ValueError("train and test windows must be at least one slot")
    step = step or test
    out, k = [], 0
    while k * step + train + test <= total_slots:
        a = k * step
        out.append(Window(k, (a, a + train), (a + train, a + train + test)))
        k += 1
    if not out:
        raise ValueError(f"the price file covers {total_slots} slots: too short for train {train} + test {test}")
    return out


def _slice(ts: list[float], prices: list[float], t0: float, sps: float, span: tuple[int, int], path: Path) -> Path:
    lo, hi = t0 + span[0] * sps, t0 + span[1] * sps
    rows = [(t, p) for t, p in zip(ts, prices) if lo <= t < hi]
    if not rows:
        raise ValueError(f"no price in slots {span[0]}..{span[1]} of the file")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["timestamp", "price"])
        w.writerows(rows)
    return path


def window_scenario(mapping: dict[str, Any], market: str, file: Path, slots: int) -> dict[str, Any]:
    """``mapping`` replaying ``file`` (a plain CSV) for ``slots`` slots."""
    m = copy.deepcopy(mapping)
    price = m["markets"][market]["price"]
    price["file"] = str(file)
    for key in ("format", "column"):
        price.pop(key, None)
    m.setdefault("scenario", {})["slots"] = slots
    return m


@dataclass
class WalkForwardResult:
    out: Path
    metric: str
    rows: list[dict[str, Any]]
    files: dict[str, Path] = field(default_factory=dict)

    def figures(self) -> dict[str, float]:
        """Mean in-sample and out-of-sample values of the objective, and their ratio (efficiency)."""
        ins = [r["in_sample"] for r in self.rows if r["in_sample"] == r["in_sample"]]
        oos = [r["out_of_sample"] for r in self.rows if r["out_of_sample"] == r["out_of_sample"]]
        i = sum(ins) / len(ins) if ins else math.nan
        o = sum(oos) / len(oos) if oos else math.nan
        return {"in_sample_mean": i, "out_of_sample_mean": o, "efficiency": o / i if i else math.nan}


def walk_forward(mapping: dict[str, Any], spec: OptimizeSpec, out: Path, *, train: int, test: int,
                 step: int | None = None, storage: str | None = None, run_fn: RunFn | str | None = None,
                 console: Console | None = None, progress: bool = True) -> WalkForwardResult:
    """Optimise on each training window, evaluate on its test window (module docstring)."""
    if spec.multi:
        raise ValueError("optimize.objectives: walk-forward optimises one objective")
    out = Path(out)
    (out / "windows").mkdir(parents=True, exist_ok=True)
    console = console or Console()
    fn = resolve_run_fn(run_fn)
    storage = storage or default_storage(out)
    market, price = replayed_market(mapping)
    ts, prices = read_prices(Path(price["file"]), price.get("format"), price.get("column"))
    sps = float(mapping.get("scenario", {}).get("seconds_per_slot", 5))
    total = int((ts[-1] - ts[0]) // sps) + 1
    seeds = seed_list(mapping, spec.seeds)
    rows = []
    for w in windows(total, train, test, step):
        name = f"w{w.index}"
        train_file = _slice(ts, prices, ts[0], sps, w.train, out / "windows" / f"{name}-train.csv")
        test_file = _slice(ts, prices, ts[0], sps, w.test, out / "windows" / f"{name}-test.csv")
        console.print(f"window {w.index}: train slots {w.train[0]}..{w.train[1]}, test {w.test[0]}..{w.test[1]}")
        res = optimize(window_scenario(mapping, market, train_file, train), replace(spec, study=f"{spec.study}-{name}"),
                       out / name, storage=storage, run_fn=fn, seed=w.index, console=console, progress=progress,
                       save_runs=False)
        if not res.best:
            rows.append({"window": w.index, "train": w.train, "test": w.test, "params": {},
                         "in_sample": math.nan, "out_of_sample": math.nan})
            continue
        best = res.best[0]
        oos = evaluate(with_params(window_scenario(mapping, market, test_file, test), best["params"]), seeds,
                       spec.objectives, fn)[0]
        rows.append({"window": w.index, "train": w.train, "test": w.test, "params": best["params"],
                     "in_sample": best["values"][0], "out_of_sample": oos})
    result = WalkForwardResult(out, spec.objectives[0].metric, rows)
    cols, table_rows = result_rows(result)
    result.files["table"] = write_csv(out / "walkforward.csv", cols, table_rows)
    result.files["json"] = write_json(out / "walkforward.json", {"metric": result.metric, "windows": rows,
                                                                 "figures": result.figures()})
    figs = result.figures()
    sections = {"Walk-forward: per window (in-sample = best on train; out-of-sample = the same parameters on test)":
                html_table(cols, table_rows),
                "Walk-forward: out-of-sample apart from in-sample":
                html_table(["figure", "value"], [[k, v] for k, v in figs.items()])}
    last = next((r for r in reversed(rows) if r["params"]), None)
    if last is not None:
        w = last["window"]
        run = fn(with_params(window_scenario(mapping, market, out / "windows" / f"w{w}-test.csv", test),
                             last["params"]), seeds[0])
        report = write_report([run], out / "report.html", f"Walk-forward of {result.metric}", sections)
        if report is not None:
            result.files["report"] = Path(report)
    return result


def result_rows(result: WalkForwardResult) -> tuple[list[str], list[list[Any]]]:
    """(columns, rows) of the per-window table."""
    cols = ["window", "train slots", "test slots", f"in-sample {result.metric}", f"out-of-sample {result.metric}",
            "best parameters"]
    return cols, [[r["window"], f"{r['train'][0]}..{r['train'][1]}", f"{r['test'][0]}..{r['test'][1]}",
                   r["in_sample"], r["out_of_sample"],
                   ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in r["params"].items())]
                  for r in result.rows]


def print_result(result: WalkForwardResult, console: Console) -> None:
    """The one-screen summary: per window, then in-sample and out-of-sample apart."""
    console.print(table("Walk-forward", *result_rows(result)))
    console.print(table("Out-of-sample apart from in-sample", ["figure", "value"],
                        [[k, v] for k, v in result.figures().items()]))
    console.print(f"written to {result.out}: " + ", ".join(p.name for p in result.files.values()))


__all__ = ["Window", "WalkForwardResult", "print_result", "read_prices", "replayed_market", "walk_forward",
           "window_scenario", "windows"]
