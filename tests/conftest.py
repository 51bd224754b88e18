"""Shared fixtures: the perp program built once per session, a fresh LiteSVM per test, an exchange, and a
PostgreSQL server for the session."""

from __future__ import annotations

import os
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


@pytest.fixture(scope="session")
def postgres() -> Iterator[object]:
    """A PostgreSQL server on 127.0.0.1 for the session (``localnet.services.postgres.PostgresServer``: ``.dsn``).

    Skipped when the server binaries are missing, except in CI (``CI=true``), where that fails.
    """
    from localnet.services.postgres import PostgresUnavailable, running_postgres, server_bindir

    try:
        server_bindir()
    except PostgresUnavailable as e:
        if os.environ.get("CI") == "true":
            pytest.fail(str(e))
        pytest.skip(str(e))
    with running_postgres() as server:
        yield server
