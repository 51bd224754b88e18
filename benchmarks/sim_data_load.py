"""Load speed of ``sim.data.load_price_series`` on 1M-row files of each CSV format and Parquet.

Run: ``python -m benchmarks.sim_data_load [--rows N]``. Writes synthetic files to a temporary folder
(Binance kline and aggTrades layouts with microsecond times, plain ``timestamp,price,volume``, and the
plain columns as Parquet), loads each three times and prints the best rows per second.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.data import load_price_series

T0_US = 1_735_689_600_000_000


def write_files(folder: Path, rows: int) -> dict[str, Path]:
    """One file per format with ``rows`` rows (vectorised writing through pyarrow)."""
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(1)
    prices = np.round(150 * np.exp(np.cumsum(rng.normal(0, 1e-4, rows))), 2)
    vol = np.round(rng.lognormal(1, 1, rows), 3)
    t_us = T0_US + np.arange(rows, dtype=np.int64) * 60_000_000
    kline = pa.table({"open_time": t_us, "open": prices, "high": prices + 0.05, "low": prices - 0.05, "close": prices,
                      "volume": vol, "close_time": t_us + 59_999_999, "quote_asset_volume": vol * prices,
                      "number_of_trades": np.full(rows, 12), "taker_buy_base": vol / 2,
                      "taker_buy_quote": vol * prices / 2, "ignore": np.zeros(rows, dtype=np.int64)})
    trade_t = T0_US + np.cumsum(rng.integers(1, 5_000, rows))
    ids = np.arange(rows, dtype=np.int64)
    agg = pa.table({"agg_trade_id": ids, "price": prices, "quantity": vol, "first_trade_id": ids * 2,
                    "last_trade_id": ids * 2 + 1, "transact_time": trade_t,
                    "is_buyer_maker": rng.random(rows) < 0.5, "is_best_match": np.ones(rows, dtype=bool)})
    plain = pa.table({"timestamp": t_us // 1_000_000, "price": prices, "volume": vol})
    out = {"kline": folder / "kline.csv", "aggtrades": folder / "agg.csv", "plain": folder / "plain.csv",
           "parquet": folder / "plain.parquet"}
    no_header = pacsv.WriteOptions(include_header=False)
    pacsv.write_csv(kline, out["kline"], no_header)
    pacsv.write_csv(agg, out["aggtrades"], no_header)
    pacsv.write_csv(plain, out["plain"])
    pq.write_table(plain, out["parquet"])
    return out


def measure(rows: int = 1_000_000, repeats: int = 3) -> dict[str, float]:
    """Best rows per second of each format."""
    out = {}
    with tempfile.TemporaryDirectory(prefix="perpkeep-data-bench-") as d:
        for fmt, path in write_files(Path(d), rows).items():
            best = float("inf")
            for _ in range(repeats):
                t = time.perf_counter()
                s = load_price_series(path)
                best = min(best, time.perf_counter() - t)
                assert len(s) == rows, (fmt, len(s))
            out[fmt] = rows / best
            print(f"{fmt:<10} {rows:>10,} rows  {best:6.2f} s  {rows / best:>12,.0f} rows/s  "
                  f"({path.stat().st_size / 1e6:.0f} MB)", flush=True)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    measure(p.parse_args().rows)


if __name__ == "__main__":
    main()
