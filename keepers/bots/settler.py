"""Settler: apply queued fills, settle funding and PnL past thresholds, close positions of settled markets.

Plans, in order of urgency:
1. ``consume_events`` for every market with queued fills (makers' positions, and every crank that
   needs a drained queue, wait on it) or evictions and expired orders (their owners' reservations wait
   on it: an out event names the owner where a fill names the maker, so both are passed alike);
   ``prune_expired_orders`` for every market whose cached book holds orders past their expiry slot (one
   permissionless instruction; their out events are then consumed like evictions, which releases the
   margin the orders still reserve);
2. ``settle_expired_position`` for each position in a market in Settlement;
3. ``settle_funding`` for users whose accrued funding exceeds ``funding_threshold_quote``;
4. ``settle_pnl`` for positions whose unsettled PnL exceeds ``pnl_threshold_quote`` (a profit only as
   far as the market's PnL pool can pay it).

Fills are consumed as soon as they are queued. Users (2.-4.) are screened once an ``interval_s`` at
most, and only when a user or market account changed or one of the bot's settlements finished since
the last screen: the screen reads nothing else, so it would find nothing new.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from solders.pubkey import Pubkey

from keepers.exchange import instructions as ix
from keepers.bots.base import Bot
from keepers.bots.drain import consume_instructions
from keepers.execution.error_policy import ProgramErrorName as E
from keepers.execution.intents import ActionKind, intent_key
from keepers.exchange.margin import MarketState, Position, pending_funding
from keepers.exchange.mark import order_expired
from keepers.exchange.margin_scan import counted, settlement_screen
from keepers.execution.pipeline import Action, ActionResult
from programs_client.perp.accounts import EventQueue, Market, Orderbook, User
from programs_client.perp.types import market_status

SETTLE_REWARD_LAMPORTS = 10_000
PRUNE_LIMIT = 128  # both sides of a book: the program stops earlier when the event queue is full
_SETTLEMENT = market_status.Settlement.discriminator


def open_positions(user: User) -> Iterator[Position]:
    """The user's positions that hold anything (base, orders, entry or unsettled PnL)."""
    for p in user.positions:
        if counted(p) or p.open_orders:
            yield Position.from_account(p)


def consume_action(bot: str, market_index: int, queue_address: Pubkey, queue: EventQueue, limit: int,
                   program_id: Pubkey) -> Action | None:
    """``consume_events`` for the next ``limit`` fills of a non-empty queue (None when it is empty)."""
    ixs = consume_instructions(market_index, queue, limit, program_id)
    if not ixs:
        return None
    return Action(bot=bot, kind=ActionKind.CONSUME_EVENTS,
                  key=intent_key(ActionKind.CONSUME_EVENTS, market=market_index, seq_num=queue.seq_num, count=queue.count),
                  target=queue_address, instructions=tuple(ixs), reward_lamports=SETTLE_REWARD_LAMPORTS,
                  detail={"market": market_index, "queued": queue.count})


def expired_orders(book: Orderbook | None, slot: int) -> int:
    """How many resting orders of ``book`` are expired in ``slot``."""
    if book is None:
        return 0
    return sum(order_expired(o, slot) for o in (*book.bids[:book.bid_count], *book.asks[:book.ask_count]))


def prune_action(bot: str, market_index: int, book_address: Pubkey, book: Orderbook | None, book_slot: int, slot: int,
                 program_id: Pubkey) -> Action | None:
    """``prune_expired_orders`` of every expired order of ``book`` (read at ``book_slot``) in ``slot``; None when
    none is expired. NothingToPrune (another keeper pruned first, or a taker met them) is a normal answer."""
    expired = expired_orders(book, slot)
    if not expired:
        return None
    kind = ActionKind.PRUNE_EXPIRED_ORDERS
    return Action(bot=bot, kind=kind, key=intent_key(kind, market=market_index, book_slot=book_slot, expired=expired),
                  target=book_address, instructions=(ix.prune_expired_orders(market_index, PRUNE_LIMIT, program_id),),
                  reward_lamports=SETTLE_REWARD_LAMPORTS, expected=frozenset({E.NothingToPrune}),
                  basis=(book_slot, expired), detail={"market": market_index, "expired": expired})


def plan_user_settlements(bot: str, address: Pubkey, user: User, slot: int, markets: Mapping[int, Market],
                          states: Mapping[int, MarketState], market_addresses: Mapping[int, Pubkey],
                          funding_threshold: int, pnl_threshold: int, program_id: Pubkey) -> Action | None:
    """The one settlement ``user`` needs most now, or None (pure).

    Positions in markets that ``markets`` / ``states`` leave out are not settled (a keeper restricted
    to some markets); ``market_addresses`` must hold every market, since ``settle_funding`` reads all
    of a user's markets.
    """
    positions = list(open_positions(user))
    for p in positions:
        m = markets.get(p.market_index)
        if m is not None and m.status.discriminator == _SETTLEMENT and (p.base_amount or p.open_orders):
            kind = ActionKind.SETTLE_EXPIRED_POSITION
            return Action(bot=bot, kind=kind, key=intent_key(kind, user=address, market=p.market_index, slot=slot),
                          target=address, instructions=(ix.settle_expired_position(address, p.market_index, program_id),),
                          reward_lamports=SETTLE_REWARD_LAMPORTS, detail={"market": p.market_index})
    owed = sum(abs(pending_funding(p, states[p.market_index])) for p in positions if p.market_index in states)
    if owed > funding_threshold:
        used = [market_addresses[p.market_index] for p in positions if p.market_index in market_addresses]
        return Action(bot=bot, kind=ActionKind.SETTLE_FUNDING, key=intent_key(ActionKind.SETTLE_FUNDING, user=address, slot=slot),
                      target=address,
                      instructions=(ix.settle_funding(address, used, program_id),), reward_lamports=SETTLE_REWARD_LAMPORTS,
                      detail={"funding": owed})
    for p in positions:
        m = markets.get(p.market_index)
        if m is None or abs(p.unsettled_pnl) <= pnl_threshold:
            continue
        if (p.unsettled_pnl > 0 and m.pnl_pool == 0) or (p.unsettled_pnl < 0 and user.collateral == 0):
            continue  # nothing would move: no pool to pay a profit, no collateral to take a loss from
        kind = ActionKind.SETTLE_PNL
        return Action(bot=bot, kind=kind, key=intent_key(kind, user=address, market=p.market_index, slot=slot), target=address,
                      instructions=(ix.settle_pnl(address, p.market_index, program_id),), reward_lamports=SETTLE_REWARD_LAMPORTS,
                      expected=frozenset({E.ZeroAmount}), detail={"market": p.market_index, "pnl": p.unsettled_pnl})
    return None


class SettlerBot(Bot):
    """Consumes fills and settles funding, PnL and expired markets (see the module docstring)."""

    name = "settler"
    wakes_on = frozenset({"event_queue", "market", "orderbook", "clock"})  # orders expire with the clock
    backlog = False  # the last screen found at least max_in_flight users
    screen_due = True  # something the screen reads changed since the last screen

    def wake(self, kind: str = "") -> None:
        if kind in ("user", "market") and not self.screen_due:
            self.screen_due = True
            kind = ""  # the first change after a screen wakes the bot, which schedules the next screen
        super().wake(kind)

    def on_result(self, result: ActionResult) -> None:
        self.screen_due = True

    async def tick(self) -> None:
        ctx, cfg = self.ctx, self.config
        cache = ctx.cache
        kept = dict(ctx.kept_markets())
        for index, market in kept.items():
            queue = cache.event_queue(index)
            if queue is not None and queue.count:
                action = consume_action(self.name, index, market.event_queue, queue, cfg.consume_limit, ctx.program_id)
                if action is not None:
                    self.submit(action)
            prune = prune_action(self.name, index, market.orderbook, cache.orderbook(index),
                                 cache.slot_of(market.orderbook) or 0, ctx.clock.slot, ctx.program_id)
            if prune is not None:
                self.submit(prune)
        # Users are screened (numpy: planning each in Python would hold the event loop, and the liquidator,
        # ~13 us a user, 1.3 s at 100k) once an interval, not on every fill that wakes this bot; ten times
        # as often while the last screen found more than the in-flight budget (a backlog to work through).
        if self.in_flight >= cfg.max_in_flight or not self.screen_due:
            return  # a finished settlement wakes the bot; so does the next change
        if not self.every("screen", self.interval_s / (10 if self.backlog else 1), defer=True):
            return
        self.screen_due = False
        # Settlements are planned for positions in kept markets only; settle_funding still passes every
        # market the user holds (the program needs them all).
        states = {i: s for i, s in cache.market_states().items() if i in kept}
        addresses = {i: cache.market_address(i) for i in cache.markets}
        settling = [i for i, m in kept.items() if m.status.discriminator == _SETTLEMENT]
        empty_pools = [i for i, m in kept.items() if m.pnl_pool == 0]
        # The most urgent max_in_flight: those already in flight are among them (and refused as busy).
        rows = settlement_screen(cache.columns, kept, states, settling, cfg.funding_threshold_quote,
                                 cfg.pnl_threshold_quote, empty_pools, limit=cfg.max_in_flight)
        self.backlog = len(rows) >= cfg.max_in_flight
        for address in [cache.columns.keys[r] for r in rows]:
            if self.in_flight >= cfg.max_in_flight:
                break
            user = cache.users.get(address)
            if user is None:
                continue
            action = plan_user_settlements(self.name, address, user, cache.slot_of(address) or 0, kept, states,
                                           addresses, cfg.funding_threshold_quote, cfg.pnl_threshold_quote, ctx.program_id)
            if action is not None:
                self.submit(action)


__all__ = ["SettlerBot", "consume_action", "expired_orders", "open_positions", "plan_user_settlements", "prune_action"]
