"""Generate the program's C header from an Anchor (legacy format) IDL.

The header holds, for every account, defined type, instruction and event of the IDL: C structs whose
natural layout equals the Borsh layout (pinned by ``_Static_assert`` on size and every offset),
the 8-byte Anchor discriminators as little-endian ``u64`` constants, the Borsh wire lengths, account
indices with signer and writable masks per instruction, enum values, constants and error codes.

The IDL must lay out every struct at natural alignment (largest fields first, explicit padding): the
generator refuses a field that would need compiler padding, because Borsh has none.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anchorpy.coder.accounts import _account_discriminator
from anchorpy.coder.common import _sighash
from anchorpy.coder.event import _event_discriminator
from pyheck import shouty_snake, snake

_PRIMITIVES: dict[str, tuple[str, int]] = {
    "u8": ("u8", 1),
    "i8": ("i8", 1),
    "bool": ("u8", 1),
    "u16": ("u16", 2),
    "i16": ("i16", 2),
    "u32": ("u32", 4),
    "i32": ("i32", 4),
    "u64": ("u64", 8),
    "i64": ("i64", 8),
    "publicKey": ("SolPubkey", 32),
}


class IdlLayoutError(ValueError):
    """The IDL holds something the C header cannot represent with a Borsh-identical layout."""


@dataclass(frozen=True)
class _CType:
    c_name: str
    size: int
    align: int
    array: int | None = None  # element count when the field is an array


def _type_name(name: str) -> str:
    return f"pk_{snake(name)}_t"


def include_guard(header_path: str) -> str:
    """Return the include guard for a header at ``header_path`` (repo-relative), e.g.
    ``programs/perp/include/perp_idl.h`` -> ``HEADER_pk_programs_perp_include_perp_idl_h``."""
    return "HEADER_pk_" + re.sub(r"[^0-9A-Za-z]", "_", header_path)


class _Generator:
    def __init__(self, idl: dict[str, Any], source: str, guard: str) -> None:
        self.idl = idl
        self.source = source
        self.guard = guard
        self.enums = {t["name"]: t for t in idl.get("types", []) if t["type"]["kind"] == "enum"}
        self.structs = {t["name"]: t for t in idl.get("types", []) if t["type"]["kind"] == "struct"}
        self.layouts: dict[str, _CType] = {}
        self.out: list[str] = []

    def resolve(self, ty: Any, where: str) -> _CType:
        if isinstance(ty, str):
            if ty not in _PRIMITIVES:
                raise IdlLayoutError(f"{where}: type {ty!r} has no fixed-size C layout")
            c, size = _PRIMITIVES[ty]
            return _CType(c, size, 8 if ty == "publicKey" else size)
        if "array" in ty:
            elem_ty, count = ty["array"]
            elem = self.resolve(elem_ty, where)
            if elem.array is not None:
                raise IdlLayoutError(f"{where}: nested arrays are not supported")
            return _CType(elem.c_name, elem.size * count, elem.align, count)
        if "defined" in ty:
            name = ty["defined"]
            if name in self.enums:
                variants = self.enums[name]["type"]["variants"]
                if any("fields" in v for v in variants) or len(variants) > 256:
                    raise IdlLayoutError(f"{where}: enum {name} must be fieldless with at most 256 variants")
                return _CType("u8", 1, 1)
            if name not in self.layouts:
                raise IdlLayoutError(f"{where}: defined type {name} is used before it is defined")
            return self.layouts[name]
        raise IdlLayoutError(f"{where}: unsupported type {ty!r} (option, vec, string and 128-bit types are refused)")

    def struct(self, c_name: str, fields: list[dict[str, Any]], where: str, *, prefix_disc: bool) -> tuple[int, int, int]:
        """Emit a struct; return (borsh length without discriminator, sizeof, alignment)."""
        offset = 8 if prefix_disc else 0
        align = 8 if prefix_disc else 1
        lines = ["typedef struct {"]
        asserts = []
        if prefix_disc:
            lines.append("  u64 discriminator;")
        for f in fields:
            ct = self.resolve(f["type"], f"{where}.{f['name']}")
            if offset % ct.align:
                raise IdlLayoutError(
                    f"{where}.{f['name']}: offset {offset} is not a multiple of its alignment {ct.align}; "
                    "reorder fields (largest first) or add explicit padding"
                )
            fname = snake(f["name"])
            suffix = f"[{ct.array}]" if ct.array is not None else ""
            lines.append(f"  {ct.c_name} {fname}{suffix};")
            asserts.append(f'PK_STATIC_ASSERT( PK_OFFSETOF( {c_name}, {fname} ) == {offset}, "{where}.{f["name"]} offset" );')
            offset += ct.size
            align = max(align, ct.align)
        lines.append(f"}} {c_name};")
        padded = -(-offset // align) * align
        self.out += lines
        self.out += asserts
        self.out.append(f'PK_STATIC_ASSERT( sizeof( {c_name} ) == {padded}, "{where} size" );')
        self.out.append("")
        base = 8 if prefix_disc else 0
        return offset - base, padded, align

    def generate(self) -> str:
        idl = self.idl
        o = self.out
        guard = self.guard
        o += [
            f"/* Generated from {self.source} by localnet/codegen/c_header.py. Do not edit: edit the IDL",
            "   and run `perpkeep codegen`. */",
            f"#ifndef {guard}",
            f"#define {guard}",
            "",
            '#include "pk_sol.h"',
            "",
            f'#define PK_IDL_NAME "{idl["name"]}"',
            f'#define PK_IDL_VERSION "{idl["version"]}"',
            "",
            "/* Constants */",
        ]
        for c in idl.get("constants", []):
            if c["type"] not in _PRIMITIVES or c["type"] == "publicKey":
                raise IdlLayoutError(f"constant {c['name']}: only integer constants are supported")
            if not re.fullmatch(r"-?[0-9]+", c["value"]):
                raise IdlLayoutError(f"constant {c['name']}: value {c['value']!r} is not an integer")
            doc = " ".join(c.get("docs", []))
            comment = f"  /* {doc} */" if doc else ""
            o.append(f"#define PK_{shouty_snake(c['name'])} {c['value']}ULL{comment}")
        o += ["", "/* Enums (Borsh: one u8 tag) */"]
        for name, t in self.enums.items():
            prefix = f"PK_{shouty_snake(name)}"
            for i, v in enumerate(t["type"]["variants"]):
                o.append(f"#define {prefix}_{shouty_snake(v['name'])} {i}")
            o.append(f"#define {prefix}_COUNT {len(t['type']['variants'])}")
            o.append("")
        o.append("/* Defined types */")
        for t in idl.get("types", []):
            if t["type"]["kind"] != "struct":
                continue
            c_name = _type_name(t["name"])
            length, size, align = self.struct(c_name, t["type"]["fields"], t["name"], prefix_disc=False)
            if length != size:
                raise IdlLayoutError(f"type {t['name']}: Borsh length {length} needs trailing padding to {size}")
            self.layouts[t["name"]] = _CType(c_name, size, align)
        o.append("/* Accounts: the struct maps the whole account data, discriminator first */")
        for a in idl.get("accounts", []):
            c_name = _type_name(a["name"])
            length, size, _ = self.struct(c_name, a["type"]["fields"], a["name"], prefix_disc=True)
            if length + 8 != size:
                raise IdlLayoutError(f"account {a['name']}: Borsh length {length + 8} needs trailing padding to {size}")
            up = shouty_snake(a["name"])
            o.append(f"#define PK_{up}_DISCRIMINATOR {_u64_hex(_account_discriminator(a['name']))}")
            o.append(f"#define PK_{up}_LEN {size}UL")
            o.append("")
        o.append("/* Instructions */")
        for ix in idl["instructions"]:
            self.instruction(ix)
        o.append("/* Events: logged with sol_log_data as discriminator + Borsh fields */")
        for e in idl.get("events", []):
            c_name = f"pk_event_{snake(e['name'])}_t"
            length, _, _ = self.struct(c_name, e["fields"], e["name"], prefix_disc=True)
            up = shouty_snake(e["name"])
            o.append(f"#define PK_EVENT_{up}_DISCRIMINATOR {_u64_hex(_event_discriminator(e['name']))}")
            o.append(f"#define PK_EVENT_{up}_LEN {length + 8}UL")
            o.append("")
        o.append("/* Errors: returned as the program's custom error code */")
        for err in idl.get("errors", []):
            o.append(f"#define PK_ERR_{shouty_snake(err['name'])} {err['code']}ULL")
        o += ["", f"#endif /* {guard} */", ""]
        return "\n".join(o)

    def instruction(self, ix: dict[str, Any]) -> None:
        o = self.out
        up = shouty_snake(ix["name"])
        accounts = ix["accounts"]
        for acc in accounts:
            if "accounts" in acc:
                raise IdlLayoutError(f"instruction {ix['name']}: nested account groups are not supported")
        o.append(f"#define PK_IX_{up}_DISCRIMINATOR {_u64_hex(_sighash(snake(ix['name'])))}")
        o.append(f"#define PK_IX_{up}_ACCOUNTS {len(accounts)}UL")
        signer = sum(1 << i for i, a in enumerate(accounts) if a["isSigner"])
        writable = sum(1 << i for i, a in enumerate(accounts) if a["isMut"])
        o.append(f"#define PK_IX_{up}_SIGNER_MASK {signer:#x}ULL")
        o.append(f"#define PK_IX_{up}_WRITABLE_MASK {writable:#x}ULL")
        for i, a in enumerate(accounts):
            o.append(f"#define PK_IX_{up}_ACC_{shouty_snake(a['name'])} {i}")
        if ix["args"]:
            c_name = f"pk_ix_{snake(ix['name'])}_args_t"
            length, _, _ = self.struct(c_name, ix["args"], f"{ix['name']}.args", prefix_disc=False)
        else:
            length = 0
            o.append("")
        o.append(f"#define PK_IX_{up}_DATA_LEN {length + 8}UL")
        o.append("")


def _u64_hex(disc: bytes) -> str:
    return f"{int.from_bytes(disc, 'little'):#018x}ULL"


def generate_c_header(idl_path: Path, source_label: str | None = None, header_path: str | None = None) -> str:
    """Return the C header text for the IDL at ``idl_path``.

    ``header_path`` is where the header will live (repo-relative); its include guard is derived from it
    (default: ``<idl stem>_idl.h``). Raises IdlLayoutError naming the field when the IDL cannot be laid
    out without compiler padding.
    """
    idl = json.loads(idl_path.read_text())
    guard = include_guard(header_path or f"{idl_path.stem}_idl.h")
    return _Generator(idl, source_label or idl_path.name, guard).generate()
