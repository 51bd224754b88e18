"""The project's alerting rules and dashboards against a real Prometheus scraping a real keeper.

A keeper runs every bot against the LiteSVM RPC node through the trading scenario's crash (liquidations,
bankruptcies, funding, settlements), and Prometheus (Debian's binary) scrapes its ``/metrics`` every second
with ``deploy/prometheus/alerts.yml`` loaded as shipped. Then the oracle publisher stops: the oracle goes
stale, the mark-price crank has nothing valid to publish and ``update_prices`` stops landing, and the
stale-crank alert must go pending, then firing after its ``for:``. Every query of every Grafana dashboard
panel must return data from that same Prometheus, so a renamed metric fails here rather than on a
dashboard.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio

from keepers.exchange import instructions as ix
from keepers.execution.pipeline import Action, ActionStatus
from tests.deploy_files import RULES, dashboards, panel_queries, rule_expressions
from tests.integration.keepers.harness import KeeperWorld, RunningKeeper, wait_until
from tests.integration.localnet.conftest import mock_oracle_program
from tests.integration.production.prometheus import PrometheusServer

__all__ = ["mock_oracle_program"]  # a fixture of tests/integration/localnet, used here

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

ALERT = "PerpkeepPriceCrankStale"
FOR_S = 30  # its `for:` in alerts.yml
# From the stop: the oracle is stale after 50 slots (2.5 s), the price past its limit after 2,400 s of chain
# time (120 slots, 6 s), then pending, then firing 30 s later. Bounds leave room for a loaded machine.
PENDING_WITHIN_S = 40.0
FIRING_WITHIN_S = PENDING_WITHIN_S + FOR_S + 20.0
SCENARIO_STEP_S = 90.0  # bound of each step of the scenario before the crank stops


@dataclass
class Observed:
    """The node with its scenario, the keeper, and the Prometheus scraping it."""

    world: KeeperWorld
    running: RunningKeeper
    prometheus: PrometheusServer
    crank_stopped_at: float | None = None

    async def stop_price_crank(self) -> float:
        """Stop the oracle publisher (with the scenario's trading); return when (monotonic), idempotent."""
        if self.crank_stopped_at is None:
            self.world.on_node(self.world.scenario.detach)
            self.crank_stopped_at = time.monotonic()
        return self.crank_stopped_at

    async def query(self, expr: str) -> list[dict]:
        return await asyncio.to_thread(self.prometheus.query, expr)

    async def alerts(self, name: str) -> list[dict]:
        return [a for a in await asyncio.to_thread(self.prometheus.alerts) if a["labels"]["alertname"] == name]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def observed(perp_program: bytes, mock_oracle_program: bytes,
                   tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Observed]:
    tmp = tmp_path_factory.mktemp("observed")
    world = KeeperWorld.start(perp_program, mock_oracle_program, tmp)
    running = prometheus = None
    try:
        running = await RunningKeeper(world, world.config()).start()
        assert running.keeper.server is not None
        prometheus = PrometheusServer(tmp / "prometheus", [f"127.0.0.1:{running.keeper.server.port}"], [RULES])
        await asyncio.to_thread(prometheus.start)
        targets = await asyncio.to_thread(prometheus.wait_scraped)
        assert [t["health"] for t in targets] == ["up"], targets
        world.begin_trading()
        # Through the crash: liquidations land and the bankruptcies they cause are resolved (every dashboard
        # panel then has a series to show).
        for what, done in (("crash", lambda: world.scenario.crashed),
                           ("liquidation", lambda: running.landed("liquidate_perp") > 0),
                           ("bankruptcy resolved", lambda: running.landed("resolve_bankruptcy") > 0)):
            try:
                await wait_until(done, SCENARIO_STEP_S, poll_s=0.25)
            except AssertionError:
                raise AssertionError(f"no {what} within {SCENARIO_STEP_S} s: slot {world.slot()}, scenario steps "
                                     f"{world.scenario.steps}, outcomes {dict(running.keeper.pipeline.outcomes)}") from None
        yield Observed(world, running, prometheus)
    finally:
        if prometheus is not None:
            await asyncio.to_thread(prometheus.stop)
        if running is not None:
            await running.stop()
        world.stop()


async def test_a_stopped_price_crank_fires_the_stale_crank_alert(observed: Observed) -> None:
    prom = observed.prometheus
    up = await observed.query('up{job="perpkeep"}')
    assert [s["value"][1] for s in up] == ["1"], (up, prom.targets())
    rules = [r for g in (await asyncio.to_thread(prom.api, "rules"))["groups"] for r in g["rules"]]
    assert len(rules) == len(rule_expressions()) and all(r["health"] == "ok" for r in rules), rules
    assert await observed.alerts(ALERT) == []  # the crank runs: nothing pending yet
    landed = observed.running.landed("update_prices")
    assert landed > 0

    stopped = await observed.stop_price_crank()
    seen: dict[str, float] = {}
    landed_at_pending = None
    deadline = stopped + FIRING_WITHIN_S
    while "firing" not in seen and time.monotonic() < deadline:
        for alert in await observed.alerts(ALERT):
            assert alert["labels"]["severity"] == "page" and alert["labels"]["job"] == "perpkeep"
            seen.setdefault(alert["state"], time.monotonic() - stopped)
        if "pending" in seen and landed_at_pending is None:
            landed_at_pending = observed.running.landed("update_prices")
        await asyncio.sleep(0.25)
    assert "pending" in seen and "firing" in seen, f"states seen {seen} within {FIRING_WITHIN_S} s of the stop"
    print(f"\nstale-crank alert: pending {seen['pending']:.1f} s, firing {seen['firing']:.1f} s after the publisher stopped")
    assert seen["pending"] <= PENDING_WITHIN_S
    assert seen["firing"] - seen["pending"] >= FOR_S - 2  # firing waits its `for:` (2 s: the polling and evaluation)
    # What fired is what the keeper saw: a market whose price is past its limit, and no crank landed since.
    firing = [a for a in await observed.alerts(ALERT) if a["state"] == "firing"]
    markets = {a["labels"]["market"] for a in firing}
    assert markets and markets <= {"0", "1"}
    assert "prices_stale" in observed.running.keeper.health.problems
    # The crank went on while the oracle was still fresh (50 slots), then stopped for good.
    assert landed_at_pending is not None and observed.running.landed("update_prices") == landed_at_pending


async def test_every_dashboard_panel_query_returns_data(observed: Observed) -> None:
    await observed.stop_price_crank()  # (a no-op after the alert test) a health problem has a series to show
    await wait_until(lambda: "prices_stale" in observed.running.keeper.health.problems, PENDING_WITHIN_S, poll_s=0.25)
    # A failure for the failure panels: an operator's funding crank sent early through the keeper's pipeline
    # (the keeper's own cranks count FundingTooEarly and stale oracles as expected answers, not failures).
    keeper = observed.running.keeper
    pid, market = keeper.ctx.program_id, observed.world.node.deployment.markets[0].address
    early = await keeper.pipeline.submit(Action(bot="operator", kind="update_funding", key=f"test:early:{time.time()}",
                                                target=market, instructions=(ix.update_funding(0, pid),)))
    assert early.status is ActionStatus.FAILED, early
    queries = [(file, title, expr) for file, d in dashboards().items() for title, expr in panel_queries(d)]
    assert len(queries) >= 30
    empty: list[tuple[str, str, str]] = []
    for _ in range(20):  # bounded: a series set at the last housekeeping may need a scrape or two
        empty = [(f, t, e) for f, t, e in queries if not await observed.query(e)]
        if not empty:
            break
        queries = empty
        await asyncio.sleep(1.0)
    assert not empty, "panels without data:\n" + "\n".join(f"{f}: {t}: {e}" for f, t, e in empty)
    # Counters the keeper takes from its chain client moved: requests were counted as they were posted.
    requests = await observed.query('perpkeep_rpc_requests_total{job="perpkeep"}')
    assert float(requests[0]["value"][1]) > 100
