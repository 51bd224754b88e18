"""An exchange for the arbitrage bot's tests: four markets whose prices relate, a maker whose resting orders
the tests place by hand, and a keeper running the bot on the in-process chain with the real program.

Markets: 0 SOL-PERP (150), 1 SOLB-PERP (150, the same underlying), 2 BTC-PERP (60,000) and 3 BTCSOL-PERP
(400: BTC in SOL), so that BTC = BTCSOL x SOL (60,000 = 400 x 150), the triangle.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from keepers.chain.inprocess import InProcessChain
from keepers.exchange import instructions as ix
from keepers.exchange.pdas import user_pda
from keepers.execution.journal import Journal
from keepers.runtime import Keeper
from keepers.strategies.arbitrage.bot import ArbitrageBot
from localnet.deployment import BootstrapPlan
from localnet.build import build_program
from programs_client.perp.accounts import Market, User
from programs_client.perp.constants import BASE_PRECISION as BASE, PRICE_PRECISION as PRICE
from programs_client.perp.types import order_type, side
from sim.scenario import LedgerWorld, ScenarioSettings, build_ledger_world
from tests.unit.keepers.support import in_process_config

MARKETS = ("SOL-PERP", "SOLB-PERP", "BTC-PERP", "BTCSOL-PERP")
PRICES = {"SOL-PERP": 150.0, "SOLB-PERP": 150.0, "BTC-PERP": 60_000.0, "BTCSOL-PERP": 400.0}
STEP_S = 0.03
# No latency risk unless a test sets it, so the thresholds are fees plus ``threshold_bps`` only.
ARB = {"threshold_bps": 5.0, "volatility_bps_per_sqrt_s": 0.0, "max_leg_quote": 1000.0, "max_total_quote": 5000.0,
       "interval_s": 0.2}


@dataclasses.dataclass(frozen=True)
class ArbSettings(ScenarioSettings):
    """The scenario's exchange with the four related markets at their prices."""

    def plan(self) -> BootstrapPlan:
        return dataclasses.replace(super().plan(), prices=dict(PRICES))


def arb_world(perp_program: bytes) -> LedgerWorld:
    return build_ledger_world(ArbSettings(users=1, seconds_per_slot=1, markets=MARKETS), perp_program,
                              Path(build_program("mock_oracle")).read_bytes())


def publish(world: LedgerWorld, prices: dict[int, float] | None = None) -> None:
    """Write every market's oracle (at its initial price unless given)."""
    for m in world.dep.markets:
        pub = world.scenario.publishers[m.index]
        price = (prices or {}).get(m.index, m.initial_price)
        authority = pub.oracle.authority
        out = pub.oracle.send([f.write_ix(authority.pubkey(), price, price * 5 / 10_000) for f in pub.feeds], [authority])
        assert out.ok, out


def maker(world: LedgerWorld) -> Any:
    return world.dep.wallets["maker-0"]


def rest(world: LedgerWorld, market: int, bid: bool, price: float, base: float, expiry_slot: int = 0) -> None:
    """A resting post-only order of the maker."""
    kp = maker(world)
    me = user_pda(kp.pubkey(), 0, world.dep.program_id)
    others = [m.address for m in world.dep.markets if m.index != market]
    order = ix.order_args(side.Bid() if bid else side.Ask(), round(price * PRICE), round(base * BASE), order_type.PostOnly(),
                          expiry_slot=expiry_slot)
    crank = world.dep.markets[market].oracles.update_prices_ix(market, world.dep.program_id)  # a fresh mark
    out = world.ledger.send([crank, ix.place_order(kp.pubkey(), me, market, order, others, world.dep.program_id)], [kp], kp)
    assert out.ok, out


def cancel_maker(world: LedgerWorld, market: int) -> None:
    kp = maker(world)
    me = user_pda(kp.pubkey(), 0, world.dep.program_id)
    out = world.ledger.send([ix.cancel_all_orders(kp.pubkey(), me, market, world.dep.program_id)], [kp], kp)
    assert out.ok, out


def keeper_address(world: LedgerWorld) -> Any:
    return user_pda(world.dep.wallets["keeper"].pubkey(), 0, world.dep.program_id)


def base_of(world: LedgerWorld, market: int) -> int:
    """The keeper's position in ``market`` (base 1e9)."""
    u = User.decode(bytes(world.ledger.get_account(keeper_address(world)).data))
    return next((p.base_amount for p in u.positions if p.market_index == market and p.base_amount), 0)


def market(world: LedgerWorld, index: int) -> Market:
    return Market.decode(bytes(world.ledger.get_account(world.dep.markets[index].address).data))


def arb_keeper(world: LedgerWorld, tmp_path: Path, chain: InProcessChain | None = None, journal: Journal | None = None,
               **arb: Any) -> tuple[Keeper, InProcessChain]:
    config = in_process_config(tmp_path, bots={"arbitrage": dict(ARB, **arb)})
    chain = chain or InProcessChain(world.ledger)
    return Keeper(config, chain, world.dep.wallets["keeper"], bots=("arbitrage",), serve_http=False, journal=journal), chain


def bot_of(keeper: Keeper) -> ArbitrageBot:
    bot = keeper.bots["arbitrage"]
    assert isinstance(bot, ArbitrageBot)
    return bot


async def run_until(world: LedgerWorld, done: Callable[[], bool], slots: int = 40,
                    prices: dict[int, float] | None = None) -> bool:
    """Advance up to ``slots`` slots (publishing every oracle each) until ``done``."""
    for _ in range(slots):
        world.ledger.advance_slot()
        publish(world, prices)
        for _ in range(5):
            await asyncio.sleep(STEP_S / 5)
            if done():
                return True
    return done()


def landed(keeper: Keeper, kind: str) -> list[Any]:
    return [e for e in keeper.journal.recent(1000) if e.kind == kind and e.status == "landed"]
