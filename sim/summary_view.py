"""The one-screen summary printed at the end of a run: what ran, the protocol's health, the markets and
the strategies against buy-and-hold of the index.

It reads ``SimRun.summary`` (or summarises the run, ``sim.metrics.summarize``) and prints rich tables that
fit in 100 columns.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich import box
from rich.console import Console, Group
from rich.table import Table

from sim.metrics import summarize
from sim.report.format import fmt, pct, short
from sim.run_record import SimRun

# (summary key, label, formatter) of the protocol table.
_PROTOCOL_ROWS = (
    ("protocol.bad_debt", "bad debt (quote)", fmt),
    ("protocol.socialized_loss", "socialised loss (quote)", fmt),
    ("protocol.insurance_fund_min", "insurance fund min (quote)", fmt),
    ("protocol.insurance_drawdown", "insurance fund drawdown (quote)", fmt),
    ("protocol.insurance_drawdown_fraction", "insurance fund drawdown", pct),
    ("protocol.liquidations", "liquidations", fmt),
    ("protocol.liquidation_delay_p50", "liquidation delay p50 (slots)", fmt),
    ("protocol.liquidation_delay_max", "liquidation delay max (slots)", fmt),
    ("protocol.open_interest_max", "open interest max (quote)", fmt),
    ("protocol.funding_rate_min", "funding rate min", pct),
    ("protocol.funding_rate_max", "funding rate max", pct),
)
# (figure, column header, formatter) of the strategy table; the benchmark's has the first six.
_STRATEGY_COLUMNS = (
    ("pnl", "PnL", short), ("return", "return", pct), ("sharpe", "Sharpe", short), ("sortino", "Sortino", short),
    ("max_drawdown", "max DD", pct), ("calmar", "Calmar", short), ("hit_rate", "hits", pct),
    ("turnover", "turnover", short), ("fees", "fees", short), ("funding", "funding", short),
)


def _get(summary: Mapping[str, float], key: str) -> float:
    return float(summary.get(key, float("nan")))


def _figure_table(title: str, first: str, summary: Mapping[str, float], prefix: str, names: list[str],
                  columns: tuple[tuple[str, str, object], ...]) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1), collapse_padding=True,
                  pad_edge=False)
    table.add_column(first, no_wrap=True)
    for _, col, _ in columns:
        table.add_column(col, justify="right", no_wrap=True)
    for n in names:
        table.add_row(n, *(f(_get(summary, f"{prefix}.{n}.{fig}")) for fig, _, f in columns))  # type: ignore[operator]
    return table


def summary_tables(run: SimRun) -> list[Table]:
    """The tables of ``print_summary``: run, protocol, markets, strategies, buy-and-hold benchmarks."""
    summary = run.summary or summarize(run)
    s = run.series
    header = run.scenario.get("scenario")
    name = header.get("name", "?") if isinstance(header, Mapping) else "?"
    head = Table.grid(padding=(0, 2))
    slots = s.get("slot") or [float("nan")]
    times = s.get("time_s") or [0.0]
    head.add_row("scenario", str(name), "seed", str(run.seed), "slots", f"{fmt(slots[0])}–{fmt(slots[-1])}",
                 "chain time", f"{(times[-1] - times[0]) / 3600:.2f} h", "events", str(len(run.events)))

    protocol = Table(title="protocol", title_justify="left", show_header=False)
    protocol.add_column("figure")
    protocol.add_column("value", justify="right")
    for key, label, f in _PROTOCOL_ROWS:
        protocol.add_row(label, f(_get(summary, key)))

    markets = Table(title="markets", title_justify="left")
    for col in ("market", "first", "last", "change", "min", "max", "funding min", "funding max"):
        markets.add_column(col, justify="left" if col == "market" else "right")
    for m in run.markets():
        price = s.get(f"index.{m}") or s[f"mark.{m}"]
        rates = s.get(f"funding_rate.{m}") or [float("nan")]
        change = price[-1] / price[0] - 1 if price and price[0] else float("nan")
        markets.add_row(m, fmt(price[0]) if price else "–", fmt(price[-1]) if price else "–", pct(change),
                        fmt(min(price, default=float("nan"))), fmt(max(price, default=float("nan"))),
                        pct(min(rates)), pct(max(rates)))

    strategies = _figure_table("strategies (ratios annualised)", "name", summary, "strategy",
                               run.strategies(), _STRATEGY_COLUMNS)
    benchmark = _figure_table("buy-and-hold of the index", "market", summary,
                              "benchmark", run.markets(), _STRATEGY_COLUMNS[:6])
    return [head, protocol, markets, strategies, benchmark]


#: Columns the summary needs; a console that is not a terminal (a file, a pipe) is printed to at this width
#: at least, rather than rich's default of 80, which would cut the strategy table.
SUMMARY_WIDTH = 100


def print_summary(run: SimRun, console: Console) -> None:
    """Print the one-screen summary of ``run`` on ``console``."""
    tables = Group(*summary_tables(run))
    if console.is_terminal or console.width >= SUMMARY_WIDTH:
        console.print(tables)
        return
    before = console.width  # print(width=...) can only narrow, so widen the console for this print
    console.width = SUMMARY_WIDTH
    try:
        console.print(tables)
    finally:
        console.width = before


__all__ = ["SUMMARY_WIDTH", "print_summary", "summary_tables"]
