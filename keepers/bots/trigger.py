"""Trigger keeper: fire the users' stored stop and take-profit orders when their condition holds.

On each change that can move a price (an oracle, market or trigger-orders account, the chain's clock)
and on nothing else:
1. predict each kept market's index and mark once its current oracle price is cranked
   (``predicted_prices``: the price the program would select and ``keepers.exchange.mark.next_mark``);
2. find every stored trigger order whose condition holds at that predicted price (mark or oracle, as
   the order says), largest notional first (``eligible_triggers``);
3. fire each with ``update_prices`` and ``trigger_order`` in one transaction: the program fires a trigger
   only at a price updated in the same slot, so the crank always goes first.

One action per trigger order: its journal key names the account and the trigger id, which the program
never reuses, so a fired order is never sent again, also after a restart, and its lock holds one
transaction per order in flight. Its ``basis`` is the market account's slot and the oracle data: a
``TriggerConditionNotMet`` (the prediction lost a race with the price) is an expected answer, not
alerted and not retried until the price moved. The fee the program pays goes to the keeper's margin
account (``keeper.sub_id``), which must exist: without it nothing is fired and one alert is raised.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass

from solders.pubkey import Pubkey

from keepers.bots.base import Bot
from keepers.bots.liquidator import other_markets, reward_lamports
from keepers.bots.mark_price import oracle_accounts
from keepers.exchange import instructions as ix
from keepers.exchange.mark import next_mark
from keepers.exchange.oracles import RawAccount, Selected, select_price
from keepers.exchange.pdas import user_pda
from keepers.execution.error_policy import ProgramErrorName as E
from keepers.execution.intents import ActionKind, intent_key
from keepers.execution.pipeline import Action, ActionResult
from programs_client.perp.accounts import Market, Orderbook, TriggerOrders, User
from programs_client.perp.constants import BASE_PRECISION
from programs_client.perp.types import market_status, trigger_condition, trigger_price_source

_TRADABLE = (market_status.Active.discriminator, market_status.ReduceOnly.discriminator)
_ABOVE = trigger_condition.Above.discriminator
_ORACLE = trigger_price_source.Oracle.discriminator


@dataclass(frozen=True)
class PredictedPrice:
    """A market's index and mark once ``update_prices`` runs with the current oracle price."""

    index: int
    mark: int


def predicted_prices(markets: Mapping[int, Market], books: Mapping[int, Orderbook | None],
                     oracles: Mapping[Pubkey, RawAccount], slot: int, now_ts: int,
                     kept: Container[int] | None = None) -> dict[int, PredictedPrice]:
    """The prices each tradable market will have after a crank now (pure); markets without a valid
    oracle price are left out (their crank would fail, and trigger_order needs a price of this slot)."""
    out = {}
    for i, m in markets.items():
        if (kept is not None and i not in kept) or m.status.discriminator not in _TRADABLE or m.mark_price == 0:
            continue
        primary, fallback = oracle_accounts(m)
        chosen = select_price(m.oracle, m.params, slot, oracles.get(primary), oracles.get(fallback) if fallback else None,
                              now_ts)
        if isinstance(chosen, Selected):
            index = chosen.price.price_1e6
            out[i] = PredictedPrice(index, next_mark(m, books.get(i), index, now_ts, slot))
    return out


@dataclass(frozen=True)
class Eligible:
    """A stored trigger order whose condition holds at the predicted price."""

    triggers: Pubkey  # the TriggerOrders account
    user: Pubkey
    trigger_id: int
    market_index: int
    notional: int  # base * predicted mark (quote 1e6): the order of firing


def condition_holds(condition: int, price: int, trigger_price: int) -> bool:
    """trigger_order's test: above fires at price >= trigger, below at price <= trigger."""
    return price >= trigger_price if condition == _ABOVE else price <= trigger_price


def eligible_triggers(accounts: Mapping[Pubkey, TriggerOrders], prices: Mapping[int, PredictedPrice]) -> list[Eligible]:
    """Every stored trigger order whose condition holds at ``prices``, largest notional first (pure)."""
    found = []
    for address, acc in accounts.items():
        for o in acc.orders:
            p = prices.get(o.market_index)
            if o.trigger_id == 0 or p is None:
                continue
            price = p.index if o.price_source.discriminator == _ORACLE else p.mark
            if condition_holds(o.condition.discriminator, price, o.trigger_price):
                found.append(Eligible(address, acc.user, o.trigger_id, o.market_index, o.base_amount * p.mark // BASE_PRECISION))
    found.sort(key=lambda e: (-e.notional, str(e.triggers), e.trigger_id))
    return found


class TriggerBot(Bot):
    """See the module docstring."""

    name = "trigger"
    wakes_on = frozenset({"oracle", "market", "trigger_orders", "clock"})
    wake_priority = 1  # right after the liquidator: a price move is a race

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.own_address = user_pda(self.ctx.authority, 0, self.ctx.program_id)
        self.fired = 0
        self._warned_no_account = False

    def set_own_account(self, sub_id: int) -> None:
        """Receive trigger fees in the keeper's margin account ``sub_id``."""
        self.own_address = user_pda(self.ctx.authority, sub_id, self.ctx.program_id)

    async def tick(self) -> None:
        ctx, cache = self.ctx, self.ctx.cache
        if not cache.trigger_orders:
            return
        prices = predicted_prices(cache.markets, {i: cache.orderbook(i) for i in cache.markets}, ctx.oracles,
                                  ctx.clock.slot, ctx.clock.unix_timestamp, ctx.kept)
        found = eligible_triggers(cache.trigger_orders, prices)
        if not found:
            return
        if self.own_address not in cache.users:
            if not self._warned_no_account:
                self._warned_no_account = True
                ctx.metrics.alert(self.name, "no keeper margin account to receive trigger fees")
            return
        addresses = {i: cache.market_address(i) for i in cache.markets}
        for e in found:
            if self.in_flight >= self.config.max_in_flight:
                break
            self.submit(self.action(e, cache.users.get(e.user), addresses))

    def action(self, e: Eligible, user: User | None, addresses: Mapping[int, Pubkey | None]) -> Action:
        """The crank and the firing of ``e`` in one transaction."""
        ctx, cache = self.ctx, self.ctx.cache
        m = cache.markets[e.market_index]
        primary, fallback = oracle_accounts(m)
        known = {i: a for i, a in addresses.items() if a is not None}
        others = other_markets([user] if user is not None else [], e.market_index, known)
        fee = m.params.trigger_fee_quote
        oracles = [ctx.oracles.get(a) for a in (primary, fallback) if a is not None]
        return Action(
            bot=self.name, kind=ActionKind.TRIGGER_ORDER,
            key=intent_key(ActionKind.TRIGGER_ORDER, triggers=e.triggers, trigger_id=e.trigger_id),
            target=e.triggers,
            instructions=(ix.update_prices(e.market_index, primary, fallback, ctx.program_id),
                          ix.trigger_order(ctx.authority, self.own_address, e.user, e.market_index, e.trigger_id, others,
                                           ctx.program_id)),
            reward_lamports=reward_lamports(fee, self.config.sol_price_quote),
            expected=frozenset({E.TriggerConditionNotMet, E.TriggerNotFound, E.TriggerPriceNotFresh}),
            urgent=True, simulate_first=False,
            locks=((ActionKind.TRIGGER_ORDER, (e.triggers, e.trigger_id)),),
            basis=(cache.slot_of(cache.market_address(e.market_index)), *(hash(o.data) if o is not None else None for o in oracles)),
            detail={"market": e.market_index, "user": str(e.user), "trigger_id": e.trigger_id, "notional": e.notional},
        )

    def on_result(self, result: ActionResult) -> None:
        if result.landed:
            self.fired += 1


__all__ = ["Eligible", "PredictedPrice", "TriggerBot", "condition_holds", "eligible_triggers", "predicted_prices"]
