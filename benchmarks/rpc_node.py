"""Throughput, latency and memory of the LiteSVM RPC node (the figures of issue 22).

Runs `perpkeep localnet up` in its own process (the node is one asyncio thread: one core) and
drives it from this process with keep-alive HTTP connections and websockets. Prints:

- getAccountInfo/s and getProgramAccounts/s with ``--connections`` concurrent clients;
- sendTransaction/s (deposits with preflight), beside a bare ``LiteSVM.send_transaction`` loop of
  deposits of the same shape run in this process, and their ratio (goal >= 50%), in wall time and in
  each side's own CPU time (the steadier one on a shared machine). The two take turns for
  ``--send-rounds`` rounds (node, bare, node, bare, ...), so that a change in the machine's load falls
  on both sides alike; every round is printed, then the median of the rounds' ratios;
- accountNotification latency p50/p99 (send -> notification, processed) with ``--subscriptions``
  subscriptions to the written account, spread over ``--ws-connections`` websockets;
- the node's RSS after ``--history`` more transactions;
- with ``--memory`` only that, on fresh nodes with 50 ms slots: once with a short pruning window
  (``--pruned-window`` slots) and once with a window covering the whole run. Transactions are kept
  as long as their block, but at least the status cache's 300 slots (15 s at 50 ms).

Nothing is asserted.

    python3 -m benchmarks.rpc_node [--requests 10000] [--transactions 2000] [--connections 8] [--history 100000]
    python3 -m benchmarks.rpc_node --memory [--history 100000] [--pruned-window 100]
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

    def __init__(self, users: int, *extra: str) -> None:
        self.rpc_port, self.ws_port = _free_port(), _free_port()
        self.out = Path(tempfile.mkdtemp(prefix="perpkeep-bench-")) / "net"
        argv = [sys.executable, "-m", "perpkeep_cli", "localnet", "up", "--rpc-port", str(self.rpc_port), "--ws-port",
                str(self.ws_port), "--out", str(self.out), "--users", str(users), *extra]
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


async def _read_reply(reader: asyncio.StreamReader) -> bytes:
    """Read one HTTP response with a Content-Length body; return the body."""
    head = await reader.readuntil(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return await reader.readexactly(int(value))
    raise RuntimeError(f"reply without Content-Length: {head[:200]!r}")


async def _worker(port: int, bodies: Iterator[bytes], replies: list[bytes]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for body in bodies:
            writer.write(_request(body))
            await writer.drain()
            replies.append(await _read_reply(reader))
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


async def _drain(ws: websockets.ClientConnection, stop: asyncio.Event) -> None:
    """Read and discard a websocket's messages until ``stop`` (a subscriber that keeps up)."""
    while not stop.is_set():
        try:
            async with asyncio.timeout(0.5):
                await ws.recv()
        except TimeoutError:
            continue


async def _notification_latency(node: Node, samples: int, subscriptions: int, ws_connections: int) -> list[float]:
    """Latency send -> accountNotification on the measured websocket, with ``subscriptions`` in all."""
    user = node.info["user_accounts"]["user-0"]
    txs = _deposits(node, samples, 10_000_000, only="user-0")
    sub = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "accountSubscribe",
                      "params": [user, {"encoding": "base64", "commitment": "processed"}]})
    latencies = []
    others = [await websockets.connect(f"ws://127.0.0.1:{node.ws_port}", max_queue=None)
              for _ in range(max(0, ws_connections - 1))]
    stop = asyncio.Event()
    try:
        for n in range(subscriptions - 1):  # the others first, so the measured one is notified last
            ws = others[n % len(others)] if others else None
            if ws is not None:
                await ws.send(sub)
                await ws.recv()
        drains = [asyncio.create_task(_drain(ws, stop)) for ws in others]
        async with websockets.connect(f"ws://127.0.0.1:{node.ws_port}") as ws:
            if not others:
                for _ in range(subscriptions - 1):
                    await ws.send(sub)
                    await ws.recv()
            await ws.send(sub)
            json.loads(await ws.recv())
            reader, writer = await asyncio.open_connection("127.0.0.1", node.rpc_port)
            for i, tx in enumerate(txs):
                started = time.perf_counter()
                writer.write(_request(_send_body(tx, i)))
                await writer.drain()
                seen = 0
                async with asyncio.timeout(10):
                    # with every subscription on this socket, the last of this transaction's notifications
                    while seen < (1 if others else subscriptions):
                        msg = json.loads(await ws.recv())
                        seen += msg.get("method") == "accountNotification"
                latencies.append(time.perf_counter() - started)
                await _read_reply(reader)
            writer.close()
        stop.set()
        await asyncio.gather(*drains)
    finally:
        for ws in others:
            await ws.close()
    return latencies


def _rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def _history(node: Node, count: int, connections: int, chunk: int = 10_000) -> tuple[float, int]:
    """Send ``count`` more deposits (fresh blockhash per ``chunk``); return the time taken and the failures."""
    elapsed, failed, first = 0.0, 0, 3_000
    for start in range(0, count, chunk):
        n = min(chunk, count - start)
        bodies = [_send_body(tx, i) for i, tx in enumerate(_deposits(node, n, first + start))]
        took, replies = asyncio.run(_blast(node.rpc_port, bodies, connections))
        elapsed += took
        failed += sum(b'"error"' in r for r in replies)
    return elapsed, failed


def _memory(count: int, connections: int, slot_ms: int, windows: tuple[int, ...]) -> None:
    """RSS of a fresh node after ``count`` transactions, once per ``--history-slots`` window."""
    for window in windows:
        node = Node(4, "--slot-ms", str(slot_ms), "--history-slots", str(window))
        try:
            start = _rss_mib(node.proc.pid) or 0
            # a fresh blockhash every 500 transactions: it stays valid 150 slots, 7.5 s at 50 ms
            elapsed, failed_n = _history(node, count, connections, chunk=500)
            first = _rpc(node.rpc_port, "minimumLedgerSlot", [])["result"]
            slot = _rpc(node.rpc_port, "getSlot", [{"commitment": "processed"}])["result"]
            print(f"--history-slots {window:>6} ({slot_ms} ms slots): RSS {start:,.0f} MiB at start, "
                  f"{_rss_mib(node.proc.pid) or 0:,.0f} MiB after {count:,} transactions ({count / elapsed:,.0f}/s, "
                  f"{failed_n} failed); slots {first}..{slot} kept")
        finally:
            node.stop()


def _send_rounds(node: Node, count: int, connections: int, rounds: int, users: int) -> list[tuple[float, float | None, float, float]]:
    """Rounds of ``count`` deposits sent to the node (preflight) and then through a bare LiteSVM send loop
    in this process, turn about; per round: (node per s, node per node CPU-second or None, bare per s,
    bare per CPU-second)."""
    from benchmarks.inprocess_tx import bare_litesvm

    bare = bare_litesvm(users, count)
    out = []
    for r in range(rounds):
        bodies = [_send_body(tx, i) for i, tx in enumerate(_deposits(node, count, 1 + r * count))]
        cpu0 = _cpu_seconds(node.proc.pid)
        elapsed, replies = asyncio.run(_blast(node.rpc_port, bodies, connections))
        cpu1 = _cpu_seconds(node.proc.pid)
        failed = [b for b in replies if b'"error"' in b]
        assert not failed, failed[:1]
        cpu = cpu1 - cpu0 if cpu0 is not None and cpu1 is not None and cpu1 > cpu0 else None
        b = bare(r)
        out.append((count / elapsed, count / cpu if cpu else None, b.wall_rate, b.cpu_rate))
    return out


def _rate_line(name: str, count: int, elapsed: float, cpu: float | None, what: str) -> str:
    per_cpu = f", node CPU {cpu:.2f} s = {count / cpu:,.0f} per CPU-second" if cpu else ""
    return f"{name:<19}{count / elapsed:8,.0f} {what}/s  ({count} {what}{per_cpu})"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=10_000, help="getAccountInfo requests")
    p.add_argument("--program-requests", type=int, default=1_000, help="getProgramAccounts requests")
    p.add_argument("--transactions", type=int, default=2_000, help="sendTransaction deposits per round")
    p.add_argument("--send-rounds", type=int, default=5, help="rounds of the node and the bare loop, turn about")
    p.add_argument("--price-cadence", type=int, default=1,
                   help="the node publishes oracle prices every this many slots (localnet up's default: 1)")
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--samples", type=int, default=100, help="notification latency samples")
    p.add_argument("--subscriptions", type=int, default=1_000)
    p.add_argument("--ws-connections", type=int, default=10)
    p.add_argument("--history", type=int, default=100_000, help="transactions sent before RSS is read (0: skip)")
    p.add_argument("--memory", action="store_true",
                   help="only the memory figure: RSS after --history transactions on fresh nodes with 50 ms slots, "
                        "with a pruning window of --pruned-window slots and with one covering the whole run")
    p.add_argument("--pruned-window", type=int, default=100, help="--history-slots of the pruned run (--memory)")
    args = p.parse_args(argv)
    if args.memory:
        _memory(args.history, args.connections, 50, (args.pruned_window, 100_000))
        return 0
    users = 4
    node = Node(users, "--price-cadence", str(args.price_cadence))
    pid = node.proc.pid

    def timed(bodies: list[bytes]) -> tuple[float, list[bytes], float | None]:
        cpu0 = _cpu_seconds(pid)
        elapsed, replies = asyncio.run(_blast(node.rpc_port, bodies, args.connections))
        cpu1 = _cpu_seconds(pid)
        return elapsed, replies, (cpu1 - cpu0 if cpu0 is not None and cpu1 is not None and cpu1 > cpu0 else None)

    try:
        print(f"node RSS at start: {_rss_mib(pid) or 0:,.0f} MiB; {args.connections} concurrent HTTP clients; "
              f"oracle prices published every {args.price_cadence} slot(s)")
        exchange = node.info["exchange"]
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "getAccountInfo",
                           "params": [exchange, {"encoding": "base64", "commitment": "processed"}]}).encode()
        elapsed, replies, cpu = timed([body] * args.requests)
        assert all(b'"result"' in r for r in replies), "getAccountInfo failed"
        print(_rate_line("getAccountInfo", args.requests, elapsed, cpu, "requests"))

        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "getProgramAccounts",
                           "params": [str(PROGRAM_ID), {"encoding": "base64", "commitment": "processed"}]}).encode()
        elapsed, replies, cpu = timed([body] * args.program_requests)
        assert all(b'"result"' in r for r in replies), "getProgramAccounts failed"
        accounts = len(json.loads(replies[0])["result"])
        print(_rate_line("getProgramAccounts", args.program_requests, elapsed, cpu, "requests")
              + f" [{accounts} accounts each]")

        print(f"sendTransaction (deposits, preflight) against a bare LiteSVM loop of the same deposits in this "
              f"process: {args.send_rounds} rounds of {args.transactions}, turn about")
        rounds = _send_rounds(node, args.transactions, args.connections, args.send_rounds, users)
        for i, (node_rate, node_cpu, bare, bare_cpu) in enumerate(rounds, 1):
            per_cpu = (f"; per CPU-second node {node_cpu:,.0f}, bare {bare_cpu:,.0f}: {node_cpu / bare_cpu:.0%}"
                       if node_cpu else "")
            print(f"  round {i}: node {node_rate:,.0f}/s, bare {bare:,.0f}/s: {node_rate / bare:.0%}{per_cpu}")
        cpu_ratios = [n / b for _, n, _, b in rounds if n]
        print(f"node / bare, median of {len(rounds)} rounds: wall {statistics.median(r[0] / r[2] for r in rounds):.0%}"
              + (f", per CPU-second {statistics.median(cpu_ratios):.0%} (the steadier one on a shared machine:"
                 " each side's own CPU time)" if cpu_ratios else ""))

        lat = sorted(asyncio.run(_notification_latency(node, args.samples, args.subscriptions, args.ws_connections)))
        if lat:
            p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
            print(f"accountNotification latency (send -> notification, processed, {args.subscriptions} subscriptions "
                  f"over {args.ws_connections} websockets): p50 {statistics.median(lat) * 1000:.2f} ms, "
                  f"p99 {p99 * 1000:.2f} ms, max {lat[-1] * 1000:.2f} ms ({len(lat)} samples)")

        if args.history:
            elapsed, failed_n = _history(node, args.history, args.connections)
            print(f"node RSS after {args.history:,} more transactions ({args.history / elapsed:,.0f}/s, {failed_n} failed): "
                  f"{_rss_mib(pid) or 0:,.0f} MiB")
    finally:
        node.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
