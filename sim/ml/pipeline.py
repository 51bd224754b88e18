"""The training pipeline of ``perpkeep ml train CONFIG``: simulate, train, evaluate, track, register.

A config (``sim/ml/configs/sample.toml`` documents every key) names the environment, the price regimes and
the train/validation/test splits as (seed, regime) episodes. ``train(config)``:

1. simulates the splits' episodes with the analytic Avellaneda-Stoikov maker (the directional agent stays
   flat) and turns them into signal features and forward-return targets (``sim.ml.dataset``);
2. fits GARCH(1,1) on the training returns: the GARCH-signal baseline is the A-S maker with that variance;
3. for each training seed trains each configured model: ``mlp`` and ``lightgbm`` forecast the forward
   return (a signal that moves the A-S maker's fair price, or sets the directional agent's position),
   ``ppo``/``sac`` learn the maker's quotes directly;
4. scores every model on the validation episodes (Sharpe of the episodes' PnL, mean over training seeds)
   and picks the best: the ensemble switches by validation Sharpe;
5. runs the pick for each training seed on the test episodes and compares it, episode by episode, with
   each baseline (the A-S maker and the GARCH baseline; for the directional agent, staying flat) by a
   one-sided paired t-test (``scipy.stats.ttest_rel``): the model passes only if it beats every baseline
   at ``alpha``. Figures are reported as mean +- std over the training seeds;
6. logs parameters, metrics and artefacts to MLflow (default: a SQLite store in the output folder) and,
   when the pick exports to ONNX, registers it as a new version of ``model_name`` with the alias
   ``candidate`` and the tag ``evaluation_passed``; ``perpkeep ml promote`` (``sim.ml.registry``) moves
   ``champion`` only to a version that passed.

The leak test (``sim/ml/configs/leak.toml``) runs the same pipeline with a feature that leaks the future:
it must pass, or the pipeline cannot learn at all.
"""

from __future__ import annotations

import json
import logging
import math
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from keepers.strategies.features import FEATURE_NAMES
from sim.ml import require
from sim.ml.dataset import Dataset, dataset, psi_reference
from sim.ml.env import EnvConfig
from sim.ml.strategies import ActionPolicy, AvellanedaStoikovMaker, Episode, GarchVolatility, Policy, SignalTrader, run_episode

log = logging.getLogger("perpkeep.ml")
SIGNAL_MODELS = ("mlp", "lightgbm")
RL_MODELS = ("ppo", "sac")
DEPLOYABLE = ("mlp", "ppo", "sac")  # LightGBM has no ONNX export in the lock


class PipelineConfigError(ValueError):
    """A training config is invalid (the message names the key)."""


@dataclass(frozen=True)
class Split:
    """Episodes of one split: every seed in every regime."""

    seeds: tuple[int, ...]
    regimes: tuple[str, ...]

    def episodes(self) -> list[tuple[int, str]]:
        return [(s, r) for r in self.regimes for s in self.seeds]


@dataclass(frozen=True)
class TrainConfig:
    """A parsed training config (see ``sim/ml/configs/sample.toml``)."""

    name: str
    model_name: str
    out_dir: Path
    tracking_uri: str | None
    env: EnvConfig
    horizon_slots: int
    regimes: dict[str, dict[str, Any] | None]
    splits: dict[str, Split]
    seeds: tuple[int, ...]
    models: tuple[str, ...]
    model_params: dict[str, dict[str, Any]]
    alpha: float
    signal_scale_bps: float
    shuffle_targets: bool
    source: dict[str, Any] = field(default_factory=dict)

    @property
    def features(self) -> tuple[str, ...]:
        return FEATURE_NAMES + (("leak_future_return",) if self.env.leak_slots > 0 else ())

    def env_for(self, regime: str) -> EnvConfig:
        price = self.regimes[regime]
        return replace(self.env, price=price) if price is not None else self.env


def _get(doc: dict[str, Any], dotted: str, default: Any = ..., kind: type | tuple[type, ...] = object) -> Any:
    node: Any = doc
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            if default is ...:
                raise PipelineConfigError(f"{dotted}: missing")
            return default
        node = node[part]
    if not isinstance(node, kind):
        raise PipelineConfigError(f"{dotted}: expected {kind}, got {node!r}")
    return node


def load_config(path: Path | str, out_dir: Path | None = None, tracking_uri: str | None = None) -> TrainConfig:
    """Read and check a training config; ``out_dir``/``tracking_uri`` override the file's."""
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise PipelineConfigError(f"{path}: {e}") from e
    base = path.parent
    env_doc = dict(_get(doc, "env", {}, dict))
    horizon = int(env_doc.pop("horizon_slots", 5))
    scenario = env_doc.pop("scenario", None)
    known = set(EnvConfig.__dataclass_fields__) - {"scenario", "price"}
    unknown = set(env_doc) - known
    if unknown:
        raise PipelineConfigError(f"env.{sorted(unknown)[0]}: unknown key")
    try:
        env = EnvConfig(**env_doc, **({"scenario": str((base / scenario).resolve())} if scenario else {}))
    except (TypeError, ValueError) as e:
        raise PipelineConfigError(f"env: {e}") from e
    regimes = {name: (dict(v["price"]) if isinstance(v, dict) and "price" in v else None)
               for name, v in _get(doc, "regimes", {"default": {}}, dict).items()}
    splits = {}
    for s in ("train", "validation", "test"):
        seeds = tuple(int(x) for x in _get(doc, f"split.{s}.seeds", kind=list))
        names = tuple(_get(doc, f"split.{s}.regimes", list(regimes), list))
        if not seeds:
            raise PipelineConfigError(f"split.{s}.seeds: empty")
        for r in names:
            if r not in regimes:
                raise PipelineConfigError(f"split.{s}.regimes: unknown regime {r!r}")
        splits[s] = Split(seeds, names)
    for a, b in (("train", "validation"), ("train", "test"), ("validation", "test")):
        if set(splits[a].seeds) & set(splits[b].seeds):
            raise PipelineConfigError(f"split.{a}.seeds and split.{b}.seeds share seeds")
    models = tuple(_get(doc, "train.models", ["mlp"], list))
    for m in models:
        if m not in SIGNAL_MODELS + RL_MODELS:
            raise PipelineConfigError(f"train.models: unknown model {m!r}")
        if env.agent == "directional" and m in RL_MODELS:
            raise PipelineConfigError(f"train.models: {m} learns the maker only")
    out = out_dir or Path(_get(doc, "experiment.out_dir", "out/ml", str)).resolve()  # like sim run --out: from here
    return TrainConfig(
        name=_get(doc, "experiment.name", path.stem, str),
        model_name=_get(doc, "experiment.model_name", "perpkeep-" + path.stem, str),
        out_dir=Path(out), tracking_uri=tracking_uri or _get(doc, "experiment.tracking_uri", None, str) or None,
        env=env, horizon_slots=horizon, regimes=regimes, splits=splits,
        seeds=tuple(int(s) for s in _get(doc, "train.seeds", [0], list)), models=models,
        model_params={m: dict(_get(doc, f"train.{m}", {}, dict)) for m in models},
        alpha=float(_get(doc, "evaluation.alpha", 0.05, (int, float))),
        signal_scale_bps=float(_get(doc, "evaluation.signal_scale_bps", 5.0, (int, float))),
        shuffle_targets=bool(_get(doc, "train.shuffle_targets", False, bool)), source=doc)


def default_tracking_uri(out_dir: Path) -> str:
    """The embedded store: SQLite in the output folder."""
    return f"sqlite:///{(Path(out_dir) / 'mlflow.db').resolve()}"


# -- strategies -----------------------------------------------------------------------------------------
def baseline_policies(cfg: TrainConfig, garch: GarchVolatility) -> dict[str, Callable[[], Policy]]:
    """The analytic baselines a model must beat."""
    if cfg.env.agent == "directional":
        return {"flat": lambda: SignalTrader(lambda x: 0.0)}
    g = (garch.omega, garch.alpha, garch.beta)
    return {"avellaneda_stoikov": AvellanedaStoikovMaker,
            "garch": lambda: AvellanedaStoikovMaker(volatility=lambda: GarchVolatility(*g))}


def signal_policy(cfg: TrainConfig, signal: Callable[[np.ndarray], float]) -> Policy:
    """The strategy a return signal drives: the A-S maker's fair price, or the directional position."""
    if cfg.env.agent == "directional":
        return SignalTrader(signal, scale_bps=cfg.signal_scale_bps)
    return AvellanedaStoikovMaker(signal=signal)


def run_split(cfg: TrainConfig, make: Callable[[], Policy], split: str) -> list[Episode]:
    """Every episode of ``split`` with a fresh policy from ``make``."""
    return [run_episode(cfg.env_for(r), make(), s, r) for s, r in cfg.splits[split].episodes()]


def sharpe(totals: np.ndarray) -> float:
    """Mean over standard deviation of the episodes' PnL (0 when they do not vary)."""
    sd = float(np.std(totals, ddof=1)) if len(totals) > 1 else 0.0
    return float(np.mean(totals)) / sd if sd > 0 else 0.0


def paired_test(model: np.ndarray, baseline: np.ndarray) -> dict[str, float]:
    """One-sided paired t-test that ``model``'s episode PnL exceeds ``baseline``'s on the same episodes."""
    stats = require("scipy.stats")
    diff = np.asarray(model) - np.asarray(baseline)
    if np.allclose(diff, diff[0]):  # no variance: the test is undefined, decide on the sign alone
        return {"mean_diff": float(diff.mean()), "t": math.inf if diff[0] > 0 else -math.inf,
                "p_value": 0.0 if diff[0] > 0 else 1.0}
    res = stats.ttest_rel(model, baseline, alternative="greater")
    return {"mean_diff": float(diff.mean()), "t": float(res.statistic), "p_value": float(res.pvalue)}


# -- the run --------------------------------------------------------------------------------------------
@dataclass
class Trained:
    """One model trained with one seed: its strategy factory and, when deployable, what exports to ONNX."""

    kind: str
    seed: int
    make: Callable[[], Policy]
    module: Any = None  # torch module exported to ONNX
    inputs: int = 0
    validation: list[float] = field(default_factory=list)


@dataclass
class Report:
    """What a training run found (written as report.json and logged to MLflow)."""

    config: str
    features: list[str]
    baselines: dict[str, dict[str, float]]
    candidates: dict[str, dict[str, Any]]
    selected: str
    tests: dict[str, dict[str, float]]
    passed: bool
    test_mean: float
    test_std: float
    seconds: float
    run_id: str | None = None
    model_version: str | None = None
    onnx_path: str | None = None
    onnx_max_error: float | None = None

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, default=float)


def _train_models(cfg: TrainConfig, data: Dataset) -> list[Trained]:
    from sim.ml import models as M

    y = data.y
    if cfg.shuffle_targets:  # the negative control: targets unrelated to the features
        y = np.random.default_rng(0).permutation(y)
    out = []
    for seed in cfg.seeds:
        for kind in cfg.models:
            p = cfg.model_params.get(kind, {})
            if kind == "mlp":
                net = M.train_mlp(data.x, y, seed, epochs=int(p.get("epochs", 40)), hidden=int(p.get("hidden", 32)))
                sig = M.torch_signal(net)
                out.append(Trained(kind, seed, lambda sig=sig: signal_policy(cfg, sig), net, data.x.shape[1]))
            elif kind == "lightgbm":
                booster = M.train_lightgbm(data.x, y, seed, rounds=int(p.get("rounds", 200)))
                sig = M.lightgbm_signal(booster)
                out.append(Trained(kind, seed, lambda sig=sig: signal_policy(cfg, sig)))
            else:
                agent = M.train_rl(cfg.env_for(cfg.splits["train"].regimes[0]), kind, int(p.get("timesteps", 2048)), seed)
                actor = M.rl_actor(agent)
                fn = M.module_fn(actor)
                out.append(Trained(kind, seed, lambda fn=fn: ActionPolicy(fn), actor, cfg.env.obs_size))
    return out


def train(cfg: TrainConfig) -> Report:
    """Run the pipeline (module docstring) and return its report; see ``Report.passed`` for the verdict."""
    from sim.ml.models import export_onnx, fit_garch

    started = time.perf_counter()
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    reference_maker = (lambda: SignalTrader(lambda x: 0.0)) if cfg.env.agent == "directional" else AvellanedaStoikovMaker
    train_eps = run_split(cfg, reference_maker, "train")
    data = dataset(train_eps, cfg.horizon_slots)
    garch = fit_garch(data.returns)
    baselines = baseline_policies(cfg, garch)
    trained = _train_models(cfg, data)

    # validation: the ensemble switches to the model kind of the best Sharpe (mean over training seeds)
    candidates: dict[str, dict[str, Any]] = {}
    for t in trained:
        t.validation = [e.total for e in run_split(cfg, t.make, "validation")]
    for kind in cfg.models:
        ts = [t for t in trained if t.kind == kind]
        sharpes = [sharpe(np.asarray(t.validation)) for t in ts]
        candidates[kind] = {"validation_sharpe_mean": float(np.mean(sharpes)), "validation_sharpe_std": float(np.std(sharpes)),
                            "validation_pnl_mean": float(np.mean([np.mean(t.validation) for t in ts]))}
    selected = max(cfg.models, key=lambda k: (candidates[k]["validation_sharpe_mean"], -cfg.models.index(k)))

    # test: the pick for every training seed against every baseline, paired by episode
    picks = [t for t in trained if t.kind == selected]
    test_runs = {t.seed: run_split(cfg, t.make, "test") for t in picks}
    per_seed = np.asarray([[e.total for e in test_runs[t.seed]] for t in picks])
    model_pnl = per_seed.mean(axis=0)
    base_pnl = {name: np.asarray([e.total for e in run_split(cfg, make, "test")]) for name, make in baselines.items()}
    tests = {name: paired_test(model_pnl, b) for name, b in base_pnl.items()}
    passed = all(t["p_value"] < cfg.alpha and t["mean_diff"] > 0 for t in tests.values())
    seed_means = per_seed.mean(axis=1)
    report = Report(
        config=cfg.name, features=list(cfg.features),
        baselines={n: {"test_pnl_mean": float(b.mean()), "test_sharpe": sharpe(b)} for n, b in base_pnl.items()},
        candidates=candidates, selected=selected, tests=tests, passed=passed,
        test_mean=float(seed_means.mean()), test_std=float(seed_means.std()), seconds=0.0)
    for i, t in enumerate(picks):
        candidates[selected][f"test_pnl_seed_{t.seed}"] = float(seed_means[i])

    best = max(picks, key=lambda t: sharpe(np.asarray(t.validation)))
    onnx_path = None
    if selected in DEPLOYABLE and best.module is not None:
        onnx_path = export_onnx(best.module, best.inputs, cfg.out_dir / f"{selected}.onnx",
                                output_name="signal" if selected in SIGNAL_MODELS else "action")
        report.onnx_path = str(onnx_path)
        report.onnx_max_error = _onnx_error(best.module, onnx_path, data.x if selected in SIGNAL_MODELS else None,
                                            best.inputs)
    test_eps = test_runs[best.seed]
    reference = {"features": psi_reference(data.x, cfg.features) if selected in SIGNAL_MODELS else {},
                 "pnl_per_slot_mean": float(np.mean([e.pnl.mean() for e in test_eps])),
                 "pnl_per_slot_std": float(np.mean([e.pnl.std() for e in test_eps]))}
    report.seconds = time.perf_counter() - started
    _track(cfg, report, reference, onnx_path, selected)
    (cfg.out_dir / "report.json").write_text(report.to_json())
    return report


def _onnx_error(module: Any, path: Path, x: np.ndarray | None, inputs: int) -> float:
    """Largest absolute difference between the torch module and its ONNX export on real (or random) inputs."""
    from sim.ml.models import OnnxFunction

    torch = require("torch")
    rows = x[:256] if x is not None else np.random.default_rng(0).normal(size=(256, inputs)).astype(np.float32)
    with torch.no_grad():
        want = module(torch.from_numpy(np.asarray(rows, dtype=np.float32))).numpy()
    got = np.vstack([OnnxFunction(path)(r) for r in rows])
    return float(np.max(np.abs(want.reshape(got.shape) - got)))


def _flat(prefix: str, value: Any, out: dict[str, Any]) -> dict[str, Any]:
    if isinstance(value, dict):
        for k, v in value.items():
            _flat(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out[prefix] = value
    return out


def _track(cfg: TrainConfig, report: Report, reference: dict[str, Any], onnx_path: Path | None, selected: str) -> None:
    """Log the run to MLflow and register the pick (alias ``candidate``)."""
    from sim.ml.registry import client_for, experiment_id

    mlflow = require("mlflow")
    uri = cfg.tracking_uri or default_tracking_uri(cfg.out_dir)
    client = client_for(uri)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    exp = experiment_id(client, cfg.name, cfg.out_dir)
    with mlflow.start_run(experiment_id=exp) as run:
        params = {k: str(v)[:250] for k, v in _flat("", cfg.source, {}).items()}
        mlflow.log_params(params)
        metrics = {"passed": float(report.passed), "test_pnl_mean": report.test_mean, "test_pnl_std": report.test_std,
                   "seconds": report.seconds}
        for kind, c in report.candidates.items():
            metrics.update({f"{kind}.{k}": float(v) for k, v in c.items()})
        for name, t in report.tests.items():
            metrics.update({f"vs_{name}.{k}": float(v) for k, v in t.items() if math.isfinite(v)})
        for name, b in report.baselines.items():
            metrics.update({f"baseline.{name}.{k}": float(v) for k, v in b.items()})
        if report.onnx_max_error is not None:
            metrics["onnx_max_error"] = report.onnx_max_error
        mlflow.log_metrics(metrics)
        mlflow.log_text(json.dumps(reference), "reference.json")
        mlflow.log_text(report.to_json(), "report.json")
        mlflow.set_tags({"selected": selected, "passed": str(report.passed).lower()})
        report.run_id = run.info.run_id
        if onnx_path is not None:
            onnx = require("onnx")
            info = mlflow.onnx.log_model(onnx.load(str(onnx_path)), name="model", registered_model_name=cfg.model_name,
                                         save_as_external_data=False)
            version = str(info.registered_model_version)
            tags = {"evaluation_passed": str(report.passed).lower(), "kind": selected, "run_id": run.info.run_id,
                    "features": json.dumps(list(cfg.features) if selected in SIGNAL_MODELS else cfg.env.feature_names()),
                    "outputs": "1" if selected in SIGNAL_MODELS else str(4 if cfg.env.agent == "maker" else 1)}
            for k, v in tags.items():
                client.set_model_version_tag(cfg.model_name, version, k, v)
            client.set_registered_model_alias(cfg.model_name, "candidate", version)
            report.model_version = version


__all__ = ["PipelineConfigError", "Report", "Split", "TrainConfig", "default_tracking_uri", "load_config",
           "paired_test", "sharpe", "train"]
