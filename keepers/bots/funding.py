"""Funding keeper: crank ``update_funding`` at each period boundary, with fresh prices first.

``update_funding`` needs a drained event queue, so the crank's transaction is
``[consume_events (when fills are queued), update_prices, update_funding]``. "Too early" is the
expected answer when another keeper was faster and is not alerted; anything else is counted and
alerted by the pipeline.
"""

from __future__ import annotations

from solders.instruction import Instruction
from solders.pubkey import Pubkey

from keepers import instructions as ix
from keepers.bots.base import Bot
from keepers.bots.mark_price import oracle_accounts
from keepers.tx import Action
from programs_client.perp.accounts import EventQueue, Market
from programs_client.perp.types import market_status

FUNDING_REWARD_LAMPORTS = 50_000
MAX_MAKERS_PER_TX = 12  # keeps the funding transaction well under the packet size
_FUNDED = (market_status.Active.discriminator, market_status.ReduceOnly.discriminator)


def next_funding_ts(market: Market) -> int:
    """Unix time at which ``market``'s next funding period ends (the grid the program keeps)."""
    return market.last_funding_ts + market.params.funding_period_secs


def funding_due(market: Market, now_ts: int) -> bool:
    """Whether ``update_funding`` would be accepted at ``now_ts`` (pure)."""
    return market.status.discriminator in _FUNDED and market.index_price > 0 and now_ts >= next_funding_ts(market)


def queued_makers(queue: EventQueue | None, limit: int) -> list[Pubkey]:
    """The maker accounts of the next ``limit`` queued fills, in queue order."""
    if queue is None:
        return []
    n = min(queue.count, limit)
    size = len(queue.fills)
    return [queue.fills[(queue.head + i) % size].maker for i in range(n)]


def drainable(queue: EventQueue | None, limit: int = MAX_MAKERS_PER_TX) -> bool:
    """Whether one transaction can drain ``queue`` first (else wait for the settler to consume it)."""
    return queue is None or queue.count <= limit


def drain_instructions(market_index: int, queue: EventQueue | None, limit: int, program_id: Pubkey) -> list[Instruction]:
    """``consume_events`` for the queued fills (empty when the queue is empty)."""
    makers = queued_makers(queue, limit)
    return [ix.consume_events(market_index, makers, len(makers), program_id)] if makers else []


def funding_action(bot: str, market: Market, address: Pubkey, queue: EventQueue | None, program_id: Pubkey) -> Action:
    """The funding crank of ``market`` for the period ending at ``next_funding_ts``."""
    primary, fallback = oracle_accounts(market)
    i = market.market_index
    ixs = drain_instructions(i, queue, MAX_MAKERS_PER_TX, program_id)
    ixs += [ix.update_prices(i, primary, fallback, program_id), ix.update_funding(i, program_id)]
    return Action(
        bot=bot, kind="update_funding", key=f"update_funding:{i}:{next_funding_ts(market)}", target=address,
        instructions=tuple(ixs), reward_lamports=FUNDING_REWARD_LAMPORTS, expected=frozenset({"FundingTooEarly"}),
        detail={"market": i, "period_end": next_funding_ts(market)},
    )


class FundingBot(Bot):
    """Cranks funding for every market whose period ended (see the module docstring)."""

    name = "funding"
    wakes_on = frozenset({"market", "clock"})

    async def tick(self) -> None:
        ctx = self.ctx
        for index, market in sorted(ctx.cache.markets.items()):
            queue = ctx.cache.event_queue(index)
            if funding_due(market, ctx.clock.unix_timestamp) and drainable(queue):
                self.submit(funding_action(self.name, market, ctx.cache.market_address(index), queue, ctx.program_id))


__all__ = ["FundingBot", "drain_instructions", "drainable", "funding_action", "funding_due", "next_funding_ts", "queued_makers"]
