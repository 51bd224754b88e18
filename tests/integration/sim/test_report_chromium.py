"""A simulation report opened in headless Chromium (Debian's package): every chart is drawn, no script fails.

Chromium runs the page's scripts offline (``--virtual-time-budget`` lets plotly finish) and dumps the DOM;
a drawn plotly chart has the ``js-plotly-plot`` class and ``svg.main-svg`` elements. The report writes any
JavaScript error into the page (``pre.pk-js-error``); the second test proves that trap works, so that its
absence in the first means something.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from sim.report import render_report, write_report
from tests.binaries import require_binary
from tests.sim_runs import synthetic_run


def _dump_dom(page: Path, profile: Path) -> str:
    result = subprocess.run(
        [require_binary("chromium"), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={profile}", "--virtual-time-budget=10000", "--dump-dom", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _charts(dom: str) -> dict[str, tuple[str, int]]:
    """Chart id -> (its classes, ``main-svg`` elements before the next chart)."""
    parts = re.split(r'(?=<div id="chart-\d+")', dom)[1:]
    out = {}
    for part in parts:
        head = re.match(r'<div id="(chart-\d+)" class="([^"]*)"', part)
        assert head is not None
        out[head.group(1)] = (head.group(2), len(re.findall(r'<svg class="main-svg"', part)))
    return out


def test_report_renders_every_chart(tmp_path: Path) -> None:
    run = synthetic_run(seed=1, rows=300)
    runs = [run, *(synthetic_run(seed) for seed in range(2, 6))]
    page = write_report(runs, tmp_path / "report.html", title="Chromium check")
    written = re.findall(r'<div id="(chart-\d+)" class="plotly-graph-div"', page.read_text())
    # Histograms: 6 protocol figures, the maker's PnL, Sharpe and drawdown, 2 benchmarks' PnL; then the
    # first run's 2 markets' prices, funding, OI, liquidations, bad debt, insurance fund, strategy.
    assert len(written) == 11 + 8
    dom = _dump_dom(page, tmp_path / "profile")
    assert '<pre class="pk-js-error">' not in dom, re.findall(r'<pre class="pk-js-error">([^<]*)', dom)
    charts = _charts(dom)
    assert sorted(charts) == sorted(written)
    for chart_id, (classes, svgs) in charts.items():
        assert "js-plotly-plot" in classes.split(), chart_id
        assert svgs >= 1, chart_id
    # The lines themselves are drawn: plotly's trace paths are in the DOM.
    assert dom.count('class="js-line"') >= 3 * 2 + 2


def test_a_script_error_shows_in_the_page(tmp_path: Path) -> None:
    html = render_report(synthetic_run(rows=5)).replace("</body>", "<script>undefinedFunction();</script></body>")
    page = tmp_path / "broken.html"
    page.write_text(html, encoding="utf-8")
    dom = _dump_dom(page, tmp_path / "profile")
    assert re.search(r'<pre class="pk-js-error">JavaScript error: [^<]*undefinedFunction', dom)
