"""The arbitrage bot's cross-venue strategy: the program's SOL market (LiteSVM) against the venue emulator's
SOLUSDT through ccxt, the hedge leg sent to the venue.

The emulator's flat crowd around 150 puts the best bid at floor(150 x 0.9998 / 0.01) x 0.01 = 149.97 (2 SOL
a level). A maker's ask at 149.00 for 1 SOL on the program is below it by more than the fees (program
taker 10 bps, venue taker 5 bps) and the 5 bps threshold: buy 1 on the program, sell 1 on the venue, an
edge of 0.97 - 0.001 x 149 - 0.0005 x 149.97 = 0.746015. Then:
- a hedge the venue keeps failing (HTTP 503) leaves an orphan, unwound on the program with reduce-only
  TWAP children;
- 429s on the hedge are waited out and the hedge lands exactly once;
- a dropped book stream is resubscribed and the strategy goes on;
- a keeper that crashes mid-hedge (before or after the venue took the order) is restarted: the hedge is
  placed exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from keepers.runtime import Keeper
from keepers.venues.base import OrderReport, OrderRequest
from keepers.venues.ccxt_venue import CcxtVenue
from localnet.venue.server import VenueServer
from sim.scenario import LedgerWorld
from tests.integration.venue.conftest import FLAT_CROWD
from tests.unit.strategies.arb_world import arb_keeper, arb_world, base_of, bot_of, publish, rest, run_until

SOL = "SOL/USDT:USDT"
B = 1_000_000_000
CROSS = {"strategies": ["cross_venue"], "venue_links": [{"market": 0, "symbol": SOL, "asset": "SOL"}],
         "venue_book_max_age_s": 600.0, "hedge_retry_s": 0.05}


@pytest.fixture
def world(perp_program: bytes) -> LedgerWorld:
    w = arb_world(perp_program)
    publish(w)
    return w


@pytest.fixture
async def server() -> AsyncIterator[VenueServer]:
    async with VenueServer.default(seed=3, crowd=FLAT_CROWD) as s:
        yield s


async def venue_of(server: VenueServer, cls: type[CcxtVenue] = CcxtVenue, **kwargs: Any) -> CcxtVenue:
    v = cls(CcxtVenue.create("binanceusdm", server.ccxt_config()).exchange, **kwargs)
    await asyncio.wait_for(v.start(), 10)
    return v


def venue_position(server: VenueServer) -> D:
    return server.venue.positions["SOLUSDT"].qty if "SOLUSDT" in server.venue.positions else D(0)


def hedges(server: VenueServer) -> list[Any]:
    return [o for o in server.venue.orders.values() if o.symbol == "SOLUSDT"]


async def started(world: LedgerWorld, tmp_path: Path, venue: CcxtVenue, **arb: Any) -> Keeper:
    keeper, _ = arb_keeper(world, tmp_path, **dict(CROSS, **arb))
    bot_of(keeper).set_venue(venue)
    await keeper.start()
    assert await run_until(world, lambda: bot_of(keeper).venue_book(SOL) is not None, slots=60)
    return keeper


async def stop(keeper: Keeper) -> None:
    await keeper.stop()
    await keeper.chain.close()


async def test_the_program_leg_then_its_hedge_on_the_venue(world: LedgerWorld, server: VenueServer, tmp_path: Path) -> None:
    venue = await venue_of(server)
    assert venue.fees(SOL).taker == D("0.0005")  # the edge below assumes ccxt's taker fee for binanceusdm
    keeper = await started(world, tmp_path, venue)
    bot = bot_of(keeper)
    try:
        rest(world, 0, bid=False, price=149.0, base=1.0)
        assert await run_until(world, lambda: base_of(world, 0) == B and venue_position(server) == D(-1)
                               and not bot.hedging, slots=60)
        (order,) = hedges(server)
        assert (order.side.value, order.tif.value, order.status) == ("SELL", "IOC", "FILLED")
        report = bot.analytics_report()["cross_venue"]
        assert report["theoretical_edge"] == pytest.approx(0.746015, abs=1e-9)
        # the program leg filled at 149 and the hedge at 149.97: nothing slipped
        assert report["captured_edge"] == pytest.approx(0.746015, abs=1e-6) and report["failed_legs"] == 0
        assert bot.exposure(keeper.cache.users[bot.own_address])["SOL"] == 0  # +1 on the program, -1 on the venue
        assert [e.status for e in keeper.journal.recent(20) if e.kind == "arb_hedge"] == ["landed"]
    finally:
        await stop(keeper)
        await venue.close()


async def test_a_refused_hedge_leaves_an_orphan_that_is_unwound(world: LedgerWorld, server: VenueServer,
                                                                tmp_path: Path) -> None:
    server.faults.fail_orders = 1000  # every new order: HTTP 503
    venue = await venue_of(server)
    keeper = await started(world, tmp_path, venue, hedge_attempts=2, unwind_slices=2, unwind_interval_slots=2)
    bot = bot_of(keeper)
    try:
        rest(world, 0, bid=True, price=148.8, base=2.0)  # what the unwind sells into (within 1 % of the mark)
        rest(world, 0, bid=False, price=149.0, base=1.0)
        assert await run_until(world, lambda: bot.analytics["cross_venue"].orphans == 1, slots=60)
        (hedge,) = [e for e in keeper.journal.recent(50) if e.kind == "arb_hedge"]
        assert hedge.status == "failed" and "hedge failed" in (hedge.error or "")
        # bought 1 on the program, then sold back in two reduce-only children of 0.5
        assert await run_until(world, lambda: base_of(world, 0) == 0 and not bot.orphans, slots=60)
        children = [e for e in keeper.journal.recent(50) if e.kind == "arb_unwind" and e.status == "landed"]
        assert sorted(e.detail["base"] for e in children) == [B // 2, B // 2]
        assert venue_position(server) == 0 and hedges(server) == []
        report = bot.analytics_report()["cross_venue"]
        assert (report["legs"], report["failed_legs"], report["failed_leg_rate"]) == (2, 1, 0.5)
        text = keeper.metrics.render().decode()
        assert "perpkeep_arb_orphaned_legs_total 1.0" in text and 'perpkeep_arb_venue_errors_total{kind="retryable"} 2.0' in text
    finally:
        await stop(keeper)
        await venue.close()


async def test_429s_are_waited_out_and_the_hedge_lands_once(world: LedgerWorld, server: VenueServer, tmp_path: Path) -> None:
    venue = await venue_of(server, rate_limit_wait_s=0.3)
    keeper = await started(world, tmp_path, venue, hedge_attempts=10)
    bot = bot_of(keeper)
    try:
        server.faults.weight_per_s = 2
        await venue.positions()
        await venue.positions()  # the window of one second is full now
        rest(world, 0, bid=False, price=149.0, base=1.0)
        assert await run_until(world, lambda: venue_position(server) == D(-1) and not bot.hedging, slots=100)
        assert server.faults.rate_limited >= 1
        assert [o.status for o in hedges(server)] == ["FILLED"] and base_of(world, 0) == B
    finally:
        await stop(keeper)
        await venue.close()


async def test_a_dropped_book_stream_is_resubscribed(world: LedgerWorld, server: VenueServer, tmp_path: Path) -> None:
    venue = await venue_of(server)
    keeper = await started(world, tmp_path, venue)
    bot = bot_of(keeper)
    try:
        assert await server.api.disconnect_websockets() >= 1
        server.venue.set_reference("SOLUSDT", 150.01)  # an update the new subscription carries
        assert await run_until(world, lambda: 'kind="disconnected"} 1.0' in keeper.metrics.render().decode()
                               or 'kind="disconnected"} 2.0' in keeper.metrics.render().decode(), slots=60)
        assert await run_until(world, lambda: bot.venue_book(SOL) is not None, slots=100)
        rest(world, 0, bid=False, price=149.0, base=1.0)
        assert await run_until(world, lambda: venue_position(server) == D(-1) and not bot.hedging, slots=60)
    finally:
        await stop(keeper)
        await venue.close()


class Crash(CcxtVenue):
    """A keeper process dying mid-hedge: ``place`` hangs (until cancelled) before the order is sent, or after
    the venue took it and before the answer is used."""

    after: bool = False
    reached: asyncio.Event

    async def place(self, order: OrderRequest) -> OrderReport:
        if self.after:
            await super().place(order)
        self.reached.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


@pytest.mark.parametrize("after", [False, True], ids=["before-the-venue", "after-the-venue"])
async def test_a_restart_mid_hedge_neither_repeats_nor_forgets_it(world: LedgerWorld, server: VenueServer,
                                                                  tmp_path: Path, after: bool) -> None:
    crashing = await venue_of(server, Crash)
    crashing.after, crashing.reached = after, asyncio.Event()
    keeper = await started(world, tmp_path, crashing)
    bot = bot_of(keeper)
    try:
        rest(world, 0, bid=False, price=149.0, base=1.0)
        assert await run_until(world, lambda: crashing.reached.is_set(), slots=60)
        for task in list(bot.hedging.values()):  # the process dies: nothing after this point runs
            task.cancel()
        await asyncio.sleep(0)
    finally:
        await stop(keeper)
        await crashing.close()
    assert len(hedges(server)) == (1 if after else 0) and base_of(world, 0) == B
    venue = await venue_of(server)
    again = await started(world, tmp_path, venue)
    try:
        assert await run_until(world, lambda: venue_position(server) == D(-1) and not bot_of(again).hedging
                               and any(e.kind == "arb_hedge" and e.status == "landed" for e in again.journal.recent(20)),
                               slots=60)
        await run_until(world, lambda: False, slots=5)
        assert len(hedges(server)) == 1 and venue_position(server) == D(-1) and base_of(world, 0) == B
    finally:
        await stop(again)
        await venue.close()
