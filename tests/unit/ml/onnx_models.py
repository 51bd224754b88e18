"""Small ONNX models built with ``onnx.helper`` (no torch): y = x @ W + b, for the policy loader's tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def linear_onnx(path: Path, weights: np.ndarray, bias: np.ndarray | None = None, input_width: int | None = None) -> Path:
    """Write a model computing ``x @ weights + bias`` with input ``[batch, input_width]`` (default: the weights'
    rows; another width makes a model whose declared input does not match its weights)."""
    from onnx import TensorProto, helper, numpy_helper, save

    w = np.asarray(weights, dtype=np.float32)
    b = np.zeros(w.shape[1], dtype=np.float32) if bias is None else np.asarray(bias, dtype=np.float32)
    width = w.shape[0] if input_width is None else input_width
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["h"]), helper.make_node("Add", ["h", "b"], ["y"])],
        "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", width])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", w.shape[1]])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    save(model, str(path))
    return path
