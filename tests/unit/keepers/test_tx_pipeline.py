"""The transaction pipeline on the real program in an in-process ledger: sizing, journal, locks,
verdicts, expiry, fees."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.pubkey import Pubkey

from keepers.exchange import instructions as ix
from keepers.bots.mark_price import oracle_accounts
from keepers.bots.drain import queued_makers
from keepers.bots.settler import consume_action, open_positions, plan_user_settlements
from keepers.chain.base import URGENT
from keepers.chain.inprocess import InProcessChain
from keepers.config import FeesConfig
from keepers.execution import compute_budget
from keepers.execution.error_policy import Verdict
from keepers.execution.journal import Journal
from keepers.exchange.margin import MarketState
from keepers.observability.metrics import Metrics
from keepers.runtime import Keeper
from keepers.execution import pipeline as tx
from keepers.execution.pipeline import Action, ActionStatus, TxPipeline, fee_lamports, priority_price
from localnet.build import build_program
from localnet.rpc.config import FaultConfig
from localnet.rpc.faults import FaultInjector
from programs_client.perp.accounts import EventQueue, Market, User
from programs_client.perp.types import order_type, side
from sim.scenario import LedgerWorld, ScenarioSettings, build_ledger_world
from sim.traders import to_lots, to_ticks
from tests.unit.keepers.support import in_process_config

SETTINGS = ScenarioSettings(users=2, seconds_per_slot=600, funding_period_s=3600)  # a funding period in 6 slots


@pytest.fixture
def world(perp_program: bytes) -> LedgerWorld:
    return build_ledger_world(SETTINGS, perp_program, Path(build_program("mock_oracle")).read_bytes())


@pytest.fixture
async def pipeline(world: LedgerWorld, tmp_path: Path) -> TxPipeline:
    chain = InProcessChain(world.ledger)
    p = TxPipeline(chain, world.dep.wallets["keeper"], Journal(tmp_path / "j.sqlite"), Metrics(), FeesConfig(),
                   commitment="processed", poll_s=0.01, resend_s=0.05)
    yield p
    await p.close()
    await chain.close()
    p.journal.close()


def _market(world: LedgerWorld, index: int = 0) -> Market:
    return Market.decode(bytes(world.ledger.get_account(world.dep.markets[index].address).data))


def _crank(world: LedgerWorld, key: str = "crank-1", index: int = 0) -> Action:
    primary, fallback = oracle_accounts(_market(world, index))
    return Action("test", "update_prices", key, world.dep.markets[index].address,
                  (ix.update_prices(index, primary, fallback, world.dep.program_id),))


def _budget_of(world: LedgerWorld, signature: object) -> tuple[int, int]:
    """(compute unit limit, micro-lamports per CU) the landed transaction asked for."""
    tx = world.ledger.records[signature].tx
    keys = tx.message.account_keys
    limit = price = 0
    for ci in tx.message.instructions:
        if str(keys[ci.program_id_index]) != "ComputeBudget111111111111111111111111111111":
            continue
        data = bytes(ci.data)
        if data[0] == 2:
            limit = int.from_bytes(data[1:5], "little")
        elif data[0] == 3:
            price = int.from_bytes(data[1:9], "little")
    return limit, price


async def test_a_crank_lands_once_sized_by_simulation(world: LedgerWorld, pipeline: TxPipeline) -> None:
    world.ledger.advance_slot()
    sent_before = len(world.ledger.records)
    r = await pipeline.submit(_crank(world))
    assert r.status == "landed", r
    assert len(world.ledger.records) == sent_before + 1
    record = world.ledger.records[r.signature]
    limit, _ = _budget_of(world, r.signature)
    # The limit is the simulated cost plus the two budget instructions, with 15% headroom; the real
    # cost of the landed transaction fits under it.
    assert record.compute_units < limit
    assert limit == r.compute_units
    entry = pipeline.journal.latest("crank-1")
    assert entry is not None and entry.status == "landed" and entry.signature == str(r.signature)
    again = await pipeline.submit(_crank(world))
    assert again.status == "done"
    assert len(world.ledger.records) == sent_before + 1


async def test_one_action_per_kind_and_target_in_flight(world: LedgerWorld, pipeline: TxPipeline) -> None:
    first = _crank(world, "a")
    assert pipeline.reserve(first)
    assert (await pipeline.submit(_crank(world, "b"))).status == "busy"
    other_kind = Action("test", "update_funding", "f", first.target, (ix.update_funding(0, world.dep.program_id),))
    assert (await pipeline.submit(other_kind)).status != "busy"
    assert (await pipeline.submit(first, reserved=True)).status == "landed"
    assert not pipeline.busy("update_prices", first.target)


async def test_a_skip_is_final_and_a_retry_is_not(world: LedgerWorld, pipeline: TxPipeline) -> None:
    dep = world.dep
    keeper = dep.wallets["keeper"]
    # A healthy user cannot be liquidated: NotLiquidatable closes that intent for good.
    victim = dep.user_accounts["user-0"]
    liquidate = Action("test", "liquidate_perp", "liq", victim, (ix.liquidate_perp(
        keeper.pubkey(), dep.user_accounts["keeper"], victim, 0, 10**9, [dep.markets[1].address], dep.program_id),))
    r = await pipeline.submit(liquidate)
    assert (r.status, r.error_name, r.verdict) == ("failed", "NotLiquidatable", Verdict.SKIP)
    assert pipeline.journal.latest("liq").status == "skipped"
    assert (await pipeline.submit(liquidate)).status == "done"
    # Funding cranked twice in one period: the second is too early, which may succeed later.
    for _ in range(7):
        world.ledger.advance_slot()
    funding = Action("test", "update_funding", "fund", dep.markets[0].address,
                     (ix.update_funding(0, dep.program_id),), expected=frozenset({"FundingTooEarly"}))
    first = await pipeline.submit(funding)
    assert first.status == "landed", first
    early = Action("test", "update_funding", "fund-2", dep.markets[0].address, funding.instructions,
                   expected=frozenset({"FundingTooEarly"}))
    r = await pipeline.submit(early)
    assert (r.error_name, r.verdict, r.expected) == ("FundingTooEarly", Verdict.RETRY, True)
    assert pipeline.journal.latest("fund-2").status == "failed"
    assert (await pipeline.submit(early)).status == "failed"  # tried again, not refused
    assert pipeline.outcomes[("update_funding", "expected")] == 2


async def test_an_unlandable_transaction_is_resent_until_its_blockhash_expires(world: LedgerWorld,
                                                                                pipeline: TxPipeline) -> None:
    # Every blockhash older than one slot is refused, and slots go by: the transaction never lands.
    world.ledger.faults = FaultInjector(FaultConfig(blockhash_ttl_slots=0))
    pipeline.blockhash_ttl_s = 3600.0
    await pipeline._latest_blockhash()  # cache a blockhash, then let it age

    async def produce_slots() -> None:
        for _ in range(400):
            world.ledger.advance_slot()
            await asyncio.sleep(0.001)

    producer = asyncio.create_task(produce_slots())
    r = await asyncio.wait_for(pipeline.submit(_crank(world, "never")), 30)
    producer.cancel()
    assert r.status == "expired", r
    assert pipeline.sends >= 2  # resent while the blockhash was still valid
    assert pipeline.journal.latest("never").status == "expired"
    assert r.signature not in world.ledger.records


async def test_a_dry_run_simulates_and_sends_nothing(world: LedgerWorld, pipeline: TxPipeline) -> None:
    pipeline.dry_run = True
    before = len(world.ledger.records)
    r = await pipeline.submit(_crank(world, "dry"))
    assert r.status == "dry_run" and r.compute_units > 0
    assert len(world.ledger.records) == before
    assert pipeline.journal.latest("dry").status == "skipped"


async def test_the_priority_fee_follows_recent_fees_within_the_cap(world: LedgerWorld, pipeline: TxPipeline) -> None:
    # Someone paid 5,000 micro-lamports per CU to write the market: the next crank bids the same.
    world.ledger.advance_slot()
    payer = world.svm.payer
    primary, fallback = oracle_accounts(_market(world))
    out = world.ledger.send([set_compute_unit_limit(200_000), set_compute_unit_price(5_000),
                             ix.update_prices(0, primary, fallback, world.dep.program_id)], [], payer)
    assert out.ok
    world.ledger.advance_slot()
    r = await pipeline.submit(_crank(world, "priced"))
    assert r.status == "landed"
    limit, price = _budget_of(world, r.signature)
    assert price == 5_000
    assert r.fee_lamports == 5_000 + math.ceil(limit * 5_000 / 1_000_000)


def test_priority_price_rules() -> None:
    policy = FeesConfig(priority_fee_floor_micro_lamports=100, priority_fee_cap_micro_lamports=10_000, reward_share=0.5)
    assert priority_price([], 100_000, 0, policy) == 100  # nothing recent: the floor
    assert priority_price([0, 0, 200, 400, 800, 1_600], 100_000, 0, policy) == 1_600  # 75th percentile of non-zero fees
    assert priority_price([50_000], 100_000, 0, policy) == 10_000  # capped
    # A reward of 1,000 lamports lets half (500 lamports) go to 100,000 CU: 5,000 micro-lamports per CU.
    assert priority_price([50_000], 100_000, 1_000, policy) == 5_000
    assert fee_lamports(2, 200_000, 3) == 10_000 + 1  # 0.6 lamports rounds up



async def test_two_intents_with_identical_instructions_are_two_transactions(world: LedgerWorld,
                                                                           pipeline: TxPipeline) -> None:
    # Same instructions, same cached blockhash, same budget: byte-identical unless the pipeline varies
    # them, and the chain would report the first one's status for the second, which never ran.
    before = len(world.ledger.records)
    first = await pipeline.submit(_crank(world, "period-1"))
    second = await pipeline.submit(_crank(world, "period-2"))
    assert first.status == second.status == "landed"
    assert first.signature != second.signature
    assert len(world.ledger.records) == before + 2


async def test_extra_units_are_added_to_the_simulated_limit_and_not_cached(world: LedgerWorld,
                                                                          pipeline: TxPipeline) -> None:
    plain = await pipeline.submit(_crank(world, "plain"))
    extra = await pipeline.submit(replace(_crank(world, "extra"), extra_units=24_000))
    assert plain.status == extra.status == "landed"
    assert _budget_of(world, extra.signature)[0] == _budget_of(world, plain.signature)[0] + 24_000
    assert max(pipeline.units_by_shape.values()) <= plain.compute_units  # the simulated size (the floor may be above it)


async def test_recovery_finds_a_landing_older_than_the_status_cache(world: LedgerWorld, tmp_path: Path) -> None:
    # A keeper stopped after sending; by the time it restarts the transaction landed long ago, beyond
    # the node's status cache: only a status query with searchTransactionHistory finds it.
    world.ledger.config = replace(world.ledger.config, status_cache_slots=5)
    world.ledger.advance_slot()
    out = world.ledger.send(list(_crank(world).instructions), [], world.dep.wallets["keeper"])
    assert out.ok, out
    for _ in range(10):
        world.ledger.advance_slot()
    assert world.ledger.signature_status(out.signature) is None
    journal = Journal(tmp_path / "restart.sqlite")
    row = journal.record_intent("crank-before-restart", "test", "update_prices", str(world.dep.markets[0].address), {},
                                str(out.signature), world.ledger.block_height + 1_000)
    chain = InProcessChain(world.ledger)
    restarted = TxPipeline(chain, world.dep.wallets["keeper"], journal, Metrics(), FeesConfig(), commitment="confirmed",
                           poll_s=0.01, resend_s=0.05)
    try:
        assert await restarted.recover() == 1
        for _ in range(200):  # bounded: the recovery runs in the background
            if not restarted.in_flight:
                break
            await asyncio.sleep(0.01)
        entry = journal.latest("crank-before-restart")
        assert entry is not None and entry.id == row and entry.status == "landed" and entry.slot == out.slot
    finally:
        await restarted.close()
        await chain.close()
        journal.close()


async def test_an_urgent_actions_requests_are_marked_urgent(world: LedgerWorld, tmp_path: Path) -> None:
    seen: list[bool] = []

    class RecordingChain(InProcessChain):
        async def send(self, tx):  # noqa: ANN001, ANN202 - records the context the pipeline sends in
            seen.append(URGENT.get())
            return await super().send(tx)

    chain = RecordingChain(world.ledger)
    p = TxPipeline(chain, world.dep.wallets["keeper"], Journal(tmp_path / "u.sqlite"), Metrics(), FeesConfig(),
                   commitment="processed", poll_s=0.01, resend_s=0.05)
    try:
        assert (await p.submit(_crank(world, "bulk"))).status == "landed"
        assert (await p.submit(replace(_crank(world, "urgent"), urgent=True))).status == "landed"
        assert seen[0] is False and seen[-1] is True
        assert not URGENT.get()  # reset after the action
    finally:
        await p.close()
        await chain.close()
        p.journal.close()


async def test_settle_funding_planned_before_the_user_ordered_in_another_market_is_skipped(
        world: LedgerWorld, pipeline: TxPipeline) -> None:
    """settle_funding passes the markets of the positions it was planned from. A user who gains a
    position in another market before it lands makes the program refuse it (MissingMarketAccount): the
    chain moved on, as for NotLiquidatable, so it is skipped, not alerted; planned anew it lands. (Seen
    in the end-to-end test under load: a plan from slot 50 landed at slot 83, after a maker fill.)"""
    for _ in range(8):  # takers open their positions (one market each)
        world.scenario.step(world.ledger.advance_slot())
    dep = world.dep
    markets = {m.index: _market(world, m.index) for m in dep.markets}
    states = {i: MarketState.from_account(m) for i, m in markets.items()}
    addresses = {m.index: m.address for m in dep.markets}

    def user_state(address: Pubkey) -> User:
        return User.decode(bytes(world.ledger.get_account(address).data))

    def plan(address: Pubkey) -> Action | None:  # any funding owed is past a threshold of -1
        return plan_user_settlements("test", address, user_state(address), world.ledger.slot, markets, states,
                                     addresses, -1, 10**18, dep.program_id)

    taker = next(t for t in world.scenario.takers
                 if {p.market_index for p in open_positions(user_state(t.address))} == {0})
    stale = plan(taker.address)
    assert stale is not None and stale.kind == "settle_funding"
    params = markets[1].params  # the taker buys a little in market 1 from the maker's asks
    limit = markets[1].mark_price * 102 // 100 // params.tick_size * params.tick_size
    buy = ix.order_args(side.Bid(), limit, params.min_order_size, order_type.ImmediateOrCancel())
    order = ix.place_order(taker.keypair.pubkey(), taker.address, 1, buy, [addresses[0]], dep.program_id)
    assert world.ledger.send([order], [taker.keypair], taker.keypair).ok
    world.ledger.advance_slot()
    assert {p.market_index for p in open_positions(user_state(taker.address))} == {0, 1}

    refused = await pipeline.submit(stale)
    assert (refused.status, refused.verdict) == ("failed", Verdict.SKIP) and "MissingMarketAccount" in refused.error
    fresh = plan(taker.address)
    assert fresh is not None and fresh.key != stale.key
    assert (await pipeline.submit(fresh)).status == "landed"


async def test_a_strategy_lock_holds_one_action_per_scope(world: LedgerWorld, pipeline: TxPipeline) -> None:
    # "One requote in flight per market": the lock names the market, not the account an action targets.
    world.ledger.advance_slot()
    first = replace(_crank(world, "q-a", index=0), locks=(("requote", 0),))
    assert pipeline.reserve(first)
    assert pipeline.holds(("requote", 0)) and not pipeline.busy("update_prices", first.target)
    same_market = replace(_crank(world, "q-b", index=1), locks=(("requote", 0),))  # another account, same scope
    assert (await pipeline.submit(same_market)).status == ActionStatus.BUSY
    other_market = replace(_crank(world, "q-c", index=1), locks=(("requote", 1),))
    assert (await pipeline.submit(other_market)).status == ActionStatus.LANDED
    default = _crank(world, "plain", index=0)  # the default lock (kind, target) is another scope
    assert default.held == (("update_prices", first.target),)
    assert (await pipeline.submit(default)).status != ActionStatus.BUSY
    assert (await pipeline.submit(first, reserved=True)).status == ActionStatus.LANDED
    assert not pipeline.in_flight


async def test_an_action_can_hold_several_scopes_all_or_nothing(world: LedgerWorld, pipeline: TxPipeline) -> None:
    world.ledger.advance_slot()
    both = replace(_crank(world, "both"), locks=(("requote", 0), ("requote", 1)))
    assert pipeline.reserve(both)
    for index in (0, 1):
        assert (await pipeline.submit(replace(_crank(world, f"one-{index}"), locks=(("requote", index),)))).status == "busy"
    overlapping = replace(_crank(world, "overlap"), locks=(("requote", 1), ("requote", 2)))
    assert not pipeline.reserve(overlapping)
    assert not pipeline.holds(("requote", 2))  # a refused action holds none of its locks
    assert (await pipeline.submit(both, reserved=True)).status == "landed"
    assert not pipeline.in_flight
    assert pipeline.reserve(overlapping)


async def test_a_landed_lock_stays_held_until_the_cache_sees_the_target(world: LedgerWorld, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # The stale-hold rule with a strategy lock: after a requote landed at slot S, the next requote of that
    # market waits until the cache holds the landed action's target at S or later (or STALE_HOLD_S passed).
    seen: dict[Pubkey, int] = {}
    chain = InProcessChain(world.ledger)
    p = TxPipeline(chain, world.dep.wallets["keeper"], Journal(tmp_path / "s.sqlite"), Metrics(), FeesConfig(),
                   commitment="processed", poll_s=0.01, resend_s=0.05, state_slot=seen.get)
    try:
        world.ledger.advance_slot()
        first = replace(_crank(world, "r-1", index=0), locks=(("requote", 0),))
        seen[first.target] = world.ledger.slot - 1
        landed = await p.submit(first)
        assert landed.status == "landed", landed
        world.ledger.advance_slot()
        second = replace(_crank(world, "r-2", index=1), locks=(("requote", 0),))  # planned from the old read
        assert (await p.submit(second)).status == "busy"
        seen[second.target] = world.ledger.slot - 1
        assert (await p.submit(replace(second, key="r-2b", locks=(("requote", 1),)))).status == "landed"
        seen[first.target] = landed.slot  # the cache caught up with the first requote's market
        assert (await p.submit(second)).status == "landed"
        third = replace(_crank(world, "r-3", index=0), locks=(("requote", 1),))
        assert (await p.submit(third)).status == "busy"  # r-2b landed; market 1 not yet seen at that slot
        monkeypatch.setattr(tx, "STALE_HOLD_S", 0.0)  # the hold expires even if the cache never catches up
        assert (await p.submit(third)).status == "landed"
    finally:
        await p.close()
        await chain.close()
        p.journal.close()


async def test_the_keeper_hands_its_fees_section_to_the_pipeline(world: LedgerWorld, tmp_path: Path) -> None:
    config = in_process_config(tmp_path)
    fees = FeesConfig(priority_fee_floor_micro_lamports=7, priority_fee_cap_micro_lamports=70, max_compute_units=300_000)
    config = replace(config, fees=fees)
    chain = InProcessChain(world.ledger)
    keeper = Keeper(config, chain, world.dep.wallets["keeper"], bots=(), serve_http=False)
    try:
        assert keeper.pipeline.fees is fees
        world.ledger.advance_slot()
        r = await keeper.pipeline.submit(_crank(world, "floor"))
        assert r.status == "landed", r
        limit, price = _budget_of(world, r.signature)
        assert price == 7 and limit <= 300_000  # the floor of the section, not a default
    finally:
        await keeper.pipeline.close()
        await chain.close()
        keeper.journal.close()


class _FillsAfterSimulation(InProcessChain):
    """An in-process chain on which ``between`` runs once, right after the first simulation: the
    transaction then executes against more queued fills than it was simulated with (a busy market on a
    loaded machine, where seconds pass between the two)."""

    def __init__(self, ledger: object, between: Callable[[], None]) -> None:
        super().__init__(ledger)
        self.between: Callable[[], None] | None = between

    async def simulate(self, tx: object) -> object:
        sim = await super().simulate(tx)
        if self.between is not None:
            self.between()
            self.between = None
        return sim


async def _submit_with(world: LedgerWorld, tmp_path: Path, action: Action, between: Callable[[], None]) -> tx.ActionResult:
    """``action`` through a fresh pipeline on a chain that runs ``between`` after its first simulation."""
    chain = _FillsAfterSimulation(world.ledger, between)
    p = TxPipeline(chain, world.dep.wallets["keeper"], Journal(tmp_path / "j.sqlite"), Metrics(), FeesConfig(),
                   commitment="processed", poll_s=0.01, resend_s=0.05)
    try:
        return await p.submit(action)
    finally:
        await p.close()
        await chain.close()
        p.journal.close()


async def test_consume_events_is_budgeted_for_its_limit_not_for_the_fills_simulated(world: LedgerWorld,
                                                                                    tmp_path: Path) -> None:
    # The settler plans the next 6 fills of one maker; by the simulation 5 of them were consumed by
    # another transaction (a drain), so the simulation applies one; 5 more fills of the same maker
    # arrive before the execution, which applies 6 (its limit). A limit sized from the simulation (one
    # fill) ran out of compute (ProgramFailedToComplete) on a loaded machine.
    maker, taker = world.scenario.makers[0], world.scenario.takers[0]
    price, params = world.scenario.prices[0], maker.markets[0]
    program = world.dep.program_id

    sizes = iter(range(100, 300, 10))  # each order its own size: identical transactions would be duplicates

    def fills(n: int) -> None:
        for _ in range(n):
            out = taker.open(world.ledger.send, 0, params, True, next(sizes) / price, price)
            assert out.ok, out

    def queue() -> EventQueue:
        return EventQueue.decode(bytes(world.ledger.get_account(_market(world).event_queue).data))

    assert maker.quote(world.ledger.send, 0, price).ok
    fills(6)
    planned = queue()
    assert planned.count == 6 and set(queued_makers(planned, 6)) == {maker.address}
    action = consume_action("settler", 0, _market(world).event_queue, planned, 6, program)
    assert action is not None
    assert world.ledger.send([set_compute_unit_limit(400_000), ix.consume_events(0, [maker.address], 5, program)], [],
                             world.dep.wallets["keeper"]).ok
    assert queue().count == 1

    result = await _submit_with(world, tmp_path, action, lambda: fills(5))
    assert result.status == "landed", result
    assert queue().count == 0  # the one simulated and the five that came after
    assert result.compute_units >= compute_budget.floor(action.instructions, program)


async def test_a_crossing_order_is_budgeted_for_every_maker_it_may_fill(world: LedgerWorld, tmp_path: Path) -> None:
    # A derisk-like IOC simulated against a book whose best ask is one large order (one fill); before it
    # executes, 14 small asks rest in front of it, and it fills 15 orders. A limit sized from the
    # one-fill simulation ran out of compute (a derisk in the soak on a loaded machine).
    maker, taker = world.scenario.makers[0], world.scenario.takers[0]
    price, params = world.scenario.prices[0], maker.markets[0]
    program = world.dep.program_id
    assert maker.quote(world.ledger.send, 0, price).ok
    others = [world.dep.markets[i].address for i in maker.markets if i != 0]
    small = ix.order_args(side.Ask(), to_ticks(price * 1.0005, params, up=True), to_lots(100 / price, params), order_type.PostOnly())

    def asks_in_front() -> None:
        for k in range(2):  # two transactions (packet size), made distinct by their compute limits
            out = world.ledger.send([set_compute_unit_limit(400_000 + k)]
                                    + [ix.place_order(maker.keypair.pubkey(), maker.address, 0, small, others, program)] * 7,
                                    [maker.keypair], maker.keypair)
            assert out.ok, out

    order = ix.order_args(side.Bid(), to_ticks(price * 1.02, params, up=True), to_lots(2_000 / price, params),
                          order_type.ImmediateOrCancel())
    action = Action("test", "derisk", "derisk-1", taker.address,
                    (ix.place_order(taker.keypair.pubkey(), taker.address, 0, order, [], program),), signers=(taker.keypair,))
    seq = EventQueue.decode(bytes(world.ledger.get_account(_market(world).event_queue).data)).seq_num
    result = await _submit_with(world, tmp_path, action, asks_in_front)
    assert result.status == "landed", result
    queued = EventQueue.decode(bytes(world.ledger.get_account(_market(world).event_queue).data)).seq_num - seq
    assert queued == 15  # the 14 small asks and one level of the ladder


async def test_remembered_signatures_last_as_long_as_their_blockhash(world: LedgerWorld, tmp_path: Path) -> None:
    """The signatures kept to make every transaction distinct are forgotten when their blockhash expires,
    not only beyond a count: by count alone (10,000) they filled for hours at the demo's load, and the
    keeper's memory grew as long."""
    from solders.signature import Signature

    chain = InProcessChain(world.ledger)
    p = TxPipeline(chain, world.dep.wallets["keeper"], Journal(tmp_path / "j.sqlite"), Metrics(), FeesConfig(),
                   commitment="processed")
    try:
        first = Signature.new_unique()
        p._remember(first, 150)
        for height in range(151, 151 + 3_600):  # an hour of 1-block blockhashes, two sends each
            p._remember(Signature.new_unique(), height)
            p._remember(Signature.new_unique(), height)
        assert first not in p._signed
        # those of the last 151 last-valid heights: the newest blockhash's lifetime, whatever the hour's count
        assert len(p._signed) == 2 * (tx.BLOCKHASH_LIFETIME_BLOCKS + 1)
        # while slots stall the block height stays: nothing expires, and the count bounds the set
        oldest = next(iter(p._signed))
        for _ in range(tx.MAX_REMEMBERED_SIGNATURES + 10):
            p._remember(Signature.new_unique(), 150 + 3_600)
        assert len(p._signed) == tx.MAX_REMEMBERED_SIGNATURES and oldest not in p._signed
    finally:
        await p.close()
        await chain.close()
        p.journal.close()


async def test_an_unsimulated_first_of_its_shape_gets_the_tables_floor_once(world: LedgerWorld, tmp_path: Path) -> None:
    # A market maker's requote goes unsimulated (latency): its limit is the table's worst case of each
    # instruction with its headroom, and not doubled again as if it were a simulated cost reused (the
    # maker's 20k-unit requote asked for 211k). Four post-only asks of the maker in one transaction.
    maker = world.scenario.makers[0]
    price, params = world.scenario.prices[0], maker.markets[0]
    program = world.dep.program_id
    orders = [ix.order_args(side.Ask(), to_ticks(price * (1.01 + k / 100), params, up=True), to_lots(50 / price, params),
                            order_type.PostOnly()) for k in range(4)]
    instructions = tuple(ix.place_order(maker.keypair.pubkey(), maker.address, 0, o, [], program) for o in orders)
    action = Action(bot="test", kind="mm_requote", key="unsimulated-requote", target=maker.address,
                    instructions=instructions, signers=(maker.keypair,), simulate_first=False)
    result = await _submit_with(world, tmp_path, action, lambda: None)
    assert result.status == "landed", result
    floor = compute_budget.floor(instructions, program)
    assert floor <= result.compute_units < 2 * floor
