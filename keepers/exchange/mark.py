"""The mark price ``update_prices`` will set, in Python with the program's integer rounding
(``programs/perp/prices.c``): mark = index + premium EMA, at least one tick.

premium sample = book mid - index, clamped to +-10% of the index (0 without a two-sided book);
EMA += floor((sample - EMA) * w / W), w = seconds since the last update, clamped to [0, W],
W = the funding period. The liquidator values users at this mark before it cranks it.
"""

from __future__ import annotations

from programs_client.perp.accounts import Market, Orderbook
from programs_client.perp.constants import PREMIUM_CLAMP_DIVISOR


def book_premium(book: Orderbook | None, index: int) -> int:
    """Book mid minus ``index``, clamped to +-index/10; 0 without a bid and an ask (``pk_book_premium``)."""
    if book is None or book.bid_count == 0 or book.ask_count == 0:
        return 0
    bid, ask = book.bids[book.bid_count - 1].price, book.asks[book.ask_count - 1].price
    mid = bid // 2 + ask // 2 + (bid & ask & 1)
    cap = index // PREMIUM_CLAMP_DIVISOR
    return max(-cap, min(cap, mid - index))


def next_mark(market: Market, book: Orderbook | None, index: int, now_ts: int) -> int:
    """The mark ``update_prices`` sets at ``now_ts`` when the oracle gives ``index``."""
    if market.index_price == 0:
        return index  # the first update: no premium yet
    window = market.params.funding_period_secs
    w = min(max(now_ts - market.twap_updated_ts, 0), window)
    ema = market.premium_ema + (book_premium(book, index) - market.premium_ema) * w // window
    return max(index + ema, market.params.tick_size)


__all__ = ["book_premium", "next_mark"]
