"""Learned-strategy figures: environment steps per second per core and on 2 cores, inference latency per
decision, wall time of the sample training config.

1. Steps/s of ``sim.ml.env.PerpEnv`` (the maker agent, random actions, the real program in LiteSVM with the
   background traders of ``sim/ml/configs/market.toml``): one process stepping one environment (per core;
   resets counted separately), then gymnasium's ``AsyncVectorEnv`` with 1 and 2 subprocess workers over
   the same number of steps per worker, and the speedup of 2 workers over 1 in wall time; on a machine
   other jobs share, also each worker's steps per CPU second (the speedup two free cores would give).
   Goal: >= 500 steps/s per core.
2. Latency of one decision as the market maker makes it: the signal features of the slot
   (``keepers.strategies.features``) and the champion's forecast through ``PolicyRunner.decide``
   (onnxruntime, one row), for an MLP signal (6 features) and a PPO quoting policy (the environment's 19
   observations), p50 and p99 over ``--decisions`` calls after a warm-up. Goal: p99 < 200 us.
3. Wall time of ``perpkeep ml train sim/ml/configs/sample.toml`` (``--skip-train`` leaves it out).

Run: python -m benchmarks.ml [--steps 2000] [--decisions 20000] [--skip-train]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from pathlib import Path

import numpy as np

STEPS_GOAL = 500.0
LATENCY_GOAL_P99_US = 200.0
ROOT = Path(__file__).resolve().parents[1]


def env_steps_per_second(steps: int, episode_slots: int = 256) -> dict[str, float]:
    """Steps/s of one environment in this process (without and with its resets)."""
    from sim.ml.env import EnvConfig, PerpEnv

    env = PerpEnv(EnvConfig(episode_slots=episode_slots))
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1, 1, (steps, 4)).astype(np.float32)
    env.reset(seed=1)  # builds the program once per process: not charged
    step_time = reset_time = 0.0
    resets = 0
    t = time.perf_counter()
    for a in actions:
        _, _, term, trunc, _ = env.step(a)
        if term or trunc:
            r = time.perf_counter()
            env.reset()
            reset_time += time.perf_counter() - r
            resets += 1
    total = time.perf_counter() - t
    step_time = total - reset_time
    return {"steps_per_s": steps / step_time, "steps_per_s_with_resets": steps / total,
            "reset_s": reset_time / resets if resets else float("nan")}


class _Timed:
    """Wraps an environment in a worker with a way to read the worker's CPU time (``AsyncVectorEnv.call``)."""

    def __new__(cls, config: object) -> object:
        import gymnasium as gym

        from sim.ml.env import make_env

        class Timed(gym.Wrapper):
            def cpu_seconds(self) -> float:
                return time.process_time()

        return Timed(make_env(config))  # type: ignore[arg-type]


def vector_steps_per_second(workers: int, steps: int) -> tuple[float, float]:
    """Total steps/s of an ``AsyncVectorEnv`` of ``workers`` subprocess environments (resets included), and
    the steps per CPU second of a worker (what a worker does on a core of its own, whatever else runs)."""
    import functools

    from gymnasium.vector import AsyncVectorEnv

    from sim.ml.env import EnvConfig

    vec = AsyncVectorEnv([functools.partial(_Timed, EnvConfig(episode_slots=256))] * workers, context="spawn")
    try:
        vec.reset(seed=list(range(workers)))
        rng = np.random.default_rng(0)
        for _ in range(20):  # warm up the workers
            vec.step(rng.uniform(-1, 1, (workers, 4)).astype(np.float32))
        cpu0 = vec.call("cpu_seconds")
        t = time.perf_counter()
        for _ in range(steps):
            vec.step(rng.uniform(-1, 1, (workers, 4)).astype(np.float32))
        wall = time.perf_counter() - t
        cpu = [b - a for a, b in zip(cpu0, vec.call("cpu_seconds"))]
        return workers * steps / wall, steps / (sum(cpu) / workers)
    finally:
        vec.close()


def _deploy(folder: Path, model: Path, features: list[str], outputs: int) -> None:
    doc = {"model": model.name, "version": 1, "sha256": hashlib.sha256(model.read_bytes()).hexdigest(),
           "features": features, "outputs": outputs, "reference": {}}
    (folder / "champion.json").write_text(json.dumps(doc))


def decision_latency(decisions: int) -> dict[str, dict[str, float]]:
    """p50/p99 (us) of one decision: features + ``PolicyRunner.decide``, for an MLP signal and a PPO policy."""
    from keepers.strategies.features import FEATURE_NAMES, SignalFeatures
    from keepers.strategies.policy import PolicyRunner
    from sim.ml.env import EnvConfig
    from sim.ml.models import export_onnx, make_mlp, rl_actor, train_rl

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        n = len(FEATURE_NAMES)
        mlp = make_mlp(n, np.zeros(n), np.ones(n)).eval()
        (folder / "mlp").mkdir()
        _deploy(folder / "mlp", export_onnx(mlp, n, folder / "mlp" / "m.onnx", output_name="signal"), list(FEATURE_NAMES), 1)
        cfg = EnvConfig(episode_slots=64)
        agent = train_rl(cfg, "ppo", 64, 0, n_steps=64)
        (folder / "ppo").mkdir()
        _deploy(folder / "ppo", export_onnx(rl_actor(agent), cfg.obs_size, folder / "ppo" / "m.onnx", output_name="action"),
                cfg.feature_names(), 4)
        rng = np.random.default_rng(0)
        for name, features, outputs in (("mlp_signal", tuple(FEATURE_NAMES), 1), ("ppo_policy", tuple(cfg.feature_names()), 4)):
            runner = PolicyRunner(folder / name.split("_")[0], features, outputs)
            runner.refresh()
            assert runner.champion.model is not None, runner.champion.refused
            feats = SignalFeatures()
            prices = 150.0 * np.exp(np.cumsum(rng.normal(0, 1e-3, decisions + 100)))
            obs = rng.normal(0, 1, (decisions + 100, len(features))).astype(np.float32)
            times = np.empty(decisions + 100)
            for i in range(decisions + 100):
                t = time.perf_counter_ns()
                feats.update(float(prices[i]), i)
                x = feats.vector(0.1, 1.5) if name == "mlp_signal" else obs[i]
                runner.decide(x)
                times[i] = time.perf_counter_ns() - t
            us = times[100:] / 1e3
            out[name] = {"p50_us": float(np.percentile(us, 50)), "p99_us": float(np.percentile(us, 99))}
    return out


def sample_training_wall_s() -> tuple[float, dict[str, object]]:
    """Wall seconds of the sample training config, in a temporary output folder, and its verdict."""
    from sim.ml.pipeline import load_config, train

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        report = train(load_config(ROOT / "sim" / "ml" / "configs" / "sample.toml", out_dir=Path(tmp)))
        wall = time.perf_counter() - t
    return wall, {"selected": report.selected, "passed": report.passed,
                  "test_pnl": f"{report.test_mean:.1f} +- {report.test_std:.1f}"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=2000, help="environment steps per measurement (default 2000)")
    parser.add_argument("--decisions", type=int, default=20000, help="decisions timed (default 20000)")
    parser.add_argument("--skip-train", action="store_true", help="leave out the sample training config")
    args = parser.parse_args(argv)

    one = env_steps_per_second(args.steps)
    print(f"env, one process:      {one['steps_per_s']:8.0f} steps/s per core (goal >= {STEPS_GOAL:.0f}); "
          f"{one['steps_per_s_with_resets']:.0f} with resets of 256-slot episodes ({one['reset_s'] * 1e3:.0f} ms a reset)")
    v1, c1 = vector_steps_per_second(1, args.steps // 2)
    v2, c2 = vector_steps_per_second(2, args.steps // 2)
    print(f"AsyncVectorEnv:        1 worker {v1:8.0f} steps/s, 2 workers {v2:8.0f} steps/s, speedup {v2 / v1:.2f}x wall; "
          f"per worker CPU second {c1:.0f} and {c2:.0f} steps (bound on 2 free cores: {2 * c2 / c1:.2f}x)")
    for name, f in decision_latency(args.decisions).items():
        ok = "ok" if f["p99_us"] < LATENCY_GOAL_P99_US else "over the goal"
        print(f"decision ({name:10s}): p50 {f['p50_us']:6.1f} us, p99 {f['p99_us']:6.1f} us "
              f"(goal p99 < {LATENCY_GOAL_P99_US:.0f} us: {ok})")
    if not args.skip_train:
        wall, verdict = sample_training_wall_s()
        print(f"sample training config: {wall:.1f} s wall ({verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
