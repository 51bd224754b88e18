"""Fault injection: seeded, replayable decisions for the transport and the chain.

Each kind of fault draws from its own ``random.Random`` stream seeded by (seed, kind), so that
turning one fault on does not change the sequence of another, and the n-th request of a run
meets the same fault every time the run is repeated with the same seed.

The oracle hook: the oracle publisher (``sim/`` or ``localnet`` publishers) calls
``FaultInjector.withhold_oracle_update(feed)`` before writing a price and skips the write when it
returns True.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from localnet.rpc.config import FaultConfig

ADMIN_METHOD_PREFIX = "perpkeep_"
_5XX_STATUSES = (500, 502, 503, 504)


@dataclass(frozen=True)
class HttpFault:
    """An HTTP response to return instead of handling the request."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass
class FaultStats:
    """How many faults of each kind were injected since the configuration was last set."""

    http_429: int = 0
    http_5xx: int = 0
    http_timeouts: int = 0
    delayed_requests: int = 0
    ws_dropped: int = 0
    slot_stalls: int = 0
    blockhashes_expired_early: int = 0
    oracle_updates_withheld: int = 0

    def to_dict(self) -> dict[str, int]:
        """Return the counters as a dict."""
        return dict(self.__dict__)


@dataclass
class FaultInjector:
    """Decides, deterministically by seed, which faults happen."""

    config: FaultConfig = field(default_factory=FaultConfig)
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self.configure(self.config)

    def configure(self, config: FaultConfig) -> None:
        """Replace the configuration and restart every random stream and counter."""
        self.config = config
        # any HTTP fault at all: when none, a request skips the three checks below
        self.http_faults = bool(config.latency_ms or config.latency_jitter_ms or config.http_timeout_rate
                                or config.http_429_rate or config.http_5xx_rate)
        self.stats = FaultStats()
        self._streams: dict[str, random.Random] = {}
        self._stall_until = 0.0

    def _rng(self, kind: str) -> random.Random:
        rng = self._streams.get(kind)
        if rng is None:
            rng = self._streams[kind] = random.Random(f"{self.config.seed}/{kind}")
        return rng

    def _applies_to(self, methods: list[str]) -> bool:
        if any(m.startswith(ADMIN_METHOD_PREFIX) for m in methods):
            return False  # the admin surface is never faulted, so faults can always be turned off
        return not self.config.methods or any(m in self.config.methods for m in methods)

    # -- HTTP -----------------------------------------------------------------------------------
    def http_latency_s(self, methods: list[str]) -> float:
        """Return the delay to add before answering a request for ``methods`` (0 for none)."""
        c = self.config
        if not (c.latency_ms or c.latency_jitter_ms) or not self._applies_to(methods):
            return 0.0
        jitter = self._rng("latency").randint(0, c.latency_jitter_ms) if c.latency_jitter_ms else 0
        self.stats.delayed_requests += 1
        return (c.latency_ms + jitter) / 1000.0

    def http_timeout_s(self, methods: list[str]) -> float:
        """Return how long to hold a request for ``methods`` unanswered before a 504 (0: answer it)."""
        c = self.config
        if not c.http_timeout_rate or not self._applies_to(methods):
            return 0.0
        if self._rng("http_timeout").random() < c.http_timeout_rate:
            self.stats.http_timeouts += 1
            return c.http_timeout_ms / 1000.0
        return 0.0

    def http_fault(self, methods: list[str]) -> HttpFault | None:
        """Return a 429 or 5xx response to send instead of handling the request, or None."""
        c = self.config
        if not (c.http_429_rate or c.http_5xx_rate) or not self._applies_to(methods):
            return None
        if c.http_429_rate and self._rng("http_429").random() < c.http_429_rate:
            self.stats.http_429 += 1
            body = b'{"jsonrpc":"2.0","error":{"code":429,"message":"Too many requests for a specific RPC call"},"id":null}'
            return HttpFault(429, "Too Many Requests", (("Retry-After", str(c.retry_after_s)),), body)
        if c.http_5xx_rate:
            rng = self._rng("http_5xx")
            if rng.random() < c.http_5xx_rate:
                self.stats.http_5xx += 1
                status = rng.choice(_5XX_STATUSES)
                reasons = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
                return HttpFault(status, reasons[status], (), f"{status} {reasons[status]} (injected)".encode())
        return None

    # -- websocket ------------------------------------------------------------------------------
    def drop_ws_connection(self) -> bool:
        """Return True when the connection about to send a message should be dropped instead."""
        if not self.config.ws_drop_rate:
            return False
        if self._rng("ws_drop").random() < self.config.ws_drop_rate:
            self.stats.ws_dropped += 1
            return True
        return False

    # -- chain ----------------------------------------------------------------------------------
    def stall_now(self, duration_ms: int) -> None:
        """Hold slots where they are for ``duration_ms`` from now (replacing any stall; 0 ends it)."""
        self._stall_until = self.clock() + duration_ms / 1000.0
        if duration_ms:
            self.stats.slot_stalls += 1

    def slot_stalled(self) -> bool:
        """Called once per due slot: True while a stall holds the slot where it is."""
        now = self.clock()
        if now < self._stall_until:
            return True
        c = self.config
        if c.slot_stall_rate and c.slot_stall_ms and self._rng("slot_stall").random() < c.slot_stall_rate:
            self.stall_now(c.slot_stall_ms)
            return True
        return False

    @property
    def stall_remaining_s(self) -> float:
        """Seconds left in the current stall (0 when not stalled)."""
        return max(0.0, self._stall_until - self.clock())

    def blockhash_expired_early(self, age_slots: int) -> bool:
        """True when a blockhash of ``age_slots`` is refused although it is within its nominal life."""
        ttl = self.config.blockhash_ttl_slots
        if ttl is not None and age_slots > ttl:
            self.stats.blockhashes_expired_early += 1
            return True
        return False

    def withhold_oracle_update(self, feed: str, *aliases: str) -> bool:
        """Hook for oracle publishers: True means do not publish this update of ``feed``.

        ``aliases`` are other names ``withheld_oracles`` may use for the feed (the localnet publisher
        passes the market's name). One draw of the rate stream per call, whatever the aliases.
        """
        c = self.config
        named = feed in c.withheld_oracles or any(a in c.withheld_oracles for a in aliases)
        if named or (c.oracle_withhold_rate and self._rng("oracle").random() < c.oracle_withhold_rate):
            self.stats.oracle_updates_withheld += 1
            return True
        return False


__all__ = ["FaultInjector", "FaultStats", "HttpFault"]
