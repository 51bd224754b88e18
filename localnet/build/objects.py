"""Reading BPF relocatable objects (.o) into the few facts the linker needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection

from .errors import LinkError

EM_BPF = 247
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 0x1, 0x2, 0x4
SHN_UNDEF, SHN_ABS, SHN_COMMON = 0, 0xFFF1, 0xFFF2
_NAMED_KINDS = ("STT_FUNC", "STT_OBJECT", "STT_NOTYPE", "STT_TLS")
_SPECIAL_SECTIONS = {"SHN_UNDEF": SHN_UNDEF, "SHN_ABS": SHN_ABS, "SHN_COMMON": SHN_COMMON}

# Allocated sections that carry nothing the loaded program needs.
_DROPPED_PREFIXES = (
    ".eh_frame",
    ".gcc_except_table",
    ".BTF",
    ".llvm",
    ".debug",
    ".comment",
    ".note",
)


@dataclass(frozen=True)
class Symbol:
    """A symbol table entry; `section` is an input section index, or SHN_* for special ones."""

    name: str
    section: int
    value: int
    size: int
    kind: str  # STT_FUNC, STT_OBJECT, STT_SECTION, STT_NOTYPE, STT_FILE
    bind: str  # STB_LOCAL, STB_GLOBAL, STB_WEAK


@dataclass(frozen=True)
class Reloc:
    """A relocation: `offset` in its section, ELF type, symbol index, addend (RELA only)."""

    offset: int
    type: int
    symbol: int
    addend: int | None


@dataclass
class InputSection:
    """A section the output keeps: code (`text`) or read-only data (`rodata`)."""

    object_name: str
    index: int
    name: str
    kind: str  # "text" or "rodata"
    data: bytearray
    align: int
    relocs: list[Reloc] = field(default_factory=list)


@dataclass
class WritableData:
    """A writable section (or common symbol): always refused, remembered to name it."""

    object_name: str
    section: str
    symbols: list[str]


@dataclass
class ObjectFile:
    """The parts of one .o the linker uses."""

    name: str
    sections: dict[int, InputSection]
    symbols: list[Symbol]
    writable: list[WritableData]


def read_object(name: str, image: bytes) -> ObjectFile:
    """Parse one ELF relocatable BPF object. Raises LinkError if it is not one."""
    try:
        elf = ELFFile(BytesIO(image))
        return _read(name, elf)
    except ELFError as exc:
        raise LinkError(f"{name}: not a readable ELF object: {exc}") from exc


def _read(name: str, elf: ELFFile) -> ObjectFile:
    header = elf.header
    if elf.elfclass != 64 or not elf.little_endian or header["e_machine"] not in ("EM_BPF", EM_BPF):
        machine = header["e_machine"]
        raise LinkError(f"{name}: not a 64-bit little-endian BPF object (e_machine {machine})")
    if header["e_type"] != "ET_REL":
        raise LinkError(f"{name}: expected a relocatable object (ET_REL), got {header['e_type']}")

    symbols: list[Symbol] = []
    symtab = elf.get_section_by_name(".symtab")
    if symtab is not None:
        for sym in symtab.iter_symbols():
            shndx = sym["st_shndx"]
            section = _SPECIAL_SECTIONS.get(shndx, shndx)
            symbols.append(
                Symbol(
                    name=sym.name,
                    section=section if isinstance(section, int) else SHN_ABS,
                    value=sym["st_value"],
                    size=sym["st_size"],
                    kind=sym["st_info"]["type"],
                    bind=sym["st_info"]["bind"],
                )
            )

    sections: dict[int, InputSection] = {}
    writable: list[WritableData] = []
    for index, section in enumerate(elf.iter_sections()):
        flags = section["sh_flags"]
        if not flags & SHF_ALLOC or section.name.startswith(_DROPPED_PREFIXES):
            continue
        is_relro = section.name.startswith(".data.rel.ro")
        if flags & SHF_WRITE and not is_relro:
            defined = [s.name for s in symbols if s.section == index and s.kind in _NAMED_KINDS]
            if section["sh_size"] or defined:
                writable.append(WritableData(name, section.name, defined))
            continue
        if section["sh_type"] == "SHT_NOBITS":
            writable.append(WritableData(name, section.name, []))
            continue
        if section["sh_size"] == 0:
            continue
        sections[index] = InputSection(
            object_name=name,
            index=index,
            name=section.name,
            kind="text" if flags & SHF_EXECINSTR else "rodata",
            data=bytearray(section.data()),
            align=max(1, section["sh_addralign"]),
        )

    for sym in symbols:
        if sym.section == SHN_COMMON:
            writable.append(WritableData(name, "COMMON", [sym.name]))

    for section in elf.iter_sections():
        if not isinstance(section, RelocationSection):
            continue
        target = sections.get(section["sh_info"])
        if target is None:
            continue
        rela = section.is_RELA()
        for rel in section.iter_relocations():
            addend = rel["r_addend"] if rela else None
            reloc = Reloc(rel["r_offset"], rel["r_info_type"], rel["r_info_sym"], addend)
            target.relocs.append(reloc)
    return ObjectFile(name, sections, symbols, writable)
