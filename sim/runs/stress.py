"""The stress library: named transforms of a scenario mapping, and the run that compares them.

Each stress returns a new mapping (the input is left alone) that differs from its input only in the keys
of the scenario file (``sim/scenario_file.py``) that the stress is about: the price process, the oracle,
the maker, the trader population, keeper outages, chain faults. ``perpkeep sim stress SCENARIO.toml``
runs the unchanged scenario (``baseline``) and each stress over the same seeds and writes a comparison.

Event times are placed relative to the scenario's length: the shock at a third of the run (``shock_slot``).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from sim.runs.executor import DEFAULT_MAX_RETRIES, RunFn, Task, load_run, run_tasks
from sim.runs.output import html_table, write_csv, write_json, write_report
from sim.runs.progress import RunProgress, table

BASELINE = "baseline"
# The figures the comparison shows first (any other summary metric follows in the JSON).
KEY_METRICS = ("protocol.bad_debt", "protocol.insurance_drawdown", "protocol.socialized_loss",
               "protocol.liquidations", "protocol.liquidation_delay_max")


def slots_of(mapping: dict[str, Any]) -> int:
    """The scenario's length in slots."""
    return int(mapping.get("scenario", {}).get("slots", 1800))


def seconds_per_slot(mapping: dict[str, Any]) -> float:
    """Chain seconds per slot."""
    return float(mapping.get("scenario", {}).get("seconds_per_slot", 5))


def shock_slot(mapping: dict[str, Any]) -> int:
    """When a stress's event starts: a third of the way through the run."""
    return max(1, slots_of(mapping) // 3)


def _markets(m: dict[str, Any]) -> dict[str, dict[str, Any]]:
    markets = m.setdefault("markets", {})
    if not markets:
        raise ValueError("markets: the scenario has no market to stress")
    return markets


def crash(m: dict[str, Any], drop: float = 0.40, minutes: float = 10.0) -> dict[str, Any]:
    """Every market's price falls by ``drop`` over ``minutes`` of chain time, from ``shock_slot``."""
    over = max(1, math.ceil(minutes * 60 / seconds_per_slot(m)))
    for market in _markets(m).values():
        price = market.setdefault("price", {})
        price.update({"kind": "crash", "at_slot": shock_slot(m), "drop": drop, "over_slots": over})
    return m


def flash_wick(m: dict[str, Any], drop: float = 0.25, recover_after_slots: int = 6) -> dict[str, Any]:
    """A one-slot fall of ``drop`` that is undone ``recover_after_slots`` later (a wick)."""
    for market in _markets(m).values():
        market.setdefault("price", {}).update({"kind": "crash", "at_slot": shock_slot(m), "drop": drop,
                                               "over_slots": 1, "recover_after_slots": recover_after_slots})
    return m


def oracle_outage(m: dict[str, Any], minutes: float = 10.0) -> dict[str, Any]:
    """The primary oracle of every market is silent for ``minutes`` of chain time from ``shock_slot``."""
    slots = max(1, math.ceil(minutes * 60 / seconds_per_slot(m)))
    for market in _markets(m).values():
        oracle = market.setdefault("oracle", {})
        oracle["outages"] = [*oracle.get("outages", []), {"start_slot": shock_slot(m), "slots": slots}]
    return m


def oracle_divergence(m: dict[str, Any], bps: float = 300.0) -> dict[str, Any]:
    """The fallback oracle publishes ``bps`` away from the primary."""
    for market in _markets(m).values():
        market.setdefault("oracle", {}).update({"fallback": True, "divergence_bps": bps})
    return m


def liquidity_drought(m: dict[str, Any], keep: float = 0.1) -> dict[str, Any]:
    """Every scripted maker quotes a quarter of its levels with ``keep`` of its notional, five times wider."""
    makers = [s for s in m.get("strategies", {}).values() if s.get("kind") == "scripted_maker"]
    if not makers:
        raise ValueError("strategies: no scripted_maker to thin out")
    for s in makers:
        s["levels"] = max(1, int(s.get("levels", 4)) // 4)
        s["notional_per_level"] = float(s.get("notional_per_level", 20_000.0)) * keep
        s["half_spread_bps"] = float(s.get("half_spread_bps", 10.0)) * 5
    return m


def funding_spike(m: dict[str, Any], whales: int = 3, capital: float = 250_000.0) -> dict[str, Any]:
    """Whales join and trade hard: the mark leaves the index and funding rates jump."""
    m["traders"] = [*m.get("traders", []), {"behaviour": "whale", "count": whales, "capital": capital,
                                            "leverage": 5.0, "activity": 0.2}]
    return m


def liquidator_outage(m: dict[str, Any], slots: int = 300) -> dict[str, Any]:
    """The liquidator keeper is down for ``slots`` slots from ``shock_slot``."""
    keepers = m.setdefault("keepers", {})
    keepers["outages"] = [*keepers.get("outages", []), {"bot": "liquidator", "start_slot": shock_slot(m),
                                                        "slots": slots}]
    return m


def rpc_faults(m: dict[str, Any], error_rate: float = 0.2, latency_slots: int = 2) -> dict[str, Any]:
    """A fifth of the keepers' chain requests fail and the rest land ``latency_slots`` late."""
    m.setdefault("faults", {}).update({"error_rate": error_rate, "latency_slots": latency_slots})
    return m


@dataclass(frozen=True)
class Stress:
    """A named transform of a scenario mapping."""

    name: str
    description: str
    transform: Callable[[dict[str, Any]], dict[str, Any]]

    def apply(self, mapping: dict[str, Any]) -> dict[str, Any]:
        """The stressed copy of ``mapping`` (its ``[scenario] name`` gets ``+NAME``)."""
        m = self.transform(copy.deepcopy(mapping))
        sc = m.setdefault("scenario", {})
        sc["name"] = f"{sc.get('name', 'scenario')}+{self.name}"
        return m


LIBRARY: dict[str, Stress] = {s.name: s for s in (
    Stress("crash_40pct_10min", "every price falls 40% over 10 minutes", crash),
    Stress("flash_wick", "a 25% one-slot wick, undone 6 slots later", flash_wick),
    Stress("oracle_outage", "primary oracles silent for 10 minutes", oracle_outage),
    Stress("oracle_divergence", "fallback oracles 300 bps away from the primaries", oracle_divergence),
    Stress("liquidity_drought", "makers quote 1/4 of the levels, 10% of the size, 5x wider", liquidity_drought),
    Stress("funding_spike", "three whales trading hard push the mark off the index", funding_spike),
    Stress("liquidator_outage", "the liquidator is down for 300 slots", liquidator_outage),
    Stress("rpc_faults", "20% of keeper requests fail, the rest land 2 slots late", rpc_faults),
)}


def select(names: Sequence[str] | None) -> list[Stress]:
    """The stresses named (all when None), in library order; unknown names raise ValueError."""
    if not names:
        return list(LIBRARY.values())
    unknown = [n for n in names if n not in LIBRARY]
    if unknown:
        raise ValueError(f"unknown stress {', '.join(unknown)} (known: {', '.join(LIBRARY)})")
    return [s for s in LIBRARY.values() if s.name in names]


@dataclass
class StressResult:
    """Per stress (and the baseline): the summaries of its seeds, the comparison table, the files."""

    out: Path
    summaries: dict[str, list[dict[str, float]]]
    failures: dict[str, list[str]]
    columns: list[str]
    rows: list[list[Any]]
    files: dict[str, Path]


def run_stress(mapping: dict[str, Any], out: Path, *, only: Sequence[str] | None = None, seeds: int = 1,
               workers: int = 2, cluster: str | None = None, run_fn: RunFn | str | None = None,
               max_retries: int = DEFAULT_MAX_RETRIES, console: Console | None = None,
               progress: bool = True) -> StressResult:
    """Run the baseline and each selected stress over ``seeds`` seeds; write the comparison."""
    from sim.runs.montecarlo import seed_list

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    scenarios = {BASELINE: copy.deepcopy(mapping)} | {s.name: s.apply(mapping) for s in select(only)}
    tasks = [Task(f"{name}-seed-{seed}", m, seed, {"stress": name})
             for name, m in scenarios.items() for seed in seed_list(mapping, seeds)]
    with RunProgress(len(tasks), "stress", console or Console(), enabled=progress) as bar:
        outcomes = run_tasks(tasks, out, run_fn=run_fn, workers=workers, cluster=cluster, max_retries=max_retries,
                             progress=bar)
    summaries: dict[str, list[dict[str, float]]] = {n: [] for n in scenarios}
    failures: dict[str, list[str]] = {n: [] for n in scenarios}
    for o in outcomes:
        name = o.task.meta["stress"]
        if o.summary is not None:
            summaries[name].append(o.summary)
        else:
            failures[name].append(f"seed {o.task.seed}: {o.error}")
    columns, rows = comparison(summaries)
    files = {"comparison": write_csv(out / "stress.csv", columns, rows),
             "json": write_json(out / "stress.json", {"summaries": summaries, "failures": failures,
                                                       "stresses": {n: LIBRARY[n].description for n in scenarios
                                                                    if n in LIBRARY}})}
    runs = [load_run(out, o.task.key) for o in outcomes if o.summary is not None and o.task.seed == outcomes[0].task.seed]
    if runs:
        report = write_report(runs, out / "report.html", "Stress tests",
                              {"Stress comparison (mean over seeds; change from the baseline)":
                               html_table(columns, rows)})
        if report is not None:
            files["report"] = Path(report)
    return StressResult(out, summaries, failures, columns, rows, files)


def _mean(values: list[float]) -> float:
    finite = [v for v in values if v == v]
    return sum(finite) / len(finite) if finite else math.nan


def comparison(summaries: dict[str, list[dict[str, float]]]) -> tuple[list[str], list[list[Any]]]:
    """(columns, rows): per scenario the mean of each key metric and the change from the baseline."""
    present = {k for runs in summaries.values() for s in runs for k in s}
    metrics = [k for k in KEY_METRICS if k in present] + sorted(k for k in present if k.endswith(".pnl"))
    means = {n: {k: _mean([s[k] for s in runs if k in s]) for k in metrics} for n, runs in summaries.items()}
    base = means.get(BASELINE, {})
    columns = ["scenario", "seeds"]
    for k in metrics:
        columns += [k, f"Δ {k}"]
    rows = []
    for name, m in means.items():
        row: list[Any] = [name, len(summaries[name])]
        for k in metrics:
            row += [m[k], m[k] - base.get(k, math.nan) if name != BASELINE else math.nan]
        rows.append(row)
    return columns, rows


def print_result(result: StressResult, console: Console) -> None:
    """The one-screen summary: the comparison, failures and the files."""
    console.print(table("Stress comparison (mean over seeds)", result.columns, result.rows))
    for name, errs in result.failures.items():
        for e in errs:
            console.print(f"[red]{name} {e}[/red]")
    console.print(f"written to {result.out}: " + ", ".join(p.name for p in result.files.values()))


__all__ = ["BASELINE", "LIBRARY", "Stress", "StressResult", "comparison", "crash", "flash_wick", "funding_spike",
           "liquidator_outage", "liquidity_drought", "oracle_divergence", "oracle_outage", "print_result",
           "rpc_faults", "run_stress", "select", "shock_slot"]
