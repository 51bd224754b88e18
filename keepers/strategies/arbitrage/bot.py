"""The arbitrage bot: basis, cross-market atomic, triangular, statistical pairs and cross-venue, on the keeper runtime.

On each oracle, market, book or account change (and at least every ``interval_s``):
1. reconcile what earlier ticks (or an earlier run) left: every cross-venue opportunity whose program leg
   landed gets its hedge on the external venue exactly once (the journal's ``arb_hedge`` intent, and the
   venue's order looked up by its client id before any resend); a hedge that failed leaves an orphan, which
   is unwound with reduce-only IOC children on a TWAP schedule (``keepers.execution.algos``);
2. check the kill switch (``kill``, ``kill_file``, or ``max_failed_in_row`` failed legs): while it holds no
   new opportunity is taken (hedges and unwinds go on);
3. per configured strategy, find an opportunity in the cached books (``opportunities``), size it on the
   grids, check the risk limits (``risk.allows``) and send its program legs in ONE transaction, every leg
   fill-or-kill (``min_fill_base`` its quantity), so a leg that cannot fill reverts them all; basis is one
   plain IOC leg. A cross-venue opportunity's hedge goes to the venue once the program leg landed.

Each opportunity is a journal intent named by the books it was sized on and its legs (``ARB_LEGS``), so the
same plan from the same state is never sent twice, also by a restarted bot; its hedge is an intent of its
own named by the legs' key (``ARB_HEDGE``); an orphan's children by the hedge (``ARB_UNWIND``).

Analytics per strategy (``analytics.StrategyAnalytics``): theoretical against captured edge (captured from
the account's position and cash before and after the legs), leg slippage, failed-leg rate, opportunity to
send; exported as Prometheus metrics and returned by ``analytics_report()``.

For the simulator: ``ArbitrageBot(ctx, config.bots.arbitrage, interval_s, clock)`` on a ``KeeperContext``,
``set_own_account(sub_id)`` and, for cross-venue, ``set_venue(venue)`` (any ``keepers.venues`` venue).
"""

from __future__ import annotations

import asyncio
import logging
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import ROUND_DOWN, Decimal
from typing import Any

from solders.pubkey import Pubkey

from keepers.bots.base import Bot, KeeperContext
from keepers.clock import LIVE, Clock
from keepers.exchange.pdas import user_pda
from keepers.execution.algos import ScheduleExecutor, twap_schedule
from keepers.execution.error_policy import ProgramErrorName as E
from keepers.execution.intents import ActionKind, intent_key
from keepers.execution.journal import Status
from keepers.execution.pipeline import Action, ActionResult
from keepers.strategies.arbitrage.analytics import StrategyAnalytics
from keepers.strategies.arbitrage.metrics import ArbMetrics
from keepers.strategies.arbitrage.opportunities import (
    KalmanHedge, Leg, Opportunity, PairsPosition, PairsSignal, basis, cross_venue, latency_risk_bps, triangular,
)
from keepers.strategies.arbitrage.risk import ArbLimits, allows, asset_deltas
from keepers.venues.base import Book, ErrorKind, OrderRequest, Side, TimeInForce, Venue, VenueError
from keepers.venues.program_venue import ProgramVenue, from_base, from_price, to_base
from programs_client.perp.accounts import Market, User
from programs_client.perp.constants import BASE_PRECISION, BPS, QUOTE_PRECISION

log = logging.getLogger("perpkeep.strategies")
PROGRAM = ProgramVenue.name
LOOK_BACK = 500  # journal rows of each of the bot's kinds read when reconciling
VENUE_POSITIONS_S = 5.0
RECONCILE_S = 30.0  # the journal is read for hedges due at start, on each hedge event, and at least this often
FIGURES_S = 1.0  # the analytics gauges are exported at most this often
HEDGE_FAILED = "hedge failed"
EXPECTED_LEG_ERRORS = frozenset({E.MinFillNotMet, E.InsufficientMargin, E.MarkStale, E.OracleStale,
                                 E.OracleConfidenceTooWide, E.OracleDivergence, E.ReduceOnlyViolated})


def market_asset(market: Market) -> str:
    """The asset a market trades: its name up to the first dash ("SOL-PERP" -> "SOL")."""
    return bytes(market.name).rstrip(b"\0").decode(errors="replace").split("-")[0]


def floor_to(qty: Decimal, step: Decimal) -> Decimal:
    """``qty`` rounded down to a multiple of ``step`` (unchanged for a zero step)."""
    return qty if step <= 0 else (qty / step).to_integral_value(ROUND_DOWN) * step


def client_id_of(key: str) -> str:
    """The venue client order id of an intent (Binance takes up to 36 of [.A-Z:/a-z0-9_-])."""
    return f"pk{zlib.crc32(key.encode()):08x}{zlib.adler32(key.encode()):08x}"


@dataclass
class Orphan:
    """A program leg whose hedge failed, being unwound (base 1e9, signed like the position it left)."""

    hedge_key: str
    market: int
    base: int
    executor: ScheduleExecutor
    in_flight: bool = False


@dataclass
class PairState:
    hedge: KalmanHedge
    signal: PairsSignal
    last_slot: int = -1
    held: tuple[Decimal, Decimal] = (Decimal(0), Decimal(0))  # (y, x) base bought by this bot (signed)
    z: float = 0.0


@dataclass
class Sent:
    """An opportunity's program legs in flight, with what the capture is measured against."""

    strategy: str
    opp: Opportunity
    before: dict[int, tuple[int, int]]  # market -> (base, cash) of our position at planning
    collateral: int
    detected: float
    pair: tuple[int, int] | None = None
    pair_target: PairsPosition | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class ArbitrageBot(Bot):
    """Takes arbitrage opportunities (see the module docstring)."""

    name = "arbitrage"
    wakes_on = frozenset({"oracle", "market", "orderbook", "user", "clock"})
    wake_priority = 6

    def __init__(self, ctx: KeeperContext, config: Any, interval_s: float, clock: Clock = LIVE) -> None:
        super().__init__(ctx, config, interval_s, clock)
        c = config
        self.limits = ArbLimits(Decimal(str(c.max_leg_quote)), Decimal(str(c.max_total_quote)), c.max_open_legs,
                                Decimal(str(c.max_asset_base)))
        self.own_address: Pubkey | None = None
        self.program: ProgramVenue | None = None
        self.venue: Venue | None = None
        self.links = {link.market: link for link in c.venue_links}
        self.analytics = {s: StrategyAnalytics() for s in c.strategies}
        self.metrics = ArbMetrics.of(ctx.metrics)
        self.venue_books: dict[str, tuple[Book, float]] = {}
        self.venue_positions: dict[str, Decimal] = {}
        self.hedging: dict[str, asyncio.Task[None]] = {}
        self.orphans: dict[str, Orphan] = {}
        self.pair_states: dict[tuple[int, int], PairState] = {}
        self.in_flight_legs: dict[str, Sent] = {}
        self._pending_capture: dict[str, Sent] = {}  # landed cross-venue legs whose hedge is not done
        self.failed_in_row = 0
        self.tripped = False  # max_failed_in_row reached: no new opportunity until restart
        self.kill_reason: str | None = None
        self.blocked: set[int] = set()  # markets with legs of an earlier run still unresolved
        self._reconcile_due = True
        self.sent_at: list[float] = []  # detection -> handed to the pipeline, seconds
        self.detected_at: list[float] = []  # the bot clock's time each sent opportunity was detected (benchmark)
        self._watchers: dict[str, asyncio.Task[None]] = {}
        self._background: set[asyncio.Task[Any]] = set()

    def set_own_account(self, sub_id: int) -> None:
        """Trade from the keeper's margin account ``sub_id``."""
        self.own_address = user_pda(self.ctx.authority, sub_id, self.ctx.program_id)
        self.program = ProgramVenue(self.ctx, self.own_address, self.name)

    def set_venue(self, venue: Venue) -> None:
        """The external venue of the cross-venue strategy (started by the caller)."""
        self.venue = venue

    # -- the tick -----------------------------------------------------------------------------------
    async def tick(self) -> None:
        if self.own_address is None:
            self.set_own_account(0)
        own = self.ctx.cache.users.get(self.own_address)
        if own is None:
            if self.every("no account", 60.0):
                self.ctx.metrics.alert(self.name, "no arbitrage margin account")
            return
        self.tick_within(self.interval_s)
        if self.venue is None and self.config.venue_exchange and self.every("venue start", 30.0):
            self._spawn(self._start_venue())
        if self.venue is not None:
            self._follow_venue()
        if self._reconcile_due or self.every("reconcile", RECONCILE_S):
            self._reconcile_due = False
            self.reconcile()
        self.blocked = self.unresolved_markets()
        self.step_orphans(own)
        self.kill_reason = self.killed()
        self.metrics.killed(self.kill_reason)
        if self.kill_reason is None:
            for strategy in self.config.strategies:
                getattr(self, f"plan_{strategy}")(own)
        if self.every("figures", FIGURES_S, defer=True):
            for strategy, a in self.analytics.items():
                self.metrics.set_figures(strategy, a.as_dict())

    def unresolved_markets(self) -> set[int]:
        """Markets of legs the journal holds as sent but this run did not send (a restart's recovery confirms
        them): no plan there until they resolve, or the same legs could go twice."""
        out: set[int] = set()
        for e in self.journal.unfinished():
            if e.kind in (ActionKind.ARB_LEGS, ActionKind.ARB_UNWIND) and e.key not in self.in_flight_legs:
                out |= {int(leg[0]) for leg in e.detail.get("legs", ())}
                if "market" in e.detail:
                    out.add(int(e.detail["market"]))
        return out

    def killed(self) -> str | None:
        """Why no new opportunity may be taken now, or None."""
        c = self.config
        if c.kill:
            return "kill"
        if c.kill_file is not None and c.kill_file.exists():
            return "kill_file"
        if self.tripped:
            return "failed_legs"
        return None

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _start_venue(self) -> None:
        from keepers.venues.ccxt_venue import CcxtVenue  # ccxt is imported only by a bot that trades off chain

        c = self.config
        venue = CcxtVenue.create(c.venue_exchange, {"apiKey": os.environ.get(c.venue_key_env, ""),
                                                    "secret": os.environ.get(c.venue_secret_env, "")})
        try:
            await venue.start()
        except VenueError as e:
            log.warning("[%s] venue %s: %s", self.name, c.venue_exchange, e, extra={"bot": self.name})
            await venue.close()
            return
        self.venue = venue

    # -- the external venue's books and positions ---------------------------------------------------
    def _follow_venue(self) -> None:
        for link in self.links.values():
            task = self._watchers.get(link.symbol)
            if task is None or task.done():
                self._watchers[link.symbol] = self._spawn(self._watch(link.symbol))
        if self.every("venue positions", VENUE_POSITIONS_S):
            self._spawn(self._read_venue_positions())

    async def _watch(self, symbol: str) -> None:
        """Keep ``venue_books[symbol]`` fresh from the venue's stream; resubscribe after a drop, wait out a 429."""
        assert self.venue is not None
        failures = 0
        while True:
            try:
                book = await self.venue.watch_book(symbol)
            except VenueError as e:
                failures += 1
                self.metrics.venue_error(e.kind)
                self.venue_books.pop(symbol, None)  # a dropped stream's book is not traded on
                if e.kind is ErrorKind.AUTH:
                    return
                await asyncio.sleep(e.retry_after_s or min(0.05 * 2 ** min(failures, 6), 2.0))
                continue
            failures = 0
            self.venue_books[symbol] = (book, self.clock.monotonic())
            self.wake()

    async def _read_venue_positions(self) -> None:
        assert self.venue is not None
        try:
            positions = await self.venue.positions()
        except VenueError as e:
            self.metrics.venue_error(e.kind)
            return
        self.venue_positions = {self._venue_symbol(s): q for s, q in positions.items()}

    def _venue_symbol(self, symbol: str) -> str:
        """The link's own spelling of a venue symbol (the venue may answer in its unified naming)."""
        unified = getattr(self.venue, "unified", None)
        for link in self.links.values():
            if link.symbol == symbol or (unified is not None and _safe(unified, link.symbol) == symbol):
                return link.symbol
        return symbol

    def venue_book(self, symbol: str) -> Book | None:
        """The venue's book of ``symbol`` when fresh (``venue_book_max_age_s``)."""
        got = self.venue_books.get(symbol)
        if got is None or self.clock.monotonic() - got[1] > self.config.venue_book_max_age_s:
            return None
        return got[0]

    # -- exposure and risk --------------------------------------------------------------------------
    def exposure(self, own: User) -> dict[str, Decimal]:
        """Each asset's position across the program and the venue (whole base)."""
        out: dict[str, Decimal] = {}
        for p in own.positions:
            market = self.ctx.cache.markets.get(p.market_index)
            if market is not None and p.base_amount:
                a = market_asset(market)
                out[a] = out.get(a, Decimal(0)) + from_base(p.base_amount)
        for link in self.links.values():
            q = self.venue_positions.get(link.symbol)
            if q:
                out[link.asset] = out.get(link.asset, Decimal(0)) + q
        return out

    def open_legs(self) -> int:
        return (sum(len(s.opp.legs) for s in self.in_flight_legs.values()) + len(self.hedging) + len(self.orphans))

    def _assets(self) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], Decimal]]:
        asset_of = {(PROGRAM, str(i)): market_asset(m) for i, m in self.ctx.cache.markets.items()}
        for link in self.links.values():
            asset_of[(self.venue.name if self.venue is not None else "venue", link.symbol)] = link.asset
        return asset_of, {}

    def _risk_ok(self, strategy: str, opp: Opportunity, own: User) -> bool:
        asset_of, base_of = self._assets()
        refused = allows(opp, self.limits, self.open_legs(), self.exposure(own), asset_deltas(opp, asset_of, base_of))
        if refused is not None:
            self.analytics[strategy].refuse(refused)
            self.metrics.refused(strategy, refused)
            return False
        return True

    def risk_bps(self, latency_s: float | None) -> Decimal:
        c = self.config
        latency = latency_s if latency_s is not None else c.default_latency_s
        return latency_risk_bps(c.volatility_bps_per_sqrt_s / BPS, latency, c.latency_z)

    # -- strategies ---------------------------------------------------------------------------------
    def _book(self, index: int) -> Book | None:
        if index not in self.ctx.cache.markets:
            return None
        assert self.program is not None
        return self.program.book_now(str(index))

    def _lot(self, index: int) -> Decimal:
        return from_base(self.ctx.cache.markets[index].params.lot_size)

    def _min(self, index: int) -> Decimal:
        return from_base(self.ctx.cache.markets[index].params.min_order_size)

    def _max_qty(self, index: int, price: Decimal) -> Decimal:
        return floor_to(self.limits.max_leg_notional / price, self._lot(index)) if price > 0 else Decimal(0)

    def _fit(self, find: Callable[[Decimal], Opportunity | None], max_qty: Decimal, step: Decimal) -> Opportunity | None:
        """``find(max_qty)``, sized down (twice at most) until no leg's notional is over ``max_leg_quote``: the
        first sizing divides the limit by a reference price, the legs fill at theirs."""
        opp = find(max_qty)
        for _ in range(2):
            if opp is None:
                return None
            worst = max(leg.qty * leg.average for leg in opp.legs)
            if worst <= self.limits.max_leg_notional:
                return opp
            max_qty = floor_to(opp.legs[0].qty * self.limits.max_leg_notional / worst, step)
            opp = find(max_qty) if max_qty > 0 else None
        return opp

    def _fee(self, index: int) -> Decimal:
        assert self.program is not None
        return self.program.fees(str(index)).taker

    def plan_basis(self, own: User) -> None:
        c = self.config
        assert self.program is not None
        markets = c.basis_markets or tuple(i for i, _ in self.ctx.kept_markets())
        risk = self.risk_bps(self.program.latency.percentile(0.5))
        for i in markets:
            market, book = self.ctx.cache.markets.get(i), self._book(i)
            if market is None or book is None or not market.index_price:
                continue
            detected = self.clock.monotonic()
            index = from_price(market.index_price)
            fee, threshold = self._fee(i), Decimal(str(c.threshold_bps))
            opp = self._fit(lambda q: basis(book, PROGRAM, index, fee, threshold, q, risk),  # noqa: B023 - called here
                            self._max_qty(i, index), self._lot(i))
            if opp is None or opp.legs[0].qty < self._min(i):
                continue
            self.send_legs("basis", opp, own, detected, fill_or_kill=False)

    def plan_cross_market(self, own: User) -> None:
        assert self.program is not None
        risk = self.risk_bps(self.program.latency.percentile(0.5))
        for i, j in self.config.cross_markets:
            a, b = self._book(i), self._book(j)
            if a is None or b is None:
                continue
            detected = self.clock.monotonic()
            for buy, sell, bb, sb in ((i, j, a, b), (j, i, b, a)):
                if not bb.asks:
                    continue
                step = max(self._lot(buy), self._lot(sell))
                fb, fs = self._fee(buy), self._fee(sell)
                opp = self._fit(lambda q: self._cross(bb, PROGRAM, fb, sb, PROGRAM, fs, q, step, risk),  # noqa: B023
                                floor_to(self._max_qty(buy, bb.asks[0][0]), step), step)
                if opp is not None and opp.legs[0].qty >= max(self._min(buy), self._min(sell)):
                    self.send_legs("cross_market", replace(opp, kind="cross_market"), own, detected)
                    break

    def _cross(self, buy_book: Book, buy_venue: str, buy_fee: Decimal, sell_book: Book, sell_venue: str,
               sell_fee: Decimal, max_qty: Decimal, step: Decimal, risk: Decimal) -> Opportunity | None:
        """``cross_venue`` sized down to a quantity both grids take (``step``)."""
        threshold = Decimal(str(self.config.threshold_bps))
        opp = cross_venue(buy_book, buy_venue, buy_fee, sell_book, sell_venue, sell_fee, threshold, max_qty, risk)
        if opp is None:
            return None
        qty = floor_to(opp.legs[0].qty, step)
        if qty <= 0:
            return None
        if qty != opp.legs[0].qty:
            opp = cross_venue(buy_book, buy_venue, buy_fee, sell_book, sell_venue, sell_fee, threshold, qty, risk)
        return opp

    def plan_triangular(self, own: User) -> None:
        assert self.program is not None
        risk = self.risk_bps(self.program.latency.percentile(0.5))
        for ia, ib, ic in self.config.triangles:
            books = [self._book(i) for i in (ia, ib, ic)]
            if any(b is None for b in books):
                continue
            a, b, c = books
            assert a is not None and b is not None and c is not None
            detected = self.clock.monotonic()
            fee = max(self._fee(ia), self._fee(ib), self._fee(ic))
            top = a.bids[0][0] if a.bids else Decimal(1)
            opp = triangular(a, b, c, PROGRAM, fee, Decimal(str(self.config.threshold_bps)), self._max_qty(ia, top), risk)
            if opp is None:
                continue
            step = max(self._lot(ia), self._lot(ib))
            qty = floor_to(opp.legs[0].qty, step)
            legs = (replace(opp.legs[0], qty=qty), replace(opp.legs[1], qty=qty),
                    replace(opp.legs[2], qty=floor_to(qty * opp.legs[1].average, self._lot(ic))))
            if any(leg.qty < self._min(i) for leg, i in zip(legs, (ia, ib, ic))):
                continue
            scale = qty / opp.legs[0].qty
            self.send_legs("triangular", replace(opp, legs=legs, edge=opp.edge * scale), own, detected)

    def plan_pairs(self, own: User) -> None:
        c = self.config
        slot = self.ctx.clock.slot
        for y, x in c.pairs:
            state = self.pair_states.get((y, x))
            if state is None:
                state = self.pair_states[(y, x)] = PairState(
                    KalmanHedge(c.pairs_delta, c.pairs_observation_var),
                    PairsSignal(c.pairs_entry_z, c.pairs_exit_z, c.pairs_stop_z, c.pairs_warmup))
            by, bx = self._book(y), self._book(x)
            if by is None or bx is None or by.mid is None or bx.mid is None or slot <= state.last_slot:
                continue
            if any(s.pair == (y, x) for s in self.in_flight_legs.values()):
                continue  # a pair trade in flight: its outcome sets what we hold
            state.last_slot = slot
            detected = self.clock.monotonic()
            error, sd = state.hedge.update(float(bx.mid), float(by.mid))
            state.z = error / sd if sd > 0 else 0.0
            before = state.signal.position
            target = state.signal.step(state.z)
            self.metrics.pairs_z(y, x, state.z)
            if target is before:
                continue
            beta = Decimal(str(abs(state.hedge.beta)))
            if target is PairsPosition.FLAT:
                qy, qx = -state.held[0], -state.held[1]
            else:
                sign = Decimal(1) if target is PairsPosition.LONG_SPREAD else Decimal(-1)
                qy = sign * Decimal(str(c.pairs_base))
                qx = floor_to(-sign * Decimal(str(c.pairs_base)) * beta, self._lot(x))
                qy, qx = qy - state.held[0], qx - state.held[1]
            opp = self._pairs_opportunity(y, by, qy, x, bx, qx)
            if opp is None:
                state.signal.position = before  # not tradable now: the signal is seen again next slot
                continue
            self.send_legs("pairs", opp, own, detected, pair=(y, x), pair_target=target)

    def _pairs_opportunity(self, y: int, by: Book, qy: Decimal, x: int, bx: Book, qx: Decimal) -> Opportunity | None:
        legs = []
        for index, book, q in ((y, by, qy), (x, bx, qx)):
            q = floor_to(abs(q), self._lot(index)) * (1 if q > 0 else -1)
            if abs(q) < self._min(index):
                continue
            s = Side.BUY if q > 0 else Side.SELL
            got, cost = book.cost_to(s, abs(q))
            levels = book.asks if s is Side.BUY else book.bids
            if got < abs(q):
                return None
            left, worst = abs(q), Decimal(0)
            for price, size in levels:
                worst = price
                left -= size
                if left <= 0:
                    break
            legs.append(Leg(PROGRAM, str(index), s, abs(q), worst, cost / abs(q)))
        if not legs:
            return None
        fees = sum(leg.qty * leg.average * self._fee(int(leg.symbol)) for leg in legs)
        return Opportunity("pairs", tuple(legs), -fees, Decimal(0))

    def plan_cross_venue(self, own: User) -> None:
        if self.venue is None:
            return
        assert self.program is not None
        latency = max(self.program.latency.percentile(0.5) or self.config.default_latency_s,
                      self.venue.latency.percentile(0.5) or self.config.default_latency_s)
        risk = self.risk_bps(latency)
        for index, link in self.links.items():
            pbook, vbook = self._book(index), self.venue_book(link.symbol)
            if pbook is None or vbook is None:
                continue
            detected = self.clock.monotonic()
            vfee, pfee = self.venue.fees(link.symbol).taker, self._fee(index)
            step = max(self._lot(index), _qty_step(self.venue, link.symbol))
            for buy_program in (True, False):
                bb, sb = (pbook, vbook) if buy_program else (vbook, pbook)
                if not bb.asks:
                    continue
                venues = (PROGRAM, self.venue.name) if buy_program else (self.venue.name, PROGRAM)
                fees = (pfee, vfee) if buy_program else (vfee, pfee)
                opp = self._fit(lambda q: self._cross(bb, venues[0], fees[0], sb, venues[1], fees[1], q, step, risk),  # noqa: B023
                                floor_to(self._max_qty(index, bb.asks[0][0]), step), step)
                if opp is None or opp.legs[0].qty < self._min(index):
                    continue
                # the program's leg is sent first (fill-or-kill); the venue's, the hedge, once it landed
                program_leg = opp.legs[0] if buy_program else opp.legs[1]
                hedge = opp.legs[1] if buy_program else opp.legs[0]
                self.send_legs("cross_venue", replace(opp, legs=(program_leg, hedge)), own, detected)
                break

    # -- sending ------------------------------------------------------------------------------------
    def send_legs(self, strategy: str, opp: Opportunity, own: User, detected: float, fill_or_kill: bool = True,
                  pair: tuple[int, int] | None = None, pair_target: PairsPosition | None = None) -> bool:
        """Send ``opp``'s program legs in one transaction (the venue leg, if any, is the hedge that follows)."""
        a = self.analytics[strategy]
        a.detected += 1
        if not self._risk_ok(strategy, opp, own):
            return False
        assert self.program is not None and self.own_address is not None
        program_legs = [leg for leg in opp.legs if leg.venue == PROGRAM]
        hedge = next((leg for leg in opp.legs if leg.venue != PROGRAM), None)
        markets = [int(leg.symbol) for leg in program_legs]
        if self.blocked & set(markets):
            return False
        cache = self.ctx.cache
        books = "-".join(f"{i}.{cache.slot_of(cache.markets[i].orderbook)}" for i in markets)
        digest = zlib.crc32(repr([(leg.venue, leg.symbol, leg.side, str(leg.qty), str(leg.limit)) for leg in opp.legs])
                            .encode())
        key = intent_key(ActionKind.ARB_LEGS, strategy=strategy, books=books, legs=f"{digest:08x}")
        try:
            ixs = [*self.program.price_cranks(markets)]
            # the intent's own client order id: two opportunities of the same legs within one blockhash are
            # different transactions (the pipeline would otherwise re-sign a byte-identical one)
            cid = zlib.crc32(key.encode())
            for leg in program_legs:
                order = OrderRequest(leg.symbol, leg.side, leg.qty, leg.limit, TimeInForce.IOC)
                ixs.append(self.program.order_instruction(order, None if fill_or_kill else 0, client_order_id=cid))
        except VenueError as e:
            log.info("[%s] %s opportunity off the grid: %s", self.name, strategy, e, extra={"bot": self.name})
            return False
        detail: dict[str, Any] = {
            "strategy": strategy, "edge": str(opp.edge), "edge_bps": str(opp.edge_bps),
            "legs": [[leg.symbol, leg.side.value, str(leg.qty), str(leg.limit), str(leg.average)] for leg in program_legs]}
        if hedge is not None:
            detail["hedge"] = {"symbol": hedge.symbol, "side": hedge.side.value, "qty": str(hedge.qty),
                               "limit": str(hedge.limit), "average": str(hedge.average), "market": markets[0]}
        action = Action(
            bot=self.name, kind=ActionKind.ARB_LEGS, key=key, target=self.own_address, instructions=tuple(ixs),
            locks=tuple((self.name, f"market:{i}") for i in markets), simulate_first=False, urgent=True,
            effect=self._seen(markets), expected=EXPECTED_LEG_ERRORS, detail=detail)
        before = {i: _holding(own, i) for i in markets}
        sent = Sent(strategy, opp, before, own.collateral, detected, pair, pair_target)
        if not self.submit(action):
            return False
        now = self.clock.monotonic()
        self.in_flight_legs[key] = sent
        a.sent_after(now - detected)
        self.sent_at.append(now - detected)
        self.detected_at.append(detected)
        self.metrics.sent(strategy, now - detected)
        return True

    def _seen(self, markets: list[int]) -> Callable[[int], bool]:
        """A landing's effect: our account and the books of ``markets`` as of the landing slot (a plan on an
        older book would send the same legs again into orders they already took)."""
        cache = self.ctx.cache

        def seen(landed: int) -> bool:
            books = (cache.markets[i].orderbook for i in markets if i in cache.markets)
            return self._account_seen(landed) and all((cache.slot_of(b) or -1) >= landed for b in books)
        return seen

    def _account_seen(self, landed: int) -> bool:
        """A landing's effect: the cache holds our account as of the landing slot (the capture is read from it)."""
        assert self.own_address is not None
        return (self.ctx.cache.slot_of(self.own_address) or -1) >= landed

    def on_result(self, result: ActionResult) -> None:
        a = result.action
        if a.kind == ActionKind.ARB_LEGS:
            self._legs_done(result)
        elif a.kind == ActionKind.ARB_UNWIND:
            orphan = self.orphans.get(a.detail["hedge"])
            if orphan is not None:
                orphan.in_flight = False
                orphan.executor.filled(a.detail["base"], a.detail["base"] if result.landed else 0)

    def _legs_done(self, result: ActionResult) -> None:
        sent = self.in_flight_legs.pop(result.action.key, None)
        if sent is None:
            return
        a = self.analytics[sent.strategy]
        program_legs = [leg for leg in sent.opp.legs if leg.venue == PROGRAM]
        if not result.landed:
            a.outcome(float(sent.opp.edge), 0.0, 0.0, len(sent.opp.legs), len(sent.opp.legs))
            self.metrics.legs(sent.strategy, len(sent.opp.legs), len(sent.opp.legs))
            self._failed(True)
            return
        self._failed(False)
        own = self.ctx.cache.users.get(self.own_address)
        slippage, filled_share = self._shortfall(sent, program_legs, own) if own is not None else (0.0, Decimal(1))
        extra_fees = 0.0
        hedge = next((leg for leg in sent.opp.legs if leg.venue != PROGRAM), None)
        if hedge is None:
            missed = len(program_legs) if filled_share == 0 else 0  # an IOC that landed but met no order
            a.outcome(float(sent.opp.edge * filled_share), slippage, extra_fees, len(program_legs), missed)
            self.metrics.legs(sent.strategy, len(program_legs), missed)
            self.metrics.captured(sent.strategy, float(sent.opp.edge * filled_share))
        else:  # the capture is counted once the hedge filled
            sent.extra.update(slippage=slippage, extra_fees=extra_fees)
            self._pending_capture[result.action.key] = sent
            self._reconcile_due = True
            self.wake()
        if sent.pair is not None and sent.pair_target is not None:
            st = self.pair_states[sent.pair]
            y_leg = next((leg for leg in program_legs if int(leg.symbol) == sent.pair[0]), None)
            x_leg = next((leg for leg in program_legs if int(leg.symbol) == sent.pair[1]), None)
            st.held = (st.held[0] + _signed(y_leg), st.held[1] + _signed(x_leg))

    def _shortfall(self, sent: Sent, legs: list[Leg], own: User) -> tuple[float, Decimal]:
        """(quote the legs fell short of what they were sized for, share of the legs that filled).

        A fill moves the position's cash (quote entry plus unsettled PnL) by its quote, less the taker fee
        the program books there: a leg's shortfall is the cash the depth and the fee rate promised less the
        cash it moved (positive: worse). Collateral the PnL was settled into meanwhile counts as cash."""
        total = Decimal(0)
        share = Decimal(1)
        for leg in legs:
            index = int(leg.symbol)
            base0, cash0 = sent.before[index]
            base1, cash1 = _holding(own, index)
            moved = Decimal(abs(base1 - base0)) / BASE_PRECISION
            share = min(share, moved / leg.qty)
            sign = 1 if leg.side is Side.BUY else -1
            promised = -sign * leg.average * moved - self._fee(index) * leg.average * moved
            short = promised - Decimal(cash1 - cash0) / QUOTE_PRECISION
            self.metrics.slippage(sent.strategy, float(short))
            total += short
        total -= Decimal(own.collateral - sent.collateral) / QUOTE_PRECISION
        return float(total), share

    def _failed(self, failed: bool) -> None:
        self.failed_in_row = self.failed_in_row + 1 if failed else 0
        limit = self.config.max_failed_in_row
        if limit and self.failed_in_row >= limit and not self.tripped:
            self.tripped = True
            log.warning("[%s] %d legs failed in a row: no new opportunity until restart", self.name, self.failed_in_row,
                        extra={"bot": self.name})

    # -- hedges (cross-venue) -----------------------------------------------------------------------
    @property
    def journal(self) -> Any:
        return self.ctx.pipeline.journal

    def reconcile(self) -> None:
        """Start the hedge of every landed cross-venue leg whose hedge is neither done nor running, and the
        unwind of every failed hedge whose orphan is not unwound (also after a restart: from the journal)."""
        journal = self.journal
        landed_legs = [e for e in journal.of_kind(ActionKind.ARB_LEGS, LOOK_BACK)
                       if e.status is Status.LANDED and "hedge" in e.detail]
        for entry in landed_legs:
            hkey = intent_key(ActionKind.ARB_HEDGE, legs=entry.key)
            if hkey in self.hedging or hkey in self.orphans:
                continue
            last = journal.latest(hkey)
            if journal.landed(hkey):
                continue
            if last is not None and last.status is Status.FAILED:
                self._orphan_from_journal(hkey, entry.detail["hedge"])
                continue
            if self.venue is None:
                continue
            resumed = last is not None  # an earlier attempt (maybe this run's, maybe the last run's) may have arrived
            self.hedging[hkey] = self._spawn(self._hedge(hkey, entry.key, entry.detail["hedge"], resumed))

    async def _hedge(self, hkey: str, legs_key: str, spec: dict[str, Any], resumed: bool) -> None:
        """Place the hedge once (looked up by client id first when an earlier attempt may have arrived)."""
        assert self.venue is not None and self.own_address is not None
        c = self.config
        cid = client_id_of(hkey)
        row = self.journal.record_intent(hkey, self.name, ActionKind.ARB_HEDGE, str(self.own_address),
                                         dict(spec, client_id=cid))
        qty, limit = Decimal(spec["qty"]), Decimal(spec["limit"])
        buy = spec["side"] == Side.BUY.value
        band = limit * Decimal(str(c.hedge_band_bps)) / BPS
        price = limit + band if buy else limit - band
        report, error = None, "not sent"
        started = self.clock.monotonic()
        try:
            for attempt in range(c.hedge_attempts):
                try:
                    if resumed or attempt:
                        report = await _find(self.venue, spec["symbol"], cid)
                    if report is None:
                        report = await self.venue.place(OrderRequest(spec["symbol"], Side(spec["side"]), qty,
                                                                     _on_venue_grid(self.venue, spec["symbol"], price, buy),
                                                                     TimeInForce.IOC, client_id=cid))
                    break
                except VenueError as e:
                    self.metrics.venue_error(e.kind)
                    error = f"{e.kind}: {e}"
                    if e.kind in (ErrorKind.REJECTED, ErrorKind.AUTH):
                        break
                    await asyncio.sleep(e.retry_after_s or c.hedge_retry_s)
            filled = report.filled if report is not None else Decimal(0)
            self.metrics.hedge_latency(self.clock.monotonic() - started)
            if filled >= qty:
                self.journal.record_outcome(row, Status.LANDED)
                self.venue_positions[spec["symbol"]] = self.venue_positions.get(spec["symbol"], Decimal(0)) + (
                    qty if buy else -qty)
                self._hedged(legs_key, report.average or price, qty, buy)
                return
            if report is not None:
                error = f"{report.status}: filled {filled} of {qty}"
            self.journal.record_outcome(row, Status.FAILED, error=f"{HEDGE_FAILED}: {error}")
            self.venue_positions[spec["symbol"]] = self.venue_positions.get(spec["symbol"], Decimal(0)) + (
                filled if buy else -filled)
            log.warning("[%s] hedge %s failed (%s): unwinding the program leg", self.name, hkey, error,
                        extra={"bot": self.name})
            sent = self._pending_capture.pop(legs_key, None)
            if sent is not None:
                a = self.analytics[sent.strategy]
                a.outcome(float(sent.opp.edge), 0.0, 0.0, 2, 1)
                a.orphans += 1
                self.metrics.legs(sent.strategy, 2, 1)
            self.metrics.orphaned()
            self._failed(True)
            self._orphan(hkey, spec, qty - filled)
        finally:
            self.hedging.pop(hkey, None)
            self._reconcile_due = True
            self.wake()

    def _hedged(self, legs_key: str, average: Decimal, qty: Decimal, buy: bool) -> None:
        sent = self._pending_capture.pop(legs_key, None)
        if sent is None:
            return  # hedged after a restart: the capture was not measured in this run
        hedge = sent.opp.legs[1]
        sign = 1 if buy else -1
        slip = float(sign * (average - hedge.average) * qty)
        self.metrics.slippage(sent.strategy, slip)
        a = self.analytics[sent.strategy]
        slippage = sent.extra.get("slippage", 0.0) + slip
        a.outcome(float(sent.opp.edge), slippage, sent.extra.get("extra_fees", 0.0), 2, 0)
        self.metrics.legs(sent.strategy, 2, 0)
        self.metrics.captured(sent.strategy, float(sent.opp.edge))

    def _orphan_from_journal(self, hkey: str, spec: dict[str, Any]) -> None:
        """A failed hedge found in the journal: unwind what its children have not (after a restart)."""
        done = sum(e.detail.get("base", 0) for e in self.journal.of_kind(ActionKind.ARB_UNWIND, LOOK_BACK)
                   if e.status is Status.LANDED and e.detail.get("hedge") == hkey)
        qty = Decimal(spec["qty"]) - from_base(done)
        self._orphan(hkey, spec, qty, done_base=done)

    def _orphan(self, hkey: str, spec: dict[str, Any], qty: Decimal, done_base: int = 0) -> None:
        """Unwind the program position an unhedged leg left (the hedge side's opposite on the program)."""
        market = self.ctx.cache.markets.get(spec["market"])
        if market is None:
            return
        p = market.params
        base = to_base(floor_to(qty, from_base(p.lot_size)))
        if base < p.min_order_size:
            return
        # the program leg bought when the hedge sells (and the reverse): the orphan is that position
        signed = base if spec["side"] == Side.SELL.value else -base
        executor = ScheduleExecutor(twap_schedule(base, self.config.unwind_slices, p.lot_size),
                                    self.config.unwind_interval_slots, self.ctx.clock.slot)
        self.orphans[hkey] = Orphan(hkey, spec["market"], signed, executor)
        self.wake()

    def step_orphans(self, own: User) -> None:
        """Send the due child of each orphan's unwind (reduce-only IOC within ``unwind_band_bps`` of the mark)."""
        slot = self.ctx.clock.slot
        for hkey, orphan in list(self.orphans.items()):
            ex = orphan.executor
            if ex.finished:
                del self.orphans[hkey]
                continue
            if orphan.in_flight:
                continue
            market = self.ctx.cache.markets.get(orphan.market)
            if market is None:
                continue
            p = market.params
            held = abs(_holding(own, orphan.market)[0])
            size = min(ex.due(slot), held)
            if size < p.min_order_size:
                if size:
                    ex.filled(size, 0)
                if held < p.min_order_size:
                    del self.orphans[hkey]  # nothing left to unwind
                continue
            selling = orphan.base > 0
            mark = market.mark_price or market.index_price
            band = mark * int(self.config.unwind_band_bps) // BPS
            tick = p.tick_size
            price = (max((mark - band) // tick * tick, tick) if selling else -(-(mark + band) // tick) * tick)
            assert self.program is not None and self.own_address is not None
            order = OrderRequest(str(orphan.market), Side.SELL if selling else Side.BUY, from_base(size), from_price(price),
                                 TimeInForce.IOC, reduce_only=True)
            child = ex.sent
            action = Action(
                bot=self.name, kind=ActionKind.ARB_UNWIND, key=intent_key(ActionKind.ARB_UNWIND, hedge=hkey, child=child),
                target=self.own_address,
                instructions=(*self.program.price_cranks([orphan.market]), self.program.order_instruction(order, 0)),
                locks=((self.name, f"market:{orphan.market}"),), simulate_first=False, urgent=True,
                effect=self._account_seen, expected=EXPECTED_LEG_ERRORS,
                detail={"hedge": hkey, "market": orphan.market, "base": size, "child": child})
            if self.submit(action):
                orphan.in_flight = True
            else:
                ex.sent -= 1  # not sent: due again next tick
                ex.history.pop()

    # -- reporting and shutdown ---------------------------------------------------------------------
    def analytics_report(self) -> dict[str, dict[str, Any]]:
        """The analytics of every strategy as plain dicts (for the simulator's report)."""
        return {s: dict(a.as_dict(), kill=self.kill_reason) for s, a in self.analytics.items()}

    async def close(self) -> None:
        """Stop the venue streams and wait (bounded) for hedges in progress: a hedge is not abandoned half-way."""
        hedges = list(self.hedging.values())
        if hedges:
            await asyncio.wait(hedges, timeout=10.0)
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await super().close()

    def health(self) -> dict[str, Any]:
        out = super().health()
        out.update(kill=self.kill_reason, hedging=len(self.hedging), orphans=len(self.orphans),
                   in_flight_legs=len(self.in_flight_legs))
        return out


def _holding(own: User, index: int) -> tuple[int, int]:
    """(base, cash) of our position in ``index``: cash is the quote entry plus the unsettled PnL, which a fill
    moves by exactly its quote (paid for a buy, received for a sale)."""
    p = next((p for p in own.positions if p.market_index == index and (p.base_amount or p.quote_entry_amount
                                                                        or p.unsettled_pnl or p.open_orders)), None)
    return (0, 0) if p is None else (p.base_amount, p.quote_entry_amount + p.unsettled_pnl)


def _signed(leg: Leg | None) -> Decimal:
    if leg is None:
        return Decimal(0)
    return leg.qty if leg.side is Side.BUY else -leg.qty


def _safe(fn: Callable[[str], str], symbol: str) -> str | None:
    try:
        return fn(symbol)
    except VenueError:
        return None


def _qty_step(venue: Venue, symbol: str) -> Decimal:
    step = getattr(venue, "qty_step", None)
    return step(symbol) if step is not None else Decimal(0)


def _on_venue_grid(venue: Venue, symbol: str, price: Decimal, buy: bool) -> Decimal:
    """A hedge's limit on the venue's price grid, rounded away from the book (so it still fills)."""
    exchange = getattr(venue, "exchange", None)
    if exchange is None:
        return price
    try:
        tick = Decimal(str(exchange.market(venue.unified(symbol))["precision"]["price"]))  # type: ignore[attr-defined]
    except (KeyError, TypeError):
        return price
    units = (price / tick).to_integral_value(ROUND_DOWN)
    if buy and units * tick < price:
        units += 1
    return units * tick


async def _find(venue: Venue, symbol: str, client_id: str) -> Any:
    find = getattr(venue, "order_by_client_id", None)
    return None if find is None else await find(symbol, client_id)


__all__ = ["ArbitrageBot", "Orphan", "client_id_of", "floor_to", "market_asset"]
