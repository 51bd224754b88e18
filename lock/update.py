"""Move the dependency lock forward: ``python3 lock/update.py`` (needs PyPI; ``uv`` comes with the dev lock).

Resolves ``pyproject.toml`` (its dependencies, the ``dev`` extra and the build backend's requirements)
for Python 3.11 on every platform, with the sha256 of every file, into two locks:

- ``lock/dev.txt``: everything the test suite needs (runtime, dev and ml extras, build backend);
- ``lock/runtime.txt``: what the demo and the keepers need, at exactly the versions of ``lock/dev.txt``;
- ``lock/ml.txt``: the runtime and the ``ml`` extra (training learned strategies), again at those versions;
- ``lock/build.txt``: the build backend alone, installed first: it builds the project and the few
  locked packages that PyPI has only as source (without build isolation, which would fetch an unlocked one).

``lock/install.sh`` installs from them. By default every package moves to its newest release that the
pins in ``pyproject.toml`` allow; ``--keep`` keeps the locked versions and only adds or removes what
``pyproject.toml`` changed; ``--package NAME`` moves only that package (repeatable). Afterwards run the
suite (``bash .ci/run``): ``tests/unit/test_lock.py`` fails whenever the locks and ``pyproject.toml``
disagree.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_LOCK = ROOT / "lock" / "dev.txt"
RUNTIME_LOCK = ROOT / "lock" / "runtime.txt"
BUILD_LOCK = ROOT / "lock" / "build.txt"
ML_LOCK = ROOT / "lock" / "ml.txt"
# The CPU build of torch is not on PyPI; these machines carry it on disk.
LOCAL_WHEELS = Path("/opt/wheels")
PYTHON_VERSION = "3.11"
COMMAND = "python3 lock/update.py"


def build_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """The build backend's requirements (``[build-system] requires``): locked too, since the project is
    installed without build isolation so that no unlocked package is fetched to build it."""
    return list(tomllib.loads(pyproject.read_text())["build-system"]["requires"])


def _compile(output: Path, extras: list[str] | None, upgrade: list[str], constraints: Path | None) -> None:
    """Lock the build requirements and, unless ``extras`` is None, pyproject.toml with ``extras``."""
    with tempfile.TemporaryDirectory() as tmp:
        build_in = Path(tmp) / "build-system.in"
        build_in.write_text("\n".join(build_requirements()) + "\n")
        sources = [str(build_in)] if extras is None else ["pyproject.toml", str(build_in)]
        cmd = [sys.executable, "-m", "uv", "pip", "compile", *sources,
               "--universal", "--python-version", PYTHON_VERSION, "--generate-hashes",
               "--custom-compile-command", COMMAND, "--quiet", "-o", str(output.relative_to(ROOT))]
        for extra in extras or []:
            cmd += ["--extra", extra]
        if LOCAL_WHEELS.is_dir():
            cmd += ["--find-links", str(LOCAL_WHEELS)]
        if constraints is not None:
            cmd += ["-c", str(constraints.relative_to(ROOT))]
        cmd += upgrade
        print(f"resolving {output.relative_to(ROOT)} ...", flush=True)
        # uv writes the input file's temporary path into the "via" comments; the lock names it stably.
        subprocess.run(cmd, cwd=ROOT, check=True, env={**os.environ, "UV_NO_PROGRESS": "1"})
        text = output.read_text().replace(str(build_in), "build-system.requires")
        output.write_text(text)


def main(argv: list[str] | None = None) -> int:
    """Resolve both locks; return the process exit code."""
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0])
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--keep", action="store_true", help="keep locked versions; only follow pyproject.toml's changes")
    how.add_argument("--package", action="append", default=[], metavar="NAME", help="move only this package")
    args = parser.parse_args(argv)
    if args.keep:
        upgrade: list[str] = []
    elif args.package:
        upgrade = [flag for name in args.package for flag in ("--upgrade-package", name)]
    else:
        upgrade = ["--upgrade"]
    try:
        _compile(DEV_LOCK, ["dev", "ml"], upgrade, None)
        # The runtime lock takes the dev lock's versions, so the demo runs what the suite tested.
        _compile(RUNTIME_LOCK, [], [], DEV_LOCK)
        _compile(ML_LOCK, ["ml"], [], DEV_LOCK)
        _compile(BUILD_LOCK, None, [], DEV_LOCK)
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as e:
        print(f"error: uv failed (exit {e.returncode}); is the dev lock installed (bash lock/install.sh dev)?",
              file=sys.stderr)
        return 1
    written = ", ".join(str(p.relative_to(ROOT)) for p in (DEV_LOCK, RUNTIME_LOCK, ML_LOCK, BUILD_LOCK))
    print(f"wrote {written}; now run: bash .ci/run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
