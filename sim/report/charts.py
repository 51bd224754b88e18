"""Plotly figures of one run's series (x axis: slot) and of Monte Carlo distributions.

Each function returns ``(title, figure)`` pairs, nothing for series the run did not record. Long runs are
thinned to ``MAX_POINTS`` per trace (every k-th row, the last row always kept): a browser draws a few
thousand SVG points per line smoothly, not a million; the CSV/Parquet series keep every row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.run_record import SimRun

MAX_POINTS = 4000
_LAYOUT = {"template": "plotly_white", "height": 340, "margin": {"l": 60, "r": 20, "t": 40, "b": 40},
           "legend": {"orientation": "h", "y": -0.2}}


def _thin(values: Sequence[float]) -> list[float]:
    n = len(values)
    if n <= MAX_POINTS:
        return list(values)
    step = math.ceil(n / MAX_POINTS)
    idx = list(range(0, n, step))
    if idx[-1] != n - 1:
        idx.append(n - 1)
    return [values[i] for i in idx]


def _line(run: SimRun, column: str, name: str, **kw: object) -> go.Scatter:
    return go.Scatter(x=_thin(run.series["slot"]), y=_thin(run.series[column]), name=name, mode="lines", **kw)


def _figure(title: str, traces: list[go.Scatter], y_title: str) -> go.Figure:
    fig = go.Figure(traces)
    fig.update_layout(title=title, xaxis_title="slot", yaxis_title=y_title, **_LAYOUT)
    return fig


def run_figures(run: SimRun) -> list[tuple[str, go.Figure]]:
    """Charts of one run: prices per market, funding, open interest, liquidations, bad debt and
    socialised loss, the insurance fund, and each strategy's PnL and inventory."""
    s = run.series
    if "slot" not in s or run.rows == 0:
        return []
    out: list[tuple[str, go.Figure]] = []
    markets = run.markets()
    for m in markets:
        traces = [_line(run, f"{kind}.{m}", kind) for kind in ("oracle", "index", "mark") if f"{kind}.{m}" in s]
        out.append((f"{m}: oracle, index and mark price", _figure(f"{m} price", traces, "quote per base")))
    for prefix, title, unit in (("funding_rate", "Funding rate per period", "fraction"),
                                ("open_interest", "Open interest (one side)", "quote")):
        traces = [_line(run, f"{prefix}.{m}", m) for m in markets if f"{prefix}.{m}" in s]
        if traces:
            out.append((title, _figure(title, traces, unit)))
    if "liquidations" in s or "liquidatable_users" in s:
        fig = make_subplots(specs=[[{"secondary_y": True}]])
        if "liquidations" in s:
            fig.add_trace(_line(run, "liquidations", "liquidations (cumulative)"), secondary_y=False)
        if "liquidatable_users" in s:
            fig.add_trace(_line(run, "liquidatable_users", "liquidatable users now", line={"dash": "dot"}),
                          secondary_y=True)
        fig.update_layout(title="Liquidations", xaxis_title="slot", **_LAYOUT)
        fig.update_yaxes(title_text="liquidations", secondary_y=False)
        fig.update_yaxes(title_text="users", secondary_y=True)
        out.append(("Liquidations", fig))
    traces = [_line(run, c, c.replace("_", " ")) for c in ("bad_debt", "socialized_loss") if c in s]
    if traces:
        out.append(("Bad debt and socialised loss", _figure("Bad debt and socialised loss (cumulative)",
                                                             traces, "quote")))
    if "insurance_fund" in s:
        out.append(("Insurance fund", _figure("Insurance fund", [_line(run, "insurance_fund", "fund")], "quote")))
    for name in run.strategies():
        out.append((f"Strategy {name}", _strategy_figure(run, name, markets)))
    return out


def _strategy_figure(run: SimRun, name: str, markets: list[str]) -> go.Figure:
    s = run.series
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=("PnL, fees and funding (quote)", "Inventory (base)"))
    equity = s[f"strategy.{name}.equity"]
    slots = _thin(s["slot"])
    fig.add_trace(go.Scatter(x=slots, y=_thin([e - equity[0] for e in equity]), name="PnL", mode="lines"),
                  row=1, col=1)
    for part in ("fees", "funding"):
        col = f"strategy.{name}.{part}"
        if col in s:
            fig.add_trace(_line(run, col, f"{part} (cumulative)", line={"dash": "dot"}), row=1, col=1)
    for m in markets:
        col = f"strategy.{name}.inventory.{m}"
        if col in s:
            fig.add_trace(_line(run, col, f"inventory {m}"), row=2, col=1)
    fig.update_layout(title=f"Strategy {name}", **{**_LAYOUT, "height": 480})
    fig.update_xaxes(title_text="slot", row=2, col=1)
    return fig


#: Summary figures drawn as histograms across runs (strategy and benchmark names are filled in).
HISTOGRAM_KEYS = ("protocol.bad_debt", "protocol.socialized_loss", "protocol.insurance_fund_min",
                  "protocol.insurance_drawdown", "protocol.liquidations", "protocol.liquidation_delay_max")
HISTOGRAM_FIGURES = ("pnl", "sharpe", "max_drawdown")  # per strategy; a benchmark gets its PnL only


def histogram_keys(summaries: Sequence[Mapping[str, float]]) -> list[str]:
    """The key figures to draw as histograms, those with at least one finite value: ``HISTOGRAM_KEYS``,
    each strategy's ``HISTOGRAM_FIGURES`` and each benchmark's PnL."""
    keys = sorted({k for s in summaries for k in s})
    wanted = [k for k in HISTOGRAM_KEYS if k in keys]
    wanted += [k for k in keys if k.startswith("strategy.") and k.rsplit(".", 1)[1] in HISTOGRAM_FIGURES]
    wanted += [k for k in keys if k.startswith("benchmark.") and k.endswith(".pnl")]
    return [k for k in wanted
            if any(isinstance(s.get(k), (int, float)) and math.isfinite(s[k]) for s in summaries)]


def histogram_figures(summaries: Sequence[Mapping[str, float]]) -> list[tuple[str, go.Figure]]:
    """One histogram per key of ``histogram_keys`` across the runs' summaries."""
    out = []
    for key in histogram_keys(summaries):
        values = [s[k] for s in summaries for k in (key,)
                  if isinstance(s.get(k), (int, float)) and math.isfinite(s[k])]
        fig = go.Figure(go.Histogram(x=values, name=key, nbinsx=min(40, max(5, len(values) // 3))))
        fig.update_layout(title=f"{key} across {len(values)} runs", xaxis_title=key, yaxis_title="runs",
                          **{**_LAYOUT, "height": 300})
        out.append((key, fig))
    return out


__all__ = ["HISTOGRAM_FIGURES", "HISTOGRAM_KEYS", "MAX_POINTS", "histogram_figures", "histogram_keys",
           "run_figures"]
