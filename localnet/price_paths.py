"""Price paths for the localnet price publisher and the simulator: geometric Brownian motion, jumps, a
crash, crash-and-recover cycles, Markov regime switching, Heston stochastic volatility, replay.

A path is stateful and advances one step per ``next_price(rng)``; every draw comes from the injected
``random.Random``, so a seed replays a path exactly. Prices are floats in quote per base (off-chain only:
the publisher converts them to each oracle's integer representation).

``path_from_spec`` builds a path from a TOML table (the simulator's ``[markets.M.price]``), checking each
key with the keeper configuration's checks so that a bad value names its key.
"""

from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable, Mapping
from typing import Any, Protocol


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
    """GBM that loses ``drop`` (a fraction) of its price from step ``crash_at`` (counted from 1), evenly
    in log terms over ``over`` steps (1: all at once)."""

    crash_at: int = 10
    drop: float = 0.5
    over: int = 1
    step: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 < self.drop < 1:
            raise ValueError("drop must be a fraction in (0, 1)")
        if self.over < 1:
            raise ValueError("over must be at least 1 step")

    def next_price(self, rng: random.Random) -> float:
        """Advance one step."""
        self.step += 1
        super().next_price(rng)
        if self.crash_at <= self.step < self.crash_at + self.over:
            self.price *= (1 - self.drop) ** (1 / self.over)
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


@dataclass(frozen=True)
class Regime:
    """One state of a ``RegimeSwitchingPath``: GBM drift and volatility per step, and the chance per step
    of leaving it (None: the path's ``switch_probability``)."""

    drift: float = 0.0
    volatility: float = 0.01
    switch_probability: float | None = None


@dataclass
class RegimeSwitchingPath:
    """GBM whose drift and volatility follow a Markov chain over ``regimes``: each step the current regime
    is left with its switch probability, to one of the others chosen uniformly, then the price takes a GBM
    step in the (new) regime. The chain's stationary distribution is proportional to 1 / switch probability."""

    price: float
    regimes: tuple[Regime, ...]
    switch_probability: float = 0.01
    regime: int = 0
    steps_in: list[int] = field(default_factory=list, init=False)  # steps spent in each regime

    def __post_init__(self) -> None:
        if self.price <= 0 or not self.regimes or any(r.volatility < 0 for r in self.regimes):
            raise ValueError("RegimeSwitchingPath needs a positive price and regimes with non-negative volatility")
        if not 0 <= self.regime < len(self.regimes):
            raise ValueError(f"regime {self.regime} is not one of the {len(self.regimes)} regimes")
        self.steps_in = [0] * len(self.regimes)

    def leave_probability(self, i: int) -> float:
        """The chance per step of leaving regime ``i``."""
        p = self.regimes[i].switch_probability
        return self.switch_probability if p is None else p

    def stationary(self) -> list[float]:
        """The long-run share of steps in each regime (uniform when no regime can be left)."""
        weights = [1 / p if p > 0 else math.inf for p in map(self.leave_probability, range(len(self.regimes)))]
        if any(math.isinf(w) for w in weights):
            absorbing = [float(math.isinf(w)) for w in weights]
            return [a / sum(absorbing) for a in absorbing]
        return [w / sum(weights) for w in weights]

    def next_price(self, rng: random.Random) -> float:
        """Advance one step (two draws for the switch and one shock, every step)."""
        k = len(self.regimes)
        leave, target = rng.random(), rng.randrange(max(k - 1, 1))
        if k > 1 and leave < self.leave_probability(self.regime):
            self.regime = target if target < self.regime else target + 1
        r = self.regimes[self.regime]
        self.steps_in[self.regime] += 1
        self.price *= math.exp(r.drift - r.volatility**2 / 2 + r.volatility * rng.gauss(0.0, 1.0))
        return self.price


@dataclass
class HestonPath:
    """Heston stochastic volatility, discretised per step with full truncation (Lord et al. 2010): with
    v+ = max(v, 0), log S moves by drift - v+/2 + sqrt(v+) z_s and v by kappa (theta - v+) + xi sqrt(v+) z_v,
    where corr(z_s, z_v) = rho. ``v`` is the variance per step (``theta`` its long-run mean); v may go
    negative between steps, only v+ is ever used."""

    price: float
    kappa: float = 0.05
    theta: float = 1e-4
    xi: float = 1e-3
    rho: float = -0.5
    v0: float | None = None  # None: theta
    drift: float = 0.0
    variance: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        if self.price <= 0 or self.kappa < 0 or self.theta < 0 or self.xi < 0 or not -1 <= self.rho <= 1:
            raise ValueError("HestonPath needs price > 0, kappa, theta, xi >= 0 and -1 <= rho <= 1")
        self.variance = self.theta if self.v0 is None else self.v0
        if self.variance < 0:
            raise ValueError("HestonPath needs v0 >= 0")

    def next_price(self, rng: random.Random) -> float:
        """Advance one step (two normal draws every step)."""
        z_v, z_2 = rng.gauss(0.0, 1.0), rng.gauss(0.0, 1.0)
        z_s = self.rho * z_v + math.sqrt(1 - self.rho**2) * z_2
        v = max(self.variance, 0.0)
        self.price *= math.exp(self.drift - v / 2 + math.sqrt(v) * z_s)
        self.variance += self.kappa * (self.theta - v) + self.xi * math.sqrt(v) * z_v
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


# --- building a path from a TOML table ----------------------------------------------------------------

PATH_KINDS = ("gbm", "jump", "crash", "cycle", "regime", "heston", "replay")
REPLAY_FORMATS = ("auto", "plain", "binance_kline", "binance_aggtrades", "parquet")


SeriesLoader = Callable[[Path, "str | None"], Any]  # (file, format or None) -> something with replay_path(s)


def path_from_spec(table: Mapping[str, Any], where: str, price: float | None = None, *, base_dir: Path | str = ".",
                   seconds_per_step: float = 1.0, series_loader: SeriesLoader | None = None) -> PricePath:
    """The path a ``[markets.M.price]`` table describes, starting at ``price`` (or the table's own
    ``initial_price``); raise ``keepers.config.ConfigError`` naming the bad key under ``where``.

    Keys by ``kind`` (volatility and drift are per step): gbm: drift, volatility; jump: the gbm keys and
    probability, mean, std (of the log jump size); crash: the gbm keys and at_slot, drop, over_slots;
    cycle: the gbm keys and crashes, drop, rise, ramp, recover_after; regime: regimes (tables of drift,
    volatility, switch_probability), switch_probability, start_regime; heston: drift, kappa, theta, xi, rho,
    v0; replay: file (relative to ``base_dir``), format, column: with ``series_loader`` (the simulator passes
    ``sim.data.load_price_series``; ``localnet`` does not import ``sim``) its series' ``replay_path`` at
    ``seconds_per_step`` (timestamps honoured), else the ``column`` (default ``price``) of a plain CSV, one
    row per step.
    """
    from keepers.config import ConfigError, _bad, _choice, _int, _num, _str, _unknown

    if not isinstance(table, Mapping):
        raise _bad(where, "must be a table")
    kind = _choice(PATH_KINDS)(table.get("kind", "gbm"), f"{where}.kind", Path(base_dir))
    gbm = {"drift": _num(-1, 1), "volatility": _num(0, 1)}
    known: dict[str, Any] = {"kind": None, "initial_price": _num(0, above=True)}
    known |= {"gbm": gbm, "crash": gbm | {"at_slot": _int(1), "drop": _num(0, 1, above=True), "over_slots": _int(1)},
              "jump": gbm | {"probability": _num(0, 1), "mean": _num(-10, 10), "std": _num(0, 10)},
              "cycle": gbm | {"crashes": None, "drop": _num(0, 1, above=True), "rise": _num(0, above=True),
                              "ramp": _int(1), "recover_after": _int(1)},
              "regime": {"regimes": None, "switch_probability": _num(0, 1), "start_regime": _int(0)},
              "heston": {"drift": _num(-1, 1), "kappa": _num(0, 2), "theta": _num(0, 1), "xi": _num(0),
                         "rho": _num(-1, 1), "v0": _num(0, 1)},
              "replay": {"file": _str, "format": _choice(REPLAY_FORMATS), "column": _str}}[kind]
    base = Path(base_dir)
    for name in table:
        if name not in known:
            raise _unknown(where, name, list(known))
    v = {name: check(table[name], f"{where}.{name}", base) for name, check in known.items()
         if check is not None and name in table}
    start = price if price is not None else v.get("initial_price")
    if start is None and kind != "replay":
        raise _bad(f"{where}.initial_price", "missing (required)")

    def wrap(build: Any) -> PricePath:
        try:
            return build()
        except (ValueError, OSError) as e:
            if isinstance(e, ConfigError):
                raise
            raise _bad(where, str(e)) from None

    def gbm_args() -> dict[str, float]:
        return {"drift": v.get("drift", 0.0), "volatility": v.get("volatility", 0.01)}

    if kind == "gbm":
        return wrap(lambda: GbmPath(start, **gbm_args()))
    if kind == "jump":
        return wrap(lambda: JumpPath(start, **gbm_args(), jump_probability=v.get("probability", 0.01),
                                     jump_mean=v.get("mean", 0.0), jump_std=v.get("std", 0.05)))
    if kind == "crash":
        if "at_slot" not in v or "drop" not in v:
            raise _bad(f"{where}.{'drop' if 'at_slot' in v else 'at_slot'}", "missing (required for kind \"crash\")")
        return wrap(lambda: CrashPath(start, **gbm_args(), crash_at=v["at_slot"], drop=v["drop"],
                                      over=v.get("over_slots", 1)))
    if kind == "cycle":
        crashes = table.get("crashes", [10])
        if not isinstance(crashes, list) or not crashes:
            raise _bad(f"{where}.crashes", "must be a non-empty list of slots")
        slots = tuple(_int(1)(c, f"{where}.crashes[{i}]", base) for i, c in enumerate(crashes))
        extra = {k: v[k] for k in ("drop", "rise", "ramp", "recover_after") if k in v}
        return wrap(lambda: CyclePath(start, **gbm_args(), crashes=slots, **extra))
    if kind == "regime":
        return wrap(lambda: RegimeSwitchingPath(start, _regimes(table.get("regimes"), f"{where}.regimes", base),
                                                v.get("switch_probability", 0.01), v.get("start_regime", 0)))
    if kind == "heston":
        return wrap(lambda: HestonPath(start, **{k: v[k] for k in ("drift", "kappa", "theta", "xi", "rho", "v0") if k in v}))
    if "file" not in v:
        raise _bad(f"{where}.file", "missing (required for kind \"replay\")")
    return wrap(lambda: _replay(base / Path(v["file"]).expanduser(), v.get("format", "auto"), v.get("column"),
                                seconds_per_step, series_loader))


def _regimes(value: Any, key: str, base: Path) -> tuple[Regime, ...]:
    from keepers.config import _bad, _num, _unknown

    if not isinstance(value, list) or not value:
        raise _bad(key, "must be a non-empty list of tables {drift, volatility[, switch_probability]}")
    checks = {"drift": _num(-1, 1), "volatility": _num(0, 1), "switch_probability": _num(0, 1)}
    out = []
    for i, r in enumerate(value):
        where = f"{key}[{i}]"
        if not isinstance(r, Mapping):
            raise _bad(where, "must be a table")
        for name in r:
            if name not in checks:
                raise _unknown(where, name, list(checks))
        out.append(Regime(**{n: c(r[n], f"{where}.{n}", base) for n, c in checks.items() if n in r}))
    return tuple(out)


def _replay(path: Path, fmt: str, column: str | None, seconds_per_step: float,
            series_loader: SeriesLoader | None) -> PricePath:
    if series_loader is None:
        return ReplayPath.from_csv(path, column or "price")
    return series_loader(path, None if fmt == "auto" else fmt).replay_path(seconds_per_step)


__all__ = ["PATH_KINDS", "CrashPath", "CyclePath", "GbmPath", "HestonPath", "JumpPath", "PricePath", "Regime",
           "RegimeSwitchingPath", "ReplayPath", "path_from_spec"]
