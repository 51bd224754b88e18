"""The bots' ONNX policy loader (``keepers.strategies.policy``): validation at load, hot reload through the
deployment folder's pointers, the previous policy kept when a new one is refused, shadow mode."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from keepers.strategies.policy import PolicyRefused, PolicyRunner, load_model
from tests.unit.ml.onnx_models import linear_onnx

FEATURES = ("a", "b", "c")


def _pointer(folder: Path, slot: str, model: Path, version: int, features: tuple[str, ...] = FEATURES,
             sha: str | None = None) -> Path:
    doc = {"model": model.name, "version": version, "features": list(features), "outputs": 1,
           "sha256": sha or hashlib.sha256(model.read_bytes()).hexdigest(), "reference": {}}
    path = folder / f"{slot}.json"
    path.write_text(json.dumps(doc))
    return path


def _weights(k: float) -> np.ndarray:
    return np.array([[k], [2 * k], [3 * k]])


def test_valid_model_runs_and_matches_its_maths(tmp_path: Path) -> None:
    m = load_model(linear_onnx(tmp_path / "m.onnx", _weights(1.0), [0.5]), FEATURES, 1)
    x = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
    assert m.run(x)[0, 0] == pytest.approx(1 + 4 + 9 + 0.5)


@pytest.mark.parametrize("case, reason", [
    ("garbage", "not a valid ONNX model"),
    ("wrong_input", "input shape"),
    ("wrong_outputs", "output shape"),
    ("nan", "non-finite output"),
    ("missing", "cannot read"),
])
def test_bad_models_are_refused_at_load(tmp_path: Path, case: str, reason: str) -> None:
    path = tmp_path / "m.onnx"
    if case == "garbage":
        path.write_bytes(b"\x08\x07not a protobuf at all" * 10)
    elif case == "wrong_input":
        linear_onnx(path, np.ones((4, 1)))
    elif case == "wrong_outputs":
        linear_onnx(path, np.ones((3, 2)))
    elif case == "nan":
        linear_onnx(path, np.array([[np.nan], [1.0], [1.0]]))
    with pytest.raises(PolicyRefused, match=reason):
        load_model(path, FEATURES, 1)


def test_hot_reload_follows_the_pointer_and_keeps_the_previous_policy_on_refusal(tmp_path: Path) -> None:
    runner = PolicyRunner(tmp_path, FEATURES)
    x = np.array([1.0, 1.0, 1.0], dtype=np.float32)
    runner.refresh()
    assert runner.decide(x) is None  # nothing deployed yet
    _pointer(tmp_path, "champion", linear_onnx(tmp_path / "champion-v1.onnx", _weights(1.0)), 1)
    runner.refresh()
    assert runner.decide(x)[0] == pytest.approx(6.0)
    _pointer(tmp_path, "champion", linear_onnx(tmp_path / "champion-v2.onnx", _weights(2.0)), 2)
    runner.refresh()
    assert runner.champion.model.version == 2 and runner.decide(x)[0] == pytest.approx(12.0)
    # a NaN model, a model of other features, a tampered file: each refused, version 2 keeps running
    _pointer(tmp_path, "champion", linear_onnx(tmp_path / "champion-v3.onnx", _weights(np.nan)), 3)
    runner.refresh()
    _pointer(tmp_path, "champion", linear_onnx(tmp_path / "champion-v4.onnx", _weights(4.0)), 4, features=("a", "b", "z"))
    runner.refresh()
    _pointer(tmp_path, "champion", linear_onnx(tmp_path / "champion-v5.onnx", _weights(5.0)), 5, sha="0" * 64)
    runner.refresh()
    (tmp_path / "champion.json").write_text("{not json")
    runner.refresh()
    assert runner.champion.model.version == 2 and runner.decide(x)[0] == pytest.approx(12.0)
    assert len(runner.champion.refused) == 4
    assert "non-finite" in runner.champion.refused[0] and "features" in runner.champion.refused[1]
    assert "sha256" in runner.champion.refused[2] and "unreadable pointer" in runner.champion.refused[3]


def test_shadow_decisions_are_logged_beside_the_live_ones_and_never_used(tmp_path: Path) -> None:
    _pointer(tmp_path, "champion", linear_onnx(tmp_path / "champion-v1.onnx", _weights(1.0)), 1)
    _pointer(tmp_path, "shadow", linear_onnx(tmp_path / "shadow-v2.onnx", _weights(-1.0)), 2)
    runner = PolicyRunner(tmp_path, FEATURES)
    runner.refresh()
    out = runner.decide(np.array([1.0, 0.0, 0.0], dtype=np.float32), {"market": 0})
    assert out[0] == pytest.approx(1.0)
    assert runner.shadow_log == [{"shadow_version": 2, "shadow": [-1.0], "live_version": 1, "live": [1.0], "market": 0}]
    (tmp_path / "shadow.json").unlink()
    runner.refresh()
    runner.decide(np.array([1.0, 0.0, 0.0], dtype=np.float32))
    assert len(runner.shadow_log) == 1
