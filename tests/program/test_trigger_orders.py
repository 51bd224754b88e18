"""Trigger orders: init_trigger_orders, place_trigger_order, cancel_trigger_order and trigger_order in LiteSVM.

Markets use ``default_market_params`` (tick 0.01, lot 0.001, minimum 0.01 base, initial margin 10%,
taker fee 10 bps, maker rebate 2 bps, trigger fee 0.05 quote); prices are written directly
(``set_market_prices``, which counts them as cranked in the current slot). Every transaction goes through
``Trading.send``, which checks the trading invariants of tests/program/test_trading.py (and that a failed
transaction changed nothing); the ``exchange`` fixture checks vault == total collateral == claims after
each test. Expected numbers are worked out by hand next to each case.
"""

from __future__ import annotations

from typing import Any

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from keepers.exchange import instructions as ix
from keepers.exchange.pdas import event_queue_pda, orderbook_pda, trigger_orders_pda
from keepers.execution.results import Landed
from localnet.bootstrap import LocalExchange, LocalUser
from programs_client.perp.accounts import TriggerOrders
from programs_client.perp.constants import BASE_PRECISION as B, PRICE_PRECISION as P, QUOTE_PRECISION as QUOTE, TRIGGER_ORDER_SLOTS
from programs_client.perp.errors import custom
from programs_client.perp.types import side, trigger_condition, trigger_kind, trigger_price_source
from tests.program.helpers import account_discriminator, account_len, events, expect_error, noncanonical_pda, set_market_prices, single_event
from tests.program.tamper import with_account, with_data
from tests.program.test_trading import IOC, Trading

BID, ASK = side.Bid(), side.Ask()
STOP_MARKET, STOP_LIMIT = trigger_kind.StopMarket(), trigger_kind.StopLimit()
TP_MARKET, TP_LIMIT = trigger_kind.TakeProfitMarket(), trigger_kind.TakeProfitLimit()
ABOVE, BELOW = trigger_condition.Above(), trigger_condition.Below()
ORACLE = trigger_price_source.Oracle()
TRIGGER_FEE = QUOTE // 20  # default_market_params: 0.05 quote
# triggerOrder accounts
T_KEEPER, T_USER, T_MARKET, T_BOOK, T_QUEUE, T_TRIGGERS, T_KEEPER_USER = range(7)


class Triggers(Trading):
    """Trading plus trigger orders and a keeper with its own margin account."""

    def __init__(self, exchange: LocalExchange, markets: int = 1) -> None:
        super().__init__(exchange, markets)
        self.keeper = self.add_user(deposit=0)

    def init(self, u: LocalUser, payer: Keypair | None = None) -> Any:
        kp = payer or u.keypair
        return self.send([ix.init_trigger_orders(kp.pubkey(), u.address, self.svm.program_id)], [kp])

    def put(self, u: LocalUser, side_: Any, kind: Any, condition: Any, trigger: int, base: int, *, limit: int = 0,
            source: Any = None, reduce_only: bool = False, market: int = 0, signer: Keypair | None = None) -> Any:
        kp = signer or u.keypair
        args = ix.trigger_args(side_, kind, condition, trigger, base, limit, source, reduce_only)
        return self.send([ix.place_trigger_order(kp.pubkey(), u.address, market, args, self.svm.program_id)], [kp])

    def cancel_trigger(self, u: LocalUser, trigger_id: int, signer: Keypair | None = None) -> Any:
        kp = signer or u.keypair
        return self.send([ix.cancel_trigger_order(kp.pubkey(), u.address, trigger_id, self.svm.program_id)], [kp])

    def fire_ix(self, u: LocalUser, trigger_id: int, market: int = 0) -> Any:
        k = self.keeper
        return ix.trigger_order(k.authority, k.address, u.address, market, trigger_id, self.other_markets(u, market),
                                self.svm.program_id)

    def fire(self, u: LocalUser, trigger_id: int, market: int = 0) -> Any:
        return self.send([self.fire_ix(u, trigger_id, market)], [self.keeper.keypair])

    def triggers(self, u: LocalUser) -> TriggerOrders:
        return self.svm.decode(TriggerOrders, trigger_orders_pda(u.address, self.svm.program_id))

    def live(self, u: LocalUser) -> list[Any]:
        return [o for o in self.triggers(u).orders if o.trigger_id != 0]

    def long(self, u: LocalUser, base: int, price: int = 100 * P) -> None:
        """Give ``u`` a long of ``base`` at ``price`` from a fresh maker (the fill applied)."""
        maker = self.add_user(1_000 * QUOTE)
        assert isinstance(self.place(maker, ASK, price, base), Landed)
        assert isinstance(self.place(u, BID, price, base, IOC), Landed)
        assert isinstance(self.consume(), Landed)


def named(out: Any, name: str) -> Any:
    """The one event called ``name`` among the transaction's events."""
    found = [data for n, data in events(out) if n == name]
    assert len(found) == 1, f"expected one {name}, got {[n for n, _ in events(out)]}"
    return found[0]


@pytest.fixture
def tr(exchange: LocalExchange) -> Triggers:
    return Triggers(exchange)


# -- init_trigger_orders ---------------------------------------------------------------------------

def test_init_creates_the_pda_with_empty_slots(tr: Triggers) -> None:
    u = tr.add_user()
    assert isinstance(tr.init(u), Landed)
    addr = Pubkey.find_program_address([b"triggers", bytes(u.address)], tr.svm.program_id)[0]
    acc = tr.svm.account(addr)
    assert acc is not None and acc.owner == tr.svm.program_id and len(acc.data) == account_len("TriggerOrders")
    assert bytes(acc.data[:8]) == account_discriminator("TriggerOrders")
    t = tr.triggers(u)
    assert (t.user, t.next_trigger_id, t.count) == (u.address, 1, 0)
    assert len(t.orders) == TRIGGER_ORDER_SLOTS == 16
    expect_error(tr.init(u), custom.AccountAlreadyInitialized)


def test_init_by_the_delegate_and_rejections(tr: Triggers) -> None:
    delegate = tr.svm.funded_keypair()
    u = tr.add_user()
    tr.svm.send_ok([ix.set_user_delegate(u.authority, delegate.pubkey(), u.sub_id, tr.svm.program_id)], [u.keypair])
    stranger = tr.svm.funded_keypair()
    expect_error(tr.init(u, payer=stranger), custom.Unauthorized)
    good = ix.init_trigger_orders(u.authority, u.address, tr.svm.program_id)
    other, _ = noncanonical_pda([b"triggers", bytes(u.address)], tr.svm.program_id)
    expect_error(tr.send([with_account(good, 2, other)], [u.keypair]), custom.InvalidPda)
    expect_error(tr.send([with_account(good, 3, Pubkey.new_unique())], [u.keypair]), custom.InvalidProgramId)
    expect_error(tr.send([with_account(good, 1, tr.ex.market_address(0))], [u.keypair]), custom.InvalidDiscriminator)
    expect_error(tr.send([with_account(good, 1, u.token_account)], [u.keypair]), custom.InvalidAccountOwner)
    assert isinstance(tr.init(u, payer=delegate), Landed)


# -- place_trigger_order / cancel_trigger_order ----------------------------------------------------

def test_place_stores_the_order_and_logs_it(tr: Triggers) -> None:
    u = tr.add_user()
    tr.init(u)
    out = tr.put(u, ASK, STOP_MARKET, BELOW, 95 * P, 2 * B, reduce_only=True)
    assert isinstance(out, Landed)
    ev = single_event(out, "TriggerOrderPlaced")
    assert (ev.user, ev.trigger_id, ev.trigger_price, ev.limit_price, ev.base_amount, ev.reduce_only) == (
        u.address, 1, 95 * P, 0, 2 * B, True)
    assert isinstance(tr.put(u, BID, TP_LIMIT, ABOVE, 110 * P, B, limit=111 * P, source=ORACLE), Landed)
    t = tr.triggers(u)
    assert (t.count, t.next_trigger_id) == (2, 3)
    first, second = tr.live(u)
    assert (first.trigger_id, first.trigger_price, first.base_amount, first.market_index) == (1, 95 * P, 2 * B, 0)
    assert (type(first.kind), type(first.condition), first.reduce_only, first.placed_by_delegate) == (
        trigger_kind.StopMarket, trigger_condition.Below, True, False)
    assert (second.trigger_id, second.limit_price, type(second.price_source)) == (2, 111 * P, trigger_price_source.Oracle)


def test_slots_fill_up_and_free_on_cancel(tr: Triggers) -> None:
    u = tr.add_user()
    tr.init(u)
    for k in range(TRIGGER_ORDER_SLOTS):
        assert isinstance(tr.put(u, BID, STOP_MARKET, ABOVE, (101 + k) * P, B), Landed)
    expect_error(tr.put(u, BID, STOP_MARKET, ABOVE, 200 * P, B), custom.TriggerSlotsFull)
    out = tr.cancel_trigger(u, 5)
    ev = single_event(out, "TriggerOrderCancelled")
    assert (ev.user, ev.trigger_id, ev.error_code) == (u.address, 5, 0)
    assert tr.triggers(u).count == TRIGGER_ORDER_SLOTS - 1
    assert isinstance(tr.put(u, BID, STOP_MARKET, ABOVE, 200 * P, B), Landed)
    assert 17 in {o.trigger_id for o in tr.live(u)} and 5 not in {o.trigger_id for o in tr.live(u)}
    expect_error(tr.cancel_trigger(u, 5), custom.TriggerNotFound)
    expect_error(tr.cancel_trigger(u, 0), custom.TriggerNotFound)


@pytest.mark.parametrize("name,kw", [
    ("zero trigger price", dict(trigger=0)),
    ("trigger off tick", dict(trigger=100 * P + 1)),
    ("base below minimum", dict(base=B // 1000)),
    ("base off lot", dict(base=B + 1)),
    ("limit price on a market kind", dict(limit=100 * P)),
    ("limit kind without limit price", dict(kind=STOP_LIMIT)),
    ("limit price off tick", dict(kind=STOP_LIMIT, limit=100 * P + 5)),
])
def test_invalid_trigger_params(tr: Triggers, name: str, kw: dict[str, Any]) -> None:
    u = tr.add_user()
    tr.init(u)
    args = dict(side_=BID, kind=STOP_MARKET, condition=ABOVE, trigger=101 * P, base=B)
    args.update(kw)
    expect_error(tr.put(u, args.pop("side_"), args.pop("kind"), args.pop("condition"), args.pop("trigger"), args.pop("base"),
                        limit=args.pop("limit", 0)), custom.InvalidTriggerParams)


def test_invalid_enum_bytes_and_padding(tr: Triggers) -> None:
    u = tr.add_user()
    tr.init(u)
    good = ix.place_trigger_order(u.authority, u.address, 0, ix.trigger_args(BID, STOP_MARKET, ABOVE, 101 * P, B),
                                  tr.svm.program_id)
    # data: discriminator, trigger, limit, base (u64 each), side, kind, condition, source, reduce only, padding[3]
    for offset, value in [(32, 2), (33, 4), (34, 2), (35, 2), (36, 2), (37, 1)]:
        data = bytearray(good.data)
        data[offset] = value
        expect_error(tr.send([with_data(good, bytes(data))], [u.keypair]), custom.InvalidTriggerParams)


def test_place_and_cancel_account_checks(tr: Triggers) -> None:
    a, b = tr.add_user(), tr.add_user()
    tr.init(a)
    tr.init(b)
    stranger = tr.svm.funded_keypair()
    expect_error(tr.put(a, BID, STOP_MARKET, ABOVE, 101 * P, B, signer=stranger), custom.Unauthorized)
    good = ix.place_trigger_order(a.authority, a.address, 0, ix.trigger_args(BID, STOP_MARKET, ABOVE, 101 * P, B), tr.svm.program_id)
    expect_error(tr.send([with_account(good, 2, trigger_orders_pda(b.address, tr.svm.program_id))], [a.keypair]), custom.InvalidPda)
    expect_error(tr.send([with_account(good, 3, Pubkey.new_unique())], [a.keypair]), custom.InvalidAccountOwner)
    expect_error(tr.send([with_account(good, 3, a.address)], [a.keypair]), custom.InvalidDiscriminator)
    expect_error(tr.send([with_account(good, 2, a.token_account)], [a.keypair]), custom.InvalidAccountOwner)
    expect_error(tr.send([with_account(good, 2, tr.ex.market_address(0))], [a.keypair]), custom.InvalidDiscriminator)
    expect_error(tr.send([with_account(good, 2, is_writable=False)], [a.keypair]), custom.AccountNotWritable)
    expect_error(tr.send([with_account(good, 0, Keypair().pubkey(), is_signer=False)], []), custom.MissingSigner)
    assert isinstance(tr.put(a, BID, STOP_MARKET, ABOVE, 101 * P, B), Landed)
    expect_error(tr.cancel_trigger(a, 1, signer=stranger), custom.Unauthorized)
    cancel = ix.cancel_trigger_order(a.authority, a.address, 1, tr.svm.program_id)
    expect_error(tr.send([with_account(cancel, 2, trigger_orders_pda(b.address, tr.svm.program_id))], [a.keypair]), custom.InvalidPda)
    assert tr.live(a)[0].trigger_id == 1


def test_delegate_may_store_and_cancel_market_kinds_only(tr: Triggers) -> None:
    delegate = tr.svm.funded_keypair()
    u = tr.add_user()
    tr.svm.send_ok([ix.set_user_delegate(u.authority, delegate.pubkey(), u.sub_id, tr.svm.program_id)], [u.keypair])
    tr.init(u)
    expect_error(tr.put(u, BID, STOP_LIMIT, ABOVE, 101 * P, B, limit=102 * P, signer=delegate), custom.DelegateMayNotRest)
    assert isinstance(tr.put(u, BID, STOP_MARKET, ABOVE, 101 * P, B, signer=delegate), Landed)
    assert tr.live(u)[0].placed_by_delegate is True
    assert isinstance(tr.cancel_trigger(u, 1, signer=delegate), Landed)
    assert tr.live(u) == []


# -- trigger_order ---------------------------------------------------------------------------------

def test_stop_loss_fires_at_the_mark_and_pays_the_keeper(tr: Triggers) -> None:
    u = tr.add_user(1_000 * QUOTE)
    tr.long(u, B)  # long 1 at 100
    tr.init(u)
    tr.put(u, ASK, STOP_MARKET, BELOW, 95 * P, B, reduce_only=True)
    bidder = tr.add_user(1_000 * QUOTE)
    tr.place(bidder, BID, 94 * P, B)
    tr.set_mark(96 * P)
    expect_error(tr.fire(u, 1), custom.TriggerConditionNotMet)
    tr.set_mark(95 * P)
    collateral = tr.state(u).collateral
    out = tr.fire(u, 1)
    assert isinstance(out, Landed)
    names = [n for n, _ in events(out)]
    assert names == ["FillEvent", "OrderPlaced", "TriggerOrderTriggered"]
    ev = named(out, "TriggerOrderTriggered")
    # market ask at the band edge: ceil((95 - 47.5) / 0.01) * 0.01 = 47.50; fills the bid at 94
    assert (ev.user, ev.keeper, ev.trigger_id, ev.price, ev.order_price, ev.base_amount, ev.keeper_fee) == (
        u.address, tr.keeper.address, 1, 95 * P, 47_500_000, B, TRIGGER_FEE)
    fill = named(out, "FillEvent")
    assert (fill.price, fill.base_amount, fill.taker_fee) == (94 * P, B, 94_000)  # ceil(94 quote * 10 bps)
    pos = tr.position(u)
    assert pos.base_amount == 0
    # closed 1 at 94 after opening at 100: -6 quote realised, two taker fees of 0.1 and 0.094 quote
    assert pos.unsettled_pnl == -6 * QUOTE - 100_000 - 94_000
    assert tr.state(u).collateral == collateral - TRIGGER_FEE
    assert tr.state(tr.keeper).collateral == TRIGGER_FEE
    assert tr.live(u) == [] and tr.triggers(u).count == 0
    expect_error(tr.fire(u, 1), custom.TriggerNotFound)


def test_take_profit_on_the_oracle_price(tr: Triggers) -> None:
    u = tr.add_user(1_000 * QUOTE)
    tr.init(u)
    tr.put(u, BID, TP_MARKET, ABOVE, 105 * P, B, source=ORACLE)
    set_market_prices(tr.svm, tr.ex.market_address(0), 104 * P, 106 * P)  # mark above, oracle below
    expect_error(tr.fire(u, 1), custom.TriggerConditionNotMet)
    set_market_prices(tr.svm, tr.ex.market_address(0), 105 * P, 103 * P)
    out = tr.fire(u, 1)
    ev = named(out, "TriggerOrderTriggered")
    # no asks: the market bid (at 103 + 51.5 = 154.50) fills nothing, but the trigger is spent and the fee paid
    assert (ev.price, ev.order_price, ev.keeper_fee) == (105 * P, 154_500_000, TRIGGER_FEE)
    assert tr.position(u) is None or tr.position(u).base_amount == 0


def test_stop_limit_rests_its_limit_order(tr: Triggers) -> None:
    u = tr.add_user(1_000 * QUOTE)
    tr.init(u)
    tr.put(u, BID, STOP_LIMIT, ABOVE, 105 * P, 2 * B, limit=106 * P)
    tr.set_mark(105 * P)
    out = tr.fire(u, 1)
    placed = named(out, "OrderPlaced")
    assert (placed.price, placed.base_amount, placed.client_order_id) == (106 * P, 2 * B, 1)
    [bid] = tr.bids()
    assert (bid.owner, bid.price, bid.base_amount, bid.client_order_id) == (u.address, 106 * P, 2 * B, 1)
    assert tr.position(u).open_bids == 2 * B


def test_a_refused_order_cancels_the_trigger_without_a_trace_of_the_fill(tr: Triggers) -> None:
    u = tr.add_user(10 * QUOTE)
    tr.init(u)
    tr.put(u, BID, STOP_MARKET, ABOVE, 100 * P, 10 * B)
    maker = tr.add_user(1_000 * QUOTE)
    tr.place(maker, ASK, 100 * P, 10 * B)
    watched = [orderbook_pda(0, tr.svm.program_id), event_queue_pda(0, tr.svm.program_id), tr.ex.market_address(0)]
    before = [tr._data(a) for a in watched]
    # 10 base at 100 needs 100 quote of initial margin; the user has 10
    out = tr.fire(u, 1)
    assert isinstance(out, Landed)
    assert [n for n, _ in events(out)] == ["TriggerOrderCancelled"]
    ev = single_event(out, "TriggerOrderCancelled")
    assert (ev.trigger_id, ev.error_code) == (1, custom.InsufficientMargin.code)
    assert tr.live(u) == []
    assert tr.state(u).collateral == 10 * QUOTE and tr.state(tr.keeper).collateral == 0
    assert [tr._data(a) for a in watched] == before


def test_reduce_only_trigger_without_position_is_cancelled(tr: Triggers) -> None:
    u = tr.add_user(100 * QUOTE)
    tr.init(u)
    tr.put(u, ASK, STOP_MARKET, BELOW, 95 * P, B, reduce_only=True)
    tr.set_mark(95 * P)
    ev = single_event(tr.fire(u, 1), "TriggerOrderCancelled")
    assert ev.error_code == custom.ReduceOnlyViolated.code


def test_fee_is_capped_by_collateral(tr: Triggers) -> None:
    u = tr.add_user(0)
    tr.init(u)
    tr.put(u, BID, STOP_MARKET, ABOVE, 100 * P, B)
    ev = named(tr.fire(u, 1), "TriggerOrderTriggered")
    assert ev.keeper_fee == 0 and tr.state(tr.keeper).collateral == 0


def test_delegate_trigger_fires_within_the_delegate_band(tr: Triggers) -> None:
    delegate = tr.svm.funded_keypair()
    u = tr.add_user(1_000 * QUOTE)
    tr.svm.send_ok([ix.set_user_delegate(u.authority, delegate.pubkey(), u.sub_id, tr.svm.program_id)], [u.keypair])
    tr.init(u)
    tr.put(u, BID, STOP_MARKET, ABOVE, 100 * P, B, signer=delegate)
    ev = named(tr.fire(u, 1), "TriggerOrderTriggered")
    assert ev.order_price == 100_500_000  # mark 100 + floor(100 * 50 bps) = 100.50


def test_the_price_must_be_from_this_slot(tr: Triggers) -> None:
    u = tr.add_user(100 * QUOTE)
    tr.init(u)
    tr.put(u, BID, STOP_MARKET, ABOVE, 100 * P, B)
    tr.svm.warp(tr.svm.clock().slot + 1)
    expect_error(tr.fire(u, 1), custom.TriggerPriceNotFresh)
    tr.set_mark(100 * P)
    assert isinstance(tr.fire(u, 1), Landed)


def test_trigger_order_account_checks(exchange: LocalExchange) -> None:
    tr = Triggers(exchange, markets=2)
    a, b = tr.add_user(100 * QUOTE), tr.add_user(100 * QUOTE)
    tr.init(a)
    tr.init(b)
    tr.put(a, BID, STOP_MARKET, ABOVE, 100 * P, B)
    tr.put(b, BID, STOP_MARKET, ABOVE, 100 * P, B)
    kp = tr.keeper.keypair
    good = tr.fire_ix(a, 1)
    pid = tr.svm.program_id
    cases = [
        (with_account(good, T_KEEPER, is_signer=False), [], custom.MissingSigner),
        (with_account(good, T_TRIGGERS, is_writable=False), [kp], custom.AccountNotWritable),
        (with_account(good, T_KEEPER_USER, a.address), [kp], custom.Unauthorized),
        (with_account(good, T_KEEPER_USER, tr.ex.market_address(0)), [kp], custom.InvalidDiscriminator),
        (with_account(good, T_TRIGGERS, trigger_orders_pda(b.address, pid)), [kp], custom.InvalidPda),
        (with_account(good, T_TRIGGERS, tr.ex.market_address(1)), [kp], custom.InvalidDiscriminator),
        (with_account(good, T_USER, b.token_account), [kp], custom.InvalidAccountOwner),
        (with_account(good, T_USER, tr.ex.market_address(0)), [kp], custom.InvalidDiscriminator),
        (with_account(good, T_TRIGGERS, a.token_account), [kp], custom.InvalidAccountOwner),
        (with_account(good, T_KEEPER_USER, a.token_account), [kp], custom.InvalidAccountOwner),
        (with_account(good, T_MARKET, a.token_account), [kp], custom.InvalidAccountOwner),
        (with_account(good, T_MARKET, tr.ex.market_address(1)), [kp], custom.MarketAccountMismatch),
        (with_account(good, T_MARKET, a.address), [kp], custom.InvalidDiscriminator),
        (with_account(good, T_BOOK, orderbook_pda(1, pid)), [kp], custom.MarketAccountMismatch),
        (with_account(good, T_QUEUE, event_queue_pda(1, pid)), [kp], custom.MarketAccountMismatch),
    ]
    for bad, signers, err in cases:
        expect_error(tr.send([bad], signers), err)
    expect_error(tr.fire(a, 2), custom.TriggerNotFound)
    never = tr.add_user(100 * QUOTE)  # no TriggerOrders account: its PDA is an empty system account
    expect_error(tr.send([with_account(good, T_TRIGGERS, trigger_orders_pda(never.address, pid))], [kp]),
                 custom.InvalidAccountOwner)
    assert isinstance(tr.fire(a, 1), Landed)
