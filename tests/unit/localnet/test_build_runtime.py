"""Programs built by localnet.build run in LiteSVM: calls, rodata, callx, syscalls, CPI, errors."""

from __future__ import annotations

import hashlib
import struct

from solders.instruction import AccountMeta
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from solders.transaction_metadata import TransactionMetadata
from solders.transaction_status import InstructionErrorCustom, TransactionErrorInstructionError

from localnet.build.sbf_isa import CALLX, LDDW, decode

(
    OP_CALLS,
    OP_STRINGS,
    OP_DISPATCH,
    OP_HASH,
    OP_FAIL,
    OP_TRANSFER,
    OP_PDA_TRANSFER,
    OP_RETURN,
) = range(8)
U64 = (1 << 64) - 1


def ok(result) -> TransactionMetadata:
    assert isinstance(result, TransactionMetadata), result
    return result


def program_logs(result) -> list[str]:
    return [
        line.removeprefix("Program log: ")
        for line in ok(result).logs()
        if line.startswith("Program log: ")
    ]


def test_calls_across_objects_and_recursion(features):
    depth = 6
    logs = program_logs(features.send(bytes([OP_CALLS, depth])))
    assert logs[:depth] == [
        f"0x5e, {n:#x}, {n * (n - 1) // 2:#x}, 0x0, 0x0" for n in range(1, depth + 1)
    ]
    total = depth * (depth + 1) // 2
    x = total ^ depth
    mix = ((((x << 13) | (x >> 51)) & U64) + 0x9E3779B97F4A7C15) & U64
    assert logs[depth] == f"0xca11, {depth:#x}, {total:#x}, {mix:#x}, 0x0"


def test_rodata_strings_are_logged(features):
    assert program_logs(features.send(bytes([OP_STRINGS]))) == [
        "alpha",
        "bravo",
        "charlie",
        "literal from rodata",
    ]


def test_function_pointer_table_dispatches_through_callx(features, features_so):
    a, b = 7_000_000_007, 6
    expected = [(a + b) & U64, (a - b) & U64, (a * b) & U64, a ^ b]
    for op, value in enumerate(expected):
        data = bytes([OP_DISPATCH, op]) + struct.pack("<QQ", a, b)
        assert program_logs(features.send(data)) == [f"0xd15, {op:#x}, {value:#x}, 0x0, 0x0"]
    text = _text(features_so)
    callx = [decode(text, pc) for pc in range(len(text) // 8) if decode(text, pc).opc == CALLX]
    assert callx and all(i.dst == 0 and 0 <= i.imm <= 9 for i in callx)


def test_sha256_and_memcmp_syscalls(features):
    payload = b"perpkeep sbf toolchain"
    result = ok(features.send(bytes([OP_HASH]) + payload))
    assert bytes(result.return_data().data) == hashlib.sha256(payload).digest()
    assert program_logs(result) == ["0x5a, 0x0, 0x1, 0x0, 0x0"]


def test_custom_error_code(features):
    result = features.send(bytes([OP_FAIL]))
    assert result.err() == TransactionErrorInstructionError(0, InstructionErrorCustom(0xBEEF))


def test_cpi_system_transfer_from_signer(features):
    sender, receiver = Keypair(), Pubkey.new_unique()
    features.svm.airdrop(sender.pubkey(), 5_000_000_000)
    accounts = [
        AccountMeta(sender.pubkey(), is_signer=True, is_writable=True),
        AccountMeta(receiver, is_signer=False, is_writable=True),
        AccountMeta(SYSTEM_PROGRAM_ID, is_signer=False, is_writable=False),
    ]
    ok(features.send(bytes([OP_TRANSFER]) + struct.pack("<Q", 1_234_567_890), accounts, [sender]))
    assert features.svm.get_balance(receiver) == 1_234_567_890
    assert features.svm.get_balance(sender.pubkey()) == 5_000_000_000 - 1_234_567_890


def test_pda_signed_cpi_transfer(features):
    vault, _bump = Pubkey.find_program_address([b"vault"], features.program_id)
    receiver = Pubkey.new_unique()
    features.svm.airdrop(vault, 3_000_000_000)
    accounts = [
        AccountMeta(vault, is_signer=False, is_writable=True),
        AccountMeta(receiver, is_signer=False, is_writable=True),
        AccountMeta(SYSTEM_PROGRAM_ID, is_signer=False, is_writable=False),
    ]
    ok(features.send(bytes([OP_PDA_TRANSFER]) + struct.pack("<Q", 1_000_000_000), accounts))
    assert features.svm.get_balance(receiver) == 1_000_000_000
    assert features.svm.get_balance(vault) == 2_000_000_000


def test_return_data_in_tx_meta_and_simulation(features):
    data = bytes([OP_RETURN]) + b"xyz"
    simulated = features.svm.simulate_transaction(features.transaction(data))
    assert bytes(simulated.meta().return_data().data) == b"perpkeepxyz"
    result = ok(features.send(data))
    assert bytes(result.return_data().data) == b"perpkeepxyz"
    assert result.return_data().program_id == features.program_id


def _text(image: bytes) -> bytes:
    from io import BytesIO

    from elftools.elf.elffile import ELFFile

    text = ELFFile(BytesIO(image)).get_section_by_name(".text").data()
    assert decode(text, 0).opc != LDDW or len(text) > 8
    return text
