"""The MLflow model registry and the bots' deployment folder: ``perpkeep ml promote``, ``rollback``, ``shadow``.

Training registers each pick as a version with the alias ``candidate`` and the tag ``evaluation_passed``.
``promote`` moves ``champion`` to a version (the candidate by default) only if it passed evaluation (unless
forced), remembers the champion it replaces in the new version's tag ``previous_champion``, and writes the
version to the deployment folder (``keepers.strategies.policy``): its ONNX file, then ``champion.json``
(replaced atomically, so a bot never reads half a pointer). ``rollback`` moves ``champion`` back to that
previous version and rewrites the folder the same way; ``shadow`` puts a version beside the champion in
shadow mode (``shadow.json``), ``shadow --off`` ends it. A running bot follows the pointers without a restart.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from sim.ml import require

CANDIDATE, CHAMPION = "candidate", "champion"


class RegistryError(RuntimeError):
    """A registry operation was refused (the message says why)."""


def client_for(uri: str) -> Any:
    """An ``MlflowClient`` on ``uri`` for tracking and registry alike."""
    mlflow = require("mlflow")
    return mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)


def experiment_id(client: Any, name: str, out_dir: Path) -> str:
    """The experiment ``name``, created with its artefacts under ``out_dir/artifacts`` when new."""
    exp = client.get_experiment_by_name(name)
    if exp is not None:
        return str(exp.experiment_id)
    return str(client.create_experiment(name, artifact_location=(Path(out_dir) / "artifacts").resolve().as_uri()))


def _alias(client: Any, name: str, alias: str) -> Any | None:
    try:
        return client.get_model_version_by_alias(name, alias)
    except Exception as e:  # MlflowException: the alias is not set (or the model does not exist)
        if "not found" in str(e).lower() or "does not exist" in str(e).lower() or "RESOURCE_DOES_NOT_EXIST" in str(e):
            return None
        raise


def _or_candidate(client: Any, name: str, version: str | None) -> str:
    """``version``, or the candidate's when None."""
    if version is not None:
        return version
    cand = _alias(client, name, CANDIDATE)
    if cand is None:
        raise RegistryError(f"{name} has no {CANDIDATE} version")
    return str(cand.version)


def write_pointer(folder: Path, slot: str, model_file: Path, version: int, features: list[str], outputs: int,
                  reference: dict[str, Any]) -> Path:
    """Copy the model into ``folder`` and (atomically) point ``slot``.json at it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{slot}-v{version}.onnx"
    shutil.copyfile(model_file, target)
    doc = {"model": target.name, "version": version, "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
           "features": features, "outputs": outputs, "reference": reference}
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{slot}.", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f, indent=2)
    pointer = folder / f"{slot}.json"
    os.replace(tmp, pointer)
    return pointer


def deploy(client: Any, uri: str, name: str, version: str, folder: Path, slot: str = CHAMPION) -> Path:
    """Write registered ``version`` of ``name`` to the deployment folder as ``slot``."""
    mlflow = require("mlflow")
    mv = client.get_model_version(name, version)
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{name}/{version}", dst_path=tmp,
                                                         tracking_uri=uri))
        onnx_files = sorted(local.rglob("*.onnx"))
        if not onnx_files:
            raise RegistryError(f"{name} version {version} has no ONNX file")
        run_id = mv.tags.get("run_id") or mv.run_id
        reference: dict[str, Any] = {}
        if run_id and any(f.path == "reference.json" for f in client.list_artifacts(run_id)):
            reference = json.loads(Path(client.download_artifacts(run_id, "reference.json", tmp)).read_text())
        return write_pointer(folder, slot, onnx_files[0], int(version), json.loads(mv.tags.get("features", "[]")),
                             int(mv.tags.get("outputs", "1")), reference)


def promote(uri: str, name: str, folder: Path, version: str | None = None, force: bool = False) -> str:
    """Move ``champion`` to ``version`` (default: the candidate) if it passed evaluation; deploy it."""
    client = client_for(uri)
    version = _or_candidate(client, name, version)
    mv = client.get_model_version(name, version)
    if mv.tags.get("evaluation_passed") != "true" and not force:
        raise RegistryError(f"{name} version {version} did not pass evaluation (it did not beat the baselines); "
                            "--force promotes it anyway")
    current = _alias(client, name, CHAMPION)
    if current is not None and str(current.version) != version:
        client.set_model_version_tag(name, version, "previous_champion", str(current.version))
    client.set_registered_model_alias(name, CHAMPION, version)
    deploy(client, uri, name, version, folder)
    return version


def rollback(uri: str, name: str, folder: Path) -> str:
    """Move ``champion`` back to the version it replaced; deploy that version."""
    client = client_for(uri)
    current = _alias(client, name, CHAMPION)
    if current is None:
        raise RegistryError(f"{name} has no {CHAMPION}")
    previous = current.tags.get("previous_champion")
    if not previous:
        raise RegistryError(f"{name} version {current.version} replaced no champion: nothing to roll back to")
    client.set_model_version_tag(name, str(current.version), "rolled_back", "true")
    client.set_registered_model_alias(name, CHAMPION, previous)
    deploy(client, uri, name, previous, folder)
    return previous


def shadow(uri: str, name: str, folder: Path, version: str | None = None, off: bool = False) -> str | None:
    """Deploy ``version`` (default: the candidate) in shadow mode beside the champion, or end shadow mode."""
    if off:
        (Path(folder) / "shadow.json").unlink(missing_ok=True)
        return None
    client = client_for(uri)
    version = _or_candidate(client, name, version)
    deploy(client, uri, name, version, folder, slot="shadow")
    return version


__all__ = ["CANDIDATE", "CHAMPION", "RegistryError", "client_for", "deploy", "experiment_id", "promote", "rollback",
           "shadow", "write_pointer"]
