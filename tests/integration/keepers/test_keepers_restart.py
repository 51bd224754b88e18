"""A keeper stopped or killed in the middle of its work, and a new one started on the same journal.

The new keeper must count what the old one left unfinished (``stats.recovered_actions``), resolve it
(landed, failed or expired: nothing stays pending or sent), never land an intent twice across both
runs, and finish the work: every under-margined user liquidated, every bankruptcy resolved.

Two ways to stop mid-run: ``Keeper.stop()`` while actions are in flight (their submissions are
cancelled, the journal keeps them as sent), and SIGKILL of a ``perpkeep run`` process (whatever it
had journaled as pending or sent stays so). Then ``TxPipeline.recover`` alone, on a real journal and
a real node: a sent transaction that landed, one that failed, one whose blockhash expired unseen, and
an intent never sent.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

from keepers.chain.rpc import RpcChain
from keepers.config import ClusterConfig
from keepers.execution.journal import Journal
from keepers.execution.pipeline import Action, TxPipeline
from tests.integration.keepers.harness import (
    KeeperWorld,
    RunningKeeper,
    journal_rows,
    landed_twice,
    liquidations_from_same_state,
    wait_until,
)
from tests.integration.localnet.conftest import start_node, stop_node

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
STALL_MS = 10_000  # at most this long to stop or kill the keeper while the node holds its slots
RESOLVED_WITHIN_S = 30.0  # harness: max_confirm_s 20 s; an unseen signature expires after 150 slots (7.5 s)


def _statuses(path: Path, ids: list[int]) -> dict[int, tuple[str, str | None]]:
    marks = ",".join("?" * len(ids))
    return {i: (s, e) for i, s, e in journal_rows(path, f"SELECT id, status, error FROM actions WHERE id IN ({marks})",
                                                   tuple(ids))}


def _left(path: Path) -> list[tuple[int, str, str, str | None]]:
    """(id, kind, status, signature) of the actions the journal holds as pending or sent."""
    return journal_rows(path, "SELECT id, kind, status, signature FROM actions WHERE status IN ('pending', 'sent') ORDER BY id")


async def _hold_a_liquidation_unconfirmed(world: KeeperWorld, journal_path: Path) -> list[str]:
    """Hold the node's slots while a liquidation the keeper journaled as sent is processed on the node but
    not yet confirmed; return the signatures so held. Stopped now, the keeper leaves them journaled as
    sent although they will land: the next keeper must find them landed, not send them again."""
    ledger = world.node.node.chain
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        sigs = [s for (s,) in journal_rows(journal_path, "SELECT signature FROM actions WHERE status = 'sent' "
                                                         "AND kind = 'liquidate_perp'")]

        def processed_at(slot: int | None) -> list[str]:
            at = ledger.slot if slot is None else slot
            return [s for s in sigs if (r := ledger.records.get(Signature.from_string(s))) is not None and r.slot == at]

        if world.on_node(processed_at, None):  # processed in the current slot: not confirmed yet
            frozen = (await asyncio.to_thread(world.node.rpc, "perpkeep_stallSlots", [STALL_MS]))["result"]["slot"]
            held = world.on_node(processed_at, frozen)
            if held:
                return held
            await asyncio.to_thread(world.node.rpc, "perpkeep_stallSlots", [0])  # the slot moved on: try again
        await asyncio.sleep(0.005)
    raise AssertionError("no liquidation was caught between processed and confirmed")


async def _finish_after_restart(world: KeeperWorld, journal_path: Path, left: list[tuple[int, str, str, str | None]],
                                held: list[str]) -> None:
    """Start a new keeper on the journal that ``left`` unfinished, and check it recovers them and finishes the work."""
    running = await RunningKeeper(world, world.config()).start()
    try:
        keeper = running.keeper
        assert keeper.stats.recovered_actions == len(left), (keeper.stats.recovered_actions, left)

        # Every action the first run left unfinished ends resolved, as the chain says: sent and processed
        # on the node -> landed (or failed), sent but never seen -> expired, never sent -> expired at once.
        ids = [row[0] for row in left]
        await wait_until(lambda: all(s not in ("pending", "sent") for s, _ in _statuses(journal_path, ids).values()),
                         RESOLVED_WITHIN_S, poll_s=0.2)
        resolved = _statuses(journal_path, ids)
        ledger = world.node.node.chain
        on_chain = world.on_node(lambda: {s: ledger.records[Signature.from_string(s)].err is None
                                          for _, _, _, s in left if s and Signature.from_string(s) in ledger.records})
        for i, kind, status, signature in left:
            got = resolved[i]
            if status == "pending":
                assert got == ("expired", "never sent (keeper stopped)"), (kind, got)
            elif signature in on_chain:
                assert got[0] in (("landed",) if on_chain[signature] else ("failed", "skipped")), (kind, got)
            else:
                assert got == ("expired", "blockhash expired (found on restart)"), (kind, got)
        # The actions held processed-but-unconfirmed at the stop are among those resolved from the chain.
        assert held and all(signature in on_chain for signature in held), (held, on_chain)

        # The rest of the work is done.
        await wait_until(lambda: not world.liquidatable_users(), 60, poll_s=0.25)
        await wait_until(lambda: world.bankrupt_users() == 0, 60, poll_s=0.25)
        await wait_until(lambda: world.queued_fills() == 0, 30, poll_s=0.25)

        # Nothing done twice, across both runs: no key landed twice (a key the first run landed, or the
        # recovery found landed, is never landed again), no user liquidated twice from one state.
        assert landed_twice(journal_path) == []
        assert liquidations_from_same_state(journal_path) == []
    finally:
        await running.stop()
    vault_balance, total, claims = world.conservation()
    assert vault_balance == total == claims


async def test_a_keeper_stopped_mid_run_is_finished_by_the_next_one(perp_program: bytes, mock_oracle_program: bytes,
                                                                   tmp_path: Path) -> None:
    world = KeeperWorld.start(perp_program, mock_oracle_program, tmp_path)
    journal_path = tmp_path / "journal.sqlite"
    first = None
    try:
        first = await RunningKeeper(world, world.config()).start()
        world.begin_trading()
        await wait_until(lambda: world.scenario.crashed, 30)
        held = await _hold_a_liquidation_unconfirmed(world, journal_path)
        await first.stop()  # cancels the submissions in flight: the journal keeps them
        first = None
        await asyncio.to_thread(world.node.rpc, "perpkeep_stallSlots", [0])
        left = _left(journal_path)
        assert set(held) <= {signature for _, _, status, signature in left if status == "sent"}, (held, left)
        await _finish_after_restart(world, journal_path, left, held)
    finally:
        if first is not None:
            await first.stop()
        world.stop()


def _keeper_toml(world: KeeperWorld, journal_path: Path) -> Path:
    """The configuration ``world.config()`` builds, as a file for ``perpkeep run``."""
    return world.config_file(journal_path)


async def test_a_killed_keeper_process_is_finished_by_the_next_one(perp_program: bytes, mock_oracle_program: bytes,
                                                                  tmp_path: Path) -> None:
    world = KeeperWorld.start(perp_program, mock_oracle_program, tmp_path)
    journal_path = tmp_path / "journal.sqlite"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERPKEEP_")}
    proc = subprocess.Popen([sys.executable, "-m", "perpkeep_cli", "run", "--config", str(_keeper_toml(world, journal_path))],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    log: list[str] = []
    started = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            log.append(line)
            if "keeper started" in line:
                started.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert await asyncio.to_thread(started.wait, 30), "".join(log)
        world.begin_trading()
        await wait_until(lambda: world.scenario.crashed, 30)
        # Kill it (no clean-up at all) while a liquidation it sent is processed but not confirmed.
        held = await _hold_a_liquidation_unconfirmed(world, journal_path)
        proc.send_signal(signal.SIGKILL)
        assert await asyncio.to_thread(proc.wait, 10) == -signal.SIGKILL
        await asyncio.to_thread(world.node.rpc, "perpkeep_stallSlots", [0])
        assert "Traceback" not in "".join(log), "".join(log)
        left = _left(journal_path)
        assert set(held) <= {signature for _, _, status, signature in left if status == "sent"}, (held, left)
        await _finish_after_restart(world, journal_path, left, held)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        world.stop()


# -- TxPipeline.recover on its own ------------------------------------------------------------------------
async def test_recover_settles_each_kind_of_unfinished_action(perp_program: bytes, mock_oracle_program: bytes,
                                                              tmp_path: Path) -> None:
    node = start_node(perp_program, mock_oracle_program, blockhash_valid_slots=10)  # blockhashes expire in 0.5 s
    chain = RpcChain(ClusterConfig(rpc_url=node.rpc_url, ws_url=node.ws_url, request_timeout_s=5.0), max_backoff_s=0.3)
    path = tmp_path / "journal.sqlite"
    journal = Journal(path)
    try:
        payer = node.deployment.wallets["keeper"]
        to = node.deployment.wallets["admin"].pubkey()
        blockhash = await chain.get_latest_blockhash()

        def tx(lamports: int) -> VersionedTransaction:
            ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=to, lamports=lamports))
            return VersionedTransaction(MessageV0.try_compile(payer.pubkey(), [ix], [], blockhash.blockhash), [payer])

        landed, failed, unsent = tx(1_000), tx(2**63), tx(2_000)  # failed: more lamports than the payer has
        for t in (landed, failed):
            await chain.send(t)

        async def confirmed() -> bool:
            statuses = await chain.get_signature_statuses([landed.signatures[0], failed.signatures[0]])
            return all(s is not None and s.commitment in ("confirmed", "finalized") for s in statuses)

        for _ in range(100):
            if await confirmed():
                break
            await asyncio.sleep(0.05)
        assert await confirmed()

        # What a killed keeper leaves: three actions sent (one landed, one failed, one never reached the
        # node) and an intent it never sent. Each has its own target, as the pipeline's locks require.
        targets = {name: Keypair().pubkey() for name in ("landed", "failed", "unsent", "pending")}
        ids = {}
        for name, t in (("landed", landed), ("failed", failed), ("unsent", unsent)):
            ids[name] = journal.record_intent(f"transfer:{name}", "test", "transfer", str(targets[name]), {})
            journal.record_sent(ids[name], str(t.signatures[0]), blockhash.last_valid_block_height)
        ids["pending"] = journal.record_intent("transfer:pending", "test", "transfer", str(targets["pending"]), {})
        journal.close()

        journal = Journal(path)  # the next run
        pipeline = TxPipeline(chain, payer, journal, poll_s=0.1, max_confirm_s=15.0)
        assert await pipeline.recover() == 4
        by_id = lambda: {e.id: e for e in journal.recent(10)}  # noqa: E731
        assert by_id()[ids["pending"]].status == "expired"  # at once: nothing to look for
        assert all(pipeline.busy("transfer", targets[n]) for n in ("landed", "failed", "unsent"))  # until resolved
        await wait_until(lambda: not journal.unfinished(), 10)
        entries = by_id()
        assert entries[ids["landed"]].status == "landed" and entries[ids["landed"]].slot is not None
        assert entries[ids["failed"]].status in ("failed", "skipped") and entries[ids["failed"]].error
        assert entries[ids["unsent"]].status == "expired" and "blockhash expired" in (entries[ids["unsent"]].error or "")
        assert entries[ids["pending"]].error == "never sent (keeper stopped)"
        assert not any(pipeline.busy("transfer", t) for t in targets.values())

        # The landed intent is never done again; a restart finds nothing left to recover.
        ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=to, lamports=1_000))
        again = await pipeline.submit(Action("test", "transfer", "transfer:landed", targets["landed"], (ix,)))
        assert again.status == "done"
        assert await TxPipeline(chain, payer, journal).recover() == 0
        assert journal.counts() == {"landed": 1, "expired": 2, entries[ids["failed"]].status: 1}
    finally:
        journal.close()
        await chain.close()
        stop_node(node)

