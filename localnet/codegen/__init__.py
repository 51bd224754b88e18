"""Code generated from the IDLs: the program's C header and the anchorpy Python clients.

`generate()` writes both; `stale_outputs()` regenerates into a scratch directory and lists every
committed file that differs, which the test suite and `perpkeep codegen --check` use.
"""

from __future__ import annotations

import filecmp
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from localnet.codegen.c_header import IdlLayoutError, generate_c_header

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Target:
    """One IDL and what is generated from it."""

    idl: str            # path relative to the repo root
    client_package: str  # folder under programs_client/
    c_header: str | None = None  # path relative to the repo root


TARGETS: tuple[Target, ...] = (
    Target("idl/perp.json", "perp", "programs/perp/include/perp_idl.h"),
    Target("idl/mock_oracle.json", "mock_oracle", "programs/mock_oracle/include/mock_oracle_idl.h"),
    # Foreign layouts perpkeep decodes: Python clients only (i128 and packed fields have no C mapping;
    # the C readers in programs/perp/oracle.c pin their offsets, checked against these IDLs by tests).
    Target("idl/pyth_receiver.json", "pyth_receiver"),
    Target("idl/switchboard_v2.json", "switchboard_v2"),
    Target("idl/switchboard_on_demand.json", "switchboard_on_demand"),
    Target("idl/squads_multisig.json", "squads_multisig"),  # the multisig that holds the admin role (ops/)
)


def _write_client(idl_path: Path, out_dir: Path) -> None:
    # Imported here: the generator (black, genpy) lives in the `dev` extra.
    from localnet.codegen.client import generate_client

    generate_client(idl_path, out_dir)


def generate(root: Path = REPO_ROOT, out_root: Path | None = None) -> list[Path]:
    """Regenerate every target under ``out_root`` (default: the repo itself); return the written paths."""
    out_root = out_root or root
    written: list[Path] = []
    for t in TARGETS:
        idl_path = root / t.idl
        if t.c_header:
            header = out_root / t.c_header
            header.parent.mkdir(parents=True, exist_ok=True)
            header.write_text(generate_c_header(idl_path, t.idl, t.c_header))
            written.append(header)
        client_dir = out_root / "programs_client" / t.client_package
        if client_dir.exists():
            shutil.rmtree(client_dir)
        _write_client(idl_path, client_dir)
        written.append(client_dir)
    init = out_root / "programs_client" / "__init__.py"
    init.parent.mkdir(parents=True, exist_ok=True)
    init.write_text('"""Python clients generated from idl/ by `perpkeep codegen`. Do not edit."""\n')
    written.append(init)
    return written


def _diff_tree(a: Path, b: Path, rel: Path) -> list[str]:
    diffs: list[str] = []
    cmp = filecmp.dircmp(a, b, ignore=["__pycache__"])
    diffs += [str(rel / n) + " (missing from the commit)" for n in cmp.left_only]
    diffs += [str(rel / n) + " (not generated)" for n in cmp.right_only]
    for n in cmp.common_files:
        if (a / n).read_bytes() != (b / n).read_bytes():
            diffs.append(str(rel / n))
    for n in cmp.common_dirs:
        diffs += _diff_tree(a / n, b / n, rel / n)
    return diffs


def stale_outputs(root: Path = REPO_ROOT) -> list[str]:
    """Regenerate into a scratch tree and return the repo-relative paths that differ from ``root``."""
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        generate(root, scratch)
        diffs: list[str] = []
        for t in TARGETS:
            if t.c_header:
                fresh = (scratch / t.c_header).read_bytes()
                committed = root / t.c_header
                if not committed.exists() or committed.read_bytes() != fresh:
                    diffs.append(t.c_header)
            rel = Path("programs_client") / t.client_package
            if not (root / rel).exists():
                diffs.append(str(rel) + " (missing)")
            else:
                diffs += _diff_tree(scratch / rel, root / rel, rel)
        return diffs


__all__ = ["IdlLayoutError", "TARGETS", "generate", "generate_c_header", "stale_outputs"]
