"""Price paths for the localnet price publisher: geometric Brownian motion, jumps, a crash, CSV replay.

A path is stateful and advances one step per ``next_price(rng)``; every draw comes from the injected
``random.Random``, so a seed replays a path exactly. Prices are floats in quote per base (off-chain only:
the publisher converts them to each oracle's integer representation).
"""

from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


class PricePath(Protocol):
    """Anything that yields the next price, drawing randomness from ``rng`` only."""

    def next_price(self, rng: random.Random) -> float:
        """Advance one step and return the new price (> 0)."""
        ...


@dataclass
class GbmPath:
    """Geometric Brownian motion: log-returns ~ N(drift - volatility^2 / 2, volatility^2) per step."""

    price: float
    drift: float = 0.0
    volatility: float = 0.01

    def __post_init__(self) -> None:
        if self.price <= 0 or self.volatility < 0:
            raise ValueError("GbmPath needs a positive price and a non-negative volatility")

    def next_price(self, rng: random.Random) -> float:
        """Advance one step."""
        shock = rng.gauss(0.0, 1.0)
        self.price *= math.exp(self.drift - self.volatility**2 / 2 + self.volatility * shock)
        return self.price


@dataclass
class JumpPath(GbmPath):
    """GBM plus Merton jumps: each step jumps with ``jump_probability``, log-size ~ N(jump_mean, jump_std^2)."""

    jump_probability: float = 0.01
    jump_mean: float = 0.0
    jump_std: float = 0.05

    def next_price(self, rng: random.Random) -> float:
        """Advance one step (the jump draw is made every step, so the stream stays aligned)."""
        super().next_price(rng)
        jumps = rng.random() < self.jump_probability
        size = rng.gauss(self.jump_mean, self.jump_std)
        if jumps:
            self.price *= math.exp(size)
        return self.price


@dataclass
class CrashPath(GbmPath):
    """GBM that loses ``drop`` (a fraction) of its price at step ``crash_at`` (counted from 1)."""

    crash_at: int = 10
    drop: float = 0.5
    step: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 < self.drop < 1:
            raise ValueError("drop must be a fraction in (0, 1)")

    def next_price(self, rng: random.Random) -> float:
        """Advance one step."""
        self.step += 1
        super().next_price(rng)
        if self.step == self.crash_at:
            self.price *= 1 - self.drop
        return self.price


@dataclass
class CyclePath(GbmPath):
    """GBM with crash-and-recover cycles: from each step in ``crashes`` (counted from 1) the price falls by
    ``drop`` (a fraction) over ``ramp`` steps, and from ``recover_after`` steps after that crash's start
    it rises by ``rise`` over ``ramp`` steps (-14% then +11.9% leaves it 3.8% lower)."""

    crashes: tuple[int, ...] = (10,)
    drop: float = 0.14
    rise: float = 0.119
    ramp: int = 8
    recover_after: int = 30
    step: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 < self.drop < 1 or self.rise <= 0 or self.ramp < 1 or self.recover_after < self.ramp:
            raise ValueError("CyclePath needs 0 < drop < 1, rise > 0, ramp >= 1 and recover_after >= ramp")

    def next_price(self, rng: random.Random) -> float:
        """Advance one step."""
        self.step += 1
        super().next_price(rng)
        for start in self.crashes:
            if start <= self.step < start + self.ramp:
                self.price *= (1 - self.drop) ** (1 / self.ramp)
            elif start + self.recover_after <= self.step < start + self.recover_after + self.ramp:
                self.price *= (1 + self.rise) ** (1 / self.ramp)
        return self.price


@dataclass
class ReplayPath:
    """Replays recorded prices in order, then holds the last one."""

    prices: list[float]
    index: int = 0

    def __post_init__(self) -> None:
        if not self.prices or any(p <= 0 for p in self.prices):
            raise ValueError("ReplayPath needs at least one price, all positive")

    @classmethod
    def from_csv(cls, path: Path | str, column: str = "price") -> ReplayPath:
        """Read prices from the ``column`` of a CSV file with a header row."""
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames is None or column not in reader.fieldnames:
                raise ValueError(f"{path}: no column {column!r} (columns: {reader.fieldnames})")
            return cls([float(row[column]) for row in reader])

    def next_price(self, rng: random.Random) -> float:
        """Return the next recorded price (``rng`` is unused)."""
        price = self.prices[min(self.index, len(self.prices) - 1)]
        self.index += 1
        return price


__all__ = ["CrashPath", "CyclePath", "GbmPath", "JumpPath", "PricePath", "ReplayPath"]
