"""Builders the keeper unit tests share: a keeper configuration for the in-process chain.

The tests own these settings; they do not borrow the demo's (``sim.demo``), so that tuning the demo
never changes what a keeper test checks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from keepers.config import Config
from programs_client.perp.constants import QUOTE_PRECISION as QUOTE



def in_process_config(folder: Path, **sections: dict[str, Any]) -> Config:
    """A keeper configuration for a keeper on ``InProcessChain`` (the RPC URL is never used in process).

    Relative paths (keypair, journal) resolve against ``folder``; ``sections`` update the named
    sections key by key, e.g. ``bots={"settler": {...}}``.
    """
    data: dict[str, Any] = {
        "cluster": {"rpc_url": "http://127.0.0.1:8899", "commitment": "processed"},
        "keeper": {"keypair_path": "keeper.json", "journal_path": "journal.sqlite"},
        "metrics": {"enabled": False},
        "logging": {"level": "error", "format": "text"},
        "bots": {
            "mark_price": {"deviation_bps": 10, "heartbeat_s": 60.0},
            "settler": {"interval_s": 0.5, "funding_threshold_quote": 100 * QUOTE, "pnl_threshold_quote": 1 * QUOTE},
            "insurance": {"coverage_alert_ratio": 0.02},
        },
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return Config.from_mapping(data, folder)
