"""Fast decoders for the generated account classes: one ``struct`` unpack instead of construct's parser.

anchorpy's ``Account.decode`` parses with construct, about a millisecond for a ``User``; a keeper
following 100k users decodes one at every change. ``compile_decoder(cls)`` reads the generated
class's own Borsh layout (so the generated client stays the single source of the layout) and
compiles it once into a ``struct`` format plus a builder of the very same dataclasses. Layouts it
cannot compile (variable-size fields, enums with fields) raise ``LayoutNotCompilable``: callers keep
the generated ``decode`` for those. A test holds both decoders equal on real and random bytes.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import struct
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any, TypeVar

import construct
from anchorpy.borsh_extension import EnumForCodegen
from anchorpy.error import AccountInvalidDiscriminator
from borsh_construct import CStruct
from solders.pubkey import Pubkey

import programs_client.perp.types as perp_types

DISCRIMINATOR_LEN = 8
T = TypeVar("T")
Builder = Callable[[Iterator[Any]], Any]


class LayoutNotCompilable(TypeError):
    """The layout has a part this compiler does not handle."""


@lru_cache(maxsize=1)
def _generated_types() -> tuple[dict[int, type], dict[int, Any]]:
    """Generated struct classes and enum modules, by the identity of their ``layout`` object."""
    structs: dict[int, type] = {}
    enums: dict[int, Any] = {}
    for info in pkgutil.iter_modules(perp_types.__path__):
        module = importlib.import_module(f"{perp_types.__name__}.{info.name}")
        layout = getattr(module, "layout", None)
        if isinstance(layout, EnumForCodegen):
            enums[id(layout)] = module
        for value in vars(module).values():
            if isinstance(value, type) and isinstance(getattr(value, "layout", None), CStruct):
                structs[id(value.layout)] = value
    return structs, enums


def _compile(node: Any, cls: type | None = None) -> tuple[str, Builder]:
    """(struct format without byte order, builder consuming the unpacked values) of one layout node."""
    while isinstance(node, construct.Renamed):
        node = node.subcon
    if isinstance(node, construct.FormatField):
        return node.fmtstr.lstrip("<"), next
    if type(node).__name__ == "Flag":  # a Borsh bool: one byte, nonzero is True (as construct reads it)
        return "B", lambda it: next(it) != 0
    if type(node).__name__ == "BorshPubkeyAdapter":
        return "32s", lambda it: Pubkey.from_bytes(next(it))
    if isinstance(node, construct.Array) and isinstance(node.count, int):
        sub = node.subcon
        if isinstance(sub, construct.FormatField) and sub.fmtstr.lstrip("<") == "B":
            return f"{node.count}s", lambda it: list(next(it))
        fmt, build = _compile(sub)
        n = node.count
        return fmt * n, lambda it: [build(it) for _ in range(n)]
    if isinstance(node, EnumForCodegen):
        return "B", _enum_builder(node)
    if isinstance(node, CStruct):
        target = cls or _generated_types()[0].get(id(node))
        if target is None:
            raise LayoutNotCompilable("a struct that is not a generated class")
        parts = [_compile(sc) for sc in node.subcons]
        builders = [b for _, b in parts]
        return "".join(f for f, _ in parts), lambda it: target(*[b(it) for b in builders])
    raise LayoutNotCompilable(f"layout node {type(node).__name__}")


def _enum_builder(node: EnumForCodegen) -> Builder:
    module = _generated_types()[1].get(id(node))
    if module is None:
        raise LayoutNotCompilable("an enum that is not a generated module")
    # Each variant is a class with the variant's index as ``discriminator`` (names may be mangled: None_).
    variants = {v.discriminator: v for v in vars(module).values()
                if isinstance(v, type) and isinstance(getattr(v, "discriminator", None), int) and hasattr(v, "kind")}
    count = len(node.index_to_variant_name)
    if sorted(variants) != list(range(count)):
        raise LayoutNotCompilable(f"enum module {module.__name__} does not match its layout")
    if any(dataclasses.is_dataclass(v) and dataclasses.fields(v) for v in variants.values()):
        raise LayoutNotCompilable(f"enum {module.__name__} has variants with fields")
    kinds = [variants[i]() for i in range(count)]

    def build(it: Iterator[Any]) -> Any:
        i = next(it)
        if i >= count:
            raise ValueError(f"enum index {i} out of range ({count} variants)")
        return kinds[i]

    return build


class CompiledDecoder:
    """Decodes accounts of one generated class; ``size`` is the layout's length after the discriminator."""

    def __init__(self, cls: type) -> None:
        fmt, self._build = _compile(cls.layout, cls)  # type: ignore[attr-defined]
        self._layout = struct.Struct("<" + fmt)
        self.size = self._layout.size
        self._discriminator = cls.discriminator  # type: ignore[attr-defined]

    def __call__(self, data: bytes) -> Any:
        if data[:DISCRIMINATOR_LEN] != self._discriminator:
            raise AccountInvalidDiscriminator("The discriminator for this account is invalid")
        return self._build(iter(self._layout.unpack_from(data, DISCRIMINATOR_LEN)))


def compile_decoder(cls: type[T]) -> Callable[[bytes], T]:
    """A decoder of ``cls``'s accounts that returns what ``cls.decode`` returns, and fails where it fails."""
    return CompiledDecoder(cls)


def decoder_for(cls: type[T]) -> Callable[[bytes], T]:
    """``compile_decoder(cls)``, or the generated ``cls.decode`` when its layout cannot be compiled."""
    try:
        return compile_decoder(cls)
    except LayoutNotCompilable:
        return cls.decode  # type: ignore[attr-defined]


__all__ = ["CompiledDecoder", "LayoutNotCompilable", "compile_decoder", "decoder_for"]
