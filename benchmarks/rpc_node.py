"""Throughput and latency of the LiteSVM RPC node: getAccountInfo/s, sendTransaction/s, notification latency.

Runs `perpkeep localnet up` in its own process (the node is one asyncio thread: one core) and
drives it from this process with keep-alive HTTP connections and a websocket. Prints the figures;
nothing is asserted (targets on one core: >= 2,000 getAccountInfo/s, >= 500 sendTransaction/s).

    python3 -m benchmarks.rpc_node [--requests 10000] [--transactions 2000] [--connections 8]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import websockets
from solders.hash import Hash
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from keepers.exchange import instructions as ix
from localnet.deployment import read_keypair
from programs_client.perp.program_id import PROGRAM_ID


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


class Node:
    """`perpkeep localnet up` in a child process."""

    def __init__(self, users: int) -> None:
        self.rpc_port, self.ws_port = _free_port(), _free_port()
        self.out = Path(tempfile.mkdtemp(prefix="perpkeep-bench-")) / "net"
        argv = [sys.executable, "-m", "perpkeep_cli", "localnet", "up", "--rpc-port", str(self.rpc_port), "--ws-port",
                str(self.ws_port), "--out", str(self.out), "--users", str(users)]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if "Ctrl-C to stop" in line or time.monotonic() > deadline:
                break
        if self.proc.poll() is not None:
            raise RuntimeError(f"node failed to start: {self.proc.stderr.read() if self.proc.stderr else ''}")
        self.info = json.loads((self.out / "deployment.json").read_text())

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        shutil.rmtree(self.out.parent, ignore_errors=True)


def _request(body: bytes) -> bytes:
    return b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " + \
        str(len(body)).encode() + b"\r\n\r\n" + body


async def _worker(port: int, bodies: Iterator[bytes], replies: list[bytes]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for body in bodies:
            writer.write(_request(body))
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.split(b"Content-Length: ", 1)[1].split(b"\r\n", 1)[0])
            replies.append(await reader.readexactly(length))
    finally:
        writer.close()


async def _blast(port: int, bodies: list[bytes], connections: int) -> tuple[float, list[bytes]]:
    it = iter(bodies)
    replies: list[bytes] = []
    started = time.perf_counter()
    await asyncio.gather(*(_worker(port, it, replies) for _ in range(connections)))
    return time.perf_counter() - started, replies


def _rpc(port: int, method: str, params: list) -> dict:
    import urllib.request

    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def _deposits(node: Node, count: int, first_amount: int, only: str | None = None) -> list[VersionedTransaction]:
    """Signed, distinct deposits spread over the users (or by user ``only``), with one recent blockhash."""
    blockhash = Hash.from_string(_rpc(node.rpc_port, "getLatestBlockhash", [{"commitment": "processed"}])["result"]["value"]["blockhash"])
    users = [(read_keypair(Path(w["path"])), name) for name, w in node.info["wallets"].items()
             if name.startswith("user-") and (only is None or name == only)]
    txs = []
    for i in range(count):
        kp, name = users[i % len(users)]
        tokens = Pubkey.from_string(node.info["user_accounts"][f"{name}-tokens"])
        msg = MessageV0.try_compile(kp.pubkey(), [ix.deposit(kp.pubkey(), tokens, first_amount + i, 0, PROGRAM_ID)], [], blockhash)
        txs.append(VersionedTransaction(msg, [kp]))
    return txs


def _send_body(tx: VersionedTransaction, i: int) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": i, "method": "sendTransaction",
                       "params": [base64.b64encode(bytes(tx)).decode(), {"encoding": "base64"}]}).encode()


async def _notification_latency(node: Node, samples: int) -> list[float]:
    user = node.info["user_accounts"]["user-0"]
    txs = _deposits(node, samples, 10_000_000, only="user-0")
    latencies = []
    async with websockets.connect(f"ws://127.0.0.1:{node.ws_port}") as ws:
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "accountSubscribe",
                                  "params": [user, {"encoding": "base64", "commitment": "processed"}]}))
        json.loads(await ws.recv())
        reader, writer = await asyncio.open_connection("127.0.0.1", node.rpc_port)
        for i, tx in enumerate(txs):
            started = time.perf_counter()
            writer.write(_request(_send_body(tx, i)))
            await writer.drain()
            async with asyncio.timeout(5):
                while True:
                    msg = json.loads(await ws.recv())
                    if msg.get("method") == "accountNotification":
                        latencies.append(time.perf_counter() - started)
                        break
            head = await reader.readuntil(b"\r\n\r\n")
            await reader.readexactly(int(head.split(b"Content-Length: ", 1)[1].split(b"\r\n", 1)[0]))
        writer.close()
    return latencies


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=10_000)
    p.add_argument("--transactions", type=int, default=2_000)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--samples", type=int, default=100)
    args = p.parse_args(argv)
    node = Node(users=4)
    try:
        exchange = node.info["exchange"]
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "getAccountInfo",
                           "params": [exchange, {"encoding": "base64", "commitment": "processed"}]}).encode()
        cpu0 = _cpu_seconds(node.proc.pid)
        elapsed, replies = asyncio.run(_blast(node.rpc_port, [body] * args.requests, args.connections))
        cpu1 = _cpu_seconds(node.proc.pid)
        assert all(b'"result"' in r for r in replies), "getAccountInfo failed"
        print(f"getAccountInfo:   {args.requests / elapsed:8,.0f} requests/s  ({args.requests} requests, "
              f"{args.connections} connections" + (f", node CPU {cpu1 - cpu0:.2f} s = {args.requests / (cpu1 - cpu0):,.0f} per CPU-second"
                 if cpu0 is not None and cpu1 is not None and cpu1 > cpu0 else "") + ")")

        txs = _deposits(node, args.transactions, 1)
        bodies = [_send_body(tx, i) for i, tx in enumerate(txs)]
        cpu0 = _cpu_seconds(node.proc.pid)
        elapsed, replies = asyncio.run(_blast(node.rpc_port, bodies, args.connections))
        cpu1 = _cpu_seconds(node.proc.pid)
        failed = [r for r in replies if b'"error"' in r]
        assert not failed, failed[:1]
        print(f"sendTransaction:  {args.transactions / elapsed:8,.0f} transactions/s  ({args.transactions} deposits with "
              f"preflight" + (f", node CPU {cpu1 - cpu0:.2f} s = {args.transactions / (cpu1 - cpu0):,.0f} per CPU-second"
                                if cpu0 is not None and cpu1 is not None and cpu1 > cpu0 else "") + ")")

        lat = sorted(asyncio.run(_notification_latency(node, args.samples)))
        if lat:
            p95 = lat[min(len(lat) - 1, int(len(lat) * 0.95))]
            print(f"account notification latency (send -> accountNotification, processed): "
                  f"p50 {statistics.median(lat) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms, max {lat[-1] * 1000:.2f} ms "
                  f"({len(lat)} samples)")
    finally:
        node.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
