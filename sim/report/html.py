"""One self-contained HTML file per report: plotly.js inline once, every chart, the summary, the scenario.

The machines that open reports are offline, so nothing is loaded from a network: the page embeds
plotly.js (from the locked ``plotly`` package, about 4.8 MB) in one ``<script>`` and each chart as a
``<div>`` plus its figure JSON. Chart ids are numbered in order (plotly would draw random ones), so one
run gives the same bytes every time. A script before everything else writes any JavaScript error into the page
(``<pre class="pk-js-error">``), where a reader (and the Chromium test) sees it.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypedDict

import orjson
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from sim.metrics import distribution, summarize
from sim.report.charts import histogram_figures, run_figures
from sim.report.format import fmt
from sim.run_record import SimRun


class ExtraTable(TypedDict):
    """A table: column names and rows of cells (numbers are formatted like the summary's)."""

    columns: list[str]
    rows: list[list[Any]]


class ExtraSection(TypedDict, total=False):
    """A section other parts add to a report (a sweep's heatmap, a Pareto front, walk-forward windows).

    ``title`` is required; any of ``text`` (a paragraph, plain text), ``figures`` (plotly ``Figure`` objects
    or their ``to_dict()``/``to_plotly_json()`` mappings), ``table`` (``ExtraTable``, or a list of dicts with
    the same keys, which become the columns), ``html`` (a fragment the project's code built, e.g. an inline
    SVG: inserted as it is, so never text from a user or a file) may follow, drawn in that order.
    """

    title: str
    text: str
    figures: Sequence[go.Figure | Mapping[str, Any]]
    table: ExtraTable | Sequence[Mapping[str, Any]]
    html: str


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
h1{font-size:1.6em} h2{font-size:1.25em;border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.9em;margin:.5em 0}
td,th{border:1px solid #ddd;padding:.25em .6em;text-align:right} td:first-child,th:first-child{text-align:left}
th{background:#f4f4f4} pre{background:#f8f8f8;padding:1em;overflow:auto;font-size:.85em}
.pk-js-error{background:#fee;color:#900} .pk-chart{margin:1em 0} nav a{margin-right:1em}
"""
_ERROR_TRAP = """
window.addEventListener('error', function (e) {
  var p = document.createElement('pre'); p.className = 'pk-js-error';
  p.textContent = 'JavaScript error: ' + e.message; document.body.insertBefore(p, document.body.firstChild);
});
"""


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]], cls: str = "") -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(fmt(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


class _Page:
    """Sections appended in order; charts numbered ``chart-1``, ``chart-2``, ..."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.toc: list[tuple[str, str]] = []
        self.charts = 0

    def section(self, title: str) -> None:
        anchor = f"s{len(self.toc) + 1}"
        self.toc.append((anchor, title))
        self.parts.append(f'<h2 id="{anchor}">{html.escape(title)}</h2>')

    def chart(self, fig: go.Figure | Mapping[str, Any]) -> None:
        self.charts += 1
        figure = fig if isinstance(fig, go.Figure) else go.Figure(dict(fig))
        div = pio.to_html(figure, include_plotlyjs=False, full_html=False, div_id=f"chart-{self.charts}",
                          config={"displaylogo": False, "responsive": True})
        self.parts.append(f'<div class="pk-chart">{div}</div>')

    def text(self, text: str) -> None:
        self.parts.append(f"<p>{html.escape(text)}</p>")

    def raw(self, markup: str) -> None:
        self.parts.append(markup)


_GROUPS = ("protocol.", "strategy.", "benchmark.")


def _ordered(keys: Iterable[str]) -> list[str]:
    """Protocol figures first, then strategies, then benchmarks, others last; within a group as given."""
    return sorted(keys, key=lambda k: next((i for i, g in enumerate(_GROUPS) if k.startswith(g)), len(_GROUPS)))


def _summary_rows(summary: Mapping[str, float]) -> list[list[Any]]:
    return [[k, summary[k]] for k in _ordered(summary)]


def _extra_sections(extra: ExtraSection | Sequence[ExtraSection] | Mapping[str, str]) -> list[ExtraSection]:
    if isinstance(extra, Mapping) and not set(extra) & set(ExtraSection.__annotations__):
        return [{"title": t, "html": fragment} for t, fragment in extra.items()]  # title -> HTML fragment
    return [extra] if isinstance(extra, Mapping) else list(extra)  # type: ignore[list-item]


def _add_extra(page: _Page, extra: ExtraSection | Sequence[ExtraSection] | Mapping[str, str]) -> None:
    for sec in _extra_sections(extra):
        if "title" not in sec:
            raise ValueError("an extra section needs a 'title'")
        page.section(str(sec["title"]))
        if sec.get("text"):
            page.text(str(sec["text"]))
        for fig in sec.get("figures", ()):
            page.chart(fig)
        table = sec.get("table")
        if isinstance(table, Mapping):
            page.raw(_table(table["columns"], table["rows"]))
        elif table is not None:
            rows = list(table)
            columns = list(rows[0]) if rows else []
            page.raw(_table(columns, [[r.get(c) for c in columns] for r in rows]))
        if sec.get("html"):
            page.raw(f'<div class="pk-extra">{sec["html"]}</div>')


def _scenario_text(scenario: Mapping[str, Any]) -> str:
    # default=str: a loader may leave paths or dates in the mapping; they are shown, not refused.
    return orjson.dumps(scenario, default=str, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
                        | orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY).decode()


def _add_run(page: _Page, run: SimRun, label: str) -> None:
    summary = run.summary or summarize(run)
    page.section(f"Summary{label}")
    page.raw(_table(["figure", "value"], _summary_rows(summary), "pk-summary"))
    for title, fig in run_figures(run):
        page.section(f"{title}{label}")
        page.chart(fig)
    page.section(f"Scenario{label}")
    page.raw(f"<pre>{html.escape(_scenario_text(run.scenario))}</pre>")


def _add_distribution(page: _Page, summaries: list[Mapping[str, float]]) -> None:
    dist = distribution(summaries)
    page.section(f"Distribution across {len(summaries)} runs")
    page.text("Per figure: runs with a finite value (n), mean, 95% bootstrap confidence interval of the mean "
              "(seeded), percentiles p5/p50/p95, and historical VaR and expected shortfall at 95% as "
              "losses (positive = lost; bad debt, socialised loss, drawdowns, liquidations and fees are "
              "losses as they stand, every other figure is negated).")
    cols = ["n", "mean", "ci_low", "ci_high", "p5", "p50", "p95", "var", "es"]
    page.raw(_table(["figure", *cols], [[k, *(dist[k][c] for c in cols)] for k in _ordered(dist)], "pk-distribution"))
    for key, fig in histogram_figures(summaries):
        page.section(f"Histogram: {key}")
        page.chart(fig)


def render_report(run_or_runs: SimRun | Sequence[SimRun | Mapping[str, float]], *, title: str | None = None,
                  extra: ExtraSection | Sequence[ExtraSection] | Mapping[str, str] | None = None,
                  scenario: Mapping[str, Any] | None = None) -> str:
    """The report's HTML (see ``write_report``)."""
    page = _Page()
    if isinstance(run_or_runs, SimRun):
        run = run_or_runs
        header = run.scenario.get("scenario")
        name = header.get("name") if isinstance(header, Mapping) else None
        heading = title or (f"Simulation {name} (seed {run.seed})" if name else f"Simulation (seed {run.seed})")
        _add_run(page, run, "")
    else:
        items = list(run_or_runs)
        if not items:
            raise ValueError("no runs to report")
        summaries = [(r.summary or summarize(r)) if isinstance(r, SimRun) else r for r in items]
        heading = title or f"Simulation: {len(items)} runs"
        _add_distribution(page, summaries)
        first = next((r for r in items if isinstance(r, SimRun)), None)
        if first is not None:
            _add_run(page, first, f" (run of seed {first.seed})")
        elif scenario is not None:
            page.section("Scenario")
            page.raw(f"<pre>{html.escape(_scenario_text(scenario))}</pre>")
    if extra:
        _add_extra(page, extra)
    nav = "".join(f'<a href="#{a}">{html.escape(t)}</a>' for a, t in page.toc)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(heading)}</title><style>{_CSS}</style>"
            f"<script>{_ERROR_TRAP}</script><script>{get_plotlyjs()}</script></head>\n"
            f"<body><h1>{html.escape(heading)}</h1><nav>{nav}</nav>\n" + "\n".join(page.parts) + "\n</body></html>\n")


def write_report(run_or_runs: SimRun | Sequence[SimRun | Mapping[str, float]], path: Path | str, *,
                 title: str | None = None, extra: ExtraSection | Sequence[ExtraSection] | Mapping[str, str] | None = None,
                 scenario: Mapping[str, Any] | None = None) -> Path:
    """Write one self-contained HTML report to ``path`` and return it.

    ``run_or_runs`` is one ``SimRun`` (summary table, its charts, its scenario) or many runs (Monte Carlo,
    stress, sweep): ``SimRun`` objects or their summaries (``dict[str, float]``). Many runs give a
    distribution table of every summary key and histograms of the key figures, then the charts and scenario
    of the first ``SimRun`` among them; with summaries only, ``scenario`` (the mapping) is shown instead.
    ``extra``: one ``ExtraSection`` or a list of them, or a mapping of title -> HTML fragment (the form of
    ``sim.runs``: each becomes a section with that ``html``; a mapping with any of ``ExtraSection``'s keys
    is one section), appended at the end. A run without a summary
    is summarised here (``sim.metrics.summarize``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(run_or_runs, title=title, extra=extra, scenario=scenario), encoding="utf-8")
    return path


__all__ = ["ExtraSection", "ExtraTable", "render_report", "write_report"]
