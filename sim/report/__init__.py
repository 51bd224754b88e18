"""Reports of simulation runs: one self-contained HTML file with charts, summary, distribution and scenario.

``write_report(run_or_runs, path, *, title=None, extra=None)`` is the entry point (``sim.report.html``);
the figures are built in ``sim.report.charts``.
"""

from sim.report.html import ExtraSection, ExtraTable, render_report, write_report

__all__ = ["ExtraSection", "ExtraTable", "render_report", "write_report"]
