"""The lease of an active/standby pair (``keepers.ha``): the file store, the PostgreSQL store (a real
server, ``postgres`` fixture), the local deadline that fences a holder, and the fenced pipeline."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from keepers.chain.inprocess import InProcessChain
from keepers.config import Config, ConfigError, FeesConfig
from keepers.execution.journal import Journal
from keepers.execution.pipeline import ActionStatus, Fenced, TxPipeline, _JournalRow
from keepers.ha.file_lease import FileLease, process_start
from keepers.ha.lease import LOCAL_TRUST
from keepers.ha.postgres_lease import PostgresLease
from keepers.observability.metrics import Metrics
from tests.unit.keepers.test_tx_pipeline import SETTINGS, _crank
from localnet.build import build_program
from sim.scenario import build_ledger_world

ROOT = Path(__file__).resolve().parents[3]


class StepClock:
    """A clock the test moves: ``monotonic`` and ``time`` advance together by ``advance``."""

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def time(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


# -- the file store ---------------------------------------------------------------------------------------
async def test_a_file_lease_has_one_holder_until_released(tmp_path: Path) -> None:
    a, b = (FileLease(tmp_path / "k.lease", "pair", name, 10.0) for name in ("a", "b"))
    assert await a.acquire() and a.valid()
    assert not await b.acquire() and not b.valid()
    assert await a.renew() and a.valid()
    assert not await b.acquire()
    await a.release()
    assert not a.valid()
    assert await b.acquire() and b.valid()
    assert not await a.acquire()


async def test_an_expired_file_lease_is_taken_over_and_its_old_holder_is_fenced(tmp_path: Path) -> None:
    clock = StepClock()
    a, b = (FileLease(tmp_path / "k.lease", "pair", name, 2.0, clock) for name in ("a", "b"))
    assert await a.acquire()
    clock.advance(2.0 * LOCAL_TRUST + 0.01)  # a hung holder: no renewal for most of the ttl
    assert not a.valid()  # it stops trusting its lease before anyone may take it ...
    assert not await b.acquire()  # ... which is not yet expired in the store
    clock.advance(2.0 * (1 - LOCAL_TRUST))
    assert await b.acquire()
    assert not await a.renew() and not a.valid()  # resumed: lost, and stays lost


async def test_a_lease_past_its_local_deadline_is_lost_even_if_the_store_still_names_it(tmp_path: Path) -> None:
    clock = StepClock()
    a = FileLease(tmp_path / "k.lease", "pair", "a", 5.0, clock)
    assert await a.acquire()
    clock.advance(5.0 * LOCAL_TRUST + 0.01)
    assert not await a.renew() and a.token is None


async def test_a_file_lease_whose_holder_process_is_gone_is_free_at_once(tmp_path: Path) -> None:
    path = tmp_path / "k.lease"
    child = subprocess.run([sys.executable, "-c", (
        "import asyncio, sys; from keepers.ha.file_lease import FileLease; "
        f"sys.exit(0 if asyncio.run(FileLease({str(path)!r}, 'pair', 'child', 60.0).acquire()) else 3)")],
        cwd=ROOT, timeout=60)
    assert child.returncode == 0
    b = FileLease(path, "pair", "b", 60.0)
    assert await b.acquire()  # 60 s before its expiry: its holder no longer runs


async def test_a_stopped_holder_keeps_its_file_lease_until_it_expires(tmp_path: Path) -> None:
    path = tmp_path / "k.lease"
    child = subprocess.Popen([sys.executable, "-c", (
        "import asyncio, time; from keepers.ha.file_lease import FileLease; "
        f"assert asyncio.run(FileLease({str(path)!r}, 'pair', 'child', 1.5).acquire()); print('held', flush=True); "
        "time.sleep(60)")], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        os.kill(child.pid, signal.SIGSTOP)
        assert process_start(child.pid) is not None  # stopped is not gone
        b = FileLease(path, "pair", "b", 1.5)
        assert not await b.acquire()
        started = time.monotonic()
        while not await b.acquire():
            assert time.monotonic() - started < 5.0
            await asyncio.sleep(0.05)
        assert time.monotonic() - started < 2.0
    finally:
        child.kill()
        child.wait(10)


# -- the PostgreSQL store ---------------------------------------------------------------------------------
async def test_a_postgres_lease_has_one_holder_until_released(postgres) -> None:
    a, b = (PostgresLease(postgres.dsn, "pair-1", name, 10.0) for name in ("a", "b"))
    try:
        assert await a.acquire()
        assert not await b.acquire()
        assert await a.renew()
        await a.release()
        assert await b.acquire() and not await a.acquire()
    finally:
        await a.close()
        await b.close()


async def test_a_postgres_lease_is_free_once_its_holders_session_ends(postgres) -> None:
    a, b = (PostgresLease(postgres.dsn, "pair-2", name, 60.0) for name in ("a", "b"))
    try:
        assert await a.acquire()
        assert not await b.acquire()
        with psycopg.connect(postgres.dsn, autocommit=True) as admin:  # as a kill -9 ends it: the backend goes
            admin.execute("SELECT pg_terminate_backend(backend_pid) FROM perpkeep_lease WHERE name = 'pair-2'")
        deadline = time.monotonic() + 5.0
        while not await b.acquire():
            assert time.monotonic() < deadline, "the session ended but the lease stayed taken"
            await asyncio.sleep(0.05)
        # The holder saw its session end (its socket spoke unasked) and stopped trusting the lease at once,
        # without a renewal: a holder cut off from its session must not act beside the one that took over.
        assert not a.valid()
        assert not await a.renew()
        assert not await a.acquire()  # on a new session: b holds it
    finally:
        await a.close()
        await b.close()


async def test_a_postgres_lease_not_renewed_expires_on_the_servers_clock(postgres) -> None:
    a, b = (PostgresLease(postgres.dsn, "pair-3", name, 1.0) for name in ("a", "b"))
    try:
        assert await a.acquire()
        started = time.monotonic()
        while not await b.acquire():  # a is alive (its session open) but silent: a hung holder
            assert time.monotonic() - started < 5.0
            await asyncio.sleep(0.05)
        assert 0.5 < time.monotonic() - started < 2.0
        assert not a.valid() and not await a.renew()
    finally:
        await a.close()
        await b.close()


async def test_an_unreachable_store_is_no_acquisition_and_no_crash() -> None:
    from localnet.services.postgres import free_port

    lease = PostgresLease(f"postgresql://postgres@127.0.0.1:{free_port()}/postgres", "pair", "a", 2.0)
    try:
        assert not await lease.acquire()
        assert lease.last_error is not None and "postgres" in lease.last_error
    finally:
        await lease.close()


# -- the shared journal ----------------------------------------------------------------------------------
def test_a_standby_opens_the_journal_while_the_active_writes_to_it(tmp_path: Path) -> None:
    import threading

    path = tmp_path / "j.sqlite"
    Journal(path).close()
    stop = threading.Event()

    def write() -> None:
        with Journal(path) as active:
            while not stop.is_set():
                active.record_intent("k", "bot", "kind", "target", {})

    writer = threading.Thread(target=write)
    writer.start()
    try:
        for _ in range(30):
            Journal(path).close()  # raised "database is locked" when it met a write
    finally:
        stop.set()
        writer.join(10)


# -- configuration ----------------------------------------------------------------------------------------
def _config(tmp_path: Path, ha: dict) -> Config:
    return Config.from_mapping({"cluster": {"rpc_url": "http://127.0.0.1:8899"}, "keeper": {"keypair_path": "k.json"},
                                "ha": ha}, tmp_path)


def test_the_ha_section_is_validated_with_clear_errors(tmp_path: Path) -> None:
    c = _config(tmp_path, {"mode": "file", "path": "pair.lease"})
    assert c.ha.path == tmp_path / "pair.lease" and c.ha.lease_ttl_s == 10.0
    with pytest.raises(ConfigError, match=r'^ha.dsn: missing \(required when ha.mode = "postgres"\)$'):
        _config(tmp_path, {"mode": "postgres"})
    with pytest.raises(ConfigError, match=r"^ha.renew_interval_s: must be at most half of lease_ttl_s \(4.0\), got 3.0$"):
        _config(tmp_path, {"mode": "file", "lease_ttl_s": 4, "renew_interval_s": 3})
    with pytest.raises(ConfigError, match=r'^ha.mode: must be one of none, file, postgres, got "etcd"$'):
        _config(tmp_path, {"mode": "etcd"})
    secret = _config(tmp_path, {"mode": "postgres", "dsn": "postgresql://u:pw@db/x"}).redacted()
    assert secret["ha"]["dsn"] == "[redacted]"


# -- the fenced pipeline ----------------------------------------------------------------------------------
class Shared:
    """An in-process ledger, its chain and one journal that several pipelines (processes) share."""

    def __init__(self, world, tmp_path: Path) -> None:  # noqa: ANN001
        self.world, self.chain, self.journal = world, InProcessChain(world.ledger), Journal(tmp_path / "j.sqlite")
        self.pipelines: list[TxPipeline] = []

    def pipeline(self, name: str, fence=None) -> TxPipeline:  # noqa: ANN001
        p = TxPipeline(self.chain, self.world.dep.wallets["keeper"], self.journal, Metrics(), FeesConfig(),
                       commitment="processed", poll_s=0.01, resend_s=0.05, fence=fence, instance=name)
        self.pipelines.append(p)
        return p

    @property
    def records(self) -> int:
        return len(self.world.ledger.records)


@pytest.fixture
async def shared(perp_program: bytes, tmp_path: Path):  # noqa: ANN201
    world = build_ledger_world(SETTINGS, perp_program, Path(build_program("mock_oracle")).read_bytes())
    world.ledger.advance_slot()
    s = Shared(world, tmp_path)
    yield s
    for p in s.pipelines:
        await p.close()
    await s.chain.close()
    s.journal.close()


async def test_a_fenced_pipeline_sends_and_journals_nothing(shared: Shared) -> None:
    world, journal = shared.world, shared.journal
    held = iter([True])  # the lease holds when the action starts, and is lost by the time it would send
    old = shared.pipeline("old", fence=lambda: next(held, False))
    new = shared.pipeline("new")
    records = shared.records
    r = await old.submit(_crank(world))
    assert r.status is ActionStatus.BUSY and r.error is not None and "fenced" in r.error
    assert shared.records == records  # nothing reached the chain
    assert old.metrics.ha_fenced_sends._value.get() == 1
    row = journal.latest("crank-1")  # its intent (journaled before the simulation), never a signature
    assert row is not None and row.status == "pending" and row.signature is None and row.detail["by"] == "old"
    assert (await old.submit(_crank(world, "crank-2"))).status is ActionStatus.BUSY  # refused before any work
    assert journal.latest("crank-2") is None
    assert await new.recover() == 1  # the new holder closes the intent, so that it is planned again ...
    assert journal.latest("crank-1").status == "expired"
    assert (await new.submit(_crank(world))).status is ActionStatus.LANDED  # ... and does it once
    assert shared.records == records + 1


async def test_a_row_another_process_closed_is_not_reopened(shared: Shared) -> None:
    """A holder stopped between its intent and its send, resumed after the new holder closed that intent:
    its late write must not make the row "sent" again (a later recovery would send it a second time)."""
    journal, new = shared.journal, shared.pipeline("new")
    action = _crank(shared.world)
    late = _JournalRow(journal, action, time.time(), "old")
    row = late.id()  # the old holder's intent, journaled before its simulation
    assert await new.recover() == 1 and journal.latest(action.key).status == "expired"
    with pytest.raises(Fenced):
        late.sent("late-signature", 10**9, b"late")
    entry = journal.latest(action.key)
    assert entry.id == row and entry.status == "expired" and entry.signature is None


async def test_recovery_does_not_resend_an_intent_that_landed_in_another_row(shared: Shared) -> None:
    journal, new = shared.journal, shared.pipeline("new")
    action = _crank(shared.world)
    assert (await new.submit(action)).status is ActionStatus.LANDED  # the new holder did it
    records = shared.records
    # A row of the same intent that the old holder signed and journaled as sent, never sent.
    blockhash = await shared.chain.get_latest_blockhash()
    tx = new._sign(action, 200_000, 0, blockhash.blockhash)
    journal.record_intent(action.key, "test", action.kind, str(action.target), {}, str(tx.signatures[0]),
                          blockhash.last_valid_block_height, bytes(tx))
    assert await new.recover() == 1
    entry = journal.latest(action.key)
    assert entry.status == "expired" and entry.error.startswith("superseded")
    shared.world.ledger.advance_slot()
    await asyncio.sleep(0.1)
    assert shared.records == records  # not sent
