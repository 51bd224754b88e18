"""`perpkeep paper` for real: a `perpkeep localnet up --price-path external` node, paper trading as a process
with the keeper's bots, oracle prices on chain following a price file at high speed, then a websocket feed
served by a `websockets` server in the test, with a second paper run refused while the first publishes. Every
wait is bounded."""

from __future__ import annotations

import asyncio
import base64
import json
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets

from keepers.exchange.oracles import OracleKind, decode_oracle
from localnet.market_oracles import feed_id_for
from sim.data import sample_path
from tests.integration.localnet.helpers import READY_LINE, Running, free_port, up_argv

SLOT_MS = 50
REPO = Path(__file__).resolve().parents[3]  # `perpkeep_cli` runs from the worktree


class Net:
    """The running node and its deployment.json."""

    def __init__(self, run: Running, out: Path) -> None:
        self.run, self.out = run, out
        self.info: dict[str, Any] = json.loads((out / "deployment.json").read_text())

    def rpc(self, method: str, params: Any = None) -> Any:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, **({"params": params} if params is not None else {})}
        req = urllib.request.Request(self.info["rpc_url"], json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            return json.loads(resp.read())["result"]

    def prices(self, market: str) -> tuple[float, float, int]:
        """(primary, fallback, primary's publish slot) of ``market`` as the chain holds them."""
        m = next(x for x in self.info["markets"] if x["name"] == market)
        out = []
        for address, kind, fid in ((m["oracle"], OracleKind.PYTH_LEGACY, bytes(32)),
                                   (m["fallback_oracle"], OracleKind.PYTH_PULL_V2, feed_id_for(market))):
            value = self.rpc("getAccountInfo", [address, {"encoding": "base64", "commitment": "processed"}])["value"]
            out.append(decode_oracle(kind, base64.b64decode(value["data"][0]), fid))
        return out[0].price_1e6 / 1e6, out[1].price_1e6 / 1e6, out[0].publish_slot


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    out = tmp_path_factory.mktemp("paper") / "net"
    run = Running(up_argv("--rpc-port", str(free_port()), "--ws-port", str(free_port()), "--out", str(out),
                          "--slot-ms", str(SLOT_MS), "--finalized-depth", "4", "--users", "1",
                          "--price-path", "external"))
    try:
        run.wait_for(READY_LINE, timeout_s=30)
        yield Net(run, out)
    finally:
        run.stop()


def paper(net: Net, monkeypatch: pytest.MonkeyPatch, *args: str) -> Running:
    """`perpkeep paper ARGS --deployment OUT` as a process (metrics on a free port, warnings only)."""
    monkeypatch.setenv("PERPKEEP_METRICS__PORT", "0")
    monkeypatch.setenv("PERPKEEP_LOGGING__LEVEL", "warning")
    return Running([sys.executable, "-m", "perpkeep_cli", "paper", *args, "--deployment", str(net.out)])


def finish(run: Running, timeout_s: float) -> list[str]:
    """Wait for the summary's last line to be printed and the process to exit; return every stdout line."""
    run.wait_for("  prices ", timeout_s)
    run.proc.wait(timeout=30)
    while not run.lines.empty():
        run.seen.append(run.lines.get())
    return run.seen


def test_paper_replays_a_file_onto_the_chain_oracles(net: Net, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 40 recorded seconds of strictly rising prices, replayed at 10x: ~4 s of wall time
    src = tmp_path / "rising.csv"
    t0 = 1_735_689_600
    src.write_text("timestamp,price\n" + "".join(f"{t0 + i},{170 + i * 0.5}\n" for i in range(41)))
    file_prices = {170 + i * 0.5 for i in range(41)}
    run = paper(net, monkeypatch, str(src), "--speed", "10", "--progress", "1", "--bots", "mark_price,funding")
    seen: list[tuple[float, float]] = []
    deadline = time.monotonic() + 40
    while run.proc.poll() is None and time.monotonic() < deadline:
        primary, fallback, _ = net.prices("SOL-PERP")
        seen.append((primary, fallback))
        time.sleep(0.1)
    lines = finish(run, 30)
    assert run.proc.returncode == 0, "\n".join(lines) + run.proc.stderr.read()
    text = "\n".join(lines)
    assert "stopped after" in text and "(end of file)" in text and "41 taken in" in text
    assert "held at their current price: BTC-PERP 60,000" in text
    assert any(line.startswith("paper: ") and "file 2025-01-01T00:00:" in line for line in lines)  # progress
    moved = [p for p, _ in seen if p != 150.0]
    assert len(set(moved)) >= 8, seen          # the oracle moved with the file, many times
    assert set(moved) <= file_prices, seen     # only the file's prices ...
    assert moved == sorted(moved), seen        # ... in the file's order
    primary, fallback, _ = net.prices("SOL-PERP")
    assert primary == fallback == 190.0        # and it ends on the file's last price, in both feeds
    assert net.prices("BTC-PERP")[:2] == (60_000.0, 60_000.0)
    assert "keeper update_prices" in text      # the keeper's bots ran against the node


async def test_paper_follows_a_websocket_feed_and_stops_on_sigint(net: Net, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[float] = []
    bad_sent = asyncio.Event()

    async def serve(ws: websockets.ServerConnection) -> None:
        for i in range(1200):                   # bounded: 1,200 messages, 50 ms apart (a minute at most)
            price = round(200 + i * 0.25, 2)
            await ws.send(json.dumps({"e": "aggTrade", "s": "SOLUSDT", "p": f"{price}", "q": "1.0", "T": i}))
            sent.append(price)
            if i == 3:
                await ws.send("not json")
                bad_sent.set()
            await asyncio.sleep(0.05)

    async with websockets.serve(serve, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        run = await asyncio.to_thread(paper, net, monkeypatch, f"ws://127.0.0.1:{port}/ws/solusdt@aggTrade", "--no-keeper")
        try:
            on_chain: list[float] = []
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and len({p for p in on_chain if p >= 200}) < 10:
                on_chain.append((await asyncio.to_thread(net.prices, "SOL-PERP"))[0])
                await asyncio.sleep(0.1)
            moved = [p for p in on_chain if p >= 200]
            assert len(set(moved)) >= 10, on_chain
            assert set(moved) <= set(sent) and moved == sorted(moved)   # the feed's prices, in its order
            assert bad_sent.is_set()
            # a second paper run on the same node refuses to fight the first over the prices
            second = await asyncio.to_thread(
                subprocess.run, [sys.executable, "-m", "perpkeep_cli", "paper", str(sample_path("SOLUSDT-1m-2025-01-01.csv")),
                                 "--deployment", str(net.out), "--no-keeper"], capture_output=True, text=True, timeout=60,
                cwd=REPO)
            assert second.returncode == 1
            assert "another publisher writes SOL-PERP's oracle prices" in second.stderr
            assert "--price-path external" in second.stderr
        finally:
            run.proc.send_signal(signal.SIGINT)
            lines = await asyncio.to_thread(finish, run, 30)
    assert run.proc.returncode == 0, "\n".join(lines) + run.proc.stderr.read()
    text = "\n".join(lines)
    assert "(stopped by signal)" in text
    stderr = run.proc.stderr.read()
    assert "ignored a message: not JSON" in stderr
