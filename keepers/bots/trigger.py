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
transaction per order in flight; a landing counts once the cache shows the order gone (``Action.effect``). Its ``basis`` is the market account's slot and the oracle data: a
``TriggerConditionNotMet`` (the prediction lost a race with the price) is an expected answer, not
alerted and not retried until the price moved. The fee the program pays goes to the keeper's margin
account (``keeper.sub_id``), which must exist: without it nothing is fired and one alert is raised.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Container, Iterator, Mapping
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
_ABOVE, _BELOW = trigger_condition.Above.discriminator, trigger_condition.Below.discriminator
_MARK, _ORACLE = trigger_price_source.Mark.discriminator, trigger_price_source.Oracle.discriminator


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


_Entry = tuple[int, bytes, int, int, Pubkey, Pubkey]  # trigger price, account bytes, id, base, account, user
_PAST_ALL = b"\xff" * 33  # sorts after every account's bytes at equal trigger price


class TriggerIndex:
    """The stored trigger orders by (market, price source, condition), sorted by trigger price, kept up to
    date one TriggerOrders account at a time: finding the eligible ones is a bisection per list instead
    of a pass over every slot of every account (10k triggers: ~10 ms in Python at every price tick).
    ``eligible`` returns what ``eligible_triggers`` does on the same accounts."""

    def __init__(self) -> None:
        self._of: dict[Pubkey, list[tuple[tuple[int, int, int], _Entry]]] = {}
        self._lists: defaultdict[tuple[int, int, int], list[_Entry]] = defaultdict(list)

    def __len__(self) -> int:
        return sum(len(v) for v in self._of.values())

    def update(self, address: Pubkey, account: TriggerOrders | None) -> None:
        """Index ``account`` (None: it was closed) in place of what ``address`` held before."""
        for key, entry in self._of.pop(address, []):
            lst = self._lists[key]
            del lst[bisect_left(lst, entry)]
        if account is None:
            return
        raw, rows = bytes(address), []
        for o in account.orders:
            if o.trigger_id:
                key = (o.market_index, o.price_source.discriminator, o.condition.discriminator)
                entry = (o.trigger_price, raw, o.trigger_id, o.base_amount, address, account.user)
                lst = self._lists[key]
                lst.insert(bisect_left(lst, entry), entry)
                rows.append((key, entry))
        if rows:
            self._of[address] = rows

    def _holding(self, key: tuple[int, int, int], price: int) -> Iterator[_Entry]:
        lst = self._lists.get(key)
        if not lst:
            return iter(())
        if key[2] == _ABOVE:  # fires at price >= trigger: the triggers at or under the price
            return iter(lst[: bisect_right(lst, (price, _PAST_ALL))])
        return iter(lst[bisect_left(lst, (price,)):])  # below: fires at price <= trigger

    def eligible(self, prices: Mapping[int, PredictedPrice]) -> list[Eligible]:
        """Every indexed trigger order whose condition holds at ``prices``, largest notional first."""
        found = []
        for m, p in prices.items():
            for source, price in ((_MARK, p.mark), (_ORACLE, p.index)):
                for condition in (_ABOVE, _BELOW):
                    for _, _, trigger_id, base, address, user in self._holding((m, source, condition), price):
                        found.append(Eligible(address, user, trigger_id, m, base * p.mark // BASE_PRECISION))
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
        self.index = TriggerIndex()
        for address, account in self.ctx.cache.trigger_orders.items():
            self.index.update(address, account)
        self._unsubscribe = self.ctx.cache.subscribe(self._on_cache_change)

    def _on_cache_change(self, kind: str, pubkey: Pubkey) -> None:
        if kind == "trigger_orders":
            self.index.update(pubkey, self.ctx.cache.trigger_orders.get(pubkey))

    def set_own_account(self, sub_id: int) -> None:
        """Receive trigger fees in the keeper's margin account ``sub_id``."""
        self.own_address = user_pda(self.ctx.authority, sub_id, self.ctx.program_id)

    async def tick(self) -> None:
        ctx, cache = self.ctx, self.ctx.cache
        if not cache.trigger_orders:
            return
        prices = predicted_prices(cache.markets, {i: cache.orderbook(i) for i in cache.markets}, ctx.oracles,
                                  ctx.clock.slot, ctx.clock.unix_timestamp, ctx.kept)
        found = self.index.eligible(prices)
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

        def fired(slot: int) -> bool:  # the landing shows: the account, read at or after it, no longer holds the order
            seen, acc = cache.slot_of(e.triggers), cache.trigger_orders.get(e.triggers)
            return seen is None or (seen >= slot and (acc is None or all(o.trigger_id != e.trigger_id for o in acc.orders)))

        return Action(
            bot=self.name, kind=ActionKind.TRIGGER_ORDER,
            key=intent_key(ActionKind.TRIGGER_ORDER, triggers=e.triggers, trigger_id=e.trigger_id),
            target=e.triggers,
            instructions=(ix.update_prices(e.market_index, primary, fallback, ctx.program_id),
                          ix.trigger_order(ctx.authority, self.own_address, e.user, e.market_index, e.trigger_id, others,
                                           ctx.program_id)),
            reward_lamports=reward_lamports(fee, self.config.sol_price_quote),
            expected=frozenset({E.TriggerConditionNotMet, E.TriggerNotFound, E.TriggerPriceNotFresh}),
            urgent=True, simulate_first=False,  # sized by the table's worst case: a fire crossing 16 makers
            locks=((ActionKind.TRIGGER_ORDER, (e.triggers, e.trigger_id)),),
            basis=(cache.slot_of(cache.market_address(e.market_index)), *(hash(o.data) if o is not None else None for o in oracles)),
            detail={"market": e.market_index, "user": str(e.user), "trigger_id": e.trigger_id, "notional": e.notional},
            effect=fired,
        )

    async def close(self) -> None:
        self._unsubscribe()
        await super().close()

    def on_result(self, result: ActionResult) -> None:
        if result.landed:
            self.fired += 1


__all__ = ["Eligible", "PredictedPrice", "TriggerBot", "TriggerIndex", "condition_holds", "eligible_triggers", "predicted_prices"]
