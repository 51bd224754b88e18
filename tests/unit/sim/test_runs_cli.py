"""`perpkeep sim montecarlo|stress|sweep|optimize|walkforward`: mounting, and bad arguments exit 2 with one
line that names the problem."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from sim import runs_cli
from tests.unit.sim.runs_support import write_scenario


def test_commands_mount_under_a_sim_group() -> None:
    p = argparse.ArgumentParser(prog="perpkeep")
    sim = p.add_subparsers(dest="command").add_parser("sim").add_subparsers(dest="sim_command")
    runs_cli.add_sim_run_commands(sim)
    assert set(sim.choices) == {"montecarlo", "stress", "sweep", "optimize", "walkforward"}
    args = p.parse_args(["sim", "montecarlo", "s.toml", "--seeds", "5", "--workers", "3", "--cluster", "10.0.0.1:6379"])
    assert (args.seeds, args.workers, args.cluster, args.sim_command) == (5, 3, "10.0.0.1:6379", "montecarlo")


def _fails(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    try:
        code = runs_cli.main(argv)
    except SystemExit as e:  # argparse's own errors
        code = e.code
    assert code == 2
    return capsys.readouterr().err


def test_bad_arguments_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = str(write_scenario(tmp_path))
    assert "must be positive" in _fails(["montecarlo", scenario, "--seeds", "0"], capsys)
    assert "No such file" in _fails(["montecarlo", str(tmp_path / "nope.toml")], capsys)
    assert "unknown stress nope" in _fails(["stress", scenario, "--only", "nope"], capsys)
    assert "expected PATH=V1,V2" in _fails(["sweep", scenario, "--param", "markets.*.params.x"], capsys)
    assert "no [optimize] table" in _fails(["optimize", scenario], capsys)
    assert "the following arguments are required: --train" in _fails(["walkforward", scenario, "--test", "5"], capsys)
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("[scenario\n")
    assert "not valid TOML" in _fails(["montecarlo", str(bad_toml)], capsys)
    space = write_scenario(tmp_path, name="space.toml", extra='[optimize]\nsampler = "anneal"\n'
                                                             '[[optimize.params]]\npath = "a"\nlow = 1\nhigh = 2\n')
    assert "optimize.sampler: must be one of" in _fails(["optimize", str(space)], capsys)
    replay_less = write_scenario(tmp_path, name="wf.toml", extra='[optimize]\n[[optimize.params]]\npath = "a"\n'
                                                                 'low = 1\nhigh = 2\n')
    assert 'needs a market with kind = "replay"' in _fails(
        ["walkforward", str(replay_less), "--train", "5", "--test", "5", "--out", str(tmp_path / "o")], capsys)
