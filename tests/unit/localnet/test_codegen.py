"""The IDL is the single source of truth: committed generated files must equal a fresh generation."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from localnet.codegen import REPO_ROOT, IdlLayoutError, generate_c_header, stale_outputs


def test_generated_files_are_current() -> None:
    stale = stale_outputs()
    assert stale == [], f"stale generated files (run `perpkeep codegen`): {stale}"


def test_header_discriminators_follow_anchor_rules() -> None:
    header = (REPO_ROOT / "programs/perp/include/perp_idl.h").read_text()

    def le(prefix: str) -> str:
        return f"{int.from_bytes(hashlib.sha256(prefix.encode()).digest()[:8], 'little'):#018x}ULL"

    assert f"#define PK_IX_INITIALIZE_EXCHANGE_DISCRIMINATOR {le('global:initialize_exchange')}" in header
    assert f"#define PK_USER_DISCRIMINATOR {le('account:User')}" in header
    assert f"#define PK_EVENT_DEPOSIT_EVENT_DISCRIMINATOR {le('event:DepositEvent')}" in header


def test_error_codes_are_numbered_from_6000_in_idl_order() -> None:
    idl = json.loads((REPO_ROOT / "idl/perp.json").read_text())
    header = (REPO_ROOT / "programs/perp/include/perp_idl.h").read_text()
    codes = [e["code"] for e in idl["errors"]]
    # increasing from 6000; gaps are ranges reserved for changes made side by side
    assert codes[0] == 6000 and all(a < b for a, b in zip(codes, codes[1:]))
    assert "#define PK_ERR_INVALID_PDA 6008ULL" in header


def _idl_with(tmp_path: Path, fields: list[dict]) -> Path:
    idl = {"version": "0.1.0", "name": "t", "instructions": [], "accounts": [{"name": "A", "type": {"kind": "struct", "fields": fields}}]}
    p = tmp_path / "t.json"
    p.write_text(json.dumps(idl))
    return p


def test_misaligned_field_is_refused_with_its_name(tmp_path: Path) -> None:
    p = _idl_with(tmp_path, [{"name": "flag", "type": "u8"}, {"name": "amount", "type": "u64"}])
    with pytest.raises(IdlLayoutError, match=r"A\.amount: offset 9"):
        generate_c_header(p)


def test_trailing_padding_is_refused(tmp_path: Path) -> None:
    p = _idl_with(tmp_path, [{"name": "amount", "type": "u64"}, {"name": "flag", "type": "u8"}])
    with pytest.raises(IdlLayoutError, match="trailing padding"):
        generate_c_header(p)


def test_variable_length_types_are_refused(tmp_path: Path) -> None:
    p = _idl_with(tmp_path, [{"name": "memo", "type": "string"}])
    with pytest.raises(IdlLayoutError, match="memo"):
        generate_c_header(p)


def test_aligned_account_gets_offset_asserts(tmp_path: Path) -> None:
    p = _idl_with(tmp_path, [{"name": "amount", "type": "u64"}, {"name": "owner", "type": "publicKey"}])
    header = generate_c_header(p)
    assert 'PK_OFFSETOF( pk_a_t, amount ) == 8' in header
    assert 'PK_OFFSETOF( pk_a_t, owner ) == 16' in header
    assert "sizeof( pk_a_t ) == 48" in header


def test_include_guard_follows_the_header_path(tmp_path: Path) -> None:
    p = _idl_with(tmp_path, [{"name": "amount", "type": "u64"}])
    header = generate_c_header(p, header_path="programs/mock_oracle/include/mock_oracle_idl.h")
    assert "#ifndef HEADER_pk_programs_mock_oracle_include_mock_oracle_idl_h" in header
    assert "#endif /* HEADER_pk_programs_mock_oracle_include_mock_oracle_idl_h */" in header
    committed = (REPO_ROOT / "programs/mock_oracle/include/mock_oracle_idl.h").read_text()
    assert "#define HEADER_pk_programs_mock_oracle_include_mock_oracle_idl_h" in committed


def test_units_are_the_idl_constants_in_c_and_python() -> None:
    # The program's units, written out here from its documentation (README: quote and prices at 1e6,
    # base at 1e9, cumulative funding at 1e9, basis points), reach C and Python only through the IDL.
    from programs_client.perp import constants

    units = {"QUOTE_PRECISION": 10**6, "PRICE_PRECISION": 10**6, "PRICE_DECIMALS": 6, "BASE_PRECISION": 10**9,
             "CUMULATIVE_FUNDING_PRECISION": 10**9, "FUNDING_PRECISION": 10**12, "BPS": 10**4}
    header = (REPO_ROOT / "programs/perp/include/perp_idl.h").read_text()
    for name, value in units.items():
        assert getattr(constants, name) == value
        assert f"#define PK_{name} {value}ULL" in header
    assert constants.QUOTE_PRECISION == 10**constants.COLLATERAL_DECIMALS
    assert constants.PRICE_PRECISION == 10**constants.PRICE_DECIMALS
    assert constants.FUNDING_PRECISION * constants.QUOTE_PRECISION == (
        constants.BASE_PRECISION * constants.CUMULATIVE_FUNDING_PRECISION)


def test_constants_module_has_every_idl_constant(tmp_path: Path) -> None:
    from localnet.codegen.client import gen_constants

    idl = {"constants": [{"name": "A_B", "type": "u64", "value": "1000000", "docs": ["one A."]},
                         {"name": "C", "type": "i64", "value": "-3"}]}
    gen_constants(idl, "t.json", tmp_path)
    namespace: dict = {}
    exec((tmp_path / "constants.py").read_text(), namespace)  # noqa: S102 - the file just generated
    assert (namespace["A_B"], namespace["C"]) == (1_000_000, -3)
    gen_constants({"constants": []}, "t.json", tmp_path / "none")
    assert not (tmp_path / "none" / "constants.py").exists()


def test_no_python_module_defines_the_program_units() -> None:
    # One source per fact: a module that needs a unit imports it from programs_client.perp.constants.
    import re

    pattern = re.compile(r"^(QUOTE|BASE|PRICE|BPS|[A-Z_]*_PRECISION|[A-Z_]*_DECIMALS)\s*(:\s*[\w\[\]]+)?\s*=", re.M)
    offenders = []
    for folder in ("keepers", "localnet", "sim", "benchmarks", "perpkeep_cli", "tests"):
        for path in (REPO_ROOT / folder).rglob("*.py"):
            if pattern.search(path.read_text()):
                offenders.append(str(path.relative_to(REPO_ROOT)))
    assert offenders == []
