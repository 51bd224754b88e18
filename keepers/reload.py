"""Config reload on SIGHUP (``perpkeep run``): validate the new file first, apply what can change live.

The file is read and validated as at start (``keepers.config.load_config``, with the same
``PERPKEEP_*`` overrides). A file that does not validate is refused: the error is logged with the key
and why, ``perpkeep_config_reloads_total{result="refused"}`` counts it, and the running configuration
stays. A valid file applies its live sections at once (``LIVE_SECTIONS``: the bots' thresholds and
intervals, fees, ``/health`` limits, log level and format); changes elsewhere (cluster, program, keeper
identity and journal, metrics endpoint, markets, oracle, ha) need a restart: they are listed in the
log and not applied.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from keepers.config import Config, ConfigError, load_config
from keepers.observability.logs import setup_logging

log = logging.getLogger("perpkeep.config")

LIVE_SECTIONS = ("bots", "fees", "health", "logging")


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flat(v, f"{prefix}.{k}" if prefix else k))
        return out
    return {prefix: value}


def changed_keys(old: Config, new: Config) -> list[str]:
    """Dotted keys whose values differ between two configurations (secrets compared redacted)."""
    a, b = _flat(old.redacted()), _flat(new.redacted())
    return sorted(k for k in a.keys() | b.keys() if k != "path" and a.get(k) != b.get(k))


def reload_config(keeper: Any, path: Path, env: Mapping[str, str] = os.environ) -> bool:
    """Reload ``path`` into ``keeper`` (a ``keepers.runtime.Keeper``); True when applied (see the module docstring)."""
    old: Config = keeper.config
    try:
        new = load_config(path, env)
    except ConfigError as e:
        keeper.metrics.config_reloaded("refused")
        log.error("config reload refused, the running configuration stays: %s", e)
        return False
    if old.keeper.dry_run and not new.keeper.dry_run:  # `--dry-run` on the command line outlives reloads
        new = dataclasses.replace(new, keeper=dataclasses.replace(new.keeper, dry_run=True))
    changed = changed_keys(old, new)
    live = [k for k in changed if k.split(".", 1)[0] in LIVE_SECTIONS]
    later = [k for k in changed if k not in live]
    keeper.apply_config(dataclasses.replace(old, **{s: getattr(new, s) for s in LIVE_SECTIONS}))
    setup_logging(new.logging.level, new.logging.format)
    keeper.metrics.config_reloaded("applied")
    log.info("config reloaded from %s: applied %s", path, ", ".join(live) or "no change")
    if later:
        log.warning("config reload: %s changed but need a restart (not applied)", ", ".join(later))
    return True


__all__ = ["LIVE_SECTIONS", "changed_keys", "reload_config"]
