"""The market maker on the in-process chain with the real program (LiteSVM).

- Quotes land on the market's tick and lot grid, post-only with an expiry slot, 3 per side; each requote
  is one transaction (cancel_all_orders then the places), and a requote happens only when the price moved.
- Every kill switch fires and cancels every quote: stale oracle, wide confidence, a volatility spike,
  a silent chain, a low SOL balance, the margin floor, the drawdown stop.
- Inventory: a maker driven to its limit by takers stops bidding; one started past its limit unwinds
  with reduce-only TWAP children down to it.
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

PRICE = 150.0
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


async def run_until(world: LedgerWorld, done: Callable[[], bool], slots: int = 60, price: float | None = PRICE,
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
        assert bids[0].price < PRICE * PRICE_PRECISION < asks[0].price
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
                               and len(landed()) == 2, price=PRICE * 1.01)
        rows = landed()
        tx = _transaction(world, rows[-1].signature)
        program_ixs = [i for i in tx.message.instructions
                       if tx.message.account_keys[i.program_id_index] == world.dep.program_id]
        names = [bytes(i.data[:8]) for i in program_ixs]
        cancel = bytes(ix.cancel_all_orders(maker_address(world), maker_address(world), 0, world.dep.program_id).data[:8])
        place = bytes(ix.place_order(maker_address(world), maker_address(world), 0,
                                     ix.order_args(side.Bid(), 1, 1), [], world.dep.program_id).data[:8])
        assert names == [cancel] + [place] * 6
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
            assert await run_until(world, done, slots=5, price=None, each=lambda _: publish(world, PRICE, conf_bps=100))
        elif kill == "volatility_spike":
            publish(world, PRICE * 1.03)  # 3 % in one slot, past max_return_bps (200)
            assert await run_until(world, done, slots=5, price=None)
        elif kill == "connection_lost":
            assert await _quiet(world, done, 5.0)  # no slot for longer than lost_connection_s
        elif kill in ("sol_balance_low", "margin_floor"):
            limit = "min_sol_lamports" if kill == "sol_balance_low" else "min_free_collateral"
            bot.limits = dataclasses.replace(bot.limits, **{limit: 10**18})
            assert await run_until(world, done, slots=10)
        else:  # a taker sells into our bid, then the price falls 1 %: the loss passes max_drawdown_quote (0.05)
            taker = world.scenario.takers[0]
            out = taker.open(world.ledger.send, 0, market(world).params, False, 0.1, PRICE)
            assert out.ok, out
            assert await run_until(world, done, slots=30, price=PRICE * 0.99)
            assert bot.stopped
            # the stop holds: the price comes back, no quote
            assert not await run_until(world, lambda: ours(world) != ([], []), slots=5)
        assert kill in {str(k) for k in bot.kills[0]}
    finally:
        await keeper.stop()
        await chain.close()
