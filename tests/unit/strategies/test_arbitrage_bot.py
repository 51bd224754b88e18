"""The arbitrage bot on the in-process chain with the real program (LiteSVM).

Every expected figure is worked out by hand from the resting orders the test places (taker fee 10 bps,
threshold 5 bps, no latency risk):
- basis: a bid at 151 over an index of 150 is sold with one IOC, once;
- cross-market: an ask at 149 in one SOL market and a bid at 151 in the other are taken in ONE
  transaction, each leg fill-or-kill; when the second leg's order is gone before it lands, the whole
  transaction reverts (no position in either market);
- triangular: BTC bid 60,300 against BTCSOL 400 x SOL 150 = 60,000: three legs in one transaction;
- pairs: the z-score of SOLB against SOL enters when the spread jumps and exits when it comes back;
- risk: a leg over ``max_leg_quote`` is sized down, the kill switch stops new opportunities;
- a restarted bot repeats no landed opportunity.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from keepers.chain.inprocess import InProcessChain
from keepers.exchange import instructions as ix
from keepers.venues.base import ErrorKind, Fees, OrderRequest, Side, TimeInForce, VenueError
from keepers.venues.program_venue import ProgramVenue
from programs_client.perp.instructions.place_order import layout as place_order_layout
from programs_client.perp.types.order_args import OrderArgs
from programs_client.perp.types import order_type, side
from sim.scenario import LedgerWorld
from tests.unit.strategies.arb_world import (
    arb_keeper, arb_world, base_of, bot_of, cancel_maker, keeper_address, landed, publish, rest, run_until,
)

B = 1_000_000_000


@pytest.fixture
def world(perp_program: bytes) -> LedgerWorld:
    w = arb_world(perp_program)
    publish(w)
    return w


def _orders(world: LedgerWorld, signature: str) -> list[OrderArgs]:
    """The ``place_order`` arguments of a landed transaction, in order."""
    tx: VersionedTransaction = world.ledger.records[Signature.from_string(signature)].tx
    tag = bytes(ix.place_order(keeper_address(world), keeper_address(world), 0, ix.order_args(side.Bid(), 1, 1), [],
                               world.dep.program_id).data[:8])
    return [OrderArgs.from_decoded(place_order_layout.parse(bytes(i.data[8:])).order) for i in tx.message.instructions
            if tx.message.account_keys[i.program_id_index] == world.dep.program_id and bytes(i.data[:8]) == tag]


async def test_basis_sells_a_bid_above_the_index_once(world: LedgerWorld, tmp_path: Path) -> None:
    rest(world, 0, bid=True, price=151.0, base=0.5)
    keeper, chain = arb_keeper(world, tmp_path, strategies=["basis"], basis_markets=[0])
    await keeper.start()
    try:
        assert await run_until(world, lambda: base_of(world, 0) == -B // 2 and len(landed(keeper, "arb_legs")) == 1)
        await run_until(world, lambda: False, slots=5)
        assert base_of(world, 0) == -B // 2 and len(landed(keeper, "arb_legs")) == 1
        (args,) = _orders(world, landed(keeper, "arb_legs")[0].signature)
        assert isinstance(args.order_type, order_type.ImmediateOrCancel) and args.min_fill_base == 0  # basis: a plain IOC
        report = bot_of(keeper).analytics_report()["basis"]
        # sold 0.5 at 151 against 150: 0.5 less the fee of 0.001 x 75.5
        assert report["theoretical_edge"] == pytest.approx(0.5 - 0.0755, abs=1e-9)
        assert report["captured_edge"] == pytest.approx(0.4245, abs=1e-6)
        assert report["failed_legs"] == 0 and report["sent"] == 1 and report["send_ms_p50"] is not None
        text = keeper.metrics.render().decode()
        assert 'perpkeep_arb_legs_total{strategy="basis"} 1.0' in text
        assert "perpkeep_arb_opportunity_to_send_seconds_bucket" in text
    finally:
        await keeper.stop()
        await chain.close()


async def test_cross_market_legs_go_in_one_fill_or_kill_transaction(world: LedgerWorld, tmp_path: Path) -> None:
    rest(world, 0, bid=False, price=149.0, base=0.4)
    rest(world, 1, bid=True, price=151.0, base=0.4)
    keeper, chain = arb_keeper(world, tmp_path, strategies=["cross_market"], cross_markets=[[0, 1]])
    await keeper.start()
    try:
        assert await run_until(world, lambda: base_of(world, 0) == 4 * B // 10 and base_of(world, 1) == -4 * B // 10
                               and len(landed(keeper, "arb_legs")) == 1)
        (row,) = landed(keeper, "arb_legs")
        buy, sell = _orders(world, row.signature)
        assert (buy.price, buy.base_amount, buy.min_fill_base) == (149_000_000, 400_000_000, 400_000_000)
        assert (sell.price, sell.base_amount, sell.min_fill_base) == (151_000_000, 400_000_000, 400_000_000)
        report = bot_of(keeper).analytics_report()["cross_market"]
        # 0.4 x (151 - 149) less fees 0.001 x (59.6 + 60.4)
        assert report["theoretical_edge"] == pytest.approx(0.8 - 0.12, abs=1e-9)
        assert report["captured_edge"] == pytest.approx(0.68, abs=1e-6)
    finally:
        await keeper.stop()
        await chain.close()


class FrontRun(InProcessChain):
    """The chain as it is when another actor's transaction lands just before ours: ``before_send`` runs once,
    on the ledger, ahead of the first transaction the keeper sends."""

    before_send = None

    async def send(self, tx: VersionedTransaction) -> Signature:
        hook, self.before_send = self.before_send, None
        if hook is not None:
            hook()
        return await super().send(tx)


async def test_a_missed_second_leg_reverts_the_whole_transaction(world: LedgerWorld, tmp_path: Path) -> None:
    rest(world, 0, bid=False, price=149.0, base=0.4)
    rest(world, 1, bid=True, price=151.0, base=0.4)
    chain = FrontRun(world.ledger)
    keeper, _ = arb_keeper(world, tmp_path, chain=chain, strategies=["cross_market"], cross_markets=[[0, 1]],
                           max_failed_in_row=1)
    chain.before_send = lambda: cancel_maker(world, 1)  # the bid of the second leg is gone when ours lands
    await keeper.start()
    bot = bot_of(keeper)
    try:
        assert await run_until(world, lambda: bot.analytics["cross_market"].failed_legs == 2)
        failed = [e for e in keeper.journal.recent(100) if e.kind == "arb_legs"]
        assert failed and failed[0].status != "landed" and failed[0].error == "MinFillNotMet"
        # the first leg could fill alone, yet it did not: nothing moved in either market
        assert base_of(world, 0) == 0 and base_of(world, 1) == 0
        # max_failed_in_row = 1 tripped the kill switch (the next tick shows it)
        assert await run_until(world, lambda: bot.kill_reason == "failed_legs", slots=5)
        assert 'perpkeep_arb_killed{reason="failed_legs"} 1.0' in keeper.metrics.render().decode()
    finally:
        await keeper.stop()
        await chain.close()


async def test_triangular_takes_three_legs_in_one_transaction(world: LedgerWorld, tmp_path: Path) -> None:
    # BTC bid 60,300 (0.01) against BTCSOL ask 400 (0.01) and SOL ask 150 (4): 400 x 150 = 60,000
    rest(world, 2, bid=True, price=60_300.0, base=0.01)
    rest(world, 2, bid=False, price=60_400.0, base=0.01)
    rest(world, 3, bid=False, price=400.0, base=0.01)
    rest(world, 3, bid=True, price=399.0, base=0.01)
    rest(world, 0, bid=False, price=150.0, base=4.0)
    rest(world, 0, bid=True, price=149.9, base=4.0)
    keeper, chain = arb_keeper(world, tmp_path, strategies=["triangular"], triangles=[[2, 3, 0]])
    await keeper.start()
    try:
        assert await run_until(world, lambda: base_of(world, 2) == -B // 100 and len(landed(keeper, "arb_legs")) == 1)
        (row,) = landed(keeper, "arb_legs")
        legs = [(o.price, o.base_amount, o.min_fill_base) for o in _orders(world, row.signature)]
        # sell 0.01 BTC at 60,300; buy 0.01 BTCSOL at 400; buy 0.01 x 400 = 4 SOL at 150
        assert legs == [(60_300_000_000, 10_000_000, 10_000_000), (400_000_000, 10_000_000, 10_000_000),
                        (150_000_000, 4 * B, 4 * B)]
        assert base_of(world, 3) == B // 100 and base_of(world, 0) == 4 * B
        report = bot_of(keeper).analytics_report()["triangular"]
        # 0.01 x (60,300 - 60,000) less 3 x 0.001 x 603 (the notional of the first leg)
        assert report["theoretical_edge"] == pytest.approx(3.0 - 1.809, abs=1e-9)
    finally:
        await keeper.stop()
        await chain.close()


async def test_a_leg_over_the_notional_limit_is_sized_down(world: LedgerWorld, tmp_path: Path) -> None:
    rest(world, 0, bid=True, price=151.0, base=5.0)
    keeper, chain = arb_keeper(world, tmp_path, strategies=["basis"], basis_markets=[0], max_leg_quote=151.0,
                               max_total_quote=151.0, max_asset_base=1.0)
    await keeper.start()
    try:
        # 151 quote is 1.006 base at the index of 150, but the leg sells at 151: 1 base
        assert await run_until(world, lambda: base_of(world, 0) == -B)
        await run_until(world, lambda: False, slots=3)
        # one leg of 1 (never refused for its notional), then the exposure limit of 1 holds
        assert base_of(world, 0) == -B and set(bot_of(keeper).analytics["basis"].refused) == {"asset_exposure"}
    finally:
        await keeper.stop()
        await chain.close()


async def test_the_kill_switch_file_stops_new_opportunities(world: LedgerWorld, tmp_path: Path) -> None:
    kill = tmp_path / "kill"
    kill.touch()
    rest(world, 0, bid=True, price=151.0, base=0.5)
    keeper, chain = arb_keeper(world, tmp_path, strategies=["basis"], basis_markets=[0], kill_file=str(kill))
    await keeper.start()
    bot = bot_of(keeper)
    try:
        await run_until(world, lambda: False, slots=6)
        assert base_of(world, 0) == 0 and bot.kill_reason == "kill_file"
        assert 'perpkeep_arb_killed{reason="kill_file"} 1.0' in keeper.metrics.render().decode()
        kill.unlink()
        assert await run_until(world, lambda: base_of(world, 0) == -B // 2)
    finally:
        await keeper.stop()
        await chain.close()


async def test_asset_exposure_limit_refuses_what_would_grow_it(world: LedgerWorld, tmp_path: Path) -> None:
    rest(world, 0, bid=True, price=151.0, base=0.5)
    keeper, chain = arb_keeper(world, tmp_path, strategies=["basis"], basis_markets=[0], max_asset_base=0.4)
    await keeper.start()
    bot = bot_of(keeper)
    try:
        assert await run_until(world, lambda: bot.analytics["basis"].refused.get("asset_exposure", 0) > 0)
        assert base_of(world, 0) == 0
    finally:
        await keeper.stop()
        await chain.close()


async def test_pairs_enter_on_a_wide_z_score_and_exit_when_it_closes(world: LedgerWorld, tmp_path: Path) -> None:
    def quote(sol: float, solb: float) -> None:
        for index, mid in ((0, sol), (1, solb)):
            cancel_maker(world, index)
            rest(world, index, bid=True, price=mid - 0.05, base=2.0)
            rest(world, index, bid=False, price=mid + 0.05, base=2.0)

    keeper, chain = arb_keeper(world, tmp_path, strategies=["pairs"], pairs=[[1, 0]], pairs_warmup=10, pairs_base=0.5,
                               pairs_entry_z=2.0, pairs_exit_z=0.5, pairs_stop_z=50.0, pairs_delta=1e-6)
    await keeper.start()
    bot = bot_of(keeper)
    try:
        # SOLB follows SOL one for one while SOL swings 4 either way (the hedge ratio settles near 1; a
        # wobble of 0.01 gives the filter its noise)
        for i in range(24):
            sol = 150.0 + (0, 2, 4, 2, 0, -2, -4, -2)[i % 8]
            quote(sol, sol + ((i % 3) - 1) * 0.01)
            await run_until(world, lambda: False, slots=1)
        assert base_of(world, 1) == 0
        # SOLB jumps 1.5 above: the spread is rich, so short SOLB and long beta x SOL
        quote(150.0, 151.5)
        assert await run_until(world, lambda: base_of(world, 1) == -B // 2, slots=10)
        assert base_of(world, 0) > 0
        # the spread closes: both legs are bought back
        quote(150.0, 150.0)
        assert await run_until(world, lambda: base_of(world, 1) == 0 and base_of(world, 0) == 0, slots=10)
        assert bot.analytics["pairs"].sent >= 2
    finally:
        await keeper.stop()
        await chain.close()


class LostSends(InProcessChain):
    """The chain as a keeper that crashes right after sending sees it: the sends never arrive."""

    async def send(self, tx: VersionedTransaction) -> Signature:
        return tx.signatures[0]


async def test_a_restart_mid_send_neither_repeats_nor_forgets_the_legs(world: LedgerWorld, tmp_path: Path) -> None:
    rest(world, 0, bid=True, price=151.0, base=1.0)
    arb = dict(strategies=["basis"], basis_markets=[0], max_leg_quote=75.5, max_total_quote=75.5, max_asset_base=0.5)
    lost = LostSends(world.ledger)
    keeper, _ = arb_keeper(world, tmp_path, chain=lost, **arb)
    await keeper.start()
    try:
        assert await run_until(world, lambda: any(e.kind == "arb_legs" and e.status == "sent"
                                                  for e in keeper.journal.recent(10)), slots=10)
        (sent,) = [e for e in keeper.journal.recent(10) if e.kind == "arb_legs"]
    finally:
        await keeper.stop()
        await lost.close()
    assert base_of(world, 0) == 0  # nothing arrived
    again, chain = arb_keeper(world, tmp_path, **arb)
    await again.start()
    try:
        # the restarted keeper sends the journaled transaction again (the same signature), and the bot plans
        # nothing new: the same book is the same intent, and after it landed the exposure limit (0.5) holds
        ok = await run_until(world, lambda: base_of(world, 0) == -B // 2 and bool(landed(again, "arb_legs")))
        assert ok, (base_of(world, 0), again.journal.recent(10), again.stats)
        await run_until(world, lambda: False, slots=5)
        assert base_of(world, 0) == -B // 2
        assert [e.signature for e in landed(again, "arb_legs")] == [sent.signature]
    finally:
        await again.stop()
        await chain.close()


async def test_the_program_as_a_venue(world: LedgerWorld, tmp_path: Path) -> None:
    rest(world, 0, bid=True, price=151.0, base=0.5)
    rest(world, 0, bid=True, price=151.0, base=0.25)
    rest(world, 0, bid=False, price=152.0, base=1.0)
    keeper, chain = arb_keeper(world, tmp_path, strategies=["basis"], basis_markets=[1], kill=True)
    await keeper.start()
    venue = ProgramVenue(keeper.ctx, keeper_address(world))
    try:
        assert await run_until(world, lambda: venue.book_now("0").best_bid is not None, slots=10)
        book = await venue.book("0")
        assert book.bids == ((D("151"), D("0.75")),) and book.asks == ((D("152"), D("1")),)  # same prices aggregated
        assert venue.fees("0") == Fees(D("-0.0002"), D("0.001"))  # a 2 bps rebate, a 10 bps taker fee
        with pytest.raises(VenueError) as e:
            await venue.place(OrderRequest("0", Side.SELL, D("0.0005"), D("151"), TimeInForce.IOC))
        assert e.value.kind is ErrorKind.REJECTED  # under the 0.001 lot
        report = await venue.place(OrderRequest("0", Side.SELL, D("0.6"), D("151"), TimeInForce.IOC))
        assert (report.status, report.filled) == ("closed", D("0.6"))
        missed = await venue.place(OrderRequest("0", Side.SELL, D("0.5"), D("151"), TimeInForce.FOK))
        assert (missed.status, missed.filled) == ("expired", D("0"))  # only 0.15 left at 151: fill-or-kill
        assert await run_until(world, lambda: base_of(world, 0) == -600_000_000, slots=5)
        assert (await venue.positions())["0"] == D("-0.6") and len(venue.latency) == 1
        with pytest.raises(VenueError) as e:
            venue.book_now("9")
        assert e.value.kind is ErrorKind.REJECTED
    finally:
        await keeper.stop()
        await chain.close()
