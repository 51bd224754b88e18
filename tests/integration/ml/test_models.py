"""The models of learned strategies (``sim.ml.models``): GARCH(1,1) recovers known parameters, training is
deterministic by seed, and the RL policies' ONNX exports act as stable-baselines3 does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.ml.env import EnvConfig
from sim.ml.models import OnnxFunction, export_onnx, fit_garch, rl_actor, train_mlp, train_rl


def test_garch_fit_recovers_the_parameters_of_a_simulated_series() -> None:
    rng = np.random.default_rng(3)
    omega, alpha, beta = 2e-8, 0.1, 0.85  # per-slot variance ~4e-7: about 6 bps a slot
    var, r = omega / (1 - alpha - beta), []
    for _ in range(10_000):
        x = rng.normal(0, np.sqrt(var))
        r.append(x)
        var = omega + alpha * x * x + beta * var
    g = fit_garch(np.asarray(r))
    assert g.alpha == pytest.approx(alpha, abs=0.03) and g.beta == pytest.approx(beta, abs=0.05)
    assert g.omega / (1 - g.alpha - g.beta) == pytest.approx(omega / (1 - alpha - beta), rel=0.2)


def test_mlp_training_is_deterministic_by_seed() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 6)).astype(np.float32)
    y = x[:, 0] - 0.5 * x[:, 3]
    first, again, other = (train_mlp(x, y, s, epochs=5) for s in (7, 7, 8))
    same = [np.array_equal(a.detach().numpy(), b.detach().numpy()) for a, b in zip(first.parameters(), again.parameters())]
    diff = [np.array_equal(a.detach().numpy(), b.detach().numpy()) for a, b in zip(first.parameters(), other.parameters())]
    assert all(same) and not all(diff)


@pytest.mark.parametrize("algo", ["ppo", pytest.param("sac", marks=pytest.mark.slow)])
def test_the_rl_policy_s_onnx_export_acts_as_stable_baselines3_does(algo: str, tmp_path: Path) -> None:
    cfg = EnvConfig(episode_slots=32, warmup_slots=4)
    model = train_rl(cfg, algo, 64 if algo == "ppo" else 120, seed=0, n_steps=32)
    path = export_onnx(rl_actor(model), cfg.obs_size, tmp_path / f"{algo}.onnx", output_name="action")
    obs = np.random.default_rng(1).uniform(-3, 3, (20, cfg.obs_size)).astype(np.float32)
    run = OnnxFunction(path)
    for o in obs:
        want, _ = model.predict(o, deterministic=True)
        assert np.allclose(run(o), want, atol=1e-5)
