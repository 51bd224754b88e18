"""Reading a scenario file for a batch of runs: the scenario mapping, and the ``[optimize]`` table apart.

The scenario itself is validated by simcore's ``sim.scenario_file`` (its errors name the key); the
``[optimize]`` table belongs to the runs and is taken out before that. Before ``sim.scenario_file``
exists the mapping is the file as parsed, with a replayed price file made absolute.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


def load_mapping(path: Path | str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(scenario mapping, ``[optimize]`` table or {}) of the TOML file at ``path``.

    Raises ``OSError`` when it cannot be read and ``ValueError`` (a ``ConfigError`` naming the key) when it
    is not a valid scenario.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{path}: not valid TOML: {e}") from None
    optimize = raw.pop("optimize", {})
    try:
        from sim.scenario_file import scenario_from_mapping  # type: ignore[import-not-found]  # simcore's
    except ImportError:
        for m in raw.get("markets", {}).values():
            price = m.get("price", {}) if isinstance(m, dict) else {}
            if isinstance(price.get("file"), str):
                price["file"] = str((path.parent / price["file"]).resolve())
        return raw, optimize
    return scenario_from_mapping(raw, path.parent).mapping, optimize


__all__ = ["load_mapping"]
