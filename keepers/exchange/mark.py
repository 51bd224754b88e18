"""The mark price ``update_prices`` will set, in Python with the program's integer rounding
(``programs/perp/prices.c``): mark = index + premium EMA, at least one tick.

premium sample = book mid - index, clamped to +-10% of the index, the mid of the best bid and ask among
resting orders only (order id below ``Market.premium_order_id_limit``, not expired at the crank's slot; 0
without such a bid and ask);
EMA += floor((sample - EMA) * w / W), W = the funding period, w = seconds since the last update clamped to
[0, W], and 0 within the slot of the last update.
The liquidator values users at this mark before it cranks it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from programs_client.perp.accounts import Market, Orderbook
from programs_client.perp.constants import PREMIUM_CLAMP_DIVISOR


def order_expired(order: Any, slot: int) -> bool:
    """Whether a resting order is expired in ``slot`` (``pk_order_expired``: its expiry slot itself is live)."""
    return order.expiry_slot != 0 and slot > order.expiry_slot


def _resting_best(orders: Sequence[Any], count: int, limit: int, slot: int) -> int:
    """The best price (orders best last) among ids below ``limit`` not expired in ``slot``; 0 without one
    (``pk_resting_best``)."""
    for o in reversed(orders[:count]):
        if o.order_id < limit and not order_expired(o, slot):
            return o.price
    return 0


def book_premium(book: Orderbook | None, index: int, limit: int, slot: int) -> int:
    """Resting book mid minus ``index``, clamped to +-index/10; 0 without a resting bid and ask (``pk_book_premium``).

    ``limit``: ``Market.premium_order_id_limit``; orders with an id at or above it have not rested yet, and
    orders expired in ``slot`` (the crank's) no longer rest.
    """
    if book is None:
        return 0
    bid = _resting_best(book.bids, book.bid_count, limit, slot)
    ask = _resting_best(book.asks, book.ask_count, limit, slot)
    if bid == 0 or ask == 0:
        return 0
    mid = bid // 2 + ask // 2 + (bid & ask & 1)
    cap = index // PREMIUM_CLAMP_DIVISOR
    return max(-cap, min(cap, mid - index))


def premium_weight(market: Market, now_ts: int, slot: int) -> int:
    """Seconds of weight one crank at (``now_ts``, ``slot``) gives the premium sample (see the module docstring)."""
    window = market.params.funding_period_secs
    if slot == market.last_price_update_slot:
        return 0
    return min(max(now_ts - market.twap_updated_ts, 0), window)


def next_mark(market: Market, book: Orderbook | None, index: int, now_ts: int, slot: int) -> int:
    """The mark ``update_prices`` sets at ``now_ts`` in ``slot`` when the oracle gives ``index``."""
    if market.index_price == 0:
        return index  # the first update: no premium yet
    window = market.params.funding_period_secs
    sample = book_premium(book, index, market.premium_order_id_limit, slot)
    ema = market.premium_ema + (sample - market.premium_ema) * premium_weight(market, now_ts, slot) // window
    return max(index + ema, market.params.tick_size)


def mark_stale(market: Market, slot: int) -> bool:
    """Whether ``market``'s mark is too old for the actions that let risk grow (``pk_compute_margin``'s
    ``mark_stale``): withdraw, non-reduce-only orders and liquidations refuse it with MarkStale."""
    return slot > market.last_price_update_slot and slot - market.last_price_update_slot > market.params.oracle_max_staleness_slots


__all__ = ["book_premium", "mark_stale", "next_mark", "order_expired", "premium_weight"]
