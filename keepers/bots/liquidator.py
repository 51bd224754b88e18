"""Liquidator: find under-margined users from the cache, take over their positions, derisk, resolve bankruptcies.

On each change that can move a margin (an oracle, market or user account, the chain's clock, which
ages oracles and moves the predicted mark), and on nothing else:
1. value every user at the mark each market will have once its latest oracle price is cranked
   (``predicted_states``), with the vectorised scan over the cache's user columns, confirmed exactly;
2. for the liquidatable users, largest shortfall first, take over their largest position, sized by
   the program's own rule and capped by the part of our free collateral we may use
   (``max_margin_usage_bps``), budgeting that collateral across the plans of one tick; when the
   oracle moved since the last crank, or the mark is too old for the program (``mark_stale``), the
   liquidation's transaction cranks ``update_prices`` first; a market whose stale mark cannot be
   cranked (no valid oracle) is not liquidated in (the program refuses it with MarkStale);
3. cancel, with liquidate_perp and no base to take over, the resting orders of every user that they
   could take below maintenance (``plan_order_cancellations``): stale orders of a crashed maker are
   otherwise free options for whoever fills them, and the insurance fund pays the maker's deficit;
4. derisk what we took over with reduce-only IOC slices against the book (the geometric schedule of
   ``keepers.execution.algos.reduce_slice``);
5. resolve the bankruptcies our liquidations leave behind.

Every decision not to act on a liquidatable user is counted by reason (``SkipReason``; metric
``perpkeep_liquidation_skips``, and a log line per reason at most every ``SKIP_LOG_EVERY_S``). A
liquidation names its ``basis`` (the slots of the user's and the market's accounts and the oracle
data): after it fails as expected (``NotLiquidatable``), the user is not tried again until one of them
changed. A user whose shortfall is within ``SIMULATE_BAND_BPS`` of its maintenance requirement is
simulated first: the prediction of the next mark may be off by that much, and a failure pays a fee.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Container, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from solana.constants import LAMPORTS_PER_SOL
from solders.pubkey import Pubkey

from keepers.exchange import instructions as ix
from keepers.bots.bankruptcy import bankruptcy_actions
from keepers.bots.base import Bot
from keepers.bots.mark_price import oracle_accounts, oracle_basis
from keepers.cache import AccountCache
from keepers.execution.algos import reduce_slice as derisk_size  # the derisking schedule: a share of what is left each slice
from keepers.execution.error_policy import ProgramErrorName as E
from keepers.execution.intents import ActionKind, intent_key
from keepers.exchange.margin import (
    Margin,
    MarketState,
    Position,
    compute_margin,
    liquidation_prices,
    liquidation_quotes,
    liquidation_size,
    through_mark_loss,
)
from keepers.exchange.margin_scan import Candidate, counted, exact_margin, flat, liquidatable, scan
from keepers.exchange.mark import mark_stale, next_mark
from keepers.exchange.oracles import RawAccount, Selected, select_price
from keepers.exchange.pdas import user_pda
from keepers.execution.pipeline import Action, ActionResult, ActionStatus
from programs_client.perp.accounts import Market, Orderbook, User
from programs_client.perp.constants import BASE_PRECISION, BPS
from programs_client.perp.types import order_type, side


def reward_lamports(reward_quote: int, sol_price_quote: int) -> int:
    """A reward in quote units (1e-6 of the collateral) as lamports, at a SOL price of ``sol_price_quote``
    quote units (``bots.liquidator.sol_price_quote``): the fee policy weighs it against the priority fee."""
    return reward_quote * LAMPORTS_PER_SOL // sol_price_quote


DERISK_PRICE_BAND_BPS = 500  # IOC slices cross the book up to 5% away from the mark
DERISK_MIN_INTERVAL_S = 2.0
SIMULATE_BAND_BPS = 200  # simulate a liquidation first when the shortfall is below 2% of the maintenance requirement
SKIP_LOG_EVERY_S = 30.0

log = logging.getLogger("perpkeep.bots")


class SkipReason(StrEnum):
    """Why the liquidator did not act on a user the scan found liquidatable (the metric's label)."""

    OWN_ACCOUNT = "own_account"
    BELOW_MIN_SHORTFALL = "below_min_shortfall"
    NOT_CACHED = "not_cached"
    NO_BASE = "no_base"  # no position left, only a loss (resolve_bankruptcy's) or orders
    NO_POSITION_KEPT = "no_position_in_kept_markets"  # its positions are in markets another keeper acts on
    NO_CAPACITY = "no_capacity"  # our free collateral cannot take the minimum order
    ZERO_SIZE = "zero_size"  # the program's sizing rule leaves nothing to take
    IN_FLIGHT = "in_flight"  # a liquidation of the user is in flight, or its landing is not yet in the cache
    UNCHANGED = "unchanged"  # the last one failed as expected and nothing it depends on changed since
    DONE = "done"  # the journal finished this very intent
    STALE_MARK = "stale_mark"  # valued at a stale mark no crank can refresh (no valid oracle): the program refuses


@dataclass(frozen=True)
class PricedMarket:
    """A market with the mark to value positions at and whether the transaction must crank prices first."""

    state: MarketState
    crank: bool
    stale: bool = False  # the mark stays too old to liquidate at: no valid oracle price to crank


def predicted_states(markets: Mapping[int, Market], books: Mapping[int, Orderbook | None],
                     oracles: Mapping[Pubkey, RawAccount], slot: int, now_ts: int) -> dict[int, PricedMarket]:
    """Each market's mark once its current oracle price is cranked (``keepers.exchange.mark.next_mark``).

    Markets whose oracle is not valid now keep their stored mark (and are not cranked).
    """
    out = {}
    for index, m in markets.items():
        if m.mark_price == 0:
            continue
        state = MarketState.from_account(m)
        primary, fallback = oracle_accounts(m)
        chosen = select_price(m.oracle, m.params, slot, oracles.get(primary), oracles.get(fallback) if fallback else None, now_ts)
        stale = mark_stale(m, slot)
        if isinstance(chosen, Selected) and (chosen.price.price_1e6 != m.index_price or stale):
            mark = next_mark(m, books.get(index), chosen.price.price_1e6, now_ts, slot)
            out[index] = PricedMarket(replace(state, mark_price=mark), True)
        else:
            out[index] = PricedMarket(state, False, stale)
    return out


def positions_of(user: User) -> list[Position]:
    """The user's non-empty positions."""
    return [Position.from_account(p) for p in user.positions if counted(p)]


def capacity(own: Margin, state: MarketState, liq_price: int, usage_bps: int) -> int:
    """Base (1e9) we can take over at ``liq_price`` keeping our initial margin, within ``usage_bps`` of our free collateral."""
    free = (own.equity - own.initial_requirement) * usage_bps // BPS
    if free <= 0:
        return 0
    requirement = state.mark_price * state.initial_margin_bps // BPS + 1
    gain = abs(state.mark_price - liq_price)
    per_base = max(requirement - gain, 1)
    return free * BASE_PRECISION // per_base


@dataclass(frozen=True)
class LiquidationPlan:
    """One liquidation: whom, where, how much at most, and what it uses of our collateral."""

    user: Pubkey
    market_index: int
    max_base: int
    expected_base: int
    reward_quote: int
    margin_used: int
    crank: bool


def plan_liquidation(candidate: Candidate, user: User, markets: Mapping[int, Market], priced: Mapping[int, PricedMarket],
                     own: Margin, usage_bps: int, kept: Container[int] | None = None) -> LiquidationPlan | None:
    """Plan the liquidation of ``candidate``'s largest position (pure), or None when we cannot take any of it.

    ``kept``: the markets we may liquidate in (None: all); the user is still valued in all of them.
    """
    plan = plan_or_skip(candidate, user, markets, priced, own, usage_bps, kept)
    return plan if isinstance(plan, LiquidationPlan) else None


def plan_or_skip(candidate: Candidate, user: User, markets: Mapping[int, Market], priced: Mapping[int, PricedMarket],
                 own: Margin, usage_bps: int, kept: Container[int] | None = None) -> LiquidationPlan | SkipReason:
    """``plan_liquidation``, saying why when there is no plan."""
    held = [p for p in positions_of(user) if p.base_amount != 0 and p.market_index in priced]
    if not held:
        return SkipReason.NO_BASE
    positions = [p for p in held if kept is None or p.market_index in kept]
    if not positions:
        return SkipReason.NO_POSITION_KEPT
    if any(priced[p.market_index].stale for p in positions_of(user) if p.market_index in priced):
        return SkipReason.STALE_MARK  # liquidate_perp refuses a stale mark in any market the user is valued in
    target = max(positions, key=lambda p: abs(p.base_amount) * priced[p.market_index].state.mark_price)
    pm, m = priced[target.market_index], markets[target.market_index]
    mark = pm.state.mark_price
    long = target.base_amount > 0
    _, liq_price = liquidation_prices(mark, long, m.params.liquidation_fee_bps, m.params.insurance_share_bps)
    held = abs(target.base_amount)
    if candidate.margin.equity * BPS < held * mark // BASE_PRECISION * m.params.liquidation_fee_bps:
        liq_price = mark  # the fee is capped by the user's equity: count on no gain
    cap = capacity(own, pm.state, liq_price, usage_bps)
    cap -= cap % m.params.lot_size
    if cap < min(m.params.min_order_size, held):
        return SkipReason.NO_CAPACITY
    size = liquidation_size(candidate.margin, held, mark, m.params.liquidation_fee_bps, m.params.maintenance_margin_bps,
                            m.params.lot_size, m.params.min_order_size, cap)
    if size <= 0:
        return SkipReason.ZERO_SIZE
    _, liq_quote = liquidation_quotes(size, mark, long, m.params.liquidation_fee_bps, m.params.insurance_share_bps,
                                      candidate.margin.equity)
    reward = abs(size * mark // BASE_PRECISION - liq_quote)
    used = size * (mark * m.params.initial_margin_bps // BPS + 1) // BASE_PRECISION
    return LiquidationPlan(candidate.pubkey, target.market_index, cap, size, reward, used, pm.crank)


@dataclass(frozen=True)
class CancelPlan:
    """Resting orders of ``user`` in ``market_index`` that could take it ``shortfall`` below maintenance."""

    user: Pubkey
    market_index: int
    shortfall: int


def plan_order_cancellations(users: Mapping[Pubkey, User], books: Mapping[int, Orderbook | None],
                             states: Mapping[int, MarketState], kept: Container[int] | None = None,
                             skip: Container[tuple[Pubkey, int]] = ()) -> list[CancelPlan]:
    """The (user, market) pairs whose resting orders liquidate_perp cancels (pure), largest shortfall first.

    A user's orders in a market are cancellable when its equity less what they would lose if filled at
    their prices against the mark (``through_mark_loss``) is below maintenance with every order filled
    on its worse side (``Margin.orders_short``, as liquidation.c decides). ``skip``: pairs a liquidation
    of this tick already covers (it cancels them too); ``kept``: the markets we act in (None: all).
    """
    plans = []
    for index, book in books.items():
        state = states.get(index)
        if book is None or state is None or (kept is not None and index not in kept):
            continue
        bids, asks = book.bids[: book.bid_count], book.asks[: book.ask_count]
        for owner in {o.owner for o in bids} | {o.owner for o in asks}:
            user = users.get(owner)
            margin = exact_margin(user, states) if user is not None and (owner, index) not in skip else None
            if margin is None:
                continue
            loss = through_mark_loss(bids, asks, owner, state.mark_price)
            if margin.orders_short(loss):
                plans.append(CancelPlan(owner, index, margin.maintenance_with_orders - (margin.equity - loss)))
    plans.sort(key=lambda c: c.shortfall, reverse=True)
    return plans


ALL_MARKETS_UP_TO = 16  # with this few markets, pass them all: our own account may have changed since the cache saw it


def other_markets(users: list[User], market_index: int, addresses: Mapping[int, Pubkey]) -> list[Pubkey]:
    """Market accounts the margin checks of ``users`` read besides ``market_index``'s.

    Every market when there are at most ``ALL_MARKETS_UP_TO``: a liquidation that just landed may
    have given us a position the cache does not show yet, and a missing market fails the check.
    """
    if len(addresses) <= ALL_MARKETS_UP_TO:
        seen = set(addresses)
    else:
        seen = {p.market_index for u in users for p in positions_of(u)}
    return [addresses[i] for i in sorted(seen - {market_index}) if i in addresses]


class LiquidatorBot(Bot):
    """See the module docstring."""

    name = "liquidator"
    wakes_on = frozenset({"oracle", "market", "user", "clock"})
    wake_priority = 0  # first on every change: a price move is a race with other liquidators

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.own_address = user_pda(self.ctx.authority, 0, self.ctx.program_id)
        self.liquidated: set[Pubkey] = set()
        self.liquidations = 0
        self._last_derisk: dict[int, float] = {}
        self._warned_no_account = False
        self.skips: Counter[SkipReason] = Counter()  # every decision not to act on a liquidatable user
        self._skips_logged: Counter[SkipReason] = Counter()
        # Incremental scans (``find_candidates``): users changed since the last scan, the last candidates,
        # and the market states of the last full scan.
        self.full_scans = 0
        self._dirty: set[Pubkey] = set()
        self._carry: set[Pubkey] = set()
        self._scanned_states: dict[int, MarketState] | None = None
        self._unsubscribe = self.ctx.cache.subscribe(self._on_cache_change)

    @property
    def last_candidates(self) -> int:
        """How many users the last scan found liquidatable."""
        return len(self._carry)

    def _on_cache_change(self, kind: str, pubkey: Pubkey) -> None:
        if kind == "user":
            self._dirty.add(pubkey)

    def find_candidates(self, states: dict[int, MarketState]) -> list[Candidate]:
        """The liquidatable users at ``states``.

        A full scan when the states differ from the last full scan's (a price, a funding or a book
        moved), and at least once an interval when woken (a safety net: the bot is only woken by
        changes that can move a margin). Otherwise only the users whose accounts changed since
        the last scan, plus the last candidates, are scanned: at fixed states nobody else's margin
        moved. At 100k users that is ~0.2 ms instead of ~5 ms, on every account change.
        """
        cache = self.ctx.cache
        dirty, self._dirty = self._dirty, set()
        due = self.every("full scan", self.interval_s)
        if due or states != self._scanned_states:
            self._scanned_states = states
            self.full_scans += 1
            found = liquidatable(cache.columns, states, cache.users)
        else:
            index = cache.columns.index
            rows = [index[k] for k in dirty | self._carry if k in index]
            found = liquidatable(cache.columns, states, cache.users, scan(cache.columns, states, rows=rows)) if rows else []
        self._carry = {c.pubkey for c in found}
        return found

    def set_own_account(self, sub_id: int) -> None:
        """Use the keeper's margin account ``sub_id`` (it holds the collateral liquidations are taken into)."""
        self.own_address = user_pda(self.ctx.authority, sub_id, self.ctx.program_id)

    async def tick(self) -> None:
        ctx = self.ctx
        cache: AccountCache = ctx.cache
        own_user = cache.users.get(self.own_address)
        if own_user is None:
            if not self._warned_no_account:
                self._warned_no_account = True
                ctx.metrics.alert(self.name, "no liquidator margin account")
            return
        priced = predicted_states(cache.markets, {i: cache.orderbook(i) for i in cache.markets}, ctx.oracles,
                                  ctx.clock.slot, ctx.clock.unix_timestamp)
        states = {i: p.state for i, p in priced.items()}
        candidates = self.find_candidates(states)
        ctx.metrics.set_liquidatable_users(len(candidates))
        ctx.progress.saw_liquidatable([c.pubkey for c in candidates], ctx.clock.slot)
        covered = self.liquidate(candidates, own_user, priced, states)
        self.cancel_stale_orders(own_user, priced, states, covered)
        if self.config.derisk:
            self.derisk(own_user, states)
        for action in bankruptcy_actions(self.name, cache, ctx.program_id, only=self.liquidated, kept=ctx.kept):
            self.submit(action)
        # Follow a user we liquidated while it still holds a position or a loss to resolve.
        self.liquidated = {u for u in self.liquidated if (user := cache.users.get(u)) is not None
                           and (not flat(user) or user.collateral + sum(p.unsettled_pnl for p in user.positions) < 0)}

    def liquidate(self, candidates: list[Candidate], own_user: User, priced: Mapping[int, PricedMarket],
                  states: Mapping[int, MarketState]) -> set[tuple[Pubkey, int]]:
        """Submit liquidations, largest shortfall first, within our free collateral; return the (user, market)
        pairs submitted."""
        cache, ctx = self.ctx.cache, self.ctx
        submitted: set[tuple[Pubkey, int]] = set()
        try:
            own = compute_margin(own_user.collateral, positions_of(own_user), states)
        except (KeyError, ValueError):
            return submitted  # one of our markets has no price yet
        addresses = {i: cache.market_address(i) for i in cache.markets}
        usage = self.config.max_margin_usage_bps
        for cand in candidates:
            if cand.pubkey == self.own_address:
                self._skip(SkipReason.OWN_ACCOUNT)
                continue
            if cand.shortfall < self.config.min_shortfall_quote:
                self._skip(SkipReason.BELOW_MIN_SHORTFALL)
                continue
            user = cache.users.get(cand.pubkey)
            if user is None:
                self._skip(SkipReason.NOT_CACHED)
                continue
            plan = plan_or_skip(cand, user, cache.markets, priced, own, usage, ctx.kept)
            if not isinstance(plan, LiquidationPlan):
                self._skip(plan)
                continue
            m = cache.markets[plan.market_index]
            ixs = []
            # The target's market, and every other market the user is valued in whose mark we predicted
            # from a crank (a stale one would refuse the liquidation).
            valued = {p.market_index for p in positions_of(user)} - {plan.market_index}
            for i in [plan.market_index] * plan.crank + sorted(i for i in valued if i in priced and priced[i].crank):
                primary, fallback = oracle_accounts(cache.markets[i])
                ixs.append(ix.update_prices(i, primary, fallback, ctx.program_id))
            ixs.append(ix.liquidate_perp(ctx.authority, self.own_address, plan.user, plan.market_index, plan.max_base,
                                         other_markets([user, own_user], plan.market_index, addresses), ctx.program_id))
            mark = priced[plan.market_index].state.mark_price
            action = Action(
                bot=self.name, kind=ActionKind.LIQUIDATE_PERP,
                key=intent_key(ActionKind.LIQUIDATE_PERP, user=plan.user, market=plan.market_index,
                               slot=cache.slot_of(plan.user), mark=mark),
                target=plan.user, instructions=tuple(ixs), reward_lamports=reward_lamports(plan.reward_quote, self.config.sol_price_quote),
                expected=frozenset({E.NotLiquidatable, E.NoPositionToLiquidate}), urgent=True,
                simulate_first=cand.shortfall * BPS < cand.margin.maintenance_requirement * SIMULATE_BAND_BPS,
                basis=self.basis(plan.user, m),
                detail={"market": plan.market_index, "max_base": plan.max_base, "expected_base": plan.expected_base,
                        "shortfall": cand.shortfall},
            )
            if self.submit(action):
                submitted.add((plan.user, plan.market_index))
                own = replace(own, initial_requirement=own.initial_requirement + plan.margin_used)
            else:
                refused = ctx.pipeline.refusal(action)
                self._skip(SkipReason.IN_FLIGHT if refused is ActionStatus.BUSY else
                           SkipReason.UNCHANGED if refused is ActionStatus.UNCHANGED else SkipReason.DONE)

        return submitted

    def cancel_stale_orders(self, own_user: User, priced: Mapping[int, PricedMarket], states: Mapping[int, MarketState],
                            covered: set[tuple[Pubkey, int]]) -> None:
        """Cancel the orders of users they could take below maintenance: liquidate_perp with no base to take
        over (``plan_order_cancellations``), cranking prices first when the oracle moved."""
        cache, ctx = self.ctx.cache, self.ctx
        books = {i: cache.orderbook(i) for i in cache.markets}
        addresses = {i: cache.market_address(i) for i in cache.markets}
        skip = covered | {(self.own_address, i) for i in cache.markets}
        for plan in plan_order_cancellations(cache.users, books, states, ctx.kept, skip):
            m, user = cache.markets[plan.market_index], cache.users[plan.user]
            ixs = []
            if priced[plan.market_index].crank:
                primary, fallback = oracle_accounts(m)
                ixs.append(ix.update_prices(plan.market_index, primary, fallback, ctx.program_id))
            ixs.append(ix.liquidate_perp(ctx.authority, self.own_address, plan.user, plan.market_index, 0,
                                         other_markets([user, own_user], plan.market_index, addresses), ctx.program_id))
            self.submit(Action(
                bot=self.name, kind=ActionKind.CANCEL_STALE_ORDERS,
                key=intent_key(ActionKind.CANCEL_STALE_ORDERS, user=plan.user, market=plan.market_index,
                               slot=cache.slot_of(plan.user), mark=states[plan.market_index].mark_price),
                target=plan.user, instructions=tuple(ixs),
                expected=frozenset({E.NotLiquidatable, E.NoPositionToLiquidate}), simulate_first=False, urgent=True,
                basis=self.basis(plan.user, m),
                detail={"market": plan.market_index, "shortfall": plan.shortfall},
            ))

    def basis(self, user: Pubkey, market: Market) -> tuple[object, ...]:
        """What a liquidation of ``user`` in ``market`` depends on: the slots the cache read the user and
        the market at, and the market's oracle data (a new price moves the mark the crank sets)."""
        cache = self.ctx.cache
        return (cache.slot_of(user), cache.slot_of(cache.market_address(market.market_index)),
                *oracle_basis(market, self.ctx.oracles))

    def _skip(self, reason: SkipReason) -> None:
        """Count one decision not to act on a liquidatable user; log each reason at most every ``SKIP_LOG_EVERY_S``."""
        self.skips[reason] += 1
        self.ctx.metrics.liquidation_skipped(reason)
        if self.every(f"skip log {reason}", SKIP_LOG_EVERY_S):
            since = self.skips[reason] - self._skips_logged[reason]
            self._skips_logged[reason] = self.skips[reason]
            log.info("[%s] liquidatable user not acted on: %s (%d times since the last such line)", self.name, reason,
                     since, extra={"bot": self.name, "reason": str(reason)})

    def derisk(self, own_user: User, states: Mapping[int, MarketState]) -> None:
        """Reduce what we hold with one reduce-only IOC slice per market against the opposite side of the book."""
        cache, ctx = self.ctx.cache, self.ctx
        now = self.clock.monotonic()
        addresses = {i: cache.market_address(i) for i in cache.markets}
        for pos in positions_of(own_user):
            i, base = pos.market_index, pos.base_amount
            m, state, book = cache.markets.get(i), states.get(i), cache.orderbook(i)
            if base == 0 or m is None or state is None or book is None or not ctx.keeps(i):
                continue
            waited = now - self._last_derisk.get(i, -1e9)
            if waited < DERISK_MIN_INTERVAL_S:
                self.tick_within(DERISK_MIN_INTERVAL_S - waited)  # the next slice, even if nothing changes
                continue
            selling = base > 0
            if (book.bid_count if selling else book.ask_count) == 0:
                continue
            p = m.params
            size = derisk_size(abs(base), self.config.derisk_slice_bps, p.lot_size, p.min_order_size)
            band = state.mark_price * DERISK_PRICE_BAND_BPS // BPS
            price = state.mark_price - band if selling else state.mark_price + band
            price = max(price - price % p.tick_size, p.tick_size)
            if size == 0:
                continue  # below the minimum order: nothing an order can reduce
            order = ix.order_args(side.Ask() if selling else side.Bid(), price, size, order_type.ImmediateOrCancel(),
                                  reduce_only=True)
            action = Action(
                bot=self.name, kind=ActionKind.DERISK, key=intent_key(ActionKind.DERISK, market=i, slot=cache.slot_of(self.own_address)),
                target=self.own_address,
                instructions=(ix.place_order(ctx.authority, self.own_address, i, order,
                                             other_markets([own_user], i, addresses), ctx.program_id),),
                expected=frozenset({E.ReduceOnlyViolated, E.OrderPriceOutOfBand, E.ReduceOnlyWorseThanLiquidation}),
                detail={"market": i, "base": size},
            )
            if self.submit(action):
                self._last_derisk[i] = now

    async def close(self) -> None:
        self._unsubscribe()
        await super().close()

    def on_result(self, result: ActionResult) -> None:
        if result.action.kind == "liquidate_perp" and result.landed:
            self.liquidations += 1
            self.liquidated.add(result.action.target)


__all__ = ["CancelPlan", "LiquidationPlan", "LiquidatorBot", "PricedMarket", "SkipReason", "capacity", "derisk_size",
           "other_markets", "plan_liquidation", "plan_or_skip", "plan_order_cancellations", "positions_of", "predicted_states"]
