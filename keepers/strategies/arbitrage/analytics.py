"""The arbitrage bot's book-keeping: captured against theoretical edge, leg slippage, failed legs, latency.

Per strategy: ``theoretical`` is the edge the opportunity was sized for (after fees, from the visible
depth); ``captured`` is what the legs really did: the theoretical edge less each leg's slippage (the
side-signed difference between its average fill and the average the depth promised, times its quantity)
and less fees paid beyond those expected. A leg fails when it did not fill (an atomic transaction
reverted, an IOC missed, a hedge refused); an orphan is a leg whose hedge failed and is unwound.
Opportunity-to-send is the time from detecting an opportunity to its transaction (or venue order) being
sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

SEND_SAMPLES_KEPT = 4096


@dataclass
class StrategyAnalytics:
    """Running figures of one strategy (quote amounts in whole quote units)."""

    detected: int = 0
    sent: int = 0
    captured_count: int = 0
    theoretical: float = 0.0
    captured: float = 0.0
    slippage: float = 0.0
    legs: int = 0
    failed_legs: int = 0
    orphans: int = 0
    refused: dict[str, int] = field(default_factory=dict)  # risk limit -> opportunities it refused
    send_s: list[float] = field(default_factory=list)

    def refuse(self, limit: str) -> None:
        self.refused[limit] = self.refused.get(limit, 0) + 1

    def sent_after(self, seconds: float) -> None:
        self.sent += 1
        self.send_s.append(seconds)
        del self.send_s[:-SEND_SAMPLES_KEPT]

    def outcome(self, theoretical: float, slippage: float, extra_fees: float, legs: int, failed: int) -> None:
        """An opportunity's legs resolved: ``failed`` of ``legs`` did not fill; when none failed, what was
        captured is the theoretical edge less ``slippage`` and ``extra_fees``."""
        self.legs += legs
        self.failed_legs += failed
        if failed == 0:
            self.captured_count += 1
            self.theoretical += theoretical
            self.slippage += slippage
            self.captured += theoretical - slippage - extra_fees

    def as_dict(self) -> dict[str, Any]:
        send = np.asarray(self.send_s) * 1e3
        return {
            "detected": self.detected, "sent": self.sent, "filled": self.captured_count,
            "theoretical_edge": self.theoretical, "captured_edge": self.captured,
            "capture_ratio": self.captured / self.theoretical if self.theoretical else 0.0,
            "leg_slippage": self.slippage, "legs": self.legs, "failed_legs": self.failed_legs,
            "failed_leg_rate": self.failed_legs / self.legs if self.legs else 0.0, "orphans": self.orphans,
            "refused": dict(self.refused),
            "send_ms_p50": float(np.percentile(send, 50)) if send.size else None,
            "send_ms_p99": float(np.percentile(send, 99)) if send.size else None,
        }


__all__ = ["StrategyAnalytics"]
