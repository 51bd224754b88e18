"""The market maker bot: Avellaneda-Stoikov quotes from the keeper's own margin account, requoted atomically.

On each oracle, market, book, queue or account change (and at least every ``interval_s``), per market:
1. read the fair price (``quoting.fair_price``), feed the volatility estimate with the oracle price and the
   intensity estimate and analytics with the market's new fills (the event queue; our fills are
   attributed to the quotes by the order ids the book showed resting, and the client order ids we gave);
2. check the kill switches (``risk.kill_reasons``): any that fires cancels every quote of ours in the
   market and quoting stays off while it holds (the drawdown stop until restart);
3. compute the ladder within the inventory and margin rooms (``quoting.quote_ladder``); when it moved
   past the thresholds from what rests, or ``requote_every_s`` passed, or the quotes near their expiry,
   send ONE transaction: ``cancel_all_orders`` then a post-only ``place_order`` per level, each with
   ``expirySlot`` so the quotes die with the bot;
4. a position past its inventory limit is unwound with reduce-only IOC children on the schedule of
   ``unwind_algo`` (``keepers.execution.algos``).
Orders resting at start (left over from a crash) are cancelled by the first requote, or by a cancel when
quoting is off; ``close`` (the keeper's shutdown on SIGINT/SIGTERM) cancels every quote before the
pipeline closes.

For the simulator: ``MarketMakerBot(ctx, config.bots.market_maker, interval_s, clock)`` on a
``KeeperContext`` over ``InProcessChain``, then ``set_own_account(sub_id)``; or a ``Keeper`` with
``bots=("market_maker", ...)``. ``analytics_report()`` gives the figures as plain dicts.
"""

from __future__ import annotations

import logging
import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from solders.pubkey import Pubkey

from keepers.bots.base import Bot, KeeperContext
from keepers.bots.liquidator import other_markets, positions_of
from keepers.bots.mark_price import oracle_accounts
from keepers.cache import decode as decode_account
from keepers.chain.base import ChainError
from keepers.clock import LIVE, Clock
from keepers.exchange import instructions as ix
from keepers.exchange.margin import MarketState, Position, compute_margin, pending_funding
from keepers.exchange.mark import mark_stale, order_expired
from keepers.exchange.oracles import Selected, select_price
from keepers.exchange.pdas import user_pda
from keepers.execution import compute_budget
from keepers.execution.algos import ScheduleExecutor, shortfall_schedule, twap_schedule, volume_profile, vwap_schedule
from keepers.execution.error_policy import ProgramErrorName as E
from keepers.execution.intents import ActionKind, intent_key
from keepers.execution.pipeline import Action, ActionResult
from keepers.strategies.market_maker.analytics import MakerAnalytics
from keepers.strategies.market_maker.quoting import (
    ArrivalIntensity,
    EwmaVolatility,
    Grid,
    Quote,
    QuoteParams,
    QuoteSet,
    book_imbalance,
    fair_price,
    moved,
    quote_ladder,
)
from keepers.strategies.market_maker.risk import (
    Kill,
    Observation,
    RiskLimits,
    inventory_limit,
    kill_reasons,
    margin_capacity,
    over_limit,
    rooms,
)
from programs_client.perp.accounts import EventQueue, Market, Orderbook, User
from programs_client.perp.constants import BASE_PRECISION, BPS, PRICE_PRECISION, QUEUE_EVENT_FILL, QUOTE_PRECISION
from programs_client.perp.types import order_type, side

log = logging.getLogger("perpkeep.strategies")
LAMPORTS_PER_SOL = 1_000_000_000
EXPIRY_MARGIN = 0.2  # requote when less than this share of a quote's life is left
VWAP_BUCKET_SLOTS = 10
VWAP_FILLS_KEPT = 4096
BID, ASK = 0, 1


def client_order_id(generation: int, side_: int, level: int) -> int:
    """The client order id of a quote: the requote's generation, the side and the level (u64)."""
    return ((generation & 0xFFFF_FFFF_FFFF) << 16) | (side_ << 8) | level


def parse_client_order_id(cid: int) -> tuple[int, int, int]:
    """(generation, side, level) of ``client_order_id``."""
    return cid >> 16, (cid >> 8) & 0xFF, cid & 0xFF


def own_orders(book: Orderbook | None, owner: Pubkey, slot: int) -> list[tuple[int, Any]]:
    """(side, order) of ``owner``'s live orders resting in ``book`` (expired ones left out)."""
    if book is None:
        return []
    out = []
    for s, orders, count in ((BID, book.bids, book.bid_count), (ASK, book.asks, book.ask_count)):
        out += [(s, o) for o in orders[:count] if o.owner == owner and not order_expired(o, slot)]
    return out


def best_other(book: Orderbook | None, owner: Pubkey, slot: int) -> tuple[int | None, int | None]:
    """(best bid, best ask) of the other makers' live orders (each side's best is last)."""
    if book is None:
        return None, None
    out: list[int | None] = []
    for orders, count in ((book.bids, book.bid_count), (book.asks, book.ask_count)):
        out.append(next((o.price for o in reversed(orders[:count]) if o.owner != owner and not order_expired(o, slot)), None))
    return out[0], out[1]


def queued_events(queue: EventQueue | None) -> list[tuple[int, Any]]:
    """(sequence number, record) of every event in the queue, oldest first."""
    if queue is None:
        return []
    size = len(queue.fills)
    first = queue.seq_num - queue.count
    return [(first + j, queue.fills[(queue.head + j) % size]) for j in range(queue.count)]


@dataclass
class MarketQuoting:
    """What the maker keeps per market between ticks."""

    volatility: EwmaVolatility
    intensity: ArrivalIntensity
    analytics: MakerAnalytics = field(default_factory=MakerAnalytics)
    last_seq: int = -1  # the last queue event read
    orders: dict[int, tuple[int, int]] = field(default_factory=dict)  # order id -> (client id, side) seen resting
    quoted_at: float | None = None  # monotonic time of the last requote sent
    expiry_slot: int = 0  # of the quotes last sent
    generation: int = 0
    last_fair: float = 0.0
    last_return_bps: float = 0.0
    last_price: int = 0  # the oracle price last seen
    last_oracle_slot: int = 0
    last_observed: float | None = None
    unwind: ScheduleExecutor | None = None
    unwind_sent: int = 0  # base of the child in flight
    fills: list[tuple[int, int]] = field(default_factory=list)  # (slot, base) of the market's fills, for VWAP
    funding_snapshot: int | None = None  # the cumulative funding of the position's side last seen
    last_desired: QuoteSet | None = None


class MarketMakerBot(Bot):
    """Quotes the configured markets (see the module docstring)."""

    name = "market_maker"
    wakes_on = frozenset({"oracle", "market", "orderbook", "event_queue", "user", "clock"})
    wake_priority = 5  # an oracle move must requote before the other bots' ticks

    def __init__(self, ctx: KeeperContext, config: Any, interval_s: float, clock: Clock = LIVE) -> None:
        super().__init__(ctx, config, interval_s, clock)  # sets ``config``: quoting parameters and limits
        self.own_address: Pubkey | None = None
        self.markets: dict[int, MarketQuoting] = {}
        self.kills: dict[int, set[Kill]] = {}
        self.stopped = False  # the drawdown stop: no quoting until restart
        self.peak_equity: int | None = None
        self.sol_lamports: int | None = None
        self._slot_seen = (-1, 0.0)  # (slot, monotonic time it was first seen)
        self.requotes = 0
        self.shutdown_results: list[ActionResult] = []  # the cancels of the last ``cancel_everything``
        self.sent_at: list[float] = []  # monotonic times requotes were handed to the pipeline (benchmark)
        self.signal: Any = None  # the learned return signal, when policy_dir is set (keepers.strategies.policy)
        if self.config.policy_dir is not None:
            from keepers.strategies.policy import LearnedSignal

            self.signal = LearnedSignal(self.name, self.config, self.ctx.metrics)

    @property
    def config(self) -> Any:
        """The ``[bots.market_maker]`` section; setting it (start, SIGHUP reload, the console) rebuilds the quoting
        parameters and risk limits derived from it, so a new value applies from the next tick."""
        return self._config

    @config.setter
    def config(self, c: Any) -> None:
        self._config = c
        self.params = QuoteParams(gamma=c.gamma, horizon_slots=c.horizon_slots, levels=c.levels,
                                  level_step_bps=c.level_step_bps, base_size=int(c.base_size * BASE_PRECISION),
                                  size_ladder=c.size_ladder, edge_bps=c.edge_bps,
                                  max_order_base=int(c.max_order_base * BASE_PRECISION))
        self.limits = RiskLimits(
            max_inventory_base=int(c.max_inventory_base * BASE_PRECISION),
            max_inventory_notional=int(c.max_inventory_quote * QUOTE_PRECISION),
            max_order_base=int(c.max_order_base * BASE_PRECISION), margin_usage_bps=c.margin_usage_bps,
            min_free_collateral=int(c.min_free_collateral_quote * QUOTE_PRECISION),
            max_drawdown=int(c.max_drawdown_quote * QUOTE_PRECISION), max_oracle_age_slots=c.max_oracle_age_slots,
            max_oracle_conf_bps=c.max_oracle_conf_bps, max_return_bps=c.max_return_bps, max_sigma_bps=c.max_sigma_bps,
            lost_connection_s=c.lost_connection_s, min_sol_lamports=int(c.min_sol * LAMPORTS_PER_SOL))

    def set_own_account(self, sub_id: int) -> None:
        """Quote from the keeper's margin account ``sub_id``."""
        self.own_address = user_pda(self.ctx.authority, sub_id, self.ctx.program_id)

    # -- planning -----------------------------------------------------------------------------------
    def quoted_markets(self) -> list[tuple[int, Market]]:
        """(index, market) of the markets to quote: ``markets`` of the config within those kept."""
        want = set(self.config.markets)
        return [(i, m) for i, m in self.ctx.kept_markets() if not want or i in want]

    def _state(self, index: int) -> MarketQuoting:
        mq = self.markets.get(index)
        if mq is None:
            c = self.config
            prior = (c.volatility_prior_bps / BPS) ** 2
            mq = self.markets[index] = MarketQuoting(
                EwmaVolatility(decay=c.volatility_decay, prior=prior),
                ArrivalIntensity(decay=c.intensity_decay, prior=c.intensity_prior, min_fills=c.intensity_min_fills))
        return mq

    async def tick(self) -> None:
        ctx = self.ctx
        if self.own_address is None:
            self.set_own_account(0)
        now = self.clock.monotonic()
        slot = ctx.clock.slot
        if slot != self._slot_seen[0]:
            self._slot_seen = (slot, now)
        self.tick_within(min(self.interval_s, self.config.lost_connection_s / 2))  # a silent chain is noticed
        if self.every("sol balance", self.config.balance_check_s):
            try:
                self.sol_lamports = await ctx.chain.get_balance(ctx.authority)
            except ChainError as e:
                log.info("[%s] balance read failed: %s", self.name, e, extra={"bot": self.name})
        own = ctx.cache.users.get(self.own_address)
        if own is None:
            if self.every("no account", 60.0):
                ctx.metrics.alert(self.name, "no market maker margin account")
            return
        states = ctx.cache.market_states()
        try:
            margin = compute_margin(own.collateral, positions_of(own), states)
        except ValueError:  # a market without a mark yet
            return
        self.peak_equity = max(self.peak_equity or margin.equity, margin.equity)
        held: set[str] = set()
        for index, market in self.quoted_markets():
            kills = self.plan_market(index, market, own, states, margin.equity, margin.equity - margin.initial_requirement, now)
            held |= {str(k) for k in kills}
        ctx.metrics.market_maker_killed(held, tuple(str(k) for k in Kill))

    def observe(self, index: int, market: Market, equity: int, free: int, now: float) -> tuple[Observation, float | None]:
        """The kill switches' inputs for ``market``, and the oracle price (1e6) when valid."""
        ctx, mq = self.ctx, self._state(index)
        primary, fallback = oracle_accounts(market)
        chosen = select_price(market.oracle, market.params, ctx.clock.slot, ctx.oracles.get(primary),
                              ctx.oracles.get(fallback) if fallback else None, ctx.clock.unix_timestamp)
        price = conf_bps = None
        age = 1 << 30
        if isinstance(chosen, Selected) and chosen.price.price_1e6 > 0:
            price = chosen.price.price_1e6
            conf_bps = chosen.price.conf_1e6 * BPS / price
            age = max(ctx.clock.slot - chosen.price.publish_slot, 0)
            if price != mq.last_price:  # a move, also one republished within the same slot
                if mq.last_price:
                    mq.last_return_bps = math.log(price / mq.last_price) * BPS
                mq.last_price = price
            elif chosen.price.publish_slot > mq.last_oracle_slot:
                mq.last_return_bps = 0.0  # the same price published again: the move is over
            mq.volatility.update(float(price), chosen.price.publish_slot)
            mq.last_oracle_slot = max(mq.last_oracle_slot, chosen.price.publish_slot)
        obs = Observation(
            oracle_valid=price is not None, oracle_age_slots=age, oracle_conf_bps=conf_bps or 0.0,
            last_return_bps=mq.last_return_bps, sigma_bps=math.sqrt(mq.volatility.variance) * BPS,
            silent_s=now - self._slot_seen[1], sol_lamports=self.sol_lamports, equity=equity,
            peak_equity=self.peak_equity or equity, free_collateral=free)
        return obs, price

    def plan_market(self, index: int, market: Market, own: User, states: dict[int, MarketState], equity: int, free: int,
                    now: float) -> set[Kill]:
        """Read, check, and quote, cancel or unwind one market; returns the kill switches holding there."""
        ctx, mq, c = self.ctx, self._state(index), self.config
        slot = ctx.clock.slot
        book = ctx.cache.orderbook(index)
        obs, oracle_price = self.observe(index, market, equity, free, now)
        signal_bps = 0.0
        if self.signal is not None:
            if self.every("policy reload", c.policy_reload_s):
                self.signal.refresh()
            signal_bps = self.signal.bps(index, market, book, oracle_price, slot, self._state(index).analytics.as_dict())
        fair = fair_price(oracle_price or market.index_price, market.mark_price, c.price_source,
                          self.imbalance(book), c.imbalance_skew_bps, signal_bps)
        position = next((p for p in own.positions if p.market_index == index and (p.base_amount or p.open_orders)), None)
        base = self.account(index, market, position, fair, slot, now, book)
        kills = set(kill_reasons(obs, self.limits))
        if Kill.DRAWDOWN in kills:
            if not self.stopped:
                log.warning("[%s] drawdown stop: equity %d is %d below its peak", self.name, equity, obs.peak_equity - equity,
                            extra={"bot": self.name})
            self.stopped = True
        if self.stopped:
            kills.add(Kill.DRAWDOWN)
        self.kills[index] = kills
        resting = own_orders(book, self.own_address, slot)
        for s, o in resting:
            mq.orders[o.order_id] = (o.client_order_id, s)
        if kills or fair <= 0:
            if resting:
                self.cancel(index, ",".join(sorted(kills)) or "no_price")
            return kills
        cap = inventory_limit(self.limits, int(fair))
        self.unwind(index, market, own, base, cap, fair, slot)
        others = [p for p in positions_of(own) if p.market_index != index]
        other_initial = compute_margin(0, others, states).initial_requirement if others else 0
        mcap = margin_capacity(equity, other_initial, market.mark_price or int(fair), market.params.initial_margin_bps,
                               self.limits.margin_usage_bps)
        bid_room, ask_room = rooms(base, cap, mcap)
        best_bid, best_ask = best_other(book, self.own_address, slot)
        desired = quote_ladder(fair, base / cap if cap else 0.0, mq.volatility.variance, mq.intensity.k, self.params,
                               Grid.of(market.params), market.params.taker_fee_bps, market.params.maker_rebate_bps,
                               best_bid, best_ask, bid_room, ask_room)
        mq.last_desired = desired
        current = [Quote("bid" if s == BID else "ask", parse_client_order_id(o.client_order_id)[2], o.price, o.base_amount)
                   for s, o in resting]
        stale = mq.quoted_at is None or now - mq.quoted_at >= c.requote_every_s
        expiring = slot >= mq.expiry_slot - int(c.expiry_slots * EXPIRY_MARGIN)
        if moved(current, desired.quotes, c.requote_price_bps, c.requote_size_share) or stale or (resting and expiring):
            if desired.quotes or resting:
                self.requote(index, own, desired, slot, now)
        return kills

    def imbalance(self, book: Orderbook | None) -> float:
        """Book imbalance over the top ``imbalance_depth`` orders of each side (best last in the arrays)."""
        if book is None or not self.config.imbalance_skew_bps:
            return 0.0
        d = self.config.imbalance_depth
        bids = [o.base_amount for o in book.bids[:book.bid_count][-d:]]
        asks = [o.base_amount for o in book.asks[:book.ask_count][-d:]]
        return book_imbalance(bids, asks)

    def account(self, index: int, market: Market, position: Any, fair: float, slot: int, now: float,
                book: Orderbook | None) -> int:
        """Feed the analytics and the intensity estimate (the fair price, new fills, funding, time); return our
        position including our fills still queued (the program settles a maker's fill when it is consumed)."""
        mq, a = self._state(index), self._state(index).analytics
        if fair > 0:
            a.mark(slot, fair)
        queue = self.ctx.cache.event_queue(index)
        queued_own = 0
        for seq, ev in queued_events(queue):
            if ev.kind != QUEUE_EVENT_FILL:
                continue
            if ev.maker == self.own_address:
                queued_own += ev.base_amount if ev.maker_side.discriminator == side.Bid.discriminator else -ev.base_amount
            if seq <= mq.last_seq:
                continue
            if fair > 0:
                mq.intensity.update(float(ev.price), fair)
            mq.fills.append((slot, ev.base_amount))
            if ev.maker == self.own_address:
                bought = ev.maker_side.discriminator == side.Bid.discriminator
                a.fill(slot, bought, float(ev.price), ev.base_amount, rebate=float(ev.maker_rebate),
                       order_id=ev.maker_order_id)
        if queue is not None:
            mq.last_seq = max(mq.last_seq, queue.seq_num - 1)
        del mq.fills[:-VWAP_FILLS_KEPT]
        base = (position.base_amount if position is not None else 0) + queued_own
        if mq.last_observed is None:
            a.position = base  # what we held before this run: inventory from here on, no fill
        elif base != a.position and fair > 0:  # taker fills (the unwind), or fills consumed before we saw them
            fee = abs(base - a.position) * fair / BASE_PRECISION * market.params.taker_fee_bps / BPS
            a.fill(slot, base > a.position, fair, abs(base - a.position), fee=fee if mq.unwind is not None else 0.0)
        if position is not None and base:
            state = MarketState.from_account(market)
            cum = state.cumulative_funding(base)
            if mq.funding_snapshot is not None:
                a.funded(pending_funding(Position(index, base, last_cumulative_funding=mq.funding_snapshot), state))
            mq.funding_snapshot = cum
        else:
            mq.funding_snapshot = None
        if mq.last_observed is not None:
            cap = inventory_limit(self.limits, int(fair)) if fair > 0 else 0
            quoting = bool(own_orders(book, self.own_address, slot))
            a.observe(now - mq.last_observed, quoting, cap > 0 and abs(base) >= cap)
        mq.last_observed = now
        self.ctx.metrics.set_market_maker(index, a.as_dict())
        return base

    # -- acting -------------------------------------------------------------------------------------
    def _locks(self, index: int) -> tuple[tuple[str, str], ...]:
        return ((self.name, str(index)),)

    def _trade_ixs_markets(self, own: User, index: int) -> list[Pubkey]:
        cache = self.ctx.cache
        addresses = {i: cache.market_address(i) for i in cache.markets}
        return other_markets([own], index, addresses)

    def requote(self, index: int, own: User, desired: QuoteSet, slot: int, now: float) -> bool:
        """Send the cancel-and-replace of ``index`` in one transaction (see the module docstring)."""
        ctx, mq, c = self.ctx, self._state(index), self.config
        me, pid = ctx.authority, ctx.program_id
        others = self._trade_ixs_markets(own, index)
        # A restarted maker starts its generations from the slot, so its client ids never repeat the last run's.
        generation = max(mq.generation + 1, slot << 8)
        expiry = slot + c.expiry_slots
        ixs = []
        market = ctx.cache.markets[index]
        if mark_stale(market, slot):  # the program refuses orders at a stale mark: crank it first
            primary, fallback = oracle_accounts(market)
            ixs.append(ix.update_prices(index, primary, fallback, pid))
        ixs.append(ix.cancel_all_orders(me, self.own_address, index, pid))
        for q in desired.quotes:
            s = BID if q.side == "bid" else ASK
            order = ix.order_args(side.Bid() if s == BID else side.Ask(), q.price, q.base, order_type.PostOnly(),
                                  client_order_id=client_order_id(generation, s, q.level), expiry_slot=expiry)
            ixs.append(ix.place_order(me, self.own_address, index, order, others, pid))
        digest = zlib.crc32(repr([(q.side, q.price, q.base) for q in desired.quotes]).encode())
        cache = ctx.cache
        action = Action(
            bot=self.name, kind=ActionKind.MM_REQUOTE,
            key=intent_key(ActionKind.MM_REQUOTE, market=index, book_slot=self._book_slot(index),
                           user_slot=cache.slot_of(self.own_address), quotes=f"{digest:08x}"),
            target=self.own_address, instructions=tuple(ixs), locks=self._locks(index), simulate_first=False, urgent=True,
            effect=self._book_seen(index), basis=self.basis(index), extra_units=self._cancel_all_extra_units(index),
            expected=frozenset({E.PostOnlyWouldCross, E.InsufficientMargin, E.ExpiryInPast, E.MissingMarketAccount,
                                E.MarkStale, E.OracleStale, E.OracleConfidenceTooWide, E.OracleDivergence}),
            detail={"market": index, "orders": len(desired.quotes), "generation": generation, "expiry_slot": expiry,
                    "fair": round(desired.fair), "half_spread_bps": round(desired.half_spread * BPS, 2)},
        )
        if not self.submit(action):
            return False
        mq.generation, mq.quoted_at, mq.expiry_slot = generation, now, expiry
        mq.analytics.placed(len(desired.quotes))
        self.requotes += 1
        self.sent_at.append(now)
        ctx.metrics.market_maker_requoted(index)
        return True

    def basis(self, index: int) -> tuple[object, ...]:
        """What a requote of ``index`` depends on: the slots the cache read the book, our account and the market
        at, and the oracle data. After a failure that is a normal answer, it is not sent again until one changed."""
        cache = self.ctx.cache
        market = cache.markets[index]
        oracles = [self.ctx.oracles.get(a) for a in oracle_accounts(market) if a is not None]
        return (self._book_slot(index), cache.slot_of(self.own_address), cache.slot_of(cache.market_address(index)),
                *(hash(o.data) if o is not None else None for o in oracles))

    def _book_seen(self, index: int) -> Callable[[int], bool]:
        """The effect a requote or cancel must show before the next plan: the book as of its landing slot (the
        user account may arrive first, and a plan on the older book would requote again)."""
        return lambda landed: (self._book_slot(index) or -1) >= landed

    def _book_slot(self, index: int) -> int | None:
        market = self.ctx.cache.markets.get(index)
        return None if market is None else self.ctx.cache.slot_of(market.orderbook)

    def _cancel_all_extra_units(self, index: int) -> int:
        """What a cancel-all of ours in ``index`` needs beyond the table's case: for the orders the cache shows
        resting, or a whole ladder if more (the cache may not have seen the last requote land yet)."""
        resting = len(own_orders(self.ctx.cache.orderbook(index), self.own_address, self.ctx.clock.slot)) \
            if self.own_address is not None else 0
        return compute_budget.cancel_all_extra_units(max(resting, 2 * self.config.levels))

    def cancel_action(self, index: int, reason: str) -> Action:
        """Cancel every order of ours in ``index`` (one transaction)."""
        ctx = self.ctx
        return Action(
            bot=self.name, kind=ActionKind.MM_CANCEL,
            key=intent_key(ActionKind.MM_CANCEL, market=index, book_slot=self._book_slot(index),
                           user_slot=ctx.cache.slot_of(self.own_address), reason=reason),
            target=self.own_address, instructions=(ix.cancel_all_orders(ctx.authority, self.own_address, index, ctx.program_id),),
            locks=self._locks(index), simulate_first=False, urgent=True, effect=self._book_seen(index),
            extra_units=self._cancel_all_extra_units(index), detail={"market": index, "reason": reason},
        )

    def cancel(self, index: int, reason: str) -> bool:
        """Pull every quote of ours in ``index`` because of ``reason``."""
        mq = self._state(index)
        if self.submit(self.cancel_action(index, reason)):
            mq.quoted_at = None
            return True
        return False

    def unwind(self, index: int, market: Market, own: User, base: int, cap: int, fair: float, slot: int) -> None:
        """Send the due child of the unwind of the position beyond ``cap`` (reduce-only IOC through the fair price)."""
        mq, c, p = self._state(index), self.config, market.params
        excess = over_limit(base, cap)
        if excess == 0:
            mq.unwind = None
            return
        if mq.unwind is None or mq.unwind.finished:
            total = abs(excess) + (-abs(excess)) % p.lot_size
            if c.unwind_algo == "vwap":
                bucket = slot // VWAP_BUCKET_SLOTS
                children = vwap_schedule(total, volume_profile(mq.fills, VWAP_BUCKET_SLOTS, c.unwind_slices), p.lot_size,
                                         bucket % c.unwind_slices)
            elif c.unwind_algo == "shortfall":
                # price volatility per slot in quote units; temporary impact 1 quote per base per slot: the
                # trajectory's shape is set by unwind_risk_aversion * sigma^2 / eta
                sigma = math.sqrt(mq.volatility.variance) * fair / PRICE_PRECISION
                children = shortfall_schedule(total, c.unwind_slices, p.lot_size, float(c.unwind_interval_slots), sigma,
                                              eta=1.0, risk_aversion=c.unwind_risk_aversion)
            else:
                children = twap_schedule(total, c.unwind_slices, p.lot_size)
            mq.unwind = ScheduleExecutor(children, c.unwind_interval_slots, slot)
        size = min(mq.unwind.due(slot), abs(base))
        if size < p.min_order_size:
            nxt = mq.unwind.next_slot()
            if size:
                mq.unwind.filled(size, 0)
            if nxt is not None:
                self.tick_within(self.interval_s)
            return
        selling = base > 0
        band = fair * c.unwind_band_bps / BPS
        limit = fair - band if selling else fair + band
        tick = p.tick_size
        price = max(int(limit // tick) * tick, tick) if selling else int(-(-limit // tick)) * tick
        order = ix.order_args(side.Ask() if selling else side.Bid(), price, size, order_type.ImmediateOrCancel(), reduce_only=True)
        ctx = self.ctx
        action = Action(
            bot=self.name, kind=ActionKind.MM_UNWIND,
            key=intent_key(ActionKind.MM_UNWIND, market=index, user_slot=ctx.cache.slot_of(self.own_address),
                           child=mq.unwind.sent),
            target=self.own_address,
            # our resting asks (bids) count against a reduce-only sell (buy): the quotes go first, requoted next tick
            instructions=(ix.cancel_all_orders(ctx.authority, self.own_address, index, ctx.program_id),
                          ix.place_order(ctx.authority, self.own_address, index, order, self._trade_ixs_markets(own, index),
                                         ctx.program_id)),
            locks=self._locks(index), effect=self._book_seen(index), extra_units=self._cancel_all_extra_units(index),
            expected=frozenset({E.ReduceOnlyViolated, E.OrderPriceOutOfBand, E.ReduceOnlyWorseThanLiquidation}),
            detail={"market": index, "base": size, "algo": c.unwind_algo, "child": mq.unwind.sent},
        )
        if self.submit(action):
            mq.unwind_sent = size
        else:
            mq.unwind.sent -= 1  # not sent: due again next tick
            mq.unwind.history.pop()

    def on_result(self, result: ActionResult) -> None:
        a = result.action
        if a.kind == ActionKind.MM_UNWIND:
            mq = self.markets.get(a.detail["market"])
            if mq is not None and mq.unwind is not None:
                # what filled shows in the position at the next tick; count the child as sent in full or not at all
                mq.unwind.filled(a.detail["base"], a.detail["base"] if result.landed else 0)

    # -- reporting and shutdown ---------------------------------------------------------------------
    def analytics_report(self) -> dict[int, dict[str, Any]]:
        """The analytics of every quoted market as plain dicts (for the simulator's report)."""
        return {i: dict(mq.analytics.as_dict(), requotes_generation=mq.generation,
                        kills=sorted(str(k) for k in self.kills.get(i, ())))
                for i, mq in sorted(self.markets.items())}

    async def cancel_everything(self, reason: str, timeout_s: float = 10.0, attempts: int = 3) -> list[ActionResult]:
        """Cancel our orders in every quoted market where we quoted in this run or the cache shows some, and
        wait (bounded) for the outcomes, sending again (a fresh intent) what did not land.

        The cache is not trusted to say nothing rests (its book may lag behind our last requote), and the
        cancel takes a lock of its own: the stale hold after our last landing must not refuse it."""
        ctx = self.ctx
        if self.own_address is None:
            return []
        results = []
        deadline = self.clock.monotonic() + timeout_s
        for index, _ in self.quoted_markets():
            mq = self.markets.get(index)
            if not (mq is not None and mq.generation) and not own_orders(ctx.cache.orderbook(index), self.own_address,
                                                                         ctx.clock.slot):
                continue
            for attempt in range(attempts):
                action = replace(self.cancel_action(index, f"{reason}-{attempt}"), locks=((self.name, f"{reason}:{index}"),),
                                 effect=None)
                left = deadline - self.clock.monotonic()
                if left <= 0:
                    break
                try:
                    result = await self.clock.wait_for(ctx.pipeline.submit(action), left)
                except TimeoutError:
                    log.warning("[%s] cancel at %s timed out in market %d", self.name, reason, index, extra={"bot": self.name})
                    break
                results.append(result)
                if result.landed and not await self._still_resting(index, left):
                    break
        self.shutdown_results = results
        return results

    async def _still_resting(self, index: int, timeout_s: float) -> bool:
        """Whether a fresh read of the chain (not the cache, which lags) still shows orders of ours in
        ``index`` after a cancel landed: a requote sent before it (its sender cancelled at shutdown) may
        have landed after it. An unreadable book counts as clear: the quotes' expiry slot retires them."""
        ctx = self.ctx
        market = ctx.cache.markets.get(index)
        if market is None or self.own_address is None:
            return False
        try:
            acc = await self.clock.wait_for(ctx.chain.get_account(market.orderbook), max(timeout_s, 0.1))
        except (ChainError, TimeoutError) as e:
            log.warning("[%s] could not check market %d's book after the cancel: %s", self.name, index, e,
                        extra={"bot": self.name})
            return False
        decoded = decode_account(bytes(acc.data)) if acc is not None and acc.owner == ctx.program_id else None
        book = decoded[1] if decoded is not None and decoded[0] == "orderbook" else None
        return bool(own_orders(book, self.own_address, ctx.clock.slot))

    async def close(self) -> None:
        """Cancel in-flight actions, then every resting quote (the keeper's shutdown, SIGINT/SIGTERM)."""
        await super().close()
        try:
            await self.cancel_everything("shutdown")
        except Exception:  # noqa: BLE001 - shutdown goes on; the quotes' expiry slot retires them anyway
            log.exception("[%s] cancel at shutdown failed", self.name, extra={"bot": self.name})

    def health(self) -> dict[str, Any]:
        out = super().health()
        out.update(requotes=self.requotes, stopped=self.stopped,
                   kills={str(i): sorted(str(k) for k in ks) for i, ks in self.kills.items() if ks})
        return out


__all__ = ["MarketMakerBot", "MarketQuoting", "best_other", "client_order_id", "own_orders", "parse_client_order_id",
           "queued_events"]
