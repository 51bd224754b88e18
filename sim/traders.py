"""Scripted traders for the demo and the keeper tests: a scripted maker that quotes a fixed ladder around
the oracle price, and takers that open leveraged positions against its quotes.

They act through a ``send(ixs, signers, payer) -> Outcome`` callable (``Ledger.send`` so that the
node's subscribers see every write, or ``LocalSvm.send``), and need nothing else from the chain.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from keepers.exchange import instructions as ix
from keepers.exchange.pdas import market_pda, user_pda
from keepers.execution.results import Outcome
from localnet.svm import pubkey_of
from programs_client.perp.constants import BASE_PRECISION as BASE, BPS, PRICE_PRECISION as PRICE
from programs_client.perp.types import order_type, side
from programs_client.perp.types.market_params import MarketParams

Send = Callable[[Sequence[Instruction], Sequence[Keypair], Keypair], Outcome]


def to_ticks(price: float, params: MarketParams, up: bool = False) -> int:
    """``price`` (quote per base) in the program's units, rounded to a tick (down unless ``up``)."""
    raw = price * PRICE / params.tick_size
    ticks = math.ceil(raw) if up else math.floor(raw)
    return max(ticks, 1) * params.tick_size


def to_lots(base: float, params: MarketParams) -> int:
    """``base`` whole units in the program's units, rounded down to a lot."""
    return int(base * BASE) // params.lot_size * params.lot_size


@dataclass
class ScriptedMaker:
    """Quotes ``levels`` post-only bids and asks around a mid price in every market it is given."""

    keypair: Keypair
    markets: dict[int, MarketParams]
    program_id: Pubkey
    levels: int = 4
    half_spread_bps: float = 10.0
    step_bps: float = 10.0
    notional_per_level: float = 20_000.0

    @cached_property
    def address(self) -> Pubkey:
        """The maker's margin account (derived once: a PDA search costs tens of microseconds)."""
        return user_pda(pubkey_of(self.keypair), 0, self.program_id)

    @cached_property
    def _other_markets(self) -> dict[int, list[Pubkey]]:
        """For each market, the other markets' addresses (passed to ``place_order``)."""
        addresses = {i: market_pda(i, self.program_id) for i in self.markets}
        return {i: [a for j, a in addresses.items() if j != i] for i in self.markets}

    def quote_instructions(self, market_index: int, mid: float) -> list[Instruction]:
        """Cancel this maker's orders in the market and post a fresh ladder around ``mid``."""
        params = self.markets[market_index]
        others = self._other_markets[market_index]
        me, user = pubkey_of(self.keypair), self.address
        out = [ix.cancel_all_orders(me, user, market_index, self.program_id)]
        size = to_lots(self.notional_per_level / mid, params)
        for level in range(self.levels):
            offset = (self.half_spread_bps + level * self.step_bps) / BPS
            for s, price in ((side.Bid(), to_ticks(mid * (1 - offset), params)),
                             (side.Ask(), to_ticks(mid * (1 + offset), params, up=True))):
                order = ix.order_args(s, price, size, order_type.PostOnly())
                out.append(ix.place_order(me, user, market_index, order, others, self.program_id))
        return out

    def quote(self, send: Send, market_index: int, mid: float) -> Outcome:
        """Replace the ladder of one market in one transaction."""
        return send(self.quote_instructions(market_index, mid), [self.keypair], self.keypair)


@dataclass
class Taker:
    """A user that opens one leveraged position with an immediate-or-cancel order."""

    keypair: Keypair
    program_id: Pubkey

    @cached_property
    def address(self) -> Pubkey:
        """The taker's margin account (derived once)."""
        return user_pda(pubkey_of(self.keypair), 0, self.program_id)

    def open(self, send: Send, market_index: int, params: MarketParams, long: bool, base: float, mid: float,
             slippage_bps: float = 200.0) -> Outcome:
        """Buy (``long``) or sell ``base`` at up to ``slippage_bps`` from ``mid``."""
        limit = mid * (1 + slippage_bps / BPS) if long else mid * (1 - slippage_bps / BPS)
        order = ix.order_args(side.Bid() if long else side.Ask(), to_ticks(limit, params, up=long), to_lots(base, params),
                              order_type.ImmediateOrCancel())
        me = pubkey_of(self.keypair)
        return send([ix.place_order(me, self.address, market_index, order, [], self.program_id)], [self.keypair], self.keypair)


def leverage_plan(rng: random.Random, takers: int, low: float = 3.0, high: float = 9.5) -> list[tuple[bool, float]]:
    """(long?, leverage) for each taker: mostly longs, so that a crash leaves many under-margined."""
    return [(rng.random() < 0.8, rng.uniform(low, high)) for _ in range(takers)]


__all__ = ["ScriptedMaker", "Taker", "leverage_plan", "to_lots", "to_ticks"]
