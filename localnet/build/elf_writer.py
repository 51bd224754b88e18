"""Writing the SBPF v0 shared object the Solana loader accepts.

File layout (every section's virtual address equals its file offset):
ELF header, 3 program headers, .text, .rodata, .dynamic, .dynsym, .dynstr, .rel.dyn, .shstrtab,
section headers. PT_LOAD R+X covers .text; PT_LOAD R covers .rodata through .rel.dyn; PT_DYNAMIC
covers .dynamic.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Sequence

EHDR_SIZE, PHDR_SIZE, SHDR_SIZE, SYM_SIZE, REL_SIZE, DYN_SIZE = 64, 56, 64, 24, 16, 16
NUM_PHDRS = 3
TEXT_OFFSET = EHDR_SIZE + NUM_PHDRS * PHDR_SIZE

ET_DYN, EM_BPF, EV_CURRENT = 3, 247, 1
PT_LOAD, PT_DYNAMIC = 1, 2
PF_X, PF_R = 1, 4
SHT_PROGBITS, SHT_STRTAB, SHT_DYNAMIC, SHT_REL, SHT_DYNSYM = 1, 3, 6, 9, 11
SHF_ALLOC, SHF_EXECINSTR = 0x2, 0x4
DT_NULL, DT_STRTAB, DT_SYMTAB, DT_STRSZ, DT_SYMENT = 0, 5, 6, 10, 11
DT_REL, DT_RELSZ, DT_RELENT = 17, 18, 19
STB_GLOBAL, STT_NOTYPE, STT_FUNC = 1, 0, 2
R_BPF_64_32 = 10

SEC_TEXT, SEC_RODATA, SEC_DYNAMIC, SEC_DYNSYM, SEC_DYNSTR, SEC_RELDYN, SEC_SHSTRTAB = range(1, 8)


def align_up(value: int, alignment: int) -> int:
    """Round `value` up to a multiple of `alignment`."""
    return (value + alignment - 1) // alignment * alignment


def rodata_offset(text_size: int, rodata_align: int) -> int:
    """File offset (= virtual address) where .rodata starts, given the .text size."""
    return align_up(TEXT_OFFSET + text_size, max(8, rodata_align))


@dataclass(frozen=True)
class SyscallSite:
    """A `call` at `text_offset` in .text whose target is the syscall `name`."""

    text_offset: int
    name: str


class _StrTab:
    def __init__(self) -> None:
        self.data = bytearray(b"\0")
        self._index: dict[str, int] = {"": 0}

    def add(self, name: str) -> int:
        if name not in self._index:
            self._index[name] = len(self.data)
            self.data += name.encode() + b"\0"
        return self._index[name]


def write_shared_object(
    text: bytes,
    rodata: bytes,
    rodata_align: int,
    entry_offset: int,
    entry_size: int,
    syscall_sites: Sequence[SyscallSite],
) -> bytes:
    """Assemble the .so bytes. `entry_offset` is the entrypoint's offset within .text."""
    text_off = TEXT_OFFSET
    ro_off = rodata_offset(len(text), rodata_align)

    dynstr = _StrTab()
    names = sorted({site.name for site in syscall_sites})
    dynsym = bytearray(SYM_SIZE)
    dynsym += struct.pack(
        "<IBBHQQ",
        dynstr.add("entrypoint"),
        (STB_GLOBAL << 4) | STT_FUNC,
        0,
        SEC_TEXT,
        text_off + entry_offset,
        entry_size,
    )
    sym_index = {}
    for name in names:
        sym_index[name] = len(dynsym) // SYM_SIZE
        info = (STB_GLOBAL << 4) | STT_NOTYPE
        dynsym += struct.pack("<IBBHQQ", dynstr.add(name), info, 0, 0, 0, 0)
    rel_dyn = b"".join(
        struct.pack("<QQ", text_off + site.text_offset, (sym_index[site.name] << 32) | R_BPF_64_32)
        for site in sorted(syscall_sites, key=lambda s: s.text_offset)
    )

    dyn_off = align_up(ro_off + len(rodata), 8)
    dyn_count = 4 + (3 if rel_dyn else 0) + 1
    dynsym_off = dyn_off + dyn_count * DYN_SIZE
    dynstr_off = dynsym_off + len(dynsym)
    rel_off = align_up(dynstr_off + len(dynstr.data), 8)
    entries = [
        (DT_SYMTAB, dynsym_off),
        (DT_SYMENT, SYM_SIZE),
        (DT_STRTAB, dynstr_off),
        (DT_STRSZ, len(dynstr.data)),
    ]
    if rel_dyn:
        entries += [(DT_REL, rel_off), (DT_RELSZ, len(rel_dyn)), (DT_RELENT, REL_SIZE)]
    entries += [(DT_NULL, 0)] * (dyn_count - len(entries))
    dynamic = b"".join(struct.pack("<qQ", tag, val) for tag, val in entries)

    shstrtab = _StrTab()
    shstr_off = rel_off + len(rel_dyn)
    shstr_names = [".text", ".rodata", ".dynamic", ".dynsym", ".dynstr", ".rel.dyn", ".shstrtab"]
    for name in shstr_names:
        shstrtab.add(name)
    shdr_off = align_up(shstr_off + len(shstrtab.data), 8)

    def shdr(
        name: str,
        type_: int,
        flags: int,
        off: int,
        size: int,
        link: int = 0,
        info: int = 0,
        align: int = 1,
        entsize: int = 0,
        addr: int | None = None,
    ) -> bytes:
        address = off if addr is None else addr
        return struct.pack(
            "<IIQQQQIIQQ",
            shstrtab.add(name) if name else 0,
            type_,
            flags,
            address,
            off,
            size,
            link,
            info,
            align,
            entsize,
        )

    headers = [
        shdr("", 0, 0, 0, 0, addr=0, align=0),
        shdr(".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, text_off, len(text), align=8),
        shdr(".rodata", SHT_PROGBITS, SHF_ALLOC, ro_off, len(rodata), align=max(1, rodata_align)),
        shdr(
            ".dynamic",
            SHT_DYNAMIC,
            SHF_ALLOC,
            dyn_off,
            len(dynamic),
            link=SEC_DYNSTR,
            align=8,
            entsize=DYN_SIZE,
        ),
        shdr(
            ".dynsym",
            SHT_DYNSYM,
            SHF_ALLOC,
            dynsym_off,
            len(dynsym),
            link=SEC_DYNSTR,
            info=1,
            align=8,
            entsize=SYM_SIZE,
        ),
        shdr(".dynstr", SHT_STRTAB, SHF_ALLOC, dynstr_off, len(dynstr.data)),
        shdr(
            ".rel.dyn",
            SHT_REL,
            SHF_ALLOC,
            rel_off,
            len(rel_dyn),
            link=SEC_DYNSYM,
            align=8,
            entsize=REL_SIZE,
        ),
        shdr(".shstrtab", SHT_STRTAB, 0, shstr_off, len(shstrtab.data), addr=0),
    ]

    ident = b"\x7fELF" + bytes([2, 1, EV_CURRENT, 0]) + bytes(8)
    ehdr = ident + struct.pack(
        "<HHIQQQIHHHHHH",
        ET_DYN,
        EM_BPF,
        EV_CURRENT,
        text_off + entry_offset,
        EHDR_SIZE,
        shdr_off,
        0,
        EHDR_SIZE,
        PHDR_SIZE,
        NUM_PHDRS,
        SHDR_SIZE,
        len(headers),
        SEC_SHSTRTAB,
    )

    def phdr(type_: int, flags: int, off: int, size: int, align: int) -> bytes:
        return struct.pack("<IIQQQQQQ", type_, flags, off, off, off, size, size, align)

    ro_end = rel_off + len(rel_dyn)
    phdrs = (
        phdr(PT_LOAD, PF_R | PF_X, text_off, len(text), 0x1000)
        + phdr(PT_LOAD, PF_R, ro_off, ro_end - ro_off, 0x1000)
        + phdr(PT_DYNAMIC, PF_R, dyn_off, len(dynamic), 8)
    )

    out = bytearray(shdr_off + len(headers) * SHDR_SIZE)
    for off, blob in (
        (0, ehdr),
        (EHDR_SIZE, phdrs),
        (text_off, text),
        (ro_off, rodata),
        (dyn_off, dynamic),
        (dynsym_off, dynsym),
        (dynstr_off, dynstr.data),
        (rel_off, rel_dyn),
        (shstr_off, shstrtab.data),
        (shdr_off, b"".join(headers)),
    ):
        out[off : off + len(blob)] = blob
    return bytes(out)
