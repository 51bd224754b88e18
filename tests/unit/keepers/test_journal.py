"""keepers/execution/journal.py: intents and outcomes survive a restart; bad files are refused clearly."""

from __future__ import annotations

import multiprocessing
import sqlite3
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from keepers.clock import VirtualClock
from keepers.execution.journal import SCHEMA_VERSION, Journal, JournalError, Status


def test_round_trip() -> None:
    clock = VirtualClock(start_unix_s=1001.0)
    with Journal(":memory:", clock=clock) as j:
        aid = j.record_intent("liq:user1:5", "liquidator", "liquidate_perp", "user1", {"market": 0, "base": -5})
        e = j.latest("liq:user1:5")
        assert (e.id, e.bot, e.kind, e.target, e.status) == (aid, "liquidator", "liquidate_perp", "user1", "pending")
        assert e.detail == {"market": 0, "base": -5} and e.created_at == 1001.0 and e.signature is None
        clock.advance(1)
        j.record_sent(aid, "sig1", 12345)
        e = j.latest("liq:user1:5")
        assert (e.status, e.signature, e.last_valid_block_height, e.sent_at) == ("sent", "sig1", 12345, 1002.0)
        clock.advance(1)
        j.record_outcome(aid, Status.LANDED, slot=77, compute_units=42_000, fee_lamports=5_000)
        e = j.latest("liq:user1:5")
        assert (e.status, e.slot, e.compute_units, e.fee_lamports, e.finished_at, e.error) == (
            "landed", 77, 42_000, 5_000, 1003.0, None)


def test_unfinished_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    j = Journal(path)
    a = j.record_intent("a", "settler", "settle_pnl", "u1", {})
    b = j.record_intent("b", "settler", "settle_pnl", "u2", {})
    c = j.record_intent("c", "funding", "update_funding", "m0", {})
    j.record_sent(b, "sig-b", 99)
    j.record_outcome(c, "failed", error="StaleOracle")
    j.close()  # the "crash"
    j = Journal(path)
    assert [(e.id, e.status) for e in j.unfinished()] == [(a, "pending"), (b, "sent")]
    assert j.latest("c").error == "StaleOracle"
    d = j.record_intent("d", "settler", "settle_pnl", "u3", {})
    assert d > c
    j.close()


def test_landed_latest_counts_recent() -> None:
    j = Journal(":memory:")
    first = j.record_intent("k", "mark_price", "update_prices", "m0", {})
    j.record_outcome(first, "expired")
    assert not j.landed("k")
    second = j.record_intent("k", "mark_price", "update_prices", "m0", {})
    j.record_sent(second, "sig", 1)
    j.record_outcome(second, "landed")
    third = j.record_intent("other", "insurance", "settle_revenue_to_insurance", "m0", {})
    j.record_outcome(third, Status.SKIPPED)
    j.record_intent("p", "insurance", "x", "m1", {})
    assert j.landed("k") and not j.landed("other") and not j.landed("absent")
    assert j.latest("k").id == second and j.latest("absent") is None
    assert j.counts() == {"expired": 1, "landed": 1, "skipped": 1, "pending": 1}
    assert [e.key for e in j.recent(2)] == ["p", "other"]
    assert len(j.recent(100)) == 4


def test_bad_updates_are_refused() -> None:
    j = Journal(":memory:")
    with pytest.raises(JournalError, match="no action with id 7"):
        j.record_sent(7, "sig", 1)
    aid = j.record_intent("k", "b", "k", "t", {})
    with pytest.raises(ValueError, match="not a final status"):
        j.record_outcome(aid, "sent")


def test_detail_with_non_json_values_is_stored_as_text() -> None:
    j = Journal(":memory:")
    j.record_intent("k", "b", "k", "t", {"path": Path("/x"), "n": 1})
    assert j.latest("k").detail == {"n": 1, "path": "/x"}


def test_wal_mode(tmp_path: Path) -> None:
    Journal(tmp_path / "j.sqlite").close()
    db = sqlite3.connect(tmp_path / "j.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db.close()


def test_corrupt_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    path.write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(JournalError, match="is not a usable SQLite database"):
        Journal(path)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    Journal(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    db.close()
    with pytest.raises(JournalError, match=f"schema version {SCHEMA_VERSION + 1}, newer than this keeper supports"):
        Journal(path)


def test_a_row_written_before_the_enums_reads_back_and_blocks_its_intent(tmp_path: Path) -> None:
    # Rows exactly as a journal of the previous release holds them (plain text kinds, keys and statuses).
    from solders.pubkey import Pubkey

    from keepers.execution.intents import ActionKind, intent_key
    from keepers.execution.pipeline import TxPipeline

    user = Pubkey.new_unique()
    path = tmp_path / "old.sqlite"
    Journal(path).close()  # the schema, unchanged since then
    db = sqlite3.connect(path)
    db.execute("INSERT INTO actions(key, bot, kind, target, detail, created_at, status, slot) VALUES "
               "(?, 'settler', 'settle_pnl', ?, '{\"market\": 1}', 1.0, 'landed', 42)", (f"settle_pnl:{user}:1:40", str(user)))
    db.execute("INSERT INTO actions(key, bot, kind, target, detail, created_at, status) VALUES "
               "(?, 'liquidator', 'liquidate_perp', ?, '{}', 2.0, 'skipped')", (f"liquidate:{user}:0:40:150000000", str(user)))
    db.commit()
    db.close()
    with Journal(path) as j:
        pnl, liq = j.latest(f"settle_pnl:{user}:1:40"), j.latest(f"liquidate:{user}:0:40:150000000")
        assert (pnl.status, pnl.kind, pnl.detail, pnl.slot) == (Status.LANDED, ActionKind.SETTLE_PNL, {"market": 1}, 42)
        assert pnl.status == "landed" and liq.status is Status.SKIPPED and liq.kind == "liquidate_perp"
        assert j.counts() == {"landed": 1, "skipped": 1}
        # The keys the bots build now are the keys the old rows hold: those intents stay done.
        pipeline = TxPipeline(chain=None, payer=None, journal=j)  # type: ignore[arg-type]
        assert pipeline.finished(intent_key(ActionKind.SETTLE_PNL, user=user, market=1, slot=40))
        assert pipeline.finished(intent_key(ActionKind.LIQUIDATE_PERP, user=user, market=0, slot=40, mark=150_000_000))
        assert not pipeline.finished(intent_key(ActionKind.SETTLE_PNL, user=user, market=1, slot=41))


def _sqlite_memory_used() -> int:
    """Bytes SQLite holds in this process (``sqlite3_memory_used``, process-wide), from the library the
    ``sqlite3`` module runs on (found in this process's mappings)."""
    import ctypes

    lib = next(line.split()[-1] for line in Path("/proc/self/maps").read_text().splitlines()
               if "libsqlite3" in line or "_sqlite3" in line)
    fn = ctypes.CDLL(lib).sqlite3_memory_used
    fn.restype = ctypes.c_int64
    return int(fn())


def _cache_growth(path: Path, cache_kib: int | None) -> list[int]:
    """SQLite's memory after each 1,000 actions journaled at ``path``, less what it held before the first.
    Run in a process of its own: ``sqlite3_memory_used`` counts every connection of the process, and a
    test before this one in the same worker may still be closing its own."""
    from keepers.execution.journal import PAGE_CACHE_KIB

    with Journal(path) as j:
        if cache_kib is not None:
            j._db.execute(f"PRAGMA cache_size=-{cache_kib}")
        before, after = _sqlite_memory_used(), []
        for n in range(4_000):
            aid = j.record_intent(f"k{n}", "settler", "settle_pnl", f"user{n}", {"n": n},
                                  signature=f"sig{n}", last_valid_block_height=n, tx=bytes(range(200)))
            j.record_outcome(aid, Status.LANDED, slot=n)
            if n % 1_000 == 999:
                j.checkpoint()
                after.append(_sqlite_memory_used() - before)
        assert j._db.execute("PRAGMA cache_size").fetchone()[0] == -(cache_kib or PAGE_CACHE_KIB)
        return after


def test_the_page_cache_stays_within_its_cap_as_the_journal_grows(tmp_path: Path) -> None:
    """The keeper's memory grew for hours while SQLite's page cache filled with the growing journal
    (benchmarks.resources): the cache is capped at PAGE_CACHE_KIB, whatever the journal's size."""
    from keepers.execution.journal import PAGE_CACHE_KIB

    def growth(cache_kib: int | None) -> list[int]:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            return pool.submit(_cache_growth, tmp_path / f"journal-{cache_kib}.sqlite", cache_kib).result(timeout=120)

    capped = growth(None)
    assert max(capped) <= PAGE_CACHE_KIB * 1024 * 1.25, capped  # pages and their headers
    assert capped[-1] - capped[-2] <= 8 * 1024, capped  # full: the last 1,000 actions add (next to) nothing
    # with a cap four times larger the cache keeps filling: the cap is what bounds it
    larger = growth(4 * PAGE_CACHE_KIB)
    assert larger[-1] > PAGE_CACHE_KIB * 1024 * 1.5 and larger[-1] - larger[-2] > 50 * 1024, larger
