"""The dependency rule of ARCHITECTURE.md, read from the source: ``programs_client`` <- ``keepers`` <-
``localnet`` <- ``sim`` (and ``localnet`` <- ``ops``), never the reverse, and nothing imports the command line on top (``perpkeep_cli``).
Inside ``keepers`` the groups layer the same way: the exchange mirror (``keepers.exchange``) needs none of
the runtime; the chain clients and the transaction path (``keepers.chain``, ``keepers.execution``) and
observability know no bot; bots and strategies know no runtime.

Every import statement counts, also one inside a function (the CLI's commands import lazily), so that a
lazy import cannot hide a break of the rule.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# package -> packages and modules of this project it must not import (dotted prefixes)
_ABOVE_BOTS = {"keepers.runtime", "keepers.cli", "keepers.status", "keepers.cache"}
FORBIDDEN = {
    "programs_client": {"keepers", "localnet", "sim", "ops", "perpkeep_cli"},
    "keepers": {"localnet", "sim", "ops", "perpkeep_cli"},
    "localnet": {"sim", "ops", "perpkeep_cli"},
    "sim": {"perpkeep_cli"},
    # ops simulates in LiteSVM through localnet.svm (and builds the program with localnet.build when the cluster
    # serves no program bytes): it sits beside sim, above localnet.
    "ops": {"sim", "perpkeep_cli"},
    "keepers.exchange": {"keepers.chain", "keepers.execution", "keepers.observability", "keepers.bots",
                         "keepers.config", "keepers.clock", *_ABOVE_BOTS},
    "keepers.chain": {"keepers.execution", "keepers.observability", "keepers.bots", *_ABOVE_BOTS},
    "keepers.execution": {"keepers.observability", "keepers.bots", *_ABOVE_BOTS},
    "keepers.observability": {"keepers.chain", "keepers.execution", "keepers.bots", *_ABOVE_BOTS},
    "keepers.bots": {"keepers.runtime", "keepers.cli", "keepers.status"},
    "keepers.strategies": {"keepers.runtime", "keepers.cli", "keepers.status"},
}


def _within(target: str, prefix: str) -> bool:
    return target == prefix or target.startswith(prefix + ".")


def imported_modules(source: str, module: str) -> set[str]:
    """Every module the source of ``module`` (dotted name) imports, relative imports resolved."""
    out: set[str] = set()
    package = module.split(".")[:-1]  # of a package's __init__ too: "keepers.chain.__init__" -> keepers.chain
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                out.add(".".join(base + ([node.module] if node.module else [])))
            else:
                out.add(node.module or "")
    return out


def violations(package: str, sources: dict[str, str]) -> list[str]:
    """``module imports target`` for every import of ``sources`` (module name -> source) the rule forbids."""
    found = []
    for module, source in sorted(sources.items()):
        for target in sorted(imported_modules(source, module)):
            if any(_within(target, forbidden) for forbidden in FORBIDDEN[package]):
                found.append(f"{module} imports {target}")
    return found


def package_sources(package: str) -> dict[str, str]:
    """Module name -> source of every module of ``package`` in this checkout."""
    files = sorted(ROOT.joinpath(*package.split(".")).rglob("*.py"))
    assert files, f"no modules under {package}/"
    return {".".join(f.relative_to(ROOT).with_suffix("").parts): f.read_text() for f in files}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_the_package_imports_nothing_above_it(package: str) -> None:
    assert violations(package, package_sources(package)) == []


def test_the_check_sees_lazy_relative_and_plain_imports() -> None:
    sources = {
        "keepers.bots.x": "def f():\n    from localnet.up import run_up\n",
        "keepers.y": "import sim.demo as d\nfrom keepers import cli\n",
        "keepers.chain.z": "from .. import margin\nfrom ..chain import rpc\n",
    }
    assert violations("keepers", sources) == ["keepers.bots.x imports localnet.up", "keepers.y imports sim.demo"]
    assert imported_modules(sources["keepers.chain.z"], "keepers.chain.z") == {"keepers", "keepers.chain"}
    inner = {"keepers.exchange.m": "from keepers.execution.pipeline import Action\nfrom keepers.exchange import pdas\n",
             "keepers.exchange.n": "from ..bots import base\n"}
    assert violations("keepers.exchange", inner) == ["keepers.exchange.m imports keepers.execution.pipeline",
                                                     "keepers.exchange.n imports keepers.bots"]
