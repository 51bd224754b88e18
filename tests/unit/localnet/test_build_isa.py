"""The SBPF v0 verifier on hand-assembled instructions."""

from __future__ import annotations

import pytest

from localnet.build import LinkError, verify_sbf
from localnet.build.sbf_isa import FunctionSpan, Insn, verify_text

EXIT = Insn(0x95, 0, 0, 0, 0)


def asm(*insns: Insn) -> bytes:
    return b"".join(i.encode() for i in insns)


def mov(dst: int, imm: int) -> Insn:
    return Insn(0xB7, dst, 0, 0, imm)


def lddw(dst: int, value: int) -> tuple[Insn, Insn]:
    return Insn(0x18, dst, 0, 0, value & 0xFFFFFFFF), Insn(0, 0, 0, 0, value >> 32)


def test_accepts_what_mcpu_v2_emits():
    verify_sbf(
        asm(
            *lddw(1, 0x1_0000_0100),
            Insn(0x79, 2, 1, 0, 0),  # ldxdw r2, [r1]
            Insn(0x7B, 10, 2, -8, 0),  # stxdw [r10-8], r2
            Insn(0xDC, 2, 0, 0, 64),  # be64 r2
            Insn(0xAD, 2, 1, 1, 0),  # jlt r2, r1, +1
            Insn(0xC7, 2, 0, 0, 63),  # arsh64 r2, 63
            Insn(0x85, 0, 0, 0, -1),  # call <syscall>
            Insn(0x85, 0, 1, 0, 1),  # call +1 (local)
            EXIT,
            Insn(0x8D, 0, 0, 0, 2),  # callx r2 (v0: register in imm)
            mov(0, 0),
            EXIT,
        )
    )


@pytest.mark.parametrize(
    ("insn", "reason"),
    [
        (Insn(0x04, 1, 0, 0, 1), "32-bit ALU"),  # add32
        (Insn(0x2C, 1, 2, 0, 0), "32-bit ALU"),  # mul32 reg
        (
            Insn(0xB4, 1, 0, 0, 1),
            "32-bit ALU",
        ),  # mov32: only ever emitted alongside the others (v3)
        (Insn(0xA6, 1, 0, 0, 5), "32-bit conditional jump"),  # jlt32 imm
        (Insn(0xBF, 1, 2, 8, 0), "v4-only"),  # movsx8
        (Insn(0x3F, 1, 2, 1, 0), "v4-only"),  # sdiv
        (Insn(0x81, 1, 2, 0, 0), "v4-only"),  # ldxsw (sign-extending load)
        (Insn(0xD7, 1, 0, 0, 32), "v4-only"),  # bswap32
        (Insn(0xDB, 1, 2, 0, 0), "v4-only"),  # atomic add
        (Insn(0x20, 0, 0, 0, 0), "not in SBPF v0"),  # ld_abs
        (Insn(0xDC, 1, 0, 0, 8), "byte swap width"),
        (Insn(0x67, 1, 0, 0, 64), "shift amount"),
        (Insn(0x37, 1, 0, 0, 0), "division by constant zero"),
        (Insn(0xB7, 10, 0, 0, 0), "r10 is read-only"),
        (Insn(0xBF, 1, 11, 0, 0), "invalid source register"),
        (Insn(0x8D, 0, 0, 0, 10), "callx"),
        (Insn(0x05, 0, 0, 5, 0), "outside .text"),
        (Insn(0x85, 0, 0, 0, 100), "call target"),
    ],
)
def test_refuses(insn, reason):
    with pytest.raises(LinkError, match="refused") as info:
        verify_sbf(asm(mov(0, 0), insn, EXIT))
    message = str(info.value)
    assert reason in message and ".text+0x8" in message and f"opcode {insn.opc:#04x}" in message


def test_lddw_second_slot_must_be_bare():
    first, second = lddw(1, 0x1234_5678_9ABC)
    with pytest.raises(LinkError, match="lddw second slot"):
        verify_sbf(asm(first, Insn(0xB7, 1, 0, 0, 0), EXIT))
    with pytest.raises(LinkError, match="lddw is the last slot"):
        verify_sbf(asm(EXIT, first))
    with pytest.raises(LinkError, match="middle of an lddw"):
        verify_sbf(asm(Insn(0x05, 0, 0, 1, 0), first, second, EXIT))


def test_no_fallthrough_off_the_end():
    with pytest.raises(LinkError, match="fall off the end"):
        verify_sbf(asm(mov(0, 0)))
    with pytest.raises(LinkError, match="fall off the end"):
        verify_sbf(asm(mov(0, 0), Insn(0x85, 0, 0, 0, -1)))  # a noreturn call as the very last insn
    verify_sbf(asm(EXIT, Insn(0x05, 0, 0, -2, 0)))  # ends on ja


def test_size_and_emptiness():
    with pytest.raises(LinkError, match="empty"):
        verify_sbf(b"")
    with pytest.raises(LinkError, match="multiple of 8"):
        verify_sbf(asm(EXIT) + b"\0")


def test_errors_name_the_function():
    text = asm(mov(0, 0), EXIT, mov(1, 1), Insn(0x04, 1, 0, 0, 1), EXIT)
    spans = [FunctionSpan(0, 16, "entrypoint"), FunctionSpan(16, 40, "helper")]
    with pytest.raises(LinkError, match=r"\.text\+0x18 \(in `helper`\+0x8\): add32_imm"):
        verify_text(text, spans)
