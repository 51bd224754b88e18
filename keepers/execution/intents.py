"""The keeper's action kinds and the journal key of each kind's intent, defined once.

A journal key names an intent: the pipeline never does the same key twice, also across restarts, so
a key must name the state the action was planned from (a new state brings a new key) and must not
change between releases (a restarted keeper would repeat work the previous one finished). Every key
is ``prefix:field:field...``; ``KEY_FORMATS`` holds each kind's prefix and fields, and ``intent_key``
is the only place a key is put together. ``ActionKind`` is a ``StrEnum``: the journal stores, and the
metrics label, exactly the text they did before it existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ActionKind(StrEnum):
    """What the keeper's bots do on chain (the pipeline's ``Action.kind``, journal column ``kind``)."""

    UPDATE_PRICES = "update_prices"
    UPDATE_FUNDING = "update_funding"
    CONSUME_EVENTS = "consume_events"
    PRUNE_EXPIRED_ORDERS = "prune_expired_orders"
    SETTLE_FUNDING = "settle_funding"
    SETTLE_PNL = "settle_pnl"
    SETTLE_EXPIRED_POSITION = "settle_expired_position"
    LIQUIDATE_PERP = "liquidate_perp"
    CANCEL_STALE_ORDERS = "cancel_stale_orders"
    DERISK = "derisk"
    RESOLVE_BANKRUPTCY = "resolve_bankruptcy"
    SETTLE_REVENUE = "settle_revenue"
    TRIGGER_ORDER = "trigger_order"
    MM_REQUOTE = "mm_requote"
    MM_CANCEL = "mm_cancel"
    MM_UNWIND = "mm_unwind"
    ARB_LEGS = "arb_legs"
    ARB_HEDGE = "arb_hedge"
    ARB_UNWIND = "arb_unwind"


@dataclass(frozen=True)
class KeyFormat:
    """A kind's journal key: ``prefix`` then each of ``fields`` in order, joined by ``:``."""

    prefix: str
    fields: tuple[str, ...]


KEY_FORMATS: dict[ActionKind, KeyFormat] = {
    ActionKind.UPDATE_PRICES: KeyFormat("update_prices", ("market", "price_slot")),
    ActionKind.UPDATE_FUNDING: KeyFormat("update_funding", ("market", "funding_ts")),
    ActionKind.CONSUME_EVENTS: KeyFormat("consume_events", ("market", "seq_num", "count")),
    # the book as read (its slot) and how many of its orders had expired then: time alone expires more
    ActionKind.PRUNE_EXPIRED_ORDERS: KeyFormat("prune_expired", ("market", "book_slot", "expired")),
    ActionKind.SETTLE_FUNDING: KeyFormat("settle_funding", ("user", "slot")),
    ActionKind.SETTLE_PNL: KeyFormat("settle_pnl", ("user", "market", "slot")),
    # Shorter prefixes than the kind: the keys journals already hold.
    ActionKind.SETTLE_EXPIRED_POSITION: KeyFormat("settle_expired", ("user", "market", "slot")),
    ActionKind.LIQUIDATE_PERP: KeyFormat("liquidate", ("user", "market", "slot", "mark")),
    ActionKind.CANCEL_STALE_ORDERS: KeyFormat("cancel_stale_orders", ("user", "market", "slot", "mark")),
    ActionKind.DERISK: KeyFormat("derisk", ("market", "slot")),
    ActionKind.RESOLVE_BANKRUPTCY: KeyFormat("resolve_bankruptcy", ("user", "market", "slot")),
    ActionKind.SETTLE_REVENUE: KeyFormat("settle_revenue", ("market", "last_settle_ts")),
    # A trigger id is never reused in its account: the key names the one firing of that order.
    ActionKind.TRIGGER_ORDER: KeyFormat("trigger", ("triggers", "trigger_id")),
    # The market maker's: the book and account as read, and what it wants (a digest of the quotes), so the
    # same plan from the same state is never sent twice, also by a restarted maker.
    ActionKind.MM_REQUOTE: KeyFormat("mm_requote", ("market", "book_slot", "user_slot", "quotes")),
    ActionKind.MM_CANCEL: KeyFormat("mm_cancel", ("market", "book_slot", "user_slot", "reason")),
    ActionKind.MM_UNWIND: KeyFormat("mm_unwind", ("market", "user_slot", "child")),
    # The arbitrage bot's: an opportunity's program legs (one transaction) named by the books they were sized
    # on and a digest of the legs; its venue hedge by the legs' key; an orphan's unwind child by the hedge.
    ActionKind.ARB_LEGS: KeyFormat("arb_legs", ("strategy", "books", "legs")),
    ActionKind.ARB_HEDGE: KeyFormat("arb_hedge", ("legs",)),
    ActionKind.ARB_UNWIND: KeyFormat("arb_unwind", ("hedge", "child")),
}


def intent_key(kind: ActionKind, **fields: object) -> str:
    """The journal key of a ``kind`` intent from its fields (exactly those of ``KEY_FORMATS[kind]``).

    Raises ``ValueError`` when a field is missing or unknown, so that two call sites cannot build
    one kind's key two ways.
    """
    fmt = KEY_FORMATS[kind]
    if set(fields) != set(fmt.fields):
        raise ValueError(f"{kind} key needs fields {', '.join(fmt.fields)}; got {', '.join(sorted(fields)) or 'none'}")
    return ":".join([fmt.prefix, *(str(fields[name]) for name in fmt.fields)])


__all__ = ["KEY_FORMATS", "ActionKind", "KeyFormat", "intent_key"]
