"""The simulator's command of `perpkeep`: `demo`.

The command imports the simulator when it runs, so that mounting it (``perpkeep_cli``) costs nothing to
the other commands.
"""

from __future__ import annotations

import argparse

from keepers.cli import Mount, positive_int


def _cmd_demo(args: argparse.Namespace) -> int:
    from sim.demo import run_demo

    return run_demo(users=args.users, seed=args.seed, slots=args.slots, live=False if args.no_live else None)


def add_demo(sub: argparse._SubParsersAction) -> None:
    """Mount `perpkeep demo`."""
    d = sub.add_parser("demo", help="run the exchange on an embedded local chain and print a summary")
    d.add_argument("--users", type=positive_int, default=40, help="leveraged takers (default: 40)")
    d.add_argument("--slots", type=positive_int, default=1800, help="slots to run, 5 s of chain time each (default: 1800)")
    d.add_argument("--seed", type=int, default=7, help="seed of prices and traders (default: 7)")
    d.add_argument("--no-live", action="store_true", help="print progress lines instead of the live view")
    d.set_defaults(func=_cmd_demo)


COMMANDS: dict[str, Mount] = {"demo": add_demo}

__all__ = ["COMMANDS", "add_demo"]
