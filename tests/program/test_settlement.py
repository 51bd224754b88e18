"""settle_pnl: realised PnL into collateral through the market's PnL pool.

A loss moves min(loss, collateral) from the user's collateral into the pool; a profit moves
min(profit, pool) from the pool into collateral; the rest stays unsettled. Positions are mirrored with
keepers.exchange.margin (fees: taker ceil(quote * taker bps / 1e4), maker rebate floor(quote * rebate bps / 1e4)),
and after every step vault == exchange total == users' collateral + PnL pools.
"""

from __future__ import annotations

from dataclasses import replace

from keepers.exchange import instructions as ix
from keepers.exchange.margin import ASK, BID, MarketState, Position, apply_fill, fill_quote
from localnet.bootstrap import LocalExchange, LocalUser, default_market_params
from programs_client.perp.constants import BASE_PRECISION as BASE, PRICE_PRECISION as PRICE, QUOTE_PRECISION as QUOTE
from programs_client.perp.types import side
from tests.program.helpers import set_market_prices, single_event
from tests.program.oracle_accounts import market, priced_market, take, trade, user

PARAMS = default_market_params()


def taker_fee(quote: int) -> int:
    return -(-quote * PARAMS.taker_fee_bps // 10_000)


def maker_rebate(base: int, price: int) -> int:
    return base * price // BASE * PARAMS.maker_rebate_bps // 10_000


class Book:
    """Mirror of the positions of one market, fed with the trades the test makes."""

    def __init__(self, exchange: LocalExchange, index: int) -> None:
        self.exchange = exchange
        self.index = index
        self.positions: dict[bytes, Position] = {}

    def ms(self) -> MarketState:
        return MarketState.from_account(market(self.exchange, self.index))

    def pos(self, u: LocalUser) -> Position:
        return self.positions.get(bytes(u.address), Position(market_index=self.index))

    def fill(
        self, maker: LocalUser, taker: LocalUser, taker_side: side.SideKind, price: int, base: int,
        maker_reduce_only: bool = False,
    ) -> None:
        ms = self.ms()
        t_side = BID if isinstance(taker_side, side.Bid) else ASK
        m_side = ASK if t_side == BID else BID
        t_quote, m_quote = fill_quote(base, price, t_side), fill_quote(base, price, m_side)
        t, _ = apply_fill(self.pos(taker), ms, t_side, base, t_quote)
        m, _ = apply_fill(self.pos(maker), ms, m_side, base, m_quote)
        self.positions[bytes(taker.address)] = replace(
            t, unsettled_pnl=t.unsettled_pnl - taker_fee(t_quote)
        )
        self.positions[bytes(maker.address)] = replace(
            m, unsettled_pnl=m.unsettled_pnl + maker_rebate(base, price)
        )
        if maker_reduce_only:
            order = ix.order_args(side.Ask() if t_side == BID else side.Bid(), price, base, reduce_only=True)
            self.exchange.svm.send_ok([ix.place_order(maker.authority, maker.address, self.index, order)], [maker.keypair])
            assert take(self.exchange, taker, self.index, taker_side, price, base).ok
            self.exchange.svm.send_ok([ix.consume_events(self.index, [maker.address], 16)])
        else:
            trade(self.exchange, maker, taker, self.index, taker_side, price, base)
        for u in (maker, taker):
            assert self.onchain(u) == self.pos(u)

    def onchain(self, u: LocalUser) -> Position:
        for p in user(self.exchange, u).positions:
            if p.market_index == self.index and (
                p.base_amount or p.quote_entry_amount or p.unsettled_pnl
            ):
                return Position.from_account(p)
        return Position(market_index=self.index)


def check_conservation(exchange: LocalExchange) -> None:
    vault, total, claims = exchange.conservation()
    assert vault == total == claims


def settle(exchange: LocalExchange, u: LocalUser, index: int, pnl: int) -> int:
    """settle_pnl, checked against the bounds; returns the amount moved."""
    collateral = user(exchange, u).collateral
    pool = market(exchange, index).pnl_pool
    moved = -min(-pnl, collateral) if pnl < 0 else min(pnl, pool)
    out = exchange.svm.send_ok([ix.settle_pnl(u.address, index)])
    ev = single_event(out, "PnlSettled")
    assert ev.user == u.address
    assert (
        ev.amount,
        ev.collateral_after,
        ev.pnl_pool_after,
        ev.unsettled_after,
        ev.market_index,
    ) == (
        moved,
        collateral + moved,
        pool - moved,
        pnl - moved,
        index,
    )
    assert user(exchange, u).collateral == collateral + moved
    assert market(exchange, index).pnl_pool == pool - moved
    check_conservation(exchange)
    return moved


def test_loss_is_bounded_by_collateral_and_profit_by_the_pool(exchange: LocalExchange) -> None:
    index, _ = priced_market(exchange, 100 * PRICE)
    loser = exchange.add_user(deposit=200 * QUOTE)
    winner = exchange.add_user(deposit=500 * QUOTE)
    book = Book(exchange, index)
    book.fill(loser, winner, side.Bid(), 100 * PRICE, 10 * BASE)  # loser short 10 @ 100 (maker)
    # the price jumps to 130 and the loser buys back there: a 300 loss on 200 collateral. Below zero
    # already, it can only close at the mark (a reduce-only order no worse than a liquidation).
    set_market_prices(exchange.svm, exchange.market_address(index), 130 * PRICE)
    book.fill(loser, winner, side.Ask(), 130 * PRICE, 10 * BASE, maker_reduce_only=True)
    lp, wp = book.pos(loser), book.pos(winner)
    assert (lp.base_amount, wp.base_amount) == (0, 0)
    assert lp.unsettled_pnl < -200 * QUOTE and wp.unsettled_pnl > 200 * QUOTE
    check_conservation(exchange)

    # the winner first: the pool is empty, nothing moves
    assert market(exchange, index).pnl_pool == 0
    assert settle(exchange, winner, index, wp.unsettled_pnl) == 0
    # the loser pays what it has
    assert settle(exchange, loser, index, lp.unsettled_pnl) == -200 * QUOTE
    assert user(exchange, loser).collateral == 0
    assert book.onchain(loser).unsettled_pnl == lp.unsettled_pnl + 200 * QUOTE
    # the winner gets what the pool holds
    assert settle(exchange, winner, index, wp.unsettled_pnl) == 200 * QUOTE
    assert market(exchange, index).pnl_pool == 0
    assert book.onchain(winner).unsettled_pnl == wp.unsettled_pnl - 200 * QUOTE
    # the loser, with no collateral left, moves nothing more
    assert settle(exchange, loser, index, lp.unsettled_pnl + 200 * QUOTE) == 0


def test_profit_is_paid_in_full_when_the_pool_covers_it(exchange: LocalExchange) -> None:
    index, _ = priced_market(exchange, 100 * PRICE)
    a, b = exchange.add_user(deposit=1_000 * QUOTE), exchange.add_user(deposit=1_000 * QUOTE)
    book = Book(exchange, index)
    book.fill(a, b, side.Bid(), 100 * PRICE, 3 * BASE)  # b long 3 @ 100, a short
    book.fill(a, b, side.Ask(), 101 * PRICE + 370_000, 3 * BASE)  # b sells to a at 101.37
    ap, bp = book.pos(a), book.pos(b)
    assert ap.unsettled_pnl < 0 < bp.unsettled_pnl < -ap.unsettled_pnl  # the fees stay in the pool
    assert settle(exchange, a, index, ap.unsettled_pnl) == ap.unsettled_pnl
    assert settle(exchange, b, index, bp.unsettled_pnl) == bp.unsettled_pnl
    assert book.onchain(a) == replace(ap, unsettled_pnl=0)
    assert book.onchain(b) == replace(bp, unsettled_pnl=0)
    assert market(exchange, index).pnl_pool == -ap.unsettled_pnl - bp.unsettled_pnl


def test_only_realised_pnl_moves_with_an_open_position(exchange: LocalExchange) -> None:
    index, feed = priced_market(exchange, 100 * PRICE)
    a, b = exchange.add_user(deposit=1_000 * QUOTE), exchange.add_user(deposit=1_000 * QUOTE)
    book = Book(exchange, index)
    book.fill(a, b, side.Bid(), 100 * PRICE, 4 * BASE)
    feed.set(120 * PRICE)  # b's long is 80 up, unrealised
    c = exchange.svm.clock()
    exchange.svm.warp(c.slot + 1, c.unix_timestamp + 1)
    exchange.svm.send_ok([ix.update_prices(index, feed.address)])
    bp = book.pos(b)
    assert bp.unsettled_pnl == -taker_fee(400 * QUOTE)
    assert settle(exchange, b, index, bp.unsettled_pnl) == bp.unsettled_pnl
    assert book.onchain(b) == replace(bp, unsettled_pnl=0)  # base and entry untouched
    ap = book.pos(a)
    assert ap.unsettled_pnl == maker_rebate(4 * BASE, 100 * PRICE) > 0
    assert settle(exchange, a, index, ap.unsettled_pnl) == ap.unsettled_pnl


def test_nothing_to_settle(exchange: LocalExchange) -> None:
    index, _ = priced_market(exchange, 100 * PRICE)
    u = exchange.add_user(deposit=10 * QUOTE)
    assert settle(exchange, u, index, 0) == 0
    assert user(exchange, u).collateral == 10 * QUOTE


def test_each_market_pays_from_its_own_pool(exchange: LocalExchange) -> None:
    m0, _ = priced_market(exchange, 100 * PRICE)
    m1, _ = priced_market(exchange, 100 * PRICE)
    a, b = exchange.add_user(deposit=1_000 * QUOTE), exchange.add_user(deposit=1_000 * QUOTE)
    c, d = exchange.add_user(deposit=1_000 * QUOTE), exchange.add_user(deposit=1_000 * QUOTE)
    book0, book1 = Book(exchange, m0), Book(exchange, m1)
    book0.fill(a, b, side.Bid(), 100 * PRICE, BASE)
    book0.fill(a, b, side.Ask(), 90 * PRICE, BASE)  # b loses 10 in market 0
    book1.fill(c, d, side.Bid(), 100 * PRICE, BASE)
    book1.fill(c, d, side.Ask(), 110 * PRICE, BASE)  # d wins 10 in market 1
    assert settle(exchange, b, m0, book0.pos(b).unsettled_pnl) < 0
    assert market(exchange, m0).pnl_pool > 0 and market(exchange, m1).pnl_pool == 0
    # market 0's pool does not pay market 1's winner
    assert settle(exchange, d, m1, book1.pos(d).unsettled_pnl) == 0
    assert settle(exchange, c, m1, book1.pos(c).unsettled_pnl) < 0
    assert settle(exchange, d, m1, book1.pos(d).unsettled_pnl) == min(
        book1.pos(d).unsettled_pnl, -book1.pos(c).unsettled_pnl
    )
