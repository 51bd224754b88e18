"""The link between a keeper and its console worker process: one JSON object per line over a socket pair.

The keeper's side is ``keepers.console.server``, the worker's ``keepers.console.worker``. Messages:

- keeper -> worker: ``{"init": {...}}`` first (the ``[console]`` section), then ``{"push": snapshot}`` every
  stream interval, ``{"id": n, "value": ...}`` or ``{"id": n, "error": {...}}`` answering a call, and
  ``{"stop": true}``;
- worker -> keeper: ``{"ready": port}`` once it listens (or ``{"failed": reason}``), then calls
  ``{"id": n, "op": name, "args": {...}}`` (``keepers.console.service.ConsoleService.handle``).

This module is imported by the worker, which stays free of the keeper's chain and exchange code.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

MESSAGE_LIMIT = 64 << 20  # a line longer than this is a broken peer, not a message
HISTORY = 900  # points of the dashboard's series each side keeps (15 min at one a second)


class ConsoleError(Exception):
    """An operation the console refuses: ``status`` is the HTTP status, ``check`` the pre-trade check that
    failed (if any) and ``before`` the state the refused call left unchanged (for the audit log)."""

    def __init__(self, message: str, status: int = 400, check: str | None = None, before: Any = None) -> None:
        super().__init__(message)
        self.status, self.check, self.before = status, check, before

    def as_message(self) -> dict[str, Any]:
        """The error as the ``error`` member of an answer."""
        return {"message": str(self), "status": self.status, "check": self.check, "before": self.before}

    @classmethod
    def from_message(cls, error: dict[str, Any]) -> ConsoleError:
        """The error an answer's ``error`` member describes."""
        return cls(str(error.get("message", "error")), int(error.get("status", 500)), error.get("check"),
                   error.get("before"))


def encode(message: dict[str, Any]) -> bytes:
    """One message as its line."""
    return json.dumps(message, default=str, separators=(",", ":")).encode() + b"\n"


async def read_message(reader: asyncio.StreamReader) -> dict[str, Any] | None:
    """The next message, or None once the peer closed the link (a malformed line raises ``ValueError``)."""
    line = await reader.readline()
    if not line:
        return None
    message = json.loads(line)
    if not isinstance(message, dict):
        raise ValueError(f"console link: expected an object, got {type(message).__name__}")
    return message


__all__ = ["HISTORY", "MESSAGE_LIMIT", "ConsoleError", "encode", "read_message"]
