"""The keeper runtime on the in-process chain with the real program.

- Market selection: the scenario trades both markets and crashes both prices; a keeper listing only
  market 1 must crank, fund, settle and liquidate there and leave market 0 alone, and a listed market
  the chain does not have stops it at start with the key named.
- A fee payer below ``keeper.min_balance_sol`` fails /health.
- The settler closes every position of a market put in Settlement, within its in-flight budget.
- Scheduling: the liquidator ticks first on an oracle update; a burst of user changes reads the
  insurance vault once; a user that falls below maintenance on its own is found without a full scan;
  the Clock is polled only on a chain whose slot notifications can stop, while they are quiet.
- Stale orders: the liquidator cancels the resting bid of a user with no position once a price fall
  would leave it below zero if filled.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from solders.account import Account
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer

from keepers.exchange import instructions as ix
from keepers.bots.base import Bot, KeeperContext
from keepers.chain.base import ChainError
from keepers.chain.inprocess import InProcessChain
from keepers.clock import VirtualClock
from keepers.config import ConfigError, MarketConfig
from keepers.exchange.pdas import insurance_vault_pda
from keepers.execution.journal import Journal
from keepers.execution.pipeline import STALE_HOLD_S, Action, TxPipeline
from keepers.observability.metrics import Health
from keepers.runtime import SYSVAR_CLOCK, Keeper
from localnet.build import build_program
from programs_client.perp.accounts import Market, Orderbook, User
from programs_client.perp.types import order_type, side
from sim.scenario import LedgerWorld, ScenarioSettings, build_ledger_world, users_of
from sim.traders import to_lots, to_ticks
from tests.unit.keepers.support import in_process_config

SETTINGS = ScenarioSettings(users=12, crash_at=20, crash_drop=0.14, seconds_per_slot=60, funding_period_s=600,
                            takers_per_slot=2)
SLOTS = 90


@pytest.fixture
def world(perp_program: bytes) -> LedgerWorld:
    return build_ledger_world(SETTINGS, perp_program, Path(build_program("mock_oracle")).read_bytes())


def _market(world: LedgerWorld, index: int) -> Market:
    return Market.decode(bytes(world.ledger.get_account(world.dep.markets[index].address).data))


def _keeper(world: LedgerWorld, tmp_path: Path, *markets: MarketConfig, min_balance_sol: float = 0.05,
            bots: tuple[str, ...] | None = None) -> tuple[Keeper, InProcessChain]:
    config = in_process_config(tmp_path)
    config = dataclasses.replace(config, markets=markets, keeper=dataclasses.replace(config.keeper, min_balance_sol=min_balance_sol))
    chain = InProcessChain(world.ledger)
    return Keeper(config, chain, world.dep.wallets["keeper"], bots=bots, serve_http=False), chain


async def test_a_keeper_listing_one_market_acts_only_there(world: LedgerWorld, tmp_path: Path) -> None:
    before = {i: _market(world, i).last_funding_ts for i in (0, 1)}
    keeper, chain = _keeper(world, tmp_path, MarketConfig(index=1))
    await keeper.start()
    try:
        for _ in range(SLOTS):
            world.scenario.step(world.ledger.advance_slot())
            await asyncio.sleep(0.02)
        for _ in range(100):  # let what the last slots started finish (bounded)
            if not keeper.pipeline.in_flight:
                break
            world.ledger.advance_slot()
            await asyncio.sleep(0.02)
        rows = keeper.journal.recent(100_000)
    finally:
        await keeper.stop()
        await chain.close()

    markets = {e.detail["market"] for e in rows if "market" in e.detail}
    assert markets == {1}, markets
    landed = {e.kind for e in rows if e.status == "landed"}
    assert {"update_prices", "update_funding", "liquidate_perp", "consume_events"} <= landed, landed
    # Market 1 was funded period after period; nobody funded market 0.
    assert _market(world, 1).last_funding_ts > before[1]
    assert _market(world, 0).last_funding_ts == before[0]


_WRONG = Pubkey.new_unique()


@pytest.mark.parametrize("markets, error", [
    ((MarketConfig(index=1), MarketConfig(index=7)), r"markets\[1\]\.index: market 7 is not on chain \(markets there: 0, 1\)"),
    ((MarketConfig(index=0, address=_WRONG),), rf"markets\[0\]\.address: {_WRONG} is not market 0"),
], ids=["missing-market", "wrong-address"])
async def test_a_listed_market_the_chain_does_not_have_stops_the_keeper_at_start(
        world: LedgerWorld, tmp_path: Path, markets: tuple[MarketConfig, ...], error: str) -> None:
    keeper, chain = _keeper(world, tmp_path, *markets)
    try:
        with pytest.raises(ConfigError, match=error):
            await keeper.start()
    finally:
        await keeper.stop()
        await chain.close()


async def test_a_fee_payer_below_the_minimum_balance_fails_health(world: LedgerWorld, tmp_path: Path) -> None:
    balance = world.ledger.get_account(world.dep.wallets["keeper"].pubkey()).lamports
    keeper, chain = _keeper(world, tmp_path, min_balance_sol=balance / 1e9 + 1)  # one SOL more than it holds
    await keeper.start()
    try:
        for _ in range(100):  # bounded: housekeeping reads the balance at once
            if keeper.health.problems:
                break
            await asyncio.sleep(0.01)
        assert list(keeper.health.problems) == ["sol_balance"]
        assert not keeper.health.report()[0]
        text = keeper.metrics.render().decode()
        assert 'perpkeep_alerts_total{bot="keeper",reason="sol balance low"} 1.0' in text
        keeper.check_balance(int((balance / 1e9 + 2) * 1e9))  # topped up
        assert keeper.health.problems == {} and keeper.health.report()[0]
    finally:
        await keeper.stop()
        await chain.close()


async def test_the_settler_closes_every_position_of_a_settled_market(world: LedgerWorld, tmp_path: Path) -> None:
    for _ in range(12):  # the maker quotes, then takers open positions in both markets (no keeper yet)
        world.scenario.step(world.ledger.advance_slot())
    holders = {u.authority for u in users_of(world.ledger, world.dep.program_id)
               if any(p.market_index == 1 and p.base_amount for p in u.positions)}
    assert len(holders) >= 3
    admin = world.dep.wallets["admin"]
    price = _market(world, 1).mark_price
    assert world.ledger.send([ix.settle_market(admin.pubkey(), 1, price, world.dep.program_id)], [admin], admin).ok

    keeper, chain = _keeper(world, tmp_path, bots=("settler",))
    # Thresholds no PnL or funding reaches: the positions close because the market settled.
    never = 2**63 - 1
    settler = keeper.bots["settler"]
    settler.config = dataclasses.replace(settler.config, funding_threshold_quote=never, pnl_threshold_quote=never)
    await keeper.start()
    try:
        def open_in_settled() -> int:
            return sum(1 for u in users_of(world.ledger, world.dep.program_id)
                       for p in u.positions if p.market_index == 1 and (p.base_amount or p.open_orders))
        for _ in range(200):  # bounded: 4 s
            if open_in_settled() == 0 and not keeper.pipeline.in_flight:
                break
            world.ledger.advance_slot()
            await asyncio.sleep(0.02)
        assert open_in_settled() == 0
        landed = [e for e in keeper.journal.recent(10_000) if e.kind == "settle_expired_position" and e.status == "landed"]
        assert len(landed) >= len(holders)  # the maker's position too
    finally:
        await keeper.stop()
        await chain.close()


async def test_on_an_oracle_update_the_liquidator_ticks_before_the_other_bots(world: LedgerWorld, tmp_path: Path) -> None:
    keeper, chain = _keeper(world, tmp_path)  # every bot; the configured order puts mark_price first
    assert list(keeper.bots)[0] == "mark_price"
    await keeper.start()
    order: list[str] = []
    try:
        await asyncio.sleep(0.05)  # the first ticks at start are done
        for bot in keeper.bots.values():
            tick = bot.tick

            async def recorded(bot=bot, tick=tick) -> None:  # noqa: ANN001 - instrumentation only
                order.append(bot.name)
                await tick()
            bot.tick = recorded  # type: ignore[method-assign]
        slot = world.ledger.advance_slot()
        for pub in world.scenario.publishers:
            pub.tick(slot)
        for _ in range(100):  # bounded: 1 s
            if {"liquidator", "mark_price"} <= set(order):
                break
            await asyncio.sleep(0.01)
        assert order.index("liquidator") < order.index("mark_price"), order
    finally:
        await keeper.stop()
        await chain.close()


async def test_the_settler_keeps_within_its_in_flight_budget(world: LedgerWorld, tmp_path: Path) -> None:
    for _ in range(12):  # takers open positions against the maker: fills to consume, PnL to settle
        world.scenario.step(world.ledger.advance_slot())
    keeper, chain = _keeper(world, tmp_path, bots=("settler",))
    settler = keeper.bots["settler"]
    settler.config = dataclasses.replace(settler.config, max_in_flight=2, pnl_threshold_quote=0, funding_threshold_quote=0)
    await keeper.start()
    try:
        # Bounded: 1,000 rounds of 10 ms. The bound is checked where the bot enforces it (its high-water
        # mark at each submission), not by sampling in_flight from here, which can miss every peak.
        for i in range(1000):
            landed = keeper.pipeline.outcomes.get(("settle_pnl", "landed"), 0)
            if landed >= 6:
                break
            if i % 5 == 0:
                world.ledger.advance_slot()
            await asyncio.sleep(0.01)
        assert landed >= 6 and settler.peak_in_flight == 2, (landed, settler.peak_in_flight)
    finally:
        await keeper.stop()
        await chain.close()


async def test_a_burst_of_user_changes_reads_the_insurance_vault_once_an_interval(world: LedgerWorld, tmp_path: Path) -> None:
    vault_reads: list[float] = []
    vault = insurance_vault_pda(world.dep.program_id)

    class CountingChain(InProcessChain):
        async def get_account(self, pubkey):  # noqa: ANN001, ANN202 - counts the vault reads
            if pubkey == vault:
                vault_reads.append(asyncio.get_running_loop().time())
            return await super().get_account(pubkey)

    config = in_process_config(tmp_path)
    chain = CountingChain(world.ledger)
    keeper = Keeper(config, chain, world.dep.wallets["keeper"], bots=("insurance",), serve_http=False)
    await keeper.start()
    try:
        for _ in range(40):  # takers trade: user accounts change every slot, each change wakes the bot
            world.scenario.step(world.ledger.advance_slot())
            await asyncio.sleep(0.02)
        insurance = keeper.bots["insurance"]
        assert insurance.ticks > 10  # it was woken again and again...
        assert len(vault_reads) == 1, vault_reads  # ...and read the vault once (its interval is 10 s)
        assert insurance.fund_balance is not None and insurance.fund_balance > 0
    finally:
        await keeper.stop()
        await chain.close()


def test_every_allows_work_once_a_period() -> None:
    clock = VirtualClock()
    bot = Bot(None, None, 1.0, clock)  # type: ignore[arg-type] - scheduling needs no context
    assert bot.every("scan", 5.0)
    assert not bot.every("scan", 5.0)
    assert bot.every("read", 5.0)  # each kind of work has its own period
    clock.advance(4.9)
    assert not bot.every("scan", 5.0)
    clock.advance(0.1)
    assert bot.every("scan", 5.0)
    assert bot.every("scan", 0.0)


@contextlib.asynccontextmanager
async def running(bot: Bot) -> AsyncIterator[None]:
    """``bot.run`` in the background for the duration of the block, then stopped."""
    stop = asyncio.Event()
    task = asyncio.create_task(bot.run(stop))
    try:
        yield
    finally:
        stop.set()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def test_a_bot_sleeps_until_a_change_its_deferred_work_or_its_chain_time_deadline() -> None:
    clock = VirtualClock()
    # Scheduling reads only the watchdog and the chain's clock of the context.
    ctx = KeeperContext(None, None, None, None, None, None, Health(clock))  # type: ignore[arg-type]
    ticked: list[float] = []

    class Screening(Bot):
        name = "screening"
        wakes_on = frozenset({"user"})

        async def tick(self) -> None:
            ticked.append(clock.monotonic())
            self.every("screen", 5.0, defer=True)  # at most once per 5 s, postponed rather than dropped
            self.due_ts = 1_000  # chain time of its next work

    bot = Screening(ctx, None, 1.0, clock)
    ctx.health.register(bot.name, 30.0)

    async def drive() -> None:
        async with running(bot):
            await clock.sleep(1.0)
            bot.wake("user")  # ticks now; the screen it cannot run yet is due at 5 s
            await clock.sleep(99.0)
            bot.wake("oracle")  # not a change it follows
            ctx.clock.unix_timestamp = 999
            bot.wake("clock")  # chain time moved, short of its deadline
            await clock.sleep(100.0)
            ctx.clock.unix_timestamp = 1_000
            bot.wake("clock")  # reached it
            await clock.sleep(3400.0)

    clock.run(drive())
    assert ticked == [0.0, 1.0, 5.0, 200.0]
    assert ctx.health.report()[0]  # an hour mostly asleep is not stale


def test_a_failed_tick_is_retried_after_the_interval_even_if_nothing_changes() -> None:
    """Bots tick only on changes and deadlines, so a tick that failed (the endpoint was down) must ask
    for its own retry: on a quiet chain no change would ever come."""
    clock = VirtualClock()
    ctx = KeeperContext(None, None, None, None, None, None, Health(clock))  # type: ignore[arg-type]
    ticked: list[float] = []

    class Flaky(Bot):
        name = "flaky"

        async def tick(self) -> None:
            ticked.append(clock.monotonic())
            if len(ticked) <= 2:
                raise ChainError("endpoint down")

    bot = Flaky(ctx, None, 3.0, clock)
    ctx.health.register(bot.name, 30.0)

    async def drive() -> None:
        async with running(bot):
            await clock.sleep(100.0)

    clock.run(drive())
    assert ticked == [0.0, 3.0, 6.0] and bot.errors == 2  # then it succeeded and slept: nothing changed


def test_a_bot_refused_by_a_stale_hold_looks_again_when_the_hold_lapses(world: LedgerWorld) -> None:
    """A landed action holds its lock until the cache sees the landing, at most STALE_HOLD_S. When the
    cache never catches up, nothing changes to wake the bot: it asks for a tick when the hold lapses."""
    clock = VirtualClock()
    seen: dict[Pubkey, int] = {}
    payer = world.dep.wallets["keeper"]
    target = world.dep.wallets["admin"].pubkey()

    def action(key: str) -> Action:
        return Action("test", "transfer", key, target,
                      (transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=target, lamports=1_000 + len(key))),))

    ticked: list[tuple[float, bool]] = []

    class Sender(Bot):
        name = "sender"

        async def tick(self) -> None:
            if not any(ok for _, ok in ticked):
                ticked.append((clock.monotonic(), self.submit(action("again"))))

    async def drive() -> None:
        chain = InProcessChain(world.ledger)
        pipeline = TxPipeline(chain, payer, Journal(":memory:", clock=clock), commitment="processed", poll_s=0.01,
                              clock=clock, state_slot=seen.get)
        first = await pipeline.submit(action("first"))
        assert first.landed and first.slot is not None
        seen[target] = first.slot - 1  # the cache still has the target from before the landing
        ctx = KeeperContext(chain, None, pipeline, payer, world.dep.program_id, None, Health(clock))  # type: ignore[arg-type]
        bot = Sender(ctx, None, 1.0, clock)
        ctx.health.register(bot.name, 30.0)
        started = clock.monotonic()
        async with running(bot):
            await clock.sleep(STALE_HOLD_S + 5.0)
        await bot.drain(5.0)
        await pipeline.close()
        await chain.close()
        ticked[:] = [(round(at - started, 3), ok) for at, ok in ticked]

    clock.run(drive())
    assert ticked == [(0.0, False), (STALE_HOLD_S, True)]


async def test_a_user_that_falls_below_maintenance_alone_is_found_without_a_full_scan(world: LedgerWorld,
                                                                                       tmp_path: Path) -> None:
    for _ in range(12):  # takers open positions; nobody is liquidatable yet
        world.scenario.step(world.ledger.advance_slot())
    keeper, chain = _keeper(world, tmp_path, bots=("liquidator",))
    liquidator = keeper.bots["liquidator"]
    await keeper.start()
    try:
        for _ in range(100):  # bounded: the first tick scans everyone
            if liquidator.ticks:
                break
            await asyncio.sleep(0.01)
        full_scans = liquidator.full_scans
        # One taker's collateral vanishes (written straight into its account, at the same slot and prices).
        victim = next(u for u in users_of(world.ledger, world.dep.program_id) if u.collateral
                      and any(p.base_amount for p in u.positions) and u.authority != world.dep.wallets["maker-0"].pubkey())
        address = next(a for a, acc in world.ledger.program_accounts(world.dep.program_id)
                       if bytes(acc.data)[:8] == User.discriminator and User.decode(bytes(acc.data)).authority == victim.authority)
        raw = world.ledger.get_account(address)
        offset = 8 + sum(sc.sizeof() for sc in User.layout.subcons[:[sc.name for sc in User.layout.subcons].index("collateral")])
        data = bytearray(raw.data)
        data[offset:offset + 8] = (0).to_bytes(8, "little")
        world.ledger.set_account(address, Account(raw.lamports, bytes(data), raw.owner, False, raw.rent_epoch))
        assert User.decode(bytes(data)).collateral == 0
        for _ in range(100):  # bounded: 1 s, less than the liquidator's 1 s full-scan interval
            if keeper.pipeline.outcomes.get(("liquidate_perp", "landed"), 0):
                break
            await asyncio.sleep(0.01)
        assert keeper.pipeline.outcomes.get(("liquidate_perp", "landed"), 0) >= 1
        assert liquidator.full_scans == full_scans  # found by scanning the changed user alone
    finally:
        await keeper.stop()
        await chain.close()


@pytest.mark.parametrize("lossy", [False, True], ids=["in-process slots", "slot notifications lost"])
def test_the_clock_is_polled_only_while_slot_notifications_that_can_stop_are_quiet(world: LedgerWorld, tmp_path: Path,
                                                                                   lossy: bool) -> None:
    clock_reads = 0

    class CountingChain(InProcessChain):
        slots_can_stop = lossy  # lossy: as RpcChain, whose websocket can drop

        def on_slot(self, callback):  # noqa: ANN001, ANN202 - lossy: no notification ever arrives
            return super().on_slot((lambda slot: None) if lossy else callback)

        async def get_account(self, pubkey):  # noqa: ANN001, ANN202 - counts the Clock sysvar reads
            nonlocal clock_reads
            clock_reads += pubkey == SYSVAR_CLOCK
            return await super().get_account(pubkey)

    clock = VirtualClock()
    chain = CountingChain(world.ledger)
    keeper = Keeper(in_process_config(tmp_path), chain, world.dep.wallets["keeper"], bots=("funding",),
                    journal=Journal(":memory:", clock=clock), serve_http=False, clock=clock)
    slots, gap_s = 10, 30.0

    async def run() -> list[int]:
        await keeper.start()
        behind = []  # slots the keeper's clock lagged the ledger, 2 s after each new slot
        try:
            for _ in range(slots):
                await clock.sleep(gap_s)
                world.ledger.advance_slot()
                await clock.sleep(2.0)
                behind.append(world.ledger.slot - keeper.ctx.clock.slot)
        finally:
            await keeper.stop()
            await chain.close()
        return behind

    assert clock.run(run()) == [0] * slots  # the keeper's clock follows the chain either way
    if lossy:  # polled about once a second without notifications
        assert slots * gap_s * 0.8 <= clock_reads <= slots * (gap_s + 2) * 1.1, clock_reads
    else:  # read once at start and once per slot: never polled
        assert clock_reads == 1 + slots, clock_reads


async def test_the_liquidator_cancels_the_stale_orders_of_an_account_with_only_orders(world: LedgerWorld,
                                                                                      tmp_path: Path) -> None:
    """A user with no position rests a 9x bid just below the mark; its keeper is gone and the price falls 15%.
    Filled now, the bid would leave it below zero (liquidate_perp used to refuse it: no position). The
    liquidator cranks the price and cancels the bid with liquidate_perp (no base), and nothing else moves."""
    for _ in range(2):  # the maker quotes; no taker has opened yet
        world.scenario.step(world.ledger.advance_slot())
    dep, ledger = world.dep, world.ledger
    taker = world.scenario.takers[-1]
    m0 = _market(world, 0)
    user0 = User.decode(bytes(ledger.get_account(taker.address).data))
    assert not any(p.base_amount or p.open_bids for p in user0.positions)
    mark = m0.mark_price / 1e6
    price = to_ticks(mark * 0.97, m0.params)
    base = to_lots(9 * user0.collateral / price, m0.params)
    order = ix.order_args(side.Bid(), price, base, order_type.Limit())
    out = ledger.send([ix.place_order(taker.keypair.pubkey(), taker.address, 0, order, [], dep.program_id)], [taker.keypair],
                      taker.keypair)
    assert out.ok, out
    authority = dep.oracle_authority
    assert ledger.send(dep.markets[0].oracles.write_ixs(authority.pubkey(), mark * 0.85), [authority], authority).ok

    def bid_left() -> bool:
        book = Orderbook.decode(bytes(ledger.get_account(m0.orderbook).data))
        return any(o.owner == taker.address for o in book.bids[: book.bid_count])

    assert bid_left()
    keeper, chain = _keeper(world, tmp_path, bots=("liquidator",))
    await keeper.start()
    try:
        for _ in range(300):  # bounded: 3 s
            if keeper.pipeline.outcomes.get(("cancel_stale_orders", "landed"), 0):
                break
            await asyncio.sleep(0.01)
        assert keeper.pipeline.outcomes.get(("cancel_stale_orders", "landed"), 0) == 1
        assert not bid_left()
        user1 = User.decode(bytes(ledger.get_account(taker.address).data))
        assert user1.collateral == user0.collateral
        assert not any(p.base_amount or p.open_bids or p.open_orders for p in user1.positions)
        assert _market(world, 0).mark_price < m0.mark_price  # the cancellation's transaction cranked the price first
    finally:
        await keeper.stop()
        await chain.close()


def test_a_deferred_period_that_float_rounding_leaves_unfinished_still_moves_the_clock() -> None:
    """64.1 - 64.05 is 0.04999999999999716 in floats: the period is not over, and the 3e-15 s left was a
    deadline the virtual clock had already reached, so the bot re-ticked forever without time moving."""
    clock = VirtualClock()
    bot = Bot(None, None, 1.0, clock)  # type: ignore[arg-type] - scheduling needs no context
    clock.advance(64.05)
    assert bot.every("screen", 0.05, defer=True)
    clock.advance(0.05)
    assert not bot.every("screen", 0.05, defer=True)
    assert bot._tick_at is not None and bot._tick_at > clock.monotonic()  # was equal: a wait of 0 s


def test_any_retick_with_a_float_remainder_still_moves_the_clock() -> None:
    """The liquidator asks for its next derisk slice ``DERISK_MIN_INTERVAL_S - waited`` from now; when that
    came out at ~1e-17 s (64.05 + 1e-17 == 64.05 in floats), the simulator spun at one virtual instant."""
    clock = VirtualClock()
    bot = Bot(None, None, 1.0, clock)  # type: ignore[arg-type] - scheduling needs no context
    clock.advance(64.05)
    bot.tick_within(1e-17)
    assert bot._tick_at is not None and bot._tick_at > clock.monotonic()
    bot._tick_at = None
    bot.tick_within(0.0)  # "now" too moves time
    assert bot._tick_at > clock.monotonic()
