"""Bankruptcy resolution, shared by the liquidator (for users it closed out) and the insurance keeper.

A user is bankrupt when it holds no position and no order and its collateral plus unsettled PnL is
negative (``keepers.exchange.margin_scan.bankrupt`` finds them in the cache's columns); ``resolve_bankruptcy``
covers one market's negative PnL at a time (collateral, then the market's unswept fee pool, then the
insurance fund, then socialised).
It needs the market's event queue drained, so the transaction drains it first (``keepers.bots.drain``).
"""

from __future__ import annotations

from collections.abc import Container

from solders.pubkey import Pubkey

from keepers.exchange import instructions as ix
from keepers.bots.drain import drain
from keepers.cache import AccountCache
from keepers.execution.error_policy import ProgramErrorName as E
from keepers.execution.intents import ActionKind, intent_key
from keepers.exchange.margin_scan import bankrupt
from keepers.execution.pipeline import Action

BANKRUPTCY_REWARD_LAMPORTS = 50_000


def bankruptcy_actions(bot: str, cache: AccountCache, program_id: Pubkey, only: Container[Pubkey] | None = None,
                       kept: Container[int] | None = None) -> list[Action]:
    """One ``resolve_bankruptcy`` per bankrupt user (its first market with a loss), largest deficit first.

    ``only`` restricts it to some users (the liquidator resolves the bankruptcies it caused), ``kept``
    to some markets (None: all).
    """
    out = []
    for b in bankrupt(cache.columns):
        markets = [i for i in b.market_indices if kept is None or i in kept]
        if (only is not None and b.pubkey not in only) or not markets:
            continue
        index = markets[0]
        drained = drain(index, cache.event_queue(index), cache.orderbook(index), program_id)
        if drained is None:
            continue  # the settler consumes part of the queue first
        ixs = drained.instructions + [ix.resolve_bankruptcy(b.pubkey, index, program_id)]
        kind = ActionKind.RESOLVE_BANKRUPTCY
        out.append(Action(bot=bot, kind=kind,
                          key=intent_key(kind, user=b.pubkey, market=index, slot=cache.slot_of(b.pubkey)), target=b.pubkey,
                          instructions=tuple(ixs), reward_lamports=BANKRUPTCY_REWARD_LAMPORTS,
                          expected=frozenset({E.NotBankrupt}), detail={"market": index}))
    return out


__all__ = ["bankruptcy_actions"]
