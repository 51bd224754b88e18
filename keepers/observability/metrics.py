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
        self._init_alerting_metrics()
        self._init_market_maker_metrics()
        self._init_ml_metrics()
        # -- high availability and config reload (keepers.ha, keepers.reload) --
        self.ha_role = Gauge("perpkeep_ha_role", "1 while this process holds the lease and acts, 0 on standby",
                             registry=r)
        self.ha_transitions = Counter("perpkeep_ha_transitions", "Role changes, by the role entered", ["role"],
                                      registry=r)
        self.ha_fenced_sends = Counter("perpkeep_ha_fenced_sends",
                                       "Sends refused because the lease was no longer held", registry=r)
        self.config_reloads = Counter("perpkeep_config_reloads", "Config reloads on SIGHUP, by result (applied, "
                                      "refused)", ["result"], registry=r)
        # The journal (keepers.execution.journal): failed writes, checkpoints and compactions, by reason
        # (disk_full, corrupt, io_error, read_only: the keeper stops; busy: another process held the lock).
        self.journal_write_errors = Counter("perpkeep_journal_write_errors",
                                            "Journal writes that failed, by reason", ["reason"], registry=r)
    def set_role(self, active: bool) -> None:
        """Export this process's role and count the change (``perpkeep_ha_role``, ``perpkeep_ha_transitions``)."""
        self.ha_role.set(1 if active else 0)
        self.ha_transitions.labels("active" if active else "standby").inc()

    def fenced_send(self) -> None:
        """Count a send refused because the lease was lost."""
        self.ha_fenced_sends.inc()

    def config_reloaded(self, result: str) -> None:
        """Count a config reload: "applied" or "refused"."""
        self.config_reloads.labels(result).inc()

    # -- facts the alert rules and dashboards of deploy/ read (issue 19) -----------------------------
    def _init_alerting_metrics(self) -> None:
        r = self.registry
        self.healthy = Gauge("perpkeep_healthy", "1 while /health answers 200, 0 while it answers 503", registry=r)
        self.health_problem = Gauge("perpkeep_health_problem", "1 while /health reports the named problem",
                                    ["problem"], registry=r)
        self.bot_stale = Gauge("perpkeep_bot_stale", "1 while the bot's watchdog has expired", ["bot"], registry=r)
        self.price_age = Gauge("perpkeep_market_price_age_seconds",
                               "Chain time since the market's last price update", ["market"], registry=r)
        self.price_age_limit = Gauge("perpkeep_market_price_age_limit_seconds",
                                     "Price age past which /health reports prices_stale "
                                     "(health.price_age_heartbeats x bots.mark_price.heartbeat_s)", ["market"], registry=r)
        self.funding_lag = Gauge("perpkeep_market_funding_lag_seconds",
                                 "Chain time since the end of the market's unfunded period (0 before it ends)",
                                 ["market"], registry=r)
        self.funding_lag_limit = Gauge("perpkeep_market_funding_lag_limit_seconds",
                                       "Funding lag past which /health reports funding_behind "
                                       "(health.funding_lag_periods x the market's funding period)", ["market"], registry=r)
        self.mark_price = Gauge("perpkeep_market_mark_price", "The market's mark price, quote per base", ["market"],
                                registry=r)
        self.index_price = Gauge("perpkeep_market_index_price", "The market's index price, quote per base", ["market"],
                                 registry=r)
        self.open_interest = Gauge("perpkeep_market_open_interest_base", "Open interest in base units, by side",
                                   ["market", "side"], registry=r)
        self.funding_rate = Gauge("perpkeep_market_funding_rate", "The market's last funding rate (per period)",
                                  ["market"], registry=r)
        self.fee_pool = Gauge("perpkeep_market_fee_pool_quote", "Fees not yet swept to the insurance fund, in quote",
                              ["market"], registry=r)
        self.socialised_loss = Gauge("perpkeep_market_socialised_loss_quote",
                                     "Losses socialised over the market's open interest so far, in quote", ["market"],
                                     registry=r)
        self.liquidation_backlog_slots = Gauge("perpkeep_liquidation_backlog_slots",
                                               "Slots the longest-waiting liquidatable user has stayed so, its account "
                                               "unchanged", registry=r)
        self.bankrupt_users = Gauge("perpkeep_bankrupt_users",
                                    "Users flagged bankrupt on chain and not yet resolved (Exchange.bankruptUsers)",
                                    registry=r)
        self.insurance_fund = Gauge("perpkeep_insurance_fund_balance_quote", "The insurance vault's balance, in quote",
                                    registry=r)
        self.fee_payer_balance = Gauge("perpkeep_fee_payer_balance_lamports", "The fee payer's balance", registry=r)
        self.fee_payer_min_balance = Gauge("perpkeep_fee_payer_min_balance_lamports",
                                           "keeper.min_balance_sol: below it /health fails", registry=r)
        self.rpc_requests = Counter("perpkeep_rpc_requests", "HTTP requests posted to RPC endpoints", registry=r)
        self.rpc_rate_limited = Counter("perpkeep_rpc_rate_limited", "HTTP 429 answers of RPC endpoints", registry=r)
        self.rpc_retries = Counter("perpkeep_rpc_retries", "HTTP requests repeated after a 429, a 5xx or a transport "
                                   "failure", registry=r)
        self._problems_seen: set[str] = set()

    def observe_problems(self, health: Health) -> None:
        """Export ``health``'s verdict, its named problems and its stale bots."""
        ok, bots = health.report()
        self.healthy.set(1 if ok else 0)
        self._problems_seen.update(health.problems)
        for name in self._problems_seen:
            self.health_problem.labels(name).set(1 if name in health.problems else 0)
        for bot, state in bots.items():
            self.bot_stale.labels(bot).set(1 if state["stale"] else 0)

    def set_market(self, market: int, *, price_age_s: float, price_age_limit_s: float, funding_lag_s: float,
                   funding_lag_limit_s: float, mark_price: float, index_price: float, open_interest_long: float,
                   open_interest_short: float, funding_rate: float, fee_pool: float, socialised_loss: float) -> None:
        """Export one market's state (prices in quote per base, amounts in quote or base units)."""
        m = str(market)
        self.price_age.labels(m).set(price_age_s)
        self.price_age_limit.labels(m).set(price_age_limit_s)
        self.funding_lag.labels(m).set(funding_lag_s)
        self.funding_lag_limit.labels(m).set(funding_lag_limit_s)
        self.mark_price.labels(m).set(mark_price)
        self.index_price.labels(m).set(index_price)
        self.open_interest.labels(m, "long").set(open_interest_long)
        self.open_interest.labels(m, "short").set(open_interest_short)
        self.funding_rate.labels(m).set(funding_rate)
        self.fee_pool.labels(m).set(fee_pool)
        self.socialised_loss.labels(m).set(socialised_loss)

    def set_liquidation_backlog(self, oldest_slots: int) -> None:
        """Set for how many slots the longest-waiting liquidatable user has waited (0 without any)."""
        self.liquidation_backlog_slots.set(oldest_slots)

    def set_bankrupt_users(self, count: int) -> None:
        """Set how many users the chain holds flagged bankrupt."""
        self.bankrupt_users.set(count)

    def set_insurance_fund(self, quote: float) -> None:
        """Set the insurance vault's balance (in quote)."""
        self.insurance_fund.set(quote)

    def set_fee_payer(self, lamports: int, min_lamports: int) -> None:
        """Set the fee payer's balance and the floor below which the keeper is unhealthy."""
        self.fee_payer_balance.set(lamports)
        self.fee_payer_min_balance.set(min_lamports)

    def rpc_counts(self, requests: int = 0, rate_limited: int = 0, retries: int = 0) -> None:
        """Add HTTP requests, 429 answers and retried requests counted by the chain client."""
        self.rpc_requests.inc(requests)
        self.rpc_rate_limited.inc(rate_limited)
        self.rpc_retries.inc(retries)

    # -- actions ---------------------------------------------------------------------------------------
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

    # -- market maker (keepers.strategies.market_maker) ---------------------------------------------
    def _init_market_maker_metrics(self) -> None:
        r = self.registry
        self.mm_pnl = Gauge("perpkeep_mm_pnl_quote", "The market maker's PnL since start, in quote, by part "
                            "(spread, inventory, fees, funding)", ["market", "part"], registry=r)
        self.mm_position = Gauge("perpkeep_mm_position_base", "The market maker's position, in base", ["market"], registry=r)
        self.mm_fill_ratio = Gauge("perpkeep_mm_fill_ratio", "Quotes filled (in part or whole) per quote placed",
                                   ["market"], registry=r)
        self.mm_markout = Gauge("perpkeep_mm_markout_quote", "Sum of the fills' markouts at a horizon in slots, in quote "
                                "(negative: adverse selection)", ["market", "slots"], registry=r)
        self.mm_uptime = Gauge("perpkeep_mm_quote_uptime_ratio", "Share of the time with quotes resting", ["market"],
                               registry=r)
        self.mm_at_limit = Gauge("perpkeep_mm_time_at_limit_ratio", "Share of the time at the inventory limit",
                                 ["market"], registry=r)
        self.mm_requotes = Counter("perpkeep_mm_requotes", "Requotes sent (cancel and replace in one transaction)",
                                   ["market"], registry=r)
        self.mm_kills = Counter("perpkeep_mm_kills", "Times a kill switch pulled the quotes, by reason", ["reason"],
                                registry=r)
        self.mm_killed = Gauge("perpkeep_mm_killed", "1 while a kill switch holds the quotes off, by reason", ["reason"],
                               registry=r)
        self._mm_holding: set[str] = set()

    def set_market_maker(self, market: int, figures: dict[str, Any]) -> None:
        """Export the analytics of one market (``MakerAnalytics.as_dict``)."""
        m = str(market)
        for part, key in (("spread", "spread_capture"), ("inventory", "inventory_pnl"), ("fees", "fees"),
                          ("funding", "funding")):
            self.mm_pnl.labels(m, part).set(figures[key])
        self.mm_position.labels(m).set(figures["position_base"])
        self.mm_fill_ratio.labels(m).set(figures["fill_ratio"])
        for slots, value in figures["markouts"].items():
            self.mm_markout.labels(m, str(slots)).set(value)
        self.mm_uptime.labels(m).set(figures["quote_uptime"])
        self.mm_at_limit.labels(m).set(figures["time_at_limit"])

    def market_maker_requoted(self, market: int) -> None:
        """Count one requote sent."""
        self.mm_requotes.labels(str(market)).inc()

    def market_maker_killed(self, reasons: set[str], known: tuple[str, ...]) -> None:
        """The kill switches holding now (``reasons``) among all ``known``; counts the ones that just fired."""
        for reason in known:
            holding = reason in reasons
            if holding and reason not in self._mm_holding:
                self.mm_kills.labels(reason).inc()
            self.mm_killed.labels(reason).set(1 if holding else 0)
        self._mm_holding = set(reasons)

    # -- learned models in the bots (keepers.strategies.policy, keepers.observability.ml_drift) ------
    def _init_ml_metrics(self) -> None:
        r = self.registry
        self.ml_model_version = Gauge("perpkeep_ml_model_version", "Version of the model each policy slot runs "
                                      "(champion, shadow; 0: none)", ["bot", "slot"], registry=r)
        self.ml_refused = Counter("perpkeep_ml_models_refused", "Models refused at load (corrupt, mismatched, "
                                  "non-finite output): the bot kept its previous policy", ["bot"], registry=r)
        self.ml_feature_psi = Gauge("perpkeep_ml_feature_psi", "Population stability index of a model input, live "
                                    "window against the training data", ["bot", "feature"], registry=r)
        self.ml_pnl_zscore = Gauge("perpkeep_ml_pnl_zscore", "Live PnL per slot since the model went live, in standard "
                                   "errors from the backtest's (negative: short of it)", ["bot"], registry=r)
        self.ml_pnl_per_slot = Gauge("perpkeep_ml_pnl_per_slot_quote", "PnL per slot, live and expected by the "
                                     "backtest, in quote", ["bot", "source"], registry=r)

    def set_ml_model(self, bot: str, slot: str, version: int) -> None:
        """Export the version a policy slot runs."""
        self.ml_model_version.labels(bot, slot).set(version)

    def ml_model_refused(self, bot: str, count: int = 1) -> None:
        """Count models refused at load."""
        self.ml_refused.labels(bot).inc(count)

    def set_ml_monitoring(self, bot: str, psi: dict[str, float], zscore: float | None, live: float | None,
                          expected: float | None) -> None:
        """Export drift (PSI per feature) and live PnL against the backtest."""
        for feature, value in psi.items():
            self.ml_feature_psi.labels(bot, feature).set(value)
        if zscore is not None:
            self.ml_pnl_zscore.labels(bot).set(zscore)
        for source, value in (("live", live), ("backtest", expected)):
            if value is not None:
                self.ml_pnl_per_slot.labels(bot, source).set(value)

    def alert(self, bot: str, reason: str) -> None:
        """Count a condition that needs a human."""
        self.alerts.labels(bot, reason).inc()

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

    def expect_journal_errors(self, reasons: tuple[str, ...]) -> None:
        """Export ``perpkeep_journal_write_errors_total`` at 0 for each of ``reasons`` before any failure: a
        labelled counter has no series until its first increment, and a rate over nothing shows nothing."""
        for reason in reasons:
            self.journal_write_errors.labels(reason)

    def journal_write_error(self, reason: str) -> None:
        """Count one failed journal write (``reason``: ``keepers.execution.journal.JournalError.reason``)."""
        self.journal_write_errors.labels(reason).inc()

    def observe_health(self, health: Health) -> None:
        """Export each bot's heartbeat age from ``health``."""
        for bot, state in health.report()[1].items():
            self.heartbeat_age.labels(bot).set(state["age_s"])
        self.observe_problems(health)

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
        self.role: str | None = None  # "active" or "standby" in an active/standby pair (keepers.ha); a standby is healthy

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
        report: dict[str, Any] = {"ok": ok, "bots": bots, "problems": self.health.problems}
        if self.health.role is not None:
            report["role"] = self.health.role
        body_out = json.dumps(report).encode()
        return HttpResponse(200, body_out) if ok else HttpResponse(503, body_out, reason="Service Unavailable")


__all__ = ["Health", "Metrics", "ObservabilityServer"]
