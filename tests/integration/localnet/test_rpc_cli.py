"""`perpkeep localnet up` as a process: ready quickly, prints what keepers need, Ctrl-C stops it cleanly."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import tomllib
import urllib.request
from pathlib import Path

import pytest
from solders.pubkey import Pubkey

from keepers.exchange.pdas import user_pda

from localnet.deployment import read_keypair
from tests.integration.localnet.helpers import READY_LINE, Running, free_port
from tests.integration.localnet.helpers import up_argv as _cli


def _value(lines: list[str], label: str) -> str:
    for line in lines:
        if line.strip().startswith(label):
            return line.split()[-1]
    raise AssertionError(f"no {label!r} line in output")


def test_up_prints_endpoints_wallets_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    rpc_port, ws_port = free_port(), free_port()
    out = tmp_path / "net"
    run = Running(_cli("--rpc-port", str(rpc_port), "--ws-port", str(ws_port), "--out", str(out), "--slot-ms", "100"))
    try:
        elapsed = run.wait_for(READY_LINE, timeout_s=20)
        ready_s = float(run.seen[0].split("ready in ")[1].split(" s")[0])
        assert ready_s < 3.0, f"node took {ready_s} s to get ready"
        print(f"localnet up: ready in {ready_s:.2f} s in-process, {elapsed:.2f} s including interpreter start")
        assert _value(run.seen, "rpc") == f"http://127.0.0.1:{rpc_port}"
        assert _value(run.seen, "websocket") == f"ws://127.0.0.1:{ws_port}"
        program_id = _value(run.seen, "program")
        config = tomllib.loads((out / "keeper.toml").read_text())
        assert config["cluster"]["rpc_url"] == f"http://127.0.0.1:{rpc_port}"
        assert config["program"]["program_id"] == program_id and len(config["markets"]) == 2
        keeper_path = Path(config["keeper"]["keypair_path"])
        assert _value(run.seen, "keeper config") == str(out / "keeper.toml")
        for name in ("admin", "keeper", "user-0", "user-1", "mint-authority"):
            path = out / f"{name}.json"
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, name
        keeper = read_keypair(keeper_path)
        info = json.loads((out / "deployment.json").read_text())
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "getBalance", "params": [str(keeper.pubkey()), {"commitment": "processed"}]})
        req = urllib.request.Request(f"http://127.0.0.1:{rpc_port}", body.encode(), {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            # 10 SOL, less the rent and fees of its token and margin accounts (well under 0.1 SOL)
            assert 9.9 * 10**9 < json.loads(resp.read())["result"]["value"] < 10 * 10**9
        assert info["user_accounts"]["keeper"] == str(user_pda(keeper.pubkey(), 0, Pubkey.from_string(program_id)))
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "getAccountInfo", "params": [info["exchange"], {"encoding": "base64"}]})
        req = urllib.request.Request(f"http://127.0.0.1:{rpc_port}", body.encode(), {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert json.loads(resp.read())["result"]["value"]["owner"] == program_id
    finally:
        code = run.stop()
    assert code == 0
    assert "stopped" in (run.proc.stderr.read() if run.proc.stderr else "")


def test_up_refuses_a_used_port_and_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("keep")
    bad_dir = subprocess.run(_cli("--rpc-port", "0", "--ws-port", "0", "--out", str(tmp_path)), capture_output=True, text=True, timeout=60, check=False)
    assert bad_dir.returncode == 1 and "not empty" in bad_dir.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        busy = subprocess.run(_cli("--rpc-port", str(port), "--ws-port", "0", "--out", str(tmp_path / "new")),
                              capture_output=True, text=True, timeout=60, check=False)
    assert busy.returncode == 1 and "cannot listen" in busy.stderr


def test_validator_missing_is_a_clear_error(tmp_path: Path) -> None:
    run = subprocess.run(_cli("--validator", "no-such-solana-test-validator", "--out", str(tmp_path / "v")),
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 1 and "not found on PATH" in run.stderr


@pytest.mark.parametrize("args", [["--rpc-port", "70000"], ["--slot-ms", "0"]])
def test_bad_arguments_exit_2(args: list[str]) -> None:
    run = subprocess.run(_cli(*args), capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 2
