"""``sim.summary_view.print_summary``: the end-of-run screen shows the run's figures, formatted."""

from __future__ import annotations

import io

from rich.console import Console

from sim.run_record import SimRun
from sim.summary_view import print_summary
from tests.sim_runs import hand_run, synthetic_run


def _text(run: SimRun, width: int = 100) -> str:
    out = io.StringIO()
    print_summary(run, Console(file=out, width=width, color_system=None))
    return out.getvalue()


def test_summary_screen_holds_the_figures() -> None:
    text = _text(hand_run())
    lines = text.splitlines()
    assert len(lines) <= 50  # one screen
    assert max(len(line) for line in lines) <= 100
    assert "hand" in lines[0] and "seed" in lines[0] and "0–30" in lines[0]
    # Figures worked out in test_metrics: bad debt 40, fund drawdown 300 = 25%, 4 liquidations, delay max 5.
    row = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in lines if line.count("│") == 3}
    assert row["bad debt (quote)"] == "40" and row["socialised loss (quote)"] == "15"
    assert row["insurance fund drawdown (quote)"] == "300" and row["insurance fund drawdown"] == "25.00%"
    assert row["liquidations"] == "4" and row["liquidation delay max (slots)"] == "5"
    assert row["funding rate min"] == "-0.30%" and row["open interest max (quote)"] == "40"
    maker = next(line for line in lines if line.strip().startswith("maker"))
    cells = maker.split()
    # PnL 8.9, return 8.9%, drawdown 10%, hit rate 2/3, fees 1, funding 0.3.
    assert cells[1:3] == ["8.9", "8.90%"] and cells[5] == "10.00%" and cells[7] == "66.67%"
    # Turnover 34 / mean equity 104.475 = 0.3254.
    assert cells[-3:] == ["0.3254", "1", "0.3"]
    start = next(i for i, line in enumerate(lines) if line.startswith("buy-and-hold"))
    hold_a = next(line for line in lines[start:] if line.split()[:1] == ["A"])
    assert hold_a.split()[:3] == ["A", "30", "30.00%"]
    assert "…" not in text  # nothing cut to fit
    market_b = next(line for line in lines if line.startswith("│ B "))
    # Index B 20 -> 20, between 18 and 20.
    assert [c.strip() for c in market_b.split("│")[1:7]] == ["B", "20", "20", "0.00%", "18", "20"]


def test_long_names_fit_in_100_columns() -> None:
    text = _text(synthetic_run(markets=("SOL-PERP", "BTC-PERP"), strategies=("market_maker",)))
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 100
    assert len(text.splitlines()) <= 50


def test_summary_of_an_empty_run() -> None:
    text = _text(SimRun({}, 2, {"slot": [], "time_s": []}))
    assert "seed" in text and "bad debt" in text


def test_a_pipe_gets_the_full_width() -> None:
    text = _text(synthetic_run(), width=80)  # rich's default for a file or a pipe
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 100
