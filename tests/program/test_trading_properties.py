"""Random order flow against the program, step by step, compared with two Python references.

* A reference order book (``Book`` below, written from the matching rules in the header comments of
  trading.c and orderbook.c: price-time priority, self-trade cancels the resting order, at most 16
  fills, reduce-only clamp net of resting same-side orders, PostOnly fails on a cross, Market/IOC
  remainders dropped, prices within half the mark, the open-interest limit counting queued maker
  fills, the maker rebate fixed at the fill, a minimum notional for orders that may rest, a limit of
  resting orders per user, a better order evicting the worst of a full side through an out event in
  the queue, initial margin checked last) predicts each instruction's outcome: the error,
  or the exact events, book, queue, fee pool and open interest.
* keepers/exchange/margin.py, the mirror of positions.c and margin.c: every user's position is rebuilt by
  replaying the *decoded* FillEvent / MakerFillApplied events with ``apply_fill`` (taker fee out of,
  maker rebate into, unsettled PnL; both recomputed here from the market's basis points) and must
  equal the decoded account; and whenever every check before the margin check passes, the program
  lands the order exactly when ``compute_margin`` says the result meets initial margin.

Trading.send (tests/program/test_trading.py) also checks conservation and reservations after every
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from keepers.exchange import instructions as ix
from keepers.exchange import margin as mirror
from keepers.exchange.pdas import event_queue_pda, orderbook_pda
from keepers.execution.results import Landed
from localnet.bootstrap import LocalExchange, default_market_params
from localnet.svm import LocalSvm
from programs_client.perp.constants import (
    BASE_PRECISION as BASE,
    PRICE_PRECISION as PRICE,
    QUEUE_EVENT_FILL,
    QUEUE_EVENT_OUT,
    QUOTE_PRECISION as QUOTE,
)
from programs_client.perp.types import market_status
from tests.program.helpers import enum_name, events
from tests.program.test_trading import (
    ASK,
    BID,
    IOC,
    LIMIT,
    MARKET,
    MAX_FILLS,
    POST_ONLY,
    QUEUE_CAPACITY,
    SIDE_CAPACITY,
    Trading,
    raw_book,
    raw_queue,
)

TICK, LOT, MIN_SIZE = 1_000, 1_000, 1_000_000  # 0.001 quote, 1e-6 base, 0.001 base: quantities that round
MARK = 100 * PRICE
DEFAULTS = default_market_params()
MIN_NOTIONAL, MAX_ORDERS_PER_USER = DEFAULTS.min_order_notional, DEFAULTS.max_orders_per_user
KINDS = {"Limit": LIMIT, "Market": MARKET, "PostOnly": POST_ONLY, "ImmediateOrCancel": IOC}
STATUSES = {"Active": market_status.Active(), "ReduceOnly": market_status.ReduceOnly(), "Paused": market_status.Paused()}
S_BID, S_ASK = 0, 1


@dataclass
class Order:
    owner: int
    order_id: int
    client_order_id: int
    price: int
    base_amount: int


@dataclass
class Fill:
    maker: int
    maker_order_id: int
    price: int
    base_amount: int
    maker_rebate: int
    maker_side: int
    maker_order_done: int
    kind: int = QUEUE_EVENT_FILL


@dataclass
class Config:
    taker_bps: int
    maker_bps: int
    initial_bps: int
    max_oi: int


class Book:
    """The reference order book and the market fields trading changes. Positions live in ``pos``."""

    def __init__(self, cfg: Config, collateral: list[int]) -> None:
        self.cfg = cfg
        self.collateral = collateral
        self.bids: list[Order] = []  # best last
        self.asks: list[Order] = []
        self.queue: list[Fill] = []
        self.pos = [mirror.Position(market_index=0) for _ in collateral]
        self.fee_pool = 0
        self.oi = [0, 0]
        self.next_id = 1
        self.seq = 0
        self.status = "Active"
        self.mark = MARK

    def copy(self) -> Book:
        b = Book.__new__(Book)
        b.__dict__.update(self.__dict__)
        b.bids = [replace(o) for o in self.bids]
        b.asks = [replace(o) for o in self.asks]
        b.queue = [replace(f) for f in self.queue]
        b.pos = list(self.pos)
        b.oi = list(self.oi)
        return b

    def market_state(self) -> mirror.MarketState:
        return mirror.MarketState(0, self.mark, 0, 0, self.cfg.initial_bps, self.cfg.initial_bps // 2)

    def pending_base(self, maker_side: int) -> int:
        return sum(f.base_amount for f in self.queue if f.maker_side == maker_side and f.kind == QUEUE_EVENT_FILL)

    def side_orders(self, s: int) -> list[Order]:
        return self.bids if s == S_BID else self.asks

    def release(self, u: int, s: int, base: int, done: bool) -> None:
        p = self.pos[u]
        f = "open_bids" if s == S_BID else "open_asks"
        p = replace(p, **{f: max(getattr(p, f) - base, 0)})
        if done and p.open_orders:
            p = replace(p, open_orders=p.open_orders - 1)
        self.pos[u] = p

    def apply(self, u: int, s: int, base: int, price: int) -> tuple[int, int]:
        """Apply a fill to u's position and to open interest; return (floor quote, ceil quote)."""
        quote = mirror.fill_quote(base, price, s)
        self.pos[u], oi = mirror.apply_fill(self.pos[u], self.market_state(), s, base, quote)
        self.oi[0] += oi.long_delta
        self.oi[1] += oi.short_delta
        return oi.long_delta, oi.short_delta

    def add_pnl(self, u: int, amount: int) -> None:
        self.pos[u] = replace(self.pos[u], unsettled_pnl=self.pos[u].unsettled_pnl + amount)

    def adjusted_equity(self, u: int) -> tuple[int, mirror.Margin]:
        """u's equity less what its orders through the mark and its queued maker fills lose against the
        mark (trading.c pk_adjusted_equity), with its margin."""
        mg = mirror.compute_margin(self.collateral[u], [self.pos[u]], {0: self.market_state()})
        loss = mirror.through_mark_loss(self.bids, self.asks, u, self.mark)
        loss += mirror.queued_fills_loss(self.queue, u, self.mark)
        return mg.equity - loss, mg

    # -- instructions: return (error name or None, events, margin verdict or None) ------------------
    def place(self, u: int, s: int, price: int, base: int, kind: str, reduce_only: bool, client: int) -> tuple[str | None, list, bool | None]:
        if self.status == "Paused":
            return "MarketNotTradable", [], None
        reduce_only = reduce_only or self.status == "ReduceOnly"
        if not self.mark - self.mark // 2 <= price <= self.mark + self.mark // 2:
            return "OrderPriceOutOfBand", [], None
        if mirror.ceil_div(base * price, BASE) > 2**52:
            return "InvalidOrder", [], None
        remaining = base
        pos = self.pos[u]
        if reduce_only:
            held = max(-pos.base_amount, 0) if s == S_BID else max(pos.base_amount, 0)
            limit = max(held - (pos.open_bids if s == S_BID else pos.open_asks), 0)
            limit -= limit % LOT
            if limit == 0:
                return "ReduceOnlyViolated", [], None
            remaining = min(remaining, limit)
            adjusted_before = self.adjusted_equity(u)[0]
        accepted = remaining
        rests = kind in ("Limit", "PostOnly")
        if rests and mirror.ceil_div(remaining * price, BASE) < MIN_NOTIONAL:
            return "OrderBelowMinNotional", [], None
        evs: list = []
        maker_side = S_ASK if s == S_BID else S_BID
        opp = self.side_orders(maker_side)
        fills = 0
        while remaining > 0 and opp and fills < MAX_FILLS:
            best = opp[-1]
            if not (best.price <= price if s == S_BID else best.price >= price):
                break
            if kind == "PostOnly":
                return "PostOnlyWouldCross", [], None
            if best.owner == u:
                self.release(u, maker_side, best.base_amount, True)
                evs.append(("OrderCancelled", u, best.order_id, best.base_amount, maker_side))
                opp.pop()
                continue
            fb = min(remaining, best.base_amount)
            done = fb == best.base_amount
            if len(self.queue) >= QUEUE_CAPACITY:
                return "EventQueueFull", [], None
            rebate = fb * best.price // BASE * self.cfg.maker_bps // 10_000
            self.queue.append(Fill(best.owner, best.order_id, best.price, fb, rebate, maker_side, int(done)))
            seq = self.seq
            self.seq += 1
            long_d, short_d = self.apply(u, s, fb, best.price)
            fee = mirror.ceil_div(mirror.fill_quote(fb, best.price, s) * self.cfg.taker_bps, 10_000)
            self.add_pnl(u, -fee)
            self.fee_pool += fee
            # the queued maker fills (this one included) may still add to their side
            long_worst = self.oi[0] + self.pending_base(S_BID)
            short_worst = self.oi[1] + self.pending_base(S_ASK)
            if (long_worst > self.cfg.max_oi and (long_d > 0 or s == S_ASK)) or (
                short_worst > self.cfg.max_oi and (short_d > 0 or s == S_BID)
            ):
                return "OpenInterestLimit", [], None
            evs.append(("FillEvent", u, best.owner, best.order_id, best.price, fb, fee, seq, s))
            remaining -= fb
            fills += 1
            if done:
                opp.pop()
            else:
                best.base_amount -= fb
        rest_id = rest = 0
        if remaining > 0 and rests:
            if sum(1 for o in self.bids + self.asks if o.owner == u) >= MAX_ORDERS_PER_USER:
                return "TooManyOpenOrders", [], None
            same = self.side_orders(s)
            rest_id, rest = self.next_id, remaining
            self.next_id += 1
            if len(same) >= SIDE_CAPACITY:
                worst = same[0]  # the latest order at the worst price
                if not (price > worst.price if s == S_BID else price < worst.price):
                    return "OrderbookFull", [], None
                if len(self.queue) >= QUEUE_CAPACITY:
                    return "EventQueueFull", [], None
                same.pop(0)
                self.queue.append(Fill(worst.owner, worst.order_id, worst.price, worst.base_amount, 0, s, 1, QUEUE_EVENT_OUT))
                evs.append(("OrderEvicted", worst.owner, worst.order_id, worst.price, worst.base_amount, self.seq, rest_id, s))
                self.seq += 1
            i = sum(1 for o in same if (o.price < price if s == S_BID else o.price > price))
            same.insert(i, Order(u, rest_id, client, price, rest))
            p = self.pos[u]
            f = "open_bids" if s == S_BID else "open_asks"
            self.pos[u] = replace(p, **{f: getattr(p, f) + rest, "open_orders": p.open_orders + 1})
        verdict = None
        adjusted, mg = self.adjusted_equity(u)
        if not reduce_only:
            verdict = adjusted >= 0 and adjusted >= mg.initial_requirement
            if not verdict:
                return "InsufficientMargin", [], False
        elif adjusted < mg.maintenance_requirement:
            traded = accepted - remaining + rest
            if adjusted < mirror.reduce_only_floor(adjusted_before, traded, self.mark, self.cfg.initial_bps // 4):
                return "ReduceOnlyWorseThanLiquidation", [], None
        evs.append(("OrderPlaced", u, rest_id, client, price, rest, s, kind))
        return None, evs, verdict

    def cancel(self, u: int, order_id: int) -> tuple[str | None, list, None]:
        for s in (S_BID, S_ASK):
            orders = self.side_orders(s)
            for i, o in enumerate(orders):
                if o.owner == u and o.order_id == order_id:
                    return None, [self._cancel_at(s, i)], None
        return "OrderNotFound", [], None

    def _cancel_at(self, s: int, i: int) -> tuple:
        o = self.side_orders(s).pop(i)
        self.release(o.owner, s, o.base_amount, True)
        return ("OrderCancelled", o.owner, o.order_id, o.base_amount, s)

    def cancel_all(self, u: int) -> tuple[None, list, None]:
        evs = []
        for s in (S_BID, S_ASK):
            for i in reversed(range(len(self.side_orders(s)))):
                if self.side_orders(s)[i].owner == u:
                    evs.append(self._cancel_at(s, i))
        return None, evs, None

    def consume(self, limit: int, passed: set[int]) -> tuple[str | None, list, None]:
        evs = []
        done = 0
        while done < limit and self.queue:
            f = self.queue[0]
            if f.maker not in passed:
                if not done:
                    return "MakerNotPassed", [], None
                break
            done += 1
            if f.kind == QUEUE_EVENT_OUT:  # an evicted order: only its reservation to release, nothing logged
                self.release(f.maker, f.maker_side, f.base_amount, True)
                self.queue.pop(0)
                continue
            self.apply(f.maker, f.maker_side, f.base_amount, f.price)
            self.release(f.maker, f.maker_side, f.base_amount, bool(f.maker_order_done))
            lo = f.base_amount * f.price // BASE
            hi = mirror.ceil_div(f.base_amount * f.price, BASE)
            rebate = f.maker_rebate
            self.fee_pool += hi - lo - rebate
            self.add_pnl(f.maker, rebate)
            evs.append(("MakerFillApplied", f.maker, f.maker_order_id, f.price, f.base_amount, rebate, self.seq - len(self.queue), f.maker_side))
            self.queue.pop(0)
        return None, evs, None


def side_of(v: Any) -> int:
    return S_BID if enum_name(v) == "Bid" else S_ASK


def as_tuple(name: str, e: Any, idx: dict) -> tuple:
    if name == "FillEvent":
        return (name, idx[e.taker], idx[e.maker], e.maker_order_id, e.price, e.base_amount, e.taker_fee, e.seq_num, side_of(e.taker_side))
    if name == "MakerFillApplied":
        return (name, idx[e.maker], e.maker_order_id, e.price, e.base_amount, e.maker_rebate, e.seq_num, side_of(e.maker_side))
    if name == "OrderPlaced":
        assert e.market_index == 0
        return (name, idx[e.user], e.order_id, e.client_order_id, e.price, e.base_amount, side_of(e.side), enum_name(e.order_type))
    if name == "OrderEvicted":
        assert e.market_index == 0
        return (name, idx[e.user], e.order_id, e.price, e.base_amount, e.seq_num, e.evicted_by, side_of(e.side))
    assert name == "OrderCancelled" and e.market_index == 0
    return (name, idx[e.user], e.order_id, e.base_amount, side_of(e.side))


def replay(positions: list[mirror.Position], evs: list[tuple[str, Any]], idx: dict, cfg: Config, ms: mirror.MarketState) -> None:
    """Apply decoded fill events to the mirror positions: the only way those positions move.

    The fee parameters never change during a run, so the rebate fixed at the fill is the one computed
    here from the market's rate."""
    for name, e in evs:
        if name == "FillEvent":
            u, s = idx[e.taker], side_of(e.taker_side)
            quote = mirror.fill_quote(e.base_amount, e.price, s)
            fee = mirror.ceil_div(quote * cfg.taker_bps, 10_000)
            assert e.taker_fee == fee
        elif name == "MakerFillApplied":
            u, s = idx[e.maker], side_of(e.maker_side)
            quote = mirror.fill_quote(e.base_amount, e.price, s)
            fee = -(e.base_amount * e.price // BASE * cfg.maker_bps // 10_000)
            assert e.maker_rebate == -fee
        else:
            continue
        pos, _ = mirror.apply_fill(positions[u], ms, s, e.base_amount, quote)
        positions[u] = replace(pos, unsettled_pnl=pos.unsettled_pnl - fee)


# ------------------------------------------------------------------------------------------------
# strategies

prices = st.integers(-40, 40).map(lambda k: MARK + k * 25_000)  # 99.000 .. 101.000
# 0.001 .. 0.003, 0.0001 .. 0.3 or 0.001 .. 3 base: tiny, medium and margin-binding orders
sizes = st.builds(lambda mantissa, scale: mantissa * scale, st.integers(1, 3_000), st.sampled_from([1_000, 100_000, 1_000_000]))
sizes = sizes.filter(lambda b: b >= MIN_SIZE)
users_ = st.integers(0, 3)
place = st.tuples(
    st.just("place"), users_, st.sampled_from([S_BID, S_ASK]), prices, sizes,
    st.sampled_from(["Limit", "Limit", "Limit", "Market", "PostOnly", "ImmediateOrCancel"]),
    st.sampled_from([False] * 5 + [True]),
    st.integers(0, 2**64 - 1),
)
ACTION = {
    "place": place,
    "cancel": st.tuples(st.just("cancel"), users_, st.integers(0, 1_000), st.booleans()),
    "cancel_all": st.tuples(st.just("cancel_all"), users_),
    "consume": st.tuples(st.just("consume"), st.integers(0, 40), st.sampled_from([False, False, True])),
    "mark": st.tuples(st.just("mark"), st.integers(-400, 400)),
    "status": st.tuples(st.just("status"), st.sampled_from(["Active", "Active", "Active", "ReduceOnly", "Paused"])),
}
# weights: half of the steps place orders
actions = st.sampled_from(["place"] * 8 + ["cancel"] * 2 + ["cancel_all", "consume", "consume", "consume", "mark", "status"]).flatmap(ACTION.__getitem__)
configs = st.builds(
    lambda taker, maker_frac, im, small_oi: Config(taker, taker * maker_frac // 4, im, BASE // 5 if small_oi else 10**6 * BASE),
    st.sampled_from([0, 1, 10, 25]),
    st.integers(0, 4),
    st.sampled_from([500, 1000, 2000]),
    st.sampled_from([False, False, True]),
)
collaterals = st.lists(
    st.tuples(st.sampled_from([1, 5, 20, 80, 400]), st.integers(0, 999_999)).map(lambda t: t[0] * QUOTE + t[1]),
    min_size=4,
    max_size=4,
)

# A fixed case: margin rejections and acceptances, self-trade, partial fills, a consume that stops at a
# maker that was not passed, a mark move and a clamped reduce-only market order.
FIXED = (
    Config(10, 2, 1000, 10**6 * BASE),
    [5 * QUOTE, 400 * QUOTE, 20 * QUOTE + 1, 80 * QUOTE],
    [
        ("place", 1, S_ASK, MARK, 2 * BASE, "Limit", False, 1),
        ("place", 3, S_ASK, MARK + 25_000, 1_234_567_000, "Limit", False, 2),
        ("place", 0, S_BID, MARK + 25_000, 600_000_000, "ImmediateOrCancel", False, 3),  # 60 notional on 5: rejected
        ("place", 0, S_BID, MARK + 25_000, 400_000_000, "Limit", False, 4),
        ("place", 2, S_BID, MARK + 50_000, 2_000_000_000, "Limit", False, 5),
        ("place", 1, S_BID, MARK + 50_000, 1_000_000, "Limit", False, 6),  # self-trade: cancels 1's rest
        ("consume", 1, True),
        ("consume", 5, True),
        ("mark", -300),
        ("place", 2, S_BID, MARK - 50_000, 1_000_000_000, "Limit", False, 8),  # 1 at 92.5 on 20: accepted
        ("place", 0, S_ASK, MARK - 75_000, 900_000_000, "Market", True, 7),  # clamped to the long 0.4
        ("consume", 40, False),
        ("cancel_all", 3),
    ],
)


# A fixed case of a full side: two users fill the bids (32 each, the most one user may rest), equal and
# worse prices are refused, a better one evicts the latest worst order (an out event), the per-user
# limit counts resting orders only, and consume applies the out events.
EVICTION = (
    Config(10, 2, 1000, 10**6 * BASE),
    [400 * QUOTE] * 4,
    [("place", k // 32, S_BID, MARK - 40 * 25_000 + k * TICK, 2 * MIN_SIZE, "Limit", False, k) for k in range(64)]
    + [
        ("place", 2, S_BID, MARK - 40 * 25_000, 2 * MIN_SIZE, "Limit", False, 64),  # as good as the worst: full
        ("place", 2, S_BID, MARK - 40 * 25_000 + TICK, 2 * MIN_SIZE, "Limit", False, 65),  # evicts user 0's first
        ("place", 3, S_BID, MARK - 40 * 25_000 - TICK, 2 * MIN_SIZE, "Limit", False, 66),  # worse: full
        ("place", 0, S_BID, MARK - 30 * 25_000, 2 * MIN_SIZE, "PostOnly", False, 67),  # 31 resting: evicts user 2's
        ("place", 0, S_BID, MARK - 30 * 25_000, 2 * MIN_SIZE, "PostOnly", False, 68),  # 32 resting: too many
        ("consume", 3, False),
        ("place", 1, S_ASK, MARK - 40 * 25_000, 64 * MIN_SIZE, "ImmediateOrCancel", False, 69),
        ("consume", 40, False),
        ("cancel_all", 0),
    ],
)


@lru_cache(maxsize=1)
def perp_program() -> bytes:
    # not the session fixture: hypothesis would print the whole program in a falsifying example
    from localnet.build import build_program

    return Path(build_program("perp")).read_bytes()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@example(*FIXED)
@example(*EVICTION)
@given(configs, collaterals, st.lists(actions, min_size=10, max_size=30))
def test_random_order_flow_matches_the_references(cfg: Config, collateral: list[int], steps: list[tuple]) -> None:
    ex = LocalExchange.create(LocalSvm(perp_program()))
    params = default_market_params(
        tick_size=TICK, lot_size=LOT, min_order_size=MIN_SIZE, max_open_interest=cfg.max_oi,
        taker_fee_bps=cfg.taker_bps, maker_rebate_bps=cfg.maker_bps,
        initial_margin_bps=cfg.initial_bps, maintenance_margin_bps=cfg.initial_bps // 2,
        liquidation_fee_bps=cfg.initial_bps // 4,
    )
    t = Trading(ex, params=params, mark=MARK)
    users = [t.add_user(deposit=c) for c in collateral]
    idx = {u.address: i for i, u in enumerate(users)}
    book = Book(cfg, collateral)
    replayed = [mirror.Position(market_index=0) for _ in users]
    admin = ex.admin
    pid = t.svm.program_id

    for step in steps:
        op = step[0]
        model = book.copy()
        if op == "place":
            _, u, s, price, base, kind, ro, client = step
            expected = model.place(u, s, price, base, kind, ro, client)
            out = t.place(users[u], BID if s == S_BID else ASK, price, base, KINDS[kind], reduce_only=ro, client_order_id=client)
            if expected[2] is not None:
                event(f"margin decided: {'accepted' if expected[2] else 'rejected'}")
        elif op == "cancel":
            _, u, pick, own = step
            mine = [o.order_id for o in book.bids + book.asks if o.owner == u]
            every = [o.order_id for o in book.bids + book.asks]
            pool = mine if own and mine else every
            order_id = pool[pick % len(pool)] if pool else pick
            expected = model.cancel(u, order_id)
            out = t.cancel(users[u], order_id)
        elif op == "cancel_all":
            expected = model.cancel_all(step[1])
            out = t.cancel_all(users[step[1]])
        elif op == "consume":
            _, limit, drop = step
            makers = list(dict.fromkeys(f.maker for f in book.queue[:limit]))
            if drop and makers:
                makers.pop()
            expected = model.consume(limit, set(makers))
            out = t.consume(limit=limit, makers=[users[m].address for m in makers])
        elif op == "mark":
            book.mark = MARK + step[1] * 25_000
            t.set_mark(book.mark)
            continue
        else:
            if step[1] != book.status:
                t.svm.send_ok([ix.set_market_status(admin.pubkey(), 0, STATUSES[step[1]])], [admin])
                book.status = step[1]
            continue

        error, evs, _ = expected
        logs = "\n".join(out.logs)
        if error is None:
            assert isinstance(out, Landed), f"{step}: expected to land, got {out.error_name}\n{logs}"
            got = events(out)
            assert [as_tuple(n, e, idx) for n, e in got] == evs, f"{step}\n{logs}"
            book = model
            replay(replayed, got, idx, cfg, book.market_state())
        else:
            assert not out.ok and out.error_name == error, f"{step}: expected {error}, got {out.error_name}\n{logs}"

        # positions: decoded == replayed events (cash, base) == reference (reservations as well)
        for i, u in enumerate(users):
            decoded = t.mirror_position(u)
            assert decoded == replace(replayed[i], open_bids=book.pos[i].open_bids, open_asks=book.pos[i].open_asks,
                                      open_orders=book.pos[i].open_orders), f"user {i} after {step}"
            assert decoded == book.pos[i]
        bids, asks = raw_book(t._data(orderbook_pda(0, pid)))
        for got_side, want in ((bids, book.bids), (asks, book.asks)):
            assert [(idx[o.owner], o.order_id, o.client_order_id, o.price, o.base_amount) for o in got_side] == [
                (o.owner, o.order_id, o.client_order_id, o.price, o.base_amount) for o in want
            ]
        q = raw_queue(t._data(event_queue_pda(0, pid)))
        assert (q.seq_num, q.pending_bid_base, q.pending_ask_base) == (book.seq, book.pending_base(S_BID), book.pending_base(S_ASK))
        assert [
            (idx[f.maker], f.maker_order_id, f.price, f.base_amount, f.maker_rebate, side_of(f.maker_side), f.maker_order_done, f.kind)
            for f in q.fills
        ] == [
            (f.maker, f.maker_order_id, f.price, f.base_amount, f.maker_rebate, f.maker_side, f.maker_order_done, f.kind)
            for f in book.queue
        ]
        m = t.market()
        assert (m.fee_pool, m.open_interest_long, m.open_interest_short, m.next_order_id) == (book.fee_pool, *book.oi, book.next_id)

    vault, total, claims = ex.conservation()
    assert vault == total == claims
