"""Learned policies and signals in the live bots: ONNX models run with onnxruntime (never torch or MLflow).

A deployment folder (``[bots.market_maker] policy_dir``) is what ``perpkeep ml promote`` writes from the
MLflow registry:

- ``champion.json``: the live model: ``{"model": "champion-v3.onnx", "version": 3, "sha256": ...,
  "features": [...], "outputs": 1, "reference": {...}}`` (``reference``: the training features' bin edges
  and shares, for drift, and the backtest's PnL per slot, for ``keepers.observability.ml_drift``);
- ``shadow.json`` (optional): a model whose decisions are logged beside the champion's but never used.

``PolicySlot.refresh()`` re-reads a pointer when its bytes change (a running bot picks a new champion up
without a restart, as it picks up configuration). A model is accepted only when ``load_model`` validates
it: it must parse, have one float input of shape ``[batch, len(features)]`` and an output of ``outputs``
columns, its file's sha256 must match the pointer's, and it must give finite outputs on a fixed probe
batch. Anything else is refused with ``PolicyRefused`` and the slot keeps the policy it had.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from keepers.strategies.features import FEATURE_NAMES, SignalFeatures
from keepers.strategies.market_maker.quoting import book_imbalance
from programs_client.perp.constants import BPS, PRICE_PRECISION

log = logging.getLogger("perpkeep.policy")
PROBE_ROWS = 16


class PolicyRefused(ValueError):
    """A model or its pointer was refused at load (the reason is the message)."""


@dataclass(frozen=True)
class LoadedModel:
    """A validated ONNX model ready to run."""

    path: Path
    version: int
    sha256: str
    features: tuple[str, ...]
    outputs: int
    reference: dict[str, Any]
    session: Any
    input_name: str

    def run(self, x: np.ndarray) -> np.ndarray:
        """Outputs for a batch ``x`` of shape (rows, features) (float32)."""
        return self.session.run(None, {self.input_name: np.asarray(x, dtype=np.float32)})[0]


def _probe(n: int) -> np.ndarray:
    """A fixed probe batch: zeros, then draws of a fixed generator (the same in every process)."""
    rng = np.random.default_rng(20)
    return np.vstack([np.zeros((1, n)), rng.normal(0.0, 3.0, (PROBE_ROWS - 1, n))]).astype(np.float32)


def load_model(path: Path, features: tuple[str, ...], outputs: int, *, sha256: str | None = None,
               version: int = 0, reference: dict[str, Any] | None = None) -> LoadedModel:
    """Load and validate an ONNX model (see the module docstring); raise ``PolicyRefused`` naming the reason."""
    import onnxruntime as ort

    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise PolicyRefused(f"{path}: cannot read the model ({e})") from e
    digest = hashlib.sha256(data).hexdigest()
    if sha256 is not None and digest != sha256:
        raise PolicyRefused(f"{path}: sha256 {digest[:12]} does not match the pointer's {sha256[:12]}")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # one decision at a time: threads only add latency
    options.inter_op_num_threads = 1
    try:
        session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own exception types for every parse failure
        raise PolicyRefused(f"{path}: not a valid ONNX model ({str(e)[:200]})") from e
    inputs = session.get_inputs()
    if len(inputs) != 1:
        raise PolicyRefused(f"{path}: {len(inputs)} inputs, expected one")
    shape = inputs[0].shape
    if len(shape) != 2 or shape[1] != len(features):
        raise PolicyRefused(f"{path}: input shape {shape}, expected [batch, {len(features)}]")
    if "float" not in inputs[0].type:
        raise PolicyRefused(f"{path}: input type {inputs[0].type}, expected float")
    name = inputs[0].name
    try:
        out = session.run(None, {name: _probe(len(features))})[0]
    except Exception as e:
        raise PolicyRefused(f"{path}: fails on a probe batch ({str(e)[:200]})") from e
    out = np.asarray(out)
    if out.ndim == 1:
        out = out.reshape(-1, 1)
    if out.shape != (PROBE_ROWS, outputs):
        raise PolicyRefused(f"{path}: output shape {out.shape} on the probe, expected ({PROBE_ROWS}, {outputs})")
    if not np.all(np.isfinite(out)):
        raise PolicyRefused(f"{path}: non-finite output (NaN or inf) on the probe batch")
    return LoadedModel(Path(path), version, digest, tuple(features), outputs, dict(reference or {}), session, name)


def load_pointer(pointer: Path, features: tuple[str, ...], outputs: int) -> LoadedModel:
    """Load the model a pointer file (``champion.json``/``shadow.json``) names, checking it against the pointer."""
    try:
        doc = json.loads(Path(pointer).read_text())
        model = Path(pointer).parent / str(doc["model"])
        declared = tuple(doc.get("features", features))
        declared_outputs = int(doc.get("outputs", outputs))
        version = int(doc.get("version", 0))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise PolicyRefused(f"{pointer}: unreadable pointer ({e})") from e
    if declared != tuple(features):
        raise PolicyRefused(f"{pointer}: the model reads features {list(declared)}, the bot gives {list(features)}")
    if declared_outputs != outputs:
        raise PolicyRefused(f"{pointer}: the model gives {declared_outputs} outputs, the bot reads {outputs}")
    return load_model(model, features, outputs, sha256=doc.get("sha256"), version=version,
                      reference=doc.get("reference"))


@dataclass
class PolicySlot:
    """One pointer file and the model it last validly named; ``refresh`` follows changes of the file."""

    pointer: Path
    features: tuple[str, ...]
    outputs: int
    model: LoadedModel | None = None
    seen: bytes | None = None  # the pointer's bytes last tried
    refused: list[str] = field(default_factory=list)
    loads: int = 0

    def refresh(self) -> bool:
        """Re-read the pointer; when it changed, load its model. True when a new model was taken; a refused
        model is logged and counted, and the previous one stays."""
        try:
            raw = self.pointer.read_bytes()
        except OSError:
            raw = b""
        if raw == self.seen:
            return False
        self.seen = raw
        if not raw:
            return False  # no pointer (yet, or removed): keep what runs
        try:
            model = load_pointer(self.pointer, self.features, self.outputs)
        except PolicyRefused as e:
            self.refused.append(str(e))
            log.warning("policy refused, keeping version %s: %s", self.model.version if self.model else None, e)
            return False
        self.model = model
        self.loads += 1
        log.info("policy %s version %d loaded (%s)", self.pointer.name, model.version, model.sha256[:12])
        return True


@dataclass
class PolicyRunner:
    """The champion of a deployment folder and, when present, its shadow; one decision per call."""

    folder: Path
    features: tuple[str, ...]
    outputs: int = 1
    champion: PolicySlot = field(init=False)
    shadow: PolicySlot = field(init=False)
    shadow_log: list[dict[str, Any]] = field(default_factory=list)
    shadow_log_limit: int = 1000

    def __post_init__(self) -> None:
        self.folder = Path(self.folder)
        self.champion = PolicySlot(self.folder / "champion.json", self.features, self.outputs)
        self.shadow = PolicySlot(self.folder / "shadow.json", self.features, self.outputs)

    def refresh(self) -> None:
        """Follow the pointers (hot reload)."""
        self.champion.refresh()
        self.shadow.refresh()
        if self.shadow.model is not None and not self.shadow.pointer.exists():
            self.shadow.model = None  # shadow mode ended

    def decide(self, x: np.ndarray, context: dict[str, Any] | None = None) -> np.ndarray | None:
        """The champion's output for one feature vector (None without a champion); the shadow's output on
        the same input is logged beside it."""
        row = np.asarray(x, dtype=np.float32).reshape(1, -1)
        live = self.champion.model
        out = live.run(row)[0] if live is not None else None
        if self.shadow.model is not None:
            shadow = self.shadow.model.run(row)[0]
            entry = {"shadow_version": self.shadow.model.version, "shadow": [float(v) for v in np.ravel(shadow)],
                     "live_version": live.version if live else None,
                     "live": None if out is None else [float(v) for v in np.ravel(out)], **(context or {})}
            self.shadow_log.append(entry)
            del self.shadow_log[:-self.shadow_log_limit]
            log.info("shadow decision %s", entry)
        if out is None:
            return None
        out = np.ravel(out)
        return out if np.all(np.isfinite(out)) else None


class LearnedSignal:
    """The optional learned return signal (``[bots.market_maker] policy_dir``): the champion model of the
    deployment folder, run with onnxruntime on ``keepers.strategies.features`` (the features it was trained
    on), moves the fair price by its forecast (bps, clipped to ``policy_max_signal_bps``); a shadow model's
    forecasts are only logged. Drift and PnL against the backtest go to the ``perpkeep_ml_*`` metrics."""

    def __init__(self, bot: str, config: Any, metrics: Any) -> None:
        from keepers.observability.ml_drift import DriftMonitor
        from keepers.strategies.policy import PolicyRunner

        self.bot, self.config, self.metrics = bot, config, metrics
        self.runner = PolicyRunner(config.policy_dir, FEATURE_NAMES)
        self.features: dict[int, SignalFeatures] = {}
        self.monitor: DriftMonitor | None = None
        self._monitor_type = DriftMonitor
        self._refused = 0
        self.refresh()

    def refresh(self) -> None:
        """Follow the deployment folder's pointers (hot reload; a refused model leaves the previous one)."""
        before = self.runner.champion.model
        self.runner.refresh()
        refused = len(self.runner.champion.refused) + len(self.runner.shadow.refused)
        if refused > self._refused:
            self.metrics.ml_model_refused(self.bot, refused - self._refused)
            self._refused = refused
        live, shadow = self.runner.champion.model, self.runner.shadow.model
        if live is not before and live is not None:
            self.monitor = self._monitor_type(FEATURE_NAMES, live.reference)
        self.metrics.set_ml_model(self.bot, "champion", live.version if live else 0)
        self.metrics.set_ml_model(self.bot, "shadow", shadow.version if shadow else 0)

    def bps(self, index: int, market: Any, book: Any, oracle_price: int | None, slot: int,
            analytics: dict[str, Any]) -> float:
        """The signal for ``index`` now (0 until the features have their history, or without a champion);
        ``market`` and ``book`` are the generated Market and Orderbook, ``analytics`` the maker's figures."""
        f = self.features.setdefault(index, SignalFeatures())
        price = oracle_price or market.index_price
        f.update(price / PRICE_PRECISION, slot)
        if not f.ready or not market.index_price:
            return 0.0
        premium = (market.mark_price / market.index_price - 1) * BPS if market.mark_price else 0.0
        imbalance = 0.0
        if book is not None:
            imbalance = book_imbalance([o.base_amount for o in book.bids[:book.bid_count][-3:]],
                                       [o.base_amount for o in book.asks[:book.ask_count][-3:]])
        x = f.vector(imbalance, premium)
        out = self.runner.decide(x, {"market": index, "slot": slot})
        if self.monitor is not None:
            self.monitor.observe(x)
            self.monitor.observe_pnl(slot, float(analytics["pnl"]))
            self.metrics.set_ml_monitoring(self.bot, self.monitor.psi_by_feature(), self.monitor.pnl_zscore(),
                                           self.monitor.pnl_per_slot(), self.monitor.reference.get("pnl_per_slot_mean"))
        if out is None:
            return 0.0
        limit = self.config.policy_max_signal_bps
        return float(min(max(float(out[0]), -limit), limit))


__all__ = ["LearnedSignal", "LoadedModel", "PolicyRefused", "PolicyRunner", "PolicySlot", "load_model", "load_pointer"]
