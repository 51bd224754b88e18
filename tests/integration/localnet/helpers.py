"""Shared helpers of the RPC node tests: transactions built from the deployment's wallets, and a
`perpkeep localnet up` child process."""

from __future__ import annotations

import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from solana.rpc.async_api import AsyncClient
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from keepers.exchange import instructions as ix
from localnet.deployment import Deployment


def user(dep: Deployment, i: int) -> tuple[Keypair, Pubkey, Pubkey]:
    """Return (keypair, margin account, token account) of deployment user ``i``."""
    return dep.wallets[f"user-{i}"], dep.user_accounts[f"user-{i}"], dep.user_accounts[f"user-{i}-tokens"]


def signed(payer: Keypair, ixs: list[Instruction], blockhash: Hash, signers: list[Keypair] | None = None) -> VersionedTransaction:
    """Return a v0 transaction paid and signed by ``payer`` (and ``signers``)."""
    msg = MessageV0.try_compile(payer.pubkey(), ixs, [], blockhash)
    return VersionedTransaction(msg, [payer, *(signers or [])])


async def deposit_tx(client: AsyncClient, dep: Deployment, i: int, amount: int) -> VersionedTransaction:
    """A signed deposit of ``amount`` by user ``i`` with the latest blockhash."""
    kp, _, tokens = user(dep, i)
    blockhash = (await client.get_latest_blockhash("processed")).value.blockhash
    return signed(kp, [ix.deposit(kp.pubkey(), tokens, amount, 0, dep.program_id)], blockhash)


READY_LINE = "Ctrl-C to stop"


def free_port() -> int:
    """A TCP port of 127.0.0.1 free at the time of asking."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def up_argv(*args: str) -> list[str]:
    """The command line of `perpkeep localnet up` with ``args``."""
    return [sys.executable, "-m", "perpkeep_cli", "localnet", "up", *args]


class Running:
    """A `localnet up` process whose output lines are read on a thread."""

    def __init__(self, argv: list[str]) -> None:
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     cwd=Path(__file__).resolve().parents[3])
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout_s: float) -> float:
        """Wait until a line containing ``text`` is printed; return the seconds since start."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.05)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            self.seen.append(line)
            if text in line:
                return time.monotonic() - self.started
        self.stop()
        err = self.proc.stderr.read() if self.proc.stderr else ""
        raise AssertionError(f"{text!r} not printed within {timeout_s} s\nstdout:\n" + "\n".join(self.seen) + f"\nstderr:\n{err[-3000:]}")

    def stop(self, timeout_s: float = 10.0) -> int:
        """SIGINT (SIGKILL after ``timeout_s``); return the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout_s)
        return self.proc.returncode
