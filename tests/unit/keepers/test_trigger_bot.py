"""The trigger bot's planning: which stored trigger orders hold at a predicted price, in which order.

``eligible_triggers`` (a pass over every slot) is the reference, worked out by hand on small cases;
``TriggerIndex`` (sorted lists updated one account at a time, what the bot uses) must agree with it on
random accounts, through updates and removals.
"""

from __future__ import annotations

import random

import pytest
from solders.pubkey import Pubkey

from keepers.bots.trigger import PredictedPrice, TriggerIndex, condition_holds, eligible_triggers
from programs_client.perp.accounts import TriggerOrders
from programs_client.perp.constants import BASE_PRECISION as B, PRICE_PRECISION as P, TRIGGER_ORDER_SLOTS
from programs_client.perp.types import side, trigger_condition, trigger_kind, trigger_price_source
from programs_client.perp.types.trigger_order import TriggerOrder

ABOVE, BELOW = trigger_condition.Above(), trigger_condition.Below()
MARK, ORACLE = trigger_price_source.Mark(), trigger_price_source.Oracle()


def order(trigger_id: int, price: int, condition: object, source: object = MARK, base: int = B, market: int = 0) -> TriggerOrder:
    return TriggerOrder(trigger_id, price, 0, base, market, side.Bid(), trigger_kind.StopMarket(), condition, source,
                        False, False, [0] * 8)


def account(user: Pubkey, orders: list[TriggerOrder]) -> TriggerOrders:
    empty = order(0, 0, ABOVE)
    return TriggerOrders(user, 100, len(orders), 255, [0] * 6, orders + [empty] * (TRIGGER_ORDER_SLOTS - len(orders)))


@pytest.mark.parametrize("condition,price,trigger,holds", [
    (ABOVE, 100, 100, True), (ABOVE, 101, 100, True), (ABOVE, 99, 100, False),
    (BELOW, 100, 100, True), (BELOW, 99, 100, True), (BELOW, 101, 100, False),
])
def test_condition_is_inclusive(condition: object, price: int, trigger: int, holds: bool) -> None:
    assert condition_holds(condition.discriminator, price, trigger) is holds  # type: ignore[attr-defined]


def test_eligible_by_source_and_largest_first() -> None:
    a, b = Pubkey.new_unique(), Pubkey.new_unique()
    ua, ub = Pubkey.new_unique(), Pubkey.new_unique()
    accounts = {
        a: account(ua, [order(1, 95 * P, BELOW, base=B),            # mark 94 <= 95: holds, notional 94
                        order(2, 93 * P, BELOW),                     # 94 > 93: no
                        order(3, 97 * P, BELOW, ORACLE, base=3 * B),  # oracle 96 <= 97: holds, notional 3 * 94
                        order(4, 95 * P, BELOW, ORACLE)]),           # 96 > 95: no
        b: account(ub, [order(7, 94 * P, ABOVE, base=2 * B),        # 94 >= 94: holds, notional 188
                        order(8, 95 * P, ABOVE),                     # no
                        order(9, 90 * P, BELOW, market=1)]),         # market 1 has no prediction: no
    }
    prices = {0: PredictedPrice(index=96 * P, mark=94 * P)}
    found = eligible_triggers(accounts, prices)
    assert [(e.triggers, e.trigger_id, e.notional) for e in found] == [
        (a, 3, 282 * P), (b, 7, 188 * P), (a, 1, 94 * P)]
    assert [e.user for e in found] == [ua, ub, ua]
    index = TriggerIndex()
    for address, acc in accounts.items():
        index.update(address, acc)
    assert index.eligible(prices) == found


def test_index_agrees_with_the_reference_through_updates_and_removals() -> None:
    rng = random.Random(3)
    index, accounts = TriggerIndex(), {}
    keys = [Pubkey.new_unique() for _ in range(20)]
    for step in range(300):
        key = rng.choice(keys)
        if rng.random() < 0.15:
            accounts.pop(key, None)
            index.update(key, None)
        else:
            orders = [order(k + 1, rng.randrange(90, 111) * P, rng.choice([ABOVE, BELOW]), rng.choice([MARK, ORACLE]),
                            rng.randrange(1, 5) * B, rng.randrange(2)) for k in range(rng.randrange(0, TRIGGER_ORDER_SLOTS + 1))]
            accounts[key] = account(Pubkey.new_unique(), orders)
            index.update(key, accounts[key])
        prices = {m: PredictedPrice(rng.randrange(90, 111) * P, rng.randrange(90, 111) * P) for m in range(2)}
        assert index.eligible(prices) == eligible_triggers(accounts, prices), step
    assert len(index) == sum(1 for acc in accounts.values() for o in acc.orders if o.trigger_id)
