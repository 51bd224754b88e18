"""`perpkeep demo` (``sim.cli``): argument errors exit 2; a short run liquidates and conserves collateral."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from perpkeep_cli import main


@pytest.mark.parametrize("bad", ["0", "-3", "many"])
def test_demo_rejects_bad_user_count(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["demo", "--users", bad])
    assert e.value.code == 2
    assert "--users" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_runs_the_keepers_through_a_crash_and_conserves_collateral() -> None:
    r = subprocess.run([sys.executable, "-m", "perpkeep_cli", "demo", "--users", "8", "--slots", "400", "--no-live"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "conservation check: OK" in r.stdout
    assert "users still liquidatable: 0" in r.stdout
    liquidations = re.search(r"liquidations (\d+)", r.stdout)
    assert liquidations is not None and int(liquidations.group(1)) > 0, r.stdout
    assert "Traceback" not in r.stderr
