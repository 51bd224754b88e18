"""keepers/exchange/oracles.py mirrors programs/perp/oracle.c exactly.

Unit tests of the integer normalisation, then differential tests: random values written by the mock
oracle program (and random corruptions of its bytes) are read by the C readers through the oracle probe
and by the Python mirror, which must agree on every output and every error code.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from solders.instruction import Instruction
from solders.pubkey import Pubkey

from keepers.exchange.oracles import (
    OracleError,
    OracleKind,
    OraclePrice,
    RawAccount,
    Rejected,
    Selected,
    check_price,
    decode_oracle,
    diverges,
    rescale_decimal,
    rescale_expo,
    select_price,
)
from localnet import mock_oracle as mo
from localnet.bootstrap import default_market_params
from localnet.oracle_lab import OracleLab, ProbeResult, mock_oracle_config
from programs_client.perp.errors import custom as perp_errors

FEED = hashlib.sha256(b"ETH/USD").digest()
U64 = (1 << 64) - 1
I64 = st.integers(-(1 << 63), (1 << 63) - 1)
I128 = st.integers(-(1 << 127), (1 << 127) - 1)
KINDS = [OracleKind.PYTH_LEGACY, OracleKind.PYTH_PULL_V2, OracleKind.SWITCHBOARD_V2, OracleKind.SWITCHBOARD_ON_DEMAND]
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# -- pure normalisation ---------------------------------------------------------------------------------
def test_rescale_expo_rounds_down_and_refuses_overflow() -> None:
    assert rescale_expo(2_512_345_678, -8) == 25_123_456
    assert rescale_expo(7, 2) == 700_000_000
    assert rescale_expo(U64, -26) == 0 and rescale_expo(5, -(2**31)) == 0
    assert rescale_expo(0, 2**31 - 1) == 0
    assert rescale_expo(18_446_744_073_709, 0) == 18_446_744_073_709_000_000
    with pytest.raises(OracleError) as e:
        rescale_expo(18_446_744_073_710, 0)
    assert isinstance(e.value.error, perp_errors.OracleInvalidData)


def test_rescale_decimal_handles_any_scale() -> None:
    assert rescale_decimal(123, 4) == 12_300
    assert rescale_decimal(10**38, 38) == 1_000_000
    assert rescale_decimal((1 << 127) - 1, 2**32 - 1) == 0
    with pytest.raises(OracleError):
        rescale_decimal(1 << 64, 6)


def test_check_and_divergence_boundaries() -> None:
    params = default_market_params(oracle_max_staleness_slots=10, oracle_max_confidence_bps=100)
    check_price(OraclePrice(1_000_000, 10_000, 90, 1), params, 100)
    for price, slot, error in [(OraclePrice(1_000_000, 10_001, 90, 1), 100, perp_errors.OracleConfidenceTooWide),
                               (OraclePrice(1_000_000, 0, 89, 1), 100, perp_errors.OracleStale),
                               (OraclePrice(1_000_000, 0, 100, 2), 100, perp_errors.OracleUnavailable)]:
        with pytest.raises(OracleError) as e:
            check_price(price, params, slot)
        assert isinstance(e.value.error, error)
    assert not diverges(100, 105, 500) and diverges(100, 106, 500) and diverges(106, 100, 500)
    # a publish time (PriceUpdateV2) at most oracle_max_staleness_slots seconds old; none: not checked
    check_price(OraclePrice(1_000_000, 0, 100, 1, publish_time=990), params, 100, now_ts=1_000)
    check_price(OraclePrice(1_000_000, 0, 100, 1), params, 100, now_ts=10**9)
    with pytest.raises(OracleError) as e:
        check_price(OraclePrice(1_000_000, 0, 100, 1, publish_time=989), params, 100, now_ts=1_000)
    assert isinstance(e.value.error, perp_errors.OracleStale)


# -- differential: the C readers against the mirror -----------------------------------------------------
@dataclass(frozen=True)
class Write:
    """One mock oracle write: the layout and the instruction's arguments."""

    kind: OracleKind
    args: dict

    def ix(self, authority: Pubkey, account: Pubkey) -> Instruction:
        builders = {
            OracleKind.PYTH_LEGACY: mo.write_pyth_legacy_ix,
            OracleKind.PYTH_PULL_V2: mo.write_price_update_v2_ix,
            OracleKind.SWITCHBOARD_V2: mo.write_switchboard_v2_ix,
            OracleKind.SWITCHBOARD_ON_DEMAND: mo.write_switchboard_on_demand_ix,
        }
        return builders[self.kind](authority, account, **self.args)


SLOT = st.integers(1, 2_000)
EXPO = st.one_of(st.integers(-22, 22), st.sampled_from([-(2**31), 2**31 - 1]))
RAW_PRICE = st.one_of(st.integers(-10, 10**12), I64)
CONF = st.one_of(st.integers(0, 10**10), st.integers(0, U64))
SCALE = st.one_of(st.integers(0, 45), st.integers(0, 2**32 - 1))
MANTISSA = st.one_of(st.integers(-10, 10**30), I128)
MAGNITUDE = st.builds(lambda digits, exp: digits * 10**exp, st.integers(1_000, 9_999), st.integers(0, 8))  # 1e6 units


def wild_writes(kind: OracleKind) -> st.SearchStrategy[Write]:
    """Arbitrary arguments for a write of layout ``kind``: extremes, overflows, garbage statuses."""
    if kind == OracleKind.PYTH_LEGACY:
        args = st.fixed_dictionaries({"price": RAW_PRICE, "conf": CONF, "exponent": EXPO, "status": st.integers(0, 4),
                                      "publish_slot": SLOT})
    elif kind == OracleKind.PYTH_PULL_V2:
        args = st.fixed_dictionaries({"feed_id": st.sampled_from([FEED, FEED, bytes(32)]), "price": RAW_PRICE, "conf": CONF,
                                      "exponent": EXPO, "full": st.booleans(), "num_signatures": st.integers(0, 255),
                                      "publish_slot": SLOT})
    elif kind == OracleKind.SWITCHBOARD_V2:
        args = st.fixed_dictionaries({"mantissa": MANTISSA, "scale": SCALE, "std_dev_mantissa": MANTISSA,
                                      "std_dev_scale": SCALE, "num_success": st.integers(0, 5),
                                      "min_oracle_results": st.integers(0, 5), "round_open_slot": SLOT})
    else:
        args = st.fixed_dictionaries({"value": MANTISSA, "std_dev": st.one_of(st.integers(-5, 10**20), I128), "slot": SLOT})
    return args.map(lambda a: Write(kind, a))


@st.composite
def plausible_writes(draw: st.DrawFn, kind: OracleKind, price_1e6: int | None = None) -> Write:
    """A write of ``price_1e6`` (drawn when None) moved by up to 9%, with a confidence of up to 4%, a
    publish slot near the clock and extra low digits that the readers must round away."""
    price = price_1e6 or draw(MAGNITUDE)
    # Sampled rather than ranged: hypothesis favours range ends, which would make most quotes diverge,
    # go stale or be too wide; these keep every rung of the ladder frequent.
    price = max(1, price * (10_000 + draw(st.sampled_from([0, 120, -350, 900]))) // 10_000)
    conf = price * draw(st.sampled_from([10, 150, 400])) // 10_000
    slot = draw(st.sampled_from([1_150, 1_100, 1_000, 800]))
    if kind in (OracleKind.PYTH_LEGACY, OracleKind.PYTH_PULL_V2):
        digits = draw(st.integers(0, 6))  # exponent -6 - digits
        scaled, scaled_conf = price * 10**digits + draw(st.integers(0, 10**digits - 1)), conf * 10**digits
        args: dict = {"price": scaled, "conf": scaled_conf, "exponent": -6 - digits}
        if kind == OracleKind.PYTH_LEGACY:
            args |= {"status": draw(st.sampled_from([1, 1, 1, 1, 0, 2])), "publish_slot": slot}
        else:
            # publish_age: seconds before the clock (Bench.put); None: the mock writes the clock's time
            args |= {"feed_id": draw(st.sampled_from([FEED] * 5 + [bytes(32)])), "full": draw(st.sampled_from([True] * 5 + [False])),
                     "publish_slot": slot, "publish_age": draw(st.sampled_from([None, None, 0, 59, 60, 61, 150, 151, 400, -30]))}
        return Write(kind, args)
    if kind == OracleKind.SWITCHBOARD_V2:
        scale = draw(st.integers(6, 28))  # wild writes cover scales below 6

        def to_scale(v: int) -> int:
            return v * 10 ** (scale - 6) + draw(st.integers(0, 10 ** (scale - 6) - 1))

        need = draw(st.integers(1, 3))
        return Write(kind, {"mantissa": to_scale(price), "scale": scale, "std_dev_mantissa": to_scale(conf), "std_dev_scale": scale,
                            "num_success": need + draw(st.sampled_from([0, 0, 0, 1, -1])), "min_oracle_results": need,
                            "round_open_slot": slot})
    low = draw(st.integers(0, 10**12 - 1))
    return Write(kind, {"value": price * 10**12 + low, "std_dev": conf * 10**12 + low, "slot": slot})


PLAUSIBLE_WRITE = st.sampled_from(KINDS).flatmap(plausible_writes)
WILD_WRITE = st.sampled_from(KINDS).flatmap(wild_writes)


@st.composite
def source_pairs(draw: st.DrawFn) -> tuple[Write, Write | None]:
    """A primary and an optional fallback quoting the same underlying price."""
    price = draw(MAGNITUDE)
    primary = draw(st.sampled_from(KINDS).flatmap(lambda k: plausible_writes(k, price)))
    fallback = draw(st.one_of(st.none(), st.sampled_from(KINDS).flatmap(lambda k: plausible_writes(k, price))))
    return primary, fallback


class Bench:
    """A lab with one account per layout and role, rewritten for every example."""

    def __init__(self, lab: OracleLab) -> None:
        self.lab = lab
        self.accounts = {(k, role): lab.oracle.create_account(k) for k in KINDS for role in ("p", "f")}

    def put(self, write: Write, role: str = "p") -> Pubkey:
        acc = self.accounts[(write.kind, role)]
        if "publish_age" in write.args:
            args = dict(write.args)
            age = args.pop("publish_age")
            if age is not None:
                args["publish_time"] = self.now_ts() - age
            write = Write(write.kind, args)
        out = self.lab.oracle.write(write.ix(self.lab.oracle.authority.pubkey(), acc))
        assert out.ok, getattr(out, "logs", out)
        return acc

    def now_ts(self) -> int:
        """The Clock's unix timestamp, which the probe's select compares publish times with."""
        return self.lab.svm.clock().unix_timestamp

    def raw(self, address: Pubkey) -> RawAccount:
        acc = self.lab.svm.account(address)
        assert acc is not None
        return RawAccount(address, acc.owner, bytes(acc.data))


@pytest.fixture
def bench(lab: OracleLab) -> Bench:
    return Bench(lab)


def _mirror_decode(kind: OracleKind, data: bytes) -> tuple:
    try:
        p = decode_oracle(kind, data, FEED)
    except OracleError as e:
        return (e.error.code,)
    return (0, p.price_1e6, p.conf_1e6, p.publish_slot, p.status)


def _c_decode(r: ProbeResult) -> tuple:
    return (r.rc,) if r.rc else (0, r.price, r.conf, r.publish_slot, r.status)


def _agree(bench: Bench, write: Write) -> None:
    acc = bench.put(write)
    c = _c_decode(bench.lab.decode(write.kind, acc, FEED))
    assert c == _mirror_decode(write.kind, bench.lab.data(acc)), write


@PROPERTY
@given(write=PLAUSIBLE_WRITE)
def test_decode_agrees_on_plausible_prices(bench: Bench, write: Write) -> None:
    _agree(bench, write)


@PROPERTY
@given(write=WILD_WRITE)
def test_decode_agrees_on_extreme_values(bench: Bench, write: Write) -> None:
    _agree(bench, write)


@PROPERTY
@given(write=PLAUSIBLE_WRITE, edits=st.lists(st.tuples(st.integers(0, 450), st.integers(0, 255)), min_size=1, max_size=4),
       cut=st.sampled_from([0, 0, 0, 1, 100]))
def test_decode_agrees_on_corrupted_bytes(bench: Bench, write: Write, edits: list, cut: int) -> None:
    data = bytearray(bench.lab.data(bench.put(write)))
    region = {OracleKind.SWITCHBOARD_ON_DEMAND: 2256}.get(write.kind, 0)  # where the fields read start
    for offset, byte in edits:
        data[(region + offset) % len(data)] = byte
    fake = Pubkey.new_unique()
    bench.lab.set_raw(fake, bytes(data[: len(data) - cut]))
    c = _c_decode(bench.lab.decode(write.kind, fake, FEED))
    assert c == _mirror_decode(write.kind, bench.lab.data(fake)), (write, edits, cut)


PARAMS = st.builds(
    lambda staleness, conf, div: default_market_params(
        oracle_max_staleness_slots=staleness, oracle_max_confidence_bps=conf, oracle_max_divergence_bps=div),
    st.sampled_from([150, 400, 60, 1]), st.sampled_from([200, 600, 50]), st.sampled_from([500, 1_200, 50]),
)


def _errors(result: Selected | Rejected) -> tuple[int, int]:
    return tuple(e.code if e is not None else 0 for e in (result.primary_error, result.fallback_error))  # type: ignore[return-value]


@PROPERTY
@given(pair=source_pairs(), params=PARAMS, now=st.integers(1_000, 1_200), pass_fallback=st.sampled_from([True, True, True, False]))
def test_select_agrees(bench: Bench, pair: tuple[Write, Write | None], params, now: int, pass_fallback: bool) -> None:
    primary, fallback = pair
    p = bench.put(primary, "p")
    f = bench.put(fallback, "f") if fallback else None
    fb_kind = fallback.kind if fallback else OracleKind.NONE
    config = mock_oracle_config(primary.kind, p, fb_kind, f, primary_feed_id=FEED, fallback_feed_id=FEED)
    passed = f if pass_fallback else None
    c = bench.lab.select(config, params, p, passed, current_slot=now)
    py = select_price(config, params, now, bench.raw(p), bench.raw(passed) if passed else None, bench.now_ts())
    if isinstance(py, Selected):
        assert (c.rc, c.price, c.conf, c.publish_slot, c.status, c.source) == (
            0, py.price.price_1e6, py.price.conf_1e6, py.price.publish_slot, py.price.status, py.source)
    else:
        assert c.rc == py.error.code
    assert (c.primary_err, c.fallback_err) == _errors(py)


def test_select_mirror_names_each_ladder_outcome(bench: Bench) -> None:
    """The ladder's outcomes as values, on accounts from the mock oracle."""
    params = default_market_params()
    good = bench.put(Write(OracleKind.PYTH_LEGACY, {"price": 10**8, "conf": 0, "exponent": -6, "publish_slot": 1_000}))
    far = bench.put(Write(OracleKind.SWITCHBOARD_ON_DEMAND, {"value": 2 * 10**20, "std_dev": 0, "slot": 1_000}), "f")
    config = mock_oracle_config(OracleKind.PYTH_LEGACY, good, OracleKind.SWITCHBOARD_ON_DEMAND, far)
    out = select_price(config, params, 1_000, bench.raw(good), bench.raw(far))
    assert isinstance(out, Rejected) and isinstance(out.error, perp_errors.OracleDivergence)
    out = select_price(config, params, 1_000, bench.raw(good), None)  # the configured fallback left out
    assert isinstance(out, Rejected) and isinstance(out.error, perp_errors.OracleWrongAccount)
    assert out.primary_error is None and isinstance(out.fallback_error, perp_errors.OracleWrongAccount)
    out = select_price(config, params, 1_151, RawAccount(good, Pubkey.new_unique(), bench.raw(good).data), bench.raw(far))
    assert isinstance(out, Rejected) and isinstance(out.error, perp_errors.OracleWrongAccount)
