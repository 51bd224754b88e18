"""The lease in PostgreSQL: one row per lease in ``perpkeep_lease``, changed in short transactions.

The row holds the holder's name, token, expiry (the server's ``now()``: one clock for every host) and
the holder's database session (backend pid and start time). Each claim runs under
``pg_advisory_xact_lock`` on the lease's name, so two standbys never both take it, and takes the
lease when it is released, expired, or when the holder's session no longer exists in
``pg_stat_activity``: a holder killed with ``kill -9`` closes its connection, its backend ends at once,
and a standby's next attempt (every ``renew_interval_s``) takes over without waiting for the expiry.

A hung holder keeps its session open, so its session cannot tell: it is the heartbeat that does. The
holder renews the expiry from its event loop (``keepers.ha.coordinator``); a loop that hangs (or a
process stopped with SIGSTOP) stops renewing, the row expires ``lease_ttl_s`` after the last renewal,
and a standby takes over. The hung holder, when it runs again, is fenced by its local deadline
(``keepers.ha.lease``) before it can send anything, and its next renewal finds another token.

Because a standby takes over as soon as the holder's session ends, the holder must not outlive its
session: between statements it watches its connection's socket (``loop.add_reader``), and anything the
server sends unasked (the FATAL of a terminated backend, the close of a restarting server) ends the
lease at once (``valid`` turns false before the next send); a statement that fails ends it too
(``session_bound``). A network partition ends neither side's view of the session at once; then the
expiry decides, as for a hung holder.

Every statement is bounded by ``op_timeout_s``; a connection that failed or timed out is closed and
opened again at the next call (``psycopg`` 3, autocommit, one connection per process).
"""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg

from keepers.clock import LIVE, Clock
from keepers.ha.lease import Lease, LeaseStoreError

TABLE_DDL = """
CREATE TABLE IF NOT EXISTS perpkeep_lease (
    name text PRIMARY KEY,
    holder text NOT NULL,
    token text,
    expires_at timestamptz NOT NULL,
    backend_pid integer,
    backend_start timestamptz
)"""
_SESSION = "(SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid())"


class PostgresLease(Lease):
    """A lease in the database at ``dsn`` (see the module docstring)."""

    session_bound = True

    def __init__(self, dsn: str, name: str, holder: str, ttl_s: float, clock: Clock = LIVE,
                 op_timeout_s: float | None = None) -> None:
        super().__init__(name, holder, ttl_s, clock)
        self.dsn = dsn
        self.op_timeout_s = op_timeout_s if op_timeout_s is not None else max(0.5, min(ttl_s / 2, 5.0))
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._lock = asyncio.Lock()  # one statement at a time on the connection
        self._watched: int | None = None  # the socket watched between statements
        self._session_lost = False

    def valid(self) -> bool:
        """Held, within the local deadline, and the session that holds it still open."""
        return not self._session_lost and super().valid()

    def _held(self) -> None:
        self._session_lost = False
        self._watch()

    def _watch(self) -> None:
        """Between statements, watch the socket: the server speaks unasked only to end the session."""
        if self.token is None or self._conn is None or self._conn.closed:
            return
        fd = self._conn.fileno()
        asyncio.get_running_loop().add_reader(fd, self._on_unasked)
        self._watched = fd

    def _unwatch(self) -> None:
        if self._watched is not None:
            asyncio.get_running_loop().remove_reader(self._watched)
            self._watched = None

    def _on_unasked(self) -> None:
        self._unwatch()
        if self.token is not None:
            self._session_lost = True
            self._note_error("the server ended the lease's session")

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = await psycopg.AsyncConnection.connect(
                self.dsn, autocommit=True, connect_timeout=max(1, int(self.op_timeout_s)),
                application_name=f"perpkeep-ha {self.holder}"[:63])
            async with self._conn.transaction():
                await self._conn.execute("SELECT pg_advisory_xact_lock(hashtext('perpkeep_lease ddl'))")
                await self._conn.execute(TABLE_DDL)
        return self._conn

    async def _run(self, work: Any) -> Any:
        """Run ``work(conn)`` within ``op_timeout_s``; a failure closes the connection and raises LeaseStoreError."""
        async with self._lock:
            self._unwatch()
            if self._session_lost:
                await self._discard()
            try:
                result = await asyncio.wait_for(self._with_connection(work), self.op_timeout_s)
            except (psycopg.Error, OSError, TimeoutError) as e:
                await self._discard()
                raise LeaseStoreError(f"postgres: {type(e).__name__}: {e}".strip()) from None
            return result

    async def _with_connection(self, work: Any) -> Any:
        return await work(await self._connection())

    async def _discard(self) -> None:
        self._unwatch()
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close()
            except (psycopg.Error, OSError):
                pass

    async def _claim(self, token: str) -> bool:
        async def work(conn: psycopg.AsyncConnection[Any]) -> bool:
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext('perpkeep_lease:' || %s))", (self.name,))
                cur = await conn.execute(
                    "SELECT token IS NULL OR expires_at <= now() OR NOT EXISTS (SELECT 1 FROM pg_stat_activity a "
                    "WHERE a.pid = l.backend_pid AND a.backend_start = l.backend_start) "
                    "FROM perpkeep_lease l WHERE name = %s", (self.name,))
                row = await cur.fetchone()
                if row is not None and not row[0]:
                    return False
                await conn.execute(
                    "INSERT INTO perpkeep_lease (name, holder, token, expires_at, backend_pid, backend_start) "
                    f"VALUES (%s, %s, %s, now() + %s * interval '1 second', pg_backend_pid(), {_SESSION}) "
                    "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, token = excluded.token, "
                    "expires_at = excluded.expires_at, backend_pid = excluded.backend_pid, "
                    "backend_start = excluded.backend_start",
                    (self.name, self.holder, token, self.ttl_s))
                return True
        return await self._run(work)

    async def _extend(self, token: str) -> bool:
        async def work(conn: psycopg.AsyncConnection[Any]) -> bool:
            cur = await conn.execute(
                "UPDATE perpkeep_lease SET expires_at = now() + %s * interval '1 second', "
                f"backend_pid = pg_backend_pid(), backend_start = {_SESSION} WHERE name = %s AND token = %s",
                (self.ttl_s, self.name, token))
            return cur.rowcount == 1
        return await self._run(work)

    async def _drop(self, token: str) -> None:
        async def work(conn: psycopg.AsyncConnection[Any]) -> None:
            await conn.execute("UPDATE perpkeep_lease SET token = NULL, expires_at = now() WHERE name = %s AND token = %s",
                               (self.name, token))
        await self._run(work)

    async def close(self) -> None:
        """Close the connection."""
        async with self._lock:
            await self._discard()


__all__ = ["PostgresLease", "TABLE_DDL"]
