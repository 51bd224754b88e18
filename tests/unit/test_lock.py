"""The committed locks (``lock/*.txt``) agree with ``pyproject.toml`` and with the environment under test.

Checked offline, from the metadata of the installed distributions: every requirement of
``pyproject.toml`` is locked at a version it allows, the lock holds exactly the packages those
requirements reach (none missing, none left over), every package has hashes, the four locks agree
on versions, and the installed versions are the locked ones (the suite tests what the lock installs).
Any failure is mended by ``python3 lock/update.py --keep`` (or without ``--keep`` to move forward).
"""

from __future__ import annotations

import importlib.metadata as md
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
FIX = "run `python3 lock/update.py --keep` and commit lock/"
_ENTRY = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+?)(?:\s*;\s*(?P<marker>[^\\]+?))?\s*\\?$")


@dataclass(frozen=True)
class Locked:
    """One pinned package of a lock file."""

    name: NormalizedName
    version: Version
    marker: Marker | None
    hashes: int

    def applies(self) -> bool:
        """Whether this pin is for the running interpreter and platform."""
        return self.marker is None or self.marker.evaluate()


def read_lock(path: Path) -> list[Locked]:
    """The pins of a ``uv pip compile --generate-hashes`` file, with the number of hashes of each."""
    entries: list[Locked] = []
    for line in path.read_text().splitlines():
        if line.startswith((" ", "#")) or not line.strip():
            if "--hash=sha256:" in line and entries:
                last = entries[-1]
                entries[-1] = Locked(last.name, last.version, last.marker, last.hashes + 1)
            continue
        m = _ENTRY.match(line)
        assert m, f"{path.name}: cannot read the line {line!r}"
        marker = Marker(m["marker"]) if m["marker"] else None
        entries.append(Locked(canonicalize_name(m["name"]), Version(m["version"]), marker, 0))
    return entries


def applicable(entries: list[Locked]) -> dict[NormalizedName, Version]:
    """name -> version of the pins that apply here (a name may be pinned per Python or platform)."""
    out: dict[NormalizedName, Version] = {}
    for e in entries:
        if e.applies():
            assert e.name not in out, f"{e.name} is pinned twice for this platform"
            out[e.name] = e.version
    return out


def closure(roots: list[Requirement]) -> set[NormalizedName]:
    """Every distribution that ``roots`` reach here, through the installed distributions' metadata."""
    reached: set[NormalizedName] = set()
    done: set[tuple[NormalizedName, frozenset[str]]] = set()
    todo = list(roots)
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        extras = frozenset(canonicalize_name(x) for x in req.extras)
        if (name, extras) in done:
            continue
        done.add((name, extras))
        reached.add(name)
        try:
            requires = md.distribution(name).requires or []
        except md.PackageNotFoundError:
            pytest.fail(f"{name} is required but not installed: install through the lock (bash lock/install.sh dev)")
        for text in requires:
            dep = Requirement(text)
            if dep.marker is None or any(dep.marker.evaluate({"extra": x}) for x in (extras or {""})):
                todo.append(dep)
    return reached


def requirements(*groups: str) -> list[Requirement]:
    """pyproject.toml's requirements: "runtime", "dev" and "ml" (the extras) and "build" (the build backend)."""
    texts = {"runtime": PYPROJECT["project"]["dependencies"],
             "dev": PYPROJECT["project"]["optional-dependencies"]["dev"],
             "ml": PYPROJECT["project"]["optional-dependencies"]["ml"],
             "build": PYPROJECT["build-system"]["requires"]}
    return [Requirement(t) for g in groups for t in texts[g]]


LOCKS = {"dev": ("runtime", "dev", "ml", "build"), "runtime": ("runtime", "build"), "ml": ("runtime", "ml", "build"),
         "build": ("build",)}


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_the_lock_holds_exactly_what_pyproject_reaches(lock: str) -> None:
    entries = read_lock(ROOT / "lock" / f"{lock}.txt")
    assert all(e.hashes > 0 for e in entries), f"lock/{lock}.txt: pins without a hash: {FIX}"
    pinned = applicable(entries)
    roots = requirements(*LOCKS[lock])
    for req in roots:
        name = canonicalize_name(req.name)
        assert name in pinned, f"pyproject.toml requires {req} but lock/{lock}.txt lacks it: {FIX}"
        assert req.specifier.contains(pinned[name], prereleases=True), (
            f"pyproject.toml requires {req} but lock/{lock}.txt pins {name}=={pinned[name]}: {FIX}")
    reached = closure(roots)
    assert not reached - set(pinned), f"lock/{lock}.txt lacks {sorted(reached - set(pinned))}: {FIX}"
    assert not set(pinned) - reached, f"lock/{lock}.txt holds {sorted(set(pinned) - reached)}, which nothing requires: {FIX}"


def test_the_locks_agree_on_versions() -> None:
    # A smaller lock may carry a package under a narrower marker (tzdata only for win32 where the dev lock
    # needs it for emscripten too), so versions are compared by name.
    dev: dict[NormalizedName, set[Version]] = {}
    for e in read_lock(ROOT / "lock" / "dev.txt"):
        dev.setdefault(e.name, set()).add(e.version)
    for lock in ("runtime", "ml", "build"):
        for e in read_lock(ROOT / "lock" / f"{lock}.txt"):
            assert e.version in dev.get(e.name, set()), (
                f"lock/{lock}.txt pins {e.name}=={e.version}, lock/dev.txt {sorted(map(str, dev.get(e.name, set())))}: {FIX}")


def test_the_environment_under_test_is_the_lock() -> None:
    """What CI installs is what the lock says (nothing newer slipped in, nothing is missing)."""
    wrong = {}
    for name, version in applicable(read_lock(ROOT / "lock" / "dev.txt")).items():
        try:
            installed = Version(md.version(name))
        except md.PackageNotFoundError:
            installed = None
        if installed != version:
            wrong[name] = (str(version), str(installed))
    assert not wrong, f"installed versions differ from lock/dev.txt (locked, installed): {wrong}; " \
                      "install through the lock: bash lock/install.sh dev"


def test_the_reader_understands_the_lock_format(tmp_path: Path) -> None:
    """The parser above, on a hand-written lock: hashes counted, markers kept, continuation lines skipped."""
    lock = tmp_path / "x.txt"
    lock.write_text("# header\nfoo-bar==1.2.0 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n    # via x\n"
                    "baz==3.0 ; sys_platform == 'win32' \\\n    --hash=sha256:cc\n")
    foo, baz = read_lock(lock)
    assert (foo.name, foo.version, foo.marker, foo.hashes) == ("foo-bar", Version("1.2.0"), None, 2)
    assert (baz.name, str(baz.marker), baz.hashes) == ("baz", 'sys_platform == "win32"', 1)
    assert applicable([foo, baz]) == {"foo-bar": Version("1.2.0")}
