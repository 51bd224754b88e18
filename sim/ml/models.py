"""The models of learned strategies: GARCH(1,1) volatility (``arch``), short-horizon return from order-flow
features (LightGBM; a torch MLP), PPO/SAC quoting policies (stable-baselines3), and their ONNX exports.

Every training import goes through ``sim.ml.require`` (the ``ml`` extra). Training is seeded and single
threaded, so a seed gives the same model. ONNX is what the bots run (``keepers.strategies.policy``): the
MLP exports with its input standardisation inside the graph; a PPO policy exports its deterministic action
(the Gaussian's mean, clipped to [-1, 1]). LightGBM has no ONNX export here (onnxmltools is not in the
lock): it is an offline signal, evaluated in the simulator like the others but not deployable to a bot.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.ml import require
from sim.ml.strategies import GarchVolatility

RETURN_SCALE = 1e4  # arch fits returns in bps: per-slot log returns are too small for its optimiser


# -- GARCH(1,1) -----------------------------------------------------------------------------------------
def fit_garch(returns: np.ndarray) -> GarchVolatility:
    """Fit GARCH(1,1) (zero mean, normal) to per-slot log returns; return the recursion in per-slot units."""
    arch = require("arch")
    r = np.asarray(returns, dtype=np.float64) * RETURN_SCALE
    with warnings.catch_warnings():  # the optimiser's convergence chatter; the fit is checked below
        warnings.simplefilter("ignore")
        res = arch.arch_model(r, mean="Zero", vol="GARCH", p=1, q=1, dist="normal", rescale=False).fit(disp="off")
    p = res.params
    if not np.all(np.isfinite(p.to_numpy())) or p["alpha[1]"] + p["beta[1]"] >= 1:
        raise ValueError(f"GARCH(1,1) fit is not stationary: {dict(p)}")
    return GarchVolatility(float(p["omega"]) / RETURN_SCALE**2, float(p["alpha[1]"]), float(p["beta[1]"]))


# -- LightGBM -------------------------------------------------------------------------------------------
def train_lightgbm(x: np.ndarray, y: np.ndarray, seed: int, rounds: int = 200, leaves: int = 15) -> Any:
    """A LightGBM regressor of ``y`` on ``x`` (deterministic for a seed)."""
    lgb = require("lightgbm")
    params = {"objective": "regression", "num_leaves": leaves, "learning_rate": 0.05, "min_data_in_leaf": 20,
              "seed": seed, "deterministic": True, "force_row_wise": True, "num_threads": 1, "verbose": -1}
    return lgb.train(params, lgb.Dataset(x, y), num_boost_round=rounds)


def lightgbm_signal(booster: Any) -> Callable[[np.ndarray], float]:
    """The booster as a signal (one feature vector -> forecast)."""
    return lambda x: float(booster.predict(np.asarray(x, dtype=np.float64).reshape(1, -1), num_threads=1)[0])


# -- torch MLP ------------------------------------------------------------------------------------------
def make_mlp(n_features: int, mean: np.ndarray, std: np.ndarray, hidden: int = 32) -> Any:
    """A two-layer tanh MLP whose first operation standardises its input with ``mean``/``std`` (kept in the
    module, hence in its ONNX export)."""
    torch = require("torch")
    nn = torch.nn

    class Standardised(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
            self.register_buffer("scale", torch.tensor(1.0 / np.maximum(std, 1e-6), dtype=torch.float32))
            self.net = nn.Sequential(nn.Linear(n_features, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                                     nn.Linear(hidden, 1))

        def forward(self, x: Any) -> Any:
            return self.net((x - self.mean) * self.scale)

    return Standardised()


def train_mlp(x: np.ndarray, y: np.ndarray, seed: int, epochs: int = 60, hidden: int = 32, lr: float = 3e-3,
              batch: int = 256) -> Any:
    """Train the MLP on (``x``, ``y``) with Adam on the mean squared error (seeded, one thread)."""
    torch = require("torch")
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32).reshape(-1, 1)
    model = make_mlp(x.shape[1], x.mean(axis=0), x.std(axis=0), hidden)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(xt), generator=gen)
        for i in range(0, len(xt), batch):
            idx = order[i:i + batch]
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    return model.eval()


def torch_signal(model: Any) -> Callable[[np.ndarray], float]:
    """A torch regressor as a signal (one feature vector -> forecast)."""
    torch = require("torch")

    def signal(x: np.ndarray) -> float:
        with torch.no_grad():
            return float(model(torch.from_numpy(np.asarray(x, dtype=np.float32).reshape(1, -1)))[0, 0])

    return signal


def export_onnx(module: Any, n_inputs: int, path: Path, input_name: str = "features", output_name: str = "output") -> Path:
    """Export a torch module of input (batch, ``n_inputs``) to ONNX with a dynamic batch dimension."""
    torch = require("torch")
    require("onnxscript")
    logging.getLogger("torch.onnx._internal.exporter._registration").setLevel(logging.ERROR)  # torchvision absent
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    example = torch.zeros((2, n_inputs), dtype=torch.float32)
    batch = torch.export.Dim("batch", min=1, max=1 << 20)
    program = torch.onnx.export(module, (example,), dynamo=True, input_names=[input_name],
                                output_names=[output_name], dynamic_shapes=({0: batch},), verbose=False)
    program.save(str(path), external_data=False)  # one self-contained file: the bots load models from bytes
    return path


# -- reinforcement learning -----------------------------------------------------------------------------
def train_rl(env_config: Any, algo: str, timesteps: int, seed: int, n_steps: int = 256) -> Any:
    """A PPO or SAC agent (stable-baselines3, ``MlpPolicy``) trained ``timesteps`` steps on the environment."""
    sb3 = require("stable_baselines3")
    torch = require("torch")
    from sim.ml.env import PerpEnv

    torch.set_num_threads(1)
    env = PerpEnv(env_config)
    env.reset(seed=seed)
    if algo == "ppo":
        model = sb3.PPO("MlpPolicy", env, seed=seed, n_steps=n_steps, batch_size=64, learning_rate=3e-4,
                        policy_kwargs={"net_arch": [64, 64]}, verbose=0, device="cpu")
    elif algo == "sac":
        model = sb3.SAC("MlpPolicy", env, seed=seed, learning_starts=min(200, timesteps // 2), batch_size=64,
                        policy_kwargs={"net_arch": [64, 64]}, verbose=0, device="cpu")
    else:
        raise ValueError(f"algo must be ppo or sac, got {algo!r}")
    return model.learn(total_timesteps=timesteps)


def rl_actor(model: Any) -> Any:
    """The deterministic actor of a PPO or SAC model as a torch module: observation -> action in [-1, 1]."""
    torch = require("torch")
    policy = model.policy

    class Actor(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.policy = policy

        def forward(self, obs: Any) -> Any:
            if hasattr(self.policy, "actor"):  # SAC: the squashed Gaussian's mean, tanh(mu) (written out:
                actor = self.policy.actor  # the distribution's own path does not trace for export)
                latent = actor.latent_pi(actor.extract_features(obs, actor.features_extractor))
                return torch.tanh(actor.mu(latent))
            features = self.policy.extract_features(obs, self.policy.pi_features_extractor)
            latent = self.policy.mlp_extractor.forward_actor(features)
            return torch.clamp(self.policy.action_net(latent), -1.0, 1.0)

    return Actor().eval()


def module_fn(module: Any) -> Callable[[np.ndarray], np.ndarray]:
    """A torch module as a numpy function of one input row."""
    torch = require("torch")

    def fn(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return module(torch.from_numpy(np.asarray(x, dtype=np.float32).reshape(1, -1)))[0].numpy()

    return fn


@dataclass(frozen=True)
class OnnxFunction:
    """An exported model run with onnxruntime as a numpy function of one row (what the bots run)."""

    path: Path

    def __post_init__(self) -> None:
        import onnxruntime as ort

        session = ort.InferenceSession(str(self.path), providers=["CPUExecutionProvider"])
        object.__setattr__(self, "session", session)
        object.__setattr__(self, "name", session.get_inputs()[0].name)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        row = np.asarray(x, dtype=np.float32).reshape(1, -1)
        return self.session.run(None, {self.name: row})[0][0]  # type: ignore[attr-defined]


__all__ = ["OnnxFunction", "export_onnx", "fit_garch", "lightgbm_signal", "make_mlp", "module_fn", "rl_actor",
           "torch_signal", "train_lightgbm", "train_mlp", "train_rl"]
