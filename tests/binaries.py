"""Binaries from Debian packages that tests run for real (installed by ``deploy/system-packages.sh``).

A missing binary skips the test on a developer's machine and fails it in CI (``CI=true``), where
``lock/install.sh dev`` must have installed it.
"""

from __future__ import annotations

import os
import shutil

import pytest


def require_binary(name: str) -> str:
    """The path of ``name`` on PATH; skip the test without it (fail under ``CI=true``)."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (bash deploy/system-packages.sh installs it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path
