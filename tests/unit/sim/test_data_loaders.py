"""sim.data loaders: every supported format, unit detection, and the errors for bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.data import DataError, detect_format, load_price_series, sample_path

T0 = 1_735_689_600  # 2025-01-01T00:00:00Z


def kline_row(open_s: int, o: float, h: float, lo: float, c: float, v: float, unit: int = 1000) -> str:
    """One Binance kline row of a 1-minute bar starting at ``open_s``, times in ``unit`` per second."""
    ot = open_s * unit
    return f"{ot},{o},{h},{lo},{c},{v},{ot + 60 * unit - 1},{v * c},7,{v / 2},{v * c / 2},0"


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


def test_kline_without_header_in_milliseconds_puts_each_close_at_its_bar_end(tmp_path: Path) -> None:
    p = write(tmp_path, "k.csv", [kline_row(T0, 100, 102, 99, 101, 5), kline_row(T0 + 60, 101, 103, 100, 102.5, 6)])
    s = load_price_series(p)
    assert s.fmt == "kline"
    assert s.timestamps.tolist() == [T0 + 60, T0 + 120]
    assert s.prices.tolist() == [101, 102.5]
    assert s.volumes.tolist() == [5, 6]
    assert s.open.tolist() == [100, 101] and s.high.tolist() == [102, 103] and s.low.tolist() == [99, 100]
    assert s.notes == ()


def test_kline_in_microseconds_and_a_file_joining_ms_and_us_dumps(tmp_path: Path) -> None:
    us = load_price_series(write(tmp_path, "us.csv", [kline_row(T0, 1, 1, 1, 2, 1, unit=1_000_000)]))
    assert us.timestamps.tolist() == [T0 + 60]
    # 2024's millisecond dump followed by 2025's microsecond one (Binance changed unit on 2025-01-01)
    joined = write(tmp_path, "joined.csv", [kline_row(T0 - 60, 1, 1, 1, 3, 1, unit=1000),
                                            kline_row(T0, 1, 1, 1, 4, 1, unit=1_000_000)])
    s = load_price_series(joined)
    assert s.timestamps.tolist() == [T0, T0 + 60]
    assert s.prices.tolist() == [3, 4]


def test_kline_with_binance_futures_header_and_duplicate_bars(tmp_path: Path) -> None:
    header = ("open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,"
              "taker_buy_quote_volume,ignore")
    p = write(tmp_path, "f.csv", [header, kline_row(T0, 1, 1, 1, 10, 1), kline_row(T0, 1, 1, 1, 11, 1),
                                  kline_row(T0 + 60, 1, 1, 1, 12, 1)])
    s = load_price_series(p, "kline")
    assert s.prices.tolist() == [11, 12]  # the later row of a duplicated bar wins
    assert s.notes == ("dropped 1 rows with a duplicate open_time (kept the later row)",)


def test_aggtrades_seven_and_eight_columns_and_duplicate_ids(tmp_path: Path) -> None:
    rows8 = [f"{i},{100 + i},0.5,{10 * i},{10 * i + 1},{(T0 + i) * 1_000_000 + 250_000},True,True" for i in range(3)]
    s = load_price_series(write(tmp_path, "a8.csv", rows8))
    assert s.fmt == "aggtrades"
    assert s.timestamps.tolist() == [T0 + 0.25, T0 + 1.25, T0 + 2.25]
    assert s.prices.tolist() == [100, 101, 102] and s.volumes.tolist() == [0.5] * 3
    rows7 = [f"{i},{100 + i},2,{i},{i},{(T0 + i) * 1000},False" for i in (0, 1, 1, 2)]
    s7 = load_price_series(write(tmp_path, "a7.csv", rows7))
    assert s7.prices.tolist() == [100, 101, 102]
    assert s7.notes == ("dropped 1 rows with a duplicate agg_trade_id",)
    header = "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker"
    sh = load_price_series(write(tmp_path, "ah.csv", [header, *rows7[:2]]))
    assert sh.fmt == "aggtrades" and sh.prices.tolist() == [100, 101]


@pytest.mark.parametrize("times", [
    [str(T0), str(T0 + 5)],
    [str(T0 * 1000), str((T0 + 5) * 1000)],
    ["2025-01-01T00:00:00Z", "2025-01-01T00:00:05Z"],
    ["2025-01-01T01:00:00+01:00", "2025-01-01T00:00:05"],   # an offset, and no zone (UTC)
])
def test_plain_timestamps_as_seconds_ms_or_iso(tmp_path: Path, times: list[str]) -> None:
    p = write(tmp_path, "p.csv", ["timestamp,price", f"{times[0]},10.5", f"{times[1]},11"])
    s = load_price_series(p)
    assert s.fmt == "plain"
    assert s.timestamps.tolist() == [T0, T0 + 5]
    assert s.prices.tolist() == [10.5, 11]
    assert s.volumes is None


def test_plain_without_header_with_volume_and_same_time_rows_kept(tmp_path: Path) -> None:
    s = load_price_series(write(tmp_path, "p.csv", [f"{T0},1,3", f"{T0},2,4", f"{T0 + 1},3,5"]))
    assert s.prices.tolist() == [1, 2, 3] and s.volumes.tolist() == [3, 4, 5]
    assert s.price_at(T0) == 2  # the last row at that time


def test_bad_value_names_file_line_and_column(tmp_path: Path) -> None:
    p = write(tmp_path, "bad.csv", ["timestamp,price", f"{T0},1", f"{T0 + 1},abc", f"{T0 + 2},3"])
    with pytest.raises(DataError, match=r"bad\.csv: line 3: column 'price': 'abc'"):
        load_price_series(p)
    s = load_price_series(p, skip_bad_rows=True)
    assert s.prices.tolist() == [1, 3]
    assert s.notes == ("skipped 1 bad rows (line 3: column 'price': 'abc' is not a number)",)


def test_negative_price_and_short_row_are_errors_with_their_line(tmp_path: Path) -> None:
    neg = write(tmp_path, "neg.csv", [kline_row(T0, 1, 1, 1, 2, 1), kline_row(T0 + 60, 1, 1, 1, -2, 1)])
    with pytest.raises(DataError, match=r"neg\.csv: line 2: column 'close'"):
        load_price_series(neg)
    short = write(tmp_path, "short.csv", [kline_row(T0, 1, 1, 1, 2, 1), "1,2,3,4,5,6,7,8,9,10,11"])
    with pytest.raises(DataError, match=r"short\.csv: line 2: 11 fields, expected 12"):
        load_price_series(short)


def test_skipped_bad_rows_of_binance_files_keep_the_times_of_the_good_ones(tmp_path: Path) -> None:
    k = write(tmp_path, "k.csv", [kline_row(T0, 1, 1, 1, 2, 1, unit=1_000_000), "x" + kline_row(T0 + 60, 1, 1, 1, 3, 1),
                                  kline_row(T0 + 120, 1, 1, 1, 4, 1)])
    s = load_price_series(k, skip_bad_rows=True)
    assert s.timestamps.tolist() == [T0 + 60, T0 + 180] and s.prices.tolist() == [2, 4]
    assert s.notes[0].startswith("skipped 1 bad rows (line 2: column 'open_time'")
    a = write(tmp_path, "a.csv", [f"1,5,1,1,1,{T0 * 1000 + 500},True", "2,-5,1,2,2,0,True", f"3,6,1,3,3,{T0 * 1000},True"])
    with pytest.raises(DataError, match=r"a\.csv: line 3: timestamp .* earlier"):
        load_price_series(a, skip_bad_rows=True)
    sa = load_price_series(a, skip_bad_rows=True, sort=True)
    assert sa.timestamps.tolist() == [T0, T0 + 0.5] and sa.prices.tolist() == [6, 5]


def test_timestamps_going_backwards_fail_unless_sorted(tmp_path: Path) -> None:
    p = write(tmp_path, "back.csv", ["time,price", f"{T0},1", f"{T0 + 10},2", f"{T0 + 5},3"])
    with pytest.raises(DataError, match=r"back\.csv: line 4: timestamp .* earlier than the row before"):
        load_price_series(p)
    s = load_price_series(p, sort=True)
    assert s.timestamps.tolist() == [T0, T0 + 5, T0 + 10] and s.prices.tolist() == [1, 3, 2]
    assert s.notes == ("sorted 1 rows whose timestamps went backwards",)


def test_empty_header_only_missing_column_and_unknown_shape(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="empty file"):
        load_price_series(write(tmp_path, "e.csv", []))
    with pytest.raises(DataError, match="no data rows after the header"):
        load_price_series(write(tmp_path, "h.csv", ["timestamp,price"]))
    with pytest.raises(DataError, match=r"no price column .* columns: timestamp, bid"):
        load_price_series(write(tmp_path, "m.csv", ["timestamp,bid", f"{T0},1"]), "plain")
    with pytest.raises(DataError, match="missing column close_time"):
        load_price_series(write(tmp_path, "k.csv", ["open_time,open,high,low,close,volume", f"{T0},1,1,1,1,1"]),
                          "kline")
    with pytest.raises(DataError, match="line 1 has 5 fields and no header"):
        load_price_series(write(tmp_path, "x.csv", ["1,2,3,4,5"]))
    with pytest.raises(DataError, match="no such file"):
        load_price_series(tmp_path / "absent.csv")


def test_parquet_plain_and_kline_columns(tmp_path: Path) -> None:
    p = tmp_path / "p.parquet"
    pq.write_table(pa.table({"timestamp": [T0 * 1000, (T0 + 2) * 1000], "price": [5.0, 6.0],
                             "volume": [1.0, 2.0]}), p)
    s = load_price_series(p)
    assert s.fmt == "parquet:plain"
    assert s.timestamps.tolist() == [T0, T0 + 2] and s.prices.tolist() == [5, 6] and s.volumes.tolist() == [1, 2]
    ts = tmp_path / "ts.parquet"
    pq.write_table(pa.table({"time": pa.array([T0 * 10**6], pa.timestamp("us", "UTC")), "close": [7.0]}), ts)
    assert load_price_series(ts).timestamps.tolist() == [T0]
    k = tmp_path / "k.parquet"
    cols = dict(zip(["open_time", "open", "high", "low", "close", "volume", "close_time"],
                    [[T0 * 1000], [1.0], [2.0], [0.5], [1.5], [3.0], [T0 * 1000 + 59_999]]))
    pq.write_table(pa.table(cols), k)
    sk = load_price_series(k)
    assert sk.fmt == "parquet:kline" and sk.timestamps.tolist() == [T0 + 60] and sk.high.tolist() == [2.0]


def test_parquet_null_and_bad_rows_are_named(tmp_path: Path) -> None:
    p = tmp_path / "n.parquet"
    pq.write_table(pa.table({"timestamp": [T0, T0 + 1, T0 + 2], "price": [1.0, None, -3.0]}), p)
    with pytest.raises(DataError, match=r"n\.parquet: row 1: column 'price' is null"):
        load_price_series(p)
    s = load_price_series(p, skip_bad_rows=True)
    assert s.prices.tolist() == [1.0]
    assert "skipped 2 bad rows" in s.notes[0]
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(DataError, match="not a readable Parquet file"):
        load_price_series(bad)


def test_detect_format_of_the_shipped_samples() -> None:
    assert detect_format(sample_path("SOLUSDT-1m-2025-01-01.csv")) == "kline"
    assert detect_format(sample_path("SOLUSDT-aggTrades-2025-01-01.csv")) == "aggtrades"
    assert detect_format(sample_path("SOLUSDT-1m-2025-01-01-plain.csv")) == "plain"
    k = load_price_series(sample_path("SOLUSDT-1m-2025-01-01.csv"))
    plain = load_price_series(sample_path("SOLUSDT-1m-2025-01-01-plain.csv"))
    assert len(k) == 1440 and np.array_equal(k.timestamps, plain.timestamps) and np.array_equal(k.prices, plain.prices)
    trades = load_price_series(sample_path("SOLUSDT-aggTrades-2025-01-01.csv"))
    assert len(trades) == 3000 and trades.start >= T0 and trades.end <= T0 + 2 * 3600


def test_the_shipped_samples_are_what_the_committed_generator_writes(tmp_path: Path) -> None:
    from sim.data.samples.generate import main

    for made in main(tmp_path):
        assert made.read_bytes() == sample_path(made.name).read_bytes(), made.name


def test_large_file_loads_on_the_fast_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """200k aggTrades rows: loaded whole and exact (the rows/s figure is printed for the record)."""
    import time

    n = 200_000
    i = np.arange(n)
    lines = [f"{a},{100 + a % 7},{1 + a % 3},{a},{a},{(T0 * 1000 + a) * 1000},True,True" for a in i.tolist()]
    p = write(tmp_path, "big.csv", lines)
    t = time.perf_counter()
    s = load_price_series(p)
    dt = time.perf_counter() - t
    assert len(s) == n
    assert s.prices[-1] == 100 + (n - 1) % 7 and s.timestamps[-1] == pytest.approx(T0 + (n - 1) / 1000, abs=1e-6)
    with capsys.disabled():
        print(f"\n  aggTrades CSV load: {n / dt:,.0f} rows/s")


def test_a_zipped_binance_dump_loads_as_its_csv_and_errors_name_the_member(tmp_path: Path) -> None:
    import zipfile

    z = tmp_path / "SOLUSDT-1m-2025-01-01.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("SOLUSDT-1m-2025-01-01.csv", kline_row(T0, 1, 2, 0.5, 1.5, 3, unit=1_000_000) + "\n")
    s = load_price_series(z)
    assert s.fmt == "kline" and s.prices.tolist() == [1.5] and s.source == f"{z}:SOLUSDT-1m-2025-01-01.csv"
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as f:
        f.writestr("x.csv", "timestamp,price\n1,abc\n")
    with pytest.raises(DataError, match=r"bad\.zip:x\.csv: line 2: column 'price'"):
        load_price_series(bad)
    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as f:
        f.writestr("a.csv", "1,2\n")
        f.writestr("b.csv", "1,2\n")
    with pytest.raises(DataError, match="holds one file, this one 2"):
        load_price_series(two)


def test_a_chosen_price_column(tmp_path: Path) -> None:
    p = write(tmp_path, "m.csv", ["time,SOL-PERP,BTC-PERP", f"{T0},150,60000", f"{T0 + 1},151,60100"])
    assert load_price_series(p, column="BTC-PERP").prices.tolist() == [60000, 60100]
    assert load_price_series(p, "plain", column="SOL-PERP").prices.tolist() == [150, 151]
    with pytest.raises(DataError, match=r"no price column 'eth-perp' \(columns: btc-perp, sol-perp, time\)"):
        load_price_series(p, column="ETH-PERP")
    pq_path = tmp_path / "m.parquet"
    pq.write_table(pa.table({"ts": [T0], "mid": [3.5], "close": [9.0]}), pq_path)
    assert load_price_series(pq_path, column="mid").prices.tolist() == [3.5]
    with pytest.raises(DataError, match="only in a plain CSV with a header"):
        load_price_series(sample_path("SOLUSDT-1m-2025-01-01.csv"), column="open")
