"""The pipeline under faults, on the real program in an in-process ledger: a restart resends what the
chain never saw, an expected failure is not paid for twice from one state, one absurd simulation does
not set compute limits, limits never go below the instructions' measured worst case, and a landing
whose effect never shows reopens its intent."""

from __future__ import annotations

import ast
import asyncio
import importlib
import re
from dataclasses import replace
from pathlib import Path

import pytest
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from keepers.bots.mark_price import oracle_accounts, price_update_action
from keepers.chain.base import Simulation
from keepers.chain.inprocess import InProcessChain
from keepers.config import FeesConfig
from keepers.exchange import instructions as ix
from keepers.execution import compute_budget
from keepers.execution.journal import Journal, Status
from keepers.execution.pipeline import Action, TxPipeline
from keepers.observability.metrics import Metrics
from localnet.build import build_program
from programs_client.perp.accounts import Market
from programs_client.perp.types import order_type, side
from sim.scenario import LedgerWorld, ScenarioSettings, build_ledger_world
from tests.unit.keepers.test_tx_pipeline import _budget_of

SETTINGS = ScenarioSettings(users=2)


@pytest.fixture
def world(perp_program: bytes) -> LedgerWorld:
    return build_ledger_world(SETTINGS, perp_program, Path(build_program("mock_oracle")).read_bytes())


def _market(world: LedgerWorld, index: int = 0) -> Market:
    return Market.decode(bytes(world.ledger.get_account(world.dep.markets[index].address).data))


def _crank(world: LedgerWorld, key: str) -> Action:
    primary, fallback = oracle_accounts(_market(world))
    return Action("test", "update_prices", key, world.dep.markets[0].address,
                  (ix.update_prices(0, primary, fallback, world.dep.program_id),))


def _pipeline(chain: InProcessChain, world: LedgerWorld, journal: Journal, **kwargs: object) -> TxPipeline:
    return TxPipeline(chain, world.dep.wallets["keeper"], journal, Metrics(), FeesConfig(), commitment="processed",
                      poll_s=0.01, resend_s=0.05, **kwargs)


async def _settled(pipeline: TxPipeline, rounds: int = 300) -> None:
    for _ in range(rounds):  # bounded: recovery runs in the background
        if not pipeline.in_flight:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"still in flight: {pipeline.in_flight}")


async def test_a_recovered_transaction_the_chain_never_saw_is_resent_at_once(world: LedgerWorld, tmp_path: Path) -> None:
    # The keeper journaled a signed crank as sent and was killed before the send reached the node. No
    # slot passes meanwhile: waiting for the blockhash to expire would wait forever here.
    keeper = world.dep.wallets["keeper"]
    latest = world.ledger.blockhash_at(world.ledger.slot)
    msg = MessageV0.try_compile(keeper.pubkey(), list(_crank(world, "x").instructions), [], latest.blockhash)
    tx = VersionedTransaction(msg, [keeper])
    signature = tx.signatures[0]
    journal = Journal(tmp_path / "j.sqlite")
    row = journal.record_intent("crank-lost-in-the-kill", "test", "update_prices", str(world.dep.markets[0].address), {},
                                str(signature), latest.last_valid_block_height, bytes(tx))
    assert world.ledger.signature_status(signature) is None
    chain = InProcessChain(world.ledger)
    restarted = _pipeline(chain, world, journal)
    try:
        assert await restarted.recover() == 1
        await _settled(restarted)
        entry = journal.latest("crank-lost-in-the-kill")
        assert entry is not None and entry.id == row and entry.status == "landed"
        assert entry.tx is None  # the bytes are dropped once the outcome is known
        # The very transaction landed (its signature), once.
        assert world.ledger.records[signature].slot == entry.slot
        assert sum(1 for s in world.ledger.records if s == signature) == 1
    finally:
        await restarted.close()
        await chain.close()
        journal.close()


async def test_an_expected_failure_is_not_tried_again_until_its_basis_changes(world: LedgerWorld, tmp_path: Path) -> None:
    dep, keeper = world.dep, world.dep.wallets["keeper"]
    victim = dep.user_accounts["user-0"]  # healthy: NotLiquidatable
    ixs = (ix.liquidate_perp(keeper.pubkey(), dep.user_accounts["keeper"], victim, 0, 10**9, [dep.markets[1].address],
                             dep.program_id),)

    def liquidation(key: str, basis: object) -> Action:
        return Action("test", "liquidate_perp", key, victim, ixs, expected=frozenset({"NotLiquidatable"}),
                      simulate_first=False, basis=basis)

    chain = InProcessChain(world.ledger)
    pipeline = _pipeline(chain, world, Journal(tmp_path / "j.sqlite"))
    try:
        first = await pipeline.submit(liquidation("liq@mark-1", ("user@5", "oracle-a")))
        assert (first.status, first.error_name) == ("failed", "NotLiquidatable") and first.expected
        # Another predicted mark makes another key, but nothing the outcome depends on changed: refused
        # before anything is journaled, simulated or sent.
        again = await pipeline.submit(liquidation("liq@mark-2", ("user@5", "oracle-a")))
        assert again.status == "unchanged"
        assert pipeline.journal.latest("liq@mark-2") is None
        # A new oracle price: tried again.
        moved = await pipeline.submit(liquidation("liq@mark-3", ("user@5", "oracle-b")))
        assert moved.status == "failed" and pipeline.journal.latest("liq@mark-3") is not None
    finally:
        await pipeline.close()
        await chain.close()
        pipeline.journal.close()


class _OneAbsurdSimulation(InProcessChain):
    """An endpoint whose first simulation reply claims 10^12 compute units (a hostile or broken one)."""

    absurd = 1

    async def simulate(self, tx: VersionedTransaction) -> Simulation:
        real = await super().simulate(tx)
        if self.absurd:
            self.absurd -= 1
            return Simulation(real.err, real.logs, 10**12)
        return real


async def test_one_absurd_simulation_does_not_set_the_compute_limit(world: LedgerWorld, tmp_path: Path) -> None:
    chain = _OneAbsurdSimulation(world.ledger)
    pipeline = _pipeline(chain, world, Journal(tmp_path / "j.sqlite"))
    try:
        crank = _crank(world, "after-the-absurd-reply")
        worst = compute_budget.floor(crank.instructions, world.dep.program_id)
        first = await pipeline.submit(crank)
        assert first.status == "landed"
        assert pipeline.outliers == 1 and not pipeline.units_by_shape  # not believed, not remembered
        assert _budget_of(world, first.signature)[0] == worst  # the instruction's worst case, not 1.4M
        world.ledger.advance_slot()
        second = await pipeline.submit(_crank(world, "next"))
        # The floor again (one more CU when the cached blockhash would make the two cranks byte-identical).
        assert second.status == "landed" and _budget_of(world, second.signature)[0] in (worst, worst + 1)
        assert 0 < max(pipeline.units_by_shape.values()) < worst  # sized from a believable simulation
    finally:
        await pipeline.close()
        await chain.close()
        pipeline.journal.close()


def test_the_keepers_table_names_every_instruction_by_the_generated_clients_discriminator() -> None:
    # The table's names must be the program's instruction names, or their limits would silently fall
    # back to the simulation alone.
    table = compute_budget.load_table()["instructions"]
    for name, units in table.items():
        source = Path(importlib.import_module(f"programs_client.perp.instructions.{name}").__file__).read_text()
        identifier = ast.literal_eval(re.search(r"identifier = (b.*)$", source, re.MULTILINE).group(1))
        assert compute_budget.discriminator(name) == identifier, name
        assert units > 0
    # settle_pnl, which ran out of compute at a limit sized by simulation, gets twice its measured worst case.
    settle = ix.settle_pnl(Pubkey.new_unique(), 0)
    assert compute_budget.floor([settle]) == 2 * table["settle_pnl"] + compute_budget.FLOOR_EXTRA_UNITS




async def test_a_landing_whose_effect_never_shows_reopens_the_crank(world: LedgerWorld, tmp_path: Path) -> None:
    # An endpoint reported a crank "finalized" at slot S, but the market's last update slot never reached
    # S: the crank's key (the market's price state) must not stay finished.
    world.ledger.advance_slot()
    address = world.dep.markets[0].address

    def current() -> Market:
        return _market(world)

    crank = price_update_action("test", _market(world), address, "heartbeat", world.dep.program_id, current)
    journal = Journal(tmp_path / "j.sqlite")
    faked_at = world.ledger.slot + 1
    row = journal.record_intent(crank.key, "test", "update_prices", str(address), {}, str(Signature.new_unique()), 10**9)
    journal.record_outcome(row, Status.LANDED, slot=faked_at)
    cache_seen = {"slot": faked_at - 1}
    chain = InProcessChain(world.ledger)
    pipeline = _pipeline(chain, world, journal, state_slot=lambda _: cache_seen["slot"])
    try:
        assert pipeline.finished(crank.key, crank)  # the cache has not yet seen slot S: give it time
        cache_seen["slot"] = faked_at + 3  # the cache saw the market after S, unchanged
        assert not pipeline.finished(crank.key, crank)
        assert journal.latest(crank.key).status == Status.EXPIRED and pipeline.effects_missing == 1
        for _ in range(4):
            world.ledger.advance_slot()
        real = await pipeline.submit(crank)  # planned again: lands, and this time the market shows it
        assert real.status == "landed"
        assert _market(world).last_price_update_slot == real.slot
        assert pipeline.finished(crank.key, crank)
    finally:
        await pipeline.close()
        await chain.close()
        journal.close()


class _SlowAdvisoryReads(InProcessChain):
    """An endpoint whose fee and (after the first) blockhash replies take 30 s: a faulty one retrying."""

    blockhashes = 0

    async def get_recent_prioritization_fees(self, writable: object = ()) -> list[int]:
        await asyncio.sleep(30)
        return await super().get_recent_prioritization_fees(writable)

    async def get_latest_blockhash(self):  # noqa: ANN201
        self.blockhashes += 1
        if self.blockhashes > 1:
            await asyncio.sleep(30)
        return await super().get_latest_blockhash()


async def test_an_urgent_action_waits_for_no_fee_blockhash_or_simulation(world: LedgerWorld, tmp_path: Path) -> None:
    chain = _SlowAdvisoryReads(world.ledger)
    pipeline = _pipeline(chain, world, Journal(tmp_path / "j.sqlite"), blockhash_ttl_s=0.0)
    try:
        await pipeline._latest_blockhash()  # one blockhash cached; every later fetch is slow and it is "stale"
        urgent = replace(_crank(world, "urgent"), urgent=True, simulate_first=False)
        r = await asyncio.wait_for(pipeline.submit(urgent), 5)  # bounded: the slow reads would take 30 s
        assert r.status == "landed", r
        # Sized from the compute table (no simulation), priced at the floor (no fee figure yet).
        limit, price = _budget_of(world, r.signature)
        assert limit >= compute_budget.floor(urgent.instructions, world.dep.program_id)
        assert price == FeesConfig().priority_fee_floor_micro_lamports
        assert chain.blockhashes == 2  # the refresh was started in the background, not awaited
    finally:
        await pipeline.close()
        await chain.close()
        pipeline.journal.close()

def test_work_that_grows_at_execution_is_budgeted_to_its_bound() -> None:
    # consume_events: every event its limit allows, no more than a queue holds (128 records in the IDL);
    # place_order: 16 makers when it may cross, none beyond the measured case when post-only.
    table = compute_budget.load_table()
    base, per_event = table["instructions"]["consume_events"], table["per_item"]["consume_events"]
    maker = Pubkey.new_unique()
    assert compute_budget.instruction_units(ix.consume_events(0, [maker], 5)) == base + 5 * per_event
    assert compute_budget.instruction_units(ix.consume_events(0, [maker], 1_000)) == base + 128 * per_event
    user = Pubkey.new_unique()
    crossing = ix.place_order(user, user, 0, ix.order_args(side.Bid(), 100, 1, order_type.ImmediateOrCancel()))
    resting = ix.place_order(user, user, 0, ix.order_args(side.Bid(), 100, 1, order_type.PostOnly()))
    one_maker, per_maker = table["instructions"]["place_order"], table["per_item"]["place_order"]
    assert compute_budget.instruction_units(crossing) == one_maker + 15 * per_maker
    assert compute_budget.instruction_units(resting) == one_maker
