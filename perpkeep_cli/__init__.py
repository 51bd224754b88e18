"""`perpkeep`: the one command line, mounting the commands each package owns.

``keepers.cli`` (run, status, journal), ``localnet.cli`` (build, codegen, localnet up and venue), ``sim.cli``
(demo), ``sim.paper_cli`` (paper) and ``ops.cli`` (ops: multisig proposals) each define their commands; this
package only puts them under one parser and turns ``CliError`` and Ctrl-C into exit statuses. It sits above all three so that none of them imports another's commands:
``keepers`` never imports ``localnet`` or ``sim``, and ``localnet`` never imports ``sim``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

from keepers import cli as keepers_cli
from keepers.cli import CliError
from localnet import cli as localnet_cli
from ops import cli as ops_cli
from sim import cli as sim_cli
from sim import paper_cli
from sim.ml import cli as ml_cli

# The order `perpkeep --help` lists the commands in.
COMMAND_ORDER = ("build", "codegen", "run", "status", "journal", "console", "demo", "sim", "paper", "ml", "localnet", "ops")


def parser() -> argparse.ArgumentParser:
    """The `perpkeep` parser with every package's commands mounted."""
    p = argparse.ArgumentParser(prog="perpkeep", description="Keepers and local chain tooling for the perp exchange.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands = {**keepers_cli.COMMANDS, **localnet_cli.COMMANDS, **sim_cli.COMMANDS, **paper_cli.COMMANDS, **ml_cli.COMMANDS,
                **ops_cli.COMMANDS}
    for name in sorted(commands, key=COMMAND_ORDER.index):  # a command missing from COMMAND_ORDER fails here
        commands[name](sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the process exit status."""
    args = parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except CliError as e:
        print(f"perpkeep: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("perpkeep: interrupted", file=sys.stderr)
        return 130


__all__ = ["COMMAND_ORDER", "main", "parser"]
