"""Driving the C compiler (Debian clang-19, else the PyPI ziglang clang) for the BPF target."""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Mapping, Sequence

from .errors import BuildError

log = logging.getLogger(__name__)

# -mcpu must be explicit: v3 and zig's default emit alu32 and jmp32, which SBPF v0 mis-runs/refuses.
CPU = "v2"
COMMON_FLAGS: tuple[str, ...] = (
    "-O2",
    "-fno-strict-aliasing",  # account bytes are type-punned through u64*/u128*
    "-ffreestanding",
    "-nostdlib",
    "-fno-builtin",
    "-fno-unwind-tables",
    "-fno-asynchronous-unwind-tables",
    "-mllvm",
    "-bpf-stack-size=4096",
    "-ffunction-sections",
    "-fdata-sections",
    "-Wall",
    "-Werror=implicit-function-declaration",
    "-std=c11",
)


def find_compiler() -> list[str]:
    """The compiler's argv prefix: `clang-19` when on PATH, else `python -m ziglang cc`."""
    if shutil.which("clang-19"):
        return ["clang-19"]
    return [sys.executable, "-m", "ziglang", "cc"]


def _is_zig(compiler: Sequence[str]) -> bool:
    return "ziglang" in compiler


def compiler_flags(compiler: Sequence[str] | None = None) -> list[str]:
    """Target and code-generation flags for `compiler` (default: find_compiler()), without -c/-o.

    The CPU is read from the module's `CPU` at call time, so tests can build for another one.
    """
    compiler = find_compiler() if compiler is None else compiler
    target = "bpfel-freestanding" if _is_zig(compiler) else "bpfel"
    return ["-target", target, f"-mcpu={CPU}", *COMMON_FLAGS]


@functools.lru_cache(maxsize=None)
def compiler_identity(compiler: tuple[str, ...]) -> str:
    """The compiler's `--version` output, part of the build cache key."""
    try:
        result = subprocess.run(
            [*compiler, "--version"], capture_output=True, text=True, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildError(f"cannot run the C compiler {' '.join(compiler)}: {exc}") from exc
    return result.stdout.strip()


def compile_argv(
    source: Path,
    out: Path,
    include_dirs: Sequence[Path] = (),
    defines: Mapping[str, str] = {},
    compiler: Sequence[str] | None = None,
) -> list[str]:
    """The full compiler command line for one translation unit."""
    compiler = find_compiler() if compiler is None else list(compiler)
    argv = [*compiler, *compiler_flags(compiler)]
    for directory in include_dirs:
        argv.append(f"-I{directory}")
    for key in sorted(defines):
        argv.append(f"-D{key}={defines[key]}")
    return [*argv, "-c", str(source), "-o", str(out)]


def compile_c(
    source: Path,
    out: Path,
    include_dirs: Sequence[Path] = (),
    defines: Mapping[str, str] = {},
    *,
    cwd: Path | None = None,
) -> None:
    """Compile one C file to a BPF object at `out`.

    With `cwd`, the compiler runs there and paths are passed relative to it, so `__FILE__` and the
    object do not depend on where the tree lives. Raises BuildError carrying the compiler's stderr.
    """

    def arg(path: Path) -> Path:
        if cwd is None:
            return path
        try:
            return Path(os.path.relpath(Path(path).resolve(), Path(cwd).resolve()))
        except ValueError:
            return Path(path).resolve()

    argv = compile_argv(arg(source), Path(out).resolve(), [arg(d) for d in include_dirs], defines)
    try:
        result = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildError(f"cannot run the C compiler {argv[0]}: {exc}") from exc
    if result.returncode != 0:
        fallback = f"{' '.join(argv)} exited with status {result.returncode}"
        raise BuildError(result.stderr.strip() or fallback)
    if result.stderr.strip():
        log.warning("%s", result.stderr.strip())
