"""The keeper's side of the console: it binds the console's address, starts and supervises the worker process
that serves it (``keepers.console.worker``), pushes it a snapshot every stream interval, and carries out the
calls it sends (``ConsoleService.handle``) on the keeper's loop.

``ConsoleServer(keeper).start()`` checks the token file (refusing to start without one: ``ConfigError``),
binds the address (``ConfigError`` when it cannot: ``port`` is then the bound port, also for
``console.port = 0``), starts the worker and returns once it listens. A worker that dies is started again
on the same socket (after 1 s, doubling to a minute while it keeps dying); ``stop`` ends it.

Why a process: served on the keeper's loop, 50 dashboards cost the loop 0.5-1 ms slices (request parsing,
authentication, JSON, audit fsyncs) an oracle update had to wait behind, and the liquidation p99 rose by
half. Now the keeper's loop builds a snapshot once a stream interval and answers the worker's few calls
(``keepers.console.remote`` keeps their answers a while); everything per request is the worker's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keepers.config import ConfigError, section_values
from keepers.console.auth import TokenFileError, TokenStore
from keepers.console.protocol import MESSAGE_LIMIT, ConsoleError, encode, read_message
from keepers.console.service import READS, ConsoleService

if TYPE_CHECKING:
    from keepers.runtime import Keeper

log = logging.getLogger("perpkeep.console")
START_TIMEOUT_S = 60.0  # the worker imports FastAPI and uvicorn: seconds on a loaded machine
STOP_TIMEOUT_S = 8.0
RESTART_BACKOFF_S = (1.0, 60.0)
PUSH_BACKLOG_BYTES = 8 << 20  # a worker this far behind misses pushes instead of growing the keeper's buffer


@dataclass
class LoopWork:
    """What the console costs the keeper's loop: its slices (building snapshots, answering reads, encoding
    messages), their number, total and longest, in seconds."""

    count: int = 0
    total_s: float = 0.0
    max_s: float = 0.0

    @contextlib.contextmanager
    def slice(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            spent = time.perf_counter() - started
            self.count += 1
            self.total_s += spent
            self.max_s = max(self.max_s, spent)


class WorkerFailed(OSError):
    """The console's worker did not start (its reason, or how it ended)."""


class ConsoleServer:
    """See the module docstring."""

    def __init__(self, keeper: Keeper) -> None:
        c = keeper.config.console
        if c.token_file is None:
            raise ConfigError("console.token_file: missing (required when console.enabled; create it with "
                              "`perpkeep console token add`)", "console.token_file")
        try:
            self.token_count = len(TokenStore(c.token_file))
        except TokenFileError as e:
            raise ConfigError(f"console.token_file: {e}", "console.token_file") from None
        self.keeper = keeper
        self.service = ConsoleService(keeper)
        self.port = c.port
        self.restarts = 0
        self.loop_work = LoopWork()
        self._listener: socket.socket | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader: asyncio.StreamReader | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopping = False

    @property
    def url(self) -> str:
        return f"http://{self.keeper.config.console.host}:{self.port}"

    @property
    def worker_pid(self) -> int | None:
        """The worker process's pid while one runs."""
        return self._proc.pid if self._proc is not None and self._proc.returncode is None else None

    async def start(self) -> None:
        """Listen and start the worker (see the module docstring)."""
        c = self.keeper.config.console
        sock = socket.socket(socket.AF_INET6 if ":" in c.host else socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((c.host, c.port))
            sock.listen(2048)
        except OSError as e:
            sock.close()
            raise ConfigError(f"console.port: cannot listen on {c.host}:{c.port}: {e.strerror or e}", "console.port") from None
        self._listener = sock  # kept open here too: a restarted worker serves the same socket
        self.port = sock.getsockname()[1]
        try:
            await self._spawn()
        except BaseException:
            sock.close()
            self._listener = None
            raise
        self._spawn_task(self._push_loop(), "console-push")
        self._spawn_task(self._supervise(), "console-worker")
        log.info("console on %s (%d tokens, worker pid %s)", self.url, self.token_count, self.worker_pid)

    def _spawn_task(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _init_values(self) -> dict[str, Any]:
        values = section_values(self.keeper.config.console)
        for key in ("token_file", "audit_log_path"):  # the worker checks the section again from its own cwd
            values[key] = str(Path(values[key]).resolve())
        return values

    async def _spawn(self) -> None:
        assert self._listener is not None
        ours, theirs = socket.socketpair()
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "keepers.console.worker", "--link-fd", str(theirs.fileno()),
                "--listen-fd", str(self._listener.fileno()), "--log-level", self.keeper.config.logging.level,
                pass_fds=(theirs.fileno(), self._listener.fileno()), stdin=subprocess.DEVNULL)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        reader, writer = await asyncio.open_unix_connection(sock=ours, limit=MESSAGE_LIMIT)
        try:
            writer.write(encode({"init": self._init_values()}))
            writer.write(encode({"push": self._snapshot() or {}}))
            answer = await asyncio.wait_for(read_message(reader), START_TIMEOUT_S)
            if answer is None or "ready" not in answer:
                raise WorkerFailed(answer.get("failed", str(answer)) if answer else
                                   f"the console worker exited (status {await _exit_status(proc)})")
        except BaseException as e:
            writer.close()
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await _exit_status(proc)
            if isinstance(e, TimeoutError):
                raise WorkerFailed(f"the console worker did not start within {START_TIMEOUT_S:g} s") from None
            raise
        self._proc, self._reader, self._writer = proc, reader, writer

    async def _supervise(self) -> None:
        """Answer the worker's calls; start a new worker when it dies."""
        backoff = RESTART_BACKOFF_S[0]
        while not self._stopping:
            assert self._reader is not None
            try:
                while (message := await read_message(self._reader)) is not None:
                    if "op" in message:
                        self._spawn_task(self._answer(message), "console-call")
                    backoff = RESTART_BACKOFF_S[0]
            except (ValueError, ConnectionError) as e:
                log.error("console link broken: %s", e)
            if self._stopping:
                return
            status = await _exit_status(self._proc) if self._proc is not None else None
            log.error("the console worker exited (status %s); starting another in %.0f s", status, backoff)
            self.keeper.metrics.alert("console", "console worker exited")
            if self._writer is not None:
                self._writer.close()  # our end of the dead worker's link
            self._writer = None
            await asyncio.sleep(backoff)
            backoff = min(2 * backoff, RESTART_BACKOFF_S[1])
            try:
                await self._spawn()
                self.restarts += 1
                log.info("console worker started again (pid %s)", self.worker_pid)
            except (OSError, ConfigError) as e:
                log.error("the console worker did not start again: %s", e)
                self._reader = asyncio.StreamReader()
                self._reader.feed_eof()  # the next round waits the backoff and tries again

    async def _answer(self, message: dict[str, Any]) -> None:
        call_id, op = message.get("id"), str(message["op"])
        try:
            if op in READS:  # answered at once, without giving the loop back: one slice
                with self.loop_work.slice():
                    value = await self.service.handle(op, message.get("args") or {})
            else:
                value = await self.service.handle(op, message.get("args") or {})
            answer = {"id": call_id, "value": value}
        except ConsoleError as e:
            answer = {"id": call_id, "error": e.as_message()}
        except Exception as e:  # noqa: BLE001 - answered as an internal error; the keeper goes on
            log.exception("console call %s failed", message.get("op"))
            answer = {"id": call_id, "error": {"message": f"internal error: {e}", "status": 500}}
        self._send(answer)

    def _send(self, message: dict[str, Any]) -> bool:
        writer = self._writer
        if writer is None or writer.is_closing():
            return False
        with self.loop_work.slice():
            writer.write(encode(message))
        return True

    async def _push_loop(self) -> None:
        """Sample the dashboard's series and push a snapshot every ``console.stream_interval_s``."""
        while not self._stopping:
            await asyncio.sleep(self.keeper.config.console.stream_interval_s)
            with self.loop_work.slice():
                snapshot = self._snapshot(sample=True)
            writer = self._writer
            if snapshot is not None and writer is not None and writer.transport.get_write_buffer_size() < PUSH_BACKLOG_BYTES:
                self._send({"push": snapshot})

    def _snapshot(self, sample: bool = False) -> dict[str, Any] | None:
        try:
            return self.service.snapshot(sample)
        except Exception:  # noqa: BLE001 - display only; the keeper goes on
            log.exception("console snapshot failed")
            return None

    async def stop(self) -> None:
        """Stop the worker (open streams end) and close the socket."""
        self._stopping = True
        if self._send({"stop": True}):
            with contextlib.suppress(ConnectionError):
                await self._writer.drain()  # type: ignore[union-attr]
        if self._proc is not None:
            try:
                await asyncio.wait_for(self._proc.wait(), STOP_TIMEOUT_S)
            except TimeoutError:
                log.warning("the console worker did not stop within %.0f s: killed", STOP_TIMEOUT_S)
                with contextlib.suppress(ProcessLookupError):
                    self._proc.kill()
                await self._proc.wait()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._writer is not None:
            self._writer.close()
        if self._listener is not None:
            self._listener.close()
            self._listener = None


async def _exit_status(proc: asyncio.subprocess.Process) -> int | None:
    try:
        return await asyncio.wait_for(proc.wait(), STOP_TIMEOUT_S)
    except TimeoutError:
        return None


__all__ = ["ConsoleServer", "WorkerFailed"]
