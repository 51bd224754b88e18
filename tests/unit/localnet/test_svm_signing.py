"""``localnet.svm.sign_transaction`` signs once per signer and yields exactly solders' own transaction."""

from __future__ import annotations

import pytest
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from localnet.svm import pubkey_of, sign_transaction

PROGRAM = Pubkey.from_string("Perp111111111111111111111111111111111111111")


def _ixs(*signers: Keypair) -> list[Instruction]:
    accounts = [AccountMeta(s.pubkey(), True, i % 2 == 0) for i, s in enumerate(signers)]
    return [Instruction(PROGRAM, bytes([7, len(signers)]), accounts + [AccountMeta(Pubkey.new_unique(), False, True)])]


def test_pubkey_of_is_the_keypairs_pubkey_and_survives_id_reuse() -> None:
    for _ in range(50):  # short-lived keypairs: CPython reuses their ids
        kp = Keypair()
        assert pubkey_of(kp) == kp.pubkey()
        assert pubkey_of(kp) == kp.pubkey()


def test_signed_transaction_equals_solders_own() -> None:
    payer, a, b = Keypair(), Keypair(), Keypair()
    blockhash = Hash.new_unique()
    ixs = _ixs(b, a)
    tx, signature = sign_transaction(ixs, payer, [a, b, payer], blockhash)
    expected = VersionedTransaction(MessageV0.try_compile(payer.pubkey(), ixs, [], blockhash), [payer, a, b])
    assert bytes(tx) == bytes(expected)
    assert signature == expected.signatures[0] != Signature.default()
    assert all(tx.verify_with_results())


def test_signer_mismatch_raises_as_solders_does() -> None:
    payer, a, stranger = Keypair(), Keypair(), Keypair()
    blockhash = Hash.new_unique()
    with pytest.raises(Exception, match="not enough signers"):
        sign_transaction(_ixs(a), payer, [], blockhash)
    with pytest.raises(Exception, match="too many signers"):
        sign_transaction(_ixs(a), payer, [a, stranger], blockhash)
