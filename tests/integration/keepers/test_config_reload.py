"""SIGHUP to a running ``perpkeep run``: the file is validated first; a bad one is refused with its error and
the running configuration stays; a good one applies its live sections at once and names what needs a
restart. A real process, real signals, read back through its log and its /health and /metrics."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from benchmarks.keeper_process import KeeperProcess
from tests.integration.keepers.harness import KeeperWorld

pytestmark = pytest.mark.slow


def _insurance_timeout(keeper: KeeperProcess) -> float:
    status, body = keeper.get("/health")
    return json.loads(body)["bots"]["insurance"]["timeout_s"]


def _reloads(keeper: KeeperProcess, result: str) -> float:
    for line in keeper.get("/metrics")[1].splitlines():
        if line.startswith(f'perpkeep_config_reloads_total{{result="{result}"}}'):
            return float(line.split()[-1])
    return 0.0


def test_sighup_refuses_a_bad_file_and_applies_a_good_one(perp_program: bytes, mock_oracle_program: bytes,
                                                           tmp_path: Path) -> None:
    world = KeeperWorld.start(perp_program, mock_oracle_program, tmp_path)
    path = world.config_file(tmp_path / "journal.sqlite", "[bots.insurance]\ninterval_s = 10.0\n")
    good = path.read_text()
    keeper = KeeperProcess(path, log_path=tmp_path / "keeper.log", label="keeper")
    try:
        keeper.start().wait_for("keeper started", 60)
        assert _insurance_timeout(keeper) == 100.0  # the watchdog: 10 intervals

        path.write_text(good.replace("interval_s = 10.0", "interval_s = -1"))
        mark = len(keeper.lines)
        keeper.signal(signal.SIGHUP)
        line = keeper.lines[keeper.wait_for("config reload refused", 15, after=mark)]
        assert "bots.insurance.interval_s: must be a number > 0, got -1" in line, line
        path.write_text(good + "[bots.insurance\n")  # not TOML at all
        mark = len(keeper.lines)
        keeper.signal(signal.SIGHUP)
        assert "invalid TOML" in keeper.lines[keeper.wait_for("config reload refused", 15, after=mark)]
        assert keeper.proc is not None and keeper.proc.poll() is None
        assert _insurance_timeout(keeper) == 100.0  # the running configuration stayed
        assert _reloads(keeper, "refused") == 2.0 and _reloads(keeper, "applied") == 0.0

        path.write_text(good.replace("interval_s = 10.0", "interval_s = 5.0")
                        .replace("deviation_bps = 10", "deviation_bps = 25")
                        .replace("request_timeout_s = 5.0", "request_timeout_s = 7.0"))
        mark = len(keeper.lines)
        keeper.signal(signal.SIGHUP)
        applied = keeper.lines[keeper.wait_for("config reloaded", 15, after=mark)]
        assert "applied bots.insurance.interval_s, bots.mark_price.deviation_bps" in applied, applied
        restart = keeper.lines[keeper.wait_for("need a restart", 15, after=mark)]
        assert "cluster.request_timeout_s" in restart and "bots." not in restart, restart
        assert _insurance_timeout(keeper) == 50.0  # applied in the running process
        assert _reloads(keeper, "applied") == 1.0
        assert keeper.find("Traceback") is None, keeper.tail()
        assert keeper.stop() == 0
    finally:
        keeper.kill()
        world.stop()
