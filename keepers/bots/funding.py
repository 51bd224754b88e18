"""Funding keeper: crank ``update_funding`` at each period boundary, with fresh prices first.

``update_funding`` needs a drained event queue, so the crank's transaction is
``[consume_events, update_prices, update_funding]`` with a drain that also catches fills queued after
the plan (``keepers.bots.drain``). "Too early" is the expected answer when another keeper was faster and
is not alerted; so are oracles too stale or uncertain to price (the price crank's alerts cover those), and
fills that reached an empty queue after a crank was planned without a drain (a keeper started before
trading: ``keepers.bots.drain``). Then the crank waits for the oracles, the market or its queue to change
(its ``basis``) instead of failing again at every tick; anything else is counted and alerted by the pipeline.

The bot sleeps until the earliest period end of the cached markets in chain time (``due_ts``: the
Clock reaching it wakes the bot) or a market change; a crank that is due but waits for the queue to be
drained is looked at again every ``bots.funding.poll_s``.
"""

from __future__ import annotations

from solders.pubkey import Pubkey

from keepers.exchange import instructions as ix
from keepers.bots.base import Bot
from keepers.bots.drain import Drain, drain
from keepers.bots.mark_price import oracle_accounts, oracle_basis
from keepers.execution.error_policy import ProgramErrorName as E
from keepers.execution.intents import ActionKind, intent_key
from keepers.execution.pipeline import Action
from programs_client.perp.accounts import Market
from programs_client.perp.constants import CUMULATIVE_FUNDING_PRECISION, PRICE_PRECISION
from programs_client.perp.types import market_status

FUNDING_REWARD_LAMPORTS = 50_000
_FUNDED = (market_status.Active.discriminator, market_status.ReduceOnly.discriminator)


def next_funding_ts(market: Market) -> int:
    """Unix time at which ``market``'s next funding period ends (the grid the program keeps)."""
    return market.last_funding_ts + market.params.funding_period_secs


def funded(market: Market) -> bool:
    """Whether ``market`` takes ``update_funding`` at all (its status, and a price to fund at)."""
    return market.status.discriminator in _FUNDED and market.index_price > 0


def funding_due(market: Market, now_ts: int) -> bool:
    """Whether ``update_funding`` would be accepted at ``now_ts`` (pure)."""
    return funded(market) and now_ts >= next_funding_ts(market)


def funding_rate(market: Market) -> float | None:
    """The last period's funding rate as a share of the mark (longs pay when positive); None without a mark."""
    if market.mark_price == 0:
        return None
    return market.last_funding_rate / (market.mark_price * (CUMULATIVE_FUNDING_PRECISION // PRICE_PRECISION))


# Normal answers: another keeper was faster, the oracles cannot price the market now, or fills arrived
# in a queue that was empty when the crank was planned (the next plan drains them).
FUNDING_EXPECTED = frozenset({E.FundingTooEarly, E.OracleStale, E.OracleUnavailable, E.OracleConfidenceTooWide,
                              E.EventQueueNotEmpty})


def funding_action(bot: str, market: Market, address: Pubkey, drained: Drain, program_id: Pubkey,
                   basis: tuple[object, ...] | None = None) -> Action:
    """The funding crank of ``market`` for the period ending at ``next_funding_ts``, after ``drained``;
    ``basis``: the state it depends on (not tried again on the same one after an expected failure)."""
    primary, fallback = oracle_accounts(market)
    i = market.market_index
    ixs = drained.instructions + [ix.update_prices(i, primary, fallback, program_id), ix.update_funding(i, program_id)]
    return Action(
        bot=bot, kind=ActionKind.UPDATE_FUNDING,
        key=intent_key(ActionKind.UPDATE_FUNDING, market=i, funding_ts=next_funding_ts(market)), target=address,
        instructions=tuple(ixs), reward_lamports=FUNDING_REWARD_LAMPORTS, expected=FUNDING_EXPECTED, basis=basis,
        detail={"market": i, "period_end": next_funding_ts(market)},
    )


class FundingBot(Bot):
    """Cranks funding for every market whose period ended (see the module docstring)."""

    name = "funding"
    wakes_on = frozenset({"market"})

    async def tick(self) -> None:
        ctx = self.ctx
        ends = []
        for index, market in ctx.kept_markets():
            if not funded(market):
                continue
            ends.append(next_funding_ts(market))
            if not funding_due(market, ctx.clock.unix_timestamp):
                continue
            drained = drain(index, ctx.cache.event_queue(index), ctx.cache.orderbook(index), ctx.program_id)
            if drained is None:  # the settler consumes part of the queue first
                self.tick_within(self.interval_s)
            else:
                address = ctx.cache.market_address(index)
                basis = (ctx.cache.slot_of(address), ctx.cache.slot_of(market.event_queue), *oracle_basis(market, ctx.oracles))
                self.submit(funding_action(self.name, market, address, drained, ctx.program_id, basis))
        self.due_ts = min(ends, default=None)


__all__ = ["FUNDING_EXPECTED", "FundingBot", "funded", "funding_action", "funding_due", "funding_rate", "next_funding_ts"]
