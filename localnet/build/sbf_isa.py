"""SBPF v0 instruction set: encoding, opcode tables and the verifier the linker runs before writing.

The accepted set is SBPF v0 (what Solana's loader verifies for programs with ELF e_flags 0) minus
the 32-bit ALU arithmetic, which this project refuses on purpose (see `_ALU32_REASON`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Iterable, Sequence

from .errors import LinkError

INSN_SIZE = 8
# Loaded programs are mapped here; an address in the program is this plus the ELF file offset.
MM_PROGRAM_START = 0x1_0000_0000

# Instruction classes (low 3 bits of the opcode).
CLS_LD, CLS_LDX, CLS_ST, CLS_STX, CLS_ALU, CLS_JMP, CLS_JMP32, CLS_ALU64 = range(8)

LDDW = 0x18
JA = 0x05
CALL = 0x85
CALLX = 0x8D
EXIT = 0x95

_ALU_OPS = {
    0x00: "add",
    0x10: "sub",
    0x20: "mul",
    0x30: "div",
    0x40: "or",
    0x50: "and",
    0x60: "lsh",
    0x70: "rsh",
    0x80: "neg",
    0x90: "mod",
    0xA0: "xor",
    0xB0: "mov",
    0xC0: "arsh",
    0xD0: "end",
}
_JMP_OPS = {
    0x00: "ja",
    0x10: "jeq",
    0x20: "jgt",
    0x30: "jge",
    0x40: "jset",
    0x50: "jne",
    0x60: "jsgt",
    0x70: "jsge",
    0x80: "call",
    0x90: "exit",
    0xA0: "jlt",
    0xB0: "jle",
    0xC0: "jslt",
    0xD0: "jsle",
}
_SIZES = {0x00: "w", 0x08: "h", 0x10: "b", 0x18: "dw"}
_MODES = {0x00: "imm", 0x20: "abs", 0x40: "ind", 0x60: "mem", 0x80: "memsx", 0xC0: "atomic"}


def _build_mnemonics() -> dict[int, str]:
    names: dict[int, str] = {}
    for op, name in _ALU_OPS.items():
        for src, suffix in ((0x00, "imm"), (0x08, "reg")):
            names[op | src | CLS_ALU64] = f"{name}64_{suffix}"
            names[op | src | CLS_ALU] = f"{name}32_{suffix}"
    names[0xD4], names[0xDC], names[0xD7] = "le", "be", "bswap"
    for op, name in _JMP_OPS.items():
        for src, suffix in ((0x00, "imm"), (0x08, "reg")):
            names[op | src | CLS_JMP] = f"{name}_{suffix}"
            names[op | src | CLS_JMP32] = f"{name}32_{suffix}"
    names[JA], names[CALL], names[CALLX], names[EXIT] = "ja", "call", "callx", "exit"
    for size, sname in _SIZES.items():
        for mode, mname in _MODES.items():
            tail = sname if mode == 0x60 else f"{sname}_{mname}"
            names.setdefault(CLS_LDX | size | mode, f"ldx{tail}")
            names.setdefault(CLS_ST | size | mode, f"st{tail}")
            names.setdefault(CLS_STX | size | mode, f"stx{tail}")
            names.setdefault(CLS_LD | size | mode, f"ld{sname}_{mname}")
    names[LDDW] = "lddw"
    return names


MNEMONICS: dict[int, str] = _build_mnemonics()

_LOADS = frozenset({0x61, 0x69, 0x71, 0x79})
_STORES = frozenset({0x62, 0x6A, 0x72, 0x7A, 0x63, 0x6B, 0x73, 0x7B})
_ARITH = [op | src for op in _ALU_OPS if op != 0xD0 for src in (0x00, 0x08) if op | src != 0x88]
_ALU64 = frozenset(op | CLS_ALU64 for op in _ARITH)  # neg takes no source register
_ALU32 = frozenset(op | CLS_ALU for op in _ARITH)
_BYTESWAP = frozenset({0xD4, 0xDC})
_COND_JUMPS = frozenset(
    op | src | CLS_JMP for op in _JMP_OPS if op not in (0x00, 0x80, 0x90) for src in (0x00, 0x08)
)
_SHIFTS64_IMM = frozenset({0x67, 0x77, 0xC7})
_DIVMOD_IMM = frozenset({0x37, 0x97})

# Everything the SBPF v0 loader's verifier accepts (solana-sbpf RequisiteVerifier, SBPFVersion::V0).
V0_OPCODES: frozenset[int] = frozenset(
    {LDDW, JA, CALL, CALLX, EXIT} | _LOADS | _STORES | _ALU64 | _ALU32 | _BYTESWAP | _COND_JUMPS
)

# v0 accepts the 32-bit ALU class, but add32/sub32/mul32 sign-extend their result into the 64-bit
# register while LLVM's alu32 code assumes the upper half is zeroed: (u64)(0x7fffffffu + 1) came
# back as 0xffffffff80000000. LLVM only emits ALU32 with -mcpu=v3 (or +alu32); with -mcpu=v2 it does
# u32 arithmetic in 64-bit registers and masks with shifts, and the only class-0x04 opcodes it emits
# are the byte swaps le/be (which act on the whole register and are exact). So the project accepts
# exactly those two from the class and refuses the rest, even mov32/and32 (harmless alone), because
# their presence means the object was built for the wrong CPU and its neighbours are suspect.
_ALU32_REASON = (
    "32-bit ALU instruction (LLVM alu32, -mcpu=v3 or later): SBPF v0 sign-extends "
    "add32/sub32/mul32 results where LLVM assumes zero-extension; compile with -mcpu=v2"
)
_JMP32_REASON = (
    "32-bit conditional jump (JMP32 class, -mcpu=v3 or later) is not in SBPF v0; "
    "compile with -mcpu=v2"
)
_V4_REASON = (
    "BPF v4-only instruction (sign-extending load/move, signed div/mod, bswap or atomic) "
    "is not in SBPF v0"
)

ACCEPTED_OPCODES: frozenset[int] = V0_OPCODES - _ALU32


@dataclass(frozen=True)
class Insn:
    """One 8-byte instruction slot."""

    opc: int
    dst: int
    src: int
    off: int
    imm: int

    def encode(self) -> bytes:
        """The 8 little-endian bytes of this slot."""
        return struct.pack("<BBhi", self.opc, (self.src << 4) | self.dst, self.off, self.imm)


def decode(text: bytes | bytearray, pc: int) -> Insn:
    """Decode the instruction slot at index `pc`."""
    opc, regs, off, imm = struct.unpack_from("<BBhi", text, pc * INSN_SIZE)
    return Insn(opc, regs & 0xF, regs >> 4, off, imm)


def mnemonic(opc: int) -> str:
    """The conventional name of an opcode, or its hex value when it has none."""
    return MNEMONICS.get(opc, f"op_{opc:#04x}")


def format_insn(insn: Insn) -> str:
    """A short human-readable rendering used in error messages."""
    return (
        f"{mnemonic(insn.opc)} (opcode {insn.opc:#04x}, dst r{insn.dst}, src r{insn.src}, "
        f"off {insn.off}, imm {insn.imm})"
    )


@dataclass(frozen=True)
class FunctionSpan:
    """A named byte range of .text, for naming the function around an offset."""

    start: int
    end: int
    name: str


def describe_offset(offset: int, functions: Sequence[FunctionSpan] = ()) -> str:
    """`.text+0x1a8 (in `name`+0x10)` when a span covers the offset, else `.text+0x1a8`."""
    where = f".text+{offset:#x}"
    for span in functions:
        if span.start <= offset < max(span.end, span.start + 1):
            return f"{where} (in `{span.name}`+{offset - span.start:#x})"
    return where


def _refusal(pc: int, insn: Insn) -> str | None:
    """Why the instruction at `pc` is refused on its own (operands, opcode), or None."""
    opc = insn.opc
    cls = opc & 7
    if opc not in ACCEPTED_OPCODES:
        if cls == CLS_JMP32:
            return _JMP32_REASON
        if opc in _ALU32:
            return _ALU32_REASON
        if opc == 0xD7 or (cls in (CLS_LDX, CLS_STX) and opc & 0xE0 in (0x80, 0xC0)):
            return _V4_REASON
        return "opcode not in SBPF v0"
    if insn.src > 10:
        return "invalid source register"
    if insn.dst > 10 or (insn.dst == 10 and opc not in _STORES):
        return "invalid destination register (r10 is read-only)"
    if cls == CLS_ALU64 and insn.off != 0:
        return _V4_REASON + " (nonzero offset on an ALU instruction)"
    if opc in _SHIFTS64_IMM and not 0 <= insn.imm < 64:
        return "shift amount out of range"
    if opc in _DIVMOD_IMM and insn.imm == 0:
        return "division by constant zero"
    if opc in _BYTESWAP and insn.imm not in (16, 32, 64):
        return "byte swap width must be 16, 32 or 64"
    if opc == LDDW and insn.src != 0:
        return "lddw with a pseudo source (map/BTF load) is not SBPF"
    if opc == CALLX and not 0 <= insn.imm <= 9:
        return "callx must name its target register r0..r9 in imm (SBPF v0 encoding)"
    return None


def iter_problems(text: bytes | bytearray, functions: Sequence[FunctionSpan] = ()) -> Iterable[str]:
    """Every reason the verifier refuses `text`, each naming its offset and instruction."""
    if not text:
        yield "empty .text"
        return
    if len(text) % INSN_SIZE:
        yield f".text size {len(text)} is not a multiple of {INSN_SIZE}"
        return
    count = len(text) // INSN_SIZE
    second_slots = set()
    pc = 0
    while pc < count:
        if decode(text, pc).opc == LDDW:
            second_slots.add(pc + 1)
            pc += 2
        else:
            pc += 1

    def at(pc: int, insn: Insn, reason: str) -> str:
        return f"{describe_offset(pc * INSN_SIZE, functions)}: {format_insn(insn)}: {reason}"

    pc = 0
    last = 0
    while pc < count:
        insn = decode(text, pc)
        last = pc
        reason = _refusal(pc, insn)
        if reason is None and insn.opc == LDDW:
            if pc + 1 >= count:
                reason = "lddw is the last slot (its second half is missing)"
            else:
                tail = decode(text, pc + 1)
                if (tail.opc, tail.dst, tail.src, tail.off) != (0, 0, 0, 0):
                    reason = f"lddw second slot is not a bare immediate ({format_insn(tail)})"
        if reason is None and (insn.opc == JA or insn.opc in _COND_JUMPS):
            target = pc + 1 + insn.off
            if not 0 <= target < count:
                reason = f"jump target #{target} is outside .text (0..{count - 1})"
            elif target in second_slots:
                reason = f"jump into the middle of an lddw at #{target - 1}"
        if reason is None and insn.opc == CALL and insn.imm != -1:
            target = pc + 1 + insn.imm
            if not 0 <= target < count or target in second_slots:
                reason = f"call target #{target} is not an instruction of .text"
        if reason is not None:
            yield at(pc, insn, reason)
        pc += 2 if insn.opc == LDDW else 1
    final = decode(text, last)
    if final.opc not in (EXIT, JA):
        reason = "execution can fall off the end of .text (last instruction is not exit or ja)"
        yield at(last, final, reason)


def verify_text(text: bytes | bytearray, functions: Sequence[FunctionSpan] = ()) -> None:
    """Raise LinkError listing (up to 10 of) the instructions of `text` SBPF v0 would refuse."""
    problems = list(iter_problems(text, functions))
    if problems:
        more = f"\n... and {len(problems) - 10} more" if len(problems) > 10 else ""
        listing = "\n  ".join(problems[:10])
        raise LinkError(f"SBPF v0 verifier refused the program:\n  {listing}{more}")


def verify_sbf(text: bytes) -> None:
    """Check every instruction against the SBPF v0 set this project accepts.

    `text` is the raw .text bytes, or a whole linked .so (its .text is checked). Raises LinkError
    naming the offset and opcode of each refused instruction.
    """
    if text[:4] == b"\x7fELF":
        text = _text_of_elf(text)
    verify_text(text)


def _text_of_elf(image: bytes) -> bytes:
    from io import BytesIO

    from elftools.elf.elffile import ELFFile

    section = ELFFile(BytesIO(image)).get_section_by_name(".text")
    if section is None:
        raise LinkError("ELF file has no .text section")
    return section.data()
