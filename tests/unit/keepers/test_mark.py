"""``keepers.exchange.mark.next_mark`` against the program: predict, crank ``update_prices`` in LiteSVM, compare."""

from __future__ import annotations

import random
from pathlib import Path

from keepers.exchange import instructions as ix
from keepers.bots.mark_price import oracle_accounts
from keepers.exchange.mark import book_premium, next_mark
from keepers.exchange.oracles import RawAccount, Selected, select_price
from localnet.build import build_program
from programs_client.perp.accounts import Market, Orderbook
from sim.scenario import ScenarioSettings, build_ledger_world


def test_next_mark_is_what_update_prices_sets(perp_program: bytes) -> None:
    world = build_ledger_world(ScenarioSettings(users=1, seconds_per_slot=7, funding_period_s=600), perp_program,
                               Path(build_program("mock_oracle")).read_bytes())
    ledger, dep = world.ledger, world.dep
    info = dep.markets[0]
    maker = world.scenario.makers[0]
    authority = dep.oracle_authority
    rng = random.Random(3)
    premiums = set()
    for step in range(40):
        price = info.initial_price * rng.uniform(0.9, 1.1)
        if step % 4 == 0:  # sometimes the book is quoted away from the oracle, sometimes it is empty
            mid = price * rng.uniform(0.8, 1.2)
            out = ledger.send(maker.quote_instructions(0, mid) if step % 8 else
                              maker.quote_instructions(0, mid)[:1], [maker.keypair], maker.keypair)
            assert out.ok, out
        for _ in range(rng.randrange(1, 6)):
            ledger.advance_slot()
        assert ledger.send(info.oracles.write_ixs(authority.pubkey(), price), [], authority).ok
        market = Market.decode(bytes(ledger.get_account(info.address).data))
        book = Orderbook.decode(bytes(ledger.get_account(market.orderbook).data))
        primary, fallback = oracle_accounts(market)
        raw = {k: RawAccount(k, a.owner, bytes(a.data)) for k in (primary, fallback) if k and (a := ledger.get_account(k))}
        now = ledger.svm.get_clock().unix_timestamp
        chosen = select_price(market.oracle, market.params, ledger.slot, raw.get(primary), raw.get(fallback) if fallback else None, now)
        assert isinstance(chosen, Selected)
        predicted = next_mark(market, book, chosen.price.price_1e6, now, ledger.slot)
        premiums.add(book_premium(book, chosen.price.price_1e6, market.premium_order_id_limit, ledger.slot) != 0)
        assert ledger.send([ix.update_prices(0, primary, fallback, dep.program_id)], [], dep.wallets["admin"]).ok
        after = Market.decode(bytes(ledger.get_account(info.address).data))
        assert after.mark_price == predicted, step
        if step % 5 == 0:  # a second crank in the same slot: the premium does not move
            book = Orderbook.decode(bytes(ledger.get_account(market.orderbook).data))
            predicted = next_mark(after, book, chosen.price.price_1e6, now, ledger.slot)
            assert ledger.send([ix.update_prices(0, primary, fallback, dep.program_id), ix.update_prices(0, primary, fallback, dep.program_id)],
                               [], dep.wallets["admin"]).ok
            again = Market.decode(bytes(ledger.get_account(info.address).data))
            assert again.mark_price == predicted == after.mark_price and again.premium_ema == after.premium_ema, step
    assert premiums == {True, False}  # both a quoted and an empty book were compared
