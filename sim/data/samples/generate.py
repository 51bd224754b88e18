"""Generate the shipped samples of ``sim/data/samples`` from a seeded process (run: python -m sim.data.samples.generate).

No real market data can be downloaded where this project is built, so the samples are synthetic: a
SOL-USDT-like price (GBM with a volatility of ~3% a day, fat-tailed jumps) written in Binance's public
data formats: one day of 1-minute klines (spot layout, no header, microsecond times as Binance's 2025
spot dumps have) and a few thousand aggregate trades (no header, microsecond times), plus the same
day as a plain ``timestamp,price,volume`` CSV (Unix seconds). The output depends only on SEED.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

SEED = 20250101
DAY_START_US = 1_735_689_600_000_000   # 2025-01-01T00:00:00Z in microseconds
START_PRICE = 190.0
BAR_S = 60
BARS = 24 * 60
TRADES = 3_000
TRADE_WINDOW_S = 2 * 3600              # the trades cover the first two hours
OUT = Path(__file__).parent


def _walk(rng: random.Random, n: int, dt_s: float, price: float) -> list[float]:
    """n prices of a GBM with jumps, one every dt_s seconds."""
    vol = 0.03 / math.sqrt(86_400)     # per sqrt(second)
    out = []
    for _ in range(n):
        shock = rng.gauss(0.0, 1.0) * vol * math.sqrt(dt_s)
        if rng.random() < 0.002:
            shock += rng.gauss(0.0, 0.01)
        price *= math.exp(shock)
        out.append(price)
    return out


def klines(rng: random.Random) -> list[str]:
    """One day of 1-minute bars in Binance's 12-column spot layout (microsecond times)."""
    rows = []
    price = START_PRICE
    for i in range(BARS):
        ticks = _walk(rng, 12, BAR_S / 12, price)  # 12 sub-steps make the bar's high and low
        o, c = price, ticks[-1]
        h, lo = max(o, *ticks), min(o, *ticks)
        vol = round(rng.lognormvariate(math.log(800), 0.6), 3)
        quote = vol * (o + c) / 2
        trades = max(1, int(vol / 2.5))
        buy = round(vol * rng.uniform(0.3, 0.7), 3)
        t = DAY_START_US + i * BAR_S * 1_000_000
        rows.append(f"{t},{o:.2f},{h:.2f},{lo:.2f},{c:.2f},{vol:.3f},{t + BAR_S * 1_000_000 - 1},{quote:.5f},"
                    f"{trades},{buy:.3f},{buy * (o + c) / 2:.5f},0")
        price = c
    return rows


def agg_trades(rng: random.Random) -> list[str]:
    """TRADES aggregate trades in Binance's 8-column layout (microsecond transact_time)."""
    rows = []
    t_us = DAY_START_US
    price = START_PRICE
    first = 1_000_000
    mean_gap_us = TRADE_WINDOW_S * 1_000_000 / TRADES
    for i in range(TRADES):
        gap = max(1, int(rng.expovariate(1 / mean_gap_us)))
        t_us += gap
        price = _walk(rng, 1, gap / 1e6, price)[0]
        n = rng.randint(1, 4)
        qty = round(rng.lognormvariate(math.log(3), 1.0), 3) or 0.001
        maker = "True" if rng.random() < 0.5 else "False"
        rows.append(f"{500_000 + i},{price:.2f},{qty:.3f},{first},{first + n - 1},{t_us},{maker},True")
        first += n
    return rows


def plain_from_klines(rows: list[str]) -> list[str]:
    """The klines' closes at each bar's end as ``timestamp,price,volume`` (Unix seconds), with a header."""
    out = ["timestamp,price,volume"]
    for r in rows:
        f = r.split(",")
        out.append(f"{(int(f[6]) + 1) // 1_000_000},{f[4]},{f[5]}")
    return out


def main(out: Path = OUT) -> list[Path]:
    """Write the sample files to ``out`` (default: next to this script); return their paths."""
    rng = random.Random(SEED)
    k = klines(rng)
    files = {
        "SOLUSDT-1m-2025-01-01.csv": k,
        "SOLUSDT-aggTrades-2025-01-01.csv": agg_trades(random.Random(SEED + 1)),
        "SOLUSDT-1m-2025-01-01-plain.csv": plain_from_klines(k),
    }
    for name, lines in files.items():
        (out / name).write_text("\n".join(lines) + "\n")
        print(f"wrote {out / name} ({len(lines)} lines)")
    return [out / name for name in files]


if __name__ == "__main__":
    main()
