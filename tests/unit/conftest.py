"""Fixtures shared by the unit tests of the oracle layer: the mock oracle and the oracle probe."""

from __future__ import annotations

import pytest

from localnet.oracle_lab import OracleLab, build_mock_oracle, build_probe


@pytest.fixture(scope="session")
def oracle_programs(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    """(probe, mock oracle) program bytes, built once per session with the project's toolchain."""
    return build_probe(tmp_path_factory.mktemp("sbf")), build_mock_oracle()


@pytest.fixture
def lab(oracle_programs: tuple[bytes, bytes]) -> OracleLab:
    """A fresh LiteSVM with the probe and an initialised mock oracle, its clock at slot 1,000."""
    lab = OracleLab(*oracle_programs)
    lab.svm.warp(1_000)
    return lab
