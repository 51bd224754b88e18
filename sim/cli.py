"""The simulator's commands of `perpkeep`: `demo` and `sim run`.

The commands import the simulator when they run, so that mounting them (``perpkeep_cli``) costs nothing to
the other commands.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from keepers.cli import Mount, positive_int
from sim.runs_cli import add_sim_run_commands


def _cmd_demo(args: argparse.Namespace) -> int:
    from sim.demo import run_demo

    return run_demo(users=args.users, seed=args.seed, slots=args.slots, live=False if args.no_live else None)


def add_demo(sub: argparse._SubParsersAction) -> None:
    """Mount `perpkeep demo`."""
    d = sub.add_parser("demo", help="run the exchange on an embedded local chain and print a summary")
    d.add_argument("--users", type=positive_int, default=40, help="leveraged takers (default: 40)")
    d.add_argument("--slots", type=positive_int, default=1800, help="slots to run, 5 s of chain time each (default: 1800)")
    d.add_argument("--seed", type=int, default=7, help="seed of prices and traders (default: 7)")
    d.add_argument("--no-live", action="store_true", help="print progress lines instead of a progress bar")
    d.set_defaults(func=_cmd_demo)


def _cmd_sim_run(args: argparse.Namespace) -> int:
    from keepers.config import ConfigError
    from sim.engine import Simulation
    from sim.scenario_file import load_scenario, scenario_from_mapping

    try:
        spec = load_scenario(args.scenario)
        if args.slots is not None:
            mapping = spec.mapping
            mapping.setdefault("scenario", {})["slots"] = args.slots
            spec = scenario_from_mapping(mapping, spec.base_dir)
    except ConfigError as e:
        print(f"perpkeep: {e}", file=sys.stderr)
        return 2
    out = Path(args.out or f"sim-{spec.run.name}-{args.seed if args.seed is not None else spec.seed}")
    out.mkdir(parents=True, exist_ok=True)
    run = Simulation(spec, args.seed).run(progress=sys.stdout.isatty())
    (out / "run.json").write_bytes(run.to_json())
    run.write_series(out / "series.parquet")
    run.write_series(out / "series.csv")
    written = ["run.json", "series.parquet", "series.csv"]
    try:
        from sim.report import write_report  # type: ignore[import-not-found]
    except ImportError:
        write_report = None
    if write_report is not None:
        write_report(run, out / "report.html")
        written.append("report.html")
    try:
        from rich.console import Console
        from sim.summary_view import print_summary  # type: ignore[import-not-found]

        print_summary(run, Console())
    except ImportError:
        last = {k: v[-1] for k, v in run.series.items() if v}
        print(f"{spec.run.name} seed {run.seed}: {run.rows} samples, {len(run.events)} events; "
              f"liquidations {last.get('liquidations', 0):.0f}, bad debt {last.get('bad_debt', 0):,.2f}, "
              f"insurance fund {last.get('insurance_fund', 0):,.2f}")
    print(f"wrote {', '.join(written)} to {out}")
    return 0


def add_sim(sub: argparse._SubParsersAction) -> None:
    """Mount `perpkeep sim run` and the batches of ``sim.runs_cli`` (montecarlo, stress, sweep, optimize,
    walkforward)."""
    s = sub.add_parser("sim", help="simulations on the real program with the real keepers")
    simsub = s.add_subparsers(dest="sim_command", required=True)
    r = simsub.add_parser("run", help="run one scenario file and write its record, series and report")
    r.add_argument("scenario", type=Path, help="scenario TOML file (e.g. sim/scenarios/crash.toml)")
    r.add_argument("--seed", type=int, default=None, help="seed (default: the scenario's)")
    r.add_argument("--out", type=Path, default=None, help="output folder (default: sim-NAME-SEED)")
    r.add_argument("--slots", type=positive_int, default=None, help="slots to run (default: the scenario's)")
    r.set_defaults(func=_cmd_sim_run)
    add_sim_run_commands(simsub)


COMMANDS: dict[str, Mount] = {"demo": add_demo, "sim": add_sim}

__all__ = ["COMMANDS", "add_demo", "add_sim"]
