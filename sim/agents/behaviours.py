"""What each kind of trader wants to hold: a direction (+1 long, -1 short, 0 flat) or None (no change).

Behaviours see the market through a ``MarketView``: the oracle prices so far (and, for the informed, the
path ahead), and the positions of others near liquidation. They draw randomness only from the agent's
own RNG. Sizes are the population's business (``sim.agents.population``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from programs_client.perp.constants import BPS

BEHAVIOURS = ("noise", "momentum", "mean_reversion", "informed", "liquidation_hunter", "whale")


@dataclass(frozen=True)
class HuntTarget:
    """A large position and the price at which it becomes liquidatable."""

    market: int
    long: bool
    liquidation_price: float
    notional: float


@dataclass
class MarketView:
    """One market as agents see it: the price path (the oracle's source) up to ``step``, and ahead."""

    index: int
    path: Sequence[float]  # path[k]: the price after step k (path[0]: the first price)
    step: int = 0
    targets: list[HuntTarget] = field(default_factory=list)

    @property
    def price(self) -> float:
        """The price now."""
        return self.path[min(self.step, len(self.path) - 1)]

    def back(self, slots: int) -> float:
        """The price ``slots`` steps ago (the first price before the start)."""
        return self.path[max(min(self.step, len(self.path) - 1) - slots, 0)]

    def ahead(self, slots: int) -> float:
        """The price ``slots`` steps ahead (what only the informed may read)."""
        return self.path[min(self.step + slots, len(self.path) - 1)]


Knobs = dict[str, float]
Decide = Callable[[MarketView, int, random.Random, Knobs], int | None]


def _trend(ret_bps: float, threshold_bps: float) -> int | None:
    if ret_bps > threshold_bps:
        return 1
    if ret_bps < -threshold_bps:
        return -1
    return None


def noise(view: MarketView, held: int, rng: random.Random, k: Knobs) -> int | None:
    """Random: close with ``close_probability`` when holding, else open long with ``long_bias``."""
    close, long = rng.random(), rng.random()
    if held and close < k["close_probability"]:
        return 0
    return 1 if long < k["long_bias"] else -1


def momentum(view: MarketView, held: int, rng: random.Random, k: Knobs) -> int | None:
    """Follows the return over ``lookback_slots`` once it passes ``threshold_bps``."""
    return _trend((view.price / view.back(int(k["lookback_slots"])) - 1) * BPS, k["threshold_bps"])


def mean_reversion(view: MarketView, held: int, rng: random.Random, k: Knobs) -> int | None:
    """Bets against the return over ``lookback_slots`` once it passes ``threshold_bps``."""
    d = momentum(view, held, rng, k)
    return None if d is None else -d


def informed(view: MarketView, held: int, rng: random.Random, k: Knobs) -> int | None:
    """Sees the price ``horizon_slots`` ahead; holds its direction, flat when the move is small."""
    d = _trend((view.ahead(int(k["horizon_slots"])) / view.price - 1) * BPS, k["threshold_bps"])
    return 0 if d is None else d


def liquidation_hunter(view: MarketView, held: int, rng: random.Random, k: Knobs) -> int | None:
    """Trades toward the nearest liquidation price within ``hunt_distance_bps`` of a position worth at least
    ``hunt_min_notional``: sells toward longs' liquidation prices, buys toward shorts'; closes otherwise."""
    best: tuple[float, int] | None = None
    for t in view.targets:
        if t.market != view.index or t.notional < k["hunt_min_notional"]:
            continue
        distance = abs(view.price / t.liquidation_price - 1) * BPS
        if distance <= k["hunt_distance_bps"] and (best is None or distance < best[0]):
            best = (distance, -1 if t.long else 1)
    return (0 if held else None) if best is None else best[1]


def whale(view: MarketView, held: int, rng: random.Random, k: Knobs) -> int | None:
    """Rare large orders: flips or opens at random (its size comes from its capital and leverage)."""
    return -held if held else (1 if rng.random() < k["long_bias"] else -1)


DECIDERS: dict[str, Decide] = {"noise": noise, "momentum": momentum, "mean_reversion": mean_reversion,
                               "informed": informed, "liquidation_hunter": liquidation_hunter, "whale": whale}


def decide(behaviour: str, view: MarketView, held: int, rng: random.Random, knobs: Knobs) -> int | None:
    """The direction ``behaviour`` wants to hold now (None: leave the position as it is)."""
    return DECIDERS[behaviour](view, held, rng, knobs)


__all__ = ["BEHAVIOURS", "DECIDERS", "HuntTarget", "MarketView", "decide"]
