"""Events the program logs: which instruction emits which event, their order and their bodies.

Event parsing (tests/program/helpers.py): every "Program data: " line is base64-decoded, its first 8
bytes must be sha256("event:<Name>")[:8] of an event named in idl/perp.json, its body must be exactly
the Borsh length of that event's fields (computed from the IDL JSON), and the body is decoded with
anchorpy's EventCoder built from the IDL.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from typing import Any

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from keepers.exchange import instructions as ix
from localnet.bootstrap import LocalExchange, default_market_params, oracle_config
from localnet.svm import LocalSvm
from programs_client.perp.constants import BASE_PRECISION as BASE, PRICE_PRECISION as PRICE, QUOTE_PRECISION as QUOTE
from programs_client.perp.errors import custom
from programs_client.perp.types import market_status, order_type, side
from tests.program.helpers import (
    EVENT_BODY_LEN,
    EVENT_CODER,
    EVENT_NAMES,
    IDL_JSON,
    PROGRAM_DATA,
    enum_name,
    events,
    expect_error,
    set_market_prices,
    single_event,
)
from tests.program.test_instruction_data import make_case
from tests.program.test_trading import Trading


def test_event_coder_matches_first_principles_discriminators() -> None:
    # anchorpy's coder must agree with sha256("event:<Name>")[:8] for every IDL event, and the body
    # lengths computed from the IDL JSON must be those of the hand-summed layouts.
    assert set(EVENT_CODER.discriminators) == set(EVENT_NAMES)
    assert EVENT_BODY_LEN == {
        "DepositEvent": 32 + 32 + 8 + 8 + 8,
        "WithdrawEvent": 32 + 32 + 8 + 8 + 8,
        "MarketParamsUpdated": 32 + (8 * 8 + 10 * 2 + 1 + 3) + 2,
        "MarketStatusChanged": 32 + 8 + 2 + 1 + 1,
        "AdminTransferred": 32 + 32,
        # user, order id, client order id, price, base, slot, market index, side, order type
        "OrderPlaced": 32 + 8 * 5 + 2 + 1 + 1,
        # user, order id, base, market index, side
        "OrderCancelled": 32 + 8 + 8 + 2 + 1,
        # user, order id, price, base, seq, evicted by, market index, side
        "OrderEvicted": 32 + 8 * 5 + 2 + 1,
        # user, order id, price, base, seq, expiry slot, market index, side
        "OrderExpired": 32 + 8 * 5 + 2 + 1,
        # taker, maker, maker order id, price, base, taker fee, seq, market index, taker side
        "FillEvent": 32 + 32 + 8 * 5 + 2 + 1,
        # maker, maker order id, price, base, rebate, seq, market index, maker side
        "MakerFillApplied": 32 + 8 * 5 + 2 + 1,
        # market, index price, confidence, mark, premium EMA, mark TWAP, index TWAP, oracle slot, slot,
        # market index, oracle source
        "PricesUpdated": 32 + 8 * 8 + 2 + 1,
        # market, rate, cumulative long, cumulative short, mark TWAP, index TWAP, ts, market index
        "FundingUpdated": 32 + 8 * 6 + 2,
        # user, amount, collateral after, PnL pool after, unsettled after, market index
        "PnlSettled": 32 + 8 * 4 + 2,
        # user, liquidator, base, mark, user price, liquidator price, insurance fee, equity before,
        # maintenance before, equity after, maintenance after, slot, market index, user side
        "LiquidationEvent": 32 + 32 + 8 * 10 + 2 + 1,
        # user, loss, fee pool paid, insurance paid, socialised, funding delta, market index
        "BankruptcyResolved": 32 + 8 * 5 + 2,
        # market, amount, fee pool after, ts, market index
        "RevenueSettled": 32 + 8 * 3 + 2,
        # market, settlement price, open interest, slot, market index
        "MarketSettled": 32 + 8 * 3 + 2,
        # user, base, settlement price, realised PnL, market index
        "PositionSettled": 32 + 8 * 3 + 2,
        # authority, amount, shares, total shares, vault balance, ts
        "InsuranceStakeChanged": 32 + 8 * 5,
        # user, trigger id, trigger price, limit price, base, slot, market index, side, kind, condition,
        # price source, reduce only
        "TriggerOrderPlaced": 32 + 8 * 5 + 2 + 5,
        # user, keeper, trigger id, trigger price, price, order price, base, keeper fee, slot, market index,
        # side, kind
        "TriggerOrderTriggered": 32 + 32 + 8 * 7 + 2 + 2,
        # user, trigger id, error code, market index
        "TriggerOrderCancelled": 32 + 8 + 4 + 2,
    }


def test_each_instruction_emits_exactly_its_events(exchange: LocalExchange) -> None:
    svm, admin = exchange.svm, exchange.admin
    a = admin.pubkey()
    user = exchange.add_user(tokens=100 * QUOTE)
    u = user.keypair
    cases = [
        ("set_paused_operations", [ix.set_paused_operations(a, 0)], [admin], []),
        (
            "initialize_market",
            [
                ix.initialize_market(
                    a,
                    0,
                    "SOL-PERP",
                    oracle_config(Pubkey.new_unique(), Pubkey.new_unique()),
                    default_market_params(),
                )
            ],
            [admin],
            ["MarketParamsUpdated"],
        ),
        (
            "update_market_params",
            [ix.update_market_params(a, 0, default_market_params(taker_fee_bps=20))],
            [admin],
            ["MarketParamsUpdated"],
        ),
        (
            "update_market_oracle",
            [
                ix.update_market_oracle(
                    a, 0, oracle_config(Pubkey.new_unique(), Pubkey.new_unique())
                )
            ],
            [admin],
            [],
        ),
        (
            "set_market_status",
            [ix.set_market_status(a, 0, market_status.Paused())],
            [admin],
            ["MarketStatusChanged"],
        ),
        ("initialize_user", [ix.initialize_user(u.pubkey(), 3)], [u], []),
        ("set_user_delegate", [ix.set_user_delegate(u.pubkey(), Pubkey.new_unique())], [u], []),
        ("deposit", [ix.deposit(u.pubkey(), user.token_account, 5 * QUOTE)], [u], ["DepositEvent"]),
        (
            "withdraw",
            [ix.withdraw(u.pubkey(), user.token_account, 2 * QUOTE)],
            [u],
            ["WithdrawEvent"],
        ),
    ]
    for name, ixs, signers, expected in cases:
        out = svm.send_ok(ixs, signers)
        assert [n for n, _ in events(out)] == expected, name
    new_admin = Keypair()
    out = svm.send_ok([ix.transfer_admin(a, new_admin.pubkey())], [admin])
    assert [n for n, _ in events(out)] == ["AdminTransferred"]


def test_each_trading_instruction_emits_exactly_its_events(exchange: LocalExchange) -> None:
    svm = exchange.svm
    m = exchange.add_market("ETH-PERP")
    set_market_prices(svm, exchange.market_address(m), 100 * PRICE)
    maker, taker = (exchange.add_user(tokens=100 * QUOTE, deposit=100 * QUOTE) for _ in range(2))

    def order(u: Any, s: Any, price: int, kind: Any = None) -> Any:
        return ix.place_order(u.authority, u.address, m, ix.order_args(s, price, BASE // 10, kind))

    trading = [
        ("place_order resting", [order(maker, side.Ask(), 101 * PRICE)], [maker.keypair], ["OrderPlaced"]),
        ("place_order second", [order(maker, side.Ask(), 102 * PRICE)], [maker.keypair], ["OrderPlaced"]),
        (
            "place_order crossing",
            [order(taker, side.Bid(), 101 * PRICE, order_type.ImmediateOrCancel())],
            [taker.keypair],
            ["FillEvent", "OrderPlaced"],
        ),
        ("consume_events", [ix.consume_events(m, [maker.address], 10)], [], ["MakerFillApplied"]),
        ("consume_events empty", [ix.consume_events(m, [], 10)], [], []),
        ("place_order third", [order(maker, side.Bid(), 90 * PRICE)], [maker.keypair], ["OrderPlaced"]),
        ("cancel_order", [ix.cancel_order(maker.authority, maker.address, m, 2)], [maker.keypair], ["OrderCancelled"]),
        ("place_order fourth", [order(maker, side.Ask(), 103 * PRICE)], [maker.keypair], ["OrderPlaced"]),
        (
            "cancel_all_orders",
            [ix.cancel_all_orders(maker.authority, maker.address, m)],
            [maker.keypair],
            ["OrderCancelled", "OrderCancelled"],
        ),
        ("cancel_all_orders empty", [ix.cancel_all_orders(maker.authority, maker.address, m)], [maker.keypair], []),
    ]
    checker = Trading(exchange, markets=0)
    checker.markets.append(m)
    for name, ixs, signers, expected in trading:
        out = svm.send_ok(ixs, signers)
        assert [n for n, _ in events(out)] == expected, name
        checker.check()  # conservation and reservations (tests/program/test_trading.py)


# The instructions added since, each in the landing state test_instruction_data.py builds for it.
NEW_INSTRUCTION_EVENTS = {
    "pruneExpiredOrders": ["OrderExpired"],
    "updatePrices": ["PricesUpdated"],
    "updateFunding": ["FundingUpdated"],
    "settleFunding": [],
    "settlePnl": ["PnlSettled"],
    "liquidatePerp": ["LiquidationEvent"],
    "resolveBankruptcy": ["BankruptcyResolved"],
    "settleRevenueToInsurance": ["RevenueSettled"],
    "settleMarket": ["MarketSettled"],
    "settleExpiredPosition": ["PositionSettled"],
    "initializeInsuranceFund": [],
    "addInsuranceStake": ["InsuranceStakeChanged"],
    "requestRemoveInsuranceStake": [],
    "removeInsuranceStake": ["InsuranceStakeChanged"],
    "adminWithdrawInsurance": ["InsuranceStakeChanged"],
    "initTriggerOrders": [],
    "placeTriggerOrder": ["TriggerOrderPlaced"],
    "cancelTriggerOrder": ["TriggerOrderCancelled"],
    "triggerOrder": ["OrderPlaced", "TriggerOrderTriggered"],  # a market order with nothing to fill
}


def test_new_instruction_events_cover_the_idl() -> None:
    # Every IDL event is expected of some instruction: the nine tested above, or one of the table's.
    old = {
        "DepositEvent",
        "WithdrawEvent",
        "MarketParamsUpdated",
        "MarketStatusChanged",
        "AdminTransferred",
        "OrderPlaced",
        "OrderCancelled",
        "OrderEvicted",  # place_order on a full book side: tests/program/test_trading.py
        "FillEvent",
        "MakerFillApplied",
    }
    new = {e for evs in NEW_INSTRUCTION_EVENTS.values() for e in evs}
    assert new | old == set(EVENT_NAMES.values()) and new & old == {"OrderPlaced"}  # trigger_order places an order
    assert set(NEW_INSTRUCTION_EVENTS) <= {i["name"] for i in IDL_JSON["instructions"]}


@pytest.mark.parametrize("name", list(NEW_INSTRUCTION_EVENTS))
def test_each_new_instruction_emits_exactly_its_events(name: str, request: pytest.FixtureRequest) -> None:
    c = make_case(name, request)
    out = c.svm.send_ok([c.ix], c.signers)
    evs = events(out)
    assert [n for n, _ in evs] == NEW_INSTRUCTION_EVENTS[name]
    # events of a market instruction name the market passed
    for _, ev in evs:
        if hasattr(ev, "market"):
            assert ev.market in [m.pubkey for m in c.ix.accounts]


def test_initialize_exchange_emits_no_event(svm: LocalSvm) -> None:
    admin = svm.funded_keypair(10)
    svm.set_upgrade_authority(admin.pubkey())
    mint = svm.create_mint(Keypair().pubkey(), 6)
    out = svm.send_ok([ix.initialize_exchange(admin.pubkey(), mint)], [admin])
    assert events(out) == []


def test_failed_instruction_logs_no_event(exchange: LocalExchange) -> None:
    user = exchange.add_user(tokens=10 * QUOTE, deposit=10 * QUOTE)
    out = exchange.svm.send(
        [ix.withdraw(user.authority, user.token_account, 11 * QUOTE)], [user.keypair]
    )
    expect_error(out, custom.InsufficientCollateral)
    assert events(out) == []


def test_two_instructions_in_one_transaction_log_two_events_in_order(
    exchange: LocalExchange,
) -> None:
    svm = exchange.svm
    user = exchange.add_user(tokens=50 * QUOTE)
    svm.warp(4242)
    out = svm.send_ok(
        [
            ix.deposit(user.authority, user.token_account, 30 * QUOTE),
            ix.withdraw(user.authority, user.token_account, 12 * QUOTE),
        ],
        [user.keypair],
    )
    evs = events(out)
    assert [n for n, _ in evs] == ["DepositEvent", "WithdrawEvent"]
    dep, wd = evs[0][1], evs[1][1]
    assert (dep.amount, dep.collateral_after, dep.slot) == (30 * QUOTE, 30 * QUOTE, 4242)
    assert (wd.amount, wd.collateral_after, wd.slot) == (12 * QUOTE, 18 * QUOTE, 4242)
    assert dep.user == wd.user == user.address
    assert dep.authority == wd.authority == user.authority


@pytest.mark.parametrize("status", [market_status.ReduceOnly(), market_status.Paused()])
def test_market_status_changed_event_body(exchange: LocalExchange, status: Any) -> None:
    svm = exchange.svm
    exchange.add_market("AAA-PERP")
    idx = exchange.add_market("BBB-PERP")
    svm.warp(987_654)
    out = svm.send_ok(
        [ix.set_market_status(exchange.admin.pubkey(), idx, status)], [exchange.admin]
    )
    ev = single_event(out, "MarketStatusChanged")
    assert (
        ev.market
        == Pubkey.find_program_address([b"market", (1).to_bytes(2, "little")], svm.program_id)[0]
    )
    assert ev.slot == 987_654
    assert ev.market_index == 1
    assert enum_name(ev.old_status) == "Active"
    assert enum_name(ev.new_status) == status.kind


def _raw_events(out: Any) -> list[bytes]:
    return [base64.b64decode(l[len(PROGRAM_DATA) :]) for l in out.logs if l.startswith(PROGRAM_DATA)]


def _disc(name: str) -> bytes:
    return hashlib.sha256(f"event:{name}".encode()).digest()[:8]


def test_trading_event_bodies_byte_for_byte(exchange: LocalExchange) -> None:
    # Market index 2 (so the index field is not zero), packed here with struct in IDL field order.
    svm = exchange.svm
    for name in ("AAA-PERP", "BBB-PERP", "CCC-PERP"):
        m = exchange.add_market(name)
    maker = exchange.add_user(tokens=100 * QUOTE, deposit=100 * QUOTE)
    taker = exchange.add_user(tokens=100 * QUOTE, deposit=100 * QUOTE)
    price, base = 123_450_000, 333_000_000
    svm.warp(31_337)
    set_market_prices(svm, exchange.market_address(m), 120 * PRICE)  # priced at slot 31_337: fresh
    checker = Trading(exchange, markets=0)
    checker.markets.append(m)
    args = ix.order_args(side.Ask(), price, 2 * base, None, client_order_id=0xDEADBEEF)
    out = svm.send_ok([ix.place_order(maker.authority, maker.address, m, args)], [maker.keypair])
    assert _raw_events(out) == [
        _disc("OrderPlaced")
        + struct.pack("<32sQQQQQHBB", bytes(maker.address), 1, 0xDEADBEEF, price, 2 * base, 31_337, m, 1, 0)
    ]
    args = ix.order_args(side.Bid(), 124 * PRICE, base, order_type.ImmediateOrCancel(), client_order_id=7)
    out = svm.send_ok([ix.place_order(taker.authority, taker.address, m, args)], [taker.keypair])
    # quote = 0.333 * 123.45 = 41.10885; fee = ceil(41_108_850 * 10 / 1e4) = ceil(41_108.85) = 41_109
    assert _raw_events(out) == [
        _disc("FillEvent")
        + struct.pack("<32s32sQQQQQHB", bytes(taker.address), bytes(maker.address), 1, price, base, 41_109, 0, m, 0),
        _disc("OrderPlaced") + struct.pack("<32sQQQQQHBB", bytes(taker.address), 0, 7, 124 * PRICE, 0, 31_337, m, 0, 3),
    ]
    out = svm.send_ok([ix.consume_events(m, [maker.address], 1)])
    # rebate = floor(41_108_850 * 2 / 1e4) = floor(8_221.77) = 8_221
    assert _raw_events(out) == [
        _disc("MakerFillApplied") + struct.pack("<32sQQQQQHB", bytes(maker.address), 1, price, base, 8_221, 0, m, 1)
    ]
    out = svm.send_ok([ix.cancel_order(maker.authority, maker.address, m, 1)], [maker.keypair])
    assert _raw_events(out) == [_disc("OrderCancelled") + struct.pack("<32sQQHB", bytes(maker.address), 1, base, m, 1)]
    checker.check()
