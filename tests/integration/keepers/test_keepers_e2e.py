"""Every keeper bot end to end against the LiteSVM RPC node over HTTP and websockets.

The scenario opens leveraged positions against a market maker and crashes the oracle price; the
keeper must liquidate every under-margined user within a bounded number of slots, crank funding every
period, consume the fills, resolve the bankruptcies and sweep revenue into the insurance fund, while
the vault keeps owing exactly what it holds.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from keepers.exchange.pdas import insurance_vault_pda
from keepers.exchange.spl_token import token_amount
from tests.integration.keepers.harness import SETTINGS, KeeperWorld, RunningKeeper, http_get, wait_until

pytestmark = pytest.mark.slow

LIQUIDATION_BOUND_SLOTS = 120  # every liquidatable user liquidated within this many slots of the crash


async def test_keepers_liquidate_fund_settle_and_sweep_after_a_crash(perp_program: bytes, mock_oracle_program: bytes,
                                                                     tmp_path: Path) -> None:
    world = KeeperWorld.start(perp_program, mock_oracle_program, tmp_path)
    running = None
    try:
        running = await RunningKeeper(world, world.config()).start()
        keeper = running.keeper
        world.begin_trading()
        await wait_until(lambda: world.scenario.opened == SETTINGS.users, 30)
        await wait_until(lambda: world.scenario.crashed, 30)
        crash_slot = world.slot()

        # Liquidations: every liquidatable user is liquidated within a bounded number of slots.
        await wait_until(lambda: running.landed("liquidate_perp") > 0, 30)
        await wait_until(lambda: not world.liquidatable_users(), 60, poll_s=0.25)
        assert world.slot() - crash_slot <= LIQUIDATION_BOUND_SLOTS

        # Bankruptcies the crash caused are resolved, and fills are consumed.
        await wait_until(lambda: running.landed("resolve_bankruptcy") > 0 and world.bankrupt_users() == 0, 60, poll_s=0.25)
        await wait_until(lambda: world.queued_fills() == 0, 30, poll_s=0.25)
        assert running.landed("consume_events") > 0
        assert running.landed("settle_pnl") > 0

        # Funding is cranked every period: after a few periods no market is more than a period behind
        # (one period of lateness is normal: the crank for the current period is not due yet).
        periods = 3
        start = world.slot()
        await wait_until(lambda: world.slot() - start >= periods * SETTINGS.funding_period_s // SETTINGS.seconds_per_slot, 30)
        now_ts = world.on_node(lambda: world.node.node.chain.svm.get_clock().unix_timestamp)
        cranks = [e for e in keeper.journal.recent(10_000) if e.kind == "update_funding"]
        for m in world.markets():
            mine = [(e.key, e.status, e.error, e.slot) for e in cranks if e.detail.get("market") == m.market_index][:6]
            assert now_ts - m.last_funding_ts < 2 * SETTINGS.funding_period_s, f"market {m.market_index} funding is late: {mine}"
        # A crank drains the fills queued before it executes (one maker here). Only a crank planned before the
        # first order rested carries no drain and may meet fills (EventQueueNotEmpty, an expected answer):
        # at most that first one per market, and its period is cranked by the next plan.
        raced = [e for e in cranks if e.error and "EventQueueNotEmpty" in e.error]
        landed_keys = {e.key for e in cranks if e.status == "landed"}
        assert len(raced) <= len(world.markets()) and all(e.key in landed_keys for e in raced), raced
        assert keeper.pipeline.outcomes.get(("update_funding", "failed"), 0) == 0
        assert running.landed("update_funding") >= periods * len(world.markets())

        # Revenue reaches the insurance fund: the fees of the liquidations are swept.
        await wait_until(lambda: running.landed("settle_revenue") > 0, 30)
        vault = world.on_node(lambda: world.node.node.chain.get_account(insurance_vault_pda(world.node.deployment.program_id)))
        assert token_amount(bytes(vault.data)) > 0
        assert any(m.last_revenue_settle_ts > 0 for m in world.markets())

        # Observability: /health is green, /metrics counts what landed.
        assert keeper.server is not None
        status, body = await asyncio.to_thread(http_get, f"http://127.0.0.1:{keeper.server.port}/health")
        assert status == 200 and json.loads(body)["ok"] is True
        _, metrics = await asyncio.to_thread(http_get, f"http://127.0.0.1:{keeper.server.port}/metrics")
        assert b'perpkeep_actions_landed_total{bot="liquidator",kind="liquidate_perp"}' in metrics

        # Nothing failed for a reason the keeper should have avoided, and the vault owes what it holds.
        alerts = [e for e in keeper.journal.recent(10_000) if e.status == "skipped" and e.error
                  and not any(s in e.error for s in ("NotLiquidatable", "FundingTooEarly", "NotBankrupt",
                                                      "RevenueSettleTooEarly", "NoPositionToLiquidate",
                                                      "MissingMarketAccount"))]
        assert alerts == [], [(e.kind, e.error) for e in alerts]
        await running.stop()
        running = None
        vault_balance, total, claims = world.conservation()
        assert vault_balance == total == claims
    finally:
        if running is not None:
            await running.stop()
        world.stop()
