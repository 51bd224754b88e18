"""The trigger keeper end to end against the LiteSVM RPC node over HTTP and websockets.

Users store trigger orders (stop-losses on longs and dip-buying take-profits, on the mark and on the
oracle price), some of which the coming price move makes eligible and some not; then the oracle price
drops 10% and nobody cranks it but the keeper, which runs the trigger bot alone. Every eligible
trigger must fire within a bounded number of slots, exactly once (the keeper's margin account
receives exactly one fee per eligible trigger; no journal key lands twice), the others must stay
stored, and no failure is alerted. The same under the node's faults (5xx, 429, websocket drops, slot
stalls), and across a keeper stopped mid-run and a new one started on its journal.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from solders.pubkey import Pubkey

from keepers.config import Config
from keepers.exchange import instructions as ix
from keepers.exchange.pdas import trigger_orders_pda
from keepers.execution.results import Landed
from localnet.deployment import BootstrapPlan
from localnet.rpc.config import FaultConfig
from programs_client.perp.accounts import Market, TriggerOrders, User
from programs_client.perp.constants import BASE_PRECISION as BASE, PRICE_PRECISION as PRICE, QUOTE_PRECISION as QUOTE
from programs_client.perp.types import order_type, side, trigger_condition, trigger_kind, trigger_price_source
from tests.integration.keepers.harness import RunningKeeper, http_get, journal_rows, landed_twice, unfinished, wait_until
from tests.integration.localnet.conftest import LocalNode, start_node, stop_node

pytestmark = pytest.mark.slow

USERS = 6
FIRE_BOUND_SLOTS = 100  # every eligible trigger fired within this many slots (5 s at 50 ms) of the price move
FAULTY_FIRE_BOUND_SLOTS = 400  # under faults: a 429 pauses the keeper for a second (20 slots)
DROP = 0.9  # the oracle price moves to 90% of the initial one
FAULTS = FaultConfig(seed=31, http_429_rate=0.01, retry_after_s=1, http_5xx_rate=0.15, slot_stall_rate=0.01,
                     slot_stall_ms=500)
PLAN = BootstrapPlan(markets=("SOL-PERP",), users=USERS, makers=1, keeper_tokens=10 * QUOTE, keeper_deposit=10 * QUOTE)
EXPECTED_ERRORS = ("TriggerConditionNotMet", "TriggerNotFound", "TriggerPriceNotFresh")


@dataclass
class TriggerWorld:
    """The node (``node`` as ``RunningKeeper`` expects it), the triggers stored and the keeper's files."""

    node: LocalNode
    tmp: Path
    eligible: set[tuple[str, int]]  # (user address, trigger id)
    ineligible: set[tuple[str, int]]
    fee: int
    keeper_user: Pubkey

    def on_node(self, fn: Any, *args: Any) -> Any:
        return self.node.thread.call(fn, *args)

    def slot(self) -> int:
        return self.on_node(lambda: self.node.node.chain.slot)

    def stored(self) -> set[tuple[str, int]]:
        """(user, trigger id) of every trigger order stored on chain now."""
        def read() -> set[tuple[str, int]]:
            ledger, pid = self.node.node.chain, self.node.deployment.program_id
            out = set()
            for i in range(USERS):
                user = self.node.deployment.user_accounts[f"user-{i}"]
                acc = TriggerOrders.decode(bytes(ledger.get_account(trigger_orders_pda(user, pid)).data))
                out |= {(str(user), o.trigger_id) for o in acc.orders if o.trigger_id}
            return out

        return self.on_node(read)

    def keeper_collateral(self) -> int:
        return self.on_node(lambda: User.decode(bytes(self.node.node.chain.get_account(self.keeper_user).data)).collateral)

    def move_price(self, factor: float) -> None:
        """Publish the oracle price ``factor`` times the initial one (no crank: the keeper's job)."""
        dep = self.node.deployment
        m, authority = dep.markets[0], dep.oracle_authority
        self.on_node(lambda: _ok(self.node.node.chain.send(m.oracles.write_ixs(authority.pubkey(), m.initial_price * factor),
                                                           [authority], payer=authority)))

    def config(self, **trigger_bot: Any) -> Config:
        data: dict[str, Any] = {
            "cluster": {"rpc_url": self.node.rpc_url, "ws_url": self.node.ws_url, "commitment": "confirmed",
                        "silence_s": 2.0},
            "keeper": {"keypair_path": str(self.tmp / "keeper.json"), "journal_path": str(self.tmp / "journal.sqlite"),
                       "bots": ["trigger"]},
            "bots": {"trigger": trigger_bot},
            "metrics": {"port": 0},
            "logging": {"level": "info", "format": "text"},
        }
        return Config.from_mapping(data, self.tmp)


def _ok(out: Any) -> Landed:
    assert isinstance(out, Landed), out
    return out


def _store_triggers(node: LocalNode) -> tuple[set[tuple[str, int]], set[tuple[str, int]], int]:
    """On the node's thread: a maker quoting around the price, each user a long of 0.1 from it and three
    trigger orders. Eligible after the drop to 90%: a reduce-only stop-loss ask below 95% on the mark and
    a take-profit bid below 95% on the oracle; not: a take-profit bid below 50%. Returns (eligible,
    ineligible, the market's trigger fee)."""
    ledger, dep = node.node.chain, node.deployment
    m = dep.markets[0]
    p0 = int(m.initial_price * PRICE)
    tick = Market.decode(bytes(ledger.get_account(m.address).data)).params.tick_size
    price = lambda f: int(p0 * f) // tick * tick  # noqa: E731
    maker = dep.wallets["maker-0"]
    maker_user = dep.user_accounts["maker-0"]
    _ok(ledger.send([ix.place_order(maker.pubkey(), maker_user, 0, ix.order_args(side.Ask(), price(1.01), 10 * BASE)),
                     ix.place_order(maker.pubkey(), maker_user, 0, ix.order_args(side.Bid(), price(0.88), 10 * BASE))],
                    [maker], payer=maker))
    eligible, ineligible = set(), set()
    for i in range(USERS):
        kp, user = dep.wallets[f"user-{i}"], dep.user_accounts[f"user-{i}"]
        base = (i + 1) * BASE // 10
        stop = ix.trigger_args(side.Ask(), trigger_kind.StopMarket(), trigger_condition.Below(), price(0.95), base,
                               reduce_only=True)
        dip = ix.trigger_args(side.Bid(), trigger_kind.TakeProfitMarket(), trigger_condition.Below(), price(0.95), BASE // 10,
                              price_source=trigger_price_source.Oracle())
        far = ix.trigger_args(side.Bid(), trigger_kind.TakeProfitLimit(), trigger_condition.Below(), price(0.5), BASE // 10,
                              limit_price=price(0.55))
        _ok(ledger.send([ix.place_order(kp.pubkey(), user, 0, ix.order_args(side.Bid(), price(1.01), base, order_type.ImmediateOrCancel())),
                         ix.init_trigger_orders(kp.pubkey(), user),
                         ix.place_trigger_order(kp.pubkey(), user, 0, stop),
                         ix.place_trigger_order(kp.pubkey(), user, 0, dip),
                         ix.place_trigger_order(kp.pubkey(), user, 0, far)], [kp], payer=kp))
        eligible |= {(str(user), 1), (str(user), 2)}
        ineligible.add((str(user), 3))
    _ok(ledger.send([ix.consume_events(0, [maker_user], 64)], [maker], payer=maker))
    return eligible, ineligible, Market.decode(bytes(ledger.get_account(m.address).data)).params.trigger_fee_quote


def start_world(perp_program: bytes, mock_oracle: bytes, tmp: Path, **node_config: Any) -> TriggerWorld:
    node = start_node(perp_program, mock_oracle, plan=PLAN, **node_config)
    eligible, ineligible, fee = node.thread.call(_store_triggers, node)
    fd = os.open(tmp / "keeper.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(list(bytes(node.deployment.wallets["keeper"])), f)
    world = TriggerWorld(node, tmp, eligible, ineligible, fee, node.deployment.user_accounts["keeper"])
    assert world.stored() == eligible | ineligible
    return world


def check_fired_once(world: TriggerWorld, collateral_before: int) -> None:
    """Every eligible trigger fired, each exactly once; the others still stored; nothing alerted."""
    assert world.stored() == world.ineligible
    assert world.keeper_collateral() == collateral_before + world.fee * len(world.eligible)
    journal = world.tmp / "journal.sqlite"
    assert landed_twice(journal) == []
    errors = journal_rows(journal, "SELECT error FROM actions WHERE kind = 'trigger_order' AND error IS NOT NULL")
    assert [e for (e,) in errors if not any(x in e for x in EXPECTED_ERRORS + ("blockhash", "never sent"))] == []


async def _no_trigger_alerts(running: RunningKeeper) -> None:
    server = running.keeper.server
    assert server is not None
    _, metrics = await asyncio.to_thread(http_get, f"http://127.0.0.1:{server.port}/metrics")
    assert b'perpkeep_alerts_total{bot="trigger"' not in metrics


async def test_every_eligible_trigger_fires_after_a_price_move(perp_program: bytes, mock_oracle_program: bytes,
                                                               tmp_path: Path) -> None:
    world = start_world(perp_program, mock_oracle_program, tmp_path)
    running = None
    try:
        before = world.keeper_collateral()
        running = await RunningKeeper(world, world.config()).start()  # type: ignore[arg-type]
        await asyncio.sleep(0.5)
        assert world.stored() == world.eligible | world.ineligible  # nothing holds at the initial price
        world.move_price(DROP)
        moved = world.slot()
        await wait_until(lambda: world.stored() == world.ineligible, 30, poll_s=0.05)
        assert world.slot() - moved <= FIRE_BOUND_SLOTS
        await wait_until(lambda: running.landed("trigger_order") >= len(world.eligible), 10)
        check_fired_once(world, before)
        await _no_trigger_alerts(running)
    finally:
        if running is not None:
            await running.stop()
        stop_node(world.node)


async def _drop_websockets(world: TriggerWorld, stop: asyncio.Event) -> None:
    rng = random.Random(7)
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), rng.uniform(1.0, 2.0))
            return
        except asyncio.TimeoutError:
            pass
        await asyncio.to_thread(world.node.rpc, "perpkeep_dropWebsockets", [])


async def test_triggers_fire_through_rpc_failures_websocket_drops_and_slot_stalls(
        perp_program: bytes, mock_oracle_program: bytes, tmp_path: Path) -> None:
    world = start_world(perp_program, mock_oracle_program, tmp_path, faults=FAULTS)
    running, stop = None, asyncio.Event()
    dropper = asyncio.create_task(_drop_websockets(world, stop))
    try:
        before = world.keeper_collateral()
        running = await RunningKeeper(world, world.config()).start()  # type: ignore[arg-type]
        world.move_price(DROP)
        moved = world.slot()
        await wait_until(lambda: world.stored() == world.ineligible, 60, poll_s=0.1)
        assert world.slot() - moved <= FAULTY_FIRE_BOUND_SLOTS
        await wait_until(lambda: not unfinished(world.tmp / "journal.sqlite"), 30, poll_s=0.2)
        check_fired_once(world, before)
    finally:
        stop.set()
        await dropper
        if running is not None:
            await running.stop()
        stop_node(world.node)


async def test_a_restarted_keeper_fires_the_rest_and_nothing_twice(perp_program: bytes, mock_oracle_program: bytes,
                                                                   tmp_path: Path) -> None:
    world = start_world(perp_program, mock_oracle_program, tmp_path)
    first = second = None
    try:
        before = world.keeper_collateral()
        # One trigger in flight at a time, so that the stop catches the first keeper mid-work.
        first = await RunningKeeper(world, world.config(max_in_flight=1)).start()  # type: ignore[arg-type]
        world.move_price(DROP)
        await wait_until(lambda: len(world.stored()) < len(world.eligible | world.ineligible), 30, poll_s=0.02)
        await first.stop()
        first = None
        left = world.stored() - world.ineligible
        assert left, "the first keeper fired everything before it was stopped"
        second = await RunningKeeper(world, world.config()).start()  # type: ignore[arg-type]
        await wait_until(lambda: world.stored() == world.ineligible, 30, poll_s=0.05)
        await wait_until(lambda: not unfinished(world.tmp / "journal.sqlite"), 30, poll_s=0.2)
        check_fired_once(world, before)
        await _no_trigger_alerts(second)
    finally:
        for r in (first, second):
            if r is not None:
                await r.stop()
        stop_node(world.node)

