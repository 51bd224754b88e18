"""``perpkeep run`` and ``perpkeep status`` as a user meets them: a real process (``python -m perpkeep_cli``).

Every mistake (config, keypair, cluster, arguments) ends the process with a non-zero status and one
clear line on stderr, never a traceback, and never a hang: each process is bounded by a timeout. The
success cases run against the LiteSVM RPC node of ``tests/integration/localnet`` in this process.
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from localnet.deployment import write_deployment
from tests.integration.localnet.conftest import LocalNode, start_node, stop_node

ROOT = Path(__file__).resolve().parents[3]
TIMEOUT_S = 30.0
FAIL_FAST_S = 10.0  # an unusable cluster is reported within this (the client retries 3 times with backoff)


def _run(*args: str, timeout_s: float = TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERPKEEP_")}
    return subprocess.run([sys.executable, "-m", "perpkeep_cli", *args], capture_output=True, text=True,
                          timeout=timeout_s, cwd=ROOT, env=env)


def _one_error_line(r: subprocess.CompletedProcess[str]) -> str:
    """The process failed with exactly one line on stderr and no traceback; return the line."""
    assert r.returncode != 0, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("perpkeep: "), r.stderr
    return lines[0]


def _keypair(path: Path, values: object = None, mode: int = 0o600) -> Path:
    path.write_text(json.dumps(list(range(64)) if values is None else values) if not isinstance(values, str) else values)
    os.chmod(path, mode)
    return path


def _config(tmp: Path, rpc_url: str = "http://127.0.0.1:8899", keypair: Path | None = None, extra: str = "",
            ws_url: str | None = None) -> Path:
    """A keeper configuration; logging at warning so that stderr holds only what the user must read."""
    from solders.keypair import Keypair

    if keypair is None:
        keypair = _keypair(tmp / "keeper.json", list(bytes(Keypair())))
    ws = f'ws_url = "{ws_url}"\n' if ws_url else ""
    path = tmp / "keeper.toml"
    path.write_text(f'[cluster]\nrpc_url = "{rpc_url}"\n{ws}request_timeout_s = 2.0\n\n'
                    f'[keeper]\nkeypair_path = "{keypair}"\njournal_path = "{tmp / "journal.sqlite"}"\n\n'
                    f'[metrics]\nport = 0\n\n[logging]\nlevel = "warning"\nformat = "text"\n{extra}')
    return path


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- configuration -------------------------------------------------------------------------------------
def test_run_with_a_missing_config_file(tmp_path: Path) -> None:
    line = _one_error_line(_run("run", "--config", str(tmp_path / "nope.toml")))
    assert "cannot read config" in line and "No such file" in line
    assert line.count("nope.toml") == 1, line  # the path once, not "config X: X: ..."


def test_run_with_a_toml_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "keeper.toml"
    path.write_text('[cluster]\nrpc_url = "http://127.0.0.1:8899\n')
    line = _one_error_line(_run("run", "--config", str(path)))
    assert "invalid TOML" in line and "line 2" in line and line.count("keeper.toml") == 1


def test_run_with_an_unknown_key(tmp_path: Path) -> None:
    line = _one_error_line(_run("run", "--config", str(_config(tmp_path, extra="\n[bots.liquidator]\nderisc = true\n"))))
    assert "bots.liquidator.derisc" in line and "derisk" in line  # names the key and suggests the right one


def test_run_with_a_bad_value(tmp_path: Path) -> None:
    path = _config(tmp_path)
    path.write_text(path.read_text().replace('port = 0', 'port = 70000'))
    line = _one_error_line(_run("run", "--config", str(path)))
    assert "metrics.port" in line and "70000" in line


# -- the keypair ------------------------------------------------------------------------------------------
def test_run_with_a_keypair_readable_by_others(tmp_path: Path) -> None:
    key = _keypair(tmp_path / "keeper.json", mode=0o644)
    line = _one_error_line(_run("run", "--config", str(_config(tmp_path, keypair=key))))
    assert "chmod 600" in line and str(key) in line and "644" in line


def test_run_with_a_keypair_that_is_not_json(tmp_path: Path) -> None:
    key = _keypair(tmp_path / "keeper.json", "[12, 34, oops")
    line = _one_error_line(_run("run", "--config", str(_config(tmp_path, keypair=key))))
    assert "not valid JSON" in line and "oops" not in line  # never echoes key material


def test_run_with_a_keypair_of_the_wrong_length(tmp_path: Path) -> None:
    key = _keypair(tmp_path / "keeper.json", list(range(32)))
    line = _one_error_line(_run("run", "--config", str(_config(tmp_path, keypair=key))))
    assert "64 numbers" in line


# -- the cluster ----------------------------------------------------------------------------------------
def test_run_against_a_closed_port_fails_fast(tmp_path: Path) -> None:
    port = _closed_port()
    started = time.monotonic()
    r = _run("run", "--config", str(_config(tmp_path, f"http://127.0.0.1:{port}")))
    elapsed = time.monotonic() - started
    line = _one_error_line(r)
    assert f"cannot reach the cluster at http://127.0.0.1:{port}" in line
    assert "ConnectError" in line or "onnect" in line
    assert elapsed < FAIL_FAST_S, f"took {elapsed:.1f} s to give up"


class _Garbage(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b"<html>this is not a JSON-RPC node</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def garbage_server() -> Iterator[str]:
    """A 127.0.0.1 HTTP server answering every POST with 200 and an HTML page."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_run_against_a_server_that_answers_garbage(tmp_path: Path, garbage_server: str) -> None:
    started = time.monotonic()
    line = _one_error_line(_run("run", "--config", str(_config(tmp_path, garbage_server))))
    assert garbage_server in line and "not JSON" in line and "this is not a JSON-RPC node" in line
    assert time.monotonic() - started < FAIL_FAST_S


# -- arguments ------------------------------------------------------------------------------------------
def test_run_with_unknown_bots(tmp_path: Path) -> None:
    r = _run("run", "--config", str(_config(tmp_path)), "--bots", "nonsense")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    errors = [line for line in r.stderr.splitlines() if "error" in line]  # argparse adds its usage line above
    assert len(errors) == 1, r.stderr
    assert "--bots" in errors[0] and "nonsense" in errors[0] and "liquidator" in errors[0]


def test_status_against_a_closed_port() -> None:
    port = _closed_port()
    started = time.monotonic()
    line = _one_error_line(_run("status", "--rpc-url", f"http://127.0.0.1:{port}", "--timeout", "2"))
    assert f"cannot read the exchange from http://127.0.0.1:{port}" in line
    assert time.monotonic() - started < FAIL_FAST_S


def test_status_with_a_bad_program_id() -> None:
    line = _one_error_line(_run("status", "--program-id", "notakey"))
    assert "--program-id 'notakey' is not a base58 public key" in line


# -- against a node ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def node(perp_program: bytes) -> Iterator[LocalNode]:
    n = start_node(perp_program)
    yield n
    stop_node(n)


def test_status_shows_the_markets_of_a_node(node: LocalNode) -> None:
    r = _run("status", "--rpc-url", node.rpc_url, "--program-id", str(node.deployment.program_id))
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert "markets" in r.stdout and "insurance fund" in r.stdout
    for m in node.deployment.markets:
        assert m.name in r.stdout


def test_run_against_a_node_stops_cleanly_on_sigint(node: LocalNode, tmp_path: Path) -> None:
    paths = write_deployment(node.deployment, tmp_path / "net")
    config = paths["keeper-config"]
    config.write_text(config.read_text() + '\n[metrics]\nport = 0\n\n[logging]\nformat = "text"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERPKEEP_")}
    proc = subprocess.Popen([sys.executable, "-m", "perpkeep_cli", "run", "--config", str(config), "--bots", "mark_price"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env)
    lines: list[str] = []
    started = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if "keeper started" in line:
                started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert started.wait(TIMEOUT_S), "".join(lines)
        time.sleep(2.0)  # a few seconds of running: slots, oracle updates, mark-price ticks
        assert proc.poll() is None, "".join(lines)
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=5)
    err = "".join(lines)
    assert code == 0, err
    assert "Traceback" not in err and "ERROR" not in err, err
    assert "bots mark_price" in err
    journal = config.parent / "perpkeep-journal.sqlite"
    assert journal.exists()


def test_run_with_a_market_the_node_lacks(node: LocalNode, tmp_path: Path) -> None:
    paths = write_deployment(node.deployment, tmp_path / "net")
    config = paths["keeper-config"]
    config.write_text(config.read_text() + '\n[metrics]\nport = 0\n\n[logging]\nlevel = "warning"\nformat = "text"\n'
                      '\n[[markets]]\nindex = 9\n')
    r = _run("run", "--config", str(config), "--bots", "mark_price")
    line = _one_error_line(r)
    # `localnet up` lists the node's two markets; the third entry is the bad one.
    assert f"config {config}: markets[2].index: market 9 is not on chain (markets there: 0, 1)" in line, line


def test_run_with_its_journal_on_a_full_disk(node: LocalNode, tmp_path: Path) -> None:
    from tests.unit.keepers.support import fill, tmpfs

    paths = write_deployment(node.deployment, tmp_path / "net")
    config = paths["keeper-config"]
    with tmpfs(tmp_path / "disk", 64) as disk:
        fill(disk)
        config.write_text(config.read_text() + f'\n[metrics]\nport = 0\n\n[logging]\nlevel = "warning"\nformat = "text"\n')
        env_journal = {"PERPKEEP_KEEPER__JOURNAL_PATH": str(disk / "journal.sqlite")}
        env = {k: v for k, v in os.environ.items() if not k.startswith("PERPKEEP_")} | env_journal
        r = subprocess.run([sys.executable, "-m", "perpkeep_cli", "run", "--config", str(config), "--bots", "mark_price"],
                           capture_output=True, text=True, timeout=TIMEOUT_S, cwd=ROOT, env=env)
    line = _one_error_line(r)
    assert line.startswith(f"perpkeep: keeper stopped: journal {disk / 'journal.sqlite'}"), line
    assert "full" in line, line
