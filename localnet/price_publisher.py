"""Localnet price publisher: moves oracle prices along a path and writes them through the mock oracle.

Each ``tick(slot)`` whose slot is due under the cadence advances the price path one step and writes
the price to every feed in one transaction, built from ``localnet.mock_oracle`` instructions and handed
to the ``send`` callable of the ``MockOracle`` (``LocalSvm.send`` now, an RPC client later). Cues make
the feeds go stale (stop publishing for some steps) or widen their confidence; ``withheld`` stops
everything, and a ``withhold(feed_name)`` hook (the RPC node's ``FaultInjector.withhold_oracle_update``)
skips single feeds. The path keeps moving while nothing is published, as a market does.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from solders.instruction import Instruction
from solders.pubkey import Pubkey

from keepers.exchange.oracles import OracleKind
from keepers.execution.results import Outcome
from localnet import mock_oracle as mo
from localnet.price_paths import CrashPath, GbmPath, JumpPath, PricePath, ReplayPath
from localnet.svm import pubkey_of
from programs_client.perp.constants import BPS
from programs_client.switchboard_on_demand.constants import PRECISION_DECIMALS as SWITCHBOARD_ON_DEMAND_DECIMALS


def _raw(value: float, decimals: int) -> int:
    """floor(value * 10^decimals) without float rounding on the way."""
    return int(Decimal(value).scaleb(decimals))


@dataclass(frozen=True)
class OracleFeed:
    """One price account the publisher writes, and how its layout represents a price."""

    kind: OracleKind
    address: Pubkey
    name: str = ""            # what the withhold hook is asked about (default: the address)
    exponent: int = -8        # Pyth layouts: raw = price * 10^-exponent
    scale: int = 9            # Switchboard V2: mantissa = price * 10^scale
    feed_id: bytes = bytes(32)  # Pyth PriceUpdateV2
    bias_bps: int = 0         # published price = path price * (1 + bias_bps / 10000), to make sources diverge

    @property
    def label(self) -> str:
        """The name the withhold hook sees."""
        return self.name or str(self.address)

    def write_ix(self, authority: Pubkey, price: float, conf: float) -> Instruction:
        """Build the mock oracle write of ``price`` and ``conf`` (quote per base), stamped with the current slot."""
        price = price * (1 + self.bias_bps / BPS)
        if self.kind in (OracleKind.PYTH_LEGACY, OracleKind.PYTH_PULL_V2):
            raw, raw_conf = _raw(price, -self.exponent), _raw(conf, -self.exponent)
            if self.kind == OracleKind.PYTH_LEGACY:
                return mo.write_pyth_legacy_ix(authority, self.address, price=raw, conf=raw_conf, exponent=self.exponent)
            return mo.write_price_update_v2_ix(
                authority, self.address, feed_id=self.feed_id, price=raw, conf=raw_conf, exponent=self.exponent
            )
        if self.kind == OracleKind.SWITCHBOARD_V2:
            return mo.write_switchboard_v2_ix(
                authority, self.address, mantissa=_raw(price, self.scale), scale=self.scale,
                std_dev_mantissa=_raw(conf, self.scale),
            )
        if self.kind == OracleKind.SWITCHBOARD_ON_DEMAND:
            d = SWITCHBOARD_ON_DEMAND_DECIMALS
            return mo.write_switchboard_on_demand_ix(authority, self.address, value=_raw(price, d), std_dev=_raw(conf, d))
        raise ValueError(f"cannot publish to an oracle of kind {self.kind.name}")


@dataclass(frozen=True)
class GoStale:
    """Publish nothing for ``steps`` steps from step ``start`` (steps count from 1)."""

    start: int
    steps: int

    def active(self, step: int) -> bool:
        """True while the cue applies."""
        return self.start <= step < self.start + self.steps


@dataclass(frozen=True)
class WidenConfidence:
    """Multiply the confidence by ``factor`` for ``steps`` steps from step ``start``."""

    start: int
    steps: int
    factor: float

    def active(self, step: int) -> bool:
        """True while the cue applies."""
        return self.start <= step < self.start + self.steps


Cue = GoStale | WidenConfidence


@dataclass(frozen=True)
class Tick:
    """One step of the publisher: the path's price, what was written, and why the rest was not."""

    step: int
    slot: int
    price: float
    conf: float
    published: tuple[str, ...]   # labels of the feeds written
    skipped: str | None = None   # "stale cue", "withheld", or "withheld by hook"
    outcome: Outcome | None = None


@dataclass
class PricePublisher:
    """Publishes a price path to one or more feeds through the mock oracle, every ``cadence_slots`` slots."""

    oracle: mo.MockOracle
    feeds: Sequence[OracleFeed]
    path: PricePath
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    cadence_slots: int = 1
    confidence_bps: float = 10.0
    cues: Sequence[Cue] = ()
    withhold: Callable[[str], bool] | None = None
    withheld: bool = False       # the switch fault injection flips: while True nothing is published
    step: int = 0
    last_slot: int | None = None
    history: list[Tick] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.cadence_slots < 1:
            raise ValueError("cadence_slots must be at least 1")
        if not self.feeds:
            raise ValueError("a publisher needs at least one feed")

    @classmethod
    def seeded(cls, oracle: mo.MockOracle, feeds: Sequence[OracleFeed], path: PricePath, seed: int, **kwargs: object) -> PricePublisher:
        """A publisher whose randomness comes from ``random.Random(seed)``."""
        return cls(oracle, feeds, path, random.Random(seed), **kwargs)  # type: ignore[arg-type]

    def due(self, slot: int) -> bool:
        """True when ``slot`` is at least ``cadence_slots`` after the last step."""
        return self.last_slot is None or slot - self.last_slot >= self.cadence_slots

    def tick(self, slot: int) -> Tick | None:
        """Advance and publish if ``slot`` is due; return what happened (None when not due)."""
        if not self.due(slot):
            return None
        self.last_slot = slot
        self.step += 1
        price = self.path.next_price(self.rng)
        conf = price * self.confidence_bps / BPS
        for cue in self.cues:
            if isinstance(cue, WidenConfidence) and cue.active(self.step):
                conf *= cue.factor
        tick = self._publish(slot, price, conf)
        self.history.append(tick)
        return tick

    def _publish(self, slot: int, price: float, conf: float) -> Tick:
        if any(isinstance(c, GoStale) and c.active(self.step) for c in self.cues):
            return Tick(self.step, slot, price, conf, (), "stale cue")
        if self.withheld:
            return Tick(self.step, slot, price, conf, (), "withheld")
        feeds = [f for f in self.feeds if not (self.withhold and self.withhold(f.label))]
        if not feeds:
            return Tick(self.step, slot, price, conf, (), "withheld by hook")
        authority = pubkey_of(self.oracle.authority)
        outcome = self.oracle.send([f.write_ix(authority, price, conf) for f in feeds], [self.oracle.authority])
        skipped = "withheld by hook" if len(feeds) < len(self.feeds) else None
        return Tick(self.step, slot, price, conf, tuple(f.label for f in feeds), skipped, outcome)


__all__ = [
    "CrashPath",
    "Cue",
    "GbmPath",
    "GoStale",
    "JumpPath",
    "OracleFeed",
    "PricePath",
    "PricePublisher",
    "ReplayPath",
    "Tick",
    "WidenConfidence",
]
