"""The Squads v4 encodings against bytes written out by hand from the public layout (Squads-Protocol/v4,
programs/squads_multisig_program): TransactionMessage with SmallVec lengths, the instruction data of the
instructions ops sends, the Multisig and Proposal accounts, and the PDA seeds."""

from __future__ import annotations

import hashlib
import struct

import pytest
from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from ops import squads
from programs_client.squads_multisig.accounts.multisig import Multisig
from programs_client.squads_multisig.accounts.proposal import Proposal
from programs_client.squads_multisig.program_id import PROGRAM_ID

VAULT = Pubkey(bytes([1] * 32))
WRITABLE = Pubkey(bytes([5] * 32))
READONLY = Pubkey(bytes([7] * 32))
PROGRAM = Pubkey(bytes([9] * 32))


def test_program_id_is_the_public_one() -> None:
    assert str(PROGRAM_ID) == "SQDS4ep65T869zMMBKyuUq6aD6EgTu8psMjkvj52pCf"


def test_transaction_message_bytes_follow_the_compact_layout() -> None:
    ix = Instruction(PROGRAM, b"\x01\x02\x03",
                     [AccountMeta(VAULT, True, False), AccountMeta(WRITABLE, False, True), AccountMeta(READONLY, False, False)])
    m = squads.compile_vault_message(VAULT, [ix])
    expected = (
        bytes([1, 1, 1])  # num_signers (the vault), num_writable_signers, num_writable_non_signers
        + bytes([4]) + bytes([1] * 32) + bytes([5] * 32) + bytes([7] * 32) + bytes([9] * 32)  # SmallVec<u8, Pubkey>
        + bytes([1])  # SmallVec<u8, CompiledInstruction>: one instruction
        + bytes([3])  # program_id_index
        + bytes([3, 0, 1, 2])  # account_indexes: SmallVec<u8, u8>
        + bytes([3, 0, 1, 2, 3])  # data: SmallVec<u16, u8>, length little-endian
        + bytes([0])  # no address table lookups
    )
    assert squads.encode_transaction_message(m) == expected
    assert squads.decode_transaction_message(expected) == m


def test_long_data_takes_a_u16_length_and_lookups_their_own_small_vecs() -> None:
    lut = Pubkey(bytes([3] * 32))
    m = squads.VaultMessage(1, 1, 0, (VAULT, PROGRAM), (squads.CompiledIx(1, b"\x00", bytes(300)),),
                            (squads.TableLookup(lut, b"\x04\x05", b"\x06"),))
    expected = (bytes([1, 1, 0, 2]) + bytes([1] * 32) + bytes([9] * 32) + bytes([1, 1, 1, 0])
                + bytes([0x2C, 0x01]) + bytes(300)  # 300 = 0x012C
                + bytes([1]) + bytes([3] * 32) + bytes([2, 4, 5]) + bytes([1, 6]))
    assert squads.encode_transaction_message(m) == expected
    assert squads.decode_transaction_message(expected) == m
    with pytest.raises(ValueError, match="trailing"):
        squads.decode_transaction_message(expected + b"\x00")
    with pytest.raises(ValueError, match="truncated"):
        squads.decode_transaction_message(expected[:-1])


def test_more_than_255_keys_do_not_fit() -> None:
    keys = tuple(Pubkey(struct.pack("<I", i) + bytes(28)) for i in range(256))
    with pytest.raises(ValueError, match="255"):
        squads.encode_transaction_message(squads.VaultMessage(1, 1, 0, keys, ()))


def test_writable_and_signer_flags_follow_the_header() -> None:
    m = squads.VaultMessage(2, 1, 1, (VAULT, READONLY, WRITABLE, PROGRAM), ())
    assert [m.is_writable(i) for i in range(5)] == [True, False, True, False, False]
    assert [m.is_signer(i) for i in range(4)] == [True, True, False, False]


def _find(seeds: list[bytes]) -> Pubkey:
    for bump in range(255, -1, -1):
        try:
            return Pubkey.create_program_address([*seeds, bytes([bump])], PROGRAM_ID)
        except Exception:  # noqa: BLE001 - on the curve: try the next bump
            continue
    raise AssertionError("no bump")


def test_pdas_use_the_seeds_of_state_seeds_rs() -> None:
    create_key = Pubkey(bytes(range(32)))
    ms = _find([b"multisig", b"multisig", bytes(create_key)])
    assert squads.multisig_pda(create_key) == ms
    assert squads.vault_pda(ms, 0) == _find([b"multisig", bytes(ms), b"vault", b"\x00"])
    assert squads.vault_pda(ms, 3) == _find([b"multisig", bytes(ms), b"vault", b"\x03"])
    index = b"\x07\x00\x00\x00\x00\x00\x00\x00"  # u64 7 little-endian
    assert squads.transaction_pda(ms, 7) == _find([b"multisig", bytes(ms), b"transaction", index])
    assert squads.proposal_pda(ms, 7) == _find([b"multisig", bytes(ms), b"transaction", index, b"proposal"])


def _disc(name: str) -> bytes:
    return hashlib.sha256(name.encode()).digest()[:8]


def test_instruction_data_and_accounts() -> None:
    ms, creator = Pubkey(bytes([2] * 32)), Pubkey(bytes([4] * 32))
    m = squads.VaultMessage(1, 1, 0, (VAULT, PROGRAM), (squads.CompiledIx(1, b"", b"\xAA"),))
    body = bytes([1, 1, 0, 2]) + bytes([1] * 32) + bytes([9] * 32) + bytes([1, 1, 0, 1, 0, 0xAA, 0])
    ix = squads.create_vault_transaction_ix(ms, 5, creator, m)
    # VaultTransactionCreateArgs: vault_index u8, ephemeral_signers u8, transaction_message Vec<u8> (u32 length), memo None
    assert bytes(ix.data) == _disc("global:vault_transaction_create") + bytes([0, 0]) + struct.pack("<I", len(body)) + body + b"\x00"
    assert [(a.pubkey, a.is_signer, a.is_writable) for a in ix.accounts] == [
        (ms, False, True), (squads.transaction_pda(ms, 5), False, True), (creator, True, False), (creator, True, True),
        (Pubkey.from_string("11111111111111111111111111111111"), False, False)]
    p = squads.create_proposal_ix(ms, 5, creator)
    assert bytes(p.data) == _disc("global:proposal_create") + bytes([5, 0, 0, 0, 0, 0, 0, 0]) + b"\x00"  # index u64, draft false
    for vote in ("approve", "reject", "cancel"):
        v = squads.vote_ix(vote, ms, 5, creator)
        assert bytes(v.data) == _disc(f"global:proposal_{vote}") + b"\x00"  # memo: None
        assert [(a.pubkey, a.is_signer, a.is_writable) for a in v.accounts] == [
            (ms, False, False), (creator, True, True), (squads.proposal_pda(ms, 5), False, True)]
    e = squads.execute_ix(ms, 5, creator, m)
    assert bytes(e.data) == _disc("global:vault_transaction_execute")
    assert [(a.pubkey, a.is_signer, a.is_writable) for a in e.accounts] == [
        (ms, False, False), (squads.proposal_pda(ms, 5), False, True), (squads.transaction_pda(ms, 5), False, False),
        (creator, True, False), (VAULT, False, True), (PROGRAM, False, False)]


def test_multisig_and_proposal_accounts_decode_from_the_rust_layout() -> None:
    k = [Pubkey(bytes([i] * 32)) for i in (11, 12, 13)]
    data = (_disc("account:Multisig") + bytes([20] * 32) + bytes(32)  # create_key, config_authority (none)
            + struct.pack("<HIQQ", 2, 3600, 9, 4)  # threshold, time_lock, transaction_index, stale_transaction_index
            + b"\x00"  # rent_collector: None
            + b"\xfe"  # bump
            + struct.pack("<I", 3) + bytes(k[0]) + b"\x07" + bytes(k[1]) + b"\x02" + bytes(k[2]) + b"\x03"
            + bytes(32))  # the program keeps room for a rent collector: trailing zeros
    ms = Multisig.decode(data)
    assert (ms.threshold, ms.time_lock, ms.transaction_index, ms.stale_transaction_index) == (2, 3600, 9, 4)
    assert squads.member_permissions(ms, k[1]) == squads.PERMISSION_VOTE
    assert squads.member_permissions(ms, Pubkey.default()) is None
    assert squads.num_voters(ms) == 3 and squads.rejection_cutoff(ms) == 2
    approved_at = 1_767_225_600
    pdata = (_disc("account:Proposal") + bytes([2] * 32) + struct.pack("<Q", 9)
             + b"\x03" + struct.pack("<q", approved_at)  # ProposalStatus::Approved { timestamp }
             + b"\xfd" + struct.pack("<I", 2) + bytes(k[0]) + bytes(k[1]) + struct.pack("<I", 0) + struct.pack("<I", 0))
    p = Proposal.decode(pdata)
    assert squads.status_name(p) == "Approved" and squads.status_timestamp(p) == approved_at
    assert p.approved == [k[0], k[1]]
    assert squads.time_lock_remaining(p, ms, approved_at + 600) == 3000
    assert squads.time_lock_remaining(p, ms, approved_at + 4000) == 0
    active = Proposal.decode(pdata[:8 + 40] + b"\x01" + pdata[8 + 41:])
    assert squads.status_name(active) == "Active" and squads.time_lock_remaining(active, ms, approved_at) is None
