"""The batch commands of `perpkeep sim`: montecarlo, stress, sweep, optimize, walkforward.

They mount under the ``sim`` command group (``add_sim_run_commands(sim_subparsers)``, beside simcore's
``sim run``); ``python -m sim.runs_cli ...`` runs them on their own. Every command reads a scenario TOML,
writes its files under ``--out`` (default ``sim-out/COMMAND-SCENARIO``), shows a progress bar and ends
with a one-screen summary. Bad arguments exit 2 with one clear line.

The hidden option ``--run-fn MODULE:FUNCTION`` replaces the engine (``sim.engine.run_scenario``) with
another ``RunFn`` (tests and the benchmark use it before the engine exists).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from keepers.cli import Mount, positive_int

USAGE_ERROR = 2


class UsageError(Exception):
    """An argument or input file that cannot be used: one line, exit status 2."""


def _common(p: argparse.ArgumentParser, *, ray: bool = True) -> None:
    p.add_argument("scenario", metavar="SCENARIO.toml", help="the scenario file")
    p.add_argument("--out", default=None, help="output folder (default: sim-out/COMMAND-SCENARIO)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--run-fn", default=None, help=argparse.SUPPRESS)
    if ray:
        p.add_argument("--workers", type=positive_int, default=2, help="local worker processes (default: 2)")
        p.add_argument("--cluster", default=None, metavar="ADDRESS",
                       help="run on the Ray cluster whose head is at ADDRESS (host:port, or auto); a cluster "
                            "with token authentication needs RAY_AUTH_MODE=token and its token (RAY_AUTH_TOKEN)")
        p.add_argument("--retries", type=int, default=3, help="times a run whose worker died is retried (default: 3)")


def _load(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    from sim.runs.scenario_io import load_mapping

    try:
        return load_mapping(args.scenario)
    except OSError as e:
        raise UsageError(f"{args.scenario}: {e.strerror or e}") from None
    except ValueError as e:
        raise UsageError(str(e)) from None


def _out(args: argparse.Namespace, command: str) -> Path:
    return Path(args.out) if args.out else Path("sim-out") / f"{command}-{Path(args.scenario).stem}"


def _console() -> Any:
    from rich.console import Console

    return Console()


def _ray_kw(args: argparse.Namespace) -> dict[str, Any]:
    return {"workers": args.workers, "cluster": args.cluster, "max_retries": args.retries,
            "run_fn": args.run_fn, "progress": not args.no_progress}


def _batch(args: argparse.Namespace, go: Callable[[dict[str, Any], dict[str, Any], Any], Any]) -> tuple[Any, Any]:
    """Load the scenario and run ``go(mapping, optimize_table, console)``: a ValueError it raises (a key
    the scenario lacks, a stress that does not apply) is a usage error."""
    mapping, optimize_table = _load(args)
    console = _console()
    try:
        return go(mapping, optimize_table, console), console
    except ValueError as e:
        raise UsageError(str(e)) from None


def _cmd_montecarlo(args: argparse.Namespace) -> int:
    from sim.runs.montecarlo import print_result, run_montecarlo

    started = time.monotonic()
    result, console = _batch(args, lambda m, _t, c: run_montecarlo(m, args.seeds, _out(args, "montecarlo"),
                                                                  console=c, **_ray_kw(args)))
    print_result(result, console, time.monotonic() - started)
    return 0 if not result.failures else 1


def _cmd_stress(args: argparse.Namespace) -> int:
    from sim.runs.stress import print_result, run_stress, select

    try:
        select(args.only)
    except ValueError as e:
        raise UsageError(str(e)) from None
    result, console = _batch(args, lambda m, _t, c: run_stress(m, _out(args, "stress"), only=args.only,
                                                              seeds=args.seeds, console=c, **_ray_kw(args)))
    print_result(result, console)
    return 0 if not any(result.failures.values()) else 1


def _axis(text: str) -> tuple[str, list[Any]]:
    from sim.runs.sweep import parse_axis

    try:
        return parse_axis(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _cmd_sweep(args: argparse.Namespace) -> int:
    from sim.runs.sweep import print_result, run_sweep

    result, console = _batch(args, lambda m, _t, c: run_sweep(m, args.param, _out(args, "sweep"), seeds=args.seeds,
                                                             metric=args.metric, console=c, **_ray_kw(args)))
    print_result(result, console)
    return 0 if not result.failures else 1


def _spec(args: argparse.Namespace, table: dict[str, Any]) -> Any:
    import tomllib

    from sim.runs.optimize import SpaceError, parse_space

    if args.space:
        try:
            table = tomllib.loads(Path(args.space).read_text()).get("optimize", {})
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise UsageError(f"{args.space}: {e}") from None
    if not table:
        raise UsageError(f"{args.scenario}: no [optimize] table (or give --space FILE)")
    for key in ("study", "sampler", "trials", "seeds"):
        if getattr(args, key, None) is not None:
            table = {**table, key: getattr(args, key)}
    try:
        return parse_space(table)
    except SpaceError as e:
        raise UsageError(str(e)) from None


def _optimize_args(p: argparse.ArgumentParser) -> None:
    from sim.runs.optimize import SAMPLERS

    p.add_argument("--space", default=None, help="a TOML file whose [optimize] table is the search space "
                                                 "(default: the scenario's own [optimize])")
    p.add_argument("--storage", default=None, metavar="URL",
                   help="optuna RDB storage shared by every process (postgresql+psycopg://user@host:port/db; "
                        "default: a SQLite file in --out)")
    p.add_argument("--study", default=None, help="study name (default: optimize.study)")
    p.add_argument("--sampler", choices=SAMPLERS, default=None, help="override optimize.sampler")
    p.add_argument("--trials", type=positive_int, default=None, help="override optimize.trials (study total)")
    p.add_argument("--seeds", type=positive_int, default=None, help="override optimize.seeds (runs per trial)")
    p.add_argument("--sampler-seed", type=int, default=None, help="seed of this process's sampler")


def _cmd_optimize(args: argparse.Namespace) -> int:
    from sim.runs.optimize import optimize, print_result

    result, console = _batch(args, lambda m, t, c: optimize(
        m, _spec(args, t), _out(args, "optimize"), storage=args.storage, run_fn=args.run_fn, seed=args.sampler_seed,
        console=c, progress=not args.no_progress))
    print_result(result, console)
    return 0 if result.best else 1


def _cmd_walkforward(args: argparse.Namespace) -> int:
    from sim.runs.walkforward import print_result, walk_forward

    result, console = _batch(args, lambda m, t, c: walk_forward(
        m, _spec(args, t), _out(args, "walkforward"), train=args.train, test=args.test, step=args.step,
        storage=args.storage, run_fn=args.run_fn, console=c, progress=not args.no_progress))
    print_result(result, console)
    return 0


def add_montecarlo(sub: argparse._SubParsersAction) -> None:
    """Mount `sim montecarlo`."""
    p = sub.add_parser("montecarlo", help="run a scenario over many seeds: percentiles, confidence intervals, VaR/ES")
    _common(p)
    p.add_argument("--seeds", type=positive_int, default=100, help="seeds to run (default: 100)")
    p.set_defaults(func=_cmd_montecarlo)


def add_stress(sub: argparse._SubParsersAction) -> None:
    """Mount `sim stress`."""
    from sim.runs.stress import LIBRARY

    p = sub.add_parser("stress", help="run a scenario under each stress of the library and compare",
                       epilog="stresses: " + "; ".join(f"{s.name}: {s.description}" for s in LIBRARY.values()))
    _common(p)
    p.add_argument("--only", nargs="+", metavar="NAME", default=None, help="run only these stresses")
    p.add_argument("--seeds", type=positive_int, default=1, help="seeds per stress (default: 1)")
    p.set_defaults(func=_cmd_stress)


def add_sweep(sub: argparse._SubParsersAction) -> None:
    """Mount `sim sweep`."""
    p = sub.add_parser("sweep", help="a grid over scenario parameters x seeds: percentiles of a metric per cell")
    _common(p)
    p.add_argument("--param", type=_axis, action="append", required=True, metavar="PATH=V1,V2,...",
                   help="an axis of the grid, e.g. markets.*.params.maintenance_margin_bps=300,500,800 (repeat)")
    p.add_argument("--seeds", type=positive_int, default=3, help="seeds per cell (default: 3)")
    p.add_argument("--metric", default="protocol.bad_debt", help="summary metric (default: protocol.bad_debt)")
    p.set_defaults(func=_cmd_sweep)


def add_optimize(sub: argparse._SubParsersAction) -> None:
    """Mount `sim optimize`."""
    p = sub.add_parser("optimize", help="optuna study over the [optimize] search space (many processes can share it)")
    _common(p, ray=False)
    _optimize_args(p)
    p.set_defaults(func=_cmd_optimize)


def add_walkforward(sub: argparse._SubParsersAction) -> None:
    """Mount `sim walkforward`."""
    p = sub.add_parser("walkforward", help="optimise on rolling train windows of a replayed price file, test out of sample")
    _common(p, ray=False)
    _optimize_args(p)
    p.add_argument("--train", type=positive_int, required=True, help="training window, slots")
    p.add_argument("--test", type=positive_int, required=True, help="test window, slots")
    p.add_argument("--step", type=positive_int, default=None, help="slots between windows (default: --test)")
    p.set_defaults(func=_cmd_walkforward)


COMMANDS: dict[str, Mount] = {"montecarlo": add_montecarlo, "stress": add_stress, "sweep": add_sweep,
                              "optimize": add_optimize, "walkforward": add_walkforward}


def _guarded(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except UsageError as e:
            print(f"perpkeep sim {args.sim_command}: {e}", file=sys.stderr)
            return USAGE_ERROR

    return run


def add_sim_run_commands(sim_sub: argparse._SubParsersAction) -> None:
    """Mount every batch command under the ``sim`` group's subparsers (each command names itself in
    ``args.sim_command`` for its error messages)."""
    for name, mount in COMMANDS.items():
        mount(sim_sub)
        p = sim_sub.choices[name]
        p.set_defaults(func=_guarded(p.get_default("func")), sim_command=name)


def parser() -> argparse.ArgumentParser:
    """`perpkeep sim` with the batch commands only (``python -m sim.runs_cli``)."""
    p = argparse.ArgumentParser(prog="perpkeep sim", description="Batches of simulation runs.")
    add_sim_run_commands(p.add_subparsers(dest="sim_command", required=True, metavar="COMMAND"))
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run one batch command; return the exit status."""
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("perpkeep sim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["COMMANDS", "USAGE_ERROR", "UsageError", "add_sim_run_commands", "main", "parser"]
