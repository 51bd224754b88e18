"""The trader population of a scenario: one ``TraderAgent`` per trader of each ``[[traders]]`` group.

Each agent has its own RNG seeded from (scenario seed, group, index), its capital and leverage drawn from
the group's distributions with it, a behaviour (``sim.agents.behaviours``) and a margin account the
engine funds at setup. When it acts (with the group's ``activity`` chance per slot) it picks one of its
markets, asks its behaviour which direction to hold, and sends the immediate-or-cancel order that takes
its position there: to ``capital * leverage`` of notional, or flat.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from keepers.exchange import instructions as ix
from keepers.exchange.pdas import market_pda, user_pda
from programs_client.perp.constants import BASE_PRECISION as BASE, BPS
from programs_client.perp.types import order_type, side
from programs_client.perp.types.market_params import MarketParams
from sim.agents.behaviours import MarketView, decide
from sim.scenario_file import TraderGroup
from sim.traders import to_lots, to_ticks

KNOBS = ("long_bias", "close_probability", "lookback_slots", "threshold_bps", "horizon_slots", "hunt_distance_bps",
         "hunt_min_notional")
SIZE_MARGIN = 0.97  # of capital * leverage: room for fees and slippage


def agent_rng(seed: int, group: str, index: int) -> random.Random:
    """The RNG of trader ``index`` of ``group`` (string seeding: independent of PYTHONHASHSEED)."""
    return random.Random(f"{seed}/trader/{group}/{index}")


@dataclass
class TraderAgent:
    """One simulated trader (see the module docstring)."""

    name: str
    group: TraderGroup
    keypair: Keypair
    program_id: Pubkey
    capital: float
    leverage: float
    rng: random.Random
    markets: tuple[int, ...]
    orders: int = 0
    knobs: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.knobs = {k: float(getattr(self.group, k)) for k in KNOBS}
        self.address = user_pda(self.keypair.pubkey(), 0, self.program_id)

    def wants_to_act(self, step: int) -> bool:
        """Whether it acts this slot (one draw per slot, so the stream does not depend on the market)."""
        return self.rng.random() < self.group.activity and step >= self.group.open_at_slot

    def order(self, views: Mapping[int, MarketView], held_base: Callable[[int], int],
              params: Mapping[int, MarketParams]) -> list[Instruction]:
        """The instructions of its next order (none when its behaviour keeps the position)."""
        index = self.markets[self.rng.randrange(len(self.markets))]
        view, p = views[index], params[index]
        base_now = held_base(index)
        held = (base_now > 0) - (base_now < 0)
        want = decide(self.group.behaviour, view, held, self.rng, self.knobs)
        if want is None:
            return []
        mid = view.price
        target = want * self.capital * self.leverage * SIZE_MARGIN / mid
        delta = to_lots(abs(target - base_now / BASE), p) * (1 if target * BASE > base_now else -1)
        if abs(delta) < p.min_order_size or abs(delta) * mid / BASE * 1e6 < p.min_order_notional:
            return []
        buy = delta > 0
        slip = self.group.slippage_bps / BPS
        limit = to_ticks(mid * (1 + slip) if buy else mid * (1 - slip), p, up=buy)
        args = ix.order_args(side.Bid() if buy else side.Ask(), limit, abs(delta), order_type.ImmediateOrCancel())
        others = [market_pda(i, self.program_id) for i in params if i != index]
        self.orders += 1
        return [ix.place_order(self.keypair.pubkey(), self.address, index, args, others, self.program_id)]


def build_population(groups: Sequence[TraderGroup], seed: int, market_names: Sequence[str], program_id: Pubkey,
                     keypair: Callable[[str], Keypair]) -> list[TraderAgent]:
    """Every trader of ``groups``, in order; ``keypair(name)`` gives each its wallet."""
    out = []
    for g in groups:
        markets = tuple(market_names.index(m) for m in g.markets) or tuple(range(len(market_names)))
        for i in range(g.count):
            rng = agent_rng(seed, g.label, i)
            capital, leverage = g.capital.draw(rng), g.leverage.draw(rng)
            name = f"trader/{g.label}/{i}"
            out.append(TraderAgent(name, g, keypair(name), program_id, capital, leverage, rng, markets))
    return out


__all__ = ["TraderAgent", "agent_rng", "build_population"]
