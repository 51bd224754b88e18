"""The project's own Solana program toolchain: C compiler driver, SBPF v0 linker and verifier.

No Solana platform tools are needed: upstream clang/LLVM (Debian clang-19 or PyPI ziglang)
compiles freestanding C for the BPF target, and `link_objects` turns the objects into an SBPF v0
shared object that the Solana loader accepts.
"""

from .compiler import compile_c, find_compiler
from .errors import BuildError, LinkError
from .linker import link_objects
from .pipeline import build_c_sources, build_program
from .sbf_isa import verify_sbf

__all__ = [
    "BuildError",
    "LinkError",
    "build_c_sources",
    "build_program",
    "compile_c",
    "find_compiler",
    "link_objects",
    "verify_sbf",
]
