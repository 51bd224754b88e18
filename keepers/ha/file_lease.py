"""The single-host lease: a small JSON file, changed under an ``fcntl`` lock.

The lease file (``[ha] path``) holds the holder's name, token, expiry (wall clock: both processes run on
this host), pid and the pid's start time. Every read-modify-write takes ``<path>.lock`` with
``flock`` (held for the microseconds of one write; waited for at most ``MUTEX_WAIT_S``, so a process
stopped while holding it delays a takeover, never blocks it for good) and replaces the file atomically.

A standby takes the lease when it is released, expired, or when its holder's process is gone: the pid no
longer runs, or runs a different process (another start time), or is a zombie. ``kill -9`` of the holder
thus frees the lease as soon as the process is reaped; a stopped (SIGSTOP) or hung holder is still
running, so it is replaced when its expiry passes (see ``keepers.ha.lease`` for the fencing).
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
from pathlib import Path
from typing import Any

from keepers.clock import LIVE, Clock
from keepers.ha.lease import Lease, LeaseStoreError

MUTEX_WAIT_S = 0.5
MUTEX_RETRY_S = 0.005


def process_start(pid: int) -> int | None:
    """The start time (clock ticks since boot) of a live, non-zombie process ``pid``; None when there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()  # the command name may hold spaces and parentheses
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


class FileLease(Lease):
    """A lease in the file ``path`` (see the module docstring)."""

    def __init__(self, path: Path, name: str, holder: str, ttl_s: float, clock: Clock = LIVE) -> None:
        super().__init__(name, holder, ttl_s, clock)
        self.path = Path(path)
        self._mutex_path = self.path.with_name(self.path.name + ".lock")
        self._pid = os.getpid()
        self._start = process_start(self._pid)

    def read(self) -> dict[str, Any] | None:
        """The record in the file (None when absent or unreadable: treated as free)."""
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("name") == self.name else None

    def _write(self, token: str | None, expires_at: float) -> None:
        record = {"name": self.name, "holder": self.holder, "token": token, "expires_at": expires_at,
                  "pid": self._pid, "start": self._start}
        tmp = self.path.with_name(f".{self.path.name}.{self._pid}.tmp")
        tmp.write_text(json.dumps(record))
        os.replace(tmp, self.path)

    def _holder_gone(self, record: dict[str, Any]) -> bool:
        pid, start = record.get("pid"), record.get("start")
        return not isinstance(pid, int) or process_start(pid) is None or process_start(pid) != start

    async def _locked(self, change: Any) -> Any:
        """Run ``change()`` holding the mutex file's flock (waited for at most ``MUTEX_WAIT_S``)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self._mutex_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as e:
            raise LeaseStoreError(f"{self._mutex_path}: {e.strerror or e}") from None
        try:
            waited = 0.0
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if waited >= MUTEX_WAIT_S:
                        raise LeaseStoreError(f"{self._mutex_path} stayed locked for {MUTEX_WAIT_S} s") from None
                    await asyncio.sleep(MUTEX_RETRY_S)
                    waited += MUTEX_RETRY_S
            try:
                return change()
            except OSError as e:
                raise LeaseStoreError(f"{self.path}: {e.strerror or e}") from None
        finally:
            os.close(fd)  # closing the descriptor drops the flock

    async def _claim(self, token: str) -> bool:
        def change() -> bool:
            record = self.read()
            now = self.clock.time()
            free = (record is None or record.get("token") is None or not isinstance(record.get("expires_at"), (int, float))
                    or record["expires_at"] <= now or self._holder_gone(record))
            if free:
                self._write(token, now + self.ttl_s)
            return free
        return await self._locked(change)

    async def _extend(self, token: str) -> bool:
        def change() -> bool:
            record = self.read()
            if record is None or record.get("token") != token:
                return False
            self._write(token, self.clock.time() + self.ttl_s)
            return True
        return await self._locked(change)

    async def _drop(self, token: str) -> None:
        def change() -> None:
            record = self.read()
            if record is not None and record.get("token") == token:
                self._write(None, self.clock.time())
        await self._locked(change)


__all__ = ["FileLease", "process_start"]
