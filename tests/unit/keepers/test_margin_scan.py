"""keepers/exchange/margin_scan.py against keepers/margin.compute_margin, the exact mirror of the program.

The reference figures are computed here by calling ``compute_margin`` on the same inputs the
columns are fed (never through the code under test); the float screen must stay within its stated
tolerance of them, and ``liquidatable`` must name exactly the users ``compute_margin`` calls
liquidatable.
"""

from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from keepers.exchange.margin import Margin, MarketState, MathOverflow, Position, compute_margin, pending_funding
from keepers.exchange.margin_scan import (
    POSITION_SLOTS,
    ROUNDING_UNITS,
    Bankruptcy,
    UserColumns,
    at_marks,
    bankrupt,
    counted,
    liquidatable,
    scan,
    settlement_screen,
    user_columns,
)
from programs_client.perp.accounts import User
from programs_client.perp.constants import BASE_PRECISION as B, QUOTE_PRECISION as Q
from programs_client.perp.types.perp_position import PerpPosition

I64_MAX = 2**63 - 1
U64_MAX = 2**64 - 1
MARKET_POOL = [0, 1, 2, 7]
MISSING_MARKET = 9  # never in the markets mapping


def position(market_index: int = 0, base: int = 0, entry: int = 0, last: int = 0, bids: int = 0, asks: int = 0,
             pnl: int = 0, orders: int = 0) -> PerpPosition:
    return PerpPosition(base, entry, last, bids, asks, pnl, market_index, orders, [0] * 5)


def user(collateral: int, positions: list[PerpPosition]) -> User:
    slots = positions + [position() for _ in range(POSITION_SLOTS - len(positions))]
    return User(Pubkey.default(), Pubkey.default(), collateral, slots, 0, 0, 0, [0] * 4)


def reference(u: User, markets: dict[int, MarketState]) -> Margin | None:
    """compute_margin over every slot, None when it refuses (no market, no mark, out of i64)."""
    try:
        return compute_margin(u.collateral, [Position.from_account(p) for p in u.positions], markets)
    except (KeyError, ValueError, MathOverflow):
        return None


def unpriced(u: User, markets: dict[int, MarketState]) -> bool:
    """Whether a position with base or orders sits in a market missing from ``markets`` or without a mark."""
    return any(
        (p.base_amount or p.open_bids or p.open_asks)
        and (p.market_index not in markets or markets[p.market_index].mark_price == 0)
        for p in u.positions
    )


# ------------------------------------------------------------------------------------------------
# strategies at two scales: WIDE (ordinary sizes plus values near the limits: base ~1e15, price ~1e11,
# i64 fields) and TINY (a few units, where the integer floors and ceilings dominate the tolerance)


def mostly(usual: st.SearchStrategy[int], rare: st.SearchStrategy[int], odds: int = 6) -> st.SearchStrategy[int]:
    """``usual`` about ``odds`` times in ``odds + 1``, otherwise ``rare``."""
    return st.sampled_from([True] * odds + [False]).flatmap(lambda u: usual if u else rare)


class Scale(NamedTuple):
    signed: st.SearchStrategy[int]  # base, cumulative funding, funding snapshots
    prices: st.SearchStrategy[int]
    cash: st.SearchStrategy[int]  # quote entry, unsettled PnL, collateral (non-negative part)
    orders: st.SearchStrategy[int]  # open bids / asks
    near: int  # how close to maintenance tuned users' equity is put


big = st.sampled_from([2**53 + 1, 10**15, 10**17, 2**62, I64_MAX])
WIDE = Scale(
    signed=mostly(st.integers(-(10**15), 10**15), st.one_of(big, big.map(lambda v: -v))),
    prices=mostly(st.integers(1, 10**11), st.sampled_from([1, 10**11, 2**40 + 3]), odds=3),
    cash=st.integers(-(10**17), 10**17),
    orders=st.integers(1, 10**15) | st.just(U64_MAX),
    near=100,
)
TINY = Scale(st.integers(-3000, 3000), st.integers(1, 5000), st.integers(-1000, 1000), st.integers(1, 3000), near=3)
scales = st.sampled_from([WIDE, TINY])
bps = st.integers(0, 2**16 - 1)


@st.composite
def market_states(draw: st.DrawFn, scale: Scale = WIDE) -> dict[int, MarketState]:
    marks = mostly(scale.prices, st.just(0), odds=5)
    return {
        i: MarketState(i, draw(marks), draw(scale.signed), draw(scale.signed), draw(bps), draw(bps))
        for i in MARKET_POOL
    }


@st.composite
def positions(draw: st.DrawFn, scale: Scale = WIDE) -> list[PerpPosition]:
    out = []
    cash = st.just(0) | scale.cash
    orders = st.just(0) | scale.orders
    for _ in range(draw(st.integers(0, 4) | st.integers(0, POSITION_SLOTS))):
        exposure = draw(st.sampled_from(["none", "base", "orders", "both"]))
        base = draw(scale.signed.filter(lambda v: v != 0)) if exposure in ("base", "both") else 0
        bids, asks = (draw(orders), draw(orders)) if exposure in ("orders", "both") else (0, 0)
        out.append(position(
            market_index=draw(st.sampled_from(MARKET_POOL * 3 + [MISSING_MARKET])),
            base=base,
            entry=draw(cash),
            last=draw(scale.signed),
            bids=bids,
            asks=asks,
            pnl=draw(cash),
            orders=draw(st.integers(0, 3)),
        ))
    # empty slots anywhere, as the program leaves them after positions close
    return draw(st.permutations(out + [position() for _ in range(POSITION_SLOTS - len(out))]))


@st.composite
def users_at(draw: st.DrawFn, markets: dict[int, MarketState], scale: Scale) -> User:
    """A user; half the time its collateral puts its equity within ``scale.near`` units of maintenance."""
    pos = draw(positions(scale))
    collateral = abs(draw(scale.cash))
    if draw(st.booleans()):
        m0 = reference(user(0, pos), markets)
        if m0 is not None:
            wanted = m0.maintenance_requirement - m0.equity + draw(st.integers(-scale.near, scale.near))
            collateral = min(max(0, wanted), U64_MAX)  # the account's field is a u64
    return user(collateral, pos)


@st.composite
def books(draw: st.DrawFn) -> tuple[dict[int, MarketState], dict[Pubkey, User]]:
    scale = draw(scales)
    markets = draw(market_states(scale))
    users = draw(st.lists(users_at(markets, scale), min_size=1, max_size=12))
    return markets, {Pubkey.new_unique(): u for u in users}


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------------------------------------------
# the float screen stays within its tolerance; liquidatable is exact


@PROPERTY
@given(books())
def test_scan_is_within_tolerance_of_compute_margin(book: tuple[dict[int, MarketState], dict[Pubkey, User]]) -> None:
    markets, users = book
    cols = user_columns(users.items(), capacity=1)
    res = scan(cols, markets)
    for pk, u in users.items():
        r = cols.index[pk]
        if unpriced(u, markets):
            assert np.isnan(res.equity[r]) and not res.priced[r]
            continue
        ref = reference(u, markets)
        if ref is None:
            continue
        tol = res.tolerance[r]
        assert tol >= ROUNDING_UNITS
        assert abs(res.equity[r] - ref.equity) <= tol
        assert abs(res.maintenance[r] - ref.maintenance_requirement) <= tol
        assert abs(res.initial[r] - ref.initial_requirement) <= tol + 1e-9 * ref.initial_requirement


@PROPERTY
@given(books())
def test_liquidatable_is_exactly_compute_margin(book: tuple[dict[int, MarketState], dict[Pubkey, User]]) -> None:
    markets, users = book
    cols = user_columns(users.items())
    expected = {pk: m for pk, u in users.items() if (m := reference(u, markets)) is not None and m.liquidatable}
    found = liquidatable(cols, markets, users)
    assert {c.pubkey: c.margin for c in found} == expected
    assert [c.shortfall for c in found] == sorted((m.maintenance_requirement - m.equity for m in expected.values()),
                                                  reverse=True)
    assert all(c.shortfall > 0 for c in found)
    # the same through a lookup function
    assert liquidatable(cols, markets, users.get) == found


@PROPERTY
@given(books(), st.data())
def test_hypothetical_marks_and_row_subsets(book: tuple[dict[int, MarketState], dict[Pubkey, User]],
                                           data: st.DataObject) -> None:
    markets, users = book
    cols = user_columns(users.items())
    moved = at_marks(markets, {i: data.draw(WIDE.prices) for i in markets if data.draw(st.booleans())})
    full = scan(cols, moved)
    rows = data.draw(st.lists(st.integers(0, len(cols) - 1), max_size=5))
    part = scan(cols, moved, rows=rows)
    for name in ("equity", "maintenance", "initial", "tolerance"):
        np.testing.assert_array_equal(getattr(part, name), getattr(full, name)[rows])
    expected = {pk for pk in users if (m := reference(users[pk], moved)) is not None and m.liquidatable}
    assert {c.pubkey for c in liquidatable(cols, moved, users)} == expected
    picked = {cols.keys[r] for r in rows}
    assert {c.pubkey for c in liquidatable(cols, moved, users, part)} == expected & picked


def test_at_marks_replaces_only_the_given_marks() -> None:
    markets = {0: MarketState(0, 100 * Q, 5, -5), 1: MarketState(1, 7 * Q)}
    moved = at_marks(markets, {0: 90 * Q})
    assert moved == {0: MarketState(0, 90 * Q, 5, -5), 1: markets[1]}
    assert markets[0].mark_price == 100 * Q


# ------------------------------------------------------------------------------------------------
# hand-computed cases


def test_a_hand_computed_user_near_maintenance() -> None:
    # 10 base long at mark 100, entry -1000 quote: value 1000 quote; maintenance 5%: ceil(1000 * 0.05) = 50 quote,
    # initial 10%: 100 quote. Funding: long cumulative 2e9 above the snapshot: -10e9 * 2e9 / 1e12 = -20e6 = -20 quote.
    markets = {0: MarketState(0, 100 * Q, cumulative_funding_long=2 * 10**9)}
    pos = [position(0, base=10 * B, entry=-1000 * Q)]
    ok, under = Pubkey.new_unique(), Pubkey.new_unique()
    # equity = collateral - 1000 + 1000 - 20: 70 - 20 = 50 meets 50; one unit less does not
    users = {ok: user(70 * Q, pos), under: user(70 * Q - 1, pos)}
    cols = user_columns(users.items())
    res = scan(cols, markets)
    assert res.equity.tolist() == [50 * Q, 50 * Q - 1]
    assert res.maintenance.tolist() == [50 * Q, 50 * Q]
    assert res.initial.tolist() == [100 * Q, 100 * Q]
    [c] = liquidatable(cols, markets, users)
    assert c.pubkey == under and c.shortfall == 1 and c.margin == Margin(50 * Q - 1, 100 * Q, 50 * Q, 50 * Q)


def test_products_beyond_int64_are_valued() -> None:
    # 1e15 base (1e6 whole) short at mark 1e11 (100,000 quote): base * mark = 1e26 overflows int64; value -1e17.
    # Entry 1e17 + 5e15 - 1: equity 5e15 - 1 against maintenance ceil(1e17 * 5%) = 5e15. The float sum of 1.05e17
    # cannot see the last unit (float64 spacing there is 16); the exact confirmation can.
    markets = {3: MarketState(3, 10**11, maintenance_margin_bps=500)}
    under = user(0, [position(3, base=-(10**15), entry=10**17 + 5 * 10**15 - 1)])
    at = user(0, [position(3, base=-(10**15), entry=10**17 + 5 * 10**15)])
    users = {Pubkey.new_unique(): under, Pubkey.new_unique(): at}
    cols = user_columns(users.items())
    res = scan(cols, markets)
    assert abs(res.equity[0] - (5 * 10**15 - 1)) <= 16 and res.maintenance[0] == 5 * 10**15
    assert len(res.screened()) == 2
    [c] = liquidatable(cols, markets, users)
    assert c.pubkey == cols.keys[0] and c.shortfall == 1


def test_users_exposed_to_a_market_without_mark_are_skipped() -> None:
    markets = {0: MarketState(0, 0), 1: MarketState(1, 100 * Q)}
    deep_under = [position(1, base=B, entry=-1000 * Q)]
    users = {
        Pubkey.new_unique(): user(0, deep_under + [position(0, bids=B)]),  # orders in the unpriced market
        Pubkey.new_unique(): user(0, deep_under + [position(2, base=B)]),  # a market the caller does not know
        Pubkey.new_unique(): user(0, deep_under + [position(0, pnl=-5)]),  # no exposure there: valued
    }
    cols = user_columns(users.items())
    res = scan(cols, markets)
    assert res.priced.tolist() == [False, False, True]
    assert [c.pubkey for c in liquidatable(cols, markets, users)] == [cols.keys[2]]


# ------------------------------------------------------------------------------------------------
# bankruptcy


@PROPERTY
@given(st.lists(st.tuples(st.integers(0, 10**9), positions()), min_size=1, max_size=20))
def test_bankrupt_lists_flat_users_with_negative_equity(drawn: list[tuple[int, list[PerpPosition]]]) -> None:
    # make most users flat: keep only PnL and entry, half the time
    users = {}
    for k, (collateral, pos) in enumerate(drawn):
        if k % 2:
            pos = [replace(p, base_amount=0, open_bids=0, open_asks=0, open_orders=0) for p in pos]
        users[Pubkey.new_unique()] = user(collateral, pos)
    cols = user_columns(users.items())
    expected = {
        pk: [p.market_index for p in u.positions if p.unsettled_pnl < 0]
        for pk, u in users.items()
        if u.collateral + sum(p.unsettled_pnl for p in u.positions) < 0
        and not any(p.base_amount or p.open_bids or p.open_asks or p.open_orders for p in u.positions)
    }
    found = bankrupt(cols)
    assert {b.pubkey: b.market_indices for b in found} == expected
    deficits = [-(users[b.pubkey].collateral + sum(p.unsettled_pnl for p in users[b.pubkey].positions)) for b in found]
    assert deficits == sorted(deficits, reverse=True)


def test_bankrupt_hand_case() -> None:
    flat = user(3, [position(0, pnl=-10), position(1, pnl=4), position(2, pnl=-1)])  # 3 - 7 < 0
    open_orders = user(0, [position(0, pnl=-10, orders=1)])  # a reservation left: not flat
    covered = user(7, [position(0, pnl=-7)])  # 7 - 7 = 0
    keys = [Pubkey.new_unique() for _ in range(3)]
    cols = user_columns(zip(keys, [flat, open_orders, covered]))
    assert bankrupt(cols) == [Bankruptcy(keys[0], [0, 2])]


def test_a_flagged_user_that_deposited_is_listed_to_unflag() -> None:
    """Its flag keeps insurance removals waiting (Exchange.bankruptUsers); resolve_bankruptcy, in any market,
    clears it. It comes after every real deficit."""
    flagged = replace(user(20, [position(1, pnl=-7)]), flags=2)  # deposited: 20 - 7 >= 0
    deficit = user(3, [position(2, pnl=-10)])
    not_flat = replace(user(20, [position(1, pnl=-7, orders=1)]), flags=2)
    keys = [Pubkey.new_unique() for _ in range(3)]
    cols = user_columns(zip(keys, [flagged, deficit, not_flat]))
    assert bankrupt(cols) == [Bankruptcy(keys[1], [2]), Bankruptcy(keys[0], [0])]


# ------------------------------------------------------------------------------------------------
# columns follow upserts and removals


FIELDS = ("base_amount", "quote_entry_amount", "last_cumulative_funding", "open_bids", "open_asks", "unsettled_pnl")


def assert_columns_match(cols: UserColumns, users: dict[Pubkey, User]) -> None:
    assert len(cols) == len(users) == len(cols.keys)
    assert set(cols.index) == set(users) and all(cols.index[pk] == r for r, pk in enumerate(cols.keys))
    rows = [users[pk] for pk in cols.keys]
    assert [int(c) for c in cols.collateral] == [u.collateral for u in rows]
    for name in FIELDS:
        assert getattr(cols, name).tolist() == [[getattr(p, name) for p in u.positions] for u in rows], name
    counted = [[bool(p.base_amount or p.open_bids or p.open_asks or p.quote_entry_amount or p.unsettled_pnl)
                for p in u.positions] for u in rows]
    assert cols.market_index.tolist() == [[p.market_index if c else -1 for p, c in zip(u.positions, cs)]
                                          for u, cs in zip(rows, counted)]


@st.composite
def operations(draw: st.DrawFn) -> list[tuple[str, int, User | None]]:
    ops = []
    for _ in range(draw(st.integers(1, 20))):
        key = draw(st.integers(0, 9))
        if draw(st.integers(0, 3)) == 0:
            ops.append(("remove", key, None))
        else:
            ops.append(("upsert", key, user(draw(st.integers(0, 10**12)), draw(positions()))))
    return ops


@settings(PROPERTY, max_examples=80)
@given(operations(), market_states())
def test_upsert_and_remove_keep_columns_consistent(ops: list[tuple[str, int, User | None]],
                                                   markets: dict[int, MarketState]) -> None:
    keys = [Pubkey.new_unique() for _ in range(10)]
    cols, users = UserColumns(capacity=1), {}
    for op, k, u in ops:
        if op == "remove":
            assert cols.remove(keys[k]) == (keys[k] in users)
            users.pop(keys[k], None)
        else:
            assert u is not None
            cols.upsert(keys[k], u)
            users[keys[k]] = u
        assert_columns_match(cols, users)
    # the derived screen columns too: a scan equals that of columns built afresh from the dict
    fresh = user_columns(users.items())
    a, b = scan(cols, markets), scan(fresh, markets)
    order = [fresh.index[pk] for pk in cols.keys]
    for name in ("equity", "maintenance", "initial", "tolerance"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name)[order])
    assert dict(bankrupt(cols)) == dict(bankrupt(fresh))


# ------------------------------------------------------------------------------------------------
# settlement_screen never leaves out a user the settler's rules would settle


def needs_settlement(u: User, kept: set[int], markets: dict[int, MarketState], settling: set[int],
                     funding_threshold: int, pnl_threshold: int, empty_pools: set[int]) -> bool:
    """The settler's rules (keepers.bots.settler) on the positions compute_margin counts (a position
    with resting orders reserves base, so it is counted too)."""
    held = [Position.from_account(p) for p in u.positions if counted(p) and p.market_index in kept]
    if any(p.market_index in settling for p in held):
        return True
    owed = sum(abs(pending_funding(p, markets[p.market_index])) for p in held if p.market_index in markets)
    return owed > funding_threshold or any(
        (p.unsettled_pnl > pnl_threshold and p.market_index not in empty_pools)
        or (p.unsettled_pnl < -pnl_threshold and u.collateral > 0) for p in held)


@PROPERTY
@given(books(), st.data())
def test_settlement_screen_is_a_tight_superset_of_the_settlers_rules(
        book: tuple[dict[int, MarketState], dict[Pubkey, User]], data: st.DataObject) -> None:
    markets, users = book
    kept = set(data.draw(st.lists(st.sampled_from(MARKET_POOL + [MISSING_MARKET]), min_size=1)))
    settling = set(data.draw(st.lists(st.sampled_from(MARKET_POOL), max_size=2)))
    priced = {i: m for i, m in markets.items() if i in kept}
    funding_threshold = data.draw(st.sampled_from([0, 1, Q, 10**15]) | st.integers(0, U64_MAX))
    pnl_threshold = data.draw(st.sampled_from([0, 1, Q]) | st.integers(0, U64_MAX))
    empty_pools = set(data.draw(st.lists(st.sampled_from(MARKET_POOL), max_size=2)))
    cols = user_columns(users.items())
    rows = settlement_screen(cols, kept, priced, settling & kept, funding_threshold, pnl_threshold, empty_pools)
    assert len(set(rows.tolist())) == len(rows)
    limited = settlement_screen(cols, kept, priced, settling & kept, funding_threshold, pnl_threshold, empty_pools,
                                limit=2)
    assert limited.tolist() == rows.tolist()[:2]  # the budgeted call keeps the most urgent, in order
    screened = {cols.keys[r] for r in rows}
    for pk, u in users.items():
        try:
            wanted = needs_settlement(u, kept, priced, settling, funding_threshold, pnl_threshold, empty_pools)
        except (KeyError, ValueError, MathOverflow):
            continue  # the planner could not value it either
        if wanted:
            assert pk in screened, f"{pk} needs settling but was screened out"
        elif pk in screened:  # only by the funding estimate's margin, within a few units of the threshold
            held = [Position.from_account(p) for p in u.positions if counted(p) and p.market_index in kept]
            owed = sum(abs(pending_funding(p, priced[p.market_index])) for p in held if p.market_index in priced)
            assert 0 <= funding_threshold - owed <= POSITION_SLOTS + funding_threshold * 1e-6 + 1


def test_settlement_screen_hand_case() -> None:
    m = {0: MarketState(0, 100 * Q, cumulative_funding_long=5 * 10**12, cumulative_funding_short=-(5 * 10**12))}
    a, b, c, d = (Pubkey.new_unique() for _ in range(4))
    users = {
        a: user(Q, [position(0, base=2 * B, last=0)]),  # owes 2e9 * 5e12 / 1e12 = 1e10 units (10,000 quote)
        b: user(Q, [position(0, base=B, last=5 * 10**12, pnl=3 * Q)]),  # no funding, PnL of 3 quote
        c: user(Q, [position(0, base=B, last=5 * 10**12, pnl=Q // 2)]),  # nothing past the thresholds
        d: user(Q, [position(1, base=B)]),  # only in a market not kept
    }
    cols = user_columns(users.items())
    names = {a: "a", b: "b", c: "c", d: "d"}

    def screen(funding: int, pnl: int, settling: set[int] = frozenset()) -> set[str]:
        return {names[cols.keys[r]] for r in settlement_screen(cols, {0}, m, settling, funding, pnl)}

    assert screen(funding=10**10 + 10**6, pnl=Q) == {"b"}
    assert screen(funding=10**10 - 1, pnl=Q) == {"a", "b"}
    assert screen(funding=10**11, pnl=Q // 4) == {"b", "c"}
    assert screen(funding=10**11, pnl=10 * Q, settling={0}) == {"a", "b", "c"}
    # Most urgent first: a owes 10,000 quote of funding, b holds 3 quote of PnL, c half a quote.
    assert [names[cols.keys[r]] for r in settlement_screen(cols, {0}, m, (), 0, 0)] == ["a", "b", "c"]
    # With market 0's PnL pool empty, b's and c's profits cannot be paid: only a's funding is due.
    assert [names[cols.keys[r]] for r in settlement_screen(cols, {0}, m, (), 0, 0, empty_pools={0})] == ["a"]
