"""The progress bar of a batch of runs (rich), and the one-screen tables printed at the end."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table


class RunProgress:
    """A rich progress bar over ``total`` runs, with a count of failed ones (a context manager)."""

    def __init__(self, total: int, description: str, console: Console | None = None, enabled: bool = True) -> None:
        self.console = console or Console()
        self.failed = 0
        self.resumed = 0
        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("{task.fields[note]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                             console=self.console, disable=not enabled, transient=False)
        self._task = self._bar.add_task(description, total=total, note="")

    def __enter__(self) -> RunProgress:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def advance(self, outcome: Any) -> None:
        """One more run finished (``sim.runs.executor.Outcome``)."""
        self.failed += outcome.error is not None
        self.resumed += bool(getattr(outcome, "resumed", False))
        notes = [f"{self.failed} failed"] if self.failed else []
        notes += [f"{self.resumed} from earlier"] if self.resumed else []
        self._bar.update(self._task, advance=1, note=", ".join(notes))


def fmt(v: Any) -> str:
    """A figure for a table: 4 significant digits, thousands separated."""
    if isinstance(v, str):
        return v
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    v = float(v)
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    """A rich table whose first column is left-aligned and the others are right-aligned figures."""
    t = Table(title=title, title_justify="left")
    for i, c in enumerate(columns):
        t.add_column(c, justify="left" if i == 0 else "right", no_wrap=i == 0)
    for r in rows:
        t.add_row(*(fmt(x) for x in r))
    return t


__all__ = ["RunProgress", "fmt", "table"]
