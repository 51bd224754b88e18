"""Generate fast instruction builders from an Anchor IDL (``fast_instructions.py`` of a client package).

anchorpy's builders encode instruction data through ``construct`` (a dict per struct, a parser tree
walked per call): most of the Python time of a transaction in a simulation. The builders written here
lay the same bytes out with one precompiled ``struct.Struct`` per instruction: the 8-byte discriminator
and every argument, nested IDL structs flattened field by field, unit enums as their Borsh tag (u8).
What has no fixed size (``option``, ``vec``, ``string``, ``bytes``, enums with data) is encoded by
small expressions joined with the fixed parts, as Borsh lays them out (option: a 0/1 tag, then the
value; vec/string/bytes: a u32 length, then the items; enum: a u8 tag, then the variant's fields).

Each builder takes the accounts (in IDL order), then the arguments (the same values anchorpy's
builders take: ints, bools, ``Pubkey``, lists, the generated type classes), then ``program_id`` and
``remaining_accounts``; its ``AccountMeta`` flags come from the IDL's ``isSigner`` / ``isMut``.
A test proves byte equality with anchorpy's builders for every instruction of every IDL.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass, field
from typing import Any

from anchorpy.clientgen.instructions import CONST_ACCOUNTS
from pyheck import snake

# Borsh scalars that ``struct`` packs as they are.
_SCALARS = {"u8": "B", "i8": "b", "u16": "H", "i16": "h", "u32": "I", "i32": "i", "u64": "Q", "i64": "q",
            "f32": "f", "f64": "d", "bool": "?"}
_PY_SCALARS = {**{k: "int" for k in _SCALARS}, "f32": "float", "f64": "float", "bool": "bool", "u128": "int",
               "i128": "int", "u256": "int", "i256": "int", "publicKey": "Pubkey", "string": "str", "bytes": "bytes"}
_WIDE = {"u128": (16, False), "i128": (16, True), "u256": (32, False), "i256": (32, True)}
_RESERVED = {"program_id", "remaining_accounts"}


class FastBuilderError(ValueError):
    """The IDL holds a type the fast builders cannot lay out."""


def _py_name(name: str) -> str:
    """The Python name anchorpy gives an IDL name (snake case, a trailing ``_`` on keywords)."""
    s = snake(name)
    return f"{s}_" if keyword.iskeyword(s) else s


@dataclass
class _Fixed:
    fmt: str
    exprs: list[str]


@dataclass
class _Dyn:
    expr: str  # evaluates to bytes


@dataclass
class _Gen:
    """What one module accumulates: the types by name, the Struct constants, the helper functions."""

    types: dict[str, dict[str, Any]]
    structs: dict[str, str] = field(default_factory=dict)  # format -> constant name
    helpers: dict[str, str] = field(default_factory=dict)  # helper name -> source
    depth: int = 0

    def struct_const(self, fmt: str) -> str:
        name = self.structs.get(fmt)
        if name is None:
            name = self.structs[fmt] = f"_S{len(self.structs)}"
        return name

    # -- layout --------------------------------------------------------------------------------
    def pieces(self, ty: Any, expr: str) -> list[_Fixed | _Dyn]:
        """The Borsh layout of a value of IDL type ``ty`` held by the Python expression ``expr``."""
        if isinstance(ty, str):
            if ty in _SCALARS:
                return [_Fixed(_SCALARS[ty], [expr])]
            if ty == "publicKey":
                return [_Fixed("32s", [f"bytes({expr})"])]
            if ty in _WIDE:
                size, signed = _WIDE[ty]
                return [_Fixed(f"{size}s", [f"{expr}.to_bytes({size}, 'little', signed={signed})"])]
            if ty == "string":
                return [_Dyn(f"_sized({expr}.encode())")]
            if ty == "bytes":
                return [_Dyn(f"_sized(bytes({expr}))")]
            raise FastBuilderError(f"unknown IDL type {ty!r}")
        if "array" in ty:
            elem, count = ty["array"]
            if isinstance(elem, str) and elem in _SCALARS:
                # struct refuses a wrong item count, as construct does
                return [_Fixed(f"{count}{_SCALARS[elem]}", [f"*{expr}"])]
            return [p for i in range(count) for p in self.pieces(elem, f"{expr}[{i}]")]
        if "option" in ty or "coption" in ty:
            if "coption" in ty:
                raise FastBuilderError("COption arguments are not supported")
            return [_Dyn(f"(b'\\x00' if {expr} is None else b'\\x01' + {self.bytes_expr(ty['option'], expr)})")]
        if "vec" in ty:
            self.depth += 1
            var = f"x{self.depth}"
            inner = self.bytes_expr(ty["vec"], var)
            self.depth -= 1
            return [_Dyn(f"_sized(b''.join([{inner} for {var} in {expr}]), len({expr}))")]
        if "defined" in ty:
            name = ty["defined"]
            if isinstance(name, dict):
                name = name["name"]
            decl = self.types.get(name)
            if decl is None:
                raise FastBuilderError(f"type {name!r} is not defined in the IDL")
            kind = decl["type"]["kind"]
            if kind == "struct":
                return [p for f in decl["type"]["fields"] for p in self.pieces(f["type"], f"{expr}.{_py_name(f['name'])}")]
            if kind == "enum":
                variants = decl["type"]["variants"]
                if not any(v.get("fields") for v in variants):
                    return [_Fixed("B", [f"{expr}.discriminator"])]
                return [_Dyn(f"{self.enum_helper(name, variants)}({expr})")]
            raise FastBuilderError(f"type {name!r} of kind {kind!r} is not supported")
        raise FastBuilderError(f"unknown IDL type {ty!r}")

    def bytes_expr(self, ty: Any, expr: str) -> str:
        """A Python expression for the bytes of ``expr`` (of IDL type ``ty``)."""
        parts = []
        for p in _merge(self.pieces(ty, expr)):
            if isinstance(p, _Fixed):
                parts.append(f"{self.struct_const('<' + p.fmt)}.pack({', '.join(p.exprs)})")
            else:
                parts.append(p.expr)
        return parts[0] if len(parts) == 1 else "(" + " + ".join(parts) + ")"

    def enum_helper(self, name: str, variants: list[dict[str, Any]]) -> str:
        """Name of the helper that encodes enum ``name`` with data (written once per module)."""
        helper = f"_enum_{snake(name)}"
        if helper in self.helpers:
            return helper
        self.helpers[helper] = ""  # reserve: a recursive type refers to itself
        lines = [f"def {helper}(v: typing.Any) -> bytes:", "    d = v.discriminator"]
        for i, variant in enumerate(variants):
            fields = variant.get("fields") or []
            parts = [f"bytes(({i},))"]
            for j, f in enumerate(fields):
                if isinstance(f, dict) and "name" in f:
                    parts.append(self.bytes_expr(f["type"], f"v.value[{_py_name(f['name'])!r}]"))
                else:
                    parts.append(self.bytes_expr(f, f"v.value[{j}]"))
            lines += [f"    if d == {i}:", f"        return {' + '.join(parts)}"]
        lines.append(f"    raise ValueError(f'{name}: unknown variant {{d}}')")
        self.helpers[helper] = "\n".join(lines)
        return helper

    def py_type(self, ty: Any) -> str:
        """The annotation of an argument of IDL type ``ty``."""
        if isinstance(ty, str):
            return _PY_SCALARS.get(ty, "typing.Any")
        if "array" in ty or "vec" in ty:
            return f"typing.Sequence[{self.py_type((ty.get('array') or [ty.get('vec')])[0])}]"
        if "option" in ty:
            return f"typing.Optional[{self.py_type(ty['option'])}]"
        if "defined" in ty:
            name = ty["defined"] if isinstance(ty["defined"], str) else ty["defined"]["name"]
            decl = self.types.get(name, {})
            suffix = "Kind" if decl.get("type", {}).get("kind") == "enum" else ""
            return f"types.{_py_name(name)}.{name}{suffix}"
        return "typing.Any"


def _merge(pieces: list[_Fixed | _Dyn]) -> list[_Fixed | _Dyn]:
    out: list[_Fixed | _Dyn] = []
    for p in pieces:
        if isinstance(p, _Fixed) and out and isinstance(out[-1], _Fixed):
            last = out[-1]
            out[-1] = _Fixed(last.fmt + p.fmt, last.exprs + p.exprs)
        else:
            out.append(p)
    return out


# Accounts that anchorpy's builders fill with a well-known address (by snake-case name): CONST_ACCOUNTS.
_CONST_IMPORTS = {"ASSOCIATED_TOKEN_PROGRAM_ID": "from spl.token.constants import ASSOCIATED_TOKEN_PROGRAM_ID",
                  "RENT": "from solders.sysvar import RENT", "CLOCK": "from solders.sysvar import CLOCK",
                  "SYS_PROGRAM_ID": "from solders.system_program import ID as SYS_PROGRAM_ID",
                  "TOKEN_PROGRAM_ID": "from spl.token.constants import TOKEN_PROGRAM_ID"}


@dataclass(frozen=True)
class _Account:
    name: str  # parameter name (nested groups flattened as ``group_name``)
    signer: bool
    writable: bool
    const: str | None  # the well-known address it always is (not a parameter)


def _flat_accounts(accounts: list[dict[str, Any]], prefix: str = "") -> list[_Account]:
    """Every account of an instruction in order, nested groups flattened."""
    out = []
    for a in accounts:
        leaf = _py_name(a["name"])
        if "accounts" in a:
            out += _flat_accounts(a["accounts"], prefix + leaf + "_")
        else:
            out.append(_Account(prefix + leaf, bool(a.get("isSigner", a.get("signer"))),
                                bool(a.get("isMut", a.get("writable"))), CONST_ACCOUNTS.get(leaf)))
    return out


def _discriminator(name: str) -> bytes:
    """The 8-byte identifier anchorpy's builders put first (``sha256("global:" + snake(name))[:8]``)."""
    from anchorpy.coder.common import _sighash

    return _sighash(snake(name))


def _param_names(accounts: list[_Account], args: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Parameter names of the accounts (a constant account keeps its constant) and args: unique, clashes suffixed."""
    taken: set[str] = set(_RESERVED)
    acc_names, arg_names = [], []
    for a in accounts:
        if a.const is not None:
            acc_names.append(a.const)
            continue
        n = a.name
        while n in taken:
            n += "_account"
        taken.add(n)
        acc_names.append(n)
    for a in args:
        n = _py_name(a["name"])
        while n in taken:
            n += "_arg"
        taken.add(n)
        arg_names.append(n)
    return acc_names, arg_names


def generate_fast_builders(idl: dict[str, Any], source: str) -> str | None:
    """Return the source of ``fast_instructions.py`` for ``idl`` (None when it has no instructions)."""
    instructions = idl.get("instructions", [])
    if not instructions:
        return None
    gen = _Gen({t["name"]: t for t in idl.get("types", [])})
    functions: list[str] = []
    names: list[str] = []
    consts: set[str] = set()
    for ix in instructions:
        fname = _py_name(ix["name"])
        names.append(fname)
        accounts = _flat_accounts(ix["accounts"])
        acc_names, arg_names = _param_names(accounts, ix["args"])
        disc_const = f"_{fname.upper()}_DISCRIMINATOR"
        pieces = _merge([_Fixed("8s", [disc_const])] + [p for a, n in zip(ix["args"], arg_names)
                                                         for p in gen.pieces(a["type"], n)])
        if len(pieces) == 1:
            data = f"{gen.struct_const('<' + pieces[0].fmt)}.pack({', '.join(pieces[0].exprs)})"  # type: ignore[union-attr]
        else:
            data = "b''.join((" + ", ".join(
                f"{gen.struct_const('<' + p.fmt)}.pack({', '.join(p.exprs)})" if isinstance(p, _Fixed) else p.expr
                for p in pieces) + ",))"
        params = [f"{n}: Pubkey" for n, a in zip(acc_names, accounts) if a.const is None] + [f"{n}: {gen.py_type(a['type'])}"
                                                         for a, n in zip(ix["args"], arg_names)]
        params += ["program_id: Pubkey = PROGRAM_ID", "remaining_accounts: typing.Sequence[AccountMeta] = ()"]
        metas = [f"AccountMeta({n}, {a.signer}, {a.writable})" for n, a in zip(acc_names, accounts)]
        consts.update(a.const for a in accounts if a.const is not None)
        doc = (ix.get("docs") or [f"The {ix['name']} instruction."])[0].replace('"""', "'''").replace("\\", "\\\\")
        body = [f"{disc_const} = {_discriminator(ix['name'])!r}", "", "",
                f"def {fname}(", *[f"    {p}," for p in params], ") -> Instruction:",
                f'    """{doc}"""',
                f"    data = {data}",
                "    return Instruction(program_id, data, [",
                *[f"        {m}," for m in metas],
                "        *remaining_accounts,",
                "    ])"]
        functions.append("\n".join(body))
    head = [
        f'"""Fast instruction builders of idl/{source}, generated by `perpkeep codegen`. Do not edit: edit the IDL.',
        "",
        "The same instructions as ``instructions`` (anchorpy's builders), byte for byte, with the data packed by",
        "precompiled ``struct.Struct`` layouts (see localnet/codegen/fast_builders.py).",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "import struct",
        "import typing",
        "",
        "from solders.instruction import AccountMeta, Instruction",
        "from solders.pubkey import Pubkey",
        *sorted(_CONST_IMPORTS[c] for c in consts),
        "",
        *(["from . import types  # noqa: F401 - the annotations name its classes"] if gen.types else []),
        "from .program_id import PROGRAM_ID",
        "",
    ]
    head += [f"{const} = struct.Struct({fmt!r})" for fmt, const in gen.structs.items()]
    head += [
        "",
        "",
        "def _sized(data: bytes, count: int | None = None) -> bytes:",
        '    """``data`` after its u32 item count (Borsh vec, string, bytes)."""',
        "    return struct.pack('<I', len(data) if count is None else count) + data",
    ]
    for src in gen.helpers.values():
        head += ["", "", src]
    out = "\n".join(head) + "\n\n\n" + "\n\n\n".join(functions) + "\n\n\n"
    out += "__all__ = [\n" + "".join(f'    "{n}",\n' for n in names) + "]\n"
    return out


__all__ = ["FastBuilderError", "generate_fast_builders"]
