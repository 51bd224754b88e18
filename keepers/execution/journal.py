"""An append-only SQLite journal of every action's intent and outcome.

A bot records its intent before it builds a transaction, the signature (with the blockhash's last valid
block height) when it sends, and the outcome when it knows it. On restart, ``unfinished()`` lists what
was intended or in flight so the keeper neither repeats nor forgets work, and ``landed(key)`` says
whether an action with that idempotency key already succeeded.

Each call is one short transaction, fast enough to call from the event loop. The file is in WAL mode:
readers (``perpkeep journal backup``, a standby keeper of an HA pair on the same host) never block the
keeper's writes, and a second process that writes waits up to ``busy_timeout_ms`` for the lock instead
of failing at once. ``synchronous`` is NORMAL by default: in WAL mode a commit survives the process
being killed (the WAL is in the OS's cache), and only a power loss or kernel crash can take the last
commits since the previous checkpoint (the file stays consistent). That costs no fsync per action on
the send path, and what it can lose is bounded by the chain: every action is checked on chain (a
liquidation of a healthy account fails, a crank of a fresh market is refused), so a lost intent costs
at most a failed transaction's fee. FULL (``keeper.journal_synchronous``) fsyncs the WAL on every
commit, for hosts where that trade is not wanted.

Retention: ``prune`` deletes finished actions older than a cut-off and ``reclaim`` hands the freed
pages back to the file system (a new journal is created with incremental auto-vacuum; an older one
needs one ``vacuum`` to switch). Failures are classified (``JournalError.reason``): a full disk, a corrupt
file and I/O errors are fatal (``JournalError.fatal``): the journal refuses every later call and tells
its listeners, and the keeper stops rather than act without a record; a lock held too long by another
process (``busy``) is not. ``backup`` copies a journal in use with SQLite's online backup API.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable
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
CREATE INDEX IF NOT EXISTS actions_finished_at ON actions(finished_at);
"""
_SCHEMA_OBJECTS = frozenset(re.findall(r"CREATE (?:TABLE|INDEX) IF NOT EXISTS (\w+)", _SCHEMA))

BUSY_TIMEOUT_MS = 5_000  # how long a write waits for another process's lock (an HA pair on one host)
WAL_SIZE_LIMIT_BYTES = 64 << 20  # the WAL file is truncated to this after a checkpoint that empties it
# SQLite's page cache of the journal's connection, in KiB. The cache fills as the journal grows (about
# 150 KiB per 1,000 actions): at SQLite's default cap of 2 MiB that took hours at the demo's load, and
# the keeper's memory grew for as long (benchmarks.resources). The journal is written at the end of its
# table and indexes and read by key: 64 pages keep that hot set, the OS's file cache holds the rest, and
# the cap is reached within minutes.
PAGE_CACHE_KIB = 256
SYNCHRONOUS = ("normal", "full")
DEFAULT_RETENTION_HOURS = 168.0  # finished actions are kept a week (``keeper.journal_retention_hours``)
# SQLite primary result codes (https://sqlite.org/rescode.html) and what they mean for the keeper.
_FATAL_CODES = {13: "disk_full", 11: "corrupt", 26: "corrupt", 10: "io_error", 14: "io_error", 8: "read_only",
                3: "io_error", 15: "io_error"}  # FULL, CORRUPT, NOTADB, IOERR, CANTOPEN, READONLY, PERM, PROTOCOL
_TRANSIENT_CODES = {5: "busy", 6: "busy"}  # BUSY, LOCKED: another connection held the lock past the timeout
_ADVICE = {
    "disk_full": "the disk holding the journal is full: free space (or move keeper.journal_path) and start the "
                 "keeper again; it resumes from the journal",
    "corrupt": "the journal file is corrupt: move it aside (keep it for inspection) and restore the last backup "
               "(perpkeep journal backup) or start on a new keeper.journal_path",
    "io_error": "the journal file cannot be read or written: check the disk and the file's permissions",
    "read_only": "the journal file or its folder is read-only: the keeper needs to write it",
}


class Status(StrEnum):
    """An action's state: pending (intent recorded) -> sent -> one of the final states."""

    PENDING = "pending"
    SENT = "sent"
    LANDED = "landed"
    FAILED = "failed"
    EXPIRED = "expired"
    SKIPPED = "skipped"


FINAL_STATUSES = frozenset({Status.LANDED, Status.FAILED, Status.EXPIRED, Status.SKIPPED})


# Every ``JournalError.reason`` (metrics export each at 0 from the start, so a rate over them has a series).
JOURNAL_ERROR_REASONS = ("disk_full", "corrupt", "io_error", "read_only", "busy", "other")


class JournalError(Exception):
    """The journal cannot be opened or written (corrupt, full disk, newer schema, unknown action).

    ``reason`` names the failure for metrics (``disk_full``, ``corrupt``, ``io_error``, ``read_only``,
    ``busy``, ``other``), ``op`` the call (``write``, ``read``, ``checkpoint``, ``compact``, ``open``), and
    ``fatal`` says that the journal is unusable until a human acts (every later call fails too).
    """

    def __init__(self, message: str, reason: str = "other", op: str = "write", fatal: bool = False) -> None:
        super().__init__(message)
        self.reason, self.op, self.fatal = reason, op, fatal


def classify(error: sqlite3.Error) -> tuple[str, bool]:
    """(reason, fatal) of a SQLite error, from its result code (its message when it has none)."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        primary = code & 0xFF
        if primary in _FATAL_CODES:
            return _FATAL_CODES[primary], True
        if primary in _TRANSIENT_CODES:
            return _TRANSIENT_CODES[primary], False
    text = str(error).lower()
    if "malformed" in text or "not a database" in text:
        return "corrupt", True
    if "disk is full" in text:
        return "disk_full", True
    return "other", False


@dataclass(frozen=True)
class CompactResult:
    """What ``Journal.compact`` did: rows deleted, and the file's size (database + WAL) before and after."""

    deleted: int
    bytes_before: int
    bytes_after: int
    vacuumed: bool  # a full VACUUM ran (else incremental reclaim, or none on a journal without auto-vacuum)


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

    def __init__(self, path: Path | str, clock: Clock = LIVE, synchronous: str = "normal",
                 busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        if synchronous not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}, got {synchronous!r}")
        self.path = str(path)
        self.clock = clock
        self.fatal: JournalError | None = None  # set by the first fatal failure; every later call raises it
        self._listeners: list[Callable[[JournalError], None]] = []
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None,
                                       timeout=busy_timeout_ms / 1000)
        except sqlite3.Error as e:
            raise JournalError(f"journal {self.path}: cannot open: {e}", classify(e)[0], op="open", fatal=True) from None
        try:
            self._open(synchronous, busy_timeout_ms)
        except BaseException:
            self._db.close()
            raise

    def _open(self, synchronous: str, busy_timeout_ms: int) -> None:
        try:
            self._db.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            have = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')")}
            if not have:  # a new file: auto_vacuum takes effect only before the first table (or at VACUUM), and
                # setting it on a file in use waits for the write lock like a write
                self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={synchronous.upper()}")
            self._db.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT_BYTES}")
            self._db.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")
            # Checkpoints move the WAL into the database and fsync: milliseconds that must not fall on a
            # send. The owner calls ``checkpoint`` off the hot path (the runtime's housekeeping, close).
            self._db.execute("PRAGMA wal_autocheckpoint=0")
            # Created only when something is missing: a standby keeper opens the journal the active one keeps
            # writing, and a write transaction there could wait out the busy timeout behind a steady stream of
            # writes (SQLite's busy handler does not queue). IMMEDIATE: a deferred transaction that reads the
            # schema and then writes would fail at once with "locked".
            if not _SCHEMA_OBJECTS <= have:
                self._db.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} INSERT OR IGNORE INTO meta(key, value) "
                                       f"VALUES ('schema_version', '{SCHEMA_VERSION}'); COMMIT;")
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            columns = {c[1] for c in self._db.execute("PRAGMA table_info(actions)")}
            if "tx" not in columns:  # a journal from before transactions were kept: same schema version,
                self._db.execute("ALTER TABLE actions ADD COLUMN tx BLOB")  # older keepers ignore the column
            # Every page's structure, once at start (O(file), milliseconds for a pruned journal): a corrupt
            # page found now stops the keeper before it acts, rather than at some write hours later.
            problems = [line for r in self._db.execute("PRAGMA quick_check(5)") for line in r[0].splitlines()]
        except sqlite3.DatabaseError as e:
            reason, _ = classify(e)
            if reason in ("busy", "disk_full", "io_error", "read_only"):
                raise JournalError(f"journal {self.path}: cannot open: {e}; {_ADVICE.get(reason, '')}".rstrip("; "),
                                   reason, op="open", fatal=True) from None
            raise JournalError(f"journal {self.path} is not a usable SQLite database ({e}); move it aside and "
                               "restore a backup, or set keeper.journal_path to a new file",
                               "corrupt", op="open", fatal=True) from None
        if problems != ["ok"]:
            raise JournalError(f"journal {self.path} is not a usable SQLite database (integrity check: "
                               f"{'; '.join(problems)}); move it aside and restore a backup, or set "
                               "keeper.journal_path to a new file", "corrupt", op="open", fatal=True)
        if row is None or not str(row[0]).isdigit():
            raise JournalError(f"journal {self.path} has no readable schema version; move it aside or set "
                               "keeper.journal_path to a new file")
        if int(row[0]) > SCHEMA_VERSION:
            raise JournalError(f"journal {self.path} has schema version {row[0]}, newer than this keeper supports "
                               f"({SCHEMA_VERSION}); upgrade perpkeep or use another keeper.journal_path")

    def listen(self, callback: Callable[[JournalError], None]) -> None:
        """Call ``callback`` with every failure of a call on the journal (before it is raised)."""
        self._listeners.append(callback)

    def _failed(self, op: str, e: sqlite3.Error) -> JournalError:
        """The ``JournalError`` for SQLite error ``e`` in ``op``; a fatal one marks the journal unusable."""
        reason, fatal = classify(e)
        name = getattr(e, "sqlite_errorname", None)
        advice = _ADVICE.get(reason)
        error = JournalError(f"journal {self.path}: {op} failed: {e}" + (f" ({name})" if name else "")
                             + (f"; {advice}" if advice else ""), reason, op, fatal)
        if fatal and self.fatal is None:
            self.fatal = error
        for callback in self._listeners:
            callback(error)
        return error

    def _usable(self) -> None:
        if self.fatal is not None:
            raise JournalError(str(self.fatal), self.fatal.reason, self.fatal.op, fatal=True)

    def _rollback(self) -> None:
        if self._db.in_transaction:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # SQLite rolled back itself (a full disk or I/O error may do that)

    def _write(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        """Run one statement in its own transaction."""
        with self._lock:
            self._usable()
            try:
                self._db.execute("BEGIN IMMEDIATE")
                cur = self._db.execute(sql, args)
                self._db.execute("COMMIT")
                return cur
            except sqlite3.Error as e:
                self._rollback()
                raise self._failed("write", e) from None
            except BaseException:
                self._rollback()
                raise

    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            self._usable()
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as e:
                raise self._failed("read", e) from None

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

    def checkpoint(self, mode: str = "PASSIVE") -> None:
        """Move the write-ahead log into the database file (call off the hot path). ``TRUNCATE`` also
        empties the WAL file, waiting (up to the busy timeout) for readers to finish."""
        with self._lock:
            self._usable()
            try:
                self._db.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()
            except sqlite3.Error as e:
                raise self._failed("checkpoint", e) from None

    # -- retention ----------------------------------------------------------------------------------
    def prune(self, before: float, limit: int | None = None) -> int:
        """Delete finished actions whose outcome was recorded before unix time ``before`` (at most
        ``limit`` of them, oldest first, in one short transaction); return how many. Pending and sent
        actions are kept whatever their age: a restart still has to resolve them."""
        if limit is None:
            sql, args = "DELETE FROM actions WHERE finished_at < ?", (before,)
        else:
            sql, args = ("DELETE FROM actions WHERE id IN (SELECT id FROM actions WHERE finished_at < ? "
                         "ORDER BY finished_at LIMIT ?)", (before, limit))
        return self._write(sql, args).rowcount

    @property
    def incremental(self) -> bool:
        """Whether the file reclaims freed pages incrementally (new journals do; older ones after ``vacuum``)."""
        return self._read("PRAGMA auto_vacuum")[0][0] == 2

    def free_pages(self) -> int:
        """Pages of the file that hold nothing (freed by deletes, not yet handed back)."""
        return int(self._read("PRAGMA freelist_count")[0][0])

    def reclaim(self, max_pages: int | None = None) -> int:
        """Hand up to ``max_pages`` free pages (all: None) back to the file system, in one short write;
        return how many were free before. The file shrinks at the next checkpoint. Nothing on a journal
        without incremental auto-vacuum (its free pages are reused by new rows; ``vacuum`` converts it)."""
        free = self.free_pages()
        if free and self.incremental:
            with self._lock:
                self._usable()
                try:
                    pragma = f"PRAGMA incremental_vacuum({int(max_pages)})" if max_pages else "PRAGMA incremental_vacuum"
                    self._db.execute(pragma).fetchall()
                except sqlite3.Error as e:
                    self._rollback()
                    raise self._failed("compact", e) from None
        return free

    def vacuum(self) -> None:
        """Rewrite the whole file without free pages (and switch it to incremental auto-vacuum). Holds the
        write lock for the whole rewrite: another writer waits, and fails after the busy timeout."""
        with self._lock:
            self._usable()
            try:
                self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")
                self._db.execute("VACUUM")
            except sqlite3.Error as e:
                self._rollback()
                raise self._failed("compact", e) from None

    def size_bytes(self) -> int:
        """The database file and its WAL, in bytes."""
        return sum(os.path.getsize(p) for p in (self.path, self.path + "-wal") if os.path.exists(p))

    def compact(self, before: float, vacuum: bool = False, batch: int = 1000) -> CompactResult:
        """Delete finished actions older than ``before`` (in batches of ``batch``, each its own short
        transaction, so a running keeper's writes interleave), hand the freed pages back (``vacuum``:
        rewrite the file, for a journal without incremental auto-vacuum) and empty the WAL."""
        size_before = self.size_bytes()
        deleted = 0
        while (n := self.prune(before, batch)) > 0:
            deleted += n
        if vacuum:
            self.vacuum()
        else:
            while self.free_pages() and self.incremental:
                self.reclaim(batch)
        self.checkpoint("TRUNCATE")
        return CompactResult(deleted, size_before, self.size_bytes(), vacuum)

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

    def of_kind(self, kind: str, limit: int = 1000) -> list[JournalEntry]:
        """The newest ``limit`` actions of ``kind``, newest first (a strategy's own look back after a restart)."""
        return self._entries("WHERE kind = ? ORDER BY id DESC LIMIT ?", (kind, limit))

    def counts(self) -> dict[str, int]:
        """How many actions are in each status (plain text keys: this dict is logged and printed as is)."""
        return {status: n for status, n in self._read("SELECT status, COUNT(*) FROM actions GROUP BY status")}

    def recent(self, limit: int = 50) -> list[JournalEntry]:
        """The newest ``limit`` actions, newest first."""
        return self._entries("ORDER BY id DESC LIMIT ?", (limit,))

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            try:
                self._db.close()
            except sqlite3.Error:
                pass  # a broken file: nothing left to save

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class BackupResult:
    """A finished backup: where, how many actions it holds, its size."""

    path: Path
    actions: int
    bytes: int
    seconds: float


def backup(source: Path | str, dest: Path | str, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> BackupResult:
    """Copy the journal at ``source`` to ``dest`` with SQLite's online backup API while a keeper may be
    writing it; ``dest`` a folder: a timestamped file in it. The copy is one consistent snapshot (all pages
    in one step, inside one read transaction: in WAL mode the keeper's writes go on meanwhile), written to
    a temporary file, checked (``integrity_check``), switched out of WAL mode (one self-contained file) and
    renamed into place. Raises ``JournalError``; an existing ``dest`` file is refused."""
    source, dest = Path(source), Path(dest)
    if dest.is_dir():
        dest = dest / f"{source.stem}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.sqlite"
    if not source.is_file():
        raise JournalError(f"journal {source}: no such file", op="backup")
    if dest.resolve() == source.resolve():
        raise JournalError(f"backup {dest}: is the journal itself", op="backup")
    if dest.exists():
        raise JournalError(f"backup {dest}: already exists (choose another name or a folder)", op="backup")
    partial = dest.with_name(dest.name + ".partial")
    started = time.monotonic()
    src = dst = None
    try:
        src = sqlite3.connect(source, timeout=busy_timeout_ms / 1000)
        dst = sqlite3.connect(partial, isolation_level=None)
        src.backup(dst)  # pages=-1: one step
        dst.execute("PRAGMA journal_mode=DELETE")
        problems = [line for r in dst.execute("PRAGMA integrity_check(5)") for line in r[0].splitlines()]
        if problems != ["ok"]:
            raise JournalError(f"backup of {source}: the copy fails its integrity check ({'; '.join(problems)}): "
                               "the journal itself is probably corrupt", "corrupt", op="backup")
        actions = dst.execute("SELECT COUNT(*) FROM actions").fetchone()[0]
        dst.close()
        dst = None
        os.replace(partial, dest)
    except sqlite3.Error as e:
        reason, _ = classify(e)
        raise JournalError(f"backup of {source} to {dest} failed: {e}; {_ADVICE.get(reason, '')}".rstrip("; "),
                           reason, op="backup") from None
    finally:
        for db in (src, dst):
            if db is not None:
                db.close()
        partial.unlink(missing_ok=True)
    return BackupResult(dest, int(actions), dest.stat().st_size, time.monotonic() - started)


def read_only_rows(path: Path | str, sql: str, args: tuple = ()) -> list[tuple]:
    """Run ``sql`` on the journal at ``path`` opened read-only (a keeper may hold it open meanwhile)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


__all__ = ["BUSY_TIMEOUT_MS", "DEFAULT_RETENTION_HOURS", "FINAL_STATUSES", "SYNCHRONOUS", "BackupResult", "CompactResult", "Journal", "JournalEntry",
           "JournalError", "SCHEMA_VERSION", "Status", "backup", "classify", "read_only_rows"]
