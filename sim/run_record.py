"""What one simulation run leaves behind: the scenario, the seed, time series, events and a summary.

``SimRun`` is the contract between the engine (which fills it), the metrics and report (which read it)
and the Monte Carlo, stress, sweep and optimisation runs (which collect its summaries). Nothing in it
refers to the chain: it is plain data, picklable, and written byte-identically for one seed.

Series are columns of equal length, one row per recorded sample. Column names:

- ``slot``, ``time_s`` (chain Unix time) in every run;
- per market NAME (e.g. ``SOL-PERP``): ``oracle.NAME`` (the price the primary oracle published),
  ``index.NAME`` and ``mark.NAME`` (the program's, quote per base), ``funding_rate.NAME`` (the last
  period's rate as a fraction), ``open_interest.NAME`` (quote, one side), ``volume.NAME`` (cumulative
  quote traded);
- protocol: ``insurance_fund`` (quote), ``bad_debt`` and ``socialized_loss`` (cumulative quote),
  ``liquidations`` (cumulative count), ``liquidatable_users`` (count now);
- per strategy S (its config name, e.g. ``maker``): ``strategy.S.equity`` (quote, collateral plus
  unrealised PnL), ``strategy.S.inventory.NAME`` (base), ``strategy.S.fees`` (cumulative quote paid, a
  rebate is negative), ``strategy.S.funding`` (cumulative quote received).

Quote and base amounts in series are floats in whole units (``QUOTE_PRECISION``/``BASE_PRECISION``
already divided out). Events are dicts with at least ``slot`` and ``kind`` (``liquidation``,
``bankruptcy``, ``fill``, ``oracle_outage``, ...); a liquidation carries ``user``, ``market`` and
``delay_slots`` (slots since the user first became liquidatable).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

SERIES_FORMATS = (".csv", ".parquet")


@dataclass
class SimRun:
    """One run: the scenario mapping it ran (as loaded from TOML), its seed, and what it recorded."""

    scenario: dict[str, Any]
    seed: int
    series: dict[str, list[float]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        lengths = {len(v) for v in self.series.values()}
        if len(lengths) > 1:
            raise ValueError(f"series columns differ in length: {sorted(lengths)}")

    @property
    def rows(self) -> int:
        """Samples recorded."""
        return len(next(iter(self.series.values()), []))

    def markets(self) -> list[str]:
        """Market names that have series (from the ``mark.NAME`` columns), in column order."""
        return [c.split(".", 1)[1] for c in self.series if c.startswith("mark.")]

    def strategies(self) -> list[str]:
        """Strategy names that have an equity series, in column order."""
        return [c.split(".")[1] for c in self.series if c.startswith("strategy.") and c.endswith(".equity")]

    def to_json(self) -> bytes:
        """The whole run as canonical JSON (sorted keys; NaN and infinities as null): two runs of one
        scenario and seed give identical bytes."""
        return orjson.dumps(
            {"scenario": self.scenario, "seed": self.seed, "series": self.series, "events": self.events,
             "summary": {k: (v if isinstance(v, (int, float)) and math.isfinite(v) else None)
                         for k, v in self.summary.items()}},
            option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS,
        )

    @classmethod
    def from_json(cls, data: bytes) -> SimRun:
        """Read what ``to_json`` wrote."""
        d = orjson.loads(data)
        summary = {k: (math.nan if v is None else v) for k, v in d.get("summary", {}).items()}
        return cls(d["scenario"], d["seed"], d["series"], d["events"], summary)

    def write_series(self, path: Path | str) -> Path:
        """Write the series to ``path``: CSV or Parquet by its suffix."""
        import pyarrow as pa

        path = Path(path)
        table = pa.table({k: pa.array(v, type=pa.float64()) for k, v in self.series.items()})
        if path.suffix == ".csv":
            import pyarrow.csv as pacsv

            pacsv.write_csv(table, path)
        elif path.suffix == ".parquet":
            import pyarrow.parquet as pq

            pq.write_table(table, path)
        else:
            raise ValueError(f"{path}: series are written as {' or '.join(SERIES_FORMATS)}")
        return path


def read_series(path: Path | str) -> dict[str, list[float]]:
    """Read series written by ``SimRun.write_series`` (CSV or Parquet by suffix)."""
    path = Path(path)
    if path.suffix == ".csv":
        import pyarrow.csv as pacsv

        table = pacsv.read_csv(path)
    elif path.suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
    else:
        raise ValueError(f"{path}: series are read from {' or '.join(SERIES_FORMATS)}")
    return {name: [float(x) for x in table.column(name).to_pylist()] for name in table.column_names}


__all__ = ["SERIES_FORMATS", "SimRun", "read_series"]
