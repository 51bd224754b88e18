"""How figures are written in reports and the terminal summary."""

from __future__ import annotations

import math
from typing import Any


def fmt(value: Any) -> str:
    """A cell: NaN/None as an en dash, integers as such, other floats to 6 significant digits."""
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "–" if math.isnan(value) else str(value)
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.6g}" if abs(value) >= 1e-3 else f"{value:.4g}"


def short(value: float) -> str:
    """A figure in at most 8 characters or so: whole numbers from 1,000 up, else 4 significant digits."""
    if not math.isfinite(value):
        return "–" if math.isnan(value) else str(value)
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def pct(value: float) -> str:
    """A fraction as a percentage with two decimals; NaN as an en dash."""
    return "–" if not math.isfinite(value) else f"{value * 100:.2f}%"


__all__ = ["fmt", "pct", "short"]
