"""The mock oracle program writes the real foreign layouts, and refuses what it must.

Every layout is checked with a parser that does not share code with the program: pythclient for Pyth
legacy accounts, the anchorpy clients generated from idl/ for the other three.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from pythclient.pythaccounts import PythPriceAccount, PythPriceStatus
from pythclient.solana import SolanaPublicKey
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from solders.system_program import CreateAccountParams, create_account

from keepers.exchange.oracles import ACCOUNT_LEN, OracleKind
from keepers.execution.results import Failed, Landed
from localnet import mock_oracle as mo
from localnet.oracle_lab import OracleLab
from programs_client.mock_oracle.accounts import MockOracleConfig
from programs_client.mock_oracle.errors import custom as mo_errors
from programs_client.pyth_receiver.accounts import PriceUpdateV2
from programs_client.pyth_receiver.types import verification_level
from programs_client.switchboard_on_demand.accounts import PullFeedAccountData
from programs_client.switchboard_v2.accounts import AggregatorAccountData

REPO = Path(__file__).resolve().parents[3]
FEED = bytes(range(1, 33))
_PRIMITIVE = {"u8": 1, "i8": 1, "u16": 2, "u32": 4, "i32": 4, "u64": 8, "i64": 8, "i128": 16, "publicKey": 32}


def _borsh_size(ty: object, types: dict) -> int:
    if isinstance(ty, str):
        return _PRIMITIVE[ty]
    assert isinstance(ty, dict)
    if "array" in ty:
        return _borsh_size(ty["array"][0], types) * ty["array"][1]
    t = types[ty["defined"]]["type"]
    if t["kind"] == "enum":  # the largest variant
        return 1 + max(sum(_borsh_size(f["type"], types) for f in v.get("fields", [])) for v in t["variants"])
    return sum(_borsh_size(f["type"], types) for f in t["fields"])


@pytest.mark.parametrize(
    "idl, kind",
    [("pyth_receiver", OracleKind.PYTH_PULL_V2), ("switchboard_v2", OracleKind.SWITCHBOARD_V2),
     ("switchboard_on_demand", OracleKind.SWITCHBOARD_ON_DEMAND)],
)
def test_foreign_idls_describe_accounts_of_their_real_size(idl: str, kind: OracleKind) -> None:
    doc = json.loads((REPO / "idl" / f"{idl}.json").read_text())
    types = {t["name"]: t for t in doc["types"]}
    fields = doc["accounts"][0]["type"]["fields"]
    assert 8 + sum(_borsh_size(f["type"], types) for f in fields) == ACCOUNT_LEN[kind]


def _ok(out: object) -> Landed:
    assert isinstance(out, Landed), getattr(out, "logs", out)
    return out


def _code(out: object) -> int | None:
    assert isinstance(out, Failed), out
    return out.custom_code


def test_initialize_stores_the_authority_once(lab: OracleLab) -> None:
    config = MockOracleConfig.decode(lab.data(mo.config_pda()))
    assert config.authority == lab.oracle.authority.pubkey()
    assert lab.svm.account(mo.config_pda()).owner == mo.MOCK_ORACLE_PROGRAM_ID
    again = lab.oracle.initialize()
    assert _code(again) == mo_errors.AlreadyInitialized.code


def _pythclient(data: bytes, slot: int) -> PythPriceAccount:
    account = PythPriceAccount(SolanaPublicKey(bytes(32)), None)  # type: ignore[arg-type]
    account.update_with_rpc_response(slot, {"lamports": 1, "data": [base64.b64encode(data).decode(), "base64"]})
    assert account.aggregate_price_info is not None, "pythclient could not parse the account"
    return account


def test_pyth_legacy_bytes_parse_with_pythclient(lab: OracleLab) -> None:
    authority = lab.oracle.authority.pubkey()
    acc = lab.oracle.create_account(OracleKind.PYTH_LEGACY)
    _ok(lab.oracle.write(mo.write_pyth_legacy_ix(authority, acc, price=2_512_345_678, conf=1_234_567, exponent=-8)))
    parsed = _pythclient(lab.data(acc), 1_000)
    agg = parsed.aggregate_price_info
    assert (agg.raw_price, agg.raw_confidence_interval, agg.price_status, agg.pub_slot) == (
        2_512_345_678, 1_234_567, PythPriceStatus.TRADING, 1_000)
    assert parsed.exponent == -8
    assert parsed.aggregate_price == pytest.approx(25.12345678)
    assert parsed.aggregate_price_status == PythPriceStatus.TRADING
    assert [str(c.publisher_key) for c in parsed.price_components] == [str(authority)]
    assert parsed.price_components[0].latest_price_info.raw_price == 2_512_345_678

    lab.svm.warp(1_010)
    _ok(lab.oracle.write(mo.write_pyth_legacy_ix(authority, acc, price=-5, conf=9, exponent=-3, status=2, publish_slot=1_005)))
    parsed = _pythclient(lab.data(acc), 1_010)
    agg = parsed.aggregate_price_info
    assert (agg.raw_price, agg.raw_confidence_interval, agg.price_status, agg.pub_slot) == (-5, 9, PythPriceStatus.HALTED, 1_005)
    assert (parsed.prev_slot, parsed.exponent, parsed.valid_slot) == (1_000, -3, 1_005)


def test_price_update_v2_full_and_partial_layouts(lab: OracleLab) -> None:
    authority = lab.oracle.authority.pubkey()
    acc = lab.oracle.create_account(OracleKind.PYTH_PULL_V2)
    clock = lab.svm.clock()
    _ok(lab.oracle.write(mo.write_price_update_v2_ix(
        authority, acc, feed_id=FEED, price=15_000_000, conf=7_500, exponent=-5, full=False, num_signatures=5)))
    partial = PriceUpdateV2.decode(lab.data(acc))
    assert partial.verification_level == verification_level.Partial({"num_signatures": 5})
    assert partial.write_authority == authority
    m = partial.price_message
    assert (bytes(m.feed_id), m.price, m.conf, m.exponent, m.publish_time, m.ema_price) == (
        FEED, 15_000_000, 7_500, -5, clock.unix_timestamp, 15_000_000)
    assert partial.posted_slot == 1_000

    _ok(lab.oracle.write(mo.write_price_update_v2_ix(
        authority, acc, feed_id=FEED, price=-42, conf=1, exponent=2, publish_time=77, publish_slot=990)))
    data = lab.data(acc)
    full = PriceUpdateV2.decode(data)
    assert isinstance(full.verification_level, verification_level.Full)
    m = full.price_message
    assert (m.price, m.conf, m.exponent, m.publish_time, m.prev_publish_time) == (-42, 1, 2, 77, clock.unix_timestamp)
    assert full.posted_slot == 990
    assert len(data) == 134 and data[133] == 0  # the byte only a Partial update uses is cleared


def test_switchboard_v2_bytes_decode_with_the_generated_client(lab: OracleLab) -> None:
    authority = lab.oracle.authority.pubkey()
    acc = lab.oracle.create_account(OracleKind.SWITCHBOARD_V2)
    mantissa = -(10**30) - 12345  # a negative i128 round-trips through the two limbs
    _ok(lab.oracle.write(mo.write_switchboard_v2_ix(
        authority, acc, mantissa=mantissa, scale=20, std_dev_mantissa=10**19 + 7, std_dev_scale=21,
        num_success=3, min_oracle_results=2, round_open_slot=900)))
    agg = AggregatorAccountData.decode(lab.data(acc))
    r = agg.latest_confirmed_round
    assert (r.result.mantissa, r.result.scale, r.std_deviation.mantissa, r.std_deviation.scale) == (mantissa, 20, 10**19 + 7, 21)
    assert (r.num_success, agg.min_oracle_results, r.round_open_slot, r.is_closed) == (3, 2, 900, 1)
    assert r.round_open_timestamp == lab.svm.clock().unix_timestamp
    assert r.min_response == r.max_response == r.result


def test_switchboard_on_demand_bytes_decode_with_the_generated_client(lab: OracleLab) -> None:
    authority = lab.oracle.authority.pubkey()
    acc = lab.oracle.create_account(OracleKind.SWITCHBOARD_ON_DEMAND)
    value = 64_123_456_789_012_345_678_901
    _ok(lab.oracle.write(mo.write_switchboard_on_demand_ix(authority, acc, value=value, std_dev=3 * 10**16)))
    feed = PullFeedAccountData.decode(lab.data(acc))
    res = feed.result
    assert (res.value, res.std_dev, res.slot, res.min_slot, res.max_slot) == (value, 3 * 10**16, 1_000, 1_000, 1_000)
    assert res.mean == res.min_value == res.max_value == value and res.range == 0 and res.num_samples == 1


def _write_ix(kind: OracleKind, authority: Pubkey, account: Pubkey) -> Instruction:
    if kind == OracleKind.PYTH_LEGACY:
        return mo.write_pyth_legacy_ix(authority, account, price=1, conf=0, exponent=0)
    if kind == OracleKind.PYTH_PULL_V2:
        return mo.write_price_update_v2_ix(authority, account, feed_id=FEED, price=1, conf=0, exponent=0)
    if kind == OracleKind.SWITCHBOARD_V2:
        return mo.write_switchboard_v2_ix(authority, account, mantissa=1, scale=0, std_dev_mantissa=0)
    return mo.write_switchboard_on_demand_ix(authority, account, value=1, std_dev=0)


KINDS = [OracleKind.PYTH_LEGACY, OracleKind.PYTH_PULL_V2, OracleKind.SWITCHBOARD_V2, OracleKind.SWITCHBOARD_ON_DEMAND]


def _with_metas(ix: Instruction, index: int, *, signer: bool | None = None, writable: bool | None = None,
                pubkey: Pubkey | None = None) -> Instruction:
    metas = list(ix.accounts)
    m = metas[index]
    metas[index] = AccountMeta(pubkey or m.pubkey, m.is_signer if signer is None else signer,
                               m.is_writable if writable is None else writable)
    return Instruction(ix.program_id, bytes(ix.data), metas)


def _raw_account(lab: OracleLab, size: int, owner: Pubkey) -> Pubkey:
    kp = Keypair()
    payer = lab.oracle.authority
    _ok(lab.svm.send([create_account(CreateAccountParams(
        from_pubkey=payer.pubkey(), to_pubkey=kp.pubkey(), lamports=mo.rent_exempt_lamports(size), space=size, owner=owner))],
        [payer, kp]))
    return kp.pubkey()


@pytest.mark.parametrize("kind", KINDS)
def test_writes_refuse_wrong_authority_owner_size_and_flags(lab: OracleLab, kind: OracleKind) -> None:
    authority = lab.oracle.authority
    acc = lab.oracle.create_account(kind)
    intruder = lab.svm.funded_keypair()
    assert _code(lab.svm.send([_write_ix(kind, intruder.pubkey(), acc)], [intruder])) == mo_errors.Unauthorized.code
    system_owned = _raw_account(lab, ACCOUNT_LEN[kind], SYSTEM_PROGRAM_ID)
    assert _code(lab.oracle.write(_write_ix(kind, authority.pubkey(), system_owned))) == mo_errors.WrongOwner.code
    short = _raw_account(lab, ACCOUNT_LEN[kind] - 1, mo.MOCK_ORACLE_PROGRAM_ID)
    assert _code(lab.oracle.write(_write_ix(kind, authority.pubkey(), short))) == mo_errors.WrongSize.code
    ix = _write_ix(kind, authority.pubkey(), acc)
    assert _code(lab.svm.send([_with_metas(ix, 0, signer=False)])) == mo_errors.MissingSigner.code
    assert _code(lab.oracle.write(_with_metas(ix, 2, writable=False))) == mo_errors.AccountNotWritable.code
    assert _code(lab.oracle.write(_with_metas(ix, 1, pubkey=acc))) == mo_errors.InvalidConfig.code
    truncated = Instruction(ix.program_id, bytes(ix.data)[:-1], list(ix.accounts))
    assert _code(lab.oracle.write(truncated)) == mo_errors.InvalidInstructionData.code
    _ok(lab.oracle.write(ix))


def test_unknown_instruction_and_bad_verification_level(lab: OracleLab) -> None:
    authority = lab.oracle.authority.pubkey()
    acc = lab.oracle.create_account(OracleKind.PYTH_PULL_V2)
    ix = _write_ix(OracleKind.PYTH_PULL_V2, authority, acc)
    data = bytearray(ix.data)
    data[8 + 68] = 2  # verificationLevel: neither Partial nor Full
    assert _code(lab.oracle.write(Instruction(ix.program_id, bytes(data), list(ix.accounts)))) == mo_errors.InvalidInstructionData.code
    data = bytes(8) + bytes(ix.data)[8:]
    assert _code(lab.oracle.write(Instruction(ix.program_id, data, list(ix.accounts)))) == mo_errors.UnknownInstruction.code


def test_initialize_refuses_another_address_and_program(oracle_programs: tuple[bytes, bytes]) -> None:
    lab = OracleLab(*oracle_programs)
    payer = lab.svm.funded_keypair()
    ix = mo.initialize_ix(payer.pubkey())
    assert _code(lab.svm.send([_with_metas(ix, 1, pubkey=Pubkey.new_unique())], [payer])) == mo_errors.InvalidConfig.code
    assert _code(lab.svm.send([_with_metas(ix, 2, pubkey=Pubkey.new_unique())], [payer])) == mo_errors.InvalidProgramId.code
