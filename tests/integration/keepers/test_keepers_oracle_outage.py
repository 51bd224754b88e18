"""The funding crank through an oracle outage, against the LiteSVM RPC node: once the oracles go stale
the crank fails as expected once per market and then waits for the oracles or the market to change,
instead of failing again at every tick (about 25 failed simulations a second before); when prices
come back, funding resumes."""

from __future__ import annotations

import asyncio
from pathlib import Path

from keepers.execution.intents import ActionKind
from keepers.execution.pipeline import ActionStatus
from tests.integration.keepers.harness import KeeperWorld, RunningKeeper, wait_until

OUTAGE_S = 4.0  # 80 slots at 50 ms: past the 50-slot staleness limit and two 30-slot funding periods


async def test_funding_waits_out_an_oracle_outage_then_resumes(perp_program: bytes, mock_oracle_program: bytes,
                                                              tmp_path: Path) -> None:
    world = KeeperWorld.start(perp_program, mock_oracle_program, tmp_path)  # nobody publishes prices yet
    running = None
    markets = len(world.node.deployment.markets)
    try:
        running = await RunningKeeper(world, world.config(), bots=("funding",)).start()
        outcomes = running.keeper.pipeline.outcomes

        def count(status: ActionStatus) -> int:
            return outcomes.get((ActionKind.UPDATE_FUNDING, status), 0)

        await wait_until(lambda: count(ActionStatus.EXPECTED) >= markets, 30)
        before = count(ActionStatus.EXPECTED)
        await asyncio.sleep(OUTAGE_S)
        # tried again only when a market's accounts are read afresh (a resubscription after silence), not
        # at every tick: about 100 failed attempts in this window before
        assert count(ActionStatus.EXPECTED) - before <= 2 * markets, dict(outcomes)
        assert count(ActionStatus.FAILED) == 0, dict(outcomes)

        landed = count(ActionStatus.LANDED)
        world.begin_trading()  # the scenario publishes prices again at every slot
        await wait_until(lambda: count(ActionStatus.LANDED) >= landed + markets, 30)
    finally:
        if running is not None:
            await running.stop()
        world.stop()
