"""A gymnasium environment over the real program: one step is one slot of a simulator scenario.

``PerpEnv(EnvConfig(...))`` builds a ``sim.engine.Simulation`` of the scenario (the exchange in LiteSVM,
the oracles publishing the scenario's price path, the background traders and scripted makers of
``sim.agents``) plus a margin account of its own for the learning agent, and drives the slots itself
instead of running keeper processes: each step

1. advances the slot,
2. sends the agent's orders (the action): for ``agent = "maker"`` one transaction that cancels its
   quotes and posts a post-only bid and ask (offsets from the index and sizes from the action, good for
   ``quote_expiry_slots``); for ``agent = "directional"`` an immediate-or-cancel order towards the target
   position the action names,
3. runs the simulator's slot (``Simulation._step``: oracles, scripted makers, traders),
4. cranks what the keepers would: ``consume_events`` (maker fills applied), ``update_prices`` (mark and
   index) and ``update_funding`` once per funding period,
5. reads the market, the book and the agent's account back from the chain.

Observation (float32, clipped to [-10, 10]): index move since the episode's start (log, x100), mark premium
over the index (bps / 10), last funding rate (bps), the book's best ``book_levels`` prices each side as
bps from the index (/ 10) with their sizes (notional / ``max_quote_notional``), last index return (bps / 10),
the agent's inventory (notional / ``max_position_notional``), its margin usage (initial requirement /
equity), the episode's progress, and, when ``leak_slots`` > 0, the index return ``leak_slots`` ahead
(bps / 10: a feature that leaks the future, for the pipeline's leak test).

Reward: the change of the agent's equity at mark (quote) / ``reward_scale``, less ``inventory_penalty``
times the squared inventory notional over ``max_position_notional``.

Determinism: the episode's seed (``reset(seed=...)``, else drawn from the environment's own generator)
is the simulation's seed, from which every keypair, price path and trader draws; nothing reads the wall
clock or Python's string hashes, so one seed and one action sequence give a bit-identical trajectory in any
process. No keeper runs here, so nobody liquidates the background traders: scenarios for this environment
keep their leverage low (``sim/ml/configs/market.toml``).
"""

from __future__ import annotations

import copy
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from keepers.bots.funding import funding_rate
from keepers.exchange import instructions as ix
from keepers.exchange.fast_decode import decoder_for
from keepers.exchange.margin import MarketState, Position, compute_margin
from keepers.exchange.pdas import orderbook_pda, user_pda
from programs_client.perp.accounts import Market, Orderbook, User
from programs_client.perp.constants import BASE_PRECISION as BASE, BPS, PRICE_PRECISION as PRICE
from programs_client.perp.constants import QUOTE_PRECISION as QUOTE
from programs_client.perp.types import order_type, side
from sim.scenario_file import ScenarioSpec, scenario_from_mapping
from sim.traders import to_lots, to_ticks

DEFAULT_SCENARIO = Path(__file__).parent / "configs" / "market.toml"
AGENTS = ("maker", "directional")
CONSUME_LIMIT = 32
OBS_CLIP = 10.0
_decode_market, _decode_user = decoder_for(Market), decoder_for(User)
BOOK_COUNTS = 8 + 32  # discriminator, market
BOOK_BIDS = BOOK_COUNTS + 8
ORDER = np.dtype([("owner", "V32"), ("order_id", "<u8"), ("client_order_id", "<u8"), ("price", "<u8"),
                  ("base_amount", "<u8"), ("expiry_slot", "<u8")])
BOOK_SIDE = 64  # orders a side (the generated Orderbook layout)
BOOK_ASKS = BOOK_BIDS + BOOK_SIDE * ORDER.itemsize
assert decoder_for(Orderbook).size == BOOK_ASKS + BOOK_SIDE * ORDER.itemsize - 8, "the Orderbook layout changed"  # type: ignore[attr-defined]


def _side(raw: bytes, offset: int, count: int) -> tuple[list[int], list[int]]:
    """(prices, sizes) of a book side's resting orders, best first (each side's best order is stored last).
    Read with numpy: the generated decoder parses all 128 orders, a third of a step's time."""
    orders = np.frombuffer(raw, ORDER, count, offset)[::-1]
    return orders["price"].tolist(), orders["base_amount"].tolist()


@dataclass(frozen=True)
class EnvConfig:
    """What the environment simulates and how the agent acts and is rewarded."""

    scenario: str | Mapping[str, Any] = str(DEFAULT_SCENARIO)  # a scenario file or its parsed mapping
    price: Mapping[str, Any] | None = None  # replaces the market's price process (a regime of the pipeline)
    agent: str = "maker"
    episode_slots: int = 256
    warmup_slots: int = 8  # slots run before the first observation (the book fills up)
    market: int = 0
    book_levels: int = 3
    capital: float = 200_000.0
    min_offset_bps: float = 1.0
    max_offset_bps: float = 60.0
    max_quote_notional: float = 10_000.0
    max_position_notional: float = 50_000.0
    quote_expiry_slots: int = 2
    inventory_penalty: float = 0.0
    reward_scale: float = 10.0
    leak_slots: int = 0

    def __post_init__(self) -> None:
        if self.agent not in AGENTS:
            raise ValueError(f"agent must be one of {AGENTS}, got {self.agent!r}")
        if self.episode_slots < 1 or self.warmup_slots < 1 or self.book_levels < 1:
            raise ValueError("episode_slots, warmup_slots and book_levels must be positive")
        if not 0 < self.min_offset_bps <= self.max_offset_bps:
            raise ValueError("need 0 < min_offset_bps <= max_offset_bps")

    @property
    def obs_size(self) -> int:
        return 3 + 4 * self.book_levels + 4 + (1 if self.leak_slots > 0 else 0)

    def feature_names(self) -> list[str]:
        """The observation's columns, in order."""
        names = ["index_move", "premium", "funding_bps"]
        for s in ("bid", "ask"):
            for i in range(self.book_levels):
                names += [f"{s}{i}_bps", f"{s}{i}_size"]
        names += ["last_return", "inventory", "margin_usage", "progress"]
        return names + (["leak_future_return"] if self.leak_slots > 0 else [])


def load_scenario_mapping(scenario: str | Mapping[str, Any]) -> tuple[dict[str, Any], Path]:
    """The scenario's parsed document and the folder its relative paths are read from."""
    if isinstance(scenario, Mapping):
        return copy.deepcopy(dict(scenario)), Path.cwd()
    path = Path(scenario)
    return tomllib.loads(path.read_text()), path.parent


def episode_scenario(config: EnvConfig) -> ScenarioSpec:
    """The scenario of one episode: the configured one, long enough for the episode (and the leak's look
    ahead), with the configured price process."""
    mapping, base = load_scenario_mapping(config.scenario)
    mapping.setdefault("scenario", {})["slots"] = config.warmup_slots + config.episode_slots + config.leak_slots + 1
    if config.price is not None:
        name = list(mapping["markets"])[config.market]
        mapping["markets"][name]["price"] = dict(config.price)
    return scenario_from_mapping(mapping, base)


class PerpEnv(gym.Env):
    """The market as a gymnasium environment (see the module docstring)."""

    metadata = {"render_modes": []}

    def __init__(self, config: EnvConfig | None = None, **overrides: Any) -> None:
        super().__init__()
        self.config = c = replace(config or EnvConfig(), **overrides)
        self.scenario = episode_scenario(c)
        self.observation_space = spaces.Box(-OBS_CLIP, OBS_CLIP, (c.obs_size,), np.float32)
        if c.agent == "maker":  # bid offset, ask offset, bid size, ask size, each in [-1, 1]
            self.action_space = spaces.Box(-1.0, 1.0, (4,), np.float32)
        else:  # target position as a share of max_position_notional
            self.action_space = spaces.Box(-1.0, 1.0, (1,), np.float32)
        self.sim: Any = None
        self.t = 0

    # -- episode ------------------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        from sim.engine import Simulation  # the engine builds the program: imported when first used

        episode_seed = int(seed) if seed is not None else int(self.np_random.integers(0, 2**31 - 1))
        self.episode_seed = episode_seed
        self.sim = sim = Simulation(self.scenario, episode_seed)
        # Nothing here reads the engine's event tallies: drop its log watcher and keep outcomes only.
        sim.ledger.listeners[:] = [x for x in sim.ledger.listeners if type(x).__name__ != "_Watcher"]
        sim.ledger.lean = True
        c = self.config
        self.keypair = sim.plan.keypair("ml/agent")
        sim._fund(self.keypair, c.capital)
        self.me = self.keypair.pubkey()
        self.address = user_pda(self.me, 0, sim.program_id)
        sim.ledger.note_addresses([self.address])
        info = sim.dep.markets[c.market]
        self.info, self.params = info, sim.params[c.market]
        self.book_address = orderbook_pda(c.market, sim.program_id)
        self.others = [m.address for m in sim.dep.markets if m.index != c.market]
        self.makers = [s.address for s in sim.strategies] + [self.address]
        self.keeper = sim.dep.wallets["keeper"]
        self.funding_period = self.params.funding_period_secs
        self.t = 0
        self.slot = 0
        self._read()
        for _ in range(c.warmup_slots):
            self._slot(None)
        self.start_index = self._index()
        self.last_equity = self._equity()
        self.last_index = self.start_index
        return self._observe(), {"seed": episode_seed}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self.sim is None:
            raise RuntimeError("call reset() before step()")
        a = np.clip(np.asarray(action, dtype=np.float64).reshape(-1), -1.0, 1.0)
        sent = self._slot(a)
        self.t += 1
        equity = self._equity()
        pnl = equity - self.last_equity
        self.last_equity = equity
        inv = self._inventory_notional() / self.config.max_position_notional
        reward = pnl / self.config.reward_scale - self.config.inventory_penalty * inv * inv
        obs = self._observe()
        truncated = self.t >= self.config.episode_slots
        return obs, float(reward), False, truncated, {"pnl": pnl, "equity": equity, "inventory": inv, "sent": sent}

    # -- one slot -----------------------------------------------------------------------------------
    def _slot(self, action: np.ndarray | None) -> bool:
        sim, c = self.sim, self.config
        self.slot += 1
        sim.steps = self.slot
        sim.ledger.advance_slot()
        sent = False
        if action is not None:
            ixs = self._maker_ixs(action) if c.agent == "maker" else self._directional_ixs(action)
            if ixs:
                sent = sim.ledger.send(ixs, [self.keypair], self.keypair).ok
        sim._step(self.slot)
        self._crank()
        return sent

    def _crank(self) -> None:
        sim, c = self.sim, self.config
        # Only the scripted makers and the agent rest orders (traders take), so they are every maker a
        # queued fill can name: no need to read the queue first.
        cranks = [ix.consume_events(c.market, self.makers, CONSUME_LIMIT, sim.program_id),
                  self.info.oracles.update_prices_ix(c.market, sim.program_id)]
        if sim.ledger.wall_clock() >= self.market.last_funding_ts + self.funding_period:
            cranks.append(ix.update_funding(c.market, sim.program_id))
        out = sim.ledger.send(cranks, [self.keeper], self.keeper)
        if not out.ok and len(cranks) > 2:  # a refused funding crank must not hold back the others
            sim.ledger.send(cranks[:2], [self.keeper], self.keeper)
        self._read()

    def _maker_ixs(self, a: np.ndarray) -> list[Any]:
        c, p, sim = self.config, self.params, self.sim
        index = self._index()
        me = self.me
        out = [ix.cancel_all_orders(me, self.address, c.market, sim.program_id)]
        expiry = sim.ledger.slot + c.quote_expiry_slots
        for s, off, size in ((side.Bid(), a[0], a[2]), (side.Ask(), a[1], a[3])):
            bps = c.min_offset_bps + (off + 1) / 2 * (c.max_offset_bps - c.min_offset_bps)
            notional = (size + 1) / 2 * c.max_quote_notional
            bid = isinstance(s, side.Bid)
            price = index * (1 - bps / BPS) if bid else index * (1 + bps / BPS)
            base = to_lots(notional / index, p)
            if base < p.min_order_size:
                continue
            order = ix.order_args(s, to_ticks(price, p, up=not bid), base, order_type.PostOnly(), expiry_slot=expiry)
            out.append(ix.place_order(me, self.address, c.market, order, self.others, sim.program_id))
        return out

    def _directional_ixs(self, a: np.ndarray) -> list[Any]:
        c, p, sim = self.config, self.params, self.sim
        index = self._index()
        target = float(a[0]) * c.max_position_notional / index
        held = self._position().base_amount / BASE
        delta = target - held
        base = to_lots(abs(delta), p)
        if base < p.min_order_size:
            return []
        buy = delta > 0
        limit = index * (1.02 if buy else 0.98)
        order = ix.order_args(side.Bid() if buy else side.Ask(), to_ticks(limit, p, up=buy), base,
                              order_type.ImmediateOrCancel())
        return [ix.place_order(self.me, self.address, c.market, order, self.others, sim.program_id)]

    # -- reading the chain --------------------------------------------------------------------------
    def _read(self) -> None:
        """Read the market, its book and the agent's account once per slot (what the step needs of them)."""
        ledger, c = self.sim.ledger, self.config
        markets = {m.index: _decode_market(bytes(ledger.get_account(m.address).data)) for m in self.sim.dep.markets}
        self.market = m = markets[c.market]
        self.index = (m.index_price or m.mark_price) / PRICE
        raw = bytes(ledger.get_account(self.book_address).data)
        counts = np.frombuffer(raw, "<u4", 2, BOOK_COUNTS)
        self.book = [_side(raw, BOOK_BIDS, int(counts[0])), _side(raw, BOOK_ASKS, int(counts[1]))]
        u = _decode_user(bytes(ledger.get_account(self.address).data))
        positions = [Position.from_account(p) for p in u.positions
                     if p.base_amount or p.open_bids or p.open_asks or p.quote_entry_amount or p.unsettled_pnl]
        self.position = next((p for p in positions if p.market_index == c.market), Position(c.market))
        self.margin = compute_margin(u.collateral, positions, {i: MarketState.from_account(x) for i, x in markets.items()})

    def _index(self) -> float:
        return self.index

    def _position(self) -> Position:
        return self.position

    def _equity(self) -> float:
        return self.margin.equity / QUOTE

    def _inventory_notional(self) -> float:
        return self.position.base_amount / BASE * self.index

    def _observe(self) -> np.ndarray:
        c = self.config
        m, index = self.market, self.index
        mark = m.mark_price / PRICE
        rate = funding_rate(m)
        row = [math.log(index / self.start_index) * 100,
               (mark / index - 1) * BPS / 10, 0.0 if rate is None else rate * BPS]
        for (prices, sizes), sign in zip(self.book, (-1, 1)):
            for i in range(c.book_levels):
                if i < len(prices):
                    price = prices[i] / PRICE
                    row += [sign * (price / index - 1) * BPS / 10, sizes[i] / BASE * price / c.max_quote_notional]
                else:
                    row += [sign * c.max_offset_bps * 2 / 10, 0.0]
        row.append(math.log(index / self.last_index) * BPS / 10 if self.last_index else 0.0)
        self.last_index = index
        margin = self.margin
        row.append(self._inventory_notional() / c.max_position_notional)
        row.append(margin.initial_requirement / margin.equity if margin.equity > 0 else OBS_CLIP)
        row.append(self.t / c.episode_slots)
        if c.leak_slots > 0:
            path = self.sim.paths[c.market]
            now, ahead = path[self.slot], path[min(self.slot + c.leak_slots, len(path) - 1)]
            row.append(math.log(ahead / now) * BPS / 10)
        return np.clip(np.asarray(row, dtype=np.float32), -OBS_CLIP, OBS_CLIP)


def trajectory_digest(config: EnvConfig, seed: int, steps: int) -> str:
    """sha256 of an episode's observations, rewards and flags under a fixed action sequence (drawn from
    ``seed``): equal digests mean bit-identical trajectories (the determinism test and benchmark)."""
    import hashlib

    env = PerpEnv(config)
    digest = hashlib.sha256()
    obs, _ = env.reset(seed=seed)
    digest.update(obs.tobytes())
    actions = np.random.default_rng(seed).uniform(-1, 1, (steps, *env.action_space.shape)).astype(np.float32)
    for a in actions:
        obs, reward, terminated, truncated, _ = env.step(a)
        digest.update(obs.tobytes() + np.float64(reward).tobytes() + bytes([terminated, truncated]))
        if terminated or truncated:
            obs, _ = env.reset()
            digest.update(obs.tobytes())
    return digest.hexdigest()


def make_env(config: EnvConfig | None = None, **overrides: Any) -> PerpEnv:
    """A ``PerpEnv`` (a module-level factory: picklable for ``gymnasium.vector.AsyncVectorEnv``)."""
    return PerpEnv(config, **overrides)


def env_fns(count: int, config: EnvConfig | None = None, **overrides: Any) -> list[Any]:
    """``count`` factories of the environment, for ``AsyncVectorEnv(env_fns(...))`` (subprocess workers)."""
    import functools

    return [functools.partial(make_env, config, **overrides) for _ in range(count)]


__all__ = ["AGENTS", "DEFAULT_SCENARIO", "EnvConfig", "PerpEnv", "env_fns", "episode_scenario", "make_env",
           "trajectory_digest"]
