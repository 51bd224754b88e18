"""The market maker against the LiteSVM RPC node over real HTTP and websockets while the node misbehaves.

The trading scenario runs on the node (a scripted maker, leveraged takers, the oracle moving every
slot); the node answers about a fifth of the HTTP requests with a 429 or a 5xx, drops every websocket
connection every few seconds and stalls its slots now and then. Our maker must keep quoting (requotes
landing), every quote of ours on the tick and lot grid, 3 a side at most, with an expiry slot; its
position within its limit; no intent landed twice; and on shutdown every quote is cancelled, through
the faults.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from keepers.exchange.pdas import user_pda
from localnet.rpc.config import FaultConfig
from programs_client.perp.accounts import Market, Orderbook, User
from tests.integration.keepers.harness import (
    SETTINGS,
    KeeperWorld,
    RunningKeeper,
    drop_websockets,
    landed_twice,
    wait_until,
)

pytestmark = pytest.mark.slow

FAULTS = FaultConfig(seed=29, http_429_rate=0.015, retry_after_s=1, http_5xx_rate=0.19, slot_stall_rate=0.01,
                     slot_stall_ms=500)
DROP_EVERY_S = (2.0, 3.0)
CAP_BASE = 2.0
MAKER = {"markets": [0], "levels": 3, "base_size": 0.2, "max_order_base": 1.0, "max_inventory_base": CAP_BASE,
         "max_inventory_quote": 1_000_000.0, "lost_connection_s": 20.0, "min_sol": 0.001, "expiry_slots": 200,
         "max_oracle_age_slots": 40, "max_return_bps": 2000.0, "max_sigma_bps": 1000.0, "requote_every_s": 5.0}


def _ours(world: KeeperWorld) -> tuple[list, int, object]:
    """(our resting orders of market 0, our base there, the market's params), read on the node's thread."""
    dep = world.node.deployment
    me = user_pda(dep.wallets["keeper"].pubkey(), 0, dep.program_id)

    def read() -> tuple[list, int, object]:
        ledger = world.node.node.chain
        m = Market.decode(bytes(ledger.get_account(dep.markets[0].address).data))
        book = Orderbook.decode(bytes(ledger.get_account(m.orderbook).data))
        orders = [o for o in book.bids[:book.bid_count] + book.asks[:book.ask_count] if o.owner == me]
        user = User.decode(bytes(ledger.get_account(me).data))
        base = next((p.base_amount for p in user.positions if p.market_index == 0 and (p.base_amount or p.open_orders)), 0)
        return orders, base, m.params

    return world.on_node(read)


async def test_the_maker_quotes_through_rpc_failures_and_cancels_everything_at_shutdown(
        perp_program: bytes, mock_oracle_program: bytes, tmp_path: Path) -> None:
    world = KeeperWorld.start(perp_program, mock_oracle_program, tmp_path, SETTINGS, faults=FAULTS)
    running = None
    stop_chaos = asyncio.Event()
    chaos = None
    try:
        config = world.config(bots={"market_maker": MAKER})
        running = await RunningKeeper(world, config, bots=("market_maker", "mark_price", "settler")).start()
        chaos = asyncio.create_task(drop_websockets(world, stop_chaos, [], DROP_EVERY_S, seed=7))
        world.begin_trading()
        await wait_until(lambda: running.landed("mm_requote") >= 5, 60, poll_s=0.25)
        checks = 0
        for _ in range(40):  # ~10 s of trading under the faults, checking what rests
            orders, base, params = _ours(world)
            assert abs(base) <= CAP_BASE * 1e9, base
            for o in orders:
                assert o.price % params.tick_size == 0 and o.base_amount % params.lot_size == 0 and o.expiry_slot > 0, o
            assert len(orders) <= 6, orders
            checks += bool(orders)
            await asyncio.sleep(0.25)
        assert checks > 0, "no quote of ours was ever seen resting"
        assert landed_twice(tmp_path / "journal.sqlite") == []
    finally:
        stop_chaos.set()
        if chaos is not None:
            await asyncio.gather(chaos, return_exceptions=True)
        if running is not None:
            await running.stop()
            mm = running.keeper.bots["market_maker"]
            outcomes = [(r.status.name, r.error, round(r.latency_s, 2), r.slot) for r in getattr(mm, "shutdown_results", [])]
            assert _ours(world)[0] == [], f"quotes left resting after shutdown; the cancels: {outcomes}"
        world.stop()
