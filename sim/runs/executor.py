"""Many simulation runs on Ray: local worker processes by default, or an existing cluster (``--cluster``).

Every run is one Ray task that calls the run function (``RunFn``: scenario mapping and seed in, ``SimRun``
out; by default the engine's ``sim.engine.run_scenario``) and returns the run as JSON bytes. The driver
saves each run to ``OUT/runs/KEY.json`` (and its summary to ``KEY.summary.json``) the moment it arrives,
so that nothing finished is lost:

- a worker process that dies mid-run only costs its current task, which Ray retries (``max_retries``) on
  another worker; finished results live with the driver and are never recomputed;
- a run started again on the same output folder skips every key whose summary file is already there.

A task whose run raises (a bad scenario) is not retried, nor one whose workers died more than
``max_retries`` times: its error is kept with its key and the others go on.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from sim.run_record import SimRun

RunFn = Callable[[dict, int], SimRun]

DEFAULT_MAX_RETRIES = 3
WAIT_TIMEOUT_S = 1.0  # the driver looks at its progress at least this often


def engine_run(mapping: dict, seed: int) -> SimRun:
    """The default ``RunFn``: ``sim.engine.run_scenario`` (imported when a worker first runs)."""
    from sim.engine import run_scenario  # type: ignore[import-not-found]  # simcore's engine

    return run_scenario(mapping, seed=seed)


def resolve_run_fn(spec: str | RunFn | None) -> RunFn:
    """A run function: None for the engine, a callable as is, or ``"module:function"``."""
    if spec is None:
        return engine_run
    if callable(spec):
        return spec
    module, sep, name = spec.partition(":")
    if not sep or not module or not name:
        raise ValueError(f"run function {spec!r}: expected MODULE:FUNCTION")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class Task:
    """One run to make: ``key`` names its files (unique within a batch)."""

    key: str
    mapping: dict[str, Any]
    seed: int
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    """What came back for a task: its summary, or the error its run raised."""

    task: Task
    summary: dict[str, float] | None
    error: str | None = None
    resumed: bool = False  # read from a previous run's files, not run again


def _execute(run_fn: RunFn, mapping: dict, seed: int) -> bytes:
    """The Ray task: one run, returned as the run's JSON."""
    return run_fn(mapping, seed).to_json()


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def summary_path(out: Path, key: str) -> Path:
    """Where the summary of ``key`` is saved."""
    return out / "runs" / f"{key}.summary.json"


def run_path(out: Path, key: str) -> Path:
    """Where the whole run of ``key`` is saved."""
    return out / "runs" / f"{key}.json"


def load_run(out: Path, key: str) -> SimRun:
    """The saved run of ``key``."""
    return SimRun.from_json(run_path(out, key).read_bytes())


def _read_summary(path: Path) -> dict[str, float]:
    return {k: (float("nan") if v is None else v) for k, v in orjson.loads(path.read_bytes()).items()}


def _project_path() -> str:
    """The folder that holds the ``sim`` package (so that local workers import this very code)."""
    return os.fspath(Path(__file__).resolve().parents[2])


@contextlib.contextmanager
def ray_session(workers: int, cluster: str | None = None) -> Iterator[None]:
    """Ray for the ``with`` block: ``workers`` local worker processes, or the cluster at ``cluster``
    (``HOST:PORT`` of its head, or ``auto``), quiet, with its temporary files removed afterwards."""
    import ray

    if ray.is_initialized():  # the caller's own session (a test, a notebook): use it as it is
        yield
        return
    quiet = {"logging_level": logging.ERROR, "log_to_driver": False, "configure_logging": True}
    if cluster:
        ray.init(address=cluster, **quiet)
        try:
            yield
        finally:
            ray.shutdown()
        return
    # Unix socket paths must stay under ~107 bytes: a short folder of its own under /tmp.
    temp = tempfile.mkdtemp(prefix="pk-ray-", dir="/tmp")
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (_project_path(), old) if p)
    try:
        ray.init(num_cpus=workers, include_dashboard=False, _temp_dir=temp, **quiet)
        yield
    finally:
        ray.shutdown()
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old
        shutil.rmtree(temp, ignore_errors=True)


def run_tasks(tasks: Sequence[Task], out: Path, *, run_fn: RunFn | None = None, workers: int = 2,
              cluster: str | None = None, max_retries: int = DEFAULT_MAX_RETRIES, progress: Any = None,
              on_result: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Run ``tasks`` on Ray (see the module docstring); return their outcomes in the order of ``tasks``.

    ``progress``: a ``sim.runs.progress.RunProgress`` (or None) advanced once per finished task;
    ``on_result`` is called with each outcome as it arrives.
    """
    keys = [t.key for t in tasks]
    if len(set(keys)) != len(keys):
        raise ValueError("task keys must be unique")
    run_fn = resolve_run_fn(run_fn)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    outcomes: dict[str, Outcome] = {}

    def arrived(o: Outcome) -> None:
        outcomes[o.task.key] = o
        if progress is not None:
            progress.advance(o)
        if on_result is not None:
            on_result(o)

    todo = []
    for t in tasks:
        done = summary_path(out, t.key)
        if done.exists():
            arrived(Outcome(t, _read_summary(done), resumed=True))
        else:
            todo.append(t)
    if todo:
        with ray_session(workers, cluster):
            _run_on_ray(todo, out, run_fn, max_retries, arrived)
    return [outcomes[k] for k in keys]


def _run_on_ray(todo: list[Task], out: Path, run_fn: RunFn, max_retries: int,
                arrived: Callable[[Outcome], None]) -> None:
    import ray

    remote = ray.remote(num_cpus=1, max_retries=max_retries, retry_exceptions=False)(_execute)
    fn_ref = ray.put(run_fn)
    pending = {remote.remote(fn_ref, t.mapping, t.seed): t for t in todo}
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1, timeout=WAIT_TIMEOUT_S)
        for ref in done:
            task = pending.pop(ref)
            try:
                data = ray.get(ref)
            except ray.exceptions.RayTaskError as e:  # the run itself raised: keep the reason, go on
                arrived(Outcome(task, None, error=_first_line(e)))
                continue
            except ray.exceptions.RayError as e:  # its workers died more than max_retries times
                arrived(Outcome(task, None, error=f"{type(e).__name__}: {str(e).strip().splitlines()[0]}"))
                continue
            run = SimRun.from_json(data)
            _write_atomic(run_path(out, task.key), data)
            _write_atomic(summary_path(out, task.key), orjson.dumps(
                {k: (v if v == v else None) for k, v in run.summary.items()}, option=orjson.OPT_SORT_KEYS))
            arrived(Outcome(task, run.summary))


def _first_line(e: BaseException) -> str:
    cause = getattr(e, "cause", None) or e
    return f"{type(cause).__name__}: {str(cause).strip().splitlines()[-1] if str(cause).strip() else ''}"


__all__ = ["DEFAULT_MAX_RETRIES", "Outcome", "RunFn", "Task", "engine_run", "load_run", "ray_session",
           "resolve_run_fn", "run_path", "run_tasks", "summary_path"]
