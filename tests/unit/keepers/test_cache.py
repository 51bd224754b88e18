"""keepers/cache.py fed with real account bytes from an exchange running in LiteSVM."""

from __future__ import annotations

import logging

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from keepers.exchange import instructions as ix
from keepers.cache import AccountCache
from keepers.chain.base import AccountData
from keepers.exchange.margin import MarketState, Position, compute_margin
from keepers.exchange.margin_scan import at_marks, liquidatable, scan
from keepers.exchange.pdas import event_queue_pda, insurance_fund_pda, insurance_stake_pda, orderbook_pda
from localnet.bootstrap import LocalExchange, LocalUser
from programs_client.perp.accounts import EventQueue, Exchange, InsuranceFund, InsuranceStake, Market, Orderbook, User
from programs_client.perp.constants import BASE_PRECISION as BASE, PRICE_PRECISION as PRICE, QUOTE_PRECISION as QUOTE
from programs_client.perp.types import side
from tests.program.helpers import set_market_prices

SYSTEM_PROGRAM = Pubkey.from_string("11111111111111111111111111111111")


def read(ex: LocalExchange, address: Pubkey, slot: int) -> AccountData:
    """The account at ``address`` as a chain would report it at ``slot``."""
    acc = ex.svm.account(address)
    assert acc is not None, address
    return AccountData(address, acc.owner, acc.lamports, bytes(acc.data), slot, acc.executable)


def closed(address: Pubkey, slot: int) -> AccountData:
    """What a subscription reports for an account its program closed."""
    return AccountData(address, SYSTEM_PROGRAM, 0, b"", slot)


def deposit(ex: LocalExchange, u: LocalUser, amount: int) -> None:
    ex.svm.send_ok([ix.deposit(u.authority, u.token_account, amount, u.sub_id, ex.program_id)], [u.keypair],
                   payer=u.keypair)


def order(ex: LocalExchange, u: LocalUser, s: side.SideKind, price: int, base: int) -> None:
    ex.svm.send_ok([ix.place_order(u.authority, u.address, 0, ix.order_args(s, price, base), [], ex.program_id)],
                   [u.keypair], payer=u.keypair)


@pytest.fixture
def cache(exchange: LocalExchange) -> AccountCache:
    return AccountCache(exchange.program_id)


def test_every_kind_decodes_from_real_accounts(exchange: LocalExchange, cache: AccountCache) -> None:
    ex = exchange
    m0, m1 = ex.add_market("SOL-PERP"), ex.add_market("BTC-PERP")
    u = ex.add_user(deposit=500 * QUOTE)
    ex.svm.send_ok([ix.initialize_insurance_fund(ex.admin.pubkey(), 60, ex.program_id)], [ex.admin], payer=ex.admin)
    ex.svm.send_ok([ix.add_insurance_stake(u.authority, u.token_account, 100 * QUOTE, ex.program_id)], [u.keypair],
                   payer=u.keypair)
    pid = ex.program_id
    book, queue = orderbook_pda(m0, pid), event_queue_pda(m0, pid)
    stake = insurance_stake_pda(u.authority, pid)

    # the book and queue arrive before their market: found through it once it is there
    assert cache.apply(read(ex, book, 5)) == "orderbook"
    assert cache.apply(read(ex, queue, 5)) == "event_queue"
    assert cache.orderbook(m0) is None and cache.orderbooks == {} and cache.event_queues == {}
    kinds = [cache.apply(read(ex, a, 6)) for a in (ex.address, ex.market_address(m0), ex.market_address(m1),
                                                  u.address, insurance_fund_pda(pid), stake)]
    assert kinds == ["exchange", "market", "market", "user", "insurance_fund", "insurance_stake"]

    assert isinstance(cache.exchange, Exchange) and cache.exchange.admin == ex.admin.pubkey()
    assert sorted(cache.markets) == [m0, m1] and all(isinstance(m, Market) for m in cache.markets.values())
    assert cache.markets[m1].market_index == m1
    assert cache.market_address(m0) == ex.market_address(m0) and cache.market_address(7) is None
    assert isinstance(cache.orderbook(m0), Orderbook) and cache.orderbook(m0).market == ex.market_address(m0)
    assert isinstance(cache.event_queue(m0), EventQueue) and cache.event_queue(m0).market == ex.market_address(m0)
    assert cache.orderbook(m1) is None  # not fed
    assert list(cache.orderbooks) == [m0] and list(cache.event_queues) == [m0]
    assert isinstance(cache.users[u.address], User) and cache.users[u.address].collateral == 500 * QUOTE
    assert isinstance(cache.insurance_fund, InsuranceFund) and cache.insurance_fund.total_shares > 0
    assert isinstance(cache.insurance_stakes[stake], InsuranceStake)
    assert cache.get(u.address) is cache.users[u.address] and cache.get(Pubkey.new_unique()) is None
    assert cache.slot_of(book) == 5 and cache.slot_of(u.address) == 6 and cache.slot_of(Pubkey.new_unique()) is None
    assert len(cache) == 8 and cache.rejected == cache.foreign == 0

    # market states only for markets with a mark price
    assert cache.market_states() == {}
    set_market_prices(ex.svm, ex.market_address(m1), 42 * PRICE)
    cache.apply(read(ex, ex.market_address(m1), 7))
    assert cache.market_states() == {m1: MarketState.from_account(ex.svm.decode(Market, ex.market_address(m1)))}
    assert cache.market_states()[m1].mark_price == 42 * PRICE


def test_older_reads_are_ignored(exchange: LocalExchange, cache: AccountCache) -> None:
    u = exchange.add_user(deposit=100 * QUOTE)
    assert cache.apply(read(exchange, u.address, 10)) == "user"
    deposit(exchange, u, 50 * QUOTE)
    newer = read(exchange, u.address, 9)
    assert cache.apply(newer) is None  # slot 9 < 10: stale, whatever it says
    assert cache.users[u.address].collateral == 100 * QUOTE and cache.slot_of(u.address) == 10
    assert int(cache.columns.collateral[0]) == 100 * QUOTE
    assert cache.apply(read(exchange, u.address, 10)) == "user"  # the same slot is not older
    assert cache.users[u.address].collateral == 150 * QUOTE
    assert int(cache.columns.collateral[0]) == 150 * QUOTE


def test_foreign_and_undecodable_accounts_are_counted_and_ignored(exchange: LocalExchange,
                                                                  cache: AccountCache) -> None:
    u = exchange.add_user(deposit=100 * QUOTE)
    real = read(exchange, u.address, 3)
    pid = exchange.program_id
    garbage = [
        AccountData(Pubkey.new_unique(), pid, 1, b"\x01" * 300, 3),  # unknown discriminator
        AccountData(Pubkey.new_unique(), pid, 1, real.data[:100], 3),  # a User cut short
        AccountData(Pubkey.new_unique(), pid, 1, Exchange.discriminator, 3),  # a discriminator alone
    ]
    assert [cache.apply(g) for g in garbage] == [None, None, None]
    assert cache.rejected == 3
    token_account = read(exchange, u.token_account, 3)  # the SPL Token program's
    user_bytes_elsewhere = AccountData(Pubkey.new_unique(), Pubkey.new_unique(), 1, real.data, 3)
    assert cache.apply(token_account) is None and cache.apply(user_bytes_elsewhere) is None
    assert cache.foreign == 2 and len(cache) == 0 and len(cache.columns) == 0

    # garbage at a cached key keeps the last good state
    assert cache.apply(real) == "user"
    assert cache.apply(AccountData(u.address, pid, real.lamports, b"\x00" * 40, 4)) is None
    assert cache.rejected == 4 and cache.users[u.address].collateral == 100 * QUOTE


def test_closed_accounts_are_removed_and_stay_removed(exchange: LocalExchange, cache: AccountCache) -> None:
    m = exchange.add_market("SOL-PERP")
    a, b = exchange.add_user(deposit=1 * QUOTE), exchange.add_user(deposit=2 * QUOTE)
    for acc in (exchange.market_address(m), a.address, b.address):
        cache.apply(read(exchange, acc, 20))
    a_then = read(exchange, a.address, 19)

    assert cache.apply(closed(a.address, 21)) == "user"
    assert cache.get(a.address) is None and cache.slot_of(a.address) is None
    assert list(cache.users) == [b.address] and cache.columns.keys == [b.address]
    assert cache.apply(a_then) is None  # a read from before the close does not bring it back
    assert cache.apply(AccountData(b.address, exchange.program_id, 5, b"", 21)) == "user"  # emptied data
    assert cache.users == {} and len(cache.columns) == 0
    assert cache.apply(AccountData(exchange.market_address(m), exchange.program_id, 0, b"\x00", 21)) == "market"
    assert cache.markets == {} and cache.market_address(m) is None
    assert cache.apply(closed(Pubkey.new_unique(), 22)) is None  # never cached: nothing to do
    # a later read of a re-created account is taken
    assert cache.apply(read(exchange, a.address, 30)) == "user" and list(cache.users) == [a.address]


def test_listeners_hear_applied_changes_only(exchange: LocalExchange, cache: AccountCache,
                                            caplog: pytest.LogCaptureFixture) -> None:
    u = exchange.add_user(deposit=1 * QUOTE)
    heard: list[tuple[str, Pubkey]] = []
    calls: list[int] = []

    def broken(kind: str, pubkey: Pubkey) -> None:
        calls.append(1)
        raise RuntimeError("listener bug")

    stop_broken = cache.subscribe(broken)
    stop = cache.subscribe(lambda kind, pubkey: heard.append((kind, pubkey)))
    with caplog.at_level(logging.ERROR, logger="keepers.cache"):
        cache.apply(read(exchange, u.address, 5))
    assert heard == [("user", u.address)] and calls == [1] and "listener bug" in caplog.text
    stop_broken()
    cache.apply(read(exchange, u.address, 4))  # stale
    cache.apply(AccountData(Pubkey.new_unique(), exchange.program_id, 1, b"junkjunkjunk", 6))  # rejected
    cache.apply(read(exchange, exchange.address, 6))
    cache.apply(closed(u.address, 7))
    assert heard == [("user", u.address), ("exchange", exchange.address), ("user", u.address)]
    assert calls == [1]
    stop()
    stop()  # twice is harmless
    cache.apply(read(exchange, exchange.address, 8))
    assert len(heard) == 3


def test_columns_follow_users_and_value_them_exactly(exchange: LocalExchange, cache: AccountCache) -> None:
    ex = exchange
    m = ex.add_market("SOL-PERP")
    set_market_prices(ex.svm, ex.market_address(m), 100 * PRICE)
    maker, taker, idle = (ex.add_user(tokens=1_000 * QUOTE, deposit=1_000 * QUOTE) for _ in range(3))
    order(ex, maker, side.Ask(), 100 * PRICE, 95 * BASE)  # rests
    order(ex, taker, side.Bid(), 100 * PRICE, 90 * BASE)  # takes 90 of it: the taker is long 90 now
    order(ex, idle, side.Bid(), 90 * PRICE, 1 * BASE)  # rests: open bids only
    for acc in (ex.market_address(m), maker.address, taker.address, idle.address):
        cache.apply(read(ex, acc, 40))

    cols = cache.columns
    assert set(cols.keys) == {maker.address, taker.address, idle.address}
    t, i = cols.index[taker.address], cols.index[idle.address]
    t_slot = [k for k, p in enumerate(cache.users[taker.address].positions) if p.base_amount][0]
    assert int(cols.base_amount[t, t_slot]) == 90 * BASE and int(cols.market_index[t, t_slot]) == m
    assert int(cols.open_bids[i].sum()) == 1 * BASE and sorted(cols.market_index[i].tolist()) == [-1] * 7 + [m]

    # the float scan and the exact check agree with compute_margin on the decoded users, at the mark and
    # at hypothetical ones: at 90 the taker (9,000 quote long on 1,000 collateral) is below maintenance
    for mark in (100 * PRICE, 95 * PRICE, 90 * PRICE, 120 * PRICE):
        states = at_marks(cache.market_states(), {m: mark})
        exact = {pk: compute_margin(u.collateral, [Position.from_account(p) for p in u.positions], states)
                 for pk, u in cache.users.items()}
        res = scan(cols, states)
        for pk, mg in exact.items():
            r = cols.index[pk]
            assert abs(res.equity[r] - mg.equity) <= res.tolerance[r]
            assert abs(res.maintenance[r] - mg.maintenance_requirement) <= res.tolerance[r]
        found = {c.pubkey for c in liquidatable(cols, states, cache.users)}
        assert found == {pk for pk, mg in exact.items() if mg.liquidatable}
        assert (taker.address in found) == (mark == 90 * PRICE)

    # a user closing its account leaves the columns; the rest keep their rows' meaning
    cache.apply(closed(idle.address, 41))
    assert set(cols.keys) == {maker.address, taker.address} and len(cols) == 2
    assert int(cols.base_amount[cols.index[taker.address]].sum()) == 90 * BASE


def test_an_unknown_program_id_sees_nothing(exchange: LocalExchange) -> None:
    cache = AccountCache(Keypair().pubkey())
    assert cache.apply(read(exchange, exchange.address, 1)) is None
    assert cache.foreign == 1 and cache.exchange is None


def test_refusal_names_why_a_delivery_cannot_be_applied(exchange: LocalExchange, cache: AccountCache) -> None:
    market = exchange.market_address(exchange.add_market("SOL-PERP"))
    good = read(exchange, market, 10)
    assert cache.refusal(good) is None and cache.apply(good) == "market"
    data = good.data
    assert cache.refusal(AccountData(market, SYSTEM_PROGRAM, good.lamports, data, 11)) == "foreign owner"
    assert cache.refusal(AccountData(market, good.owner, good.lamports, b"", 11)) == "no data"
    assert cache.refusal(read(exchange, market, 9)) == "older slot"
    assert cache.refusal(AccountData(market, good.owner, good.lamports, bytes(8) + data[8:], 11)) == \
        "unknown discriminator"
    truncated = AccountData(market, good.owner, good.lamports, data[: len(data) // 2], 11)
    assert cache.refusal(truncated) is None and cache.apply(truncated) is None  # only decoding finds it
    assert cache.get(market) is not None and cache.slot_of(market) == 10  # none of them touched the cache
