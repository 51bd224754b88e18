"""Builders the keeper unit tests share: a keeper configuration for the in-process chain, a tmpfs that
really fills up.

The tests own these settings; they do not borrow the demo's (``sim.demo``), so that tuning the demo
never changes what a keeper test checks.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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


@contextlib.contextmanager
def tmpfs(folder: Path, size_kib: int) -> Iterator[Path]:
    """A real tmpfs of ``size_kib`` KiB mounted at ``folder`` (created) for as long as the block runs: a file
    system that really fills up. Mounting needs root (the suite runs as root here and in CI); elsewhere
    the test is skipped, except under CI where that is a failure."""
    folder.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "perpkeep-test", str(folder)],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        why = f"cannot mount a tmpfs ({r.stderr.strip() or r.returncode}): a full disk needs one"
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=30)


def fill(folder: Path, name: str = "filler") -> int:
    """Write a file in ``folder`` until its file system has no space left; return the bytes written."""
    written = 0
    fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for chunk in (65536, 1024, 1):
            for _ in range(1 << 16):  # bounded: 4 GiB at most
                try:
                    written += os.write(fd, b"\0" * chunk)
                except OSError:
                    break
    finally:
        os.close(fd)
    return written
