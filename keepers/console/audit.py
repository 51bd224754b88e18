"""The console's append-only audit log: one JSON line per mutating call (who, what, before, after, outcome).

The file is opened for appending only (``O_APPEND``) and every entry is flushed and fsynced before the call
answers, so an applied change is never missing from it. A refused call (wrong role, failed check, bad
parameters) is logged with outcome "refused" and its reason; it changed nothing, so before equals after.
The last entries are also kept in memory for the dashboard.

Rotation is the system's (e.g. logrotate's default ``create`` mode): when the file at ``path`` is no longer
the one open (moved away or removed), the next entry goes to a new file at ``path``; nothing is truncated.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

RECENT = 500


class AuditLog:
    """See the module docstring."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = self._open()
        self._lock = threading.Lock()
        self.recent: deque[dict[str, Any]] = deque(maxlen=RECENT)
        self.seq = 0

    def _open(self) -> int:
        return os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def _follow_rotation(self) -> None:
        """Open the file at ``path`` anew when the open one was moved or removed (rotated)."""
        try:
            current = os.stat(self.path)
        except FileNotFoundError:
            current = None
        st = os.fstat(self._fd)
        if current is None or (current.st_ino, current.st_dev) != (st.st_ino, st.st_dev):
            os.close(self._fd)
            self._fd = self._open()

    def record(self, who: str, role: str, action: str, target: str, outcome: str, before: Any = None,
               after: Any = None, reason: str | None = None, detail: dict[str, Any] | None = None) -> dict[str, Any]:
        """Append one entry and return it (``outcome``: applied, refused or failed)."""
        entry = {"ts": round(time.time(), 3), "who": who, "role": role, "action": action, "target": target,
                 "outcome": outcome, "before": before, "after": after}
        if reason is not None:
            entry["reason"] = reason
        if detail:
            entry["detail"] = detail
        line = (json.dumps(entry, default=str, sort_keys=True) + "\n").encode()
        with self._lock:
            self._follow_rotation()
            os.write(self._fd, line)
            os.fsync(self._fd)
            self.seq += 1
            entry["seq"] = self.seq
            self.recent.append(entry)
        return entry

    def tail(self, limit: int = 100) -> list[dict[str, Any]]:
        """The last ``limit`` entries of this run, newest first."""
        return list(reversed(list(self.recent)[-limit:]))

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


def read_audit(path: Path) -> list[dict[str, Any]]:
    """Every entry of an audit log file, oldest first."""
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


__all__ = ["AuditLog", "read_audit"]
