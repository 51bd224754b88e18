"""Source tree to deployable .so: compile, link, verify, cache by content hash, write atomically."""

from __future__ import annotations

import hashlib
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterable, Sequence

from . import compiler
from .errors import BuildError
from .linker import link_named

REPO_ROOT = Path(__file__).resolve().parents[2]
_CACHE_FORMAT = b"perpkeep-sbf-build 1\n"


def build_program(name: str, *, root: Path | None = None, out_dir: Path | None = None) -> Path:
    """Build programs/<name>/*.c into <out_dir or root/build/programs>/<name>.so; return its path.

    Include dirs: programs/<name>/include and programs/common/include. Returns at once when the
    stamp next to the .so matches the hash of the compiler, flags, toolchain, sources and headers.
    """
    root = REPO_ROOT if root is None else Path(root).resolve()
    program_dir = root / "programs" / name
    sources = sorted(program_dir.glob("*.c"))
    if not sources:
        raise BuildError(f"no C sources in {program_dir}")
    include_dirs = [program_dir / "include", root / "programs" / "common" / "include"]
    out_dir = root / "build" / "programs" if out_dir is None else Path(out_dir)
    return _build(sources, out_dir / f"{name}.so", include_dirs, cwd=root)


def build_c_sources(sources: Sequence[Path], out: Path, include_dirs: Sequence[Path] = ()) -> Path:
    """Compile and link arbitrary C sources into the .so at `out` (same pipeline and cache)."""
    if not sources:
        raise BuildError("no C sources given")
    paths = [Path(p).resolve() for p in [*sources, *include_dirs]]
    cwd = Path(os.path.commonpath([p if p.is_dir() else p.parent for p in paths]))
    return _build([Path(s) for s in sources], Path(out), [Path(d) for d in include_dirs], cwd=cwd)


def _build(sources: Sequence[Path], out: Path, include_dirs: Sequence[Path], cwd: Path) -> Path:
    stamp = out.with_name(out.name + ".stamp")
    digest = _cache_key(sources, include_dirs, cwd)
    if out.is_file() and stamp.is_file() and stamp.read_text().strip() == digest:
        return out
    image = _compile_and_link(sources, include_dirs, cwd)
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(out, image)
    _write_atomic(stamp, (digest + "\n").encode())
    return out


def _compile_and_link(sources: Sequence[Path], include_dirs: Sequence[Path], cwd: Path) -> bytes:
    with tempfile.TemporaryDirectory(prefix="perpkeep-sbf-") as tmp:
        objects = [Path(tmp) / f"{i:03d}-{src.stem}.o" for i, src in enumerate(sources)]

        def compile_one(i: int) -> str | None:
            try:
                compiler.compile_c(sources[i], objects[i], include_dirs, cwd=cwd)
            except BuildError as exc:
                return str(exc)
            return None

        workers = max(1, min(len(sources), os.cpu_count() or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(compile_one, range(len(sources))))
        failures = [msg for msg in results if msg is not None]
        if failures:
            raise BuildError("\n".join(failures))
        named = [(_display(src, cwd), obj.read_bytes()) for src, obj in zip(sources, objects)]
    return link_named(named)


def _display(path: Path, cwd: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(cwd))
    except ValueError:
        return str(path)


def _cache_key(sources: Sequence[Path], include_dirs: Sequence[Path], cwd: Path) -> str:
    h = hashlib.sha256(_CACHE_FORMAT)
    argv = compiler.find_compiler()
    for part in (*argv, compiler.compiler_identity(tuple(argv)), *compiler.compiler_flags(argv)):
        h.update(part.encode() + b"\0")
    toolchain = sorted(Path(__file__).resolve().parent.glob("*.py"))
    inputs: list[tuple[str, Path]] = [(f"toolchain/{p.name}", p) for p in toolchain]
    inputs += [("source/" + _display(p, cwd), Path(p)) for p in sources]
    seen = {Path(p).resolve() for p in sources}
    source_dirs = sorted({Path(s).resolve().parent for s in sources})
    candidates = [p for d in include_dirs for p in _headers(Path(d), recursive=True)]
    candidates += [p for d in source_dirs for p in _headers(d, recursive=False)]
    for path in candidates:
        if path.resolve() not in seen:
            seen.add(path.resolve())
            inputs.append(("header/" + _display(path, cwd), path))
    for label, path in sorted(inputs, key=lambda item: item[0]):
        data = path.read_bytes()
        h.update(f"{label}\0{len(data)}\0".encode() + data)
    return h.hexdigest()


def _headers(directory: Path, recursive: bool) -> Iterable[Path]:
    if not directory.is_dir():
        return []
    found = directory.rglob("*") if recursive else directory.glob("*")
    return sorted(p for p in found if p.is_file() and p.suffix in (".h", ".inc", ".def"))


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
