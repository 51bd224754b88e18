"""The CLI: clear errors and exit codes, no tracebacks."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from keepers.cli import main


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "keepers.cli", *args], capture_output=True, text=True, timeout=120)


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


@pytest.mark.parametrize("bad", ["0", "-3", "many"])
def test_demo_rejects_bad_user_count(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["demo", "--users", bad])
    assert e.value.code == 2
    assert "--users" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_runs_the_keepers_through_a_crash_and_conserves_collateral() -> None:
    r = _run("demo", "--users", "8", "--slots", "400", "--no-live")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "conservation check: OK" in r.stdout
    assert "users still liquidatable: 0" in r.stdout
    liquidations = re.search(r"liquidations (\d+)", r.stdout)
    assert liquidations is not None and int(liquidations.group(1)) > 0, r.stdout
    assert "Traceback" not in r.stderr
