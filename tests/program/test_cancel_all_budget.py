"""A ``cancel_all_orders`` costs more with every order it removes, which its data cannot tell: the keepers
size its compute-unit limit from the table's case plus what the sender knows rests
(``compute_budget.cancel_all_extra_units``). A market maker's kill switch or shutdown cancel on a full
ladder must never run out of compute units."""

from __future__ import annotations

import pytest
from solders.compute_budget import set_compute_unit_limit

from keepers.exchange import instructions as ix
from keepers.execution import compute_budget
from localnet.bootstrap import LocalExchange, default_market_params
from programs_client.perp.constants import MAX_ORDERS_PER_USER_LIMIT, QUOTE_PRECISION as QUOTE
from programs_client.perp.types import side
from tests.program.test_trading import B, P, POST_ONLY, Trading


@pytest.mark.parametrize("resting", [8, 40, MAX_ORDERS_PER_USER_LIMIT])
def test_cancel_all_of_a_full_ladder_fits_the_limit_the_keepers_set(exchange: LocalExchange, resting: int) -> None:
    t = Trading(exchange, params=default_market_params(max_orders_per_user=MAX_ORDERS_PER_USER_LIMIT))
    maker = t.add_user(deposit=1_000_000 * QUOTE)
    for i in range(resting):  # half a side each, away from the mark of 100
        bid = i % 2 == 0
        price = (90 - i // 2 * 0.25 if bid else 110 + i // 2 * 0.25)
        order = ix.order_args(side.Bid() if bid else side.Ask(), int(price * P), B // 100, POST_ONLY)
        out = t.svm.send([ix.place_order(maker.authority, maker.address, 0, order)], [maker.keypair])
        assert out.ok, out
    assert len(t.bids()) + len(t.asks()) == resting
    cancel = ix.cancel_all_orders(maker.authority, maker.address, 0)
    limit = compute_budget.floor([cancel]) + compute_budget.cancel_all_extra_units(resting)
    out = t.svm.send([set_compute_unit_limit(limit), cancel], [maker.keypair])
    assert out.ok, out
    assert t.bids() == [] and t.asks() == []
    # each removal costs something: a full book's cancel costs several times an empty one's (measured
    # here, not taken from the table), and the table's floor alone would not have covered a full one
    empty = t.svm.send([cancel], [maker.keypair])
    assert empty.ok
    if resting == MAX_ORDERS_PER_USER_LIMIT:
        assert out.compute_units > 10 * empty.compute_units
        assert out.compute_units > compute_budget.floor([cancel]), (out.compute_units, compute_budget.floor([cancel]))
