"""Errors raised by the program build toolchain."""

from __future__ import annotations


class BuildError(Exception):
    """A program failed to build. The message is meant for humans: the compiler's own stderr,
    or the linker/verifier reason naming the symbol or instruction and its offset."""


class LinkError(BuildError):
    """The linker or the SBPF v0 verifier refused the objects."""
