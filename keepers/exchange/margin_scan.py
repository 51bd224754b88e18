"""Users as numpy columns, and a vectorised margin screen over all of them.

``UserColumns`` mirrors every cached User row-wise: the PerpPosition fields exactly (integer columns,
one row per user, one column per position slot) and, alongside, what the screen needs in float64,
precomputed when a user changes so that a scan only gathers per-market factors and multiplies.

``scan`` values every user at the given markets in float64: int64 products would overflow (base up
to ~1e15 times a price up to ~1e11), and the screen only has to be close. ``liquidatable`` then
confirms the users the screen cannot rule out with ``keepers.exchange.margin.compute_margin`` on the users'
real positions, so its answer is exact. ``bankrupt`` lists flat users with negative equity (and flagged
ones to unflag).

Valuing users at hypothetical marks (the liquidator predicting an oracle move) is the same call with
modified ``MarketState`` values (see ``at_marks``); the columns are never copied, and ``rows``
restricts a scan to a few users.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from operator import attrgetter
from typing import Any, NamedTuple, Protocol

import numpy as np
from solders.pubkey import Pubkey

from keepers.exchange.margin import (
    I64_MAX,
    Margin,
    MarketState,
    MathOverflow,
    compute_margin,
)
from programs_client.perp.accounts import User
from programs_client.perp.constants import BASE_PRECISION, BPS, FUNDING_PRECISION, USER_FLAG_BANKRUPT

POSITION_SLOTS: int = next(s.subcon.count for s in User.layout.subcons if s.name == "positions")
"""Position slots per User (the IDL constant MAX_PERP_POSITIONS)."""

U16_MAX = 2**16 - 1

# How far the float screen may sit from the program's integers, so that it never hides a
# liquidatable user (liquidatable: equity < maintenance, both integers):
# * integer rounding the floats do not model, per exposed position: two floors in equity (position
#   value and pending funding, < 1 unit each) and two ceilings in maintenance (< 1 + bps / 1e4 units,
#   bps a u16), hence ROUNDING_UNITS below;
# * float64 rounding: every operand is converted once and every term is a product of at most three
#   rounded factors summed over at most 1 + POSITION_SLOTS terms, so the error is a few dozen ulps of
#   the sum of the magnitudes of all terms (the "gross" below); 1e-9 of it is far more than enough
#   and still a tiny window (a thousandth of a unit per million units of gross).
ROUNDING_UNITS = POSITION_SLOTS * (2 + 1 + U16_MAX / BPS)
RELATIVE_TOLERANCE = 1e-9
_FUNDING_PER_BASE = FUNDING_PRECISION // BASE_PRECISION  # price / 1e9 == price * 1e3 / 1e12
_REQUIREMENT_DENOM = BASE_PRECISION * BPS


class _PositionLike(Protocol):
    base_amount: int
    quote_entry_amount: int
    last_cumulative_funding: int
    open_bids: int
    open_asks: int
    unsettled_pnl: int
    market_index: int
    open_orders: int


class UserLike(Protocol):
    """What the columns read of a User (the generated ``User`` is one)."""

    collateral: int
    positions: Sequence[_PositionLike]


def exposed(p: _PositionLike) -> bool:
    """Whether a position has base or resting orders (it is valued at its market's mark)."""
    return p.base_amount != 0 or p.open_bids != 0 or p.open_asks != 0


def counted(p: _PositionLike) -> bool:
    """Whether ``compute_margin`` reads a position slot at all (an uncounted slot is empty)."""
    return exposed(p) or p.quote_entry_amount != 0 or p.unsettled_pnl != 0


def flat(user: UserLike) -> bool:
    """No base, resting order or reservation in any slot (the program's test for resolve_bankruptcy)."""
    return not any(exposed(p) or p.open_orders != 0 for p in user.positions)


# ------------------------------------------------------------------------------------------------
# Columns


_POSITION_DTYPES: dict[str, Any] = {
    "base_amount": np.int64,
    "quote_entry_amount": np.int64,
    "last_cumulative_funding": np.int64,
    "open_bids": np.uint64,
    "open_asks": np.uint64,
    "unsettled_pnl": np.int64,
    "market_index": np.int32,  # -1 for an empty slot
}
_position_fields = attrgetter(*_POSITION_DTYPES)
# Per user: collateral, then what the screen precomputes (see _Encoded).
_ROW_DTYPES: dict[str, Any] = {
    "collateral": np.uint64,
    "static_equity": np.float64,
    "static_gross": np.float64,
    "depth": np.int8,
    "bankrupt": np.bool_,
}
# Per exposed position, packed into the first ``depth`` slots of a row whatever its account slot:
# key 0 reads the zero entry of the market tables, key 1 + 2 * market + (1 if short) the market's.
_EXPOSED_DTYPES: dict[str, Any] = {"key": np.int32, "base": np.float64, "abs_base": np.float64, "worst": np.float64}


class _PositionColumn:
    """An (n, POSITION_SLOTS) view of one PerpPosition field over the live rows."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: "UserColumns", objtype: type | None = None) -> np.ndarray:
        if obj is None:
            return self  # type: ignore[return-value]
        return obj._positions[self.name][:, : obj._n].T


class _Encoded(NamedTuple):
    """One user as the columns store it (all computed exactly in Python integers, rounded once)."""

    collateral: int
    fields: dict[str, list[int]]
    static_equity: float  # collateral + sum(entry + pnl) + sum(base * last funding) / 1e12
    static_gross: float  # the same with every term's magnitude
    bankrupt: bool
    exposed: list[tuple[int, int, int, int]]  # (key, base, |base|, worst) per exposed position

    @classmethod
    def of(cls, user: UserLike) -> "_Encoded":
        rows = [_position_fields(p) for p in user.positions]  # in _POSITION_DTYPES order
        cash, cash_gross, funding, funding_gross, pnl = user.collateral, user.collateral, 0, 0, 0
        markets: list[int] = []
        found: list[tuple[int, int, int, int]] = []
        for base, entry, last, bids, asks, upnl, market in rows:
            cash += entry + upnl
            cash_gross += abs(entry) + abs(upnl)
            funding += base * last
            funding_gross += abs(base * last)
            pnl += upnl
            is_exposed = base != 0 or bids != 0 or asks != 0  # exposed()
            if is_exposed:
                worst = max(abs(base + bids), abs(base - asks))
                found.append((1 + 2 * market + (base < 0), base, abs(base), worst))
            markets.append(market if is_exposed or entry != 0 or upnl != 0 else -1)  # counted()
        fields = dict(zip(_POSITION_DTYPES, map(list, zip(*rows))))
        fields["market_index"] = markets
        return cls(
            collateral=user.collateral,
            fields=fields,
            static_equity=(cash * FUNDING_PRECISION + funding) / FUNDING_PRECISION,
            static_gross=(cash_gross * FUNDING_PRECISION + funding_gross) / FUNDING_PRECISION,
            # a flagged user that deposited since: resolve_bankruptcy only clears its flag, which holds
            # insurance removals back while set (Exchange.bankruptUsers)
            bankrupt=(user.collateral + pnl < 0 or bool(getattr(user, "flags", 0) & USER_FLAG_BANKRUPT)) and flat(user),
            exposed=found,
        )


class UserColumns:
    """Users as growable numpy columns: one row per user, swap-removed, capacity doubling.

    ``index`` maps a user to its row and ``keys`` a row to its user. The PerpPosition fields are
    exposed exactly as (n, POSITION_SLOTS) arrays (``base_amount``, ``quote_entry_amount``,
    ``last_cumulative_funding``, ``open_bids``, ``open_asks``, ``unsettled_pnl``, ``market_index``
    with -1 for the slots ``compute_margin`` skips) and ``collateral`` as an (n,) array; these are
    views, valid until the next change.
    """

    base_amount = _PositionColumn()
    quote_entry_amount = _PositionColumn()
    last_cumulative_funding = _PositionColumn()
    open_bids = _PositionColumn()
    open_asks = _PositionColumn()
    unsettled_pnl = _PositionColumn()
    market_index = _PositionColumn()

    def __init__(self, capacity: int = 1024) -> None:
        self.index: dict[Pubkey, int] = {}
        self.keys: list[Pubkey] = []
        self._n = 0
        self._capacity = max(capacity, 1)
        self._positions = {k: np.zeros((POSITION_SLOTS, self._capacity), t) for k, t in _POSITION_DTYPES.items()}
        self._exposed = {k: np.zeros((POSITION_SLOTS, self._capacity), t) for k, t in _EXPOSED_DTYPES.items()}
        self._rows = {k: np.zeros(self._capacity, t) for k, t in _ROW_DTYPES.items()}
        self._depth_count = [0] * (POSITION_SLOTS + 1)  # users by number of exposed positions
        self.max_market_index = -1  # the largest market index of any exposed position ever stored

    def __len__(self) -> int:
        return self._n

    def __contains__(self, pubkey: object) -> bool:
        return pubkey in self.index

    @property
    def collateral(self) -> np.ndarray:
        return self._rows["collateral"][: self._n]

    @property
    def depth(self) -> int:
        """The most exposed positions any user has: how many slots a scan has to visit."""
        return max((d for d, c in enumerate(self._depth_count) if c), default=0)

    def upsert(self, pubkey: Pubkey, user: UserLike) -> int:
        """Store (or replace) ``user``'s row and return its row number."""
        enc = _Encoded.of(user)
        row = self.index.get(pubkey)
        if row is None:
            row = self._append(pubkey)
        else:
            self._depth_count[self._rows["depth"][row]] -= 1
        for name, values in enc.fields.items():
            self._positions[name][:, row] = values
        self._write_exposed(row, enc.exposed)
        rows = self._rows
        rows["collateral"][row] = enc.collateral
        rows["static_equity"][row] = enc.static_equity
        rows["static_gross"][row] = enc.static_gross
        rows["bankrupt"][row] = enc.bankrupt
        rows["depth"][row] = len(enc.exposed)
        self._depth_count[len(enc.exposed)] += 1
        return row

    def remove(self, pubkey: Pubkey) -> bool:
        """Drop ``pubkey``'s row (the last row moves into its place); False when it is not stored."""
        row = self.index.pop(pubkey, None)
        if row is None:
            return False
        self._depth_count[self._rows["depth"][row]] -= 1
        last = self._n - 1
        if row != last:
            for arr in (*self._positions.values(), *self._exposed.values()):
                arr[:, row] = arr[:, last]
            for arr in self._rows.values():
                arr[row] = arr[last]
            moved = self.keys[last]
            self.keys[row] = moved
            self.index[moved] = row
        self.keys.pop()
        self._n = last
        return True

    def _append(self, pubkey: Pubkey) -> int:
        if self._n == self._capacity:
            self._grow(2 * self._capacity)
        row = self._n
        self._n += 1
        self.index[pubkey] = row
        self.keys.append(pubkey)
        return row

    def _grow(self, capacity: int) -> None:
        def grown(arr: np.ndarray) -> np.ndarray:
            new = np.zeros((*arr.shape[:-1], capacity), arr.dtype)
            new[..., : self._n] = arr[..., : self._n]
            return new

        for table in (self._positions, self._exposed, self._rows):
            for k in table:
                table[k] = grown(table[k])
        self._capacity = capacity

    def _write_exposed(self, row: int, found: list[tuple[int, int, int, int]]) -> None:
        padded = found + [(0, 0, 0, 0)] * (POSITION_SLOTS - len(found))
        for name, values in zip(_EXPOSED_DTYPES, zip(*padded)):
            self._exposed[name][:, row] = values
        if found:
            self.max_market_index = max(self.max_market_index, max((k - 1) // 2 for k, *_ in found))


# ------------------------------------------------------------------------------------------------
# Scan


@dataclass(frozen=True)
class _MarketTables:
    """Per (market, side) factors indexed by the exposed positions' keys; entry 0 is all zeros.

    An exposed position contributes base * value to equity, |base| * maintenance and worst * initial
    to the requirements, and |base| * gross to the magnitude the tolerance is relative to. Markets
    that are missing or have no mark are NaN, which makes the whole row NaN.
    """

    value: np.ndarray  # mark / 1e9 - cumulative funding of the side / 1e12
    maintenance: np.ndarray  # mark * maintenance bps / 1e13
    initial: np.ndarray  # mark * initial bps / 1e13
    gross: np.ndarray  # mark / 1e9 + |cumulative funding of the side| / 1e12

    @classmethod
    def build(cls, markets: Mapping[int, MarketState], max_market_index: int) -> "_MarketTables":
        size = 1 + 2 * (max_market_index + 1)
        value, maintenance, initial, gross = (np.full(size, np.nan) for _ in range(4))
        for t in (value, maintenance, initial, gross):
            t[0] = 0.0
        for index, m in markets.items():  # by key, as compute_margin looks markets up
            if m.mark_price <= 0 or not 0 <= index <= max_market_index:
                continue
            for side, cum in enumerate((m.cumulative_funding_long, m.cumulative_funding_short)):
                k = 1 + 2 * index + side
                # exact integers, one rounding each
                value[k] = (m.mark_price * _FUNDING_PER_BASE - cum) / FUNDING_PRECISION
                gross[k] = (m.mark_price * _FUNDING_PER_BASE + abs(cum)) / FUNDING_PRECISION
                maintenance[k] = m.mark_price * m.maintenance_margin_bps / _REQUIREMENT_DENOM
                initial[k] = m.mark_price * m.initial_margin_bps / _REQUIREMENT_DENOM
        return cls(value, maintenance, initial, gross)


@dataclass(frozen=True)
class ScanResult:
    """Float64 valuations (quote units) of the scanned rows, in row order.

    ``rows`` is None for a full scan (row r of the columns is element r) or the scanned row numbers.
    Rows exposed to a market without a mark (missing from ``markets`` or mark 0) are NaN: the program
    refuses to value them (MissingMarketAccount / OracleUnavailable), so nothing can be done to them
    until the market has a price, and guessing one would send transactions that fail or miss.
    ``tolerance``: how far the exact figures may be from these (see ROUNDING_UNITS).
    """

    equity: np.ndarray
    maintenance: np.ndarray
    initial: np.ndarray
    tolerance: np.ndarray
    rows: np.ndarray | None = None

    @property
    def priced(self) -> np.ndarray:
        """Rows every exposure of which has a mark."""
        return ~np.isnan(self.equity)

    def screened(self) -> np.ndarray:
        """Positions (into this result) of the rows that may be liquidatable: equity < maintenance + tolerance."""
        return np.flatnonzero(self.equity < self.maintenance + self.tolerance)


def scan(
    columns: UserColumns, markets: Mapping[int, MarketState], rows: Sequence[int] | np.ndarray | None = None
) -> ScanResult:
    """Value every user (or the users at ``rows``) at ``markets``' marks and funding, in float64.

    Equity includes pending funding. Pass modified MarketStates to value at hypothetical marks.
    """
    tables = _MarketTables.build(markets, columns.max_market_index)
    sel: slice | np.ndarray = slice(0, len(columns)) if rows is None else np.asarray(rows, dtype=np.intp)
    static = columns._rows
    equity = np.array(static["static_equity"][sel], dtype=np.float64)
    gross = np.array(static["static_gross"][sel], dtype=np.float64)
    maintenance = np.zeros_like(equity)
    initial = np.zeros_like(equity)
    buf = np.empty_like(equity)
    ex = columns._exposed
    for s in range(columns.depth):
        key = ex["key"][s, sel]
        abs_base = ex["abs_base"][s, sel]
        for table, amount, total in (
            (tables.value, ex["base"][s, sel], equity),
            (tables.maintenance, abs_base, maintenance),
            (tables.initial, ex["worst"][s, sel], initial),
            (tables.gross, abs_base, gross),
        ):
            np.take(table, key, out=buf, mode="clip")  # keys are in range; clip skips buffering
            np.multiply(buf, amount, out=buf)
            np.add(total, buf, out=total)
    gross += maintenance
    tolerance = np.multiply(gross, RELATIVE_TOLERANCE, out=gross)
    tolerance += ROUNDING_UNITS
    return ScanResult(equity, maintenance, initial, tolerance, None if rows is None else sel)  # type: ignore[arg-type]


def at_marks(markets: Mapping[int, MarketState], marks: Mapping[int, int]) -> dict[int, MarketState]:
    """``markets`` with the mark prices of ``marks`` (market index -> price) substituted."""
    return {i: replace(m, mark_price=marks[i]) if i in marks else m for i, m in markets.items()}


# ------------------------------------------------------------------------------------------------
# Exact confirmation


@dataclass(frozen=True)
class Candidate:
    """A user below maintenance margin, with its exact margin; ``shortfall`` = maintenance - equity.

    A candidate with no base left (only resting orders or none) has nothing to take over; one that is
    flat is settled by resolve_bankruptcy instead (see ``bankrupt``).
    """

    pubkey: Pubkey
    margin: Margin
    shortfall: int


UserLookup = Mapping[Pubkey, UserLike] | Callable[[Pubkey], UserLike | None]


def exact_margin(user: UserLike, markets: Mapping[int, MarketState]) -> Margin | None:
    """``compute_margin`` of ``user``, or None when the program could not value it either.

    None: a position in a market missing from ``markets`` or without a mark, or a figure out of i64.
    """
    try:
        # compute_margin reads only PerpPosition's own field names: the decoded positions serve as they are
        return compute_margin(user.collateral, user.positions, markets)  # type: ignore[arg-type]
    except (KeyError, ValueError, MathOverflow):
        return None


def _missing_as_none(lookup: Callable[[Pubkey], UserLike | None]) -> Callable[[Pubkey], UserLike | None]:
    def get(pubkey: Pubkey) -> UserLike | None:
        try:
            return lookup(pubkey)
        except KeyError:
            return None

    return get


def liquidatable(
    columns: UserColumns,
    markets: Mapping[int, MarketState],
    users: UserLookup,
    result: ScanResult | None = None,
) -> list[Candidate]:
    """Users whose exact margin is liquidatable at ``markets``, largest shortfall first.

    The float screen (``result``, scanned now when not given) selects the rows that can be; each is
    confirmed with ``compute_margin`` on the user from ``users`` (a mapping or a lookup function), so
    the answer is exactly the users ``compute_margin`` calls liquidatable. Users the lookup no longer
    knows (None or KeyError) are skipped.
    """
    result = result if result is not None else scan(columns, markets)
    get = users.get if isinstance(users, Mapping) else _missing_as_none(users)
    found: list[Candidate] = []
    for i in result.screened():
        row = int(i) if result.rows is None else int(result.rows[i])
        pubkey = columns.keys[row]
        user = get(pubkey)
        margin = exact_margin(user, markets) if user is not None else None
        if margin is not None and margin.liquidatable:
            found.append(Candidate(pubkey, margin, margin.maintenance_requirement - margin.equity))
    found.sort(key=lambda c: c.shortfall, reverse=True)
    return found


class Bankruptcy(NamedTuple):
    """A flat user with collateral + unsettled PnL < 0, and the markets where its PnL is negative; or a flat
    user still flagged bankrupt whose equity is no longer negative, with market 0 (any market unflags it)."""

    pubkey: Pubkey
    market_indices: list[int]


def bankrupt(columns: UserColumns) -> list[Bankruptcy]:
    """Users resolve_bankruptcy applies to, largest deficit first (exact; prices do not matter).

    Each needs one resolve_bankruptcy per listed market (the market's event queue drained first).
    """
    rows = np.flatnonzero(columns._rows["bankrupt"][: len(columns)])
    pnl, market = columns.unsettled_pnl, columns.market_index

    def deficit(row: int) -> int:
        return -(int(columns.collateral[row]) + sum(int(v) for v in pnl[row]))

    out = [
        (d, Bankruptcy(columns.keys[r], [int(m) for m, v in zip(market[r], pnl[r]) if v < 0] if d > 0 else [0]))
        for r in rows
        for d in (deficit(int(r)),)
    ]
    out.sort(key=lambda t: t[0], reverse=True)
    return [b for _, b in out]


def settlement_screen(columns: UserColumns, markets: Iterable[int], states: Mapping[int, MarketState],
                      settling: Iterable[int], funding_threshold: int, pnl_threshold: int,
                      empty_pools: Iterable[int] = (), limit: int | None = None) -> np.ndarray:
    """Rows of the users that may need a settlement in ``markets``, most urgent first, at most ``limit``
    (a superset; the settler's exact planner decides): a position in a ``settling`` market, unsettled
    PnL beyond ``pnl_threshold`` in a position that can move (a profit not in one of the
    ``empty_pools`` markets, a loss of a user with collateral), or funding accrued at ``states`` beyond
    ``funding_threshold`` summed over the positions. Urgency: a settling market first, then the larger
    of funding and PnL.

    Funding is estimated in float64 and compared with a margin far wider than its error (and the
    planner's floors), so no user above the threshold is left out.
    """
    n = len(columns)
    kept = list(markets)
    if n == 0 or not kept:
        return np.zeros(0, np.intp)
    cols = columns._positions
    market_all = cols["market_index"][:, :n]  # (slots, n): contiguous rows; -1 for slots holding nothing
    used = np.flatnonzero((market_all >= 0).any(axis=1))  # slots some user holds: positions fill from slot 0
    if used.size == 0:
        return np.zeros(0, np.intp)
    market = market_all[used]
    size = max(max(kept), max(states, default=0), int(market.max())) + 2  # the last entry stays unused
    in_kept = np.zeros(size, np.bool_)
    in_kept[kept] = True
    priced = np.zeros(size, np.bool_)
    long_cum, short_cum = np.zeros(size), np.zeros(size)
    for i, m in states.items():
        priced[i], long_cum[i], short_cum[i] = True, m.cumulative_funding_long, m.cumulative_funding_short
    held = in_kept[market]  # market -1 reads the unused last entry
    expired = (np.isin(market, list(settling)) & held).any(axis=0)
    pnl = cols["unsettled_pnl"][used, :n]
    beyond = min(pnl_threshold, I64_MAX)
    # Nothing moves for a profit when the market's PnL pool is empty, or for a loss without collateral.
    unpaid = np.zeros(size, np.bool_)
    unpaid[[i for i in empty_pools if 0 <= i < size - 1]] = True
    profit = (pnl > beyond) & ~unpaid[market]
    loss = (pnl < -beyond) & (columns.collateral > 0)
    pnl_due = ((profit | loss) & held).any(axis=0)
    base = cols["base_amount"][used, :n].astype(np.float64)
    cum = np.where(base >= 0, long_cum[market], short_cum[market])
    accrued = np.abs(base * (cum - cols["last_cumulative_funding"][used, :n].astype(np.float64)))
    owed = np.where(held & priced[market], accrued, 0.0).sum(axis=0) / FUNDING_PRECISION
    funding_due = (owed > 0) & (owed * (1 + 1e-6) + POSITION_SLOTS >= funding_threshold)
    rows = np.flatnonzero(expired | pnl_due | funding_due)
    if rows.size == 0:
        return rows
    if limit is not None and limit <= 0:
        return np.zeros(0, np.intp)
    largest_pnl = np.abs(pnl[:, rows].astype(np.float64), where=held[:, rows], out=np.zeros((len(used), rows.size))).max(axis=0)
    urgency = -np.where(expired[rows], np.inf, np.maximum(owed[rows], largest_pnl))
    if limit is not None and rows.size > limit:  # the most urgent, ties to the lower row, as the full order has it
        kth = np.partition(urgency, limit - 1)[limit - 1]
        above = np.flatnonzero(urgency < kth)
        pick = np.concatenate([above, np.flatnonzero(urgency == kth)[: limit - above.size]])
        rows, urgency = rows[pick], urgency[pick]
    return rows[np.lexsort((rows, urgency))]


def user_columns(users: Iterable[tuple[Pubkey, UserLike]], capacity: int = 1024) -> UserColumns:
    """Columns holding ``users`` (pairs of key and user)."""
    cols = UserColumns(capacity)
    for pubkey, user in users:
        cols.upsert(pubkey, user)
    return cols


__all__ = [
    "POSITION_SLOTS", "RELATIVE_TOLERANCE", "ROUNDING_UNITS", "Bankruptcy", "Candidate", "ScanResult", "UserColumns",
    "UserLike", "UserLookup", "at_marks", "bankrupt", "counted", "exact_margin", "exposed", "flat", "liquidatable",
    "scan", "settlement_screen", "user_columns",
]
