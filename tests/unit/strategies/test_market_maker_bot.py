"""The market maker on the in-process chain with the real program (LiteSVM).

- Quotes land on the market's tick and lot grid, post-only with an expiry slot, 3 per side; each requote
  is one transaction (cancel_all_orders then the places), and a requote happens only when the price moved.
- Every kill switch fires and cancels every quote: stale oracle, wide confidence, a volatility spike,
  a silent chain, a low SOL balance, the margin floor, the drawdown stop.
- Inventory: a maker driven to its limit by takers stops bidding; one started past its limit unwinds
  with reduce-only children (TWAP, VWAP, shortfall) down to it.
- Margin: the quotes never ask more of the account than the configured share of its free collateral.
- Restart: orders left by a crashed maker are cancelled by the next one, which repeats no action of the
  journal; shutdown cancels every quote.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from keepers.chain.inprocess import InProcessChain
from keepers.exchange import instructions as ix
from keepers.exchange.pdas import user_pda
from keepers.execution.journal import Journal
from keepers.runtime import Keeper
from keepers.strategies.market_maker.bot import MarketMakerBot
from localnet.build import build_program
from programs_client.perp.accounts import EventQueue, Market, Orderbook, User
from programs_client.perp.constants import BASE_PRECISION as BASE, PRICE_PRECISION
from programs_client.perp.types import order_type, side
from sim.scenario import LedgerWorld, ScenarioSettings, build_ledger_world
from tests.unit.keepers.support import in_process_config

MID = 150.0
MAKER = {"markets": [0], "base_size": 0.1, "max_order_base": 1.0, "levels": 3, "max_inventory_base": 1.0,
         "max_inventory_quote": 1000.0, "lost_connection_s": 30.0, "min_sol": 0.001, "balance_check_s": 0.2,
         "expiry_slots": 60, "max_oracle_age_slots": 8, "requote_every_s": 60.0, "interval_s": 0.2}
STEP_S = 0.03


@pytest.fixture
def world(perp_program: bytes) -> LedgerWorld:
    return build_ledger_world(ScenarioSettings(users=4, seconds_per_slot=1), perp_program,
                              Path(build_program("mock_oracle")).read_bytes())


def publish(world: LedgerWorld, price: float, conf_bps: float = 5.0, index: int = 0) -> None:
    pub = world.scenario.publishers[index]
    authority = pub.oracle.authority
    out = pub.oracle.send([f.write_ix(authority.pubkey(), price, price * conf_bps / 10_000) for f in pub.feeds], [authority])
    assert out.ok, out


def keeper_of(world: LedgerWorld, tmp_path: Path, journal: Journal | None = None, bots: tuple[str, ...] = ("market_maker",),
              **maker: Any) -> tuple[Keeper, InProcessChain]:
    config = in_process_config(tmp_path, bots={"market_maker": dict(MAKER, **maker)})
    chain = InProcessChain(world.ledger)
    return Keeper(config, chain, world.dep.wallets["keeper"], bots=bots, serve_http=False, journal=journal), chain


def maker_address(world: LedgerWorld) -> Any:
    return user_pda(world.dep.wallets["keeper"].pubkey(), 0, world.dep.program_id)


def market(world: LedgerWorld, index: int = 0) -> Market:
    return Market.decode(bytes(world.ledger.get_account(world.dep.markets[index].address).data))


def book(world: LedgerWorld, index: int = 0) -> Orderbook:
    return Orderbook.decode(bytes(world.ledger.get_account(market(world, index).orderbook).data))


def ours(world: LedgerWorld) -> tuple[list[Any], list[Any]]:
    """Our resting (bids, asks) in market 0, best first."""
    b, me = book(world), maker_address(world)
    return ([o for o in reversed(b.bids[:b.bid_count]) if o.owner == me],
            [o for o in reversed(b.asks[:b.ask_count]) if o.owner == me])


def position(world: LedgerWorld) -> int:
    """Our base in market 0, with our fills still queued."""
    u = User.decode(bytes(world.ledger.get_account(maker_address(world)).data))
    base = next((p.base_amount for p in u.positions if p.market_index == 0 and (p.base_amount or p.open_orders)), 0)
    q = EventQueue.decode(bytes(world.ledger.get_account(market(world).event_queue).data))
    me = maker_address(world)
    for j in range(q.count):
        f = q.fills[(q.head + j) % len(q.fills)]
        if f.kind == 0 and f.maker == me:
            base += f.base_amount if f.maker_side.discriminator == side.Bid.discriminator else -f.base_amount
    return base


async def run_until(world: LedgerWorld, done: Callable[[], bool], slots: int = 60, price: float | None = MID,
                    each: Callable[[int], None] | None = None) -> bool:
    """Advance up to ``slots`` slots (publishing ``price`` each, unless None) until ``done``."""
    for i in range(slots):
        world.ledger.advance_slot()
        if price is not None:
            publish(world, price)
        if each is not None:
            each(i)
        for _ in range(5):
            await asyncio.sleep(STEP_S / 5)
            if done():
                return True
    return done()


def quoting(world: LedgerWorld, per_side: int = 3) -> Callable[[], bool]:
    return lambda: tuple(map(len, ours(world))) == (per_side, per_side)


def bot_of(keeper: Keeper) -> MarketMakerBot:
    bot = keeper.bots["market_maker"]
    assert isinstance(bot, MarketMakerBot)
    return bot


async def test_quotes_land_on_the_grid_and_a_requote_is_one_transaction(world: LedgerWorld, tmp_path: Path) -> None:
    keeper, chain = keeper_of(world, tmp_path)
    await keeper.start()
    try:
        assert await run_until(world, quoting(world))
        p = market(world).params
        bids, asks = ours(world)
        slot = world.ledger.slot
        for o in bids + asks:
            assert o.price % p.tick_size == 0 and o.base_amount % p.lot_size == 0, o
            assert slot < o.expiry_slot <= slot + MAKER["expiry_slots"], o
        assert bids[0].price < MID * PRICE_PRECISION < asks[0].price
        assert [o.base_amount for o in bids] == [100_000_000, 150_000_000, 225_000_000]  # 0.1, x1.5, x1.5
        # the same price: no new requote
        requotes = bot_of(keeper).requotes
        await run_until(world, lambda: False, slots=5)
        assert bot_of(keeper).requotes == requotes
        first = {o.order_id for o in bids + asks}
        # the price moves 1 %: one requote, one transaction that cancels and places
        def landed() -> list[Any]:
            return [e for e in keeper.journal.recent(1000) if e.kind == "mm_requote" and e.status == "landed"]

        assert await run_until(world, lambda: quoting(world)() and not first & {o.order_id for o in sum(ours(world), [])}
                               and len(landed()) == 2, price=MID * 1.01)
        rows = landed()
        tx = _transaction(world, rows[-1].signature)
        program_ixs = [i for i in tx.message.instructions
                       if tx.message.account_keys[i.program_id_index] == world.dep.program_id]
        names = [bytes(i.data[:8]) for i in program_ixs]
        cancel = bytes(ix.cancel_all_orders(maker_address(world), maker_address(world), 0, world.dep.program_id).data[:8])
        place = bytes(ix.place_order(maker_address(world), maker_address(world), 0,
                                     ix.order_args(side.Bid(), 1, 1), [], world.dep.program_id).data[:8])
        assert names == [cancel] + [place] * 6
        # the analytics are exported, and reported as plain figures
        text = keeper.metrics.render().decode()
        assert 'perpkeep_mm_requotes_total{market="0"} 2.0' in text and "perpkeep_mm_pnl_quote" in text
        report = bot_of(keeper).analytics_report()[0]
        assert report["orders_placed"] == 12 and report["fills"] == 0 and 0 < report["quote_uptime"] <= 1
    finally:
        await keeper.stop()
        await chain.close()
    assert ours(world) == ([], [])  # shutdown cancelled every quote


def _transaction(world: LedgerWorld, signature: str) -> VersionedTransaction:
    return world.ledger.records[Signature.from_string(signature)].tx


def cancelled_for(keeper: Keeper, reason: str) -> bool:
    return any(e.kind == "mm_cancel" and e.status == "landed" and reason in e.key for e in keeper.journal.recent(1000))


def pulled(world: LedgerWorld, keeper: Keeper, reason: str) -> Callable[[], bool]:
    return lambda: ours(world) == ([], []) and cancelled_for(keeper, reason)


async def _quiet(world: LedgerWorld, done: Callable[[], bool], seconds: float) -> bool:
    """Wait up to ``seconds`` with no new slot."""
    for _ in range(int(seconds / STEP_S)):
        await asyncio.sleep(STEP_S)
        if done():
            return True
    return done()


@pytest.mark.parametrize("kill", ["oracle_stale", "oracle_uncertain", "volatility_spike", "connection_lost",
                                  "sol_balance_low", "margin_floor", "drawdown"])
async def test_every_kill_switch_cancels_every_quote(world: LedgerWorld, tmp_path: Path, kill: str) -> None:
    bots = ("market_maker", "mark_price", "settler") if kill == "drawdown" else ("market_maker",)
    keeper, chain = keeper_of(world, tmp_path, bots=bots, lost_connection_s=0.6, max_drawdown_quote=0.05)
    bot = bot_of(keeper)
    await keeper.start()
    try:
        assert await run_until(world, quoting(world))
        done = pulled(world, keeper, kill)
        if kill == "oracle_stale":
            assert await run_until(world, done, slots=20, price=None)
        elif kill == "oracle_uncertain":
            assert await run_until(world, done, slots=5, price=None, each=lambda _: publish(world, MID, conf_bps=100))
        elif kill == "volatility_spike":
            publish(world, MID * 1.03)  # 3 % in one slot, past max_return_bps (200)
            assert await run_until(world, done, slots=5, price=None)
        elif kill == "connection_lost":
            assert await _quiet(world, done, 5.0)  # no slot for longer than lost_connection_s
        elif kill in ("sol_balance_low", "margin_floor"):
            limit = "min_sol_lamports" if kill == "sol_balance_low" else "min_free_collateral"
            bot.limits = dataclasses.replace(bot.limits, **{limit: 10**18})
            assert await run_until(world, done, slots=10)
        else:  # a taker sells into our bid, then the price falls 1 %: the loss passes max_drawdown_quote (0.05)
            taker = world.scenario.takers[0]
            out = taker.open(world.ledger.send, 0, market(world).params, False, 0.1, MID)
            assert out.ok, out
            assert await run_until(world, done, slots=30, price=MID * 0.99)
            assert bot.stopped
            # the stop holds: the price comes back, no quote
            assert not await run_until(world, lambda: ours(world) != ([], []), slots=5)
        assert kill in {str(k) for k in bot.kills[0]}
    finally:
        await keeper.stop()
        await chain.close()


async def test_takers_drive_the_maker_to_its_inventory_limit_and_no_further(world: LedgerWorld, tmp_path: Path) -> None:
    cap = 300_000_000  # 0.3 base: the ladder 0.1 + 0.15 + 0.225 is cut to 0.1 + 0.15 + 0.05
    keeper, chain = keeper_of(world, tmp_path, bots=("market_maker", "settler"), max_inventory_base=0.3)
    await keeper.start()
    seen: list[int] = []
    params = market(world).params

    def sell(i: int) -> None:
        seen.append(position(world))
        if i % 3 == 0:
            world.scenario.takers[(i // 3) % 4].open(world.ledger.send, 0, params, False, 0.12, MID)

    try:
        assert await run_until(world, quoting(world))
        bids, _ = ours(world)
        assert sum(o.base_amount for o in bids) == cap
        assert await run_until(world, lambda: position(world) == cap, slots=60, each=sell)
        assert await run_until(world, lambda: not ours(world)[0] and len(ours(world)[1]) == 3, slots=10, each=sell)
        assert max(seen + [position(world)]) <= cap
    finally:
        await keeper.stop()
        await chain.close()


@pytest.mark.parametrize("algo", ["twap", "vwap", "shortfall"])
async def test_a_position_past_the_limit_is_unwound_by_the_schedule_s_children(world: LedgerWorld, tmp_path: Path,
                                                                              algo: str) -> None:
    # the scenario's scripted maker gives the book depth; the keeper's account buys 0.5 base from it
    scripted = world.scenario.makers[0]
    assert scripted.quote(world.ledger.send, 0, MID).ok
    me = world.dep.wallets["keeper"]
    buy = ix.order_args(side.Bid(), 152_000_000, 500_000_000, order_type.ImmediateOrCancel())
    out = world.ledger.send([ix.place_order(me.pubkey(), maker_address(world), 0, buy, [], world.dep.program_id)], [me], me)
    assert out.ok, out
    assert position(world) == 500_000_000
    keeper, chain = keeper_of(world, tmp_path, bots=("market_maker", "settler"), max_inventory_base=0.3,
                              unwind_slices=2, unwind_interval_slots=2, unwind_algo=algo)

    def requote_scripted(i: int) -> None:
        if i % 5 == 4:
            scripted.quote(world.ledger.send, 0, MID)

    await keeper.start()
    try:
        assert await run_until(world, lambda: position(world) <= 300_000_000, slots=40, each=requote_scripted), (
            position(world), [(e.kind, e.status, e.error, e.detail) for e in keeper.journal.recent(100)])
        await run_until(world, lambda: not keeper.pipeline.in_flight, slots=10)
        rows = [e for e in keeper.journal.recent(1000) if e.kind == "mm_unwind" and e.status == "landed"]
        assert rows and all(e.detail["algo"] == algo for e in rows)
        # 0.2 over the limit: TWAP in 2 children of 0.1, and shortfall too (its risk aversion keeps the
        # Almgren-Chriss trajectory straight); VWAP all at once: the only fill the market shows (our 0.5 buy,
        # still queued) traded in the bucket the schedule starts in, so the profile puts all of it there
        want = [200_000_000] if algo == "vwap" else [100_000_000, 100_000_000]
        assert [e.detail["base"] for e in rows] == want
        assert position(world) == 300_000_000
    finally:
        await keeper.stop()
        await chain.close()


async def test_quotes_never_use_more_than_their_share_of_free_collateral(world: LedgerWorld, tmp_path: Path) -> None:
    keeper, chain = keeper_of(world, tmp_path, margin_usage_bps=1, base_size=1.0, max_order_base=5.0,
                              max_inventory_base=100.0, max_inventory_quote=1e6)
    collateral = User.decode(bytes(world.ledger.get_account(maker_address(world)).data)).collateral
    # no position: equity = collateral; 1 bps of it carries base at 150 * 10 % = 15 quote per base
    room = collateral / 10_000 / (MID * 0.10 * 1e6) * BASE
    await keeper.start()
    try:
        assert await run_until(world, lambda: bool(ours(world)[0]) and bool(ours(world)[1]))
        for orders in ours(world):
            total = sum(o.base_amount for o in orders)
            assert room - market(world).params.lot_size <= total <= room, (total, room)
    finally:
        await keeper.stop()
        await chain.close()


@pytest.mark.parametrize("oracle_live", [True, False], ids=["requote", "kill-switch"])
async def test_a_restart_cancels_the_orders_a_crash_left_and_repeats_nothing(world: LedgerWorld, tmp_path: Path,
                                                                            oracle_live: bool) -> None:
    keeper, chain = keeper_of(world, tmp_path)
    await keeper.start()
    assert await run_until(world, quoting(world))
    left = {o.order_id for o in sum(ours(world), [])}
    crashed = bot_of(keeper)
    crashed.close = super(MarketMakerBot, crashed).close  # type: ignore[method-assign] # a crash: no cancel on the way out
    await keeper.stop()
    await chain.close()
    assert {o.order_id for o in sum(ours(world), [])} == left

    keeper, chain = keeper_of(world, tmp_path)
    await keeper.start()
    try:
        price = MID if oracle_live else None
        assert await run_until(world, lambda: not left & {o.order_id for o in sum(ours(world), [])}
                               and (quoting(world)() if oracle_live else pulled(world, keeper, "oracle_stale")()),
                               slots=20, price=price)
        await run_until(world, lambda: not keeper.pipeline.in_flight, slots=10, price=price)
        # every transaction the two makers sent is one journal intent of theirs: nothing was sent twice
        rows = [e for e in keeper.journal.recent(10_000) if e.kind in ("mm_requote", "mm_cancel")]
        assert len({e.key for e in rows}) == len(rows)
        sent = [r for r in world.ledger.records.values() if r.err is None and _sends_cancel(world, r.tx)]
        assert sorted(str(r.signature) for r in sent) == sorted(e.signature for e in rows if e.status == "landed")
    finally:
        await keeper.stop()
        await chain.close()


def _sends_cancel(world: LedgerWorld, tx: VersionedTransaction) -> bool:
    """Whether ``tx`` holds a cancel_all_orders of the maker's account."""
    me = maker_address(world)
    tag = bytes(ix.cancel_all_orders(me, me, 0, world.dep.program_id).data[:8])
    keys = tx.message.account_keys
    return any(keys[i.program_id_index] == world.dep.program_id and bytes(i.data[:8]) == tag and me in [keys[a] for a in i.accounts]
               for i in tx.message.instructions)
