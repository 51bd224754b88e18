"""Prometheus metrics, per-bot watchdogs and the one HTTP endpoint that serves both.

``Metrics`` owns its registry (so tests and processes can hold several). ``Health`` holds each bot's
work to its timeout (a bot that idles is not stale; one whose tick does not finish is).
``ObservabilityServer`` serves ``GET /metrics`` (text exposition 0.0.4) and ``GET /health`` (200, or
503 when any bot is stale) on ``keepers.observability.http_server``.
"""

from __future__ import annotations

import json
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from solana.constants import LAMPORTS_PER_SOL

from keepers.clock import LIVE, Clock
from keepers.observability.http_server import HttpResponse, HttpServer

LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0)
COMPUTE_UNIT_BUCKETS = (1_000, 5_000, 10_000, 25_000, 50_000, 100_000, 200_000, 400_000, 800_000, 1_400_000)


class Metrics:
    """The keeper's Prometheus metrics, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.actions_attempted = Counter("perpkeep_actions_attempted", "Actions sent or about to be sent",
                                         ["bot", "kind"], registry=r)
        self.actions_landed = Counter("perpkeep_actions_landed", "Actions that landed", ["bot", "kind"], registry=r)
        self.actions_failed = Counter("perpkeep_actions_failed", "Actions that failed, by error name",
                                      ["bot", "kind", "error"], registry=r)
        self.action_latency = Histogram("perpkeep_action_latency_seconds", "From send to landed or failed",
                                        ["bot", "kind"], buckets=LATENCY_BUCKETS_S, registry=r)
        self.compute_units = Histogram("perpkeep_compute_units", "Compute units consumed by landed actions",
                                       ["kind"], buckets=COMPUTE_UNIT_BUCKETS, registry=r)
        self.fees_spent = Counter("perpkeep_fees_spent_lamports", "Transaction fees paid", ["bot"], registry=r)
        self.sol_balance = Gauge("perpkeep_sol_balance", "The keeper wallet's balance in SOL", registry=r)
        self.insurance_coverage = Gauge("perpkeep_insurance_coverage_ratio",
                                        "Insurance fund balance over open interest notional", registry=r)
        self.liquidatable_users = Gauge("perpkeep_liquidatable_users",
                                        "Users below maintenance margin at the last scan", registry=r)
        self.alerts = Counter("perpkeep_alerts", "Conditions needing a human", ["bot", "reason"], registry=r)
        self.heartbeat_age = Gauge("perpkeep_bot_last_heartbeat_age_seconds", "Seconds since each bot's last heartbeat",
                                   ["bot"], registry=r)
        self.rpc_reconnects = Counter("perpkeep_rpc_reconnects", "RPC subscription reconnects", registry=r)
        self.rejected_updates = Counter("perpkeep_rejected_updates", "Account updates and websocket messages refused, "
                                        "by reason", ["reason"], registry=r)
        self.rpc_faults = Counter("perpkeep_rpc_faults", "Bad HTTP replies refused, by kind", ["kind"], registry=r)
        self.liquidation_skips = Counter("perpkeep_liquidation_skips",
                                         "Decisions not to liquidate a user the scan found liquidatable, by reason",
                                         ["reason"], registry=r)
        # The journal (keepers.execution.journal): failed writes, checkpoints and compactions, by reason
        # (disk_full, corrupt, io_error, read_only: the keeper stops; busy: another process held the lock).
        self.journal_write_errors = Counter("perpkeep_journal_write_errors",
                                            "Journal writes that failed, by reason", ["reason"], registry=r)

    def attempted(self, bot: str, kind: str) -> None:
        """Count an action being sent."""
        self.actions_attempted.labels(bot, kind).inc()

    def landed(self, bot: str, kind: str, latency_s: float, compute_units: int | None = None,
               fee_lamports: int | None = None) -> None:
        """Count a landed action with its latency, compute units and fee."""
        self.actions_landed.labels(bot, kind).inc()
        self.action_latency.labels(bot, kind).observe(latency_s)
        if compute_units is not None:
            self.compute_units.labels(kind).observe(compute_units)
        if fee_lamports:
            self.fees_spent.labels(bot).inc(fee_lamports)

    def failed(self, bot: str, kind: str, error: str, latency_s: float | None = None,
               fee_lamports: int | None = None) -> None:
        """Count a failed action by error name (keep names few: they are label values)."""
        self.actions_failed.labels(bot, kind, error).inc()
        if latency_s is not None:
            self.action_latency.labels(bot, kind).observe(latency_s)
        if fee_lamports:
            self.fees_spent.labels(bot).inc(fee_lamports)

    def alert(self, bot: str, reason: str) -> None:
        """Count a condition that needs a human."""
        self.alerts.labels(bot, reason).inc()

    def set_sol_balance(self, lamports: int) -> None:
        """Set the keeper wallet's balance (given in lamports, exported in SOL)."""
        self.sol_balance.set(lamports / LAMPORTS_PER_SOL)

    def set_insurance_coverage(self, ratio: float) -> None:
        """Set the insurance fund's coverage ratio."""
        self.insurance_coverage.set(ratio)

    def set_liquidatable_users(self, count: int) -> None:
        """Set how many users the last scan found liquidatable."""
        self.liquidatable_users.set(count)

    def liquidation_skipped(self, reason: str) -> None:
        """Count one decision not to act on a liquidatable user (``reason``: one of a few fixed names)."""
        self.liquidation_skips.labels(reason).inc()

    def rpc_reconnected(self) -> None:
        """Count one RPC reconnect."""
        self.rpc_reconnects.inc()

    def rejected_update(self, reason: str, count: int = 1) -> None:
        """Count ``count`` refused account updates or websocket messages for ``reason`` (few, fixed reasons)."""
        self.rejected_updates.labels(reason).inc(count)

    def rpc_fault(self, kind: str, count: int = 1) -> None:
        """Count ``count`` bad HTTP replies of ``kind`` (deadline missed, oversized, implausible slot, ...)."""
        self.rpc_faults.labels(kind).inc(count)

    def journal_write_error(self, reason: str) -> None:
        """Count one failed journal write (``reason``: ``keepers.execution.journal.JournalError.reason``)."""
        self.journal_write_errors.labels(reason).inc()

    def observe_health(self, health: Health) -> None:
        """Export each bot's heartbeat age from ``health``."""
        for bot, state in health.report()[1].items():
            self.heartbeat_age.labels(bot).set(state["age_s"])

    def render(self) -> bytes:
        """The text exposition (format 0.0.4)."""
        return generate_latest(self.registry)


class Health:
    """Per-bot watchdogs and named problems of the keeper as a whole (e.g. a fee payer running out of SOL).

    A bot sleeps until a change (or its own next deadline) gives it work, so a long silence is not a
    fault: a bot is stale when work it started is not done within its timeout, i.e. a tick that has not
    finished, or ticks that keep failing, since ``busy`` until the next ``beat``.
    """

    def __init__(self, clock: Clock = LIVE) -> None:
        self.clock = clock
        self._timeouts: dict[str, float] = {}
        self._beats: dict[str, float] = {}
        self._busy_since: dict[str, float] = {}
        self.problems: dict[str, str] = {}

    def set_problem(self, name: str, reason: str | None) -> None:
        """Report problem ``name`` with ``reason``, or clear it (``reason`` None)."""
        if reason is None:
            self.problems.pop(name, None)
        else:
            self.problems[name] = reason

    def register(self, bot: str, timeout_s: float) -> None:
        """Watch ``bot``; registering counts as its first beat."""
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
        self._timeouts[bot] = timeout_s
        self._beats[bot] = self.clock.monotonic()
        self._busy_since.pop(bot, None)

    def busy(self, bot: str) -> None:
        """``bot`` started work (a tick); it owes a ``beat`` within its timeout from the first such start."""
        if bot not in self._timeouts:
            raise KeyError(f"bot {bot!r} is not registered with Health")
        self._busy_since.setdefault(bot, self.clock.monotonic())

    def beat(self, bot: str) -> None:
        """Record that ``bot`` finished its work: it is alive, and idle until it is busy again."""
        if bot not in self._timeouts:
            raise KeyError(f"bot {bot!r} is not registered with Health")
        self._beats[bot] = self.clock.monotonic()
        self._busy_since.pop(bot, None)

    def report(self) -> tuple[bool, dict[str, dict[str, Any]]]:
        """(every bot fresh and no problem, {bot: {"age_s" since the last beat, "timeout_s", "stale"}});
        see ``problems``."""
        now = self.clock.monotonic()
        bots = {}
        for bot, timeout in self._timeouts.items():
            age = max(0.0, now - self._beats[bot])
            since = self._busy_since.get(bot)
            bots[bot] = {"age_s": round(age, 3), "timeout_s": timeout, "stale": since is not None and now - since > timeout}
        return not any(b["stale"] for b in bots.values()) and not self.problems, bots


class ObservabilityServer:
    """Serves ``/metrics`` and ``/health`` on (host, port); port 0 picks a free one (see ``port`` after start)."""

    def __init__(self, metrics: Metrics, health: Health, host: str = "127.0.0.1", port: int = 9464) -> None:
        self.metrics = metrics
        self.health = health
        self.host = host
        self.port = port
        self._server = HttpServer(self._handle, max_body=1024)

    async def start(self) -> None:
        """Start listening."""
        self.port = await self._server.start(self.host, self.port)

    async def stop(self) -> None:
        """Stop listening and close connections."""
        await self._server.stop()

    async def _handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> HttpResponse:
        route = path.split("?", 1)[0]
        if route not in ("/metrics", "/health"):
            return HttpResponse(404, b"not found\n", "text/plain")
        if method != "GET":
            return HttpResponse(405, b"method not allowed\n", "text/plain", headers=(("Allow", "GET"),))
        if route == "/metrics":
            self.metrics.observe_health(self.health)
            return HttpResponse(200, self.metrics.render(), CONTENT_TYPE_PLAIN_0_0_4)
        ok, bots = self.health.report()
        body_out = json.dumps({"ok": ok, "bots": bots, "problems": self.health.problems}).encode()
        return HttpResponse(200, body_out) if ok else HttpResponse(503, body_out, reason="Service Unavailable")


__all__ = ["Health", "Metrics", "ObservabilityServer"]
