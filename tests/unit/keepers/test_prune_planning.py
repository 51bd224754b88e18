"""The settler's ``prune_expired_orders`` plan, on the real program in an in-process ledger: it plans only
once an order is past its expiry slot (the slot itself is live), names the book's state and the expired
count in its key, lands, and a second keeper racing it gets NothingToPrune, an expected answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from keepers.bots.settler import expired_orders, prune_action
from keepers.exchange import instructions as ix
from keepers.execution.error_policy import ProgramErrorName as E, Verdict, classify
from localnet.build import build_program
from programs_client.perp.accounts import Market, Orderbook
from programs_client.perp.constants import BASE_PRECISION as BASE
from programs_client.perp.errors import custom
from programs_client.perp.types import side
from sim.scenario import LedgerWorld, ScenarioSettings, build_ledger_world


@pytest.fixture
def world(perp_program: bytes) -> LedgerWorld:
    return build_ledger_world(ScenarioSettings(users=2), perp_program, Path(build_program("mock_oracle")).read_bytes())


def test_prune_is_planned_after_the_expiry_slot_and_lands_once(world: LedgerWorld) -> None:
    ledger, dep = world.ledger, world.dep
    pid, owner, user = dep.program_id, dep.wallets["user-0"], dep.user_accounts["user-0"]
    market = Market.decode(bytes(ledger.get_account(dep.markets[0].address).data))
    tick, expiry = market.params.tick_size, ledger.slot + 2
    prices = [market.mark_price * (103 + k) // 100 // tick * tick for k in range(3)]
    orders = [ix.order_args(side.Ask(), p, BASE // 10, expiry_slot=expiry if k else 0) for k, p in enumerate(prices)]
    assert ledger.send([ix.place_order(owner.pubkey(), user, 0, o, [], pid) for o in orders], [owner]).ok

    def book() -> Orderbook:
        return Orderbook.decode(bytes(ledger.get_account(market.orderbook).data))

    def plan(slot: int) -> object:
        return prune_action("settler", 0, market.orderbook, book(), 7, slot, pid)

    assert expired_orders(book(), expiry) == 0 and plan(expiry) is None  # the expiry slot itself is live
    assert expired_orders(None, expiry + 1) == 0
    while ledger.slot <= expiry:
        ledger.advance_slot()
    action = plan(ledger.slot)
    assert action is not None and action.key == "prune_expired:0:7:2" and action.target == market.orderbook
    assert action.expected == frozenset({E.NothingToPrune})
    assert ledger.send(list(action.instructions), [], dep.wallets["keeper"]).ok
    assert [o.price for o in book().asks[:book().ask_count]] == prices[:1] and plan(ledger.slot) is None
    # another keeper's prune planned from the same book, sent after this one: a normal answer, skipped
    late = ledger.send([ix.prune_expired_orders(0, 64, pid)], [], dep.wallets["keeper"])
    assert not late.ok and late.error_name == custom.NothingToPrune.__name__
    assert classify(late.error)[1] is Verdict.SKIP
