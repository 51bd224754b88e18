"""Shared fixtures: the perp program built once per session, a fresh LiteSVM per test, an exchange."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from localnet.bootstrap import LocalExchange
from localnet.svm import LocalSvm


@pytest.fixture(scope="session")
def perp_program() -> bytes:
    """The perp program's SBF bytes, built from programs/perp (cached by source hash)."""
    from localnet.build import build_program

    return Path(build_program("perp")).read_bytes()


@pytest.fixture
def svm(perp_program: bytes) -> LocalSvm:
    """A fresh LiteSVM with the perp program and the SPL programs loaded."""
    return LocalSvm(perp_program)


@pytest.fixture
def exchange(svm: LocalSvm) -> Iterator[LocalExchange]:
    """An initialised exchange. After the test: the collateral vault holds exactly the users' collateral."""
    ex = LocalExchange.create(svm)
    yield ex
    vault, total, users = ex.conservation()
    assert vault == total == users, f"conservation broken: vault {vault}, exchange total {total}, users {users}"
