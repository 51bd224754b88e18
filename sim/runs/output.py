"""What a batch of runs writes besides the runs themselves: JSON and CSV tables, HTML fragments for the
report's extra section (tables, a heatmap, a scatter plot in inline SVG: no script, no CDN), and the
report itself through ``sim.report.write_report`` when that module is there."""

from __future__ import annotations

import csv
import html
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from sim.run_record import SimRun


def write_json(path: Path, data: Any) -> Path:
    """``data`` as indented JSON with sorted keys (NaN as null)."""
    path.write_bytes(orjson.dumps(_finite(data), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
                                  | orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY))
    return path


def _finite(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


def write_csv(path: Path, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    """A CSV file with a header row."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns)
        w.writerows(rows)
    return path


def _cell(v: Any) -> str:
    from sim.runs.progress import fmt

    return html.escape(fmt(v))


def html_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = "") -> str:
    """An HTML table of figures."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in r) + "</tr>" for r in rows)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f'<table class="runs">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def html_heatmap(row_label: str, col_label: str, rows: Sequence[Any], cols: Sequence[Any],
                 values: dict[tuple[Any, Any], float], caption: str) -> str:
    """A table whose cells are shaded from white (lowest) to red (highest value)."""
    finite = [v for v in values.values() if v is not None and math.isfinite(v)]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 0.0)
    head = f"<th>{html.escape(row_label)} \\ {html.escape(col_label)}</th>" + "".join(
        f"<th>{_cell(c)}</th>" for c in cols)
    body = []
    for r in rows:
        cells = []
        for c in cols:
            v = values.get((r, c))
            t = 0.0 if v is None or not math.isfinite(v) or hi == lo else (v - lo) / (hi - lo)
            shade = f"rgb(255,{round(255 - 175 * t)},{round(255 - 175 * t)})"
            cells.append(f'<td style="background:{shade}">{_cell(v)}</td>')
        body.append(f"<tr><th>{_cell(r)}</th>{''.join(cells)}</tr>")
    return (f'<table class="runs heatmap"><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def svg_scatter(points: Sequence[tuple[float, float]], highlight: Sequence[tuple[float, float]], x_label: str,
                y_label: str, title: str, width: int = 520, height: int = 360) -> str:
    """An inline SVG scatter plot: ``points`` in grey, ``highlight`` (e.g. a Pareto front) in red and joined."""
    pts = [p for p in points if all(math.isfinite(v) for v in p)]
    if not pts:
        return f"<p>{html.escape(title)}: no finite points</p>"
    pad = 48
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y0, y1 = min(ys), max(ys) if max(ys) > min(ys) else min(ys) + 1

    def sx(x: float) -> float:
        return pad + (x - x0) / (x1 - x0) * (width - 2 * pad)

    def sy(y: float) -> float:
        return height - pad - (y - y0) / (y1 - y0) * (height - 2 * pad)

    dots = "".join(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="#999"/>' for x, y in pts)
    front = sorted(p for p in highlight if all(math.isfinite(v) for v in p))
    line = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in front)
    red = "".join(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="4" fill="#d33"/>' for x, y in front)
    axes = (f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#333"/>'
            f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#333"/>'
            f'<text x="{width / 2}" y="{height - 10}" text-anchor="middle">{html.escape(x_label)}</text>'
            f'<text x="14" y="{height / 2}" transform="rotate(-90 14 {height / 2})" text-anchor="middle">'
            f"{html.escape(y_label)}</text>"
            f'<text x="{pad}" y="{pad - 10}">{_cell(y1)}</text><text x="{pad}" y="{height - pad + 14}">{_cell(x0)}</text>'
            f'<text x="{width - pad}" y="{height - pad + 14}" text-anchor="end">{_cell(x1)}</text>')
    return (f'<figure><svg xmlns="http://www.w3.org/2000/svg" class="scatter" width="{width}" height="{height}">'
            f'{axes}{dots}<polyline points="{line}" fill="none" stroke="#d33"/>{red}</svg>'
            f"<figcaption>{html.escape(title)}</figcaption></figure>")


def write_report(runs: SimRun | Sequence[SimRun], path: Path, title: str, sections: dict[str, str]) -> Path | None:
    """The HTML report of ``runs`` with ``sections`` (title -> HTML fragment) as its extra part, through
    simreport's ``sim.report.write_report``; None when that module is not there (before the merge)."""
    try:
        from sim.report import write_report as report  # type: ignore[import-not-found]
    except ImportError:
        return None
    return report(runs, path, title=title, extra=sections)


__all__ = ["html_heatmap", "html_table", "svg_scatter", "write_csv", "write_json", "write_report"]
