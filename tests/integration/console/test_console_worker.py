"""The console's worker process (``keepers.console.worker``): it serves the API away from the keeper's loop,
is started again when it dies while the keeper runs on, ends when the keeper goes however it went, tells
the keeper why it could not start, and takes a revoked or added token without a restart. Real processes,
real HTTP on 127.0.0.1, the real program in LiteSVM under the keeper."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from keepers.console.auth import add_token, revoke_token
from keepers.console.protocol import MESSAGE_LIMIT, encode, read_message
from tests.integration.console.support import BOTS, running_console, world


async def _until(predicate, timeout_s: float, poll_s: float = 0.1) -> None:  # noqa: ANN001 - async predicate
    deadline = time.monotonic() + timeout_s
    while not await predicate():
        assert time.monotonic() < deadline, f"not within {timeout_s} s"
        await asyncio.sleep(poll_s)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return status != "Z"


async def test_the_api_is_served_by_a_worker_that_is_started_again_when_it_dies(perp_program: bytes,
                                                                              tmp_path: Path) -> None:
    async with running_console(world(perp_program), tmp_path) as c:
        pid = c.keeper.console.worker_pid
        assert pid is not None and pid != os.getpid()
        who = await c.ok("GET", "/api/whoami", "viewer")
        assert (who["role"], who["label"]) == ("viewer", "viewer-test")
        os.kill(pid, signal.SIGKILL)

        async def served_again() -> bool:
            new = c.keeper.console.worker_pid
            if new is None or new == pid:
                return False
            try:
                status, _, _ = await c.call("GET", "/api/bots", "viewer")
            except OSError:
                return False
            return status == 200

        await _until(served_again, 60, 0.2)
        assert c.keeper.console.restarts == 1 and not _alive(pid)
        assert c.keeper.metrics.registry.get_sample_value(
            "perpkeep_alerts_total", {"bot": "console", "reason": "console worker exited"}) == 1
        # the keeper ran on meanwhile, and the new worker steers it as the old one did
        assert all(c.keeper.bot_running(name) for name in BOTS)
        assert (await c.ok("POST", "/api/bots/market_maker/pause", "operator", json={}))["state"] == "paused"
        assert not c.keeper.bot_running("market_maker")
        bots = {b["name"]: b["state"] for b in await c.ok("GET", "/api/bots", "viewer")}
        assert bots["market_maker"] == "paused" and bots["liquidator"] == "running"


async def test_a_revoked_token_is_refused_and_an_added_one_accepted_without_a_restart(perp_program: bytes,
                                                                                    tmp_path: Path) -> None:
    async with running_console(world(perp_program), tmp_path) as c:
        token_file = tmp_path / "tokens.json"
        late_id, late = add_token(token_file, "viewer", "added-later")
        viewer_id = (await c.ok("GET", "/api/whoami", "viewer"))["token_id"]
        assert revoke_token(token_file, viewer_id)

        async def applied() -> bool:
            status, _, _ = await c.call("GET", "/api/bots", "viewer")
            return status == 401

        await _until(applied, 10)
        status, body, _ = await c.call("GET", "/api/whoami", token=late)
        assert status == 200 and body == {"token_id": late_id, "role": "viewer", "label": "added-later"}
        # an unreadable file keeps the tokens read before (an edit half written must not lock everyone out)
        token_file.write_text("{not json")
        await asyncio.sleep(1.5)
        assert (await c.call("GET", "/api/whoami", token=late))[0] == 200
        assert (await c.call("GET", "/api/bots", "viewer"))[0] == 401


def _start_worker(tmp_path: Path, token_file: Path) -> tuple[subprocess.Popen, socket.socket, socket.socket]:
    """A worker on a free port with the keeper's end of its link (no keeper: the test speaks for it)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    ours, theirs = socket.socketpair()
    proc = subprocess.Popen([sys.executable, "-m", "keepers.console.worker", "--link-fd", str(theirs.fileno()),
                             "--listen-fd", str(listener.fileno())], pass_fds=(theirs.fileno(), listener.fileno()),
                            stdin=subprocess.DEVNULL)
    theirs.close()
    return proc, ours, listener


async def _handshake(ours: socket.socket, token_file: Path, tmp_path: Path) -> tuple[dict, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_unix_connection(sock=ours, limit=MESSAGE_LIMIT)
    writer.write(encode({"init": {"enabled": True, "port": 0, "token_file": str(token_file),
                                  "audit_log_path": str(tmp_path / "audit.jsonl")}}))
    writer.write(encode({"push": {"slot": 7, "active": True, "bots": [], "alerts": [], "portfolio": {"accounts": []}}}))
    answer = await asyncio.wait_for(read_message(reader), 60)
    assert answer is not None
    return answer, writer


@pytest.mark.parametrize("how", ["link closed", "keeper killed"])
async def test_the_worker_ends_when_the_keeper_goes(tmp_path: Path, how: str) -> None:
    token_file = tmp_path / "tokens.json"
    add_token(token_file, "viewer")
    if how == "keeper killed":  # a process holding the keeper's end, killed: the kernel closes the link
        holder_code = ("import socket, sys, time\n"
                       "s = socket.socket(fileno=int(sys.argv[1]))\n"
                       "time.sleep(600)\n")
    proc, ours, listener = _start_worker(tmp_path, token_file)
    try:
        answer, writer = await _handshake(ours, token_file, tmp_path)
        assert answer == {"ready": listener.getsockname()[1]}
        if how == "link closed":
            writer.close()
        else:
            holder = subprocess.Popen([sys.executable, "-c", holder_code, str(writer.transport.get_extra_info("socket").fileno())],
                                      pass_fds=(writer.transport.get_extra_info("socket").fileno(),))
            writer.transport.abort()  # only the holder keeps the keeper's end open now
            await asyncio.sleep(0.5)
            assert proc.poll() is None  # the link is still open: the worker serves on
            holder.kill()
            holder.wait(10)
        assert await asyncio.to_thread(proc.wait, 20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        listener.close()


async def test_a_worker_that_cannot_start_tells_the_keeper_why(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    proc, ours, listener = _start_worker(tmp_path, empty)
    try:
        answer, writer = await _handshake(ours, empty, tmp_path)
        assert "holds no token" in answer["failed"]
        assert await asyncio.to_thread(proc.wait, 20) == 1
        writer.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        listener.close()
