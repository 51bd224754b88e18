"""Strategies that act in ``sim.ml.env.PerpEnv`` and the episode runner that records what a model learns from.

- ``AvellanedaStoikovMaker``: the analytic maker of ``keepers.strategies.market_maker.quoting`` (reservation
  price and optimal spread) turned into the environment's action, with its variance from the bot's
  ``EwmaVolatility`` or a fitted GARCH(1,1) (``GarchVolatility``), and an optional return signal that
  moves its fair price (as the bot's ``signal_bps`` does);
- ``SignalTrader``: the directional agent holding a position proportional to a signal's forecast;
- ``ActionPolicy``: any function of the observation (an RL policy, or its ONNX export).

``run_episode(config, policy, seed)`` runs one episode and returns its PnL per slot and, per slot, the
signal features (``keepers.strategies.features``, the very code the live bot runs) and the index, from
which ``sim.ml.dataset`` makes forward-return targets.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from keepers.strategies.features import SignalFeatures
from keepers.strategies.market_maker.quoting import EwmaVolatility, book_imbalance, optimal_spread
from sim.ml.env import EnvConfig, PerpEnv

Signal = Callable[[np.ndarray], float]  # features -> forecast return (bps)


class Policy(Protocol):
    """What acts in the environment."""

    def reset(self) -> None: ...

    def act(self, env: PerpEnv, obs: np.ndarray, features: np.ndarray) -> np.ndarray: ...


@dataclass
class GarchVolatility:
    """The GARCH(1,1) recursion sigma2' = omega + alpha r^2 + beta sigma2 on per-slot log returns (fitted by
    ``sim.ml.models.fit_garch``; numpy only, so a bot could run it). Starts at the long-run variance."""

    omega: float
    alpha: float
    beta: float
    variance: float = field(init=False)
    last_price: float | None = None

    def __post_init__(self) -> None:
        persistence = self.alpha + self.beta
        self.variance = self.omega / (1 - persistence) if persistence < 1 else self.omega

    def update(self, price: float, slot: int) -> float:
        """Take the price of the next slot; return the forecast variance of the slot after it."""
        if price > 0 and self.last_price is not None:
            r = math.log(price / self.last_price)
            self.variance = self.omega + self.alpha * r * r + self.beta * self.variance
        if price > 0:
            self.last_price = price
        return self.variance


def market_features(env: PerpEnv) -> tuple[float, float]:
    """(book imbalance of the three best levels, mark premium in bps) of the environment's market now."""
    (_, bid_sizes), (_, ask_sizes) = env.book
    m = env.market
    premium = (m.mark_price / (m.index_price or m.mark_price) - 1) * 1e4 if m.mark_price else 0.0
    return book_imbalance(bid_sizes[:3], ask_sizes[:3]), premium


def offsets_to_action(config: EnvConfig, bid_bps: float, ask_bps: float, size: float) -> np.ndarray:
    """The maker's action for quotes ``bid_bps`` below and ``ask_bps`` above the index, ``size`` in [-1, 1]."""
    lo, hi = config.min_offset_bps, config.max_offset_bps
    scale = lambda bps: 2 * (min(max(bps, lo), hi) - lo) / (hi - lo) - 1  # noqa: E731
    return np.asarray([scale(bid_bps), scale(ask_bps), size, size], dtype=np.float32)


@dataclass
class AvellanedaStoikovMaker:
    """The analytic A-S maker (module docstring); ``volatility`` is ``"ewma"`` or a ``GarchVolatility`` factory."""

    gamma: float = 0.1
    horizon_slots: float = 20.0
    k: float = 1000.0
    min_half_bps: float = 2.0
    size: float = 0.0
    volatility: Callable[[], Any] | None = None  # None: the bot's EwmaVolatility
    signal: Signal | None = None
    max_signal_bps: float = 20.0
    vol: Any = None

    def reset(self) -> None:
        self.vol = self.volatility() if self.volatility else EwmaVolatility()

    def act(self, env: PerpEnv, obs: np.ndarray, features: np.ndarray) -> np.ndarray:
        sigma2 = self.vol.update(env.index, env.slot)  # both estimators return the variance they now hold
        q = env._inventory_notional() / env.config.max_position_notional
        half = max(optimal_spread(self.gamma, sigma2, self.horizon_slots, self.k) / 2, self.min_half_bps / 1e4)
        shift = q * self.gamma * sigma2 * self.horizon_slots
        signal = 0.0
        if self.signal is not None:
            signal = float(np.clip(self.signal(features), -self.max_signal_bps, self.max_signal_bps))
        return offsets_to_action(env.config, (half + shift) * 1e4 - signal, (half - shift) * 1e4 + signal, self.size)


@dataclass
class SignalTrader:
    """Holds ``forecast / scale_bps`` of the largest position (clipped), for the directional agent."""

    signal: Signal
    scale_bps: float = 5.0

    def reset(self) -> None:
        pass

    def act(self, env: PerpEnv, obs: np.ndarray, features: np.ndarray) -> np.ndarray:
        return np.asarray([np.clip(self.signal(features) / self.scale_bps, -1.0, 1.0)], dtype=np.float32)


@dataclass
class ActionPolicy:
    """A policy that maps the observation to the action (``fn``: an RL model or its ONNX session)."""

    fn: Callable[[np.ndarray], np.ndarray]

    def reset(self) -> None:
        pass

    def act(self, env: PerpEnv, obs: np.ndarray, features: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(self.fn(obs), dtype=np.float32).reshape(env.action_space.shape), -1.0, 1.0)


@dataclass
class Episode:
    """One episode's record: PnL per slot, signal features and index per slot (before each action)."""

    seed: int
    regime: str
    pnl: np.ndarray
    features: np.ndarray
    index: np.ndarray
    leak: np.ndarray

    @property
    def total(self) -> float:
        return float(self.pnl.sum())


def run_episode(config: EnvConfig, policy: Policy, seed: int, regime: str = "") -> Episode:
    """Run ``policy`` for one episode of ``config`` seeded ``seed``; return its record."""
    env = PerpEnv(config)
    obs, _ = env.reset(seed=seed)
    policy.reset()
    feats = SignalFeatures()
    pnl, rows, index, leak = [], [], [], []
    leak_col = config.feature_names().index("leak_future_return") if config.leak_slots > 0 else None
    done = False
    while not done:
        feats.update(env.index, env.slot)
        imbalance, premium = market_features(env)
        x = feats.vector(imbalance, premium)
        if leak_col is not None:
            x = np.append(x, obs[leak_col]).astype(np.float32)
        rows.append(x)
        index.append(env.index)
        leak.append(float(obs[leak_col]) if leak_col is not None else 0.0)
        obs, _, terminated, truncated, info = env.step(policy.act(env, obs, x))
        pnl.append(info["pnl"])
        done = terminated or truncated
    index.append(env.index)
    return Episode(seed, regime, np.asarray(pnl), np.asarray(rows, dtype=np.float32), np.asarray(index), np.asarray(leak))


__all__ = ["ActionPolicy", "AvellanedaStoikovMaker", "Episode", "GarchVolatility", "Policy", "Signal", "SignalTrader",
           "market_features", "offsets_to_action", "run_episode"]
