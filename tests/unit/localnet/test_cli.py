"""`perpkeep build` and `perpkeep codegen` (``localnet.cli``): clear errors and exit codes, no tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "perpkeep_cli", *args], capture_output=True, text=True, timeout=120)


def test_compiler_error_shows_the_compilers_message_without_traceback(tmp_path: Path) -> None:
    prog = tmp_path / "programs" / "broken"
    prog.mkdir(parents=True)
    (prog / "broken.c").write_text("unsigned long long entrypoint(const unsigned char *in) { return undefined_name; }\n")
    r = _run("build", "--program", "broken", "--root", str(tmp_path), "--out", str(tmp_path / "out"))
    assert r.returncode == 1
    assert "undefined_name" in r.stderr
    assert "Traceback" not in r.stderr


def test_build_prints_path_size_and_hash(tmp_path: Path) -> None:
    r = _run("build", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    so = tmp_path / "perp.so"
    assert so.exists()
    assert str(so) in r.stdout and "sha256" in r.stdout


def test_codegen_check_reports_current() -> None:
    r = _run("codegen", "--check")
    assert r.returncode == 0, r.stderr
    assert "current" in r.stdout
