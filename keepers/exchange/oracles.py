"""Oracle prices as the perp program sees them: the Python mirror of ``programs/perp/oracle.c``.

Decodes the four layouts a market can name (Pyth legacy price accounts with ``pythclient``; Pyth
``PriceUpdateV2``, Switchboard V2 aggregators and Switchboard On-Demand feeds with the clients generated
from ``idl/``) to the same normalised reading as the program (price and confidence in quote per base
at 1e6, rounded down; publish slot; status) and applies the same validity ladder, check for check and in
the same order (see ``programs/perp/include/pk_oracle.h``). A differential test holds the two equal.
Errors are the perp program's own error classes from the generated ``errors`` module.
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass, replace
from enum import IntEnum

from anchorpy.error import AccountInvalidDiscriminator
from pythclient.pythaccounts import PythPriceAccount
from pythclient.solana import SolanaPublicKey
from solders.pubkey import Pubkey

from programs_client.perp.constants import BPS, PRICE_DECIMALS
from programs_client.perp.errors import custom as perp_errors
from programs_client.perp.types.market_params import MarketParams
from programs_client.perp.types.oracle_config import OracleConfig
from programs_client.pyth_receiver.accounts import PriceUpdateV2
from programs_client.pyth_receiver.types import verification_level
from programs_client.switchboard_on_demand.accounts import PullFeedAccountData
from programs_client.switchboard_on_demand.constants import PRECISION_DECIMALS as SWITCHBOARD_ON_DEMAND_DECIMALS
from programs_client.switchboard_v2.accounts import AggregatorAccountData

U64_MAX = (1 << 64) - 1
_POW10_MAX = 19  # 10^19 is the largest power of ten below 2^64
_I128_DIGITS = 39  # every non-negative i128 is below 10^39

STATUS_UNKNOWN = 0
STATUS_TRADING = 1
PYTH_STATUS_MAX = 4


class OracleKind(IntEnum):
    """The IDL's ``OracleKind`` enum (its Borsh tags)."""

    NONE = 0
    PYTH_LEGACY = 1
    PYTH_PULL_V2 = 2
    SWITCHBOARD_V2 = 3
    SWITCHBOARD_ON_DEMAND = 4


class Source(IntEnum):
    """Which configured source a selected price came from."""

    PRIMARY = 0
    FALLBACK = 1


# Real account sizes (the minimum the readers accept), with their sources in pk_oracle_layouts.h.
ACCOUNT_LEN: dict[OracleKind, int] = {
    OracleKind.PYTH_LEGACY: 3312,
    OracleKind.PYTH_PULL_V2: 134,
    OracleKind.SWITCHBOARD_V2: 3851,
    OracleKind.SWITCHBOARD_ON_DEMAND: 3208,
}
PYTH_MAGIC = 0xA1B2C3D4
PYTH_VERSION = 2
PYTH_TYPE_PRICE = 3
PYTH_HEADER_LEN = 240
PYTH_STATUS_OFFSET = 224
PYTH_EXPO_OFFSET = 20
# At or below -26 every u64 rounds to 0 at 1e6; at or above 14 every non-zero u64 overflows.
_PYTH_EXPO_RANGE = (-26, 14)
PULL_V2_VERIFICATION_OFFSET = 40


@dataclass(frozen=True)
class OraclePrice:
    """One normalised reading: quote per base at 1e6 (rounded down), its confidence, slot and status, and
    the unix time it was priced at where the layout says (PriceUpdateV2's publish_time; else None)."""

    price_1e6: int
    conf_1e6: int
    publish_slot: int
    status: int
    publish_time: int | None = None


@dataclass(frozen=True)
class RawAccount:
    """An account as a chain returns it."""

    address: Pubkey
    owner: Pubkey
    data: bytes


@dataclass(frozen=True)
class OracleSource:
    """One source a market names: account, owning program, feed id (Pyth pull only) and layout."""

    kind: OracleKind
    account: Pubkey
    program: Pubkey
    feed_id: bytes

    @classmethod
    def primary_of(cls, config: OracleConfig) -> OracleSource:
        """Return the market's primary source."""
        return cls(OracleKind(config.primary_kind.discriminator), config.primary, config.primary_program, bytes(config.primary_feed_id))

    @classmethod
    def fallback_of(cls, config: OracleConfig) -> OracleSource:
        """Return the market's fallback source (kind NONE when it has none)."""
        return cls(OracleKind(config.fallback_kind.discriminator), config.fallback, config.fallback_program, bytes(config.fallback_feed_id))


class OracleError(Exception):
    """A source failed a check; ``error`` is the perp program's error (``error.code`` its number)."""

    def __init__(self, error: perp_errors.CustomError) -> None:
        super().__init__(error.msg)
        self.error = error


@dataclass(frozen=True)
class Selected:
    """The ladder chose ``price`` from ``source``; each source's first failing check, None when valid."""

    price: OraclePrice
    source: Source
    primary_error: perp_errors.CustomError | None
    fallback_error: perp_errors.CustomError | None


@dataclass(frozen=True)
class Rejected:
    """No price: ``error`` is what the program returns."""

    error: perp_errors.CustomError
    primary_error: perp_errors.CustomError | None
    fallback_error: perp_errors.CustomError | None


# -- normalisation (integer only, as on chain) ------------------------------------------------------
def _fits(value: int) -> int:
    if value > U64_MAX:
        raise OracleError(perp_errors.OracleInvalidData())
    return value


def rescale_expo(value: int, expo: int) -> int:
    """Return floor(value * 10^(expo + 6)) for 0 <= value < 2^64; OracleInvalidData above 2^64 - 1."""
    k = expo + PRICE_DECIMALS
    if k < 0:
        return 0 if -k > _POW10_MAX else value // 10**-k
    if value == 0:
        return 0
    if k > _POW10_MAX:
        raise OracleError(perp_errors.OracleInvalidData())
    return _fits(value * 10**k)


def rescale_decimal(mantissa: int, scale: int) -> int:
    """Return floor(mantissa / 10^(scale - 6)) for a non-negative i128 mantissa; OracleInvalidData above 2^64 - 1."""
    if scale <= PRICE_DECIMALS:
        return _fits(mantissa * 10 ** (PRICE_DECIMALS - scale))
    n = scale - PRICE_DECIMALS
    return 0 if n >= _I128_DIGITS else _fits(mantissa // 10**n)


def _normalise_expo(price: int, conf: int, expo: int, slot: int, status: int) -> OraclePrice:
    if price <= 0:
        raise OracleError(perp_errors.OracleNonPositive())
    price_1e6 = rescale_expo(price, expo)
    if price_1e6 == 0:
        raise OracleError(perp_errors.OracleNonPositive())
    return OraclePrice(price_1e6, rescale_expo(conf, expo), slot, status)


def _normalise_decimal(value: int, value_scale: int, std_dev: int, std_dev_scale: int, slot: int, status: int) -> OraclePrice:
    if value <= 0:
        raise OracleError(perp_errors.OracleNonPositive())
    price_1e6 = rescale_decimal(value, value_scale)
    if price_1e6 == 0:
        raise OracleError(perp_errors.OracleNonPositive())
    if std_dev < 0:
        raise OracleError(perp_errors.OracleInvalidData())
    return OraclePrice(price_1e6, rescale_decimal(std_dev, std_dev_scale), slot, status)


# -- layouts ----------------------------------------------------------------------------------------
def _invalid() -> OracleError:
    return OracleError(perp_errors.OracleInvalidData())


PYTH_PRICE_TYPE_OFFSET = 16
PYTH_PRICE_TYPE_PRICE = 1


def _decode_pyth_legacy(data: bytes) -> OraclePrice:
    magic, version, type_, size = struct.unpack_from("<IIII", data, 0)
    (status,) = struct.unpack_from("<I", data, PYTH_STATUS_OFFSET)
    if (magic, version, type_) != (PYTH_MAGIC, PYTH_VERSION, PYTH_TYPE_PRICE) or not PYTH_HEADER_LEN <= size <= len(data):
        raise _invalid()
    if status > PYTH_STATUS_MAX:
        raise _invalid()
    # pythclient parses the header and aggregate; components are not read (the program ignores them).
    # It also computes float prices with 10**exponent, which never ends for a corrupted exponent near
    # 2^31; clamping changes no outcome of the integer normalisation (see _PYTH_EXPO_RANGE).
    header = bytearray(data[:PYTH_HEADER_LEN])
    (expo,) = struct.unpack_from("<i", header, PYTH_EXPO_OFFSET)
    struct.pack_into("<i", header, PYTH_EXPO_OFFSET, min(max(expo, _PYTH_EXPO_RANGE[0]), _PYTH_EXPO_RANGE[1]))
    # pythclient refuses price types outside its enum; the program does not read the field at all.
    struct.pack_into("<I", header, PYTH_PRICE_TYPE_OFFSET, PYTH_PRICE_TYPE_PRICE)
    account = PythPriceAccount(SolanaPublicKey(bytes(32)), None)  # type: ignore[arg-type]
    account.update_from(bytes(header), version=PYTH_VERSION, offset=16)
    agg = account.aggregate_price_info
    assert agg is not None and account.exponent is not None
    return _normalise_expo(agg.raw_price, agg.raw_confidence_interval, account.exponent, agg.pub_slot, agg.price_status.value)


def _decode_pull_v2(data: bytes, feed_id: bytes) -> OraclePrice:
    # Tag 0 (Partial) means fewer guardian signatures than a quorum were checked; others are garbage.
    if data[:8] != PriceUpdateV2.discriminator or data[PULL_V2_VERIFICATION_OFFSET] != verification_level.Full.discriminator:
        raise _invalid()
    update = PriceUpdateV2.decode(data)
    msg = update.price_message
    if bytes(msg.feed_id) != feed_id:
        raise _invalid()
    return replace(_normalise_expo(msg.price, msg.conf, msg.exponent, update.posted_slot, STATUS_TRADING),
                   publish_time=msg.publish_time)


def _decode_switchboard_v2(data: bytes) -> OraclePrice:
    try:
        agg = AggregatorAccountData.decode(data)
    except AccountInvalidDiscriminator:
        raise _invalid() from None
    round_ = agg.latest_confirmed_round
    status = STATUS_TRADING if round_.num_success >= agg.min_oracle_results else STATUS_UNKNOWN
    return _normalise_decimal(
        round_.result.mantissa, round_.result.scale, round_.std_deviation.mantissa, round_.std_deviation.scale,
        round_.round_open_slot, status,
    )


def _decode_switchboard_on_demand(data: bytes) -> OraclePrice:
    try:
        feed = PullFeedAccountData.decode(data)
    except AccountInvalidDiscriminator:
        raise _invalid() from None
    result = feed.result
    status = STATUS_TRADING if result.slot else STATUS_UNKNOWN
    d = SWITCHBOARD_ON_DEMAND_DECIMALS
    return _normalise_decimal(result.value, d, result.std_dev, d, result.slot, status)


@functools.lru_cache(maxsize=256)  # keepers re-read the same account bytes at every tick
def decode_oracle(kind: OracleKind, data: bytes, feed_id: bytes = bytes(32)) -> OraclePrice:
    """Decode account data of layout ``kind`` like ``pk_oracle_decode`` (no key or owner check).

    Raises OracleError: OracleInvalidData (size, magic, version, type, discriminator, verification
    level, feed id, Pyth status, overflow, negative deviation), OracleNonPositive, or OracleUnavailable
    for kind NONE.
    """
    if kind == OracleKind.NONE:
        raise OracleError(perp_errors.OracleUnavailable())
    if len(data) < ACCOUNT_LEN[kind]:
        raise _invalid()
    if kind == OracleKind.PYTH_LEGACY:
        return _decode_pyth_legacy(data)
    if kind == OracleKind.PYTH_PULL_V2:
        return _decode_pull_v2(data, feed_id)
    if kind == OracleKind.SWITCHBOARD_V2:
        return _decode_switchboard_v2(data)
    return _decode_switchboard_on_demand(data)


# -- the ladder -------------------------------------------------------------------------------------
def read_source(source: OracleSource, account: RawAccount | None) -> OraclePrice:
    """Check that ``account`` is the source's account, owned by its program, and decode it (``pk_oracle_read``)."""
    if account is None or account.address != source.account or account.owner != source.program:
        raise OracleError(perp_errors.OracleWrongAccount())
    return decode_oracle(source.kind, account.data, source.feed_id)


def check_price(price: OraclePrice, params: MarketParams, current_slot: int, now_ts: int | None = None) -> None:
    """Raise OracleError when a reading is not trading, stale or too uncertain (``pk_oracle_check``).

    A reading with a publish time (PriceUpdateV2) is also stale when it is more than
    ``oracle_max_staleness_slots`` seconds older than ``now_ts`` (the Clock's unix timestamp; None only
    where no clock is known, which skips that check)."""
    if price.status != STATUS_TRADING:
        raise OracleError(perp_errors.OracleUnavailable())
    if max(current_slot - price.publish_slot, 0) > params.oracle_max_staleness_slots:
        raise OracleError(perp_errors.OracleStale())
    if now_ts is not None and price.publish_time is not None and now_ts - price.publish_time > params.oracle_max_staleness_slots:
        raise OracleError(perp_errors.OracleStale())
    if price.conf_1e6 * BPS > params.oracle_max_confidence_bps * price.price_1e6:
        raise OracleError(perp_errors.OracleConfidenceTooWide())


def diverges(a: int, b: int, max_bps: int) -> bool:
    """Return True when |a - b| * 10000 > max_bps * min(a, b)."""
    return abs(a - b) * BPS > max_bps * min(a, b)


def _validate(source: OracleSource, account: RawAccount | None, params: MarketParams, current_slot: int,
              now_ts: int | None) -> OraclePrice | perp_errors.CustomError:
    if source.kind == OracleKind.NONE:
        return perp_errors.OracleUnavailable()
    try:
        price = read_source(source, account)
        check_price(price, params, current_slot, now_ts)
    except OracleError as e:
        return e.error
    return price


def select_price(
    config: OracleConfig,
    params: MarketParams,
    current_slot: int,
    primary: RawAccount | None,
    fallback: RawAccount | None = None,
    now_ts: int | None = None,
) -> Selected | Rejected:
    """Run the validity ladder of ``pk_oracle_select`` on the market's configured sources.

    A configured source whose account is not the one passed fails the whole selection
    (OracleWrongAccount). Then the primary wins when valid, unless a valid fallback
    diverges from it (OracleDivergence); an invalid primary falls back to a valid fallback; otherwise
    the primary's error is returned. ``now_ts``: the Clock's unix timestamp, for the age of a
    PriceUpdateV2's publish time (as ``pk_oracle_check``).
    """
    p = _validate(OracleSource.primary_of(config), primary, params, current_slot, now_ts)
    f = _validate(OracleSource.fallback_of(config), fallback, params, current_slot, now_ts)
    p_err = p if isinstance(p, perp_errors.CustomError) else None
    f_err = f if isinstance(f, perp_errors.CustomError) else None
    # An account other than the configured one fails the crank (the cranker must not pick the source);
    # a wrong owner at the configured address only invalidates that source.
    for source, account in ((OracleSource.primary_of(config), primary), (OracleSource.fallback_of(config), fallback)):
        if source.kind != OracleKind.NONE and (account is None or account.address != source.account):
            return Rejected(perp_errors.OracleWrongAccount(), p_err, f_err)
    if isinstance(p, OraclePrice):
        if isinstance(f, OraclePrice) and diverges(p.price_1e6, f.price_1e6, params.oracle_max_divergence_bps):
            return Rejected(perp_errors.OracleDivergence(), p_err, f_err)
        return Selected(p, Source.PRIMARY, p_err, f_err)
    if isinstance(f, OraclePrice):
        return Selected(f, Source.FALLBACK, p_err, f_err)
    assert p_err is not None
    return Rejected(p_err, p_err, f_err)


__all__ = [
    "ACCOUNT_LEN",
    "OracleError",
    "OracleKind",
    "OraclePrice",
    "OracleSource",
    "RawAccount",
    "Rejected",
    "Selected",
    "Source",
    "check_price",
    "decode_oracle",
    "diverges",
    "read_source",
    "rescale_decimal",
    "rescale_expo",
    "select_price",
]
