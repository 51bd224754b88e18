"""Monte Carlo throughput: N seeds of the crash scenario on Ray, with 1 and with 2 local workers.

Runs ``sim.runs.montecarlo.run_montecarlo`` (the same code as ``perpkeep sim montecarlo``: Ray start-up,
every run saved as it finishes, the aggregates) once per worker count, each into a fresh temporary
folder, and prints wall time, seeds per second and the speedup from 1 to 2 workers; nothing is asserted.

    python3 -m benchmarks.sim_montecarlo [--scenario sim/scenarios/crash.toml] [--seeds 100] [--workers 1 2]
                                         [--slots N] [--run-fn MODULE:FUNCTION]

``--run-fn`` replaces the engine (``sim.engine.run_scenario``) with another run function of the same
signature; ``--slots`` shortens the scenario.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from rich.console import Console

from sim.runs.executor import resolve_run_fn
from sim.runs.montecarlo import run_montecarlo
from sim.runs.progress import table
from sim.runs.scenario_io import load_mapping

DEFAULT_SCENARIO = Path(__file__).resolve().parents[1] / "sim" / "scenarios" / "crash.toml"


def measure(mapping: dict, seeds: int, workers: int, run_fn: str | None) -> tuple[float, int]:
    """(wall seconds, seeds that finished) of one Monte Carlo with ``workers`` local workers."""
    with tempfile.TemporaryDirectory(prefix="pk-mc-bench-") as out:
        started = time.perf_counter()
        result = run_montecarlo(mapping, seeds, Path(out), workers=workers, run_fn=run_fn, progress=False)
        return time.perf_counter() - started, len(result.summaries)


def main(argv: list[str] | None = None) -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO, help="scenario file (default: %(default)s)")
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--slots", type=int, default=None, help="override [scenario] slots")
    parser.add_argument("--run-fn", default=None, help="MODULE:FUNCTION instead of sim.engine.run_scenario")
    args = parser.parse_args(argv)
    mapping, _ = load_mapping(args.scenario)
    if args.slots:
        mapping.setdefault("scenario", {})["slots"] = args.slots
    resolve_run_fn(args.run_fn)  # fail now on a bad MODULE:FUNCTION (and let it set itself up)
    rows, walls = [], {}
    for w in args.workers:
        wall, done = measure(mapping, args.seeds, w, args.run_fn)
        walls[w] = wall
        rows.append([w, done, wall, done / wall, walls[args.workers[0]] / wall])
    console = Console()
    console.print(table(f"Monte Carlo of {args.scenario.name}: {args.seeds} seeds, "
                        f"{mapping.get('scenario', {}).get('slots')} slots each, {os.cpu_count()} CPUs",
                        ["workers", "seeds done", "wall s", "seeds/s", f"speedup vs {args.workers[0]}"], rows))
    console.print(f"run function: {args.run_fn or 'sim.engine.run_scenario'}; wall time includes Ray's start-up")


if __name__ == "__main__":
    main()
