"""Every keeper bot end to end while the node misbehaves.

The same trading scenario as ``test_keepers_e2e`` (leveraged takers, an oracle crash), but the node
answers about a fifth of the HTTP requests with a 429 (``Retry-After: 1``) or a 5xx, drops every
websocket connection every few seconds and stalls its slots now and then. The keeper must stay up,
still liquidate every under-margined user within a (looser) bound, resolve the bankruptcies,
consume the fills and crank funding, and never land the same intent twice.

The journal checks (``landed_twice``, ``liquidations_from_same_state``) are shared with the
restart tests. The last test pins down the pipeline's guard that the duplicate-liquidation check
first caught under these faults (``TxPipeline._stale``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path

import pytest

from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer

from keepers.execution import pipeline as tx
from keepers.chain.base import ChainError
from keepers.chain.rpc import RpcChain
from keepers.config import ClusterConfig
from keepers.execution.journal import Journal
from keepers.execution.pipeline import Action, TxPipeline
from localnet.rpc.config import FaultConfig
from tests.integration.keepers.harness import (
    SETTINGS,
    KeeperWorld,
    drop_websockets,
    RunningKeeper,
    http_get,
    journal_rows,
    landed_twice,
    liquidations_from_same_state,
    wait_until,
)
from tests.integration.localnet.conftest import start_node, stop_node

pytestmark = pytest.mark.slow

# About 20% of HTTP requests fail: 1.5% are 429 (the client pauses the whole endpoint for Retry-After = 1 s,
# and the requests queued behind the pause often meet the next 429: this rate is what slows the keeper
# down most), the rest 5xx (retried with backoff). A slot stall of 0.5 s begins at about one slot in a
# hundred (every ~5 s). Websockets are dropped every 2-3 s by ``harness.drop_websockets``.
FAULTS = FaultConfig(seed=23, http_429_rate=0.015, retry_after_s=1, http_5xx_rate=0.19, slot_stall_rate=0.01,
                     slot_stall_ms=500)
DROP_EVERY_S = (2.0, 3.0)  # websockets dropped at random intervals in this range
LIQUIDATION_BOUND_SLOTS = 300  # looser than test_keepers_e2e's 120: 429 pauses stop the keeper, not the chain
FUNDING_PERIODS = 2
# The e2e settings with funding periods 4000 s (200 slots, ~10 s) instead of 300 s: a crank a whole period
# late skips that period, and chained 429 pauses can hold the keeper for seconds (cranks were seen landing
# up to ~2,000 s of chain time, ~5 s, after their period ended).
SETTINGS_F = dataclasses.replace(SETTINGS, funding_period_s=4000)
PERIOD_SLOTS = SETTINGS_F.funding_period_s // SETTINGS_F.seconds_per_slot


# -- the test -------------------------------------------------------------------------------------------
async def test_keepers_do_their_work_through_rpc_failures_websocket_drops_and_slot_stalls(
        perp_program: bytes, mock_oracle_program: bytes, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    world = KeeperWorld.start(perp_program, mock_oracle_program, tmp_path, SETTINGS_F, faults=FAULTS)
    running = None
    stop_chaos = asyncio.Event()
    dropped: list[int] = []
    chaos = None
    journal_path = tmp_path / "journal.sqlite"
    try:
        running = await RunningKeeper(world, world.config()).start()  # the snapshot itself goes through the faults
        keeper = running.keeper
        run_start_ts = _chain_ts(world)
        chaos = asyncio.create_task(drop_websockets(world, stop_chaos, dropped, DROP_EVERY_S))
        world.begin_trading()
        await wait_until(lambda: world.scenario.opened == SETTINGS_F.users, 40)
        await wait_until(lambda: world.scenario.crashed, 40)
        crash_slot = world.slot()
        ticks_at_crash = {name: bot.ticks for name, bot in keeper.bots.items()}

        # Liquidations: every liquidatable user is liquidated within a (looser) bound of slots.
        await wait_until(lambda: running.landed("liquidate_perp") > 0, 40)
        await wait_until(lambda: not world.liquidatable_users(), 60, poll_s=0.25)
        liquidated_by = world.slot() - crash_slot
        assert liquidated_by <= LIQUIDATION_BOUND_SLOTS, f"liquidations took {liquidated_by} slots"

        # Bankruptcies resolved, fills consumed, PnL settled.
        await wait_until(lambda: running.landed("resolve_bankruptcy") > 0 and world.bankrupt_users() == 0, 60,
                         poll_s=0.25)
        await wait_until(lambda: world.queued_fills() == 0, 40, poll_s=0.25)
        assert running.landed("consume_events") > 0
        assert running.landed("settle_pnl") > 0

        # Funding is cranked every period: each market's landed cranks since the run began are one per
        # period, none skipped (a crank a whole period late skips one, since the program keeps its grid).
        start = world.slot()
        await wait_until(lambda: world.slot() - start >= FUNDING_PERIODS * PERIOD_SLOTS, 40)

        def funding_current() -> bool:  # every market cranked for the last period ended, and the journal knows it
            now_ts = _chain_ts(world)
            return all(now_ts - m.last_funding_ts < SETTINGS_F.funding_period_s and journal_rows(
                journal_path, "SELECT 1 FROM actions WHERE status = 'landed' AND key = ?",
                (f"update_funding:{m.market_index}:{m.last_funding_ts}",)) for m in world.markets())

        await wait_until(funding_current, 15, poll_s=0.1)
        now_ts, now_slot = _chain_ts(world), world.slot()
        for m in world.markets():
            ends = sorted({int(key.rsplit(":", 1)[1]) for (key,) in journal_rows(
                journal_path, "SELECT key FROM actions WHERE status = 'landed' AND key LIKE ?",
                (f"update_funding:{m.market_index}:%",))})
            ends = [e for e in ends if e >= run_start_ts]  # not the first crank (its period began before the run)
            assert len(ends) >= FUNDING_PERIODS and ends[-1] == m.last_funding_ts, (m.market_index, ends)
            skipped = [(a, b) for a, b in zip(ends, ends[1:]) if b - a != SETTINGS_F.funding_period_s]
            assert skipped == [], f"market {m.market_index} skipped funding periods: {ends}"
        # How late each crank landed after its period ended (seconds of chain time), for the report.
        late = sorted(now_ts - (now_slot - slot) * SETTINGS_F.seconds_per_slot - int(key.rsplit(":", 1)[1])
                      for key, slot in journal_rows(journal_path, "SELECT key, slot FROM actions WHERE status = 'landed' "
                                                    "AND kind = 'update_funding'") if int(key.rsplit(":", 1)[1]) >= run_start_ts)
        cranked = running.landed("update_funding")

        # The keeper stayed up: no task ended, every bot kept ticking, /health is green.
        assert all(not t.done() for t in keeper._tasks), [t for t in keeper._tasks if t.done()]
        stalled = [name for name, bot in keeper.bots.items() if bot.ticks <= ticks_at_crash[name]]
        assert stalled == [], f"bots not ticking since the crash: {stalled}"
        # A tick may fail on an RPC failure that outlasted the retries (the insurance bot reads the vault),
        # never on anything else.
        tick_errors = [r for r in caplog.records if r.getMessage().endswith("tick failed")]
        assert all(r.exc_info and isinstance(r.exc_info[1], ChainError) for r in tick_errors), \
            [(r.getMessage(), r.exc_info and repr(r.exc_info[1])) for r in tick_errors]
        assert keeper.server is not None
        status, body = await asyncio.to_thread(http_get, f"http://127.0.0.1:{keeper.server.port}/health")
        assert status == 200 and json.loads(body)["ok"] is True, body

        # The faults really happened, and the client saw them.
        injected = (await asyncio.to_thread(world.node.rpc, "perpkeep_getFaults", []))["result"]["stats"]
        assert injected["http_429"] > 0 and injected["http_5xx"] > 0 and injected["slot_stalls"] > 0, injected
        assert sum(dropped) >= 3, dropped
        chain = running.chain
        assert chain.rate_limited > 0 and chain.retries > chain.rate_limited, (chain.rate_limited, chain.retries)
        assert chain.reconnects >= 3, chain.reconnects
        assert chain._ws._task is not None and not chain._ws._task.done()  # still subscribed after every drop
        print(f"liquidated within {liquidated_by} slots; {cranked} funding cranks, landed late by {late} s; injected {injected}; "
              f"client: {chain.requests} requests, {chain.rate_limited} rate limited, {chain.retries} retries, "
              f"{chain.reconnects} reconnects; journal {keeper.journal.counts()}")

        # No duplicate work: no intent landed twice, no user liquidated twice from one state.
        assert landed_twice(journal_path) == []
        twice = liquidations_from_same_state(journal_path)
        assert twice == [], [journal_rows(journal_path, "SELECT id, key, status, error, slot, created_at, finished_at "
                                          "FROM actions WHERE target = ? ORDER BY id", (user,)) for user, _, _ in twice]

        stop_chaos.set()
        await chaos
        await asyncio.to_thread(world.node.rpc, "perpkeep_setFaults", [{}])
        await running.stop()
        running = None
        vault_balance, total, claims = world.conservation()
        assert vault_balance == total == claims
    finally:
        stop_chaos.set()
        if chaos is not None:
            await asyncio.gather(chaos, return_exceptions=True)
        if running is not None:
            await running.stop()
        world.stop()


# -- the pipeline's guard against planning from a state older than its own last action -----------------
async def test_a_target_is_held_after_an_action_lands_until_the_cache_has_seen_it(
        perp_program: bytes, mock_oracle_program: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What made a second liquidation of a user from the same read of its account land under faults: the
    first landed, the bot re-planned before the account update arrived, and the new mark gave a new key."""
    node = start_node(perp_program, mock_oracle_program)
    chain = RpcChain(ClusterConfig(rpc_url=node.rpc_url, ws_url=node.ws_url, request_timeout_s=5.0), max_backoff_s=0.3)
    seen: dict[Pubkey, int] = {}
    journal = Journal(tmp_path / "journal.sqlite")
    pipeline = TxPipeline(chain, node.deployment.wallets["keeper"], journal, poll_s=0.1, max_confirm_s=15.0,
                          state_slot=seen.get)
    try:
        payer = node.deployment.wallets["keeper"].pubkey()
        target = node.deployment.wallets["admin"].pubkey()

        def action(key: str) -> Action:
            return Action("test", "transfer", key, target,
                          (transfer(TransferParams(from_pubkey=payer, to_pubkey=target, lamports=1_000 + len(key))),))

        first = await pipeline.submit(action("transfer:a"))
        assert first.landed and first.slot is not None
        # The cache still holds the target as read the slot before the landing (a fresh node lands in slot 0,
        # so "before" is the slot number less one, not a fixed 0). Planned again from that state: refused as
        # busy, under any key.
        before = first.slot - 1
        seen[target] = before
        assert not pipeline.reserve(action("transfer:b"))
        assert (await pipeline.submit(action("transfer:b"))).status == "busy"
        seen[target] = first.slot  # the cache now has the account as the landed action left it
        assert pipeline.reserve(action("transfer:b"))
        pipeline.in_flight.clear()
        # Held at most STALE_HOLD_S when the cache never catches up (an account the action did not write).
        monkeypatch.setattr(tx, "STALE_HOLD_S", 0.3)
        seen[target] = before
        second = await pipeline.submit(action("transfer:c"))
        assert second.landed
        assert not pipeline.reserve(action("transfer:d"))
        await asyncio.sleep(0.4)
        assert pipeline.reserve(action("transfer:d"))
        # Without a cache (no ``state_slot``) nothing is held.
        pipeline.in_flight.clear()
        bare = TxPipeline(chain, node.deployment.wallets["keeper"], journal, poll_s=0.1, max_confirm_s=15.0)
        assert (await bare.submit(action("transfer:e"))).landed and bare.reserve(action("transfer:f"))
    finally:
        journal.close()
        await chain.close()
        stop_node(node)


def _chain_ts(world: KeeperWorld) -> int:
    return world.on_node(lambda: world.node.node.chain.svm.get_clock().unix_timestamp)
