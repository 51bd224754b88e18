"""Loaders of recorded prices: Binance kline and aggTrades CSV, plain ``timestamp,price[,volume]`` CSV, Parquet.

``load_price_series(path, fmt=None)`` detects the format from the suffix, the header or the field count
and returns one ``PriceSeries``. CSVs are read with ``pyarrow.csv`` (typed columns, multithreaded); when
that fails, a row-by-row pass finds the first bad row to name its line and column. Timestamps may be
Unix seconds, milliseconds, microseconds (Binance's spot dumps from 2025-01-01) or nanoseconds, decided
per value by magnitude, so a file that joins 2024 and 2025 dumps loads; the plain format also takes ISO
8601 (no zone: UTC).

- kline: one point per bar at the bar's end (``close_time`` rounded up to its unit, i.e. the next bar's
  open), price = close, volume = base volume, and the bar's open/high/low kept: a close is known only
  when its bar ends. Duplicate bars (same ``open_time``) keep the later row.
- aggtrades: one point per trade at ``transact_time``; duplicate ``agg_trade_id`` rows are dropped.
- plain / parquet: one point per row; rows with the same timestamp all stay, in file order (the last
  one is the price at that time).

Timestamps that go backwards are an error naming the line, unless ``sort=True``; bad rows are an error
unless ``skip_bad_rows=True``. Whatever changes the rows is said in ``PriceSeries.notes``.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from sim.data.series import PriceSeries

KLINE_COLUMNS = ("open_time", "open", "high", "low", "close", "volume", "close_time", "quote_asset_volume",
                 "number_of_trades", "taker_buy_base", "taker_buy_quote", "ignore")
# Binance's futures dumps (with a header) spell two columns differently
KLINE_ALIASES = {"quote_volume": "quote_asset_volume", "count": "number_of_trades",
                 "taker_buy_volume": "taker_buy_base", "taker_buy_base_asset_volume": "taker_buy_base",
                 "taker_buy_quote_volume": "taker_buy_quote", "taker_buy_quote_asset_volume": "taker_buy_quote"}
AGGTRADE_COLUMNS = ("agg_trade_id", "price", "quantity", "first_trade_id", "last_trade_id", "transact_time",
                    "is_buyer_maker", "is_best_match")
AGGTRADE_ALIASES = {"a": "agg_trade_id", "p": "price", "q": "quantity", "f": "first_trade_id", "l": "last_trade_id",
                    "t": "transact_time", "m": "is_buyer_maker", "M": "is_best_match"}
TIME_NAMES = ("timestamp", "time", "ts", "datetime", "date", "open_time", "transact_time")
PRICE_NAMES = ("price", "close", "p")
VOLUME_NAMES = ("volume", "quantity", "qty", "size", "amount")
FORMATS = ("kline", "aggtrades", "plain", "parquet")
MAX_SKIPPED_LINES_SHOWN = 5
LineOf = Callable[[int], int]  # a row's index after reading -> its line (CSV) or row (Parquet) in the file


class DataError(ValueError):
    """A price file that cannot be loaded; the message names the file and, where it can, the line and column."""


def to_seconds(values: np.ndarray) -> np.ndarray:
    """Unix timestamps in s, ms, us or ns (decided per value by magnitude: up to year ~5000) -> float seconds."""
    v = np.asarray(values, dtype=np.float64)
    return v * _units(v)


def _units(v: np.ndarray) -> np.ndarray:
    """The unit (in seconds) of each raw timestamp, by magnitude."""
    a = np.abs(v)
    return np.where(a < 1e11, 1.0, np.where(a < 1e14, 1e-3, np.where(a < 1e17, 1e-6, 1e-9)))


def _unit_of(value: float) -> float:
    """The unit (in seconds) of one raw timestamp, by magnitude."""
    a = abs(value)
    return 1.0 if a < 1e11 else 1e-3 if a < 1e14 else 1e-6 if a < 1e17 else 1e-9


# -- detection -----------------------------------------------------------------------------------------


def _first_lines(path: Path, n: int = 2) -> list[str]:
    lines: list[str] = []
    with open(path, newline="") as f:
        for line in f:
            if line.strip():
                lines.append(line.strip("\r\n"))
                if len(lines) == n:
                    break
    return lines


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _normalise(name: str) -> str:
    return name.strip().strip('"').lower()


def detect_format(path: Path, price_names: tuple[str, ...] = PRICE_NAMES) -> str:
    """``kline``, ``aggtrades``, ``plain`` or ``parquet`` for ``path`` (by suffix, header or field count)."""
    if path.suffix.lower() in (".parquet", ".pq"):
        return "parquet"
    lines = _first_lines(path)
    if not lines:
        raise DataError(f"{path}: empty file (no rows)")
    fields = next(csv.reader([lines[0]]))
    if not _is_number(fields[0].strip()) and not _looks_like_time(fields[0]):  # a header row
        names = {_normalise(f) for f in fields}
        return _format_from_names(names, path, price_names)
    if len(fields) == len(KLINE_COLUMNS):
        return "kline"
    if len(fields) in (7, 8):
        return "aggtrades"
    if len(fields) in (2, 3):
        return "plain"
    raise DataError(f"{path}: line 1 has {len(fields)} fields and no header: cannot tell the format (a Binance "
                    f"kline row has 12, an aggTrades row 7 or 8, a plain row 2 or 3; pass fmt=)")


def _format_from_names(names: set[str], path: Path | str, price_names: tuple[str, ...] = PRICE_NAMES) -> str:
    if "open_time" in names and "close" in names:
        return "kline"
    if names & {"agg_trade_id", "transact_time"}:
        return "aggtrades"
    if names & set(TIME_NAMES) and names & set(price_names):
        return "plain"
    if price_names != PRICE_NAMES:
        raise DataError(f"{path}: no price column {price_names[0]!r} (columns: {', '.join(sorted(names))})")
    raise DataError(f"{path}: cannot tell the format from the columns {', '.join(sorted(names))} (expected a Binance "
                    f"kline header with open_time and close, an aggTrades header with agg_trade_id or "
                    f"transact_time, or a time column ({', '.join(TIME_NAMES)}) and a price column "
                    f"({', '.join(price_names)}))")


def _looks_like_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


# -- CSV reading -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """Where the columns a format needs are in a CSV: their names in the file, and whether it has a header."""

    names: list[str]          # every column, as read (or the canonical names without a header)
    header: bool
    wanted: dict[str, str]    # canonical name -> file column name


def _layout(path: Path, fmt: str, price_names: tuple[str, ...] = PRICE_NAMES) -> _Layout:
    lines = _first_lines(path)
    if not lines:
        raise DataError(f"{path}: empty file (no rows)")
    fields = [f.strip() for f in next(csv.reader([lines[0]]))]
    header = not _is_number(fields[0]) and not _looks_like_time(fields[0])
    if fmt == "kline":
        canon, aliases, need = KLINE_COLUMNS, KLINE_ALIASES, ("open_time", "open", "high", "low", "close", "volume",
                                                              "close_time")
    elif fmt == "aggtrades":
        canon, aliases, need = AGGTRADE_COLUMNS, AGGTRADE_ALIASES, ("agg_trade_id", "price", "quantity",
                                                                    "transact_time")
    else:
        canon, aliases, need = ("timestamp", "price", "volume"), {}, ("timestamp", "price")
    if not header:
        if fmt == "plain" and len(fields) not in (2, 3):
            raise DataError(f"{path}: line 1 has {len(fields)} fields; a plain row is timestamp,price[,volume]")
        if fmt == "kline" and len(fields) != len(KLINE_COLUMNS):
            raise DataError(f"{path}: line 1 has {len(fields)} fields; a Binance kline row has 12")
        if fmt == "aggtrades" and len(fields) not in (7, 8):
            raise DataError(f"{path}: line 1 has {len(fields)} fields; a Binance aggTrades row has 7 or 8")
        names = list(canon[:len(fields)])
        return _Layout(names, False, {c: c for c in need + tuple(n for n in names if n == "volume")})
    if len(lines) < 2:
        raise DataError(f"{path}: no data rows after the header")
    by_norm = {_normalise(f): f for f in fields}
    wanted: dict[str, str] = {}
    if fmt == "plain":
        for canon_name, choices in (("timestamp", TIME_NAMES), ("price", price_names), ("volume", VOLUME_NAMES)):
            hit = next((by_norm[c] for c in choices if c in by_norm), None)
            if hit is None and canon_name != "volume":
                raise DataError(f"{path}: no {canon_name} column (one of {', '.join(choices)}); "
                                f"columns: {', '.join(fields)}")
            if hit is not None:
                wanted[canon_name] = hit
        return _Layout(fields, True, wanted)
    for norm, original in by_norm.items():
        name = aliases.get(norm, norm)
        if name in canon:
            wanted.setdefault(name, original)
    missing = [c for c in need if c not in wanted]
    if missing:
        raise DataError(f"{path}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                        f"(columns: {', '.join(fields)})")
    return _Layout(fields, True, {c: wanted[c] for c in need + (("volume",) if "volume" in wanted else ())})


def _read_table(path: Path, layout: _Layout, types: dict[str, pa.DataType]) -> pa.Table:
    read = pacsv.ReadOptions(column_names=None if layout.header else layout.names, block_size=1 << 24)
    columns = list(layout.wanted.values())
    convert = pacsv.ConvertOptions(include_columns=columns,
                                   column_types={layout.wanted[c]: t for c, t in types.items() if c in layout.wanted},
                                   strings_can_be_null=False, quoted_strings_can_be_null=False)
    table = pacsv.read_csv(path, read_options=read, convert_options=convert)
    return table.rename_columns([{v: k for k, v in layout.wanted.items()}[n] for n in table.column_names])


def _scan_rows(path: Path, layout: _Layout, parsers: dict[str, Callable[[str], float]], skip: bool
               ) -> tuple[dict[str, list], list[tuple[int, str]]]:
    """Row-by-row reading (the slow path): the parsed columns, and the skipped (line, reason) pairs.

    Raises ``DataError`` naming the first bad line when ``skip`` is False.
    """
    index = {name: i for i, name in enumerate(layout.names)}
    cols = {c: index[f] for c, f in layout.wanted.items()}
    width = len(layout.names)
    out: dict[str, list] = {c: [] for c in cols}
    skipped: list[tuple[int, str]] = []
    with open(path, newline="") as f:
        reader = csv.reader(f)
        for row in reader:
            line = reader.line_num
            if line == 1 and layout.header:
                continue
            if not row or all(not x.strip() for x in row):
                continue
            reason = None
            values = {}
            if len(row) != width:
                reason = f"{len(row)} fields, expected {width}"
            else:
                for c, i in cols.items():
                    try:
                        values[c] = parsers[c](row[i])
                    except (ValueError, OverflowError) as e:
                        reason = f"column {layout.wanted[c]!r}: {row[i]!r} {e}"
                        break
            if reason is not None:
                if not skip:
                    raise DataError(f"{path}: line {line}: {reason}")
                skipped.append((line, reason))
                continue
            for c, v in values.items():
                out[c].append(v)
    return out, skipped


def _number(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise ValueError("is not a number") from None
    if not math.isfinite(v):
        raise ValueError("is not a finite number")
    return v


def _positive(text: str) -> float:
    if (v := _number(text)) <= 0:
        raise ValueError("is not a positive price")
    return v


def _non_negative(text: str) -> float:
    if (v := _number(text)) < 0:
        raise ValueError("is negative")
    return v


def _timestamp(text: str) -> float:
    """One timestamp cell -> Unix seconds (numbers by magnitude; otherwise ISO 8601, no zone meaning UTC)."""
    s = text.strip()
    try:
        v = float(s)
    except ValueError:
        try:
            d = datetime.fromisoformat(s.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("is neither a Unix timestamp nor an ISO 8601 time") from None
        return (d if d.tzinfo else d.replace(tzinfo=timezone.utc)).timestamp()
    if not math.isfinite(v):
        raise ValueError("is not a finite timestamp")
    return v * _unit_of(v)


def _iso_column(col: pa.ChunkedArray) -> np.ndarray:
    """An ISO 8601 string column -> Unix seconds, or raise ``ValueError`` (the slow path then names the row)."""
    try:
        ts = pc.cast(col, pa.timestamp("us", "UTC"))
    except pa.ArrowInvalid:
        ts = pc.cast(col, pa.timestamp("us"))  # naive times: UTC
    return pc.cast(ts, pa.int64()).to_numpy().astype(np.float64) / 1e6


# -- assembling -------------------------------------------------------------------------------------------


PRICE_COLUMNS = ("price", "open", "high", "low", "close")
AMOUNT_COLUMNS = ("volume", "quantity")


def _valid(name: str, values: np.ndarray) -> np.ndarray:
    """Which values of column ``name`` are usable: prices finite and > 0, amounts finite and >= 0, the rest finite."""
    ok = np.isfinite(values)
    if name in PRICE_COLUMNS:
        ok &= values > 0
    elif name in AMOUNT_COLUMNS:
        ok &= values >= 0
    return ok


def _order(path: Path | str, t: np.ndarray, sort: bool, line_of: LineOf, where: str) -> tuple[np.ndarray, list[str]]:
    """The stable order of rows by time; an error at the first step back unless ``sort``."""
    back = np.flatnonzero(np.diff(t) < 0)
    if len(back) == 0:
        return np.arange(len(t)), []
    if not sort:
        i = int(back[0]) + 1
        raise DataError(f"{path}: {where} {line_of(i)}: timestamp {t[i]:.6f} is earlier than the row before "
                        f"({t[i - 1]:.6f}); timestamps must not go backwards ({len(back)} such rows; "
                        f"sort=True sorts them)")
    return np.argsort(t, kind="stable"), [f"sorted {len(back)} rows whose timestamps went backwards"]


def _dedupe_last(keys: np.ndarray, what: str) -> tuple[np.ndarray, list[str]]:
    """Indices (ascending) keeping the last row of each run of equal ``keys`` (keys sorted), and a note."""
    if len(keys) < 2:
        return np.arange(len(keys)), []
    keep = np.r_[keys[1:] != keys[:-1], True]
    dropped = int(len(keys) - keep.sum())
    return np.flatnonzero(keep), ([f"dropped {dropped} rows with a duplicate {what} (kept the later row)"]
                                  if dropped else [])


def _skip_note(skipped: list[tuple[int, str]], where: str = "line") -> list[str]:
    if not skipped:
        return []
    shown = "; ".join(f"{where} {n}: {r}" for n, r in skipped[:MAX_SKIPPED_LINES_SHOWN])
    more = f"; and {len(skipped) - MAX_SKIPPED_LINES_SHOWN} more" if len(skipped) > MAX_SKIPPED_LINES_SHOWN else ""
    return [f"skipped {len(skipped)} bad rows ({shown}{more})"]


def _columns_fast_or_slow(path: Path, layout: _Layout, types: dict[str, pa.DataType], skip: bool,
                          parsers: dict[str, Callable[[str], float]]
                          ) -> tuple[dict[str, np.ndarray], LineOf, list[str]]:
    """The wanted columns as float arrays, the line of a row (by index), and notes (skipped rows).

    The fast path (pyarrow) serves clean files; any failure, or a bad value it finds, hands over to the
    row-by-row pass, which names the exact line (or skips bad rows when ``skip``).
    """
    first_line = 2 if layout.header else 1
    try:
        table = _read_table(path, layout, types)
        cols = {name: _arrow_numbers(table.column(name), name) for name in table.column_names}
        if table.num_rows == 0:
            raise DataError(f"{path}: no data rows" + (" after the header" if layout.header else ""))
        if all(_valid(c, a).all() for c, a in cols.items()):
            # pyarrow skips blank lines, so a row's line is counted again, and only when an error needs it
            return cols, lambda row: int(_line_numbers(path, layout, set())[row]), []
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    raw, skipped = _scan_rows(path, layout, parsers, skip)
    n = len(next(iter(raw.values())))
    if n == 0:
        raise DataError(f"{path}: no usable rows" + (f" ({_skip_note(skipped)[0]})" if skipped else ""))
    lines = _line_numbers(path, layout, {ln for ln, _ in skipped})
    return ({c: np.asarray(v, dtype=np.float64) for c, v in raw.items()}, lambda row: int(lines[row]),
            _skip_note(skipped))


def _arrow_numbers(col: pa.ChunkedArray, name: str) -> np.ndarray:
    """A column read by pyarrow -> float64; the plain format's time column -> Unix seconds."""
    if pa.types.is_timestamp(col.type):
        us = pc.cast(pc.cast(col, pa.timestamp("us", col.type.tz)), pa.int64())
        return us.to_numpy().astype(np.float64) / 1e6
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        return _iso_column(col)
    if pa.types.is_null(col.type):
        raise pa.ArrowInvalid(f"column {name} is empty")
    a = col.to_numpy().astype(np.float64)
    return to_seconds(a) if name == "timestamp" else a


def _line_numbers(path: Path, layout: _Layout, skipped: set[int]) -> np.ndarray:
    out = []
    with open(path, newline="") as f:
        reader = csv.reader(f)
        for row in reader:
            n = reader.line_num
            if (n == 1 and layout.header) or not row or all(not x.strip() for x in row) or n in skipped:
                continue
            out.append(n)
    return np.asarray(out, dtype=np.int64)


def _series_kline(path: Path | str, cols: dict[str, np.ndarray], line_of: LineOf, sort: bool, notes: list[str],
                  where: str) -> PriceSeries:
    open_raw = cols["open_time"]
    close_raw = cols["close_time"]
    open_t = to_seconds(open_raw)
    order, more = _order(path, open_t, sort, line_of, where)
    notes += more
    open_t = open_t[order]
    keep, more = _dedupe_last(open_t, "open_time")
    notes += more
    idx = order[keep]
    # a bar ends at close_time + 1 tick of its own unit (Binance: open + interval - 1 ms, or - 1 us)
    end = (close_raw[idx] + 1) * _units(close_raw[idx])
    if len(end) > 1 and np.any(np.diff(end) < 0):
        i = int(np.flatnonzero(np.diff(end) < 0)[0]) + 1
        raise DataError(f"{path}: {where} {line_of(int(idx[i]))}: close_time goes backwards while open_time does not")
    return PriceSeries(end, cols["close"][idx], cols["volume"][idx], cols["open"][idx], cols["high"][idx],
                       cols["low"][idx], str(path), "kline", tuple(notes))


def _series_aggtrades(path: Path | str, cols: dict[str, np.ndarray], line_of: LineOf, sort: bool, notes: list[str],
                      where: str) -> PriceSeries:
    t = to_seconds(cols["transact_time"])
    ids = cols["agg_trade_id"]
    order, more = _order(path, t, sort, line_of, where)
    notes += more
    # duplicate trades (overlapping dumps joined): same agg_trade_id
    by_id = np.argsort(ids[order], kind="stable")
    sid = ids[order][by_id]
    dup = np.r_[False, sid[1:] == sid[:-1]]
    if dup.any():
        drop = np.zeros(len(order), dtype=bool)
        drop[by_id[dup]] = True
        order = order[~drop]
        notes.append(f"dropped {int(dup.sum())} rows with a duplicate agg_trade_id")
    return PriceSeries(t[order], cols["price"][order], cols["quantity"][order], source=str(path), fmt="aggtrades",
                       notes=tuple(notes))


def _series_plain(path: Path | str, cols: dict[str, np.ndarray], line_of: LineOf, sort: bool, notes: list[str],
                  where: str, fmt: str = "plain") -> PriceSeries:
    t = cols["timestamp"]
    order, more = _order(path, t, sort, line_of, where)
    notes += more
    vol = cols.get("volume")
    return PriceSeries(t[order], cols["price"][order], None if vol is None else vol[order], source=str(path), fmt=fmt,
                       notes=tuple(notes))


def _load_csv(path: Path, fmt: str, sort: bool, skip: bool, price_names: tuple[str, ...]) -> PriceSeries:
    layout = _layout(path, fmt, price_names)
    if price_names != PRICE_NAMES and not (fmt == "plain" and layout.header):
        raise DataError(f"{path}: a price column can be chosen only in a plain CSV with a header, not in "
                        f"{'a ' + fmt if fmt != 'plain' else 'one without a header'}")
    f64 = pa.float64()
    # Binance times stay raw numbers here, as on the fast path: their units are read when the series is built
    if fmt == "kline":
        types = {c: f64 for c in layout.wanted}
        parsers = {c: _number if c.endswith("_time") else _non_negative if c == "volume" else _positive
                   for c in layout.wanted}
    elif fmt == "aggtrades":
        types = {c: f64 for c in layout.wanted}
        parsers = {"agg_trade_id": _number, "price": _positive, "quantity": _non_negative, "transact_time": _number}
    else:
        types = {"price": f64, "volume": f64}
        parsers = {"timestamp": _timestamp, "price": _positive, "volume": _non_negative}
    parsers = {c: p for c, p in parsers.items() if c in layout.wanted}
    cols, line_of, notes = _columns_fast_or_slow(path, layout, types, skip, parsers)
    build = {"kline": _series_kline, "aggtrades": _series_aggtrades, "plain": _series_plain}[fmt]
    return build(path, cols, line_of, sort, notes, "line")


def _load_parquet(path: Path, sort: bool, skip: bool, price_names: tuple[str, ...]) -> PriceSeries:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as e:
        raise DataError(f"{path}: not a readable Parquet file: {e}") from None
    if table.num_rows == 0:
        raise DataError(f"{path}: no rows")
    by_norm = {_normalise(n): n for n in table.column_names}
    fmt = _format_from_names(set(by_norm), path, price_names)
    aliases = KLINE_ALIASES if fmt == "kline" else AGGTRADE_ALIASES if fmt == "aggtrades" else {}
    if fmt == "kline":
        need: dict[str, tuple[str, ...]] = {c: (c,) for c in ("open_time", "open", "high", "low", "close", "volume",
                                                               "close_time")}
    elif fmt == "aggtrades":
        need = {c: (c,) for c in ("agg_trade_id", "price", "quantity", "transact_time")}
    else:
        need = {"timestamp": TIME_NAMES, "price": price_names}
        if set(by_norm) & set(VOLUME_NAMES):
            need["volume"] = VOLUME_NAMES
    cols: dict[str, np.ndarray] = {}
    names = {aliases.get(k, k): v for k, v in by_norm.items()}
    for canon, choices in need.items():
        src = next((names[c] for c in choices if c in names), None)
        if src is None:
            raise DataError(f"{path}: missing column {canon} (columns: {', '.join(table.column_names)})")
        col = table.column(src)
        nulls = col.is_null()
        if pc.any(nulls).as_py():
            row = int(np.flatnonzero(nulls.to_numpy(zero_copy_only=False))[0])
            if not skip:
                raise DataError(f"{path}: row {row}: column {src!r} is null")
        cols[canon] = _parquet_numbers(path, col, src, canon)
    rows = np.arange(table.num_rows)
    notes: list[str] = []
    bad = np.zeros(table.num_rows, dtype=bool)
    for c, a in cols.items():
        bad |= ~_valid(c, a)
    if bad.any():
        if not skip:
            row = int(np.flatnonzero(bad)[0])
            which = next(c for c, a in cols.items() if not _valid(c, a[row:row + 1])[0])
            raise DataError(f"{path}: row {row}: column {which!r}: {cols[which][row]!r} is not a valid "
                            f"{'timestamp' if 'time' in which else 'value'} ({int(bad.sum())} bad rows)")
        skipped = [(int(r), "bad value") for r in np.flatnonzero(bad)]
        notes += _skip_note(skipped, "row")
        cols = {c: a[~bad] for c, a in cols.items()}
        rows = rows[~bad]
        if not len(rows):
            raise DataError(f"{path}: no usable rows ({notes[0]})")
    build = {"kline": _series_kline, "aggtrades": _series_aggtrades}.get(fmt)
    if build is not None:
        s = build(path, cols, lambda i: int(rows[i]), sort, notes, "row")
    else:
        s = _series_plain(path, cols, lambda i: int(rows[i]), sort, notes, "row")
    return PriceSeries(s.timestamps, s.prices, s.volumes, s.open, s.high, s.low, str(path), "parquet:" + s.fmt, s.notes)


def _parquet_numbers(path: Path, col: pa.ChunkedArray, src: str, canon: str) -> np.ndarray:
    """A Parquet column -> float64 (timestamps: Unix seconds; Arrow timestamp columns keep their unit)."""
    t = col.type
    if pa.types.is_timestamp(t):
        us = pc.cast(pc.cast(col, pa.timestamp("us", t.tz)), pa.int64())
        return us.to_numpy(zero_copy_only=False).astype(np.float64) / 1e6
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        if canon in ("timestamp", "open_time", "close_time", "transact_time"):
            try:
                return _iso_column(col)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass
        try:
            values = pc.cast(col, pa.float64())
        except pa.ArrowInvalid as e:
            raise DataError(f"{path}: column {src!r}: {e}") from None
    else:
        values = pc.cast(col, pa.float64())
    a = values.to_numpy(zero_copy_only=False).astype(np.float64)
    return to_seconds(a) if canon == "timestamp" else a


def load_price_series(path: Path | str, fmt: str | None = None, *, column: str | None = None, sort: bool = False,
                      skip_bad_rows: bool = False) -> PriceSeries:
    """Load a price file into a ``PriceSeries``.

    ``fmt``: ``kline`` | ``aggtrades`` | ``plain`` | ``parquet`` (None: detected). A ``.zip`` holding one CSV (as
    Binance's dumps come) is read as that CSV. ``column``: the price column of a plain CSV with a header or of a
    Parquet file (default: price, close or p). ``sort``: sort rows whose timestamps go backwards instead of
    failing. ``skip_bad_rows``: skip unparsable rows instead of failing (the series' ``notes`` say which).
    Raises ``DataError`` naming the file, line/row and column.
    """
    path = Path(path)
    if fmt is not None and fmt not in FORMATS:
        raise DataError(f"{path}: unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: empty file (no rows)")
    if path.suffix.lower() == ".zip":
        return _load_zip(path, fmt, column, sort, skip_bad_rows)
    price_names = PRICE_NAMES if column is None else (_normalise(column),)
    try:
        fmt = fmt or detect_format(path, price_names)
        if fmt == "parquet":
            return _load_parquet(path, sort, skip_bad_rows, price_names)
        return _load_csv(path, fmt, sort, skip_bad_rows, price_names)
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: not a text CSV file ({e.reason} at byte {e.start})") from None


def _load_zip(path: Path, fmt: str | None, column: str | None, sort: bool, skip: bool) -> PriceSeries:
    """The one CSV inside a zip (Binance's public data comes as one zipped CSV per day or month)."""
    import tempfile
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            members = [i for i in z.infolist() if not i.is_dir()]
            if len(members) != 1:
                raise DataError(f"{path}: a price zip holds one file, this one {len(members)}: "
                                f"{', '.join(i.filename for i in members[:5])}")
            with tempfile.TemporaryDirectory(prefix="perpkeep-zip-") as d:
                inner = Path(z.extract(members[0], d))
                try:
                    s = load_price_series(inner, fmt, column=column, sort=sort, skip_bad_rows=skip)
                except DataError as e:
                    raise DataError(str(e).replace(str(inner), f"{path}:{members[0].filename}")) from None
    except zipfile.BadZipFile as e:
        raise DataError(f"{path}: not a readable zip file: {e}") from None
    source = f"{path}:{members[0].filename}"
    return PriceSeries(s.timestamps, s.prices, s.volumes, s.open, s.high, s.low, source, s.fmt, s.notes)


__all__ = ["DataError", "FORMATS", "detect_format", "load_price_series", "to_seconds"]
