"""``sim.report``: one self-contained HTML file, the same bytes for one run, every section it promises.

Rendering in a real browser is tested in tests/integration/sim/test_report_chromium.py.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import plotly.graph_objects as go
import pytest

from sim.metrics import summarize
from sim.report import write_report
from sim.report.charts import MAX_POINTS, _thin, histogram_keys
from sim.report.format import fmt, pct, short
from sim.run_record import SimRun
from tests.sim_runs import hand_run, synthetic_run


def _chart_ids(text: str) -> list[str]:
    return re.findall(r'<div id="(chart-\d+)" class="plotly-graph-div"', text)


def test_one_run_is_self_contained_and_deterministic(tmp_path: Path) -> None:
    run = hand_run()
    a = write_report(run, tmp_path / "a" / "report.html").read_text()
    b = write_report(run, tmp_path / "b.html").read_text()
    assert a == b
    # plotly.js inline exactly once, nothing fetched from a network.
    assert len(re.findall(r"\* plotly\.js v\d", a)) == 1 and len(re.findall(r"<script[^>]*\bsrc=", a)) == 0
    assert "<link" not in a and 'src="http' not in a
    outside_plotly_js = a[:a.index("<script>/**")] + a[a.index("</script></head>"):]
    assert "http" not in outside_plotly_js
    # Prices of A and B, funding, OI, liquidations, bad debt, insurance fund, strategy maker.
    assert _chart_ids(a) == [f"chart-{i}" for i in range(1, 9)]
    for heading in ("A: oracle, index and mark price", "B: oracle, index and mark price", "Funding rate per period",
                    "Open interest (one side)", "Liquidations", "Bad debt and socialised loss", "Insurance fund",
                    "Strategy maker", "Summary", "Scenario"):
        assert f">{heading}</h2>" in a
    assert "<title>Simulation hand (seed 1)</title>" in a
    # The summary table holds summarize's figures: bad debt 40, OI max 40 (worked out in test_metrics).
    assert "<tr><td>protocol.bad_debt</td><td>40</td></tr>" in a
    assert "<tr><td>protocol.open_interest_max</td><td>40</td></tr>" in a
    assert "<tr><td>strategy.maker.pnl</td><td>8.9</td></tr>" in a
    assert "&quot;name&quot;: &quot;hand&quot;" in a  # the scenario, escaped JSON
    # Rows grouped: protocol, then the strategy, then the benchmarks.
    rows = re.findall(r"<tr><td>([a-z]+)\.", a[a.index('class="pk-summary"'):])
    assert rows == sorted(rows, key=["protocol", "strategy", "benchmark"].index) and len(set(rows)) == 3


def test_many_runs_give_a_distribution_and_histograms(tmp_path: Path) -> None:
    runs = [synthetic_run(seed) for seed in range(6)]
    text = write_report(runs, tmp_path / "mc.html", title="Monte Carlo").read_text()
    assert "<title>Monte Carlo</title>" in text and ">Distribution across 6 runs</h2>" in text
    assert ">Histogram: protocol.bad_debt</h2>" in text and ">Histogram: strategy.maker.pnl</h2>" in text
    assert ">Summary (run of seed 0)</h2>" in text  # the first run's charts follow
    assert len(_chart_ids(text)) > 10 and len(re.findall(r"\* plotly\.js v\d", text)) == 1  # plotly.js once
    row = re.search(r"<tr><td>protocol.liquidations</td>((?:<td>[^<]*</td>){9})</tr>", text)
    assert row is not None
    cells = re.findall(r"<td>([^<]*)</td>", row.group(1))
    assert cells[0] == "6"  # n


def test_summaries_only_with_scenario_and_extra(tmp_path: Path) -> None:
    summaries = [{"protocol.bad_debt": float(b), "strategy.mm.pnl": float(p)} for b, p in ((0, 5), (10, -2), (30, 1))]
    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 4], mode="markers"))
    extra = [{"title": "Pareto front", "text": "PnL against drawdown <b>", "figures": [fig, fig.to_dict()]},
             {"title": "Sweep", "table": {"columns": ["mm_bps", "bad_debt_p95"], "rows": [[500, 12.5], [800, math.nan]]}},
             {"title": "Windows", "table": [{"window": 1, "oos_pnl": 3.25}]}]
    text = write_report(summaries, tmp_path / "s.html", extra=extra, scenario={"scenario": {"name": "sw"}}).read_text()
    assert ">Distribution across 3 runs</h2>" in text and ">Scenario</h2>" in text
    assert "PnL against drawdown &lt;b&gt;" in text
    assert "<tr><td>500</td><td>12.5</td></tr><tr><td>800</td><td>–</td></tr>" in text
    assert "<th>window</th><th>oos_pnl</th>" in text and "<tr><td>1</td><td>3.25</td></tr>" in text
    # Two histograms (bad debt, mm pnl) and the two extra figures.
    assert len(_chart_ids(text)) == 4
    # The form sim.runs passes: title -> an HTML fragment its code built (an inline SVG here), kept as is.
    svg = '<svg xmlns="http://www.w3.org/2000/svg" class="scatter"><circle cx="1" cy="2" r="3"/></svg>'
    text = write_report(summaries, tmp_path / "f.html", extra={"Pareto front": svg, "Heatmap": "<table></table>"}).read_text()
    assert f'>Pareto front</h2>\n<div class="pk-extra">{svg}</div>' in text and ">Heatmap</h2>" in text
    with pytest.raises(ValueError, match="title"):
        write_report(summaries, tmp_path / "x.html", extra={"text": "no title"})
    with pytest.raises(ValueError, match="no runs"):
        write_report([], tmp_path / "y.html")


def test_a_run_without_rows_still_reports(tmp_path: Path) -> None:
    run = SimRun({"markets": {"A": {"price": {"file": Path("/data/a.csv")}}}}, 4, {"slot": [], "time_s": []})
    text = write_report(run, tmp_path / "e.html").read_text()
    assert "<title>Simulation (seed 4)</title>" in text and _chart_ids(text) == []
    assert "&quot;file&quot;: &quot;/data/a.csv&quot;" in text  # a path in the scenario is shown as text


def test_stored_summary_is_used_when_present(tmp_path: Path) -> None:
    run = hand_run()
    run.summary = {**summarize(run), "protocol.bad_debt": 123.0}
    assert "<tr><td>protocol.bad_debt</td><td>123</td></tr>" in write_report(run, tmp_path / "r.html").read_text()


def test_long_series_are_thinned_keeping_the_last_row() -> None:
    values = list(range(3 * MAX_POINTS + 1))
    thin = _thin(values)
    # Every 4th row of 12,001 (ceil(12001/4000) = 4): rows 0, 4, ..., 12000 -> 3001 points.
    assert len(thin) == 3001 and thin[:2] == [0, 4] and thin[-1] == 3 * MAX_POINTS
    assert _thin([1.0, 2.0]) == [1.0, 2.0]


def test_histogram_keys_skip_figures_without_values() -> None:
    keys = histogram_keys([{"protocol.bad_debt": 1.0, "strategy.a.sharpe": math.nan, "strategy.a.pnl": 2.0,
                            "strategy.a.fees": 3.0, "benchmark.M.pnl": 1.0, "benchmark.M.sharpe": 1.0}])
    assert keys == ["protocol.bad_debt", "strategy.a.pnl", "benchmark.M.pnl"]


def test_fmt() -> None:
    assert [fmt(x) for x in (None, math.nan, 3.0, 1234567.0, 0.5, 2.0 / 3, 1.5e-5, "x", math.inf)] == \
        ["–", "–", "3", "1,234,567", "0.5", "0.666667", "1.5e-05", "x", "inf"]


def test_short_and_pct() -> None:
    assert [short(x) for x in (math.nan, 8699.4, 210240.0, 0.32544, -12.345)] == ["–", "8,699", "210,240", "0.3254", "-12.35"]
    assert [pct(x) for x in (0.089, -0.003, math.nan)] == ["8.90%", "-0.30%", "–"]
