"""The perp program's oracle readers (programs/perp/oracle.c), run in LiteSVM through the oracle probe
against accounts written by the mock oracle program; hostile fakes (wrong owner, corrupted or truncated
bytes) are the only accounts set directly."""

from __future__ import annotations

import hashlib
import json
import re
import struct
from pathlib import Path

import pytest
from pythclient.pythaccounts import PythPriceAccount, PythPriceStatus
from pythclient.solana import SolanaPublicKey
from solders.pubkey import Pubkey

from keepers.exchange.oracles import ACCOUNT_LEN, OracleKind
from localnet import mock_oracle as mo
from localnet.bootstrap import default_market_params
from localnet.oracle_lab import OracleLab, ProbeResult, mock_oracle_config
from programs_client.perp.errors import custom as perp_errors

REPO = Path(__file__).resolve().parents[3]
FEED = hashlib.sha256(b"SOL/USD").digest()
PARAMS = default_market_params()  # staleness 150 slots, confidence 200 bps, divergence 500 bps
NOW = 1_000

WRONG_ACCOUNT = perp_errors.OracleWrongAccount.code
INVALID = perp_errors.OracleInvalidData.code
NON_POSITIVE = perp_errors.OracleNonPositive.code
STALE = perp_errors.OracleStale.code
TOO_WIDE = perp_errors.OracleConfidenceTooWide.code
DIVERGENCE = perp_errors.OracleDivergence.code
UNAVAILABLE = perp_errors.OracleUnavailable.code
PRIMARY, FALLBACK = 0, 1


# -- layout constants against independent descriptions ------------------------------------------------
def _defines() -> dict[str, int]:
    text = (REPO / "programs/common/include/pk_oracle_layouts.h").read_text()
    return {m[1]: int(m[2], 0) for m in re.finditer(r"#define (PK_\w+)\s+(0x[0-9a-fA-F]+|\d+)U?L*", text)}


_SIZES = {"u8": 1, "u16": 2, "u32": 4, "i32": 4, "u64": 8, "i64": 8, "i128": 16, "publicKey": 32}


def _idl_offsets(name: str) -> dict[str, int]:
    """Borsh offsets (discriminator included) of every field path of the IDL's account; a Borsh enum
    with fields takes its Full-size (1 byte) here, the layout the readers accept."""
    idl = json.loads((REPO / "idl" / f"{name}.json").read_text())
    types = {t["name"]: t["type"] for t in idl["types"]}

    def size(ty: object) -> int:
        if isinstance(ty, str):
            return _SIZES[ty]
        assert isinstance(ty, dict)
        if "array" in ty:
            return size(ty["array"][0]) * ty["array"][1]
        t = types[ty["defined"]]
        return 1 if t["kind"] == "enum" else sum(size(f["type"]) for f in t["fields"])

    out: dict[str, int] = {}

    def walk(fields: list, base: int, prefix: str) -> None:
        for f in fields:
            out[prefix + f["name"]] = base
            ty = f["type"]
            if isinstance(ty, dict) and "defined" in ty and types[ty["defined"]]["kind"] == "struct":
                walk(types[ty["defined"]]["fields"], base, prefix + f["name"] + ".")
            base += size(ty)
        out[prefix + "<end>"] = base

    walk(idl["accounts"][0]["type"]["fields"], 8, "")
    return out


LAYOUT_FIELDS = {
    "pyth_receiver": {
        "PK_PULL_V2_OFF_VERIFICATION": "verificationLevel", "PK_PULL_V2_OFF_FEED_ID": "priceMessage.feedId",
        "PK_PULL_V2_OFF_PRICE": "priceMessage.price", "PK_PULL_V2_OFF_CONF": "priceMessage.conf",
        "PK_PULL_V2_OFF_EXPONENT": "priceMessage.exponent", "PK_PULL_V2_OFF_PUBLISH_TIME": "priceMessage.publishTime",
        "PK_PULL_V2_OFF_PREV_PUBLISH_TIME": "priceMessage.prevPublishTime", "PK_PULL_V2_OFF_EMA_PRICE": "priceMessage.emaPrice",
        "PK_PULL_V2_OFF_EMA_CONF": "priceMessage.emaConf", "PK_PULL_V2_OFF_POSTED_SLOT": "postedSlot",
        "PK_PULL_V2_OFF_WRITE_AUTHORITY": "writeAuthority",
    },
    "switchboard_v2": {
        "PK_SB_V2_OFF_BATCH_SIZE": "oracleRequestBatchSize", "PK_SB_V2_OFF_MIN_ORACLE_RESULTS": "minOracleResults",
        "PK_SB_V2_OFF_LATEST_ROUND": "latestConfirmedRound", "PK_SB_V2_OFF_NUM_SUCCESS": "latestConfirmedRound.numSuccess",
        "PK_SB_V2_OFF_NUM_ERROR": "latestConfirmedRound.numError", "PK_SB_V2_OFF_IS_CLOSED": "latestConfirmedRound.isClosed",
        "PK_SB_V2_OFF_ROUND_OPEN_SLOT": "latestConfirmedRound.roundOpenSlot",
        "PK_SB_V2_OFF_ROUND_OPEN_TS": "latestConfirmedRound.roundOpenTimestamp",
        "PK_SB_V2_OFF_RESULT_MANTISSA": "latestConfirmedRound.result.mantissa",
        "PK_SB_V2_OFF_RESULT_SCALE": "latestConfirmedRound.result.scale",
        "PK_SB_V2_OFF_STD_DEV_MANTISSA": "latestConfirmedRound.stdDeviation.mantissa",
        "PK_SB_V2_OFF_STD_DEV_SCALE": "latestConfirmedRound.stdDeviation.scale",
        "PK_SB_V2_OFF_MIN_RESPONSE": "latestConfirmedRound.minResponse",
        "PK_SB_V2_OFF_MAX_RESPONSE": "latestConfirmedRound.maxResponse", "PK_SB_V2_LEN": "<end>",
    },
    "switchboard_on_demand": {
        "PK_SB_OD_OFF_LAST_UPDATE_TS": "lastUpdateTimestamp", "PK_SB_OD_OFF_RESULT": "result",
        "PK_SB_OD_OFF_VALUE": "result.value", "PK_SB_OD_OFF_STD_DEV": "result.stdDev", "PK_SB_OD_OFF_MEAN": "result.mean",
        "PK_SB_OD_OFF_RANGE": "result.range", "PK_SB_OD_OFF_MIN_VALUE": "result.minValue",
        "PK_SB_OD_OFF_MAX_VALUE": "result.maxValue", "PK_SB_OD_OFF_NUM_SAMPLES": "result.numSamples",
        "PK_SB_OD_OFF_SLOT": "result.slot", "PK_SB_OD_OFF_MIN_SLOT": "result.minSlot",
        "PK_SB_OD_OFF_MAX_SLOT": "result.maxSlot", "PK_SB_OD_LEN": "<end>",
    },
}


@pytest.mark.parametrize("idl", sorted(LAYOUT_FIELDS))
def test_c_offsets_equal_the_idl_borsh_offsets(idl: str) -> None:
    defines, offsets = _defines(), _idl_offsets(idl)
    assert {d: defines[d] for d in LAYOUT_FIELDS[idl]} == {d: offsets[f] for d, f in LAYOUT_FIELDS[idl].items()}


def test_c_sizes_and_discriminators() -> None:
    d = _defines()
    assert (d["PK_PYTH_LEGACY_LEN"], d["PK_PULL_V2_LEN"], d["PK_SB_V2_LEN"], d["PK_SB_OD_LEN"]) == tuple(
        ACCOUNT_LEN[k] for k in (OracleKind.PYTH_LEGACY, OracleKind.PYTH_PULL_V2, OracleKind.SWITCHBOARD_V2,
                                 OracleKind.SWITCHBOARD_ON_DEMAND))
    for define, account in (("PK_PULL_V2_DISCRIMINATOR", "PriceUpdateV2"), ("PK_SB_V2_DISCRIMINATOR", "AggregatorAccountData"),
                            ("PK_SB_OD_DISCRIMINATOR", "PullFeedAccountData")):
        assert d[define].to_bytes(8, "little") == hashlib.sha256(f"account:{account}".encode()).digest()[:8]


def test_c_switchboard_on_demand_decimals_are_the_idl_constant() -> None:
    from programs_client.switchboard_on_demand.constants import PRECISION_DECIMALS

    assert _defines()["PK_SB_OD_DECIMALS"] == PRECISION_DECIMALS == 18  # switchboard-on-demand's PRECISION


def test_c_pyth_legacy_offsets_are_where_pythclient_reads() -> None:
    d = _defines()
    buf = bytearray(d["PK_PYTH_LEGACY_LEN"])
    struct.pack_into("<IIII", buf, 0, d["PK_PYTH_LEGACY_MAGIC"], d["PK_PYTH_LEGACY_VERSION"], d["PK_PYTH_LEGACY_TYPE_PRICE"],
                     d["PK_PYTH_LEGACY_HEADER_LEN"])
    assert (d["PK_PYTH_LEGACY_OFF_MAGIC"], d["PK_PYTH_LEGACY_OFF_VERSION"], d["PK_PYTH_LEGACY_OFF_TYPE"], d["PK_PYTH_LEGACY_OFF_SIZE"]) == (0, 4, 8, 12)
    struct.pack_into("<i", buf, d["PK_PYTH_LEGACY_OFF_EXPO"], -7)
    struct.pack_into("<q", buf, d["PK_PYTH_LEGACY_OFF_AGG_PRICE"], 31_415)
    struct.pack_into("<Q", buf, d["PK_PYTH_LEGACY_OFF_AGG_CONF"], 27)
    struct.pack_into("<I", buf, d["PK_PYTH_LEGACY_OFF_AGG_STATUS"], 3)
    struct.pack_into("<Q", buf, d["PK_PYTH_LEGACY_OFF_AGG_PUB_SLOT"], 4_242)
    struct.pack_into("<QQ", buf, d["PK_PYTH_LEGACY_OFF_LAST_SLOT"], 11, 12)
    struct.pack_into("<q", buf, d["PK_PYTH_LEGACY_OFF_TIMESTAMP"], 1_700_000_000)
    acc = PythPriceAccount(SolanaPublicKey(bytes(32)), None)  # type: ignore[arg-type]
    acc.update_from(bytes(buf), version=2, offset=16)
    agg = acc.aggregate_price_info
    assert (acc.exponent, agg.raw_price, agg.raw_confidence_interval, agg.price_status, agg.pub_slot) == (
        -7, 31_415, 27, PythPriceStatus.AUCTION, 4_242)
    assert (acc.last_slot, acc.valid_slot, acc.timestamp) == (11, 12, 1_700_000_000)


# -- accounts written by the mock oracle ----------------------------------------------------------------
def pyth(lab: OracleLab, price: int, conf: int = 0, expo: int = -6, status: int = 1, slot: int = NOW) -> Pubkey:
    acc = lab.oracle.create_account(OracleKind.PYTH_LEGACY)
    lab.oracle.write(mo.write_pyth_legacy_ix(lab.oracle.authority.pubkey(), acc, price=price, conf=conf, exponent=expo,
                                             status=status, publish_slot=slot))
    return acc


def pull(lab: OracleLab, price: int, conf: int = 0, expo: int = -6, full: bool = True, feed: bytes = FEED,
         slot: int = NOW) -> Pubkey:
    acc = lab.oracle.create_account(OracleKind.PYTH_PULL_V2)
    lab.oracle.write(mo.write_price_update_v2_ix(lab.oracle.authority.pubkey(), acc, feed_id=feed, price=price, conf=conf,
                                                 exponent=expo, full=full, num_signatures=3, publish_slot=slot))
    return acc


def sbv2(lab: OracleLab, mantissa: int, scale: int = 6, std: int = 0, std_scale: int | None = None,
         num_success: int = 1, min_results: int = 1, slot: int = NOW) -> Pubkey:
    acc = lab.oracle.create_account(OracleKind.SWITCHBOARD_V2)
    lab.oracle.write(mo.write_switchboard_v2_ix(lab.oracle.authority.pubkey(), acc, mantissa=mantissa, scale=scale,
                                                std_dev_mantissa=std, std_dev_scale=std_scale, num_success=num_success,
                                                min_oracle_results=min_results, round_open_slot=slot))
    return acc


def ondemand(lab: OracleLab, value: int, std: int = 0, slot: int = NOW) -> Pubkey:
    acc = lab.oracle.create_account(OracleKind.SWITCHBOARD_ON_DEMAND)
    lab.oracle.write(mo.write_switchboard_on_demand_ix(lab.oracle.authority.pubkey(), acc, value=value, std_dev=std, slot=slot))
    return acc


def select(lab: OracleLab, kind: OracleKind, acc: Pubkey | None, fb_kind: OracleKind = OracleKind.NONE,
           fb: Pubkey | None = None, *, slot: int = NOW, params=PARAMS, named: Pubkey | None = None,
           fb_named: Pubkey | None = None) -> ProbeResult:
    """Run the ladder with a config naming ``named or acc`` (and the fallback), passing ``acc`` and ``fb``."""
    config = mock_oracle_config(kind, named or acc or Pubkey.new_unique(), fb_kind, fb_named or fb or Pubkey.new_unique(),
                                primary_feed_id=FEED if kind == OracleKind.PYTH_PULL_V2 else bytes(32),
                                fallback_feed_id=FEED if fb_kind == OracleKind.PYTH_PULL_V2 else bytes(32))
    return lab.select(config, params, acc, fb, current_slot=slot)


def single(lab: OracleLab, kind: OracleKind, acc: Pubkey, **kwargs) -> int:
    return select(lab, kind, acc, **kwargs).rc


# -- decoding -------------------------------------------------------------------------------------------
def test_each_layout_normalises_to_1e6_rounding_down(lab: OracleLab) -> None:
    cases = [
        (OracleKind.PYTH_LEGACY, pyth(lab, 2_512_345_678, 1_234_567, expo=-8), (25_123_456, 12_345)),
        (OracleKind.PYTH_LEGACY, pyth(lab, 7, 3, expo=2), (700_000_000, 300_000_000)),
        (OracleKind.PYTH_PULL_V2, pull(lab, 15_000_000_009, 99_999, expo=-9), (15_000_000, 99)),
        (OracleKind.SWITCHBOARD_V2, sbv2(lab, 123_456_789_012_345_678_901_234_567_890, scale=25, std=10**20, std_scale=25),
         (12_345_678_901, 10)),
        (OracleKind.SWITCHBOARD_V2, sbv2(lab, 42, scale=0, std=1, std_scale=3), (42_000_000, 1_000)),
        (OracleKind.SWITCHBOARD_ON_DEMAND, ondemand(lab, 150_123_456_789_012_345_678, 10**17 + 999_999_999_999),
         (150_123_456, 100_000)),
    ]
    for kind, acc, (price, conf) in cases:
        r = lab.decode(kind, acc, FEED)
        assert (r.rc, r.price, r.conf, r.publish_slot, r.status) == (0, price, conf, NOW, 1), kind
        s = select(lab, kind, acc, params=default_market_params(oracle_max_confidence_bps=10_000))
        assert (s.rc, s.price, s.source, s.primary_err, s.fallback_err) == (0, price, PRIMARY, 0, UNAVAILABLE)


def _corrupt(lab: OracleLab, acc: Pubkey, offset: int, raw: bytes, owner: Pubkey = mo.MOCK_ORACLE_PROGRAM_ID) -> Pubkey:
    data = bytearray(lab.data(acc))
    data[offset : offset + len(raw)] = raw
    fake = Pubkey.new_unique()
    lab.set_raw(fake, bytes(data), owner)
    return fake


def _truncated(lab: OracleLab, acc: Pubkey) -> Pubkey:
    fake = Pubkey.new_unique()
    lab.set_raw(fake, lab.data(acc)[:-1])
    return fake


def test_wrong_key_wrong_owner_and_missing_account(lab: OracleLab) -> None:
    good = pyth(lab, 100_000_000)
    assert single(lab, OracleKind.PYTH_LEGACY, good, named=Pubkey.new_unique()) == WRONG_ACCOUNT
    stolen = _corrupt(lab, good, 0, b"", owner=Pubkey.new_unique())  # the right bytes, another owner
    assert single(lab, OracleKind.PYTH_LEGACY, stolen) == WRONG_ACCOUNT
    assert select(lab, OracleKind.PYTH_LEGACY, None, named=good).rc == WRONG_ACCOUNT
    assert single(lab, OracleKind.PYTH_LEGACY, good) == 0


def test_pyth_legacy_rejections(lab: OracleLab) -> None:
    good = pyth(lab, 100_000_000)
    for offset, raw in [(0, struct.pack("<I", 0xA1B2C3D5)), (4, struct.pack("<I", 1)), (8, struct.pack("<I", 2)),
                        (12, struct.pack("<I", 239)), (12, struct.pack("<I", 3313)), (224, struct.pack("<I", 5))]:
        assert single(lab, OracleKind.PYTH_LEGACY, _corrupt(lab, good, offset, raw)) == INVALID, (offset, raw)
    assert single(lab, OracleKind.PYTH_LEGACY, _truncated(lab, good)) == INVALID
    assert single(lab, OracleKind.PYTH_LEGACY, pyth(lab, 0)) == NON_POSITIVE
    assert single(lab, OracleKind.PYTH_LEGACY, pyth(lab, -5)) == NON_POSITIVE
    assert single(lab, OracleKind.PYTH_LEGACY, pyth(lab, 10**9, expo=-16)) == NON_POSITIVE  # 1e-7 rounds to 0
    assert single(lab, OracleKind.PYTH_LEGACY, pyth(lab, 10**9, expo=5)) == INVALID        # 1e20 overflows u64
    assert single(lab, OracleKind.PYTH_LEGACY, pyth(lab, 1, conf=10**6, expo=8)) == INVALID  # the confidence overflows
    assert single(lab, OracleKind.PYTH_LEGACY, pyth(lab, 100_000_000, status=2)) == UNAVAILABLE  # halted
    assert single(lab, OracleKind.PYTH_LEGACY, pyth(lab, 100_000_000, status=0)) == UNAVAILABLE  # unknown


def test_price_update_v2_rejections(lab: OracleLab) -> None:
    good = pull(lab, 100_000_000)
    assert single(lab, OracleKind.PYTH_PULL_V2, good) == 0
    assert single(lab, OracleKind.PYTH_PULL_V2, pull(lab, 100_000_000, full=False)) == INVALID
    assert single(lab, OracleKind.PYTH_PULL_V2, pull(lab, 100_000_000, feed=bytes(32))) == INVALID
    assert single(lab, OracleKind.PYTH_PULL_V2, _corrupt(lab, good, 0, b"\x00")) == INVALID
    assert single(lab, OracleKind.PYTH_PULL_V2, _corrupt(lab, good, 40, b"\x02")) == INVALID
    assert single(lab, OracleKind.PYTH_PULL_V2, _truncated(lab, good)) == INVALID
    assert single(lab, OracleKind.PYTH_PULL_V2, pull(lab, -1)) == NON_POSITIVE
    assert single(lab, OracleKind.PYTH_PULL_V2, pull(lab, 0)) == NON_POSITIVE


def test_switchboard_v2_rejections(lab: OracleLab) -> None:
    good = sbv2(lab, 100_000_000)
    assert single(lab, OracleKind.SWITCHBOARD_V2, good) == 0
    assert single(lab, OracleKind.SWITCHBOARD_V2, _corrupt(lab, good, 7, b"\x00")) == INVALID
    assert single(lab, OracleKind.SWITCHBOARD_V2, _truncated(lab, good)) == INVALID
    assert single(lab, OracleKind.SWITCHBOARD_V2, sbv2(lab, -(10**8))) == NON_POSITIVE
    assert single(lab, OracleKind.SWITCHBOARD_V2, sbv2(lab, 0)) == NON_POSITIVE
    assert single(lab, OracleKind.SWITCHBOARD_V2, sbv2(lab, 9, scale=7)) == NON_POSITIVE     # 9e-7 rounds to 0
    assert single(lab, OracleKind.SWITCHBOARD_V2, sbv2(lab, 2**64, scale=6)) == INVALID      # above u64 at 1e6
    assert single(lab, OracleKind.SWITCHBOARD_V2, sbv2(lab, 10**8, std=-1)) == INVALID
    assert single(lab, OracleKind.SWITCHBOARD_V2, sbv2(lab, 10**8, num_success=2, min_results=3)) == UNAVAILABLE


def test_switchboard_on_demand_rejections(lab: OracleLab) -> None:
    good = ondemand(lab, 100 * 10**18)
    assert single(lab, OracleKind.SWITCHBOARD_ON_DEMAND, good) == 0
    assert single(lab, OracleKind.SWITCHBOARD_ON_DEMAND, _corrupt(lab, good, 0, b"\x01")) == INVALID
    assert single(lab, OracleKind.SWITCHBOARD_ON_DEMAND, _truncated(lab, good)) == INVALID
    assert single(lab, OracleKind.SWITCHBOARD_ON_DEMAND, ondemand(lab, -(10**18))) == NON_POSITIVE
    assert single(lab, OracleKind.SWITCHBOARD_ON_DEMAND, ondemand(lab, 10**11)) == NON_POSITIVE  # 1e-7 rounds to 0
    assert single(lab, OracleKind.SWITCHBOARD_ON_DEMAND, ondemand(lab, 2**64 * 10**12)) == INVALID
    assert single(lab, OracleKind.SWITCHBOARD_ON_DEMAND, ondemand(lab, 10**18, std=-1)) == INVALID
    no_result = _corrupt(lab, good, 2368, bytes(8))  # result.slot 0: the feed has never resolved
    assert single(lab, OracleKind.SWITCHBOARD_ON_DEMAND, no_result, slot=100) == UNAVAILABLE


# -- the validity ladder --------------------------------------------------------------------------------
def test_staleness_and_confidence_boundaries(lab: OracleLab) -> None:
    acc = pyth(lab, 100_000_000, conf=2_000_000)  # exactly 200 bps wide
    assert single(lab, OracleKind.PYTH_LEGACY, acc, slot=NOW + 150) == 0
    assert single(lab, OracleKind.PYTH_LEGACY, acc, slot=NOW + 151) == STALE
    assert single(lab, OracleKind.PYTH_LEGACY, acc, slot=NOW - 500) == 0  # published "in the future": age 0
    assert single(lab, OracleKind.PYTH_LEGACY, pyth(lab, 100_000_000, conf=2_000_001)) == TOO_WIDE


def test_valid_primary_and_fallback_within_the_divergence_limit(lab: OracleLab) -> None:
    p, f = pyth(lab, 100_000_000), ondemand(lab, 105 * 10**18)  # 5.00% apart, limit 500 bps
    r = select(lab, OracleKind.PYTH_LEGACY, p, OracleKind.SWITCHBOARD_ON_DEMAND, f)
    assert (r.rc, r.price, r.source, r.primary_err, r.fallback_err) == (0, 100_000_000, PRIMARY, 0, 0)


def test_diverging_sources_fail(lab: OracleLab) -> None:
    p, f = pyth(lab, 100_000_000), sbv2(lab, 105_000_001)
    r = select(lab, OracleKind.PYTH_LEGACY, p, OracleKind.SWITCHBOARD_V2, f)
    assert (r.rc, r.primary_err, r.fallback_err) == (DIVERGENCE, 0, 0)
    r = select(lab, OracleKind.SWITCHBOARD_V2, f, OracleKind.PYTH_LEGACY, p)  # symmetric
    assert r.rc == DIVERGENCE


def test_fallback_used_when_primary_stale(lab: OracleLab) -> None:
    p, f = pull(lab, 100_000_000, slot=NOW - 200), sbv2(lab, 200_000_000)  # divergence is not checked
    r = select(lab, OracleKind.PYTH_PULL_V2, p, OracleKind.SWITCHBOARD_V2, f)
    assert (r.rc, r.price, r.source, r.primary_err, r.fallback_err) == (0, 200_000_000, FALLBACK, STALE, 0)


@pytest.mark.parametrize(
    "make_primary, error",
    [(lambda lab: pyth(lab, 0), NON_POSITIVE), (lambda lab: pyth(lab, 10**8, conf=10**7), TOO_WIDE),
     (lambda lab: pyth(lab, 10**8, status=2), UNAVAILABLE), (lambda lab: _truncated(lab, pyth(lab, 10**8)), INVALID)],
)
def test_fallback_used_for_any_primary_failure(lab: OracleLab, make_primary, error: int) -> None:
    r = select(lab, OracleKind.PYTH_LEGACY, make_primary(lab), OracleKind.PYTH_PULL_V2, pull(lab, 99_000_000))
    assert (r.rc, r.price, r.source, r.primary_err) == (0, 99_000_000, FALLBACK, error)


def test_invalid_fallback_leaves_the_primary(lab: OracleLab) -> None:
    p, f = ondemand(lab, 10**20), sbv2(lab, 10**8, slot=NOW - 151)
    r = select(lab, OracleKind.SWITCHBOARD_ON_DEMAND, p, OracleKind.SWITCHBOARD_V2, f)
    assert (r.rc, r.price, r.source, r.fallback_err) == (0, 100_000_000, PRIMARY, STALE)
    # A configured fallback not passed is the cranker's choice, not an invalid source: the ladder fails
    # (else a cranker could leave out a fallback that diverges from the primary).
    r = select(lab, OracleKind.SWITCHBOARD_ON_DEMAND, p, OracleKind.SWITCHBOARD_V2, None, fb_named=f)
    assert (r.rc, r.primary_err, r.fallback_err) == (WRONG_ACCOUNT, 0, WRONG_ACCOUNT)


def test_both_invalid_returns_the_primary_error(lab: OracleLab) -> None:
    p, f = pyth(lab, 10**8, conf=10**7), ondemand(lab, 10**20, slot=NOW - 300)
    r = select(lab, OracleKind.PYTH_LEGACY, p, OracleKind.SWITCHBOARD_ON_DEMAND, f)
    assert (r.rc, r.primary_err, r.fallback_err) == (TOO_WIDE, TOO_WIDE, STALE)


def test_no_primary_source_is_unavailable(lab: OracleLab) -> None:
    r = select(lab, OracleKind.NONE, None, named=Pubkey.new_unique())
    assert (r.rc, r.primary_err, r.fallback_err) == (UNAVAILABLE, UNAVAILABLE, UNAVAILABLE)


def test_probe_compute_units_per_layout(lab: OracleLab) -> None:
    """Not a timing assertion: every decode stays far below an instruction's budget share."""
    accounts = {OracleKind.PYTH_LEGACY: pyth(lab, 10**8), OracleKind.PYTH_PULL_V2: pull(lab, 10**8),
                OracleKind.SWITCHBOARD_V2: sbv2(lab, 10**30, scale=28), OracleKind.SWITCHBOARD_ON_DEMAND: ondemand(lab, 10**20)}
    for kind, acc in accounts.items():
        cost = lab.decode(kind, acc, FEED).compute_units - lab.baseline(acc).compute_units
        assert 0 < cost < 2_000, (kind, cost)
