"""Journal care on real SQLite files: a full disk (a real tmpfs), corruption (bytes of a real journal
overwritten), a second process on the file, an online backup while another process writes, retention
and compaction shrinking the file, and the `perpkeep journal` commands. The keeper itself (on the
in-process chain with the real program): its disk filling up stops it with the journal's error and a
counted write error; its housekeeping deletes finished actions past the retention."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from keepers.chain.inprocess import InProcessChain
from keepers.clock import VirtualClock
from keepers.config import ConfigError, load_config
from keepers.execution.journal import Journal, JournalError, Status, backup
from keepers.runtime import Keeper
from localnet.build import build_program
from sim.scenario import LedgerWorld, ScenarioSettings, build_ledger_world
from tests.unit.keepers.support import fill, in_process_config, tmpfs

ROOT = Path(__file__).resolve().parents[3]
PAD = {"pad": "x" * 300}  # about the size of a real action's detail


def _fill_journal(path: Path, rows: int, clock: VirtualClock | None = None, step_s: float = 0.0) -> Journal:
    """The journal at ``path`` with ``rows`` more landed actions, finished ``step_s`` apart from ``clock``'s
    time on (1970 without a clock), which is moved past them. Written in one transaction: a real journal
    file, fast."""
    clock = clock or VirtualClock(start_unix_s=1_000_000.0)
    Journal(path, clock=clock).close()  # the schema, as the keeper makes it
    db = sqlite3.connect(path)
    first = db.execute("SELECT COUNT(*) FROM actions").fetchone()[0]
    at = [clock.time() + n * step_s for n in range(rows)]
    db.executemany("INSERT INTO actions(key, bot, kind, target, detail, created_at, status, slot, finished_at) "
                   "VALUES (?, 'settler', 'settle_pnl', ?, ?, ?, 'landed', ?, ?)",
                   [(f"k{n}", f"u{n}", json.dumps(PAD), at[n], n, at[n]) for n in range(rows)])
    db.commit()
    db.close()
    clock.advance(rows * step_s)
    journal = Journal(path, clock=clock)
    assert sum(journal.counts().values()) == first + rows
    return journal


def _corrupt(path: Path, every_pages: int = 3) -> None:
    """Overwrite 200 bytes inside every ``every_pages``-th page after the first two (header and schema)."""
    size = path.stat().st_size
    with path.open("r+b") as f:
        for offset in range(4096 * 2, size, 4096 * every_pages):
            f.seek(offset + 100)
            f.write(os.urandom(200))


# -- a full disk -----------------------------------------------------------------------------------------
def test_a_full_disk_is_fatal_and_loses_no_committed_record(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", 256) as disk:
        seen: list[JournalError] = []
        j = Journal(disk / "journal.sqlite")
        j.listen(seen.append)
        written = 0
        with pytest.raises(JournalError) as failure:
            for n in range(10_000):  # 256 KiB holds far fewer
                j.record_intent(f"k{n}", "settler", "settle_pnl", "u", PAD)
                written += 1
        e = failure.value
        assert written > 0 and e.reason == "disk_full" and e.fatal and e.op == "write"
        assert "SQLITE_FULL" in str(e) and "free space" in str(e)
        assert seen == [e] and j.fatal is e
        # Unusable from now on: every call fails the same way, without trying the file again.
        with pytest.raises(JournalError, match="SQLITE_FULL"):
            j.unfinished()
        with pytest.raises(JournalError, match="SQLITE_FULL"):
            j.record_intent("later", "settler", "settle_pnl", "u", {})
        assert len(seen) == 1
        j.close()
        subprocess.run(["mount", "-o", "remount,size=4m", str(disk)], check=True, timeout=30)
        with Journal(disk / "journal.sqlite") as again:  # space freed: every committed intent is there
            assert [e.key for e in again.unfinished()] == [f"k{n}" for n in range(written)]


def test_opening_a_journal_on_a_full_disk_fails_clearly(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", 64) as disk:
        fill(disk)
        with pytest.raises(JournalError, match="disk is full|cannot open") as failure:
            Journal(disk / "journal.sqlite")
        assert failure.value.fatal and failure.value.op == "open"


# -- corruption ------------------------------------------------------------------------------------------
def test_a_journal_with_a_corrupt_header_is_refused_at_open(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    _fill_journal(path, 50).close()
    with path.open("r+b") as f:
        f.write(b"\xff" * 16)  # the "SQLite format 3" magic
    with pytest.raises(JournalError, match="is not a usable SQLite database .*not a database") as failure:
        Journal(path)
    assert failure.value.reason == "corrupt" and failure.value.fatal


def test_corrupt_pages_are_found_by_the_integrity_check_at_open(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    _fill_journal(path, 3000).close()
    _corrupt(path)
    with pytest.raises(JournalError, match="is not a usable SQLite database") as failure:
        Journal(path)
    assert failure.value.reason == "corrupt"
    assert "\n" not in str(failure.value)  # one line, however many problems the check lists


def test_corruption_met_while_running_is_fatal(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    _fill_journal(path, 15_000).close()  # ~6 MB: more than SQLite's page cache holds
    j = Journal(path)
    seen: list[JournalError] = []
    j.listen(seen.append)
    _corrupt(path)  # under the open journal
    with pytest.raises(JournalError, match="SQLITE_CORRUPT") as failure:
        j.counts()
        j.prune(time.time())
    assert failure.value.fatal and failure.value.reason == "corrupt" and "restore the last backup" in str(failure.value)
    with pytest.raises(JournalError, match="SQLITE_CORRUPT"):
        j.record_intent("after", "settler", "settle_pnl", "u", {})
    assert len(seen) == 1
    j.close()


# -- a second process on the file --------------------------------------------------------------------------
_HOLD_LOCK = textwrap.dedent("""
    import sqlite3, sys, time
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    db.execute("COMMIT")
""")


def _hold_write_lock(path: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_a_write_waits_for_another_process_holding_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal(path) as j:
        proc = _hold_write_lock(path, 0.8)
        started = time.monotonic()
        j.record_intent("k", "settler", "settle_pnl", "u", {})  # waits (busy timeout 5 s), then writes
        waited = time.monotonic() - started
        proc.wait(10)
        assert 0.3 < waited < 5.0, waited
        assert j.latest("k") is not None


def test_a_lock_held_past_the_busy_timeout_fails_one_write_but_not_the_journal(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal(path, busy_timeout_ms=200) as j:
        seen: list[JournalError] = []
        j.listen(seen.append)
        proc = _hold_write_lock(path, 1.5)
        with pytest.raises(JournalError, match="SQLITE_BUSY") as failure:
            j.record_intent("k", "settler", "settle_pnl", "u", {})
        assert failure.value.reason == "busy" and not failure.value.fatal and j.fatal is None and seen == [failure.value]
        proc.wait(10)
        j.record_intent("k2", "settler", "settle_pnl", "u", {})  # usable again once the lock is gone
        assert j.latest("k2") is not None and j.latest("k") is None


# -- online backup ---------------------------------------------------------------------------------------
_WRITER = textwrap.dedent("""
    import sys, time
    from keepers.execution.journal import Journal
    j = Journal(sys.argv[1])
    print("writing", flush=True)
    n, deadline = 0, time.monotonic() + float(sys.argv[2])
    while time.monotonic() < deadline and n < 200_000:
        aid = j.record_intent(f"w{n}", "settler", "settle_pnl", "u", {"pad": "x" * 300})
        j.record_outcome(aid, "landed")
        n += 1
        if n % 200 == 0:
            j.checkpoint()
    j.close()
    print(n, flush=True)
""")


def test_a_backup_taken_while_another_process_writes_is_a_consistent_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    _fill_journal(path, 2000).close()
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(path), "4"], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
        counts = []
        for i in range(4):
            time.sleep(0.3)
            done = backup(path, tmp_path / f"backup-{i}.sqlite")
            assert done.path == tmp_path / f"backup-{i}.sqlite" and not (tmp_path / f"backup-{i}.sqlite.partial").exists()
            db = sqlite3.connect(done.path)
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one self-contained file
            ids = [r[0] for r in db.execute("SELECT id FROM actions ORDER BY id")]
            # A snapshot: every row up to some point, each written whole (intent and outcome together).
            assert ids == list(range(1, len(ids) + 1)) and len(ids) == done.actions
            assert db.execute("SELECT COUNT(*) FROM actions WHERE id > 2000 AND status != 'landed'").fetchone()[0] <= 1
            db.close()
            counts.append(done.actions)
        total = 2000 + int(writer.stdout.readline())
        assert writer.wait(30) == 0
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    assert counts == sorted(counts) and counts[0] > 2000 and counts[-1] < total  # taken while rows were added
    assert backup(path, tmp_path / "final.sqlite").actions == total


def test_a_backup_into_a_folder_is_timestamped_and_an_existing_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    _fill_journal(path, 10).close()
    folder = tmp_path / "backups"
    folder.mkdir()
    done = backup(path, folder)
    assert done.path.parent == folder and done.path.name.startswith("journal-") and done.actions == 10
    with pytest.raises(JournalError, match="already exists"):
        backup(path, done.path)
    with pytest.raises(JournalError, match="is the journal itself"):
        backup(path, tmp_path / "." / "journal.sqlite")  # refused before it could overwrite
    with pytest.raises(JournalError, match="no such file"):
        backup(tmp_path / "absent.sqlite", tmp_path / "x.sqlite")


# -- retention and compaction -----------------------------------------------------------------------------
def test_retention_deletes_old_finished_actions_and_compaction_shrinks_the_file(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    clock = VirtualClock(start_unix_s=1_000_000.0)
    j = Journal(path, clock=clock)
    old_pending = j.record_intent("old-pending", "settler", "settle_pnl", "u", {})
    old_sent = j.record_intent("old-sent", "settler", "settle_pnl", "u", {}, signature="sig", last_valid_block_height=9)
    j.close()
    j = _fill_journal(path, 10_000, clock, step_s=10.0)  # 10 s apart: about 28 hours
    j.checkpoint("TRUNCATE")
    before = j.size_bytes()
    cutoff = clock.time() - 6 * 3600  # keep 6 hours: the newest 2160 rows
    done = j.compact(cutoff)
    assert done.deleted == 10_000 - 6 * 360 and done.bytes_before == before and not done.vacuumed
    assert done.bytes_after < before * 0.35, (before, done.bytes_after)
    assert os.path.getsize(path) == done.bytes_after and j.free_pages() == 0
    assert [e.id for e in j.unfinished()] == [old_pending, old_sent]  # kept whatever their age
    assert j.counts() == {"landed": 6 * 360, "pending": 1, "sent": 1}
    assert j.latest("k9999") is not None and j.latest("k0") is None
    j.close()


def test_a_journal_made_before_incremental_vacuum_shrinks_only_with_a_full_vacuum(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE older(x)").connection.close()  # auto_vacuum = NONE, for good
    clock = VirtualClock(start_unix_s=1_000_000.0)
    j = _fill_journal(path, 4000, clock, step_s=1.0)
    assert not j.incremental
    j.checkpoint("TRUNCATE")
    full = j.size_bytes()
    kept = j.compact(clock.time() + 1)  # everything is older: deleted, but the pages stay in the file
    assert kept.deleted == 4000 and kept.bytes_after >= full * 0.9 and j.free_pages() > 0
    rewritten = j.compact(clock.time() + 1, vacuum=True)
    assert rewritten.vacuumed and rewritten.bytes_after < full * 0.1 and j.incremental
    j.close()


# -- configuration ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("line", "message"), [
    ('journal_synchronous = "off"', "keeper.journal_synchronous: must be one of normal, full"),
    ("journal_retention_hours = 0.5", "keeper.journal_retention_hours: must be a number >= 1"),
    ("journal_compact_interval_s = 0", "keeper.journal_compact_interval_s: must be a number >= 1"),
    ("journal_retention_days = 7", "unknown key 'keeper.journal_retention_days' (did you mean 'journal_retention_hours'?)"),
])
def test_bad_journal_settings_are_refused_by_key(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "keeper.toml"
    path.write_text(f'[cluster]\nrpc_url = "http://127.0.0.1:8899"\n[keeper]\nkeypair_path = "k.json"\n{line}\n')
    with pytest.raises(ConfigError) as failure:
        load_config(path, env={})
    assert message in str(failure.value)


# -- the commands ----------------------------------------------------------------------------------------
def _perpkeep(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERPKEEP_")}
    return subprocess.run([sys.executable, "-m", "perpkeep_cli", *args], capture_output=True, text=True, timeout=60,
                          cwd=ROOT, env=env)


def test_the_journal_commands(tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite"
    _fill_journal(journal, 500).close()  # written in 1970 by its virtual clock: older than any retention
    config = tmp_path / "keeper.toml"
    config.write_text(f'[cluster]\nrpc_url = "http://127.0.0.1:8899"\n[keeper]\nkeypair_path = "k.json"\n'
                      f'journal_path = "{journal.name}"\njournal_retention_hours = 2\n')
    r = _perpkeep("journal", "backup", str(tmp_path / "copy.sqlite"), "--config", str(config))
    assert r.returncode == 0 and f"backed up {journal} to {tmp_path / 'copy.sqlite'}: 500 actions" in r.stdout, r.stderr
    r = _perpkeep("journal", "compact", "--config", str(config))
    assert r.returncode == 0 and "deleted 500 finished actions older than 2 hours" in r.stdout, r.stderr
    with Journal(journal) as j:
        assert j.counts() == {}
    r = _perpkeep("journal", "backup", str(tmp_path / "copy.sqlite"), "--journal", str(journal))
    assert r.returncode == 1 and r.stderr.strip() == f"perpkeep: backup {tmp_path / 'copy.sqlite'}: already exists " \
                                                     "(choose another name or a folder)", r.stderr
    r = _perpkeep("journal", "compact", "--journal", str(tmp_path / "absent.sqlite"))
    assert r.returncode == 1 and r.stderr.strip() == f"perpkeep: journal {tmp_path / 'absent.sqlite'}: no such file"
    broken = tmp_path / "broken.sqlite"
    _fill_journal(broken, 3000).close()
    _corrupt(broken)
    for command in (("compact",), ("backup", str(tmp_path / "of-broken.sqlite"))):
        r = _perpkeep("journal", *command, "--journal", str(broken))
        assert r.returncode == 1 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "corrupt" in r.stderr or "not a usable SQLite database" in r.stderr, r.stderr
    assert not (tmp_path / "of-broken.sqlite").exists()


# -- the keeper ------------------------------------------------------------------------------------------
SETTINGS = ScenarioSettings(users=8, crash_at=6, crash_drop=0.14, seconds_per_slot=60, funding_period_s=600,
                            takers_per_slot=2)


@pytest.fixture
def world(perp_program: bytes) -> LedgerWorld:
    return build_ledger_world(SETTINGS, perp_program, Path(build_program("mock_oracle")).read_bytes())


def _keeper(world: LedgerWorld, folder: Path, **keeper: object) -> Keeper:
    config = in_process_config(folder)
    config = dataclasses.replace(config, keeper=dataclasses.replace(config.keeper, **keeper))
    return Keeper(config, InProcessChain(world.ledger), world.dep.wallets["keeper"], serve_http=False)


async def test_a_keeper_whose_disk_fills_up_stops_with_the_journal_error(world: LedgerWorld, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", 1024) as disk:
        keeper = _keeper(world, tmp_path, journal_path=disk / "journal.sqlite")
        run = asyncio.create_task(keeper.run())
        for _ in range(200):  # until the keeper has journaled some actions (bounded)
            world.scenario.step(world.ledger.advance_slot())
            await asyncio.sleep(0.02)
            if keeper._started and sum(keeper.journal.counts().values()) >= 5:
                break
        assert sum(keeper.journal.counts().values()) >= 5
        fill(disk)
        for _ in range(600):  # the crash keeps the bots busy: some write hits the full disk
            if run.done():
                break
            world.scenario.step(world.ledger.advance_slot())
            await asyncio.sleep(0.02)
        assert run.done(), "the keeper kept running on a full disk"
        with pytest.raises(JournalError, match="SQLITE_FULL") as failure:
            await run
        assert failure.value.fatal and failure.value.reason == "disk_full" and keeper.fatal is failure.value
        metrics = keeper.metrics.render().decode()
        assert 'perpkeep_journal_write_errors_total{reason="disk_full"} 1.0' in metrics
        assert "SQLITE_FULL" in (keeper.health.problems.get("journal") or "")


async def test_the_keeper_deletes_finished_actions_past_the_retention(world: LedgerWorld, tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    old = _fill_journal(path, 2500)  # finished in 1970 by its virtual clock
    pending = old.record_intent("old-pending", "settler", "settle_pnl", "u", {})
    old.close()
    keeper = _keeper(world, tmp_path, journal_path=path, journal_retention_hours=1.0, journal_compact_interval_s=1.0)
    await keeper.start()
    try:
        for _ in range(200):  # 10 s at most; three passes of 1000 rows, each after a slot
            world.ledger.advance_slot()
            await asyncio.sleep(0.05)
            if keeper.journal.latest("k2499") is None:
                break
        assert keeper.journal.latest("k0") is None and keeper.journal.latest("k2499") is None
        resolved = keeper.journal.latest("old-pending")  # closed at start (never sent), just now: kept
        assert resolved.id == pending and resolved.status is Status.EXPIRED
    finally:
        await keeper.stop()
