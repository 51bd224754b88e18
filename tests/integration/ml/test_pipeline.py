"""The training pipeline end to end on the real program (``sim.ml.pipeline``), with a real MLflow store:
the leak test (a feature that leaks the future must be learned and turned into a profit that passes the
paired test), ONNX equal to torch, the registry round trip, promotion refused without a passed
evaluation, promotion, hot reload in a policy runner, and rollback with one call."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import perpkeep_cli
from keepers.strategies.policy import PolicyRunner
from sim.ml.pipeline import Report, load_config, paired_test, train
from sim.ml.registry import RegistryError, client_for, promote, rollback, shadow

ROOT = Path(__file__).resolve().parents[3]
LEAK = ROOT / "sim" / "ml" / "configs" / "leak.toml"


@pytest.fixture(scope="module")
def leak_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, Path]:
    out = tmp_path_factory.mktemp("leak")
    return train(load_config(LEAK, out_dir=out)), out


def test_the_pipeline_learns_a_leaked_future_and_profits(leak_run: tuple[Report, Path]) -> None:
    report, out = leak_run
    assert report.features[-1] == "leak_future_return"
    assert report.passed, report.to_json()
    assert report.tests["flat"]["p_value"] < 0.05
    assert report.test_mean > 0 and report.baselines["flat"]["test_pnl_mean"] == 0.0
    assert json.loads((out / "report.json").read_text())["passed"] is True


def test_the_exported_onnx_equals_the_torch_model(leak_run: tuple[Report, Path]) -> None:
    report, _ = leak_run
    if report.selected != "mlp":
        pytest.skip(f"the leak config picked {report.selected}, which has no ONNX export")
    assert report.onnx_max_error is not None and report.onnx_max_error < 1e-4


def test_registry_round_trip_promotion_rollback_and_hot_reload(leak_run: tuple[Report, Path], tmp_path: Path) -> None:
    report, out = leak_run
    if report.model_version is None:
        pytest.skip("nothing registered (the pick has no ONNX export)")
    import mlflow
    import onnx

    uri = f"sqlite:///{out / 'mlflow.db'}"
    name = "perpkeep-leak-test"
    client = client_for(uri)
    v1 = client.get_model_version_by_alias(name, "candidate")
    assert str(v1.version) == report.model_version and v1.tags["evaluation_passed"] == "true"
    features = json.loads(v1.tags["features"])
    deploy = tmp_path / "deploy"

    promote(uri, name, deploy)
    runner = PolicyRunner(deploy, tuple(features))
    runner.refresh()
    assert runner.champion.model is not None and runner.champion.model.version == int(v1.version)
    x = np.zeros(len(features), dtype=np.float32)
    x[-1] = 3.0  # a leaked 30 bps rise ahead: the learned signal must forecast a rise
    assert runner.decide(x)[0] > 0

    # a second version that failed evaluation is refused, then forced in; rollback restores the first
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    with mlflow.start_run(experiment_id=client.get_experiment_by_name("leak-test").experiment_id):
        info = mlflow.onnx.log_model(onnx.load(report.onnx_path), name="model", registered_model_name=name,
                                     save_as_external_data=False)
    v2 = str(info.registered_model_version)
    for k, v in {"evaluation_passed": "false", "features": v1.tags["features"], "outputs": "1"}.items():
        client.set_model_version_tag(name, v2, k, v)
    with pytest.raises(RegistryError, match="did not pass evaluation"):
        promote(uri, name, deploy, version=v2)
    cli = ["--model", name, "--tracking-uri", uri, "--deploy-dir", str(deploy)]
    assert perpkeep_cli.main(["ml", "promote", *cli, "--version", v2]) == 1  # the command refuses it too
    assert str(client.get_model_version_by_alias(name, "champion").version) == str(v1.version)
    promote(uri, name, deploy, version=v2, force=True)
    runner.refresh()
    assert runner.champion.model.version == int(v2)
    assert perpkeep_cli.main(["ml", "rollback", *cli]) == 0  # one command
    runner.refresh()
    assert runner.champion.model.version == int(v1.version)
    assert str(client.get_model_version_by_alias(name, "champion").version) == str(v1.version)
    with pytest.raises(RegistryError, match="nothing to roll back"):
        rollback(uri, name, deploy)

    assert shadow(uri, name, deploy, version=v2) == v2
    runner.refresh()
    runner.decide(x, {"market": 0})
    assert runner.shadow_log[-1]["shadow_version"] == int(v2) and runner.shadow_log[-1]["live_version"] == int(v1.version)
    shadow(uri, name, deploy, off=True)
    assert not (deploy / "shadow.json").exists()


def test_the_verdict_says_no_to_a_model_no_better_than_its_baseline() -> None:
    rng = np.random.default_rng(0)
    baseline = rng.normal(100, 30, 12)
    assert paired_test(baseline, baseline)["p_value"] == 1.0  # the baseline itself never passes
    worse = paired_test(baseline - rng.uniform(0, 5, 12), baseline)
    assert worse["mean_diff"] < 0 and worse["p_value"] > 0.5
    noise = paired_test(baseline + rng.normal(0, 30, 12), baseline)
    better = paired_test(baseline + 20 + rng.normal(0, 5, 12), baseline)
    assert better["p_value"] < 0.01 < noise["p_value"]
