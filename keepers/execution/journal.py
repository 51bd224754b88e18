"""An append-only SQLite journal of every action's intent and outcome.

A bot records its intent before it builds a transaction, the signature (with the blockhash's last valid
block height) when it sends, and the outcome when it knows it. On restart, ``unfinished()`` lists what
was intended or in flight so the keeper neither repeats nor forgets work, and ``landed(key)`` says
whether an action with that idempotency key already succeeded.

Each call is one short transaction (WAL mode, synchronous=NORMAL), fast enough to call from the
event loop.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

from keepers.clock import LIVE, Clock

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS actions (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    bot TEXT,
    kind TEXT,
    target TEXT,
    detail TEXT,
    created_at REAL,
    signature TEXT,
    last_valid_block_height INTEGER,
    sent_at REAL,
    status TEXT NOT NULL DEFAULT 'pending',
    error TEXT,
    slot INTEGER,
    compute_units INTEGER,
    fee_lamports INTEGER,
    finished_at REAL,
    tx BLOB
);
CREATE INDEX IF NOT EXISTS actions_key ON actions(key);
CREATE INDEX IF NOT EXISTS actions_status ON actions(status);
"""


class Status(StrEnum):
    """An action's state: pending (intent recorded) -> sent -> one of the final states."""

    PENDING = "pending"
    SENT = "sent"
    LANDED = "landed"
    FAILED = "failed"
    EXPIRED = "expired"
    SKIPPED = "skipped"


FINAL_STATUSES = frozenset({Status.LANDED, Status.FAILED, Status.EXPIRED, Status.SKIPPED})


class JournalError(Exception):
    """The journal cannot be opened or written (corrupt, newer schema, unknown action)."""


@dataclass(frozen=True)
class JournalEntry:
    """One row of ``actions``; ``detail`` is the decoded JSON."""

    id: int
    key: str
    bot: str | None
    kind: str | None
    target: str | None
    detail: dict[str, Any]
    created_at: float | None
    signature: str | None
    last_valid_block_height: int | None
    sent_at: float | None
    status: Status
    error: str | None
    slot: int | None
    compute_units: int | None
    fee_lamports: int | None
    finished_at: float | None
    tx: bytes | None = None  # the signed transaction as sent: a restarted keeper resends exactly it


_COLUMNS = ", ".join(f.name for f in fields(JournalEntry))


def _entry(row: tuple) -> JournalEntry:
    values = dict(zip((f.name for f in fields(JournalEntry)), row))
    values["detail"] = json.loads(values["detail"]) if values["detail"] else {}
    values["status"] = Status(values["status"])  # the same text every version of the journal wrote
    return JournalEntry(**values)


class Journal:
    """The journal in the SQLite file at ``path`` (``":memory:"`` for a throwaway one)."""

    def __init__(self, path: Path | str, clock: Clock = LIVE) -> None:
        self.path = str(path)
        self.clock = clock
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        except sqlite3.Error as e:
            raise JournalError(f"journal {self.path}: cannot open: {e}") from None
        try:
            self._open()
        except BaseException:
            self._db.close()
            raise

    def _open(self) -> None:
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            # Checkpoints move the WAL into the database and fsync: milliseconds that must not fall on a
            # send. The owner calls ``checkpoint`` off the hot path (the runtime's housekeeping, close).
            self._db.execute("PRAGMA wal_autocheckpoint=0")
            # IMMEDIATE: another process may be writing (a standby keeper opening the active one's journal); a
            # deferred transaction that reads the schema and then writes would fail at once with "locked".
            self._db.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} INSERT OR IGNORE INTO meta(key, value) "
                                   f"VALUES ('schema_version', '{SCHEMA_VERSION}'); COMMIT;")
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            columns = {c[1] for c in self._db.execute("PRAGMA table_info(actions)")}
            if "tx" not in columns:  # a journal from before transactions were kept: same schema version,
                self._db.execute("ALTER TABLE actions ADD COLUMN tx BLOB")  # older keepers ignore the column
        except sqlite3.DatabaseError as e:
            raise JournalError(f"journal {self.path} is not a usable SQLite database ({e}); "
                               "move it aside or set keeper.journal_path to a new file") from None
        if row is None or not str(row[0]).isdigit():
            raise JournalError(f"journal {self.path} has no readable schema version; move it aside or set "
                               "keeper.journal_path to a new file")
        if int(row[0]) > SCHEMA_VERSION:
            raise JournalError(f"journal {self.path} has schema version {row[0]}, newer than this keeper supports "
                               f"({SCHEMA_VERSION}); upgrade perpkeep or use another keeper.journal_path")

    def _write(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        """Run one statement in its own transaction."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    cur = self._db.execute(sql, args)
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
                return cur
            except sqlite3.Error as e:
                raise JournalError(f"journal {self.path}: write failed: {e}") from None

    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as e:
                raise JournalError(f"journal {self.path}: read failed: {e}") from None

    def _update(self, action_id: int, sql: str, args: tuple) -> None:
        if self._write(sql + " WHERE id = ?", (*args, action_id)).rowcount != 1:
            raise JournalError(f"journal {self.path}: no action with id {action_id}")

    def record_intent(self, key: str, bot: str, kind: str, target: str, detail: dict[str, Any],
                      signature: str | None = None, last_valid_block_height: int | None = None,
                      tx: bytes | None = None) -> int:
        """Record that ``bot`` intends action ``kind`` on ``target`` (idempotency ``key``); return its id.

        With ``signature``, the intent is recorded as already signed and about to be sent (one write
        instead of ``record_intent`` then ``record_sent``); ``tx`` is the signed transaction's bytes.
        """
        text = json.dumps(detail, sort_keys=True, default=str)
        now = self.clock.time()
        if signature is None:
            cur = self._write("INSERT INTO actions(key, bot, kind, target, detail, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                              (key, bot, kind, target, text, now))
        else:
            cur = self._write("INSERT INTO actions(key, bot, kind, target, detail, created_at, status, signature,"
                              " last_valid_block_height, sent_at, tx) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              (key, bot, kind, target, text, now, Status.SENT.value, signature, last_valid_block_height,
                               now, tx))
        return int(cur.lastrowid)

    def checkpoint(self) -> None:
        """Move the write-ahead log into the database file (call off the hot path)."""
        with self._lock:
            try:
                self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error as e:
                raise JournalError(f"journal {self.path}: checkpoint failed: {e}") from None

    def record_sent(self, action_id: int, signature: str, last_valid_block_height: int, tx: bytes | None = None) -> None:
        """Record that the action's transaction was sent with ``signature``, valid until that block height
        (``tx``: its signed bytes, which a restarted keeper sends again while the chain does not know it)."""
        self._update(action_id,
                     "UPDATE actions SET status = ?, signature = ?, last_valid_block_height = ?, sent_at = ?, tx = ?",
                     (Status.SENT.value, signature, last_valid_block_height, self.clock.time(), tx))

    def record_sent_if_pending(self, action_id: int, signature: str, last_valid_block_height: int,
                               tx: bytes | None = None) -> bool:
        """``record_sent`` only while the action is still pending; False when another process sharing the
        journal closed it meanwhile (a keeper that lost its lease must not reopen it: ``keepers.ha``)."""
        cur = self._write("UPDATE actions SET status = ?, signature = ?, last_valid_block_height = ?, sent_at = ?, tx = ?"
                          " WHERE id = ? AND status = ?", (Status.SENT.value, signature, last_valid_block_height,
                                                           self.clock.time(), tx, action_id, Status.PENDING.value))
        return cur.rowcount == 1

    def record_outcome(self, action_id: int, status: Status | str, error: str | None = None, slot: int | None = None,
                       compute_units: int | None = None, fee_lamports: int | None = None) -> None:
        """Record the action's final ``status`` (landed, failed, expired or skipped) and what it cost; its
        transaction's bytes are dropped (only a restart resends them, and only unfinished actions)."""
        if status not in FINAL_STATUSES:
            raise ValueError(f"not a final status: {status!r} (one of {', '.join(sorted(FINAL_STATUSES))})")
        self._update(action_id,
                     "UPDATE actions SET status = ?, error = ?, slot = ?, compute_units = ?, fee_lamports = ?,"
                     " finished_at = ?, tx = NULL",
                     (str(status), error, slot, compute_units, fee_lamports, self.clock.time()))

    def _entries(self, where: str, args: tuple = ()) -> list[JournalEntry]:
        return [_entry(r) for r in self._read(f"SELECT {_COLUMNS} FROM actions {where}", args)]

    def unfinished(self) -> list[JournalEntry]:
        """Actions pending or sent, oldest first."""
        return self._entries("WHERE status IN (?, ?) ORDER BY id", (Status.PENDING.value, Status.SENT.value))

    def landed(self, key: str) -> bool:
        """Whether an action with ``key`` has landed."""
        rows = self._read("SELECT 1 FROM actions WHERE key = ? AND status = ? LIMIT 1", (key, Status.LANDED.value))
        return bool(rows)

    def latest(self, key: str) -> JournalEntry | None:
        """The newest action with ``key``, if any."""
        found = self._entries("WHERE key = ? ORDER BY id DESC LIMIT 1", (key,))
        return found[0] if found else None

    def counts(self) -> dict[str, int]:
        """How many actions are in each status (plain text keys: this dict is logged and printed as is)."""
        return {status: n for status, n in self._read("SELECT status, COUNT(*) FROM actions GROUP BY status")}

    def recent(self, limit: int = 50) -> list[JournalEntry]:
        """The newest ``limit`` actions, newest first."""
        return self._entries("ORDER BY id DESC LIMIT ?", (limit,))

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_only_rows(path: Path | str, sql: str, args: tuple = ()) -> list[tuple]:
    """Run ``sql`` on the journal at ``path`` opened read-only (a keeper may hold it open meanwhile)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


__all__ = ["FINAL_STATUSES", "Journal", "JournalEntry", "JournalError", "SCHEMA_VERSION", "Status", "read_only_rows"]
