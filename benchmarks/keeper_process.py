"""``perpkeep run`` in a subprocess for tests and benchmarks: started, signalled, its log watched.

Its stderr (the keeper's log, text or JSON lines) is read by a thread into ``lines`` (and a file when
given); ``wait_for`` blocks until a line matching a pattern appears after a given line, within a bound.
``metrics_url`` comes from the line the keeper logs when its HTTP endpoint is up (``metrics.port = 0``).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
METRICS_LINE = re.compile(r"metrics and health on (http://[\d.]+:\d+)")


class KeeperProcess:
    """One ``perpkeep run --config CONFIG`` process with ``env`` (``PERPKEEP_*`` overrides included)."""

    def __init__(self, config: Path, env: dict[str, str] | None = None, log_path: Path | None = None,
                 label: str = "keeper") -> None:
        self.config, self.log_path, self.label = config, log_path, label
        base = {k: v for k, v in os.environ.items() if not k.startswith("PERPKEEP_")}
        self.env = {**base, "PYTHONFAULTHANDLER": "1", **(env or {})}
        self.proc: subprocess.Popen[str] | None = None
        self.lines: list[str] = []
        self.seen_at: list[float] = []  # wall time each line was read
        self._changed = threading.Condition()

    def start(self) -> KeeperProcess:
        """Start the process (returns at once; see ``wait_for``)."""
        self.proc = subprocess.Popen([sys.executable, "-m", "perpkeep_cli", "run", "--config", str(self.config)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=self.env)
        threading.Thread(target=self._read, args=(self.proc,), daemon=True, name=f"log-{self.label}").start()
        return self

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        log = self.log_path.open("a") if self.log_path is not None else None
        try:
            for line in proc.stderr:
                if log is not None:
                    log.write(line)
                with self._changed:
                    self.lines.append(line)
                    self.seen_at.append(time.time())
                    self._changed.notify_all()
        finally:
            if log is not None:
                log.close()

    def find(self, pattern: str, after: int = 0) -> int | None:
        """Index of the first line from ``after`` on that matches ``pattern`` (a regex), None if none yet."""
        rx = re.compile(pattern)
        with self._changed:
            return next((i for i in range(after, len(self.lines)) if rx.search(self.lines[i])), None)

    def wait_for(self, pattern: str, timeout_s: float, after: int = 0) -> int:
        """Block until a line from ``after`` on matches ``pattern``; return its index. AssertionError after
        ``timeout_s`` or when the process exits first (with the log's tail)."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                found = next((i for i in range(after, len(self.lines)) if rx.search(self.lines[i])), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc is not None and self.proc.poll() is not None):
                    raise AssertionError(f"{self.label}: no line matching {pattern!r} within {timeout_s} s "
                                         f"(exit {self.proc.poll() if self.proc else None}):\n{self.tail()}")
                self._changed.wait(min(left, 0.2))

    def tail(self, n: int = 40) -> str:
        with self._changed:
            return "".join(self.lines[-n:])

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def metrics_url(self, timeout_s: float = 30.0) -> str:
        """The base URL of its /metrics and /health (once it logged it)."""
        m = METRICS_LINE.search(self.lines[self.wait_for(METRICS_LINE.pattern, timeout_s)])
        assert m is not None
        return m.group(1)

    def get(self, path: str, timeout_s: float = 5.0) -> tuple[int, str]:
        """(status, body) of GET ``path`` on its HTTP endpoint."""
        try:
            with urllib.request.urlopen(self.metrics_url() + path, timeout=timeout_s) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def signal(self, sig: int) -> None:
        """Send ``sig`` to the process (if it runs)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def kill(self) -> None:
        """SIGKILL (a stopped process too) and reap it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout_s: float = 30.0) -> int | None:
        """SIGTERM and wait (bounded), SIGKILL after that; return the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # a stopped process cannot act on SIGTERM
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGABRT)  # with PYTHONFAULTHANDLER: every thread's stack in the log
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.kill()
        return self.proc.returncode


__all__ = ["KeeperProcess", "METRICS_LINE", "ROOT"]
