"""Fixtures for the toolchain tests: the fixture C sources, a LiteSVM running a built program."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pytest
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.message import Message
from solders.pubkey import Pubkey
from solders.transaction import Transaction

REPO = Path(__file__).resolve().parents[3]
SBF_FIXTURES = REPO / "tests" / "fixtures" / "sbf"
COMMON_INCLUDE = REPO / "programs" / "common" / "include"
FEATURE_SOURCES = (SBF_FIXTURES / "features.c", SBF_FIXTURES / "features_helper.c")


@dataclass
class ProgramHarness:
    """A LiteSVM with one program loaded and a funded fee payer."""

    svm: LiteSVM
    program_id: Pubkey
    payer: Keypair

    def instruction(self, data: bytes, accounts: Sequence[AccountMeta] = ()) -> Instruction:
        return Instruction(self.program_id, data, list(accounts))

    def transaction(
        self, data: bytes, accounts: Sequence[AccountMeta] = (), signers: Sequence[Keypair] = ()
    ):
        message = Message([self.instruction(data, accounts)], self.payer.pubkey())
        return Transaction([self.payer, *signers], message, self.svm.latest_blockhash())

    def send(
        self, data: bytes, accounts: Sequence[AccountMeta] = (), signers: Sequence[Keypair] = ()
    ):
        """Send one instruction to the program; returns LiteSVM's (Failed)TransactionMetadata."""
        result = self.svm.send_transaction(self.transaction(data, accounts, signers))
        self.svm.expire_blockhash()
        return result


def load_program(image: bytes) -> ProgramHarness:
    """A fresh LiteSVM with `image` deployed under a new program id."""
    svm = LiteSVM()
    program_id = Pubkey.new_unique()
    svm.add_program(program_id, image)
    payer = Keypair()
    svm.airdrop(payer.pubkey(), 10_000_000_000)
    return ProgramHarness(svm, program_id, payer)


@pytest.fixture(scope="session")
def features_so(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """tests/fixtures/sbf/features*.c built with the project's toolchain."""
    from localnet.build import build_c_sources

    out = tmp_path_factory.mktemp("sbf") / "features.so"
    return build_c_sources(FEATURE_SOURCES, out, [COMMON_INCLUDE]).read_bytes()


@pytest.fixture
def features(features_so: bytes) -> ProgramHarness:
    """The features program in a fresh LiteSVM."""
    return load_program(features_so)


@pytest.fixture
def program_loader():
    """`load_program` as a fixture, for tests that build their own programs."""
    return load_program
