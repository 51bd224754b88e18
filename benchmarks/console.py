"""Operator console benchmark: the API under 50 clients, and what they cost the liquidation path.

A keeper runs on the in-process chain with the real program (``benchmarks.keepers``' liquidation-latency
setup: 10k healthy users, one victim per sample made liquidatable by the next oracle price) with its console
enabled (its API served by the console's worker process, the keeper's loop feeding it snapshots). A
separate process (so that the clients do not share the keeper's interpreter) runs ``--clients``
clients, each with its own viewer token: ``--streams`` of them follow ``/api/stream`` and the rest poll the
read endpoints (status, bots, portfolio, risk, history, alerts) every ``--poll-interval`` seconds.

Measured: the API's p50 and p99 per request while the bots run; the stream's gaps between updates; the CPU
each request costs the keeper process and the worker; and the
keeper's oracle-update-to-liquidation-send p50 and p99 (the hand-over to the chain, as in
``benchmarks.keepers``) without the console, with it idle, and with the clients. Goal: p99 with the clients
within 10% of p99 without the console. With ``--rounds N`` the three take turns N times (so that a change of
the shared machine's load, or of the process's heap as worlds come and go, falls on all three alike) and
the medians of the rounds' p99s are compared.

Run: python -m benchmarks.console [--clients 50] [--streams 10] [--users 10000] [--samples 100] [--rounds 1]
     [--liquidator-only]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.keepers import LatencyFigures, _liquidation_latency

ENDPOINTS = ("/api/status", "/api/bots", "/api/portfolio", "/api/risk", "/api/history?limit=60", "/api/alerts")
GOAL_RATIO = 1.10


# -- the clients (run in their own process: ``--load``) -------------------------------------------------

async def _poller(session: Any, url: str, token: str, interval_s: float, stop: float, out: dict[str, list[float]],
                  errors: list[str], k: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    i = k
    while time.monotonic() < stop:
        path = ENDPOINTS[i % len(ENDPOINTS)]
        i += 1
        started = time.perf_counter()
        try:
            async with session.get(url + path, headers=headers) as r:
                await r.read()
                if r.status != 200:
                    errors.append(f"{path}: {r.status}")
                    continue
        except Exception as e:  # noqa: BLE001 - counted
            errors.append(f"{path}: {e!r}")
            continue
        out.setdefault(path.split("?")[0], []).append((time.perf_counter() - started) * 1e3)
        await asyncio.sleep(interval_s)


async def _streamer(session: Any, url: str, token: str, stop: float, gaps: list[float], errors: list[str]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with session.get(url + "/api/stream", headers=headers) as r:
            last = None
            async for line in r.content:
                if line.startswith(b"data: "):
                    now = time.perf_counter()
                    if last is not None:
                        gaps.append((now - last) * 1e3)
                    last = now
                if time.monotonic() >= stop:
                    break
    except Exception as e:  # noqa: BLE001 - counted
        errors.append(f"stream: {e!r}")


async def run_clients(url: str, tokens: list[str], streams: int, interval_s: float, seconds: float) -> dict[str, Any]:
    """Poll and stream ``url`` with one client per token for ``seconds``; the latencies and gaps in ms."""
    import aiohttp

    stop = time.monotonic() + seconds
    latencies: dict[str, list[float]] = {}
    gaps: list[float] = []
    errors: list[str] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=seconds + 30)) as session:
        tasks = [_streamer(session, url, t, stop, gaps, errors) for t in tokens[:streams]]
        tasks += [_poller(session, url, t, interval_s, stop, latencies, errors, k) for k, t in enumerate(tokens[streams:])]
        await asyncio.gather(*tasks)
    return {"latencies": latencies, "gaps": gaps, "errors": errors[:20], "error_count": len(errors)}


# -- the keeper side ------------------------------------------------------------------------------------

@contextlib.asynccontextmanager
async def clients(tokens: list[str], streams: int, interval_s: float, seconds: float, into: dict[str, Any],
                  keeper: Any) -> AsyncIterator[None]:
    """The client process against ``keeper``'s console while the block runs; its figures into ``into``."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.console", "--load", keeper.console.url, "--streams", str(streams),
        "--poll-interval", str(interval_s), "--seconds", str(seconds), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(("\n".join(tokens) + "\n\n").encode())
    await proc.stdin.drain()
    proc.stdin.close()
    await asyncio.sleep(2.0)  # every client connected and polling
    worker = keeper.console.worker_pid
    worker_cpu = _process_cpu_s(worker)
    try:
        yield
    finally:
        into["worker_cpu_s"] = _process_cpu_s(worker) - worker_cpu
        work = keeper.console.loop_work
        into["loop_work"] = {"count": work.count, "total_s": work.total_s, "max_s": work.max_s}
        out, _ = await proc.communicate()
        into.update(json.loads(out))


def _process_cpu_s(pid: int) -> float:
    """User and system CPU seconds of process ``pid`` so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


async def bench(users: int, samples: int, bots: tuple[str, ...], n_clients: int, streams: int,
                interval_s: float) -> dict[str, Any]:
    """Run the three latency measurements and the API load (see the module docstring)."""
    from keepers.console.auth import add_token

    with tempfile.TemporaryDirectory() as tmp:
        token_file = Path(tmp) / "tokens.json"
        tokens = [add_token(token_file, "viewer", f"client-{i}")[1] for i in range(n_clients)]
        console = {"enabled": True, "port": 0, "token_file": str(token_file), "audit_log_path": str(Path(tmp) / "audit.jsonl")}
        base = await _liquidation_latency(users, samples, bots)
        cpu = time.process_time()
        idle = await _liquidation_latency(users, samples, bots, console=console)
        idle_cpu = time.process_time() - cpu
        load: dict[str, Any] = {}
        started = time.monotonic()
        cpu = time.process_time()
        # the clients run for as long as the samples take (estimated from the idle run, with room)
        seconds = max(10.0, 3.0 * samples * 0.06 + 20.0)
        loaded = await _liquidation_latency(
            users, samples, bots, console=console,
            load=lambda keeper: clients(tokens, streams, interval_s, seconds, load, keeper))
        wall = time.monotonic() - started
        loaded_cpu = time.process_time() - cpu
    return {"base": base, "idle": idle, "loaded": loaded, "load": load, "wall_s": wall,
            "cpu_s": (idle_cpu, loaded_cpu)}


def _line(label: str, f: LatencyFigures) -> str:
    if not f.samples:
        return f"  {label:<28} no liquidation was sent"
    return f"  {label:<28} p50 {f.p50_ms:7.3f} ms   p99 {f.p99_ms:7.3f} ms   ({len(f.samples)} samples, {f.landed} landed)"


def print_figures(r: dict[str, Any], n_clients: int, streams: int, interval_s: float) -> None:
    """Print the benchmark's figures."""
    load = r["load"]
    every = [x for v in load.get("latencies", {}).values() for x in v]
    print(f"console API: {n_clients} clients ({n_clients - streams} polling every {interval_s:g} s, {streams} streaming)"
          f" while the bots run; {len(every)} requests, {load.get('error_count', 0)} errors")
    print(f"  all requests                 p50 {_pct(every, 50):7.2f} ms   p99 {_pct(every, 99):7.2f} ms")
    for path, v in sorted(load.get("latencies", {}).items()):
        print(f"  {path:<28} p50 {_pct(v, 50):7.2f} ms   p99 {_pct(v, 99):7.2f} ms   ({len(v)})")
    gaps = load.get("gaps", [])
    print(f"  stream gaps between updates  p50 {_pct(gaps, 50):7.1f} ms   p99 {_pct(gaps, 99):7.1f} ms   ({len(gaps)} updates)")
    idle_cpu, loaded_cpu = r["cpu_s"]
    if every:
        print(f"  keeper process CPU: {idle_cpu:.1f} s idle run, {loaded_cpu:.1f} s loaded run: "
              f"{(loaded_cpu - idle_cpu) * 1e3 / len(every):.2f} ms per request served (streams included)")
        if "loop_work" in load:
            w = load["loop_work"]
            print(f"  console work on the keeper's loop (whole loaded run): {w['count']} slices, "
                  f"{w['total_s'] * 1e3:.0f} ms in all, mean {w['total_s'] * 1e3 / max(1, w['count']):.2f} ms, "
                  f"longest {w['max_s'] * 1e3:.2f} ms")
        if "worker_cpu_s" in load:
            print(f"  console worker process CPU under the clients: {load['worker_cpu_s']:.1f} s, "
                  f"{load['worker_cpu_s'] * 1e3 / len(every):.2f} ms per request")
    if load.get("errors"):
        print("  first errors:", "; ".join(load["errors"][:5]))
    print("oracle update -> liquidation sent (keeper side):")
    print(_line("without the console", r["base"]))
    print(_line("console idle", r["idle"]))
    print(_line(f"console + {n_clients} clients", r["loaded"]))
    if r["base"].samples and r["loaded"].samples:
        ratio = r["loaded"].p99_ms / r["base"].p99_ms
        verdict = "within" if ratio <= GOAL_RATIO else "OUTSIDE"
        print(f"  p99 with clients / without console: {ratio:.2f} ({verdict} the {GOAL_RATIO - 1:.0%} goal)")


def print_rounds(rounds: list[dict[str, Any]]) -> None:
    """Each round's liquidation p99 per condition, and the medians' ratio (the goal's figure over rounds)."""
    print(f"liquidation p99 over {len(rounds)} rounds (without console, idle, with clients):")
    for i, r in enumerate(rounds, 1):
        print(f"  round {i}: " + ", ".join(f"{r[k].p99_ms:.3f} ms" for k in ("base", "idle", "loaded")))
    med = {k: statistics.median(r[k].p99_ms for r in rounds) for k in ("base", "idle", "loaded")}
    ratio = med["loaded"] / med["base"]
    verdict = "within" if ratio <= GOAL_RATIO else "OUTSIDE"
    print(f"  medians: {med['base']:.3f} / {med['idle']:.3f} / {med['loaded']:.3f} ms; with clients / without console: "
          f"{ratio:.2f} ({verdict} the {GOAL_RATIO - 1:.0%} goal)")
    # every round's samples together: a p99 over more samples, less at the mercy of one slow moment
    pooled = {k: _pct([x for r in rounds for x in r[k].samples], 99) for k in ("base", "idle", "loaded")}
    print(f"  p99 of the rounds' samples pooled: {pooled['base']:.3f} / {pooled['idle']:.3f} / {pooled['loaded']:.3f} ms; "
          f"with clients / without console: {pooled['loaded'] / pooled['base']:.2f}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with ``--load``, the client process)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--load", metavar="URL", help=argparse.SUPPRESS)  # the client process; tokens on stdin
    parser.add_argument("--seconds", type=float, default=30.0, help=argparse.SUPPRESS)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--streams", type=int, default=10)
    parser.add_argument("--poll-interval", type=float, default=0.5)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=1, help="the three latency runs take turns this many times")
    parser.add_argument("--liquidator-only", action="store_true", help="run only the liquidator (default: every bot)")
    args = parser.parse_args(argv)
    if args.load:
        tokens = [line.strip() for line in sys.stdin if line.strip()]
        out = asyncio.run(run_clients(args.load, tokens, args.streams, args.poll_interval, args.seconds))
        print(json.dumps(out))
        return 0
    from keepers.runtime import ALL_BOTS

    bots = ("liquidator",) if args.liquidator_only else tuple(ALL_BOTS)
    print(f"bots running: {', '.join(bots)}; {args.users:,} users")
    rounds = [asyncio.run(bench(args.users, args.samples, bots, args.clients, args.streams, args.poll_interval))
              for _ in range(args.rounds)]
    print_figures(rounds[-1], args.clients, args.streams, args.poll_interval)
    if len(rounds) > 1:
        print_rounds(rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
