"""The gymnasium environment over the real program (``sim.ml.env``): the checkers of gymnasium and
stable-baselines3, both agents, subprocess vectorisation and bit-identical trajectories across processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from gymnasium.vector import AsyncVectorEnv

from sim.ml.env import EnvConfig, PerpEnv, env_fns, trajectory_digest

ROOT = Path(__file__).resolve().parents[3]
SHORT = EnvConfig(episode_slots=12, warmup_slots=4)


@pytest.mark.parametrize("agent", ["maker", "directional"])
def test_env_passes_both_checkers(agent: str) -> None:
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    gym_check_env(PerpEnv(SHORT, agent=agent), skip_render_check=True)
    sb3_check_env(PerpEnv(SHORT, agent=agent), warn=True)


def test_maker_quotes_rest_in_the_book_and_fill() -> None:
    env = PerpEnv(EnvConfig(episode_slots=60, warmup_slots=4))
    env.reset(seed=5)
    tight = np.array([-1.0, -1.0, 1.0, 1.0], dtype=np.float32)  # 1 bps each side, the largest size
    env.step(tight)
    own = env.sim.ledger.get_account(env.book_address)
    assert own is not None
    inventories = set()
    for _ in range(59):
        _, _, _, truncated, info = env.step(tight)
        inventories.add(round(info["inventory"], 6))
    assert truncated
    assert len(inventories) > 1, "quotes 1 bps from the index never filled against the traders"


def test_directional_agent_reaches_its_target_position() -> None:
    env = PerpEnv(EnvConfig(episode_slots=6, warmup_slots=4, agent="directional", max_position_notional=20_000.0))
    env.reset(seed=2)
    for _ in range(3):
        _, _, _, _, info = env.step(np.array([0.5], dtype=np.float32))
    # half of 20,000 quote long, within a lot and the book's slippage
    assert info["inventory"] == pytest.approx(0.5, abs=0.05)
    _, _, _, _, info = env.step(np.array([-0.25], dtype=np.float32))
    assert info["inventory"] == pytest.approx(-0.25, abs=0.05)


def test_inventory_penalty_lowers_the_reward_by_its_formula() -> None:
    base = EnvConfig(episode_slots=6, warmup_slots=4, agent="directional")
    plain, penalised = PerpEnv(base), PerpEnv(base, inventory_penalty=2.0)
    plain.reset(seed=9)
    penalised.reset(seed=9)
    for _ in range(3):
        _, r0, _, _, i0 = plain.step(np.array([0.8], dtype=np.float32))
        _, r1, _, _, i1 = penalised.step(np.array([0.8], dtype=np.float32))
        assert i0["pnl"] == i1["pnl"]
        assert r0 - r1 == pytest.approx(2.0 * i1["inventory"] ** 2)


def _digest_in_subprocess(hash_seed: str) -> str:
    code = ("import json; from sim.ml.env import EnvConfig, trajectory_digest; "
            "print(json.dumps(trajectory_digest(EnvConfig(episode_slots=15, warmup_slots=4), 11, 20)))")
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_same_seed_is_bit_identical_across_processes() -> None:
    here = trajectory_digest(EnvConfig(episode_slots=15, warmup_slots=4), 11, 20)
    assert _digest_in_subprocess("1") == here
    assert _digest_in_subprocess("4242") == here
    assert trajectory_digest(EnvConfig(episode_slots=15, warmup_slots=4), 12, 20) != here


def test_async_vector_env_runs_subprocess_workers_deterministically() -> None:
    vec = AsyncVectorEnv(env_fns(2, SHORT), context="spawn")
    try:
        obs, _ = vec.reset(seed=[3, 4])
        assert obs.shape == (2, SHORT.obs_size)
        actions = np.zeros((2, 4), dtype=np.float32)
        for _ in range(3):
            obs, rewards, _, _, _ = vec.step(actions)
    finally:
        vec.close()
    single = PerpEnv(SHORT)
    expect, _ = single.reset(seed=4)
    for _ in range(3):
        expect, _, _, _, _ = single.step(actions[1])
    assert np.array_equal(obs[1], expect)
