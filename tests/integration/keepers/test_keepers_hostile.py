"""The keeper against a broken or hostile endpoint: ``localnet.hostile_proxy`` between ``RpcChain`` and the
LiteSVM node, corrupting replies and notifications over real HTTP and websockets on 127.0.0.1.

One test per problem of issue 21's hostile-endpoint list (the numbers are the issue's): a lost Market
update (2), unacknowledged and refused subscriptions (3), a slot far ahead (4), a dripping reply (5), a
huge reply, one bad account in a snapshot and floods of unparseable messages (7); and ``/health``, which
must see a keeper that gets nowhere. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from solders.pubkey import Pubkey

from keepers.chain.base import BadResponse, ChainError
from keepers.chain.rpc import RpcChain
from keepers.config import ClusterConfig
from localnet.hostile_proxy import Fault, HostileProxy
from programs_client.perp.accounts import Market
from tests.integration.keepers.harness import SETTINGS, KeeperWorld, RunningKeeper, http_get, wait_until
from tests.integration.localnet.conftest import LocalNode


@pytest.fixture
async def proxy(clear_faults: LocalNode) -> AsyncIterator[HostileProxy]:
    """A hostile proxy (no faults yet) in front of the module's node."""
    p = await HostileProxy(clear_faults.rpc_url, clear_faults.ws_url, seed=21).start()
    yield p
    await p.stop()


def _chain(proxy: HostileProxy, **cluster: Any) -> RpcChain:
    settings: dict[str, Any] = {"request_timeout_s": 5.0, "silence_s": 3.0, **cluster}
    return RpcChain(ClusterConfig(rpc_url=proxy.http_url, ws_url=proxy.ws_url, **settings), max_backoff_s=0.3)


# -- (5) a dripping reply ------------------------------------------------------------------------------
async def test_a_dripping_reply_cannot_hold_a_request_longer_than_request_timeout(proxy: HostileProxy) -> None:
    # One byte every 0.2 s: httpx's per-read timeout (1 s) never fires, so only a deadline for the whole
    # request ends it; the reply of getSlot is ~40 bytes, 8 s of dripping.
    proxy.set_faults([Fault("drip", methods=("getSlot",), drip_s=0.2)])
    chain = _chain(proxy, request_timeout_s=1.0)
    try:
        started = time.monotonic()
        with pytest.raises(ChainError, match="no complete reply within request_timeout_s"):
            await chain.get_slot()
        assert time.monotonic() - started < 1.5
        assert chain.deadlines_missed == 1 and proxy.stats["drip"] == 1
        assert await chain.get_balance(Pubkey.default()) >= 0  # other methods go through undisturbed
    finally:
        await chain.close()


# -- what held before: lies are refused as ChainError, and the next request is served --------------------
@pytest.mark.parametrize("kind, method", [("malformed_json", "getAccountInfo"), ("wrong_types", "getAccountInfo"),
                                          ("odd_error", "getSlot"), ("drop_result", "getSlot"),
                                          ("wrong_types", "getSlot"), ("timeout", "getSlot")])
async def test_a_lying_reply_is_refused_as_a_chain_error(proxy: HostileProxy, node: LocalNode, kind: str,
                                                         method: str) -> None:
    proxy.set_faults([Fault(kind, methods=(method,), count=1, hold_s=5.0)])
    chain = _chain(proxy, request_timeout_s=1.0)
    read = chain.get_slot if method == "getSlot" else lambda: chain.get_account(node.deployment.exchange)
    try:
        with pytest.raises(ChainError):
            await read()
        assert proxy.stats[kind] == 1
        assert await read() is not None  # the fault was one reply: the chain goes on
    finally:
        await chain.close()


# -- (7) a huge reply, one bad account, unparseable messages ---------------------------------------------
async def test_a_reply_larger_than_max_reply_bytes_is_refused(proxy: HostileProxy, node: LocalNode) -> None:
    proxy.set_faults([Fault("huge", methods=("getAccountInfo",), size=16 << 20, count=1)])
    chain = _chain(proxy, max_reply_bytes=1 << 20, max_snapshot_bytes=4 << 20)
    try:
        with pytest.raises(BadResponse, match="exceeds cluster.max_reply_bytes"):
            await chain.get_account(node.deployment.exchange)
        assert chain.oversized_replies == 1
        assert await chain.get_account(node.deployment.exchange) is not None  # the next reply is read
        # A snapshot has a limit of its own: every account of the program in one reply.
        proxy.set_faults([Fault("huge", methods=("getProgramAccounts",), size=16 << 20, count=1)])
        with pytest.raises(BadResponse, match="exceeds cluster.max_snapshot_bytes"):
            await chain.get_program_accounts(node.deployment.program_id)
        assert len(await chain.get_program_accounts(node.deployment.program_id)) > 5
    finally:
        await chain.close()


async def test_one_malformed_account_does_not_fail_a_program_snapshot(proxy: HostileProxy, node: LocalNode) -> None:
    program = node.deployment.program_id
    chain = _chain(proxy)
    try:
        honest = {a.pubkey for a in await chain.get_program_accounts(program)}
        proxy.set_faults([Fault("malformed_account", methods=("getProgramAccounts",), count=1)])
        got = {a.pubkey for a in await chain.get_program_accounts(program)}
        assert len(honest) > 5 and len(got) == len(honest) - 1 and got < honest
        assert chain.skipped_accounts == 1 and proxy.stats["malformed_account"] == 1
    finally:
        await chain.close()


async def test_a_flood_of_unparseable_messages_is_logged_once_per_interval(
        proxy: HostileProxy, caplog: pytest.LogCaptureFixture) -> None:
    proxy.set_faults([Fault("garbage_ws", methods=("slotNotification",), count=1, copies=3000)])
    chain = _chain(proxy)
    slots: list[int] = []
    caplog.set_level(logging.WARNING, logger="perpkeep.chain")
    try:
        chain.on_slot(slots.append)
        await wait_until(lambda: chain.ws_refused.get("unparseable message", 0) == 3000 and len(slots) >= 5, 10,
                         poll_s=0.02)
        lines = [r for r in caplog.records if "unparseable message" in r.getMessage()]
        assert len(lines) == 1, [r.getMessage() for r in lines]  # 3000 messages, one line (interval 10 s)
        assert chain.reconnects == 0  # garbage is dropped, not taken for a broken connection
    finally:
        await chain.close()


async def test_a_flood_of_repeated_notifications_is_delivered_once(proxy: HostileProxy) -> None:
    proxy.set_faults([Fault("flood", methods=("slotNotification",), count=2, copies=10_000)])
    chain = _chain(proxy)
    slots: list[int] = []
    try:
        chain.on_slot(slots.append)
        await wait_until(lambda: proxy.stats.get("flood", 0) == 2 and len(slots) >= 5, 10, poll_s=0.02)
        assert slots == sorted(set(slots))  # 20,000 copies, each slot once
        assert chain.reconnects == 0
    finally:
        await chain.close()


# -- (3) unacknowledged and refused subscriptions; "not silent" means notifications ------------------------
@pytest.mark.parametrize("kind", ["ignore_subscribe", "reject_subscribe"])
async def test_an_unacknowledged_or_refused_subscription_is_sent_again(proxy: HostileProxy, kind: str) -> None:
    proxy.set_faults([Fault(kind, methods=("slotSubscribe",), count=2)])  # the first two requests get nowhere
    chain = _chain(proxy, request_timeout_s=0.5)  # the reply deadline of a subscribe request
    slots: list[int] = []
    try:
        started = time.monotonic()
        chain.on_slot(slots.append)
        await wait_until(lambda: len(slots) >= 3, 6, poll_s=0.02)
        assert proxy.stats[kind] == 2 and chain._ws.resubscribes == 2  # noqa: SLF001
        assert time.monotonic() - started < 4.0  # retried within deadlines and backoffs, not after silence_s
        assert chain.reconnects == 0
    finally:
        await chain.close()


async def test_a_connection_that_answers_but_does_not_notify_is_reconnected(proxy: HostileProxy) -> None:
    # The slot subscription is acknowledged, but each of its notifications is replaced by garbage (60 slots,
    # 3 s): before, any message counted as life and the keeper stayed deaf all along.
    proxy.set_faults([Fault("garbage_ws", methods=("slotNotification",), copies=1, forward=False, count=60)])
    chain = _chain(proxy, silence_s=1.0)
    slots: list[int] = []
    try:
        chain.on_slot(slots.append)
        await wait_until(lambda: chain.reconnects >= 1, 5, poll_s=0.05)
        assert slots == []
        await wait_until(lambda: len(slots) >= 3, 10, poll_s=0.05)  # after the dropped ones, a working connection
    finally:
        await chain.close()


# -- (4) a slot far ahead ---------------------------------------------------------------------------------
async def test_a_slot_far_ahead_is_not_believed_and_does_not_freeze_the_slot_stream(
        proxy: HostileProxy, node: LocalNode) -> None:
    chain = _chain(proxy)
    slots: list[int] = []
    try:
        anchor = await chain.get_slot()
        proxy.set_faults([Fault("slot_ahead", methods=("slotNotification",), count=1),
                          Fault("slot_ahead", methods=("getAccountInfo",), count=1)])
        chain.on_slot(slots.append)
        await wait_until(lambda: proxy.stats.get("slot_ahead", 0) >= 1 and len(slots) >= 5, 10, poll_s=0.02)
        assert max(slots) < anchor + 1000 and slots == sorted(set(slots))
        assert chain.ws_refused["implausible slot"] == 1
        with pytest.raises(BadResponse, match="implausible"):
            await chain.get_account(node.deployment.exchange)
        assert chain.implausible_slots == 1
        assert (await chain.get_account(node.deployment.exchange)).slot < anchor + 1000
    finally:
        await chain.close()


# -- (2) one lost Market update --------------------------------------------------------------------------
# What the keeper counts each corruption of a Market notification as (the ws layer drops an older slot
# before the cache sees it).
CORRUPTIONS = {"wrong_discriminator": "unknown discriminator", "foreign_owner": "foreign owner",
               "truncated": "malformed data", "older_slot": "older slot"}


async def _publish_prices(world: KeeperWorld, stop: asyncio.Event) -> None:
    """Move the oracles every 0.1 s (the scenario's publishers, without its traders: nothing but the crank
    changes a market, so a lost market update is not made good by the next trade)."""
    ledger = world.node.node.chain
    while not stop.is_set():
        world.on_node(lambda: [p.tick(ledger.slot) for p in world.scenario.publishers])
        try:
            await asyncio.wait_for(stop.wait(), 0.1)
        except TimeoutError:
            pass


async def test_a_rejected_market_update_is_read_again_over_http_and_the_crank_goes_on(
        perp_program: bytes, mock_oracle_program: bytes, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    world = KeeperWorld.start(perp_program, mock_oracle_program, tmp_path, SETTINGS)
    proxy = await HostileProxy(world.node.rpc_url, world.node.ws_url, seed=2).start()
    running = None
    stop = asyncio.Event()
    publisher = asyncio.create_task(_publish_prices(world, stop))
    caplog.set_level(logging.WARNING)
    try:
        config = world.config(cluster={"rpc_url": proxy.http_url, "ws_url": proxy.ws_url},
                              bots={"mark_price": {"deviation_bps": 10, "heartbeat_s": 60.0}})
        running = await RunningKeeper(world, config, bots=("mark_price",)).start()
        keeper = running.keeper
        market = world.node.deployment.markets[0].address
        for kind, reason in CORRUPTIONS.items():
            landed = running.landed("update_prices")
            proxy.set_faults([Fault(kind, methods=("programNotification",), accounts=(str(market),), count=1)])
            await wait_until(lambda: proxy.stats.get(kind, 0) == 1, 20)
            on_chain = world.on_node(lambda: world.node.node.chain.get_account(market))
            corrupted = Market.decode(bytes(on_chain.data)).last_price_update_slot

            def refused() -> int:
                return keeper.refused.counts.get(reason, 0) + running.chain.ws_refused.get(reason, 0)

            await wait_until(lambda: refused() >= 1, 5)
            # The cache holds that state (or a newer one) although no other notification comes, and the crank
            # goes on: two more land (before, the crank's key, built from the stale market, had landed
            # already: nothing was sent, so no notification came either).
            await wait_until(lambda: keeper.cache.markets[0].last_price_update_slot >= corrupted, 3, poll_s=0.02)
            await wait_until(lambda: running.landed("update_prices") >= landed + 2, 10)
        assert keeper.stats.refetched_accounts >= 3  # the three the cache refused were read again
        keeper.export_chain_counters()
        metrics = keeper.metrics.render().decode()
        for reason in CORRUPTIONS.values():
            assert f'perpkeep_rejected_updates_total{{reason="{reason}"}}' in metrics, reason
        assert any("account updates refused" in r.getMessage() for r in caplog.records)
    finally:
        stop.set()
        await publisher
        if running is not None:
            await running.stop()
        await proxy.stop()
        world.stop()


# -- /health sees a keeper that gets nowhere ----------------------------------------------------------------
async def test_health_answers_503_with_reasons_when_the_keeper_makes_no_progress(
        perp_program: bytes, mock_oracle_program: bytes, tmp_path: Path) -> None:
    world = KeeperWorld.start(perp_program, mock_oracle_program, tmp_path, SETTINGS)
    proxy = await HostileProxy(world.node.rpc_url, world.node.ws_url, seed=3).start()
    running = None
    try:
        config = world.config(cluster={"rpc_url": proxy.http_url, "ws_url": proxy.ws_url},
                              health={"price_age_heartbeats": 1.0, "funding_lag_periods": 1.0,
                                      "liquidatable_untouched_slots": 20, "subscription_silence_slots": 40})
        running = await RunningKeeper(world, config, bots=("mark_price", "funding", "liquidator")).start()
        keeper = running.keeper
        assert keeper.server is not None
        url = f"http://127.0.0.1:{keeper.server.port}/health"
        status, body = await asyncio.to_thread(http_get, url)
        assert status == 200, body
        # Transactions vanish (held unanswered), slot notifications never come: every bot still ticks.
        proxy.set_faults([Fault("timeout", methods=("sendTransaction",), hold_s=30.0),
                          Fault("drop_notification", methods=("slotNotification",))])
        world.begin_trading()
        # (No crank lands, so the chain's marks never show the crash: the liquidator values users at the mark
        # the next crank would set, from the oracles.)
        await wait_until(lambda: world.scenario.crashed, 30, poll_s=0.25)
        wanted = {"prices_stale", "funding_behind", "liquidations_stalled", "subscriptions_silent"}
        seen: list[set[str]] = []

        def all_wanted() -> bool:
            seen.append(set(keeper.health.problems))
            return wanted <= seen[-1]

        try:
            await wait_until(all_wanted, 30, poll_s=0.1)
        except AssertionError:
            raise AssertionError(f"problems seen: {[sorted(x) for x in seen[::20]]}") from None
        status, body = await asyncio.to_thread(http_get, url)
        report = json.loads(body)
        assert status == 503 and report["ok"] is False and wanted <= set(report["problems"]), report
        assert all(b["stale"] is False for b in report["bots"].values())  # the watchdogs alone saw nothing
        assert "market 0" in report["problems"]["prices_stale"]
        assert "slot subscription" in report["problems"]["subscriptions_silent"]
        # The endpoint heals: progress resumes and /health turns green again.
        proxy.set_faults([])
        await wait_until(lambda: not wanted & set(keeper.health.problems), 60, poll_s=0.25)
    finally:
        if running is not None:
            await running.stop()
        await proxy.stop()
        world.stop()
