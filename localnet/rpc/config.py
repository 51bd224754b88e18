"""Configuration of the LiteSVM RPC node and of its fault injection (frozen, validated at creation).

Unknown keys are refused when a configuration is read from a mapping (a TOML file, the
``perpkeep_setFaults`` admin method), naming the key.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from localnet.ledger import LedgerConfig

DEFAULT_MAX_REQUEST_BYTES = 50 * (1 << 10)  # Agave rpc.rs MAX_REQUEST_BODY_SIZE: 50 KiB (a client that fits here fits a validator)


class ConfigError(ValueError):
    """A configuration value is missing, of the wrong type or out of range."""


def _check_rate(name: str, value: float) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0.0 <= value <= 1.0 or math.isnan(value):
        raise ConfigError(f"{name} must be a probability between 0 and 1, got {value!r}")


def _check_non_negative_int(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{name} must be a whole number >= 0, got {value!r}")


@dataclass(frozen=True)
class FaultConfig:
    """Faults the node injects, drawn from seeded streams so that a run can be replayed.

    Rates are probabilities per event: per HTTP request (429, 5xx, timeout: the request is held
    unanswered for ``http_timeout_ms``, then answered 504 as a load balancer would), per websocket message sent
    (connection dropped), per slot (a stall begins), per oracle update (withheld).
    """

    seed: int = 0
    http_429_rate: float = 0.0
    retry_after_s: int = 1
    http_5xx_rate: float = 0.0
    http_timeout_rate: float = 0.0
    http_timeout_ms: int = 30_000
    latency_ms: int = 0
    latency_jitter_ms: int = 0
    ws_drop_rate: float = 0.0
    slot_stall_rate: float = 0.0
    slot_stall_ms: int = 2000
    blockhash_ttl_slots: int | None = None
    oracle_withhold_rate: float = 0.0
    withheld_oracles: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise ConfigError(f"seed must be a whole number, got {self.seed!r}")
        for name in ("http_429_rate", "http_5xx_rate", "http_timeout_rate", "ws_drop_rate", "slot_stall_rate",
                     "oracle_withhold_rate"):
            _check_rate(name, getattr(self, name))
        for name in ("retry_after_s", "http_timeout_ms", "latency_ms", "latency_jitter_ms", "slot_stall_ms"):
            _check_non_negative_int(name, getattr(self, name))
        if self.blockhash_ttl_slots is not None:
            _check_non_negative_int("blockhash_ttl_slots", self.blockhash_ttl_slots)
        for name in ("withheld_oracles", "methods"):
            value = getattr(self, name)
            if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{name} must be a list of strings, got {value!r}")

    @property
    def active(self) -> bool:
        """True when any fault is configured."""
        return self != FaultConfig(seed=self.seed, retry_after_s=self.retry_after_s, slot_stall_ms=self.slot_stall_ms,
                                   http_timeout_ms=self.http_timeout_ms)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> FaultConfig:
        """Build from a mapping (TOML table, JSON object); ConfigError naming any unknown key."""
        if not isinstance(values, Mapping):
            raise ConfigError(f"fault configuration must be an object, got {type(values).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown fault setting(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        kwargs = dict(values)
        for name in ("withheld_oracles", "methods"):
            if name in kwargs and isinstance(kwargs[name], list):
                kwargs[name] = tuple(kwargs[name])
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        """Return the configuration as JSON-compatible values."""
        d = dataclasses.asdict(self)
        d["withheld_oracles"] = list(self.withheld_oracles)
        d["methods"] = list(self.methods)
        return d


@dataclass(frozen=True)
class NodeConfig:
    """Where the node listens and how its chain moves.

    ``ws_port`` None means ``rpc_port + 1`` (as solana-test-validator does); port 0 asks the OS
    for a free port. Commitment levels are modelled by depth: a slot is confirmed
    ``confirmed_depth_slots`` after it is processed, and finalized ``finalized_depth_slots`` after.
    """

    host: str = "127.0.0.1"
    rpc_port: int = 8899
    ws_port: int | None = None
    slot_ms: int = 400
    confirmed_depth_slots: int = LedgerConfig.confirmed_depth_slots
    finalized_depth_slots: int = LedgerConfig.finalized_depth_slots
    blockhash_valid_slots: int = LedgerConfig.blockhash_valid_slots
    status_cache_slots: int = LedgerConfig.status_cache_slots  # older statuses need searchTransactionHistory
    lamports_per_signature: int = LedgerConfig.lamports_per_signature
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    ws_queue_messages: int = 10_000
    max_batch_requests: int = 1_000  # a longer JSON-RPC batch is refused whole with -32600
    faucet_lamports: int = LedgerConfig.faucet_lamports
    history_slots: int = LedgerConfig.history_slots  # blocks and signatures per address kept (older are pruned)
    faults: FaultConfig = field(default_factory=FaultConfig)

    def __post_init__(self) -> None:
        for name in ("rpc_port", "slot_ms", "confirmed_depth_slots", "finalized_depth_slots", "blockhash_valid_slots",
                     "status_cache_slots", "lamports_per_signature", "max_request_bytes", "ws_queue_messages", "faucet_lamports"):
            _check_non_negative_int(name, getattr(self, name))
        if self.ws_port is not None:
            _check_non_negative_int("ws_port", self.ws_port)
        _check_non_negative_int("max_batch_requests", self.max_batch_requests)
        for name in ("rpc_port", "ws_port"):
            port = getattr(self, name)
            if port is not None and port > 65535:
                raise ConfigError(f"{name} must be at most 65535, got {port}")
        if self.slot_ms < 1:
            raise ConfigError("slot_ms must be at least 1")
        if not isinstance(self.history_slots, int) or isinstance(self.history_slots, bool) or self.history_slots < 1:
            raise ConfigError(f"history_slots must be a whole number >= 1, got {self.history_slots!r}")
        if self.finalized_depth_slots < self.confirmed_depth_slots:
            raise ConfigError("finalized_depth_slots must be >= confirmed_depth_slots")
        if not isinstance(self.faults, FaultConfig):
            raise ConfigError("faults must be a FaultConfig")

    @property
    def ledger(self) -> LedgerConfig:
        """The settings of the node's ledger (commitment depths, blockhash life, status cache, fees, faucet)."""
        return LedgerConfig(confirmed_depth_slots=self.confirmed_depth_slots, finalized_depth_slots=self.finalized_depth_slots,
                            blockhash_valid_slots=self.blockhash_valid_slots, status_cache_slots=self.status_cache_slots,
                            lamports_per_signature=self.lamports_per_signature, faucet_lamports=self.faucet_lamports,
                            history_slots=self.history_slots)

    @property
    def resolved_ws_port(self) -> int:
        """The websocket port: ``ws_port``, or ``rpc_port + 1`` (0 stays 0: any free port)."""
        if self.ws_port is not None:
            return self.ws_port
        return 0 if self.rpc_port == 0 else self.rpc_port + 1


__all__ = ["ConfigError", "FaultConfig", "NodeConfig"]
