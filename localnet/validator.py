"""solana-test-validator launcher: the command line (a pure function), start, health wait, stop.

The validator runs with a throwaway ledger (``--reset``), listens on 127.0.0.1 only, and loads
each program with ``--bpf-program ADDRESS PATH`` (``--upgradeable-program ADDRESS PATH AUTHORITY`` for the
perp program, whose upgrade authority alone may initialise the exchange); its websocket is served on ``rpc_port + 1``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from solders.pubkey import Pubkey

DEFAULT_BINARY = "solana-test-validator"


@dataclass(frozen=True)
class ValidatorSpec:
    """How to run solana-test-validator."""

    ledger: Path
    programs: tuple[tuple[Pubkey, Path], ...]
    # (address, path, upgrade authority): deployed by the upgradeable loader, with a ProgramData account
    upgradeable_programs: tuple[tuple[Pubkey, Path, Pubkey], ...] = ()
    binary: str = DEFAULT_BINARY
    rpc_port: int = 8899
    faucet_port: int = 9900
    gossip_port: int = 8001
    dynamic_port_range: tuple[int, int] = (8002, 8020)
    bind_address: str = "127.0.0.1"
    slots_per_epoch: int | None = None
    extra_args: tuple[str, ...] = field(default_factory=tuple)

    @property
    def rpc_url(self) -> str:
        return f"http://{self.bind_address}:{self.rpc_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.bind_address}:{self.rpc_port + 1}"


def validator_argv(spec: ValidatorSpec) -> list[str]:
    """Return the solana-test-validator command line for ``spec``."""
    argv = [
        spec.binary,
        "--ledger", str(spec.ledger),
        "--reset",
        "--quiet",
        "--bind-address", spec.bind_address,
        "--rpc-port", str(spec.rpc_port),
        "--faucet-port", str(spec.faucet_port),
        "--gossip-port", str(spec.gossip_port),
        "--dynamic-port-range", f"{spec.dynamic_port_range[0]}-{spec.dynamic_port_range[1]}",
    ]
    if spec.slots_per_epoch is not None:
        argv += ["--slots-per-epoch", str(spec.slots_per_epoch)]
    for program_id, path in spec.programs:
        argv += ["--bpf-program", str(program_id), str(path)]
    for program_id, path, authority in spec.upgradeable_programs:
        argv += ["--upgradeable-program", str(program_id), str(path), str(authority)]
    return argv + list(spec.extra_args)


def find_validator(binary: str = DEFAULT_BINARY) -> str | None:
    """Return the path of the validator binary, or None when it is not on PATH."""
    return shutil.which(binary)


def rpc_healthy(rpc_url: str, timeout_s: float = 1.0) -> bool:
    """True when the endpoint answers getHealth with "ok"."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "getHealth"}).encode()
    req = urllib.request.Request(rpc_url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            return json.loads(resp.read()).get("result") == "ok"
    except (OSError, ValueError, urllib.error.URLError):
        return False


class ValidatorProcess:
    """A running solana-test-validator with its log file."""

    def __init__(self, spec: ValidatorSpec, log_path: Path) -> None:
        self.spec = spec
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ValidatorProcess:
        """Start the process (in its own process group, output to the log file)."""
        self.spec.ledger.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(validator_argv(self.spec), stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        return self

    def wait_healthy(self, timeout_s: float = 60.0, poll_s: float = 0.25) -> None:
        """Wait until getHealth says ok; RuntimeError with the log tail when it exits or times out."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"solana-test-validator exited with {self.proc.returncode}\n{self.log_tail()}")
            if rpc_healthy(self.spec.rpc_url):
                return
            time.sleep(poll_s)
        raise RuntimeError(f"solana-test-validator not healthy within {timeout_s} s\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the validator's output."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the validator's process group: SIGINT, then SIGKILL after ``timeout_s``."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout_s)


__all__ = ["ValidatorProcess", "ValidatorSpec", "find_validator", "rpc_healthy", "validator_argv"]
