"""The HTML fragments the batches put in the report's extra section: no script, escaped text."""

from __future__ import annotations

import math
import re

from sim.runs.output import html_heatmap, html_table, svg_scatter


def test_table_escapes_and_formats() -> None:
    html = html_table(["metric", "p50"], [["<b>", 1234.5678], ["nan", math.nan]], caption="a & b")
    assert "<caption>a &amp; b</caption>" in html and "&lt;b&gt;" in html
    assert "<td>1,235</td>" in html and "<td>-</td>" in html and "<script" not in html


def test_heatmap_shades_the_highest_cell_darkest() -> None:
    values = {(300, 50): 10.0, (300, 100): 20.0, (500, 50): 40.0, (500, 100): math.nan}
    html = html_heatmap("mm", "fee", [300, 500], [50, 100], values, "p95 of bad debt")
    shades = re.findall(r'background:rgb\(255,(\d+),(\d+)\)">([^<]*)<', html)
    by_text = {text: int(g) for g, _, text in shades}
    assert by_text["10"] == 255 and by_text["40"] == 80 and by_text["-"] == 255
    assert 80 < by_text["20"] < 255


def test_scatter_draws_every_point_and_joins_the_front() -> None:
    pts = [(1.0, 5.0), (2.0, 3.0), (3.0, 4.0), (math.inf, 1.0)]
    svg = svg_scatter(pts, [(2.0, 3.0), (1.0, 5.0)], "pnl", "drawdown", "front")
    assert svg.count('fill="#999"') == 3 and svg.count('fill="#d33"') == 2
    assert "<polyline" in svg and "<script" not in svg
    assert "no finite points" in svg_scatter([], [], "x", "y", "empty")
