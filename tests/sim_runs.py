"""Hand-made ``SimRun`` records for the metrics and report tests (the engine's runs are tested apart).

``hand_run`` is small enough to work every figure out on paper (see tests/unit/sim/test_metrics.py);
``synthetic_run`` is a longer seeded random walk with every series column, for rendering reports.
"""

from __future__ import annotations

import numpy as np

from sim.run_record import SimRun

# Equity 100 -> 110 -> 99 -> 108.9: returns +10%, -10%, +10%.
HAND_EQUITY = [100.0, 110.0, 99.0, 108.9]


def hand_run(events: list[dict] | None = None) -> SimRun:
    """Four rows 50 s apart, markets A and B, strategy ``maker``, four liquidations and a bankruptcy."""
    series = {
        "slot": [0.0, 10.0, 20.0, 30.0], "time_s": [0.0, 50.0, 100.0, 150.0],
        "oracle.A": [10.0, 11.0, 12.0, 13.0], "index.A": [10.0, 11.0, 12.0, 13.0], "mark.A": [10.1, 11.0, 12.2, 13.0],
        "funding_rate.A": [0.001, -0.003, 0.002, 0.0], "open_interest.A": [10.0, 20.0, 30.0, 5.0],
        "oracle.B": [20.0, 18.0, 19.0, 20.0], "index.B": [20.0, 18.0, 19.0, 20.0], "mark.B": [20.0, 18.1, 19.0, 20.0],
        "funding_rate.B": [0.0, 0.0025, -0.001, 0.0], "open_interest.B": [15.0, 20.0, 1.0, 1.0],
        "insurance_fund": [1000.0, 1200.0, 900.0, 950.0], "bad_debt": [0.0, 0.0, 40.0, 40.0],
        "socialized_loss": [0.0, 0.0, 0.0, 15.0], "liquidations": [0.0, 1.0, 3.0, 4.0],
        "liquidatable_users": [0.0, 2.0, 1.0, 0.0],
        "strategy.maker.equity": list(HAND_EQUITY), "strategy.maker.inventory.A": [0.0, 2.0, 1.0, 1.0],
        "strategy.maker.fees": [0.0, 0.5, 0.7, 1.0], "strategy.maker.funding": [0.0, -0.2, 0.1, 0.3],
    }
    if events is None:
        events = [{"slot": s, "kind": "liquidation", "user": f"u{s}", "market": "A", "delay_slots": d}
                  for s, d in ((10, 2), (20, 0), (20, 5), (30, 1))] + [{"slot": 20, "kind": "bankruptcy"}]
    return SimRun({"scenario": {"name": "hand", "seed": 1, "slots": 30}}, 1, series, events)


def synthetic_run(seed: int = 0, rows: int = 200, markets: tuple[str, ...] = ("SOL-PERP", "BTC-PERP"),
                  strategies: tuple[str, ...] = ("maker",)) -> SimRun:
    """A seeded random walk with every column of ``sim.run_record``'s docstring (not a simulation)."""
    rng = np.random.default_rng(seed)
    slots = np.arange(rows, dtype=float) * 10
    s: dict[str, list[float]] = {"slot": slots.tolist(), "time_s": (1_700_000_000 + slots * 5).tolist()}
    for i, m in enumerate(markets):
        price = 100.0 * (i + 1) * np.exp(np.cumsum(rng.normal(0, 0.01, rows)))
        s[f"oracle.{m}"] = price.tolist()
        s[f"index.{m}"] = price.tolist()
        s[f"mark.{m}"] = (price * (1 + rng.normal(0, 0.001, rows))).tolist()
        s[f"funding_rate.{m}"] = rng.normal(0, 0.0005, rows).tolist()
        s[f"open_interest.{m}"] = np.abs(np.cumsum(rng.normal(0, 100, rows)) + 5000).tolist()
        s[f"volume.{m}"] = np.cumsum(rng.uniform(0, 1000, rows)).tolist()
    liq = np.cumsum(rng.random(rows) < 0.05).astype(float)
    s["insurance_fund"] = (10_000 + np.cumsum(rng.normal(0, 50, rows))).tolist()
    s["bad_debt"] = np.cumsum(np.where(rng.random(rows) < 0.02, rng.uniform(0, 100, rows), 0.0)).tolist()
    s["socialized_loss"] = [0.0] * rows
    s["liquidations"] = liq.tolist()
    s["liquidatable_users"] = rng.integers(0, 4, rows).astype(float).tolist()
    for name in strategies:
        s[f"strategy.{name}.equity"] = (10_000 + np.cumsum(rng.normal(1, 20, rows))).tolist()
        for m in markets:
            s[f"strategy.{name}.inventory.{m}"] = np.cumsum(rng.normal(0, 1, rows)).tolist()
        s[f"strategy.{name}.fees"] = np.cumsum(rng.uniform(-0.5, 1.0, rows)).tolist()
        s[f"strategy.{name}.funding"] = np.cumsum(rng.normal(0, 0.3, rows)).tolist()
    events = [{"slot": int(slots[i]), "kind": "liquidation", "user": f"u{i}", "market": markets[0],
               "delay_slots": int(rng.integers(0, 6))} for i in np.flatnonzero(np.diff(liq, prepend=0.0))]
    scenario = {"scenario": {"name": "synthetic", "seed": seed, "slots": int(slots[-1]), "seconds_per_slot": 5},
                "markets": {m: {"initial_price": 100.0 * (i + 1), "price": {"kind": "gbm", "volatility": 0.01}}
                            for i, m in enumerate(markets)}}
    return SimRun(scenario, seed, s, events)
