"""A real Prometheus (Debian's ``/usr/bin/prometheus``) for tests: on 127.0.0.1 on a free port, its storage
in a temporary folder, scraping the given targets and evaluating the given rule files every
``interval_s`` (1 s by default), stopped by ``stop`` (or as a context manager).

Its HTTP API is read with ``query`` (``/api/v1/query``), ``alerts`` (``/api/v1/alerts``) and
``targets`` (``/api/v1/targets``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.binaries import require_binary
from tests.integration.localnet.helpers import free_port

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


class PrometheusServer:
    """See the module docstring. ``job`` names the scrape job (the project's rules match ``job="perpkeep"``)."""

    def __init__(self, folder: Path, targets: Sequence[str], rule_files: Sequence[Path] = (), job: str = "perpkeep",
                 interval_s: float = 1.0) -> None:
        self.folder = folder
        self.scrape_targets = list(targets)
        self.rule_files = list(rule_files)
        self.job = job
        self.interval_s = interval_s
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = folder / "prometheus.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config_text(self) -> str:
        """The configuration file it runs with (JSON is YAML)."""
        interval = f"{int(self.interval_s * 1000)}ms"
        rules = []
        for i, path in enumerate(self.rule_files):  # copied, so the rule files may live anywhere
            copy = self.folder / f"rules-{i}.yml"
            shutil.copyfile(path, copy)
            rules.append(str(copy))
        return json.dumps({
            "global": {"scrape_interval": interval, "evaluation_interval": interval, "scrape_timeout": interval},
            "rule_files": rules,
            "scrape_configs": [{"job_name": self.job, "static_configs": [{"targets": self.scrape_targets}]}],
        }, indent=2)

    def start(self) -> PrometheusServer:
        """Start it and wait until it is ready (``/-/ready``), at most ``START_TIMEOUT_S``."""
        binary = require_binary("prometheus")
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / "prometheus.yml"
        config.write_text(self.config_text())
        self.port = free_port()
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={self.folder / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT, cwd=self.folder)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"prometheus not ready within {START_TIMEOUT_S} s: {self.log_tail()}")
            time.sleep(0.1)

    def wait_scraped(self, timeout_s: float = 30.0) -> list[dict[str, Any]]:
        """Wait until every target was scraped once (Prometheus hands new targets to its scrapers about 5 s
        after it starts); return the targets. Raises ``TimeoutError`` after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            targets = self.targets()
            if len(targets) == len(self.scrape_targets) and all(t["health"] != "unknown" for t in targets):
                return targets
            if time.monotonic() > deadline:
                raise TimeoutError(f"targets not scraped within {timeout_s} s: {targets}")
            time.sleep(0.2)

    def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL after ``STOP_TIMEOUT_S``); idempotent."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT_S)
        self.proc = None

    def __enter__(self) -> PrometheusServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    # -- HTTP API ------------------------------------------------------------------------------------
    def api(self, path: str, **params: str) -> Any:
        """The ``data`` of a successful API answer (raises on an error status)."""
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.url}/api/v1/{path}{query}", timeout=10) as r:
            body = json.loads(r.read())
        if body.get("status") != "success":
            raise RuntimeError(f"prometheus {path}: {body}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """The instant vector (or scalar, as one element) ``expr`` evaluates to now."""
        data = self.api("query", query=expr)
        return data["result"] if data["resultType"] == "vector" else [{"metric": {}, "value": data["result"]}]

    def alerts(self) -> list[dict[str, Any]]:
        """Active alerts: each with ``labels``, ``annotations``, ``state`` (pending, firing) and ``activeAt``."""
        return self.api("alerts")["alerts"]

    def targets(self) -> list[dict[str, Any]]:
        """The active scrape targets with their ``health`` and ``lastError``."""
        return self.api("targets")["activeTargets"]


__all__ = ["PrometheusServer"]
