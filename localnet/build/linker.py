"""The project's SBPF v0 linker: BPF relocatable objects in, a verified Solana shared object out.

Code sections merge into .text and read-only data into .rodata; sections not reachable from
`entrypoint` are dropped. Calls between functions resolve statically to pc-relative immediates,
calls to known syscalls become dynamic relocations, and data addresses (lddw, pointer tables) are
written as absolute program addresses, so the loader has nothing to relocate but syscalls.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Sequence

from .elf_writer import TEXT_OFFSET, SyscallSite, align_up, rodata_offset, write_shared_object
from .errors import LinkError
from .objects import SHN_ABS, SHN_COMMON, SHN_UNDEF, InputSection, ObjectFile, Symbol, read_object
from .sbf_isa import (
    CALL,
    CALLX,
    INSN_SIZE,
    LDDW,
    MM_PROGRAM_START,
    FunctionSpan,
    Insn,
    decode,
    describe_offset,
    verify_text,
)
from .syscalls import KNOWN_SYSCALLS, LIBCALL_HINTS

R_BPF_NONE, R_BPF_64_64, R_BPF_64_ABS64, R_BPF_64_ABS32, R_BPF_64_32 = 0, 1, 2, 3, 10

SectionKey = tuple[int, int]  # (object index, section index)


@dataclass(frozen=True)
class _Defined:
    section: SectionKey
    value: int
    name: str


@dataclass(frozen=True)
class _Undefined:
    name: str


def link_objects(objects: Sequence[bytes]) -> bytes:
    """Link BPF ELF relocatable objects into SBPF v0 .so bytes, verified before returning.

    Raises LinkError naming the symbol, instruction and offset of whatever it refuses.
    """
    return link_named([(f"object #{i}", image) for i, image in enumerate(objects)])


def link_named(objects: Sequence[tuple[str, bytes]]) -> bytes:
    """`link_objects` with a display name per object (used in error messages)."""
    return _Linker([read_object(name, image) for name, image in objects]).link()


class _Linker:
    def __init__(self, objects: list[ObjectFile]) -> None:
        self.objects = objects
        self.globals: dict[str, tuple[int, Symbol]] = {}
        self.out_offset: dict[SectionKey, int] = {}
        self.file_base: dict[str, int] = {}
        self.spans: list[FunctionSpan] = []
        self.function_starts: set[int] = set()

    def link(self) -> bytes:
        self._refuse_writable()
        self._collect_globals()
        entry = self.globals.get("entrypoint")
        if entry is None:
            raise LinkError("no `entrypoint` function is defined: the program has no entry point")
        entry_obj, entry_sym = entry
        entry_key = (entry_obj, entry_sym.section)
        entry_section = self.objects[entry_obj].sections.get(entry_sym.section)
        if entry_section is None or entry_section.kind != "text":
            raise LinkError("`entrypoint` is not a function in a code section")

        live = self._live_sections(entry_key)
        text_secs = [k for k in live if self._section(k).kind == "text"]
        ro_secs = [k for k in live if self._section(k).kind == "rodata"]
        text = self._concat(text_secs, min_align=8)
        rodata = self._concat(ro_secs, min_align=1)
        ro_align = max([self._section(k).align for k in ro_secs], default=1)
        ro_base = rodata_offset(len(text), ro_align)
        self.file_base = {"text": TEXT_OFFSET, "rodata": ro_base}
        self._collect_spans(text_secs)

        sites: list[SyscallSite] = []
        for key in text_secs:
            self._relocate_text(key, text, sites)
        for key in ro_secs:
            self._relocate_rodata(key, rodata)
        self._move_callx_registers(text)
        verify_text(text, self.spans)

        entry_offset = self.out_offset[entry_key] + entry_sym.value
        return write_shared_object(
            bytes(text), bytes(rodata), ro_align, entry_offset, entry_sym.size, sites
        )

    # --- symbols -------------------------------------------------------------------------------

    def _section(self, key: SectionKey) -> InputSection:
        return self.objects[key[0]].sections[key[1]]

    def _refuse_writable(self) -> None:
        found = [w for obj in self.objects for w in obj.writable]
        if not found:
            return
        lines = []
        for w in found:
            what = ", ".join(f"`{s}`" for s in w.symbols) or "(unnamed data)"
            lines.append(f"{w.object_name}: writable global {what} in {w.section}")
        raise LinkError(
            "SBPF programs have no writable globals (.data/.bss/common); make them `const` or keep "
            "the state in an account:\n  " + "\n  ".join(lines)
        )

    def _collect_globals(self) -> None:
        for oi, obj in enumerate(self.objects):
            for sym in obj.symbols:
                if sym.bind == "STB_LOCAL" or sym.section in (SHN_UNDEF, SHN_COMMON):
                    continue
                previous = self.globals.get(sym.name)
                if previous is None or (previous[1].bind == "STB_WEAK" and sym.bind != "STB_WEAK"):
                    self.globals[sym.name] = (oi, sym)
                elif previous[1].bind != "STB_WEAK" and sym.bind != "STB_WEAK":
                    raise LinkError(
                        f"duplicate symbol `{sym.name}` defined in "
                        f"{self.objects[previous[0]].name} and {obj.name}"
                    )

    def _resolve(self, oi: int, index: int) -> _Defined | _Undefined:
        sym = self.objects[oi].symbols[index]
        if sym.section == SHN_UNDEF or (sym.bind == "STB_WEAK" and sym.name in self.globals):
            found = self.globals.get(sym.name)
            if found is None:
                return _Undefined(sym.name)
            oi, sym = found
        section = self.objects[oi].sections.get(sym.section) if sym.section != SHN_ABS else None
        name = sym.name or (section.name if section else f"section #{sym.section}")
        if section is None:
            raise LinkError(
                f"{self.objects[oi].name}: reference to `{name}`, "
                "which is not in code or read-only data"
            )
        return _Defined((oi, sym.section), sym.value, name)

    def _live_sections(self, root: SectionKey) -> list[SectionKey]:
        live = {root}
        work = [root]
        while work:
            key = work.pop()
            for rel in self._section(key).relocs:
                if rel.type == R_BPF_NONE:
                    continue
                target = self._resolve(key[0], rel.symbol)
                if isinstance(target, _Defined) and target.section not in live:
                    live.add(target.section)
                    work.append(target.section)
        return sorted(live)

    def _concat(self, keys: list[SectionKey], min_align: int) -> bytearray:
        out = bytearray()
        for key in keys:
            section = self._section(key)
            out += bytes(align_up(len(out), max(min_align, section.align)) - len(out))
            self.out_offset[key] = len(out)
            out += section.data
        return out

    def _collect_spans(self, text_secs: list[SectionKey]) -> None:
        for key in text_secs:
            base = self.out_offset[key]
            symbols = self.objects[key[0]].symbols
            funcs = [s for s in symbols if s.section == key[1] and s.kind == "STT_FUNC"]
            if not funcs:
                section = self._section(key)
                self.spans.append(FunctionSpan(base, base + len(section.data), section.name))
            for sym in funcs:
                self.spans.append(
                    FunctionSpan(base + sym.value, base + sym.value + sym.size, sym.name)
                )
        self.spans.sort(key=lambda s: (s.start, s.name))
        self.function_starts = {span.start for span in self.spans}

    def _address(self, target: _Defined, addend: int) -> int:
        """The absolute program address of `target` + `addend` once loaded."""
        base = self.file_base[self._section(target.section).kind] + self.out_offset[target.section]
        return MM_PROGRAM_START + base + target.value + addend

    # --- relocation ----------------------------------------------------------------------------

    def _relocate_text(self, key: SectionKey, text: bytearray, sites: list[SyscallSite]) -> None:
        section = self._section(key)
        base = self.out_offset[key]
        for rel in section.relocs:
            if rel.type == R_BPF_NONE:
                continue
            pos = base + rel.offset
            where = _Where(pos, section.object_name, self.spans)
            if rel.offset % INSN_SIZE or rel.offset + INSN_SIZE > len(section.data):
                raise LinkError(
                    f"{where}: relocation is not on an instruction boundary of {section.name}"
                )
            pc = pos // INSN_SIZE
            insn = decode(text, pc)
            if rel.addend is not None:
                raise LinkError(
                    f"{where}: RELA relocations are not produced by the BPF backend; refusing"
                )
            target = self._resolve(key[0], rel.symbol)
            if rel.type == R_BPF_64_32 and insn.opc == CALL:
                if isinstance(target, _Undefined):
                    self._check_syscall(target.name, where)
                    _put_imm(text, pc, -1)
                    sites.append(SyscallSite(pos, target.name))
                    continue
                if self._section(target.section).kind != "text":
                    raise LinkError(f"{where}: call to `{target.name}`, which is data, not code")
                dest = self.out_offset[target.section] + target.value + (insn.imm + 1) * INSN_SIZE
                if dest not in self.function_starts:
                    raise LinkError(
                        f"{where}: call to `{target.name}` does not land on a function start "
                        f"(.text+{dest:#x})"
                    )
                _put_imm(text, pc, dest // INSN_SIZE - (pc + 1))
            elif rel.type == R_BPF_64_64 and insn.opc == LDDW:
                if isinstance(target, _Undefined):
                    raise LinkError(f"{where}: address of undefined symbol `{target.name}`")
                addend = (insn.imm & 0xFFFFFFFF) | ((decode(text, pc + 1).imm & 0xFFFFFFFF) << 32)
                address = self._address(target, addend)
                _put_imm(text, pc, _s32(address & 0xFFFFFFFF))
                _put_imm(text, pc + 1, _s32(address >> 32))
            else:
                raise LinkError(
                    f"{where}: unsupported relocation type {rel.type} against `{target.name}` "
                    f"on opcode {insn.opc:#04x}"
                )

    def _relocate_rodata(self, key: SectionKey, rodata: bytearray) -> None:
        section = self._section(key)
        base = self.out_offset[key]
        for rel in section.relocs:
            if rel.type == R_BPF_NONE:
                continue
            where = f"{section.object_name}: {section.name}+{rel.offset:#x}"
            target = self._resolve(key[0], rel.symbol)
            if rel.type != R_BPF_64_ABS64:
                raise LinkError(
                    f"{where}: unsupported relocation type {rel.type} in read-only data"
                )
            if isinstance(target, _Undefined):
                raise LinkError(f"{where}: address of undefined symbol `{target.name}`")
            if rel.offset + 8 > len(section.data):
                raise LinkError(f"{where}: relocation runs past the end of the section")
            pos = base + rel.offset
            (addend,) = struct.unpack_from("<Q", rodata, pos)
            struct.pack_into("<Q", rodata, pos, self._address(target, addend) & 0xFFFFFFFFFFFFFFFF)

    def _check_syscall(self, name: str, where: _Where) -> None:
        if name in KNOWN_SYSCALLS:
            return
        hint = f"; call the {LIBCALL_HINTS[name]} syscall" if name in LIBCALL_HINTS else ""
        raise LinkError(
            f"{where}: call to undefined function `{name}`: it is defined in no object and is "
            f"not a known Solana syscall{hint}"
        )

    def _move_callx_registers(self, text: bytearray) -> None:
        # LLVM encodes `callx rN` with N in dst; SBPF v0 reads the register number from imm.
        pc = 0
        count = len(text) // INSN_SIZE
        while pc < count:
            insn = decode(text, pc)
            if insn.opc == CALLX:
                if insn.imm == 0 or insn.imm == insn.dst:
                    reg = insn.dst or insn.imm
                    text[pc * INSN_SIZE : (pc + 1) * INSN_SIZE] = Insn(CALLX, 0, 0, 0, reg).encode()
                elif insn.dst != 0:
                    raise LinkError(
                        f"{describe_offset(pc * INSN_SIZE, self.spans)}: callx names two registers "
                        f"(dst r{insn.dst}, imm {insn.imm})"
                    )
            pc += 2 if insn.opc == LDDW else 1


@dataclass(frozen=True)
class _Where:
    """An error location, rendered only when an error is raised."""

    offset: int
    object_name: str
    spans: list[FunctionSpan]

    def __str__(self) -> str:
        return f"{describe_offset(self.offset, self.spans)} [{self.object_name}]"


def _s32(value: int) -> int:
    return value - (1 << 32) if value & 0x80000000 else value


def _put_imm(text: bytearray, pc: int, imm: int) -> None:
    struct.pack_into("<i", text, pc * INSN_SIZE + 4, imm)
