"""`perpkeep` (``perpkeep_cli``) mounts every package's commands, each once, under the console script."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
from pathlib import Path

import perpkeep_cli
from keepers import cli as keepers_cli
from localnet import cli as localnet_cli
from ops import cli as ops_cli
from sim import cli as sim_cli
from sim import paper_cli
from sim.ml import cli as ml_cli

ROOT = Path(__file__).resolve().parents[2]


def _subcommands(parser: argparse.ArgumentParser) -> list[str]:
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(sub.choices)


def test_every_package_command_is_mounted_in_the_help_order() -> None:
    owned = [*keepers_cli.COMMANDS, *localnet_cli.COMMANDS, *sim_cli.COMMANDS, *paper_cli.COMMANDS, *ml_cli.COMMANDS,
             *ops_cli.COMMANDS]
    assert len(owned) == len(set(owned))  # no package takes another's command name
    assert _subcommands(perpkeep_cli.parser()) == ["build", "codegen", "run", "status", "journal", "console", "demo", "sim",
                                                         "paper", "ml", "localnet", "ops"]
    assert sorted(owned) == sorted(_subcommands(perpkeep_cli.parser()))


def test_the_console_script_is_the_top_level_command() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"perpkeep": "perpkeep_cli:main"}


def test_python_dash_m_lists_the_commands_and_an_unknown_one_exits_2() -> None:
    ok = subprocess.run([sys.executable, "-m", "perpkeep_cli", "--help"], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and "usage: perpkeep" in ok.stdout and "localnet" in ok.stdout, ok.stderr
    bad = subprocess.run([sys.executable, "-m", "perpkeep_cli", "fly"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "invalid choice: 'fly'" in bad.stderr
