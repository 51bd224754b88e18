"""Minimal reproductions of what the fuzzer (``localnet.fuzz``, ``tests/program/test_fuzz.py``) found, against
the built program in LiteSVM. Each was a known item of issue 12 (items 1, 2 and 8), found before its fix
landed; each test states the behaviour the fix gives and stays as a regression test.

The fuzzer's check "attacker account left in bad debt by ..." found all three: one attacker-controlled
account ends below zero equity at the mark while the accomplice on the other side of the trade holds the
gain; ``resolve_bankruptcy`` later covers the hole from the insurance fund or socialises it.
"""

from __future__ import annotations

from keepers.exchange import instructions as ix
from keepers.exchange import margin as mirror
from localnet.bootstrap import LocalExchange, LocalUser
from programs_client.perp.accounts import Market
from programs_client.perp.constants import BASE_PRECISION as BASE, PRICE_PRECISION as PRICE, QUOTE_PRECISION as QUOTE
from programs_client.perp.types import order_type, side
from tests.program.helpers import set_market_prices

MARK = 100 * PRICE  # the band is [50, 150]
LOW_EDGE, HIGH_EDGE = MARK - MARK // 2, MARK + MARK // 2
SIZE = 80 * BASE  # 8,000 quote at the mark: 8x the attacker's 1,000 collateral (initial margin 10%)


def _setup(exchange: LocalExchange) -> tuple[LocalUser, LocalUser, LocalUser]:
    exchange.add_market("AAA-PERP")
    set_market_prices(exchange.svm, exchange.market_address(0), MARK)
    attacker = exchange.add_user(tokens=1_000 * QUOTE, deposit=1_000 * QUOTE)
    accomplice = exchange.add_user(tokens=100_000 * QUOTE, deposit=100_000 * QUOTE)
    liquidator = exchange.add_user(tokens=100_000 * QUOTE, deposit=100_000 * QUOTE)
    return attacker, accomplice, liquidator


def _place(exchange: LocalExchange, u: LocalUser, s: side.SideKind, price: int, kind: object,
           reduce_only: bool = False):  # noqa: ANN202 - an Outcome
    args = ix.order_args(s, price, SIZE, kind, reduce_only=reduce_only)  # type: ignore[arg-type]
    return exchange.svm.send([ix.place_order(u.authority, u.address, 0, args, [], exchange.program_id)], [u.keypair],
                             payer=u.keypair)


def _consume(exchange: LocalExchange, makers: list[LocalUser]) -> None:
    exchange.svm.send_ok([ix.consume_events(0, [m.address for m in makers], 16, exchange.program_id)])


def _equity(exchange: LocalExchange, u: LocalUser) -> int:
    state = exchange.user_state(u)
    market = mirror.MarketState.from_account(exchange.svm.decode(Market, exchange.market_address(0)))
    return mirror.compute_margin(state.collateral, [mirror.Position.from_account(p) for p in state.positions],
                                 {0: market}).equity


def test_a_reduce_only_close_at_the_band_edge_does_not_leave_the_account_below_zero(exchange: LocalExchange) -> None:
    attacker, accomplice, _ = _setup(exchange)
    assert _place(exchange, accomplice, side.Ask(), MARK, order_type.Limit()).ok
    assert _place(exchange, attacker, side.Bid(), MARK, order_type.ImmediateOrCancel()).ok  # long 80 at 100
    _consume(exchange, [accomplice])
    assert _place(exchange, accomplice, side.Bid(), LOW_EDGE, order_type.Limit()).ok  # the accomplice bids 50
    # The attacker sells its long to the accomplice at 50: a 4,000 loss on 1,000 of collateral.
    out = _place(exchange, attacker, side.Ask(), LOW_EDGE, order_type.ImmediateOrCancel(), reduce_only=True)
    if out.ok:
        _consume(exchange, [accomplice])
        assert _equity(exchange, attacker) >= 0, "the reduce-only fill left the account below zero"


def test_a_maker_fill_at_the_band_edge_does_not_leave_the_maker_below_zero(exchange: LocalExchange) -> None:
    """The attacker bids 150 (at the mark, a bid there needs initial margin 800 of its 1,000); the accomplice
    sells into it; the fill is applied. The program must refuse the bid or leave the maker above zero."""
    attacker, accomplice, _ = _setup(exchange)
    if not _place(exchange, attacker, side.Bid(), HIGH_EDGE, order_type.Limit()).ok:
        return
    assert _place(exchange, accomplice, side.Ask(), HIGH_EDGE, order_type.ImmediateOrCancel()).ok
    _consume(exchange, [attacker])
    assert _equity(exchange, attacker) >= 0, "the maker fill left the account below zero"


def test_liquidating_an_account_below_zero_charges_no_fee_it_cannot_pay(exchange: LocalExchange) -> None:
    attacker, accomplice, liquidator = _setup(exchange)
    assert _place(exchange, accomplice, side.Ask(), MARK, order_type.Limit()).ok
    assert _place(exchange, attacker, side.Bid(), MARK, order_type.ImmediateOrCancel()).ok  # long 80 at 100
    _consume(exchange, [accomplice])
    set_market_prices(exchange.svm, exchange.market_address(0), MARK * 85 // 100)  # a 15% crash: -1,200
    before = _equity(exchange, attacker)
    assert before < 0
    exchange.svm.send_ok([ix.liquidate_perp(liquidator.authority, liquidator.address, attacker.address, 0, 2**64 - 1,
                                            [], exchange.program_id)], [liquidator.keypair], payer=liquidator.keypair)
    after = _equity(exchange, attacker)
    assert after >= before, f"the liquidation took {before - after} more from an account already at {before}"
