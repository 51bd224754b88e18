"""Markets: initialize_market, update_market_params, update_market_oracle, set_market_status.

Every rejection is checked with its IDL error and with the state left untouched. Parameter and
oracle variants are made with dataclasses.replace on the generated types.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import pytest
from solders.account import Account
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from spl.token.constants import TOKEN_PROGRAM_ID

from keepers.exchange import instructions as ix
from localnet.bootstrap import LocalExchange, default_market_params, oracle_config
from programs_client.perp import instructions as gen
from programs_client.perp.accounts import Market
from programs_client.perp.constants import BASE_PRECISION as BASE, PRICE_PRECISION as PRICE, QUOTE_PRECISION as QUOTE
from programs_client.perp.errors import custom
from programs_client.perp.types import market_status, oracle_kind
from programs_client.perp.types.market_params import MarketParams
from programs_client.perp.types.oracle_config import OracleConfig
from tests.program.tamper import with_account, with_data
from tests.program.helpers import (
    account_discriminator,
    account_len,
    borsh_size,
    enum_name,
    events,
    expect_error,
    field_offset,
    noncanonical_pda,
    params_as_dict,
    single_event,
)

MARKET_LEN = account_len("Market")
ORACLE_LEN = borsh_size({"defined": "OracleConfig"})
PARAMS_LEN = borsh_size({"defined": "MarketParams"})
STATUS_OFFSET = field_offset("Market", "status")
# initialize_market data offsets (discriminator, oracle, params, name, index)
IM_PRIMARY_KIND = 8 + 6 * 32
IM_NAME = 8 + ORACLE_LEN + PARAMS_LEN

P_KEY, P_PROG = Pubkey.new_unique(), Pubkey.new_unique()
F_KEY, F_PROG = Pubkey.new_unique(), Pubkey.new_unique()
FEED = list(range(1, 33))
BASE_ORACLE = oracle_config(P_KEY, P_PROG, oracle_kind.PythLegacy())
WITH_FALLBACK = dataclasses.replace(
    BASE_ORACLE, fallback=F_KEY, fallback_program=F_PROG, fallback_kind=oracle_kind.SwitchboardV2()
)
PULL = dataclasses.replace(BASE_ORACLE, primary_kind=oracle_kind.PythPullV2(), primary_feed_id=FEED)
DEFAULT = default_market_params()


def market_pda(index: int, program_id: Pubkey) -> tuple[Pubkey, int]:
    return Pubkey.find_program_address([b"market", index.to_bytes(2, "little")], program_id)


def rent(exchange: LocalExchange, size: int) -> int:
    return exchange.svm.svm.minimum_balance_for_rent_exemption(size)


def init_market_raw(
    exchange: LocalExchange,
    index: int,
    name: bytes,
    oracle: OracleConfig = BASE_ORACLE,
    params: MarketParams = DEFAULT,
    signer: Keypair | None = None,
) -> Instruction:
    """initialize_market with a raw 16-byte name (the keepers builder refuses bad names)."""
    signer = signer or exchange.admin
    return gen.initialize_market(
        {
            "oracle": oracle,
            "params": params,
            "name": list(name.ljust(16, b"\0")),
            "market_index": index,
        },
        {
            "admin": signer.pubkey(),
            "exchange": exchange.address,
            "market": market_pda(index, exchange.program_id)[0],
            "orderbook": Pubkey.find_program_address(
                [b"orderbook", index.to_bytes(2, "little")], exchange.program_id
            )[0],
            "event_queue": Pubkey.find_program_address(
                [b"event_queue", index.to_bytes(2, "little")], exchange.program_id
            )[0],
        },
        exchange.program_id,
    )


def market_bytes(exchange: LocalExchange, index: int) -> bytes:
    acc = exchange.svm.account(exchange.market_address(index))
    assert acc is not None
    return bytes(acc.data)


def oracle_json(o: Any) -> dict:
    j = o.to_json()
    return {k: (list(v) if isinstance(v, list) else v) for k, v in j.items()}


def copy_to(
    exchange: LocalExchange, source: Pubkey, *, owner: Pubkey | None = None, extra: bytes = b""
) -> Pubkey:
    acc = exchange.svm.account(source)
    assert acc is not None
    new = Pubkey.new_unique()
    data = bytes(acc.data) + extra
    exchange.svm.set_account(
        new,
        Account(max(acc.lamports, rent(exchange, len(data))), data, owner or acc.owner, False, 0),
    )
    return new


# ------------------------------------------------------------------------------------------------
# initialize_market: happy paths


def test_initialize_market(exchange: LocalExchange) -> None:
    svm, admin = exchange.svm, exchange.admin
    pid = exchange.program_id
    oracle = dataclasses.replace(
        PULL,
        fallback=F_KEY,
        fallback_program=F_PROG,
        fallback_kind=oracle_kind.SwitchboardOnDemand(),
    )
    params = default_market_params(
        taker_fee_bps=7, maker_rebate_bps=3, max_open_interest=5_000 * BASE
    )
    before = exchange.state()
    admin_before = svm.svm.get_balance(admin.pubkey())

    out = svm.send_ok(
        [ix.initialize_market(admin.pubkey(), 0, "SOL-PERP", oracle, params)], [admin]
    )

    addr, bump = market_pda(0, pid)
    acc = svm.account(addr)
    assert acc is not None and acc.owner == pid
    assert len(acc.data) == MARKET_LEN
    assert bytes(acc.data)[:8] == account_discriminator("Market")
    assert acc.lamports == rent(exchange, MARKET_LEN)
    book_len, queue_len = account_len("Orderbook"), account_len("EventQueue")
    for seed, name, size in ((b"orderbook", "Orderbook", book_len), (b"event_queue", "EventQueue", queue_len)):
        child = svm.account(Pubkey.find_program_address([seed, (0).to_bytes(2, "little")], pid)[0])
        assert child is not None and child.owner == pid and len(child.data) == size
        assert bytes(child.data)[:8] == account_discriminator(name)
        assert bytes(child.data)[8:40] == bytes(addr)  # the market it belongs to
        assert not any(bytes(child.data)[40:])  # empty book, empty queue
    rents = rent(exchange, MARKET_LEN) + rent(exchange, book_len) + rent(exchange, queue_len)
    assert admin_before - svm.svm.get_balance(admin.pubkey()) == rents  # admin paid the rents

    m = svm.decode(Market, addr)
    assert oracle_json(m.oracle) == oracle_json(oracle)
    assert params_as_dict(m.params) == params_as_dict(params)
    assert bytes(m.name) == b"SOL-PERP" + bytes(8)
    assert ix.decode_market_name(m.name) == "SOL-PERP"
    assert m.open_interest_long == 0
    assert m.open_interest_short == 0
    assert m.market_index == 0
    assert enum_name(m.status) == "Active"
    assert m.bump == bump
    assert not any(m.padding)
    assert m.orderbook == Pubkey.find_program_address([b"orderbook", bytes(2)], pid)[0]
    assert m.event_queue == Pubkey.find_program_address([b"event_queue", bytes(2)], pid)[0]
    assert (m.index_price, m.mark_price, m.open_interest_long, m.fee_pool, m.pnl_pool) == (0, 0, 0, 0, 0)
    assert m.next_order_id == 1

    after = exchange.state()
    assert after.market_count == 1
    assert dataclasses.replace(after, market_count=0) == before

    ev = single_event(out, "MarketParamsUpdated")
    assert ev.market == addr
    assert params_as_dict(ev.params) == params_as_dict(params)
    assert ev.market_index == 0


def test_market_count_increments_and_each_market_has_its_own_pda(exchange: LocalExchange) -> None:
    svm, admin = exchange.svm, exchange.admin
    names = ["SOL-PERP", "ETH-PERP", "BTC-PERP"]
    for i, name in enumerate(names):
        assert exchange.state().market_count == i
        out = svm.send_ok(
            [
                ix.initialize_market(
                    admin.pubkey(),
                    i,
                    name,
                    BASE_ORACLE,
                    default_market_params(tick_size=PRICE // 100 * (i + 1)),
                )
            ],
            [admin],
        )
        assert single_event(out, "MarketParamsUpdated").market_index == i
    assert exchange.state().market_count == 3
    for i, name in enumerate(names):
        addr, bump = market_pda(i, exchange.program_id)
        m = svm.decode(Market, addr)
        assert (m.market_index, m.bump, ix.decode_market_name(m.name)) == (i, bump, name)
        assert m.params.tick_size == PRICE // 100 * (i + 1)
    assert len({market_pda(i, exchange.program_id)[0] for i in range(3)}) == 3


@pytest.mark.parametrize(
    "name", [b"A", b"!", b"~", b"ABCDEFGHIJKLMNO~", b"0123456789abcdef", b"x/y_z[1]{2}|@#$%"]
)
def test_initialize_market_accepts_printable_names(exchange: LocalExchange, name: bytes) -> None:
    exchange.svm.send_ok([init_market_raw(exchange, 0, name)], [exchange.admin])
    m = exchange.svm.decode(Market, exchange.market_address(0))
    assert bytes(m.name) == name.ljust(16, b"\0")


@pytest.mark.parametrize(
    "oracle",
    [
        BASE_ORACLE,
        WITH_FALLBACK,
        PULL,
        dataclasses.replace(
            PULL,
            primary_kind=oracle_kind.PythPullV2(),
            fallback=F_KEY,
            fallback_program=F_PROG,
            fallback_kind=oracle_kind.PythPullV2(),
            fallback_feed_id=[9] * 32,
        ),
        dataclasses.replace(BASE_ORACLE, primary_kind=oracle_kind.SwitchboardV2()),
        dataclasses.replace(
            BASE_ORACLE,
            primary_kind=oracle_kind.SwitchboardOnDemand(),
            fallback=F_KEY,
            fallback_program=F_PROG,
            fallback_kind=oracle_kind.PythLegacy(),
        ),
    ],
    ids=["legacy", "legacy+switchboard", "pull", "pull+pull", "switchboard", "ondemand+legacy"],
)
def test_initialize_market_accepts_valid_oracles(
    exchange: LocalExchange, oracle: OracleConfig
) -> None:
    exchange.svm.send_ok(
        [ix.initialize_market(exchange.admin.pubkey(), 0, "SOL-PERP", oracle, DEFAULT)],
        [exchange.admin],
    )
    assert oracle_json(
        exchange.svm.decode(Market, exchange.market_address(0)).oracle
    ) == oracle_json(oracle)


# ------------------------------------------------------------------------------------------------
# Parameters: one field out of range at a time, at creation and on update

BAD_PARAMS = [
    ("zero_tick", dict(tick_size=0)),
    ("zero_lot", dict(lot_size=0)),
    ("min_order_not_lot_multiple", dict(min_order_size=DEFAULT.lot_size * 10 + 1)),
    ("min_order_half_lot", dict(min_order_size=DEFAULT.lot_size // 2)),
    ("min_order_zero", dict(min_order_size=0)),
    ("initial_equals_maintenance", dict(initial_margin_bps=DEFAULT.maintenance_margin_bps)),
    ("initial_below_maintenance", dict(initial_margin_bps=DEFAULT.maintenance_margin_bps - 1)),
    ("initial_above_100pct", dict(initial_margin_bps=10_001)),
    ("initial_max_u16", dict(initial_margin_bps=0xFFFF)),
    ("maintenance_zero", dict(maintenance_margin_bps=0, liquidation_fee_bps=0)),
    (
        "liquidation_fee_equals_maintenance",
        dict(liquidation_fee_bps=DEFAULT.maintenance_margin_bps),
    ),
    (
        "liquidation_fee_above_maintenance",
        dict(liquidation_fee_bps=DEFAULT.maintenance_margin_bps + 1),
    ),
    ("insurance_share_above_100pct", dict(insurance_share_bps=10_001)),
    ("maker_rebate_above_taker_fee", dict(maker_rebate_bps=DEFAULT.taker_fee_bps + 1)),
    ("taker_fee_above_10pct", dict(taker_fee_bps=1_001)),
    ("funding_period_zero", dict(funding_period_secs=0)),
    ("staleness_zero", dict(oracle_max_staleness_slots=0)),
    ("confidence_zero", dict(oracle_max_confidence_bps=0)),
    ("divergence_zero", dict(oracle_max_divergence_bps=0)),
    ("funding_clamp_zero", dict(max_funding_rate_bps=0)),
    ("min_order_notional_zero", dict(min_order_notional=0)),
    ("min_order_notional_above_order_cap", dict(min_order_notional=2**52 + 1)),
    ("max_orders_per_user_zero", dict(max_orders_per_user=0)),
    ("max_orders_per_user_above_both_sides", dict(max_orders_per_user=129)),
    ("delegate_band_above_5pct", dict(delegate_price_band_bps=501)),
    ("trigger_fee_above_10_quote", dict(trigger_fee_quote=10 * QUOTE + 1)),
    ("padding_first_byte", dict(padding=[1, 0, 0])),
    ("padding_last_byte", dict(padding=[0, 0, 0x80])),
]

GOOD_PARAMS = [
    ("initial_100pct", dict(initial_margin_bps=10_000)),
    ("maintenance_just_below_initial", dict(maintenance_margin_bps=DEFAULT.initial_margin_bps - 1)),
    ("liquidation_fee_zero", dict(liquidation_fee_bps=0)),
    (
        "liquidation_fee_just_below_maintenance",
        dict(liquidation_fee_bps=DEFAULT.maintenance_margin_bps - 1),
    ),
    ("insurance_share_100pct", dict(insurance_share_bps=10_000)),
    ("insurance_share_zero", dict(insurance_share_bps=0)),
    ("taker_fee_10pct_maker_equal", dict(taker_fee_bps=1_000, maker_rebate_bps=1_000)),
    ("no_fees", dict(taker_fee_bps=0, maker_rebate_bps=0)),
    ("min_order_one_lot", dict(min_order_size=DEFAULT.lot_size)),
    ("tick_and_lot_one", dict(tick_size=1, lot_size=1, min_order_size=1)),
    ("min_order_notional_one_unit", dict(min_order_notional=1)),
    ("min_order_notional_at_order_cap", dict(min_order_notional=2**52)),
    ("one_order_per_user", dict(max_orders_per_user=1)),
    ("orders_per_user_both_sides", dict(max_orders_per_user=128)),
    ("delegate_band_zero", dict(delegate_price_band_bps=0)),
    ("delegate_band_5pct", dict(delegate_price_band_bps=500)),
    ("trigger_fee_zero", dict(trigger_fee_quote=0)),
    ("trigger_fee_10_quote", dict(trigger_fee_quote=10 * QUOTE)),
]


def _create_with(exchange: LocalExchange, params: MarketParams) -> Any:
    return exchange.svm.send(
        [ix.initialize_market(exchange.admin.pubkey(), 0, "SOL-PERP", BASE_ORACLE, params)],
        [exchange.admin],
    )


@pytest.mark.parametrize("overrides", [o for _, o in BAD_PARAMS], ids=[n for n, _ in BAD_PARAMS])
def test_initialize_market_rejects_bad_params(exchange: LocalExchange, overrides: dict) -> None:
    expect_error(
        _create_with(exchange, dataclasses.replace(DEFAULT, **overrides)),
        custom.InvalidMarketParams,
    )
    assert exchange.svm.account(exchange.market_address(0)) is None
    assert exchange.state().market_count == 0


@pytest.mark.parametrize("overrides", [o for _, o in BAD_PARAMS], ids=[n for n, _ in BAD_PARAMS])
def test_update_market_params_rejects_bad_params(exchange: LocalExchange, overrides: dict) -> None:
    idx = exchange.add_market("SOL-PERP")
    before = market_bytes(exchange, idx)
    out = exchange.svm.send(
        [
            ix.update_market_params(
                exchange.admin.pubkey(), idx, dataclasses.replace(DEFAULT, **overrides)
            )
        ],
        [exchange.admin],
    )
    expect_error(out, custom.InvalidMarketParams)
    assert market_bytes(exchange, idx) == before


@pytest.mark.parametrize("overrides", [o for _, o in GOOD_PARAMS], ids=[n for n, _ in GOOD_PARAMS])
def test_boundary_params_are_accepted(exchange: LocalExchange, overrides: dict) -> None:
    params = dataclasses.replace(DEFAULT, **overrides)
    out = _create_with(exchange, params)
    assert out.ok, out.logs
    assert params_as_dict(
        exchange.svm.decode(Market, exchange.market_address(0)).params
    ) == params_as_dict(params)
    # and on update: set the default, then the boundary value again
    svm, a = exchange.svm, exchange.admin
    svm.send_ok([ix.update_market_params(a.pubkey(), 0, DEFAULT)], [a])
    svm.send_ok([ix.update_market_params(a.pubkey(), 0, params)], [a])
    assert params_as_dict(svm.decode(Market, exchange.market_address(0)).params) == params_as_dict(
        params
    )


# ------------------------------------------------------------------------------------------------
# Oracle configuration

BAD_ORACLES = [
    ("primary_kind_none", dataclasses.replace(BASE_ORACLE, primary_kind=oracle_kind.None_())),
    ("primary_key_zero", dataclasses.replace(BASE_ORACLE, primary=Pubkey.default())),
    ("primary_program_zero", dataclasses.replace(BASE_ORACLE, primary_program=Pubkey.default())),
    ("fallback_equals_primary", dataclasses.replace(WITH_FALLBACK, fallback=P_KEY)),
    ("fallback_none_with_key", dataclasses.replace(BASE_ORACLE, fallback=F_KEY)),
    ("fallback_none_with_program", dataclasses.replace(BASE_ORACLE, fallback_program=F_PROG)),
    ("fallback_none_with_feed_id", dataclasses.replace(BASE_ORACLE, fallback_feed_id=[5] * 32)),
    ("fallback_key_zero", dataclasses.replace(WITH_FALLBACK, fallback=Pubkey.default())),
    (
        "fallback_program_zero",
        dataclasses.replace(WITH_FALLBACK, fallback_program=Pubkey.default()),
    ),
    ("legacy_with_feed_id", dataclasses.replace(BASE_ORACLE, primary_feed_id=[1] + [0] * 31)),
    (
        "switchboard_with_feed_id",
        dataclasses.replace(
            BASE_ORACLE, primary_kind=oracle_kind.SwitchboardV2(), primary_feed_id=[0] * 31 + [1]
        ),
    ),
    (
        "pull_without_feed_id",
        dataclasses.replace(BASE_ORACLE, primary_kind=oracle_kind.PythPullV2()),
    ),
    (
        "fallback_pull_without_feed_id",
        dataclasses.replace(WITH_FALLBACK, fallback_kind=oracle_kind.PythPullV2()),
    ),
    (
        "fallback_legacy_with_feed_id",
        dataclasses.replace(
            WITH_FALLBACK, fallback_kind=oracle_kind.PythLegacy(), fallback_feed_id=FEED
        ),
    ),
    ("padding_nonzero", dataclasses.replace(BASE_ORACLE, padding=[0, 0, 1, 0, 0, 0])),
]


@pytest.mark.parametrize("oracle", [o for _, o in BAD_ORACLES], ids=[n for n, _ in BAD_ORACLES])
def test_initialize_market_rejects_bad_oracle(
    exchange: LocalExchange, oracle: OracleConfig
) -> None:
    out = exchange.svm.send(
        [ix.initialize_market(exchange.admin.pubkey(), 0, "SOL-PERP", oracle, DEFAULT)],
        [exchange.admin],
    )
    expect_error(out, custom.InvalidOracleConfig)
    assert exchange.svm.account(exchange.market_address(0)) is None
    assert exchange.state().market_count == 0


@pytest.mark.parametrize("oracle", [o for _, o in BAD_ORACLES], ids=[n for n, _ in BAD_ORACLES])
def test_update_market_oracle_rejects_bad_oracle(
    exchange: LocalExchange, oracle: OracleConfig
) -> None:
    idx = exchange.add_market("SOL-PERP", oracle=BASE_ORACLE)
    before = market_bytes(exchange, idx)
    out = exchange.svm.send(
        [ix.update_market_oracle(exchange.admin.pubkey(), idx, oracle)], [exchange.admin]
    )
    expect_error(out, custom.InvalidOracleConfig)
    assert market_bytes(exchange, idx) == before


@pytest.mark.parametrize(
    "offset", [IM_PRIMARY_KIND, IM_PRIMARY_KIND + 1], ids=["primary_kind", "fallback_kind"]
)
@pytest.mark.parametrize("tag", [5, 0xFF])
def test_initialize_market_rejects_out_of_range_oracle_kind(
    exchange: LocalExchange, offset: int, tag: int
) -> None:
    i = ix.initialize_market(exchange.admin.pubkey(), 0, "SOL-PERP", WITH_FALLBACK, DEFAULT)
    data = bytearray(i.data)
    assert data[offset] in (
        oracle_kind.PythLegacy.discriminator,
        oracle_kind.SwitchboardV2.discriminator,
    )
    data[offset] = tag
    out = exchange.svm.send([with_data(i, bytes(data))], [exchange.admin])
    # An enum tag outside the IDL's variants is bad data; either error names it correctly.
    assert not out.ok
    assert out.custom_code in (
        custom.InvalidOracleConfig.code,
        custom.InvalidInstructionData.code,
    ), out.error_name
    assert exchange.svm.account(exchange.market_address(0)) is None


# ------------------------------------------------------------------------------------------------
# Names

BAD_NAMES = [
    ("empty", b""),
    ("leading_zero", b"\0SOL-PERP"),
    ("garbage_after_padding", b"SOL\0X"),
    ("last_byte_after_padding", b"SOL-PERP" + bytes(7) + b"X"),
    ("inner_space", b"SOL PERP"),
    ("leading_space", b" SOL"),
    ("trailing_space", b"SOL "),
    ("control_0x01", b"SOL\x01"),
    ("tab", b"SOL\tPERP"),
    ("newline", b"SOL\n"),
    ("del_0x7f", b"SOL\x7f"),
    ("high_0x80", b"SOL\x80"),
    ("high_0xff", b"\xff" * 16),
    ("utf8_multibyte", "SOL-PERPé".encode()),
]


@pytest.mark.parametrize("name", [n for _, n in BAD_NAMES], ids=[i for i, _ in BAD_NAMES])
def test_initialize_market_rejects_bad_names(exchange: LocalExchange, name: bytes) -> None:
    expect_error(
        exchange.svm.send([init_market_raw(exchange, 0, name)], [exchange.admin]),
        custom.InvalidMarketName,
    )
    assert exchange.svm.account(exchange.market_address(0)) is None
    assert exchange.state().market_count == 0


# ------------------------------------------------------------------------------------------------
# Index, PDA and account checks of initialize_market


@pytest.mark.parametrize("index", [1, 2, 0xFFFF])
def test_initialize_market_rejects_index_ahead_of_count(
    exchange: LocalExchange, index: int
) -> None:
    i = ix.initialize_market(exchange.admin.pubkey(), index, "SOL-PERP", BASE_ORACLE, DEFAULT)
    expect_error(exchange.svm.send([i], [exchange.admin]), custom.InvalidMarketIndex)
    assert exchange.state().market_count == 0
    assert exchange.svm.account(market_pda(index, exchange.program_id)[0]) is None


def test_initialize_market_rejects_existing_index(exchange: LocalExchange) -> None:
    exchange.add_market("SOL-PERP")
    exchange.add_market("ETH-PERP")
    before = market_bytes(exchange, 0)
    for index in (0, 1):
        i = ix.initialize_market(exchange.admin.pubkey(), index, "XXX-PERP", BASE_ORACLE, DEFAULT)
        expect_error(exchange.svm.send([i], [exchange.admin]), custom.InvalidMarketIndex)
    assert market_bytes(exchange, 0) == before
    assert exchange.state().market_count == 2


def _wrong_market_address(exchange: LocalExchange, kind: str) -> Pubkey:
    pid = exchange.program_id
    if kind == "random":
        return Pubkey.new_unique()
    if kind == "other_index":
        return market_pda(1, pid)[0]
    if kind == "noncanonical":
        return noncanonical_pda([b"market", (0).to_bytes(2, "little")], pid)[0]
    if kind == "index_as_u8":
        return Pubkey.find_program_address([b"market", b"\x00"], pid)[0]
    if kind == "index_as_u32":
        return Pubkey.find_program_address([b"market", (0).to_bytes(4, "little")], pid)[0]
    if kind == "no_index":
        return Pubkey.find_program_address([b"market"], pid)[0]
    if kind == "other_program":
        return market_pda(0, Pubkey.new_unique())[0]
    if kind == "exchange":
        return exchange.address
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    [
        "random",
        "other_index",
        "noncanonical",
        "index_as_u8",
        "index_as_u32",
        "no_index",
        "other_program",
        "exchange",
    ],
)
def test_initialize_market_rejects_wrong_pda(exchange: LocalExchange, kind: str) -> None:
    bad = _wrong_market_address(exchange, kind)
    i = with_account(
        ix.initialize_market(exchange.admin.pubkey(), 0, "SOL-PERP", BASE_ORACLE, DEFAULT), 2, bad
    )
    expect_error(exchange.svm.send([i], [exchange.admin]), custom.InvalidPda)
    assert exchange.state().market_count == 0
    if kind != "exchange":
        assert exchange.svm.account(bad) is None


def test_initialize_market_pda_uses_little_endian_index(exchange: LocalExchange) -> None:
    exchange.add_market("SOL-PERP")
    big_endian = Pubkey.find_program_address(
        [b"market", (1).to_bytes(2, "big")], exchange.program_id
    )[0]
    i = with_account(
        ix.initialize_market(exchange.admin.pubkey(), 1, "ETH-PERP", BASE_ORACLE, DEFAULT),
        2,
        big_endian,
    )
    expect_error(exchange.svm.send([i], [exchange.admin]), custom.InvalidPda)
    exchange.svm.send_ok(
        [ix.initialize_market(exchange.admin.pubkey(), 1, "ETH-PERP", BASE_ORACLE, DEFAULT)],
        [exchange.admin],
    )
    assert exchange.svm.decode(Market, market_pda(1, exchange.program_id)[0]).market_index == 1


@pytest.mark.parametrize("owner", ["other_program", "system_with_data", "token_program"])
def test_initialize_market_rejects_address_already_holding_an_account(
    exchange: LocalExchange, owner: str
) -> None:
    addr = exchange.market_address(0)
    prog = {
        "other_program": Pubkey.new_unique(),
        "system_with_data": SYSTEM_PROGRAM_ID,
        "token_program": TOKEN_PROGRAM_ID,
    }[owner]
    data = b"" if owner == "other_program" else bytes(10)
    exchange.svm.set_account(addr, Account(rent(exchange, len(data)), data, prog, False, 0))
    i = ix.initialize_market(exchange.admin.pubkey(), 0, "SOL-PERP", BASE_ORACLE, DEFAULT)
    expect_error(exchange.svm.send([i], [exchange.admin]), custom.AccountAlreadyInitialized)
    assert exchange.state().market_count == 0
    assert exchange.svm.account(addr).owner == prog


@pytest.mark.parametrize("prefund", ["below_rent", "above_rent"])
def test_initialize_market_succeeds_on_prefunded_address(
    exchange: LocalExchange, prefund: str
) -> None:
    addr = exchange.market_address(0)
    lamports = 1 if prefund == "below_rent" else rent(exchange, MARKET_LEN) + 12_345
    exchange.svm.set_account(addr, Account(lamports, b"", SYSTEM_PROGRAM_ID, False, 0))
    exchange.svm.send_ok(
        [ix.initialize_market(exchange.admin.pubkey(), 0, "SOL-PERP", BASE_ORACLE, DEFAULT)],
        [exchange.admin],
    )
    acc = exchange.svm.account(addr)
    assert acc.owner == exchange.program_id and len(acc.data) == MARKET_LEN
    assert acc.lamports == max(lamports, rent(exchange, MARKET_LEN))
    assert exchange.svm.decode(Market, addr).market_index == 0
    assert exchange.state().market_count == 1


def test_initialize_market_not_admin(exchange: LocalExchange) -> None:
    intruder = exchange.svm.funded_keypair(5)
    i = ix.initialize_market(intruder.pubkey(), 0, "SOL-PERP", BASE_ORACLE, DEFAULT)
    expect_error(exchange.svm.send([i], [intruder]), custom.Unauthorized)
    assert exchange.state().market_count == 0
    assert exchange.svm.account(exchange.market_address(0)) is None


def test_initialize_market_requires_admin_signature(exchange: LocalExchange) -> None:
    i = with_account(
        ix.initialize_market(exchange.admin.pubkey(), 0, "SOL-PERP", BASE_ORACLE, DEFAULT),
        0,
        is_signer=False,
    )
    expect_error(exchange.svm.send([i]), custom.MissingSigner)


@pytest.mark.parametrize("index", [0, 1, 2])
def test_initialize_market_requires_writable_accounts(exchange: LocalExchange, index: int) -> None:
    i = with_account(
        ix.initialize_market(exchange.admin.pubkey(), 0, "SOL-PERP", BASE_ORACLE, DEFAULT),
        index,
        is_writable=False,
    )
    expect_error(exchange.svm.send([i], [exchange.admin]), custom.AccountNotWritable)


@pytest.mark.parametrize(
    "replacement",
    [TOKEN_PROGRAM_ID, Pubkey.from_string("11111111111111111111111111111112")],
    ids=["token", "random"],
)
def test_initialize_market_rejects_wrong_system_program(
    exchange: LocalExchange, replacement: Pubkey
) -> None:
    i = with_account(
        ix.initialize_market(exchange.admin.pubkey(), 0, "SOL-PERP", BASE_ORACLE, DEFAULT),
        5,  # systemProgram
        replacement,
    )
    expect_error(exchange.svm.send([i], [exchange.admin]), custom.InvalidProgramId)


def test_initialize_market_exchange_owned_by_another_program(exchange: LocalExchange) -> None:
    fake = copy_to(exchange, exchange.address, owner=Pubkey.new_unique())
    i = with_account(
        ix.initialize_market(exchange.admin.pubkey(), 0, "SOL-PERP", BASE_ORACLE, DEFAULT), 1, fake
    )
    expect_error(exchange.svm.send([i], [exchange.admin]), custom.InvalidAccountOwner)


def test_initialize_market_user_as_exchange(exchange: LocalExchange) -> None:
    user = exchange.add_user(tokens=0, keypair=exchange.admin)
    i = with_account(
        ix.initialize_market(exchange.admin.pubkey(), 0, "SOL-PERP", BASE_ORACLE, DEFAULT),
        1,
        user.address,
    )
    expect_error(exchange.svm.send([i], [exchange.admin]), custom.InvalidDiscriminator)


# ------------------------------------------------------------------------------------------------
# update_market_params / update_market_oracle


def test_update_market_params(exchange: LocalExchange) -> None:
    svm, admin = exchange.svm, exchange.admin
    exchange.add_market("SOL-PERP")
    idx = exchange.add_market("ETH-PERP", oracle=WITH_FALLBACK)
    other_before = market_bytes(exchange, 0)
    before = svm.decode(Market, exchange.market_address(idx))
    new = MarketParams(
        tick_size=5_000,
        lot_size=2_000_000,
        min_order_size=20_000_000,
        max_open_interest=77 * BASE,
        funding_period_secs=1_800,
        oracle_max_staleness_slots=25,
        initial_margin_bps=2_000,
        maintenance_margin_bps=1_000,
        liquidation_fee_bps=400,
        insurance_share_bps=2_500,
        taker_fee_bps=30,
        maker_rebate_bps=5,
        oracle_max_confidence_bps=150,
        oracle_max_divergence_bps=300,
        max_funding_rate_bps=50,
        min_order_notional=3 * QUOTE,
        trigger_fee_quote=7 * QUOTE // 100,
        delegate_price_band_bps=25,
        max_orders_per_user=10,
        padding=[0] * 3,
    )
    assert all(
        getattr(new, f) != getattr(DEFAULT, f) for f in params_as_dict(new) if f != "padding"
    )
    out = svm.send_ok([ix.update_market_params(admin.pubkey(), idx, new)], [admin])
    after = svm.decode(Market, exchange.market_address(idx))
    assert params_as_dict(after.params) == params_as_dict(new)
    assert oracle_json(after.oracle) == oracle_json(before.oracle)
    assert bytes(after.name) == bytes(before.name)
    assert (after.open_interest_long, after.open_interest_short) == (0, 0)
    assert (after.market_index, enum_name(after.status), after.bump) == (idx, "Active", before.bump)
    assert market_bytes(exchange, 0) == other_before
    ev = single_event(out, "MarketParamsUpdated")
    assert ev.market == exchange.market_address(idx)
    assert ev.market_index == idx
    assert params_as_dict(ev.params) == params_as_dict(new)
    assert exchange.state().market_count == 2


def test_update_market_oracle(exchange: LocalExchange) -> None:
    svm, admin = exchange.svm, exchange.admin
    idx = exchange.add_market("SOL-PERP", oracle=BASE_ORACLE)
    before = svm.decode(Market, exchange.market_address(idx))
    new = dataclasses.replace(
        PULL,
        fallback=F_KEY,
        fallback_program=F_PROG,
        fallback_kind=oracle_kind.SwitchboardOnDemand(),
    )
    out = svm.send_ok([ix.update_market_oracle(admin.pubkey(), idx, new)], [admin])
    after = svm.decode(Market, exchange.market_address(idx))
    assert oracle_json(after.oracle) == oracle_json(new)
    assert params_as_dict(after.params) == params_as_dict(before.params)
    assert bytes(after.name) == bytes(before.name)
    assert (after.market_index, enum_name(after.status), after.bump) == (
        before.market_index,
        "Active",
        before.bump,
    )
    assert events(out) == []
    # and back to a config without fallback: the fallback is cleared
    svm.send_ok([ix.update_market_oracle(admin.pubkey(), idx, BASE_ORACLE)], [admin])
    assert oracle_json(svm.decode(Market, exchange.market_address(idx)).oracle) == oracle_json(
        BASE_ORACLE
    )


AdminMarketIx = Callable[[Pubkey, int], Instruction]
ADMIN_MARKET_IXS: list[tuple[str, AdminMarketIx]] = [
    (
        "update_market_params",
        lambda a, i: ix.update_market_params(a, i, default_market_params(taker_fee_bps=50)),
    ),
    ("update_market_oracle", lambda a, i: ix.update_market_oracle(a, i, WITH_FALLBACK)),
    ("set_market_status", lambda a, i: ix.set_market_status(a, i, market_status.ReduceOnly())),
]
ADMIN_MARKET_IDS = [n for n, _ in ADMIN_MARKET_IXS]
ADMIN_MARKET_BUILDERS = [b for _, b in ADMIN_MARKET_IXS]


@pytest.mark.parametrize("build", ADMIN_MARKET_BUILDERS, ids=ADMIN_MARKET_IDS)
def test_admin_market_ix_not_admin(exchange: LocalExchange, build: AdminMarketIx) -> None:
    idx = exchange.add_market("SOL-PERP")
    before = market_bytes(exchange, idx)
    intruder = exchange.svm.funded_keypair(1)
    expect_error(
        exchange.svm.send([build(intruder.pubkey(), idx)], [intruder]), custom.Unauthorized
    )
    assert market_bytes(exchange, idx) == before


@pytest.mark.parametrize("build", ADMIN_MARKET_BUILDERS, ids=ADMIN_MARKET_IDS)
def test_admin_market_ix_requires_signature(exchange: LocalExchange, build: AdminMarketIx) -> None:
    idx = exchange.add_market("SOL-PERP")
    before = market_bytes(exchange, idx)
    i = with_account(build(exchange.admin.pubkey(), idx), 0, is_signer=False)
    expect_error(exchange.svm.send([i]), custom.MissingSigner)
    assert market_bytes(exchange, idx) == before


@pytest.mark.parametrize("build", ADMIN_MARKET_BUILDERS, ids=ADMIN_MARKET_IDS)
def test_admin_market_ix_requires_writable_market(
    exchange: LocalExchange, build: AdminMarketIx
) -> None:
    idx = exchange.add_market("SOL-PERP")
    i = with_account(build(exchange.admin.pubkey(), idx), 2, is_writable=False)
    expect_error(exchange.svm.send([i], [exchange.admin]), custom.AccountNotWritable)


@pytest.mark.parametrize("build", ADMIN_MARKET_BUILDERS, ids=ADMIN_MARKET_IDS)
def test_admin_market_ix_market_owned_by_another_program(
    exchange: LocalExchange, build: AdminMarketIx
) -> None:
    idx = exchange.add_market("SOL-PERP")
    fake = copy_to(exchange, exchange.market_address(idx), owner=Pubkey.new_unique())
    before = bytes(exchange.svm.account(fake).data)
    i = with_account(build(exchange.admin.pubkey(), idx), 2, fake)
    expect_error(exchange.svm.send([i], [exchange.admin]), custom.InvalidAccountOwner)
    assert bytes(exchange.svm.account(fake).data) == before


@pytest.mark.parametrize("build", ADMIN_MARKET_BUILDERS, ids=ADMIN_MARKET_IDS)
def test_admin_market_ix_missing_market(exchange: LocalExchange, build: AdminMarketIx) -> None:
    # market 3 was never created: its address is an empty System account
    exchange.add_market("SOL-PERP")
    expect_error(
        exchange.svm.send([build(exchange.admin.pubkey(), 3)], [exchange.admin]),
        custom.InvalidAccountOwner,
    )


@pytest.mark.parametrize("wrong", ["user", "exchange"])
@pytest.mark.parametrize("build", ADMIN_MARKET_BUILDERS, ids=ADMIN_MARKET_IDS)
def test_admin_market_ix_other_account_as_market(
    exchange: LocalExchange, build: AdminMarketIx, wrong: str
) -> None:
    idx = exchange.add_market("SOL-PERP")
    user = exchange.add_user(tokens=0)
    addr = user.address if wrong == "user" else exchange.address
    before = bytes(exchange.svm.account(addr).data)
    i = with_account(build(exchange.admin.pubkey(), idx), 2, addr)
    expect_error(exchange.svm.send([i], [exchange.admin]), custom.InvalidDiscriminator)
    assert bytes(exchange.svm.account(addr).data) == before


@pytest.mark.parametrize("build", ADMIN_MARKET_BUILDERS, ids=ADMIN_MARKET_IDS)
def test_admin_market_ix_market_with_wrong_size(
    exchange: LocalExchange, build: AdminMarketIx
) -> None:
    idx = exchange.add_market("SOL-PERP")
    longer = copy_to(exchange, exchange.market_address(idx), extra=bytes(8))
    i = with_account(build(exchange.admin.pubkey(), idx), 2, longer)
    expect_error(exchange.svm.send([i], [exchange.admin]), custom.InvalidAccountSize)


@pytest.mark.parametrize("build", ADMIN_MARKET_BUILDERS, ids=ADMIN_MARKET_IDS)
def test_admin_market_ix_exchange_checks(exchange: LocalExchange, build: AdminMarketIx) -> None:
    idx = exchange.add_market("SOL-PERP")
    user = exchange.add_user(tokens=0, keypair=exchange.admin)
    fake = copy_to(exchange, exchange.address, owner=Pubkey.new_unique())
    base = build(exchange.admin.pubkey(), idx)
    expect_error(
        exchange.svm.send([with_account(base, 1, fake)], [exchange.admin]),
        custom.InvalidAccountOwner,
    )
    expect_error(
        exchange.svm.send([with_account(base, 1, user.address)], [exchange.admin]),
        custom.InvalidDiscriminator,
    )
    expect_error(
        exchange.svm.send([with_account(base, 1, exchange.market_address(idx))], [exchange.admin]),
        custom.InvalidDiscriminator,
    )


# ------------------------------------------------------------------------------------------------
# set_market_status

SETTABLE = {
    "Active": market_status.Active(),
    "ReduceOnly": market_status.ReduceOnly(),
    "Paused": market_status.Paused(),
}


def _set_status(exchange: LocalExchange, idx: int, status: Any) -> Any:
    return exchange.svm.send(
        [ix.set_market_status(exchange.admin.pubkey(), idx, status)], [exchange.admin]
    )


def test_set_market_status_cycle(exchange: LocalExchange) -> None:
    svm = exchange.svm
    idx = exchange.add_market("SOL-PERP")
    before = market_bytes(exchange, idx)
    steps = [
        ("Active", "ReduceOnly", 1_000),
        ("ReduceOnly", "Paused", 2_000),
        ("Paused", "Active", 3_500),
    ]
    for old, new, slot in steps:
        svm.warp(slot)
        out = _set_status(exchange, idx, SETTABLE[new])
        assert out.ok, out.logs
        ev = single_event(out, "MarketStatusChanged")
        assert ev.market == exchange.market_address(idx)
        assert ev.slot == slot
        assert ev.market_index == idx
        assert (enum_name(ev.old_status), enum_name(ev.new_status)) == (old, new)
        m = svm.decode(Market, exchange.market_address(idx))
        assert enum_name(m.status) == new
        # only the status byte changed
        now = market_bytes(exchange, idx)
        assert (
            now[:STATUS_OFFSET] == before[:STATUS_OFFSET]
            and now[STATUS_OFFSET + 1 :] == before[STATUS_OFFSET + 1 :]
        )
    assert market_bytes(exchange, idx) == before


@pytest.mark.parametrize("old,new", [(a, b) for a in SETTABLE for b in SETTABLE if a != b])
def test_set_market_status_every_settable_transition(
    exchange: LocalExchange, old: str, new: str
) -> None:
    exchange.add_market("SOL-PERP")
    idx = exchange.add_market("ETH-PERP")
    if old != "Active":
        assert _set_status(exchange, idx, SETTABLE[old]).ok
    out = _set_status(exchange, idx, SETTABLE[new])
    assert out.ok, out.logs
    ev = single_event(out, "MarketStatusChanged")
    assert (ev.market_index, enum_name(ev.old_status), enum_name(ev.new_status)) == (1, old, new)
    assert enum_name(exchange.svm.decode(Market, exchange.market_address(idx)).status) == new
    assert enum_name(exchange.svm.decode(Market, exchange.market_address(0)).status) == "Active"


@pytest.mark.parametrize(
    "target", [market_status.Settlement(), market_status.Delisted()], ids=["Settlement", "Delisted"]
)
@pytest.mark.parametrize("start", list(SETTABLE))
def test_set_market_status_cannot_enter_settlement_or_delisted(
    exchange: LocalExchange, start: str, target: Any
) -> None:
    idx = exchange.add_market("SOL-PERP")
    if start != "Active":
        assert _set_status(exchange, idx, SETTABLE[start]).ok
    before = market_bytes(exchange, idx)
    expect_error(_set_status(exchange, idx, target), custom.InvalidStatusTransition)
    assert market_bytes(exchange, idx) == before


@pytest.mark.parametrize("stuck", [3, 4], ids=["Settlement", "Delisted"])
@pytest.mark.parametrize("target", list(SETTABLE))
def test_set_market_status_cannot_leave_settlement_or_delisted(
    exchange: LocalExchange, stuck: int, target: str
) -> None:
    svm = exchange.svm
    idx = exchange.add_market("SOL-PERP")
    addr = exchange.market_address(idx)
    acc = svm.account(addr)
    data = bytearray(acc.data)
    data[STATUS_OFFSET] = stuck
    svm.set_account(addr, Account(acc.lamports, bytes(data), acc.owner, False, 0))
    assert enum_name(svm.decode(Market, addr).status) == {3: "Settlement", 4: "Delisted"}[stuck]
    expect_error(_set_status(exchange, idx, SETTABLE[target]), custom.InvalidStatusTransition)
    assert market_bytes(exchange, idx) == bytes(data)


def test_set_market_status_rejects_out_of_range_tags(exchange: LocalExchange) -> None:
    idx = exchange.add_market("SOL-PERP")
    before = market_bytes(exchange, idx)
    valid = ix.set_market_status(exchange.admin.pubkey(), idx, market_status.Paused())
    assert valid.data[-1] == 2 and len(valid.data) == 9
    wrong = {}
    for tag in range(5, 256):
        out = exchange.svm.send(
            [with_data(valid, bytes(valid.data[:8]) + bytes([tag]))], [exchange.admin]
        )
        if out.ok or out.custom_code != custom.InvalidInstructionData.code:
            wrong[tag] = "landed" if out.ok else out.error_name
    assert wrong == {}, f"tags not rejected with InvalidInstructionData: {wrong}"
    assert market_bytes(exchange, idx) == before


def test_set_market_status_raw_tags_in_range(exchange: LocalExchange) -> None:
    # Raw data bytes 0..2 are the settable statuses (Borsh enum tags in IDL order).
    idx = exchange.add_market("SOL-PERP")
    valid = ix.set_market_status(exchange.admin.pubkey(), idx, market_status.Active())
    for tag, name in [(1, "ReduceOnly"), (2, "Paused"), (0, "Active")]:
        exchange.svm.send_ok(
            [with_data(valid, bytes(valid.data[:8]) + bytes([tag]))], [exchange.admin]
        )
        assert enum_name(exchange.svm.decode(Market, exchange.market_address(idx)).status) == name
