"""API tokens, roles and the per-token rate limit of the operator console.

A token is 32 random bytes (``secrets.token_urlsafe``) shown once when created; the token file keeps only
its SHA-256 (a random 256-bit secret needs no slow hash: no dictionary can guess it) with an id, a role and
a label. There are no default credentials: a console without a token file, or with an empty one, does not
start. Roles are ordered: viewer (read) < operator (steer bots, orders) < admin (kill switch, parameters,
tokens).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROLES = ("viewer", "operator", "admin")
log = logging.getLogger("perpkeep.console")
TOKEN_PREFIX = "pk_"


class TokenFileError(ValueError):
    """A token file that cannot be used (missing, unreadable, malformed, empty)."""


def token_hash(token: str) -> str:
    """The stored form of ``token``."""
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


def role_allows(role: str, needed: str) -> bool:
    """Whether ``role`` may do what ``needed`` may."""
    return ROLES.index(role) >= ROLES.index(needed)


@dataclass(frozen=True)
class Principal:
    """Who a valid token says the caller is."""

    token_id: str
    role: str
    label: str


def _read(path: Path) -> list[dict]:
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as e:
        raise TokenFileError(f"token file {path}: cannot read: {e}") from None
    if not isinstance(entries, list) or not all(
            isinstance(e, dict) and e.get("role") in ROLES and str(e.get("hash", "")).startswith("sha256:")
            and isinstance(e.get("id"), str) for e in entries):
        raise TokenFileError(f"token file {path}: expected a list of {{id, role, hash}} entries")
    return entries


def add_token(path: Path, role: str, label: str = "") -> tuple[str, str]:
    """Create a token of ``role``, store its hash in ``path`` (created 0600) and return (id, token)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    path = Path(path)
    entries = _read(path)
    token_id = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}{secrets.token_urlsafe(32)}"
    entries.append({"id": token_id, "role": role, "label": label, "hash": token_hash(token),
                    "created": int(time.time())})
    _write(path, entries)
    return token_id, token


def _write(path: Path, entries: list[dict]) -> None:
    """Replace ``path`` (mode 0600) at once: a running console never reads half a file."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(entries, f, indent=1)
    os.replace(tmp, path)


def revoke_token(path: Path, token_id: str) -> bool:
    """Remove the token ``token_id`` from ``path``; False when it is not there."""
    entries = _read(Path(path))
    kept = [e for e in entries if e["id"] != token_id]
    if len(kept) == len(entries):
        return False
    _write(Path(path), kept)
    return True


class TokenStore:
    """The tokens of a token file, looked up by hash.

    The file is read again when it changes (checked at most every ``RELOAD_S``), so that ``perpkeep console
    token revoke`` (or add) takes effect on a running console; a file removed or emptied leaves no valid
    token, and one that cannot be read keeps the last tokens read, with an error logged."""

    RELOAD_S = 1.0

    def __init__(self, path: Path, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise TokenFileError(f"token file {self.path} does not exist (create one with `perpkeep console token add`)")
        self._stamp = self._file_stamp()
        entries = _read(self.path)
        if not entries:
            raise TokenFileError(f"token file {self.path} holds no token: the console has no default credentials")
        self._by_hash = self._principals(entries)
        self._clock = clock
        self._checked = clock()

    @staticmethod
    def _principals(entries: list[dict]) -> dict[str, Principal]:
        return {e["hash"]: Principal(e["id"], e["role"], e.get("label", "")) for e in entries}

    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    def reload_if_changed(self) -> bool:
        """Read the file again if it changed since it was read; True when the tokens were replaced."""
        stamp = self._file_stamp()
        if stamp == self._stamp:
            return False
        try:
            entries = _read(self.path)
        except TokenFileError as e:
            log.error("%s: keeping the %d tokens read before", e, len(self._by_hash))
            return False
        self._stamp, self._by_hash = stamp, self._principals(entries)
        log.warning("token file %s changed: %d tokens now", self.path, len(self._by_hash))
        return True

    def __len__(self) -> int:
        return len(self._by_hash)

    def verify(self, token: str | None) -> Principal | None:
        """The principal of ``token``, or None for a missing or unknown token."""
        now = self._clock()
        if now - self._checked >= self.RELOAD_S:
            self._checked = now
            self.reload_if_changed()
        if not token or len(token) > 256:
            return None
        digest = token_hash(token)
        for stored, principal in self._by_hash.items():  # constant-time comparison against every entry
            if hmac.compare_digest(stored, digest):
                return principal
        return None


class RateLimiter:
    """A token bucket per key: ``rate`` requests a second sustained, ``burst`` at once."""

    MAX_KEYS = 10_000  # keys of unauthenticated callers are many: the oldest are dropped beyond this

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, key: str) -> bool:
        """Take one request from ``key``'s bucket; False when it is empty."""
        now = self.clock()
        tokens, last = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        ok = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if ok else tokens, now)
        if len(self._buckets) > self.MAX_KEYS:
            self._buckets.pop(next(iter(self._buckets)))
        return ok

    def retry_after_s(self, key: str) -> float:
        """Seconds until ``key`` has a request again."""
        tokens, _ = self._buckets.get(key, (float(self.burst), 0.0))
        return max(0.0, (1.0 - tokens) / self.rate)


__all__ = ["ROLES", "Principal", "RateLimiter", "TokenFileError", "TokenStore", "add_token", "revoke_token",
           "role_allows", "token_hash"]
