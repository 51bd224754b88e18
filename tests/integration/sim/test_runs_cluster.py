"""`perpkeep sim montecarlo --cluster ADDRESS` on a real Ray cluster: a head node with two worker
processes, over TCP on 127.0.0.1, started with `ray start` in a temporary folder and stopped by its id."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from localnet.services.postgres import free_port
from tests.unit.sim.runs_support import project_root, run_fn_args, write_scenario

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0
DRIVER_TIMEOUT_S = 120.0


def cluster_env() -> dict[str, str]:
    """The environment of the head and of the driver: this project importable, token authentication with a
    token of the test's own (Ray's way: RAY_AUTH_MODE and RAY_AUTH_TOKEN, never ~/.ray)."""
    path = os.pathsep.join(p for p in (project_root(), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": secrets.token_hex(32)}


@contextlib.contextmanager
def ray_head(env: dict[str, str]) -> Iterator[str]:
    """`ray start --head --block` on 127.0.0.1 with two CPUs; yields its address; stops it (SIGTERM to the
    process it started, then SIGKILL to that process group)."""
    ray = Path(sys.executable).parent / "ray"
    temp = tempfile.mkdtemp(prefix="pk-rayc-", dir="/tmp")  # short: Ray's Unix socket paths are limited
    port = free_port()
    log = open(Path(temp) / "ray-start.log", "wb")  # noqa: SIM115 - the head writes it until stopped
    proc = subprocess.Popen(
        [str(ray), "start", "--head", "--block", "--node-ip-address", "127.0.0.1", "--port", str(port),
         "--num-cpus", "2", "--include-dashboard", "false", "--disable-usage-stats", "--temp-dir", temp,
         "--dashboard-agent-listen-port", str(free_port()),
         "--dashboard-agent-grpc-port", str(free_port()), "--runtime-env-agent-port", str(free_port()),
         "--metrics-export-port", str(free_port())],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"ray start did not listen on {port}:\n{(Path(temp) / 'ray-start.log').read_text()[-3000:]}")
            time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # anything of its own session still there
        proc.wait(STOP_TIMEOUT_S)
        import shutil

        shutil.rmtree(temp, ignore_errors=True)


@pytest.mark.slow
def test_montecarlo_on_a_two_worker_cluster(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path, slots=15)
    out = tmp_path / "out"
    env = cluster_env()
    with ray_head(env) as address:
        done = subprocess.run([sys.executable, "-m", "sim.runs_cli", "montecarlo", str(scenario), "--seeds", "3",
                               "--cluster", address, "--out", str(out), "--no-progress", *run_fn_args()],
                              env=env, capture_output=True, text=True, timeout=DRIVER_TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Monte Carlo: 3 of 3 seeds" in done.stdout
    seeds = []
    for seed in (7, 8, 9):
        run = orjson.loads((out / "runs" / f"seed-{seed}.json").read_bytes())
        seeds.append(run["seed"])
        assert run["scenario"]["scenario"]["name"] == "small-crash" and "protocol.bad_debt" in run["summary"]
    assert seeds == [7, 8, 9]
    agg = orjson.loads((out / "montecarlo.json").read_bytes())
    assert agg["runs"] == 3 and "protocol.bad_debt" in agg["metrics"]
