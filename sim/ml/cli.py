"""`perpkeep ml`: train, promote, rollback and shadow learned strategies (``sim.ml``).

Mounted by ``perpkeep_cli``; the training stack is imported only when a command runs, and a missing one
says how to install it (``bash lock/install.sh ml``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from keepers.cli import CliError, Mount
from sim.ml import MissingTrainingStack

DEFAULT_DEPLOY = Path("models/market_maker")


def _uri(args: argparse.Namespace) -> str:
    from sim.ml.pipeline import default_tracking_uri

    return args.tracking_uri or default_tracking_uri(args.out)


def _cmd_train(args: argparse.Namespace) -> int:
    from sim.ml.pipeline import PipelineConfigError, load_config, train

    try:
        cfg = load_config(args.config, out_dir=args.out, tracking_uri=args.tracking_uri)
        report = train(cfg)
    except PipelineConfigError as e:
        raise CliError(str(e)) from e
    except MissingTrainingStack as e:
        raise CliError(str(e)) from e
    for name, b in report.baselines.items():
        print(f"baseline {name:20s} test PnL/episode {b['test_pnl_mean']:12,.2f}  Sharpe {b['test_sharpe']:6.2f}")
    for kind, c in report.candidates.items():
        print(f"model    {kind:20s} validation Sharpe {c['validation_sharpe_mean']:6.2f} +- {c['validation_sharpe_std']:.2f}")
    print(f"selected {report.selected}: test PnL/episode {report.test_mean:,.2f} +- {report.test_std:,.2f} "
          f"over {len(cfg.seeds)} training seeds")
    for name, t in report.tests.items():
        print(f"  vs {name}: mean difference {t['mean_diff']:,.2f}, paired t {t['t']:.2f}, p {t['p_value']:.4f}")
    verdict = "PASSED: may be promoted" if report.passed else f"FAILED: not better than every baseline at alpha {cfg.alpha}"
    print(f"{verdict}; registered as {cfg.model_name} version {report.model_version} (alias candidate)"
          if report.model_version else f"{verdict}; {report.selected} is not deployable (no ONNX export)")
    print(f"report: {cfg.out_dir / 'report.json'}; MLflow: {cfg.tracking_uri or 'sqlite store in ' + str(cfg.out_dir)}")
    return 0 if report.passed else 3


def _registry_call(fn_name: str, args: argparse.Namespace, **kwargs: object) -> object:
    from sim.ml import registry

    try:
        return getattr(registry, fn_name)(_uri(args), args.model, args.deploy_dir, **kwargs)
    except (registry.RegistryError, MissingTrainingStack) as e:
        raise CliError(str(e)) from e


def _cmd_promote(args: argparse.Namespace) -> int:
    version = _registry_call("promote", args, version=args.version, force=args.force)
    print(f"{args.model} version {version} is champion; deployed to {args.deploy_dir}/champion.json")
    return 0


def _cmd_rollback(args: argparse.Namespace) -> int:
    version = _registry_call("rollback", args)
    print(f"{args.model} rolled back: version {version} is champion again; deployed to {args.deploy_dir}/champion.json")
    return 0


def _cmd_shadow(args: argparse.Namespace) -> int:
    version = _registry_call("shadow", args, version=args.version, off=args.off)
    print("shadow mode ended" if version is None else f"{args.model} version {version} runs in shadow mode")
    return 0


def _registry_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, help="registered model name (experiment.model_name of the config)")
    p.add_argument("--out", type=Path, default=Path("out/ml"), help="folder of the embedded MLflow store (default: out/ml)")
    p.add_argument("--tracking-uri", default=None, help="MLflow tracking server or store URI (default: the embedded store)")
    p.add_argument("--deploy-dir", type=Path, default=DEFAULT_DEPLOY,
                   help=f"the bots' model folder, [bots.market_maker] policy_dir (default: {DEFAULT_DEPLOY})")


def add_ml(sub: argparse._SubParsersAction) -> None:
    """Mount `perpkeep ml train|promote|rollback|shadow`."""
    m = sub.add_parser("ml", help="learned strategies: train in the simulator, promote, roll back")
    msub = m.add_subparsers(dest="ml_command", required=True)
    t = msub.add_parser("train", help="train and evaluate the models of a config; register the pick as candidate")
    t.add_argument("config", type=Path, help="training config TOML (e.g. sim/ml/configs/sample.toml)")
    t.add_argument("--out", type=Path, default=None, help="output folder (default: the config's experiment.out_dir)")
    t.add_argument("--tracking-uri", default=None, help="MLflow tracking server URI (default: SQLite in the output folder)")
    t.set_defaults(func=_cmd_train)
    p = msub.add_parser("promote", help="move the champion alias to a version that passed evaluation and deploy it")
    _registry_args(p)
    p.add_argument("--version", default=None, help="version to promote (default: the candidate)")
    p.add_argument("--force", action="store_true", help="promote even a version that did not pass evaluation")
    p.set_defaults(func=_cmd_promote)
    r = msub.add_parser("rollback", help="move the champion alias back to the version it replaced and deploy it")
    _registry_args(r)
    r.set_defaults(func=_cmd_rollback)
    s = msub.add_parser("shadow", help="run a version beside the champion in shadow mode (decisions logged only)")
    _registry_args(s)
    s.add_argument("--version", default=None, help="version to shadow (default: the candidate)")
    s.add_argument("--off", action="store_true", help="end shadow mode")
    s.set_defaults(func=_cmd_shadow)


COMMANDS: dict[str, Mount] = {"ml": add_ml}

__all__ = ["COMMANDS", "add_ml"]
