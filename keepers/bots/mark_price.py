"""Mark price keeper: crank ``update_prices`` when the oracle moved or the market's price got old.

Per market, the oracle price is chosen as the program would choose it (``keepers.exchange.oracles.select_price``
on the cached oracle accounts). A crank is due when that price deviates from the market's index price
by more than ``deviation_bps``, or when ``heartbeat_s`` of chain time passed since the last update. The
bot wakes on oracle and market changes and when the Clock reaches the next heartbeat (``due_ts``).

A crank's key names the market's price state (its last update slot), so a crank reported landed whose
update never happened (a dropped transaction an endpoint calls finalized) would hold that key for
good: the crank's ``effect`` is the market's last update slot reaching the landing slot, and the
pipeline reopens the intent when it does not show.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from solders.pubkey import Pubkey

from keepers.exchange import instructions as ix
from keepers.bots.base import Bot
from keepers.execution.error_policy import ProgramErrorName as E
from keepers.execution.intents import ActionKind, intent_key
from keepers.exchange.oracles import RawAccount, Selected, select_price
from keepers.execution.pipeline import Action
from programs_client.perp.accounts import Market
from programs_client.perp.constants import BPS
from programs_client.perp.types import market_status

CRANK_REWARD_LAMPORTS = 20_000  # what a crank is worth to the exchange, for the fee policy
_NOT_PRICED = (market_status.Settlement.discriminator, market_status.Delisted.discriminator)


@dataclass(frozen=True)
class PriceCheck:
    """Why a market's prices need (or do not need) a crank."""

    due: bool
    reason: str
    oracle_price: int | None = None


def oracle_accounts(market: Market) -> tuple[Pubkey, Pubkey | None]:
    """The accounts ``update_prices`` reads for ``market``: the primary and the fallback (None without one)."""
    fallback = market.oracle.fallback if market.oracle.fallback_kind.discriminator != 0 else None
    return market.oracle.primary, fallback


def oracle_basis(market: Market, oracles: Mapping[Pubkey, RawAccount]) -> tuple[int | None, ...]:
    """What ``update_prices`` of ``market`` reads from its oracles, as a comparable value (hashes of
    the accounts' data, None for one not seen): an action that failed on the oracles is not worth
    trying again until this changes."""
    return tuple(hash(o.data) if (o := oracles.get(a)) is not None else None
                 for a in oracle_accounts(market) if a is not None)


def check_prices(market: Market, oracles: dict[Pubkey, RawAccount], slot: int, now_ts: int,
                 deviation_bps: int, heartbeat_s: float) -> PriceCheck:
    """Decide whether ``market`` needs ``update_prices`` now (pure: state in, decision out)."""
    if market.status.discriminator in _NOT_PRICED:
        return PriceCheck(False, "not priced in this status")
    primary, fallback = oracle_accounts(market)
    chosen = select_price(market.oracle, market.params, slot, oracles.get(primary), oracles.get(fallback) if fallback else None,
                          now_ts)
    if not isinstance(chosen, Selected):
        return PriceCheck(False, f"no valid oracle price ({type(chosen.error).__name__})")
    price = chosen.price.price_1e6
    if market.index_price == 0:
        return PriceCheck(True, "first price", price)
    if abs(price - market.index_price) * BPS > deviation_bps * market.index_price:
        return PriceCheck(True, "deviation", price)
    if now_ts - market.twap_updated_ts >= heartbeat_s:
        return PriceCheck(True, "heartbeat", price)
    return PriceCheck(False, "fresh", price)


def price_update_action(bot: str, market: Market, address: Pubkey, reason: str, program_id: Pubkey,
                        current: Callable[[], Market | None] | None = None) -> Action:
    """The ``update_prices`` crank of ``market``; one per market price state (its last update slot).

    ``current`` returns the market as the cache holds it now: a landing counts once its last update
    slot reached the landing slot (``Action.effect``).
    """
    primary, fallback = oracle_accounts(market)

    def updated(slot: int) -> bool:
        now = current() if current is not None else None
        return now is not None and now.last_price_update_slot >= slot

    return Action(
        bot=bot, kind=ActionKind.UPDATE_PRICES,
        key=intent_key(ActionKind.UPDATE_PRICES, market=market.market_index, price_slot=market.last_price_update_slot),
        target=address, instructions=(ix.update_prices(market.market_index, primary, fallback, program_id),),
        reward_lamports=CRANK_REWARD_LAMPORTS, expected=frozenset({E.MarketNotTradable}),
        detail={"market": market.market_index, "reason": reason},
        effect=updated if current is not None else None,
    )


class MarkPriceBot(Bot):
    """Cranks ``update_prices`` on deviation or heartbeat (see the module docstring)."""

    name = "mark_price"
    wakes_on = frozenset({"oracle", "market"})

    async def tick(self) -> None:
        ctx = self.ctx
        heartbeats = []
        for index, market in ctx.kept_markets():
            check = check_prices(market, ctx.oracles, ctx.clock.slot, ctx.clock.unix_timestamp,
                                 self.config.deviation_bps, self.config.heartbeat_s)
            if check.oracle_price is not None:  # priced now: its heartbeat falls due in chain time
                heartbeats.append(market.twap_updated_ts + math.ceil(self.config.heartbeat_s))
            if check.due:
                self.submit(price_update_action(self.name, market, ctx.cache.market_address(index), check.reason,
                                                ctx.program_id, lambda i=index: ctx.cache.markets.get(i)))
        self.due_ts = min(heartbeats, default=None)


__all__ = ["MarkPriceBot", "PriceCheck", "check_prices", "oracle_accounts", "price_update_action"]
