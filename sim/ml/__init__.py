"""Learned strategies: the gymnasium environment (``sim.ml.env``), models and signals (``sim.ml.models``),
the training pipeline with MLflow tracking and registry (``sim.ml.pipeline``) and its evaluation
(``sim.ml.evaluation``).

The environment needs only the runtime (gymnasium, numpy). Everything that trains imports the training
stack (torch, stable-baselines3, MLflow, LightGBM, arch) through ``require`` when first used, so that a
runtime install without the ``ml`` extra gets a clear message instead of an ImportError deep inside.
"""

from __future__ import annotations

import importlib
from types import ModuleType

INSTALL_HINT = "install the ml extra: bash lock/install.sh ml"


class MissingTrainingStack(ImportError):
    """A package of the training stack is not installed."""


def require(module: str) -> ModuleType:
    """Import ``module`` of the training stack, or raise ``MissingTrainingStack`` saying how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingTrainingStack(f"{module} is not installed ({e}); {INSTALL_HINT}") from e


__all__ = ["INSTALL_HINT", "MissingTrainingStack", "require"]
