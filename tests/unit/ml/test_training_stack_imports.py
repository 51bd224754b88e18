"""The keepers run learned models with onnxruntime and numpy only: no module under ``keepers/`` imports the
training stack (torch, stable-baselines3, MLflow, LightGBM, arch), not even lazily."""

from __future__ import annotations

from tests.unit.test_dependency_rule import _within, imported_modules, package_sources

TRAINING_STACK = ("torch", "stable_baselines3", "mlflow", "lightgbm", "arch", "sklearn", "onnx", "onnxscript")


def test_keepers_never_import_the_training_stack() -> None:
    found = [f"{module} imports {target}"
             for module, source in package_sources("keepers").items()
             for target in sorted(imported_modules(source, module))
             if any(_within(target, t) for t in TRAINING_STACK)]
    assert found == []


def test_the_check_sees_a_lazy_import() -> None:
    source = "def f():\n    import torch.nn as nn\n    from mlflow import MlflowClient\n"
    assert {t for t in imported_modules(source, "keepers.x") if any(_within(t, s) for s in TRAINING_STACK)} == {
        "torch.nn", "mlflow"}
