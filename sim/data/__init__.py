"""Historical prices for the simulator and paper trading: loaders into one ``PriceSeries``, and its replay.

``load_price_series(path, fmt=None)`` reads Binance kline and aggTrades CSV, plain
``timestamp,price[,volume]`` CSV and Parquet (``sim.data.loaders``); ``PriceSeries.replay_path(seconds_per_step)``
replays it as a ``localnet.price_paths.PricePath`` in recorded time (``sim.data.series``). Small generated
samples ship in ``sim/data/samples/`` (``sample_path(name)``).
"""

from __future__ import annotations

from pathlib import Path

from sim.data.loaders import FORMATS, DataError, detect_format, load_price_series, to_seconds
from sim.data.series import Bars, PriceSeries, SeriesReplayPath

SAMPLES_DIR = Path(__file__).parent / "samples"


def sample_path(name: str) -> Path:
    """The path of a shipped sample file (``sim/data/samples/NAME``)."""
    path = SAMPLES_DIR / name
    if not path.is_file():
        names = sorted(p.name for p in SAMPLES_DIR.iterdir() if p.suffix in (".csv", ".parquet"))
        raise FileNotFoundError(f"no sample {name!r} (samples: {', '.join(names)})")
    return path


__all__ = ["Bars", "DataError", "FORMATS", "PriceSeries", "SAMPLES_DIR", "SeriesReplayPath", "detect_format",
           "load_price_series", "sample_path", "to_seconds"]
