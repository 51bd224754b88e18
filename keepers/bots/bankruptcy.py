"""Bankruptcy resolution, shared by the liquidator (for users it closed out) and the insurance keeper.

A user is bankrupt when it holds no position and no order and its collateral plus unsettled PnL is
negative (``keepers.margin_scan.bankrupt`` finds them in the cache's columns); ``resolve_bankruptcy``
covers one market's negative PnL at a time (collateral, then the insurance fund, then socialised).
It needs the market's event queue drained, so the queued fills are consumed in the same transaction.
"""

from __future__ import annotations

from collections.abc import Container

from solders.pubkey import Pubkey

from keepers import instructions as ix
from keepers.bots.funding import drain_instructions, drainable
from keepers.cache import AccountCache
from keepers.margin_scan import bankrupt
from keepers.tx import Action

BANKRUPTCY_REWARD_LAMPORTS = 50_000
MAX_MAKERS = 12


def bankruptcy_actions(bot: str, cache: AccountCache, program_id: Pubkey, only: Container[Pubkey] | None = None) -> list[Action]:
    """One ``resolve_bankruptcy`` per bankrupt user (its first market with a loss), largest deficit first.

    ``only`` restricts it to some users (the liquidator resolves the bankruptcies it caused).
    """
    out = []
    for b in bankrupt(cache.columns):
        if (only is not None and b.pubkey not in only) or not b.market_indices:
            continue
        index = b.market_indices[0]
        queue = cache.event_queue(index)
        if not drainable(queue, MAX_MAKERS):
            continue  # the settler consumes the fills first
        ixs = drain_instructions(index, queue, MAX_MAKERS, program_id)
        ixs.append(ix.resolve_bankruptcy(b.pubkey, index, program_id))
        out.append(Action(bot=bot, kind="resolve_bankruptcy",
                          key=f"resolve_bankruptcy:{b.pubkey}:{index}:{cache.slot_of(b.pubkey)}", target=b.pubkey,
                          instructions=tuple(ixs), reward_lamports=BANKRUPTCY_REWARD_LAMPORTS,
                          expected=frozenset({"NotBankrupt"}), detail={"market": index}))
    return out


__all__ = ["bankruptcy_actions"]
