"""The arbitrage bot's Prometheus metrics, registered in the keeper's own registry (``Metrics.registry``).

Kept beside the bot rather than in ``keepers.observability.metrics``: only a keeper that runs the bot
exports them. Without a registry (a context whose metrics are not ``Metrics``) every call does nothing.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Gauge, Histogram

from keepers.venues.base import ErrorKind

SEND_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0)
KILL_REASONS = ("kill", "kill_file", "failed_legs")


class ArbMetrics:
    """The series (see ``Help`` of each); ``of(metrics)`` builds them once per registry."""

    @classmethod
    def of(cls, metrics: Any) -> ArbMetrics:
        """The series in ``metrics``' registry, registered once (kept on ``metrics``: a restarted bot reuses them)."""
        registry = getattr(metrics, "registry", None)
        if registry is None:
            return cls(None)
        found = getattr(metrics, "_arbitrage_metrics", None)
        if found is None:
            found = cls(registry)
            metrics._arbitrage_metrics = found
        return found

    def __init__(self, registry: Any) -> None:
        self.registry = registry
        if registry is None:
            return
        r = registry
        self.theoretical = Counter("perpkeep_arb_theoretical_edge_quote", "Edge the filled opportunities were sized "
                                   "for, after fees, in quote", ["strategy"], registry=r)
        self.captured_gauge = Gauge("perpkeep_arb_captured_edge_quote", "Edge captured since start, in quote",
                                    ["strategy"], registry=r)
        self.capture_ratio = Gauge("perpkeep_arb_capture_ratio", "Captured per theoretical edge", ["strategy"], registry=r)
        self.slip = Histogram("perpkeep_arb_leg_slippage_quote", "Each leg's slippage against the depth it was sized "
                              "on, in quote (positive: worse)", ["strategy"],
                              buckets=(-1.0, -0.1, -0.01, 0.0, 0.01, 0.1, 1.0, 10.0), registry=r)
        self.legs_total = Counter("perpkeep_arb_legs", "Legs resolved", ["strategy"], registry=r)
        self.failed_legs = Counter("perpkeep_arb_failed_legs", "Legs that did not fill (reverted, missed, refused)",
                                   ["strategy"], registry=r)
        self.failed_rate = Gauge("perpkeep_arb_failed_leg_ratio", "Failed legs per leg resolved", ["strategy"], registry=r)
        self.orphans = Counter("perpkeep_arb_orphaned_legs", "Legs whose hedge failed (unwound)", registry=r)
        self.send = Histogram("perpkeep_arb_opportunity_to_send_seconds", "Opportunity detected to its transaction "
                              "handed to the pipeline", ["strategy"], buckets=SEND_BUCKETS, registry=r)
        self.hedge = Histogram("perpkeep_arb_hedge_seconds", "A hedge's round trip to the venue", registry=r)
        self.refusals = Counter("perpkeep_arb_refused", "Opportunities a risk limit refused", ["strategy", "limit"],
                                registry=r)
        self.venue_errors = Counter("perpkeep_arb_venue_errors", "The venue's errors by kind", ["kind"], registry=r)
        self.kill = Gauge("perpkeep_arb_killed", "1 while the kill switch holds, by reason", ["reason"], registry=r)
        self.z = Gauge("perpkeep_arb_pairs_z", "The pair's spread z-score", ["pair"], registry=r)
        for reason in KILL_REASONS:
            self.kill.labels(reason).set(0)
        for kind in ErrorKind:
            self.venue_errors.labels(str(kind))

    def sent(self, strategy: str, seconds: float) -> None:
        if self.registry is not None:
            self.send.labels(strategy).observe(seconds)

    def refused(self, strategy: str, limit: str) -> None:
        if self.registry is not None:
            self.refusals.labels(strategy, limit).inc()

    def legs(self, strategy: str, legs: int, failed: int) -> None:
        if self.registry is not None:
            self.legs_total.labels(strategy).inc(legs)
            self.failed_legs.labels(strategy).inc(failed)

    def slippage(self, strategy: str, quote: float) -> None:
        if self.registry is not None:
            self.slip.labels(strategy).observe(quote)

    def captured(self, strategy: str, theoretical: float) -> None:
        """Count a filled opportunity's theoretical edge (the captured edge is a gauge: it may fall)."""
        if self.registry is not None and theoretical > 0:
            self.theoretical.labels(strategy).inc(theoretical)

    def orphaned(self) -> None:
        if self.registry is not None:
            self.orphans.inc()

    def hedge_latency(self, seconds: float) -> None:
        if self.registry is not None:
            self.hedge.observe(seconds)

    def venue_error(self, kind: ErrorKind) -> None:
        if self.registry is not None:
            self.venue_errors.labels(str(kind)).inc()

    def killed(self, reason: str | None) -> None:
        if self.registry is not None:
            for r in KILL_REASONS:
                self.kill.labels(r).set(1 if r == reason else 0)

    def pairs_z(self, y: int, x: int, z: float) -> None:
        if self.registry is not None:
            self.z.labels(f"{y}/{x}").set(z)

    def set_figures(self, strategy: str, figures: dict[str, Any]) -> None:
        """Export a strategy's running figures (``StrategyAnalytics.as_dict``)."""
        if self.registry is not None:
            self.captured_gauge.labels(strategy).set(figures["captured_edge"])
            self.capture_ratio.labels(strategy).set(figures["capture_ratio"])
            self.failed_rate.labels(strategy).set(figures["failed_leg_rate"])


__all__ = ["ArbMetrics"]
