"""The lease an active keeper holds, and the local deadline that fences it.

A lease is a record in a store both processes reach (a file on one host, a PostgreSQL row): the lease's
name, the holder, a token drawn at each acquisition and an expiry. The holder renews the expiry every
``renew_interval_s``; another process takes the lease when it is free (released), expired (the holder did
not renew for ``lease_ttl_s``: hung, stopped, cut off), or when the store can tell that the holder's
process is gone (file: the holder's pid is no longer running; PostgreSQL: the holder's database session
ended, which a ``kill -9`` causes at once), so a killed holder is replaced within one standby poll and a
hung one within ``lease_ttl_s`` plus one poll.

Fencing: the holder trusts its lease only until ``LOCAL_TRUST`` of ``lease_ttl_s`` after the *start* of
the store call that last set the expiry (``valid``), measured on the monotonic clock, which keeps running
while the process is stopped. The store's expiry is set after that start, so the holder stops trusting
its lease at least ``(1 - LOCAL_TRUST) * lease_ttl_s`` before anyone may take it over, whatever the
holder's event loop was doing meanwhile: a process resumed after SIGSTOP, or an event loop that hung
past the deadline, finds ``valid()`` false at its first check, before any send (``TxPipeline.fence``).
The margin covers the gap between a check and its send and differences in clock rates; two processes
can only both send when a process is stopped for longer than that margin between its check and its
send, and then at most the transaction it was sending (the chain refuses a second landing of the same
signature, and the journal keeps both from repeating finished work).
"""

from __future__ import annotations

import abc
import logging
import math
import secrets
from dataclasses import dataclass

from keepers.clock import LIVE, Clock

log = logging.getLogger("perpkeep.ha")

LOCAL_TRUST = 0.8  # of lease_ttl_s: how long a holder trusts its lease after the start of the call that set it


class LeaseStoreError(Exception):
    """The lease store cannot be reached or refused a request (the lease stays as it was)."""


@dataclass(frozen=True)
class LeaseRecord:
    """The lease as the store holds it: ``token`` None when released; ``expires_at`` in the store's clock."""

    holder: str
    token: str | None
    expires_at: float


class Lease(abc.ABC):
    """One process's view of a named lease in a store; subclasses implement the store's three writes.

    ``acquire`` (one attempt), ``renew`` and ``release`` never raise on store faults: a failed renewal
    leaves the lease trusted until its local deadline, a failed acquisition is simply not an acquisition.
    """

    # A store that frees the lease as soon as the holder's session ends (PostgreSQL): a renewal that fails
    # may have ended it, so it loses the lease at once instead of trusting it until the local deadline.
    session_bound = False

    def __init__(self, name: str, holder: str, ttl_s: float, clock: Clock = LIVE) -> None:
        if ttl_s <= 0:
            raise ValueError(f"lease ttl must be > 0, got {ttl_s}")
        self.name, self.holder, self.ttl_s, self.clock = name, holder, ttl_s, clock
        self.token: str | None = None
        self._trusted_until = -math.inf
        self.last_error: str | None = None

    # -- what a store implements ------------------------------------------------------------------
    @abc.abstractmethod
    async def _claim(self, token: str) -> bool:
        """Write (holder, ``token``, now + ttl) when the lease is free, expired or its holder is gone."""

    @abc.abstractmethod
    async def _extend(self, token: str) -> bool:
        """Set the expiry to now + ttl if ``token`` still holds the lease; False when another holds it."""

    @abc.abstractmethod
    async def _drop(self, token: str) -> None:
        """Mark the lease free if ``token`` holds it."""

    def _held(self) -> None:
        """Called after each acquisition or renewal that succeeded (a store may start watching its session)."""

    async def close(self) -> None:
        """Release resources (connections, files); the lease itself is not released."""

    # -- the protocol -----------------------------------------------------------------------------
    def valid(self) -> bool:
        """Whether this process holds the lease and may act (checked before every send)."""
        return self.token is not None and self.clock.monotonic() < self._trusted_until

    def remaining_s(self) -> float:
        """Seconds this process still trusts its lease (0 when it holds none)."""
        return max(0.0, self._trusted_until - self.clock.monotonic()) if self.token is not None else 0.0

    async def acquire(self) -> bool:
        """One attempt to take the lease; True when this process now holds it."""
        started = self.clock.monotonic()
        token = secrets.token_hex(16)
        try:
            won = await self._claim(token)
        except LeaseStoreError as e:
            self._note_error(f"acquire: {e}")
            return False
        if won:
            self.token, self._trusted_until = token, started + LOCAL_TRUST * self.ttl_s
            self._held()
        return won

    async def renew(self) -> bool:
        """Extend the lease; False when it is lost (another holder, or the local deadline passed)."""
        if not self.valid():
            self.token = None  # past the local deadline the lease is gone, whatever the store says
            return False
        started = self.clock.monotonic()
        try:
            kept = await self._extend(self.token)  # type: ignore[arg-type]
        except LeaseStoreError as e:
            self._note_error(f"renew: {e}")
            if self.session_bound:  # the failure may have ended the session that kept others out
                self.token = None
                return False
            return self.valid()
        if not kept:
            self.token = None
            return False
        self._trusted_until = started + LOCAL_TRUST * self.ttl_s
        self._held()
        return self.valid()

    async def release(self) -> None:
        """Give the lease up now (a standby may take it at its next attempt)."""
        token, self.token = self.token, None
        if token is None:
            return
        try:
            await self._drop(token)
        except LeaseStoreError as e:
            self._note_error(f"release: {e}")  # it expires by itself after ttl

    def _note_error(self, what: str) -> None:
        if what != self.last_error:
            log.warning("lease %s: %s", self.name, what)
        self.last_error = what


__all__ = ["LOCAL_TRUST", "Lease", "LeaseRecord", "LeaseStoreError"]
