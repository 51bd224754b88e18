"""The bots' decisions as pure functions: state in, decision out, with hand-computed expectations.

Markets and oracle accounts are the real ones of a bootstrapped exchange; single fields are changed
with ``dataclasses.replace`` to set up each case.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from solders.pubkey import Pubkey

from keepers.exchange import instructions as ix
from keepers.bots.drain import Drain
from keepers.bots.funding import funding_action, funding_due, next_funding_ts
from keepers.bots.insurance import coverage_ratio, sweep_due
from keepers.bots.liquidator import (
    SkipReason,
    capacity,
    derisk_size,
    plan_liquidation,
    plan_or_skip,
    plan_order_cancellations,
    predicted_states,
    reward_lamports,
)
from keepers.bots.mark_price import check_prices, oracle_accounts
from keepers.bots.settler import plan_user_settlements
from keepers.exchange.margin import Margin, MarketState
from keepers.exchange.margin_scan import Candidate
from keepers.exchange.oracles import RawAccount
from keepers.exchange.spl_token import token_amount
from localnet.build import build_program
from programs_client.perp.accounts import Market, User
from programs_client.perp.types import market_status
from programs_client.perp.types.perp_position import PerpPosition
from sim.scenario import LedgerWorld, ScenarioSettings, build_ledger_world

BASE, QUOTE = 10**9, 10**6


@pytest.fixture(scope="module")
def world(perp_program: bytes) -> LedgerWorld:
    return build_ledger_world(ScenarioSettings(users=1), perp_program, Path(build_program("mock_oracle")).read_bytes())


def _market(world: LedgerWorld, i: int = 0) -> Market:
    return Market.decode(bytes(world.ledger.get_account(world.dep.markets[i].address).data))


def _oracles(world: LedgerWorld, market: Market) -> dict[Pubkey, RawAccount]:
    out = {}
    for key in oracle_accounts(market):
        if key is not None:
            acc = world.ledger.get_account(key)
            out[key] = RawAccount(key, acc.owner, bytes(acc.data))
    return out


# -- mark price ---------------------------------------------------------------------------------------
def test_price_crank_on_deviation_heartbeat_and_not_when_fresh(world: LedgerWorld) -> None:
    m = _market(world)
    oracles = _oracles(world, m)
    slot = world.ledger.slot
    now = m.twap_updated_ts
    # Bootstrap cranked the oracle's price: nothing to do.
    fresh = check_prices(m, oracles, slot, now, deviation_bps=20, heartbeat_s=30)
    assert (fresh.due, fresh.reason) == (False, "fresh")
    # The index is 0.3% away from the oracle: beyond 20 bps, within 50.
    moved = replace(m, index_price=m.index_price * 1003 // 1000)
    assert check_prices(moved, oracles, slot, now, 20, 30).reason == "deviation"
    assert not check_prices(moved, oracles, slot, now, 50, 30).due
    assert check_prices(m, oracles, slot, now + 30, 20, 30).reason == "heartbeat"
    assert not check_prices(m, oracles, slot, now + 29, 20, 30).due
    # An oracle older than the market's staleness limit is not cranked (the program would refuse it).
    stale = check_prices(m, oracles, slot + m.params.oracle_max_staleness_slots + 1, now + 999, 20, 30)
    assert not stale.due and "OracleStale" in stale.reason
    settled = replace(m, status=market_status.Settlement())
    assert not check_prices(settled, oracles, slot, now + 999, 20, 30).due


# -- funding ------------------------------------------------------------------------------------------
def test_funding_is_due_at_the_period_end(world: LedgerWorld) -> None:
    m = replace(_market(world), last_funding_ts=1_000)
    period = m.params.funding_period_secs
    assert next_funding_ts(m) == 1_000 + period
    assert not funding_due(m, 1_000 + period - 1)
    assert funding_due(m, 1_000 + period)
    assert not funding_due(replace(m, status=market_status.Paused()), 1_000 + period)
    assert not funding_due(replace(m, index_price=0), 1_000 + period)


def test_the_funding_crank_drains_the_queue_and_prices_first(world: LedgerWorld) -> None:
    m = _market(world)
    maker = Pubkey.new_unique()
    drained = Drain([ix.consume_events(0, [maker], 1, world.dep.program_id)])
    action = funding_action("funding", m, world.dep.markets[0].address, drained, world.dep.program_id)
    assert [i.program_id for i in action.instructions] == [world.dep.program_id] * 3
    assert action.instructions[0] == drained.instructions[0]
    assert action.key == f"update_funding:0:{next_funding_ts(m)}"
    assert "FundingTooEarly" in action.expected


# -- liquidator ---------------------------------------------------------------------------------------
def test_capacity_keeps_our_initial_margin() -> None:
    state = MarketState(0, mark_price=100 * QUOTE, initial_margin_bps=1000, maintenance_margin_bps=500)
    own = Margin(equity=10_000 * QUOTE, initial_requirement=2_000 * QUOTE, maintenance_requirement=1_000 * QUOTE,
                 maintenance_with_orders=1_000 * QUOTE)
    # Free 8,000 quote, 80% usable = 6,400. Each base needs 10 quote (+1 unit) of initial margin and earns
    # 1 quote of discount at a liquidator price of 99: 6,400 / (10.000001 - 1) base.
    expected = 6_400 * QUOTE * BASE // (10 * QUOTE + 1 - 1 * QUOTE)
    assert capacity(own, state, 99 * QUOTE, 8_000) == expected
    assert capacity(Margin(1_000, 2_000, 0, 0), state, 99 * QUOTE, 8_000) == 0


def test_a_reward_in_quote_is_priced_in_lamports_at_the_configured_sol_price() -> None:
    # 1.5 quote at 150 quote per SOL is 0.01 SOL; at 15 quote per SOL, 0.1 SOL.
    assert reward_lamports(1_500_000, 150_000_000) == 10_000_000
    assert reward_lamports(1_500_000, 15_000_000) == 100_000_000
    assert reward_lamports(0, 150_000_000) == 0


def test_derisk_slices() -> None:
    lot, minimum = 10**6, 10**7
    assert derisk_size(10 * BASE, 2_500, lot, minimum) == 2_500_000_000
    assert derisk_size(5 * 10**6, 2_500, lot, minimum) == 0  # below the minimum order: nothing to send
    assert derisk_size(15 * 10**6, 2_500, lot, minimum) == 15 * 10**6  # the rest would be below the minimum
    assert derisk_size(1_000_500_000, 1, lot, minimum) == minimum


def _user(world: LedgerWorld, **pos: int) -> User:
    u = User.decode(bytes(world.ledger.get_account(world.dep.user_accounts["user-0"]).data))
    positions = list(u.positions)
    positions[0] = PerpPosition(pos.get("base", 0), pos.get("entry", 0), 0, 0, 0, pos.get("pnl", 0), 0, 0, [0] * 5)
    return replace(u, positions=positions, collateral=pos.get("collateral", u.collateral))


def test_a_liquidation_is_planned_at_the_predicted_mark_within_our_capacity(world: LedgerWorld) -> None:
    m = _market(world)
    markets = {0: m, 1: _market(world, 1)}
    priced = predicted_states(markets, {}, _oracles(world, m) | _oracles(world, markets[1]), world.ledger.slot,
                              m.twap_updated_ts)
    assert not priced[0].crank  # the oracle price is the one last cranked
    mark = priced[0].state.mark_price
    # 10 base long bought at the mark with 50 quote of collateral: equity 50 quote, maintenance 5% of the
    # notional (10 * mark quote units), which is above 50 quote at any mark over 100.
    assert mark > 100 * QUOTE
    user = _user(world, base=10 * BASE, entry=-10 * mark, collateral=50 * QUOTE)
    margin = Margin(50 * QUOTE, 10 * mark // 10, 10 * mark // 20, 10 * mark // 20)
    assert margin.liquidatable
    cand = Candidate(Pubkey.new_unique(), margin, margin.maintenance_requirement - margin.equity)
    rich = Margin(1_000_000 * QUOTE, 0, 0, 0)
    plan = plan_liquidation(cand, user, markets, priced, rich, 8_000)
    assert plan is not None and plan.market_index == 0
    assert 0 < plan.expected_base <= 10 * BASE and plan.expected_base % m.params.lot_size == 0
    assert plan.reward_quote > 0 and not plan.crank
    assert plan_liquidation(cand, user, markets, priced, Margin(0, 0, 0, 0), 8_000) is None  # no free collateral
    # Every "no plan" says why (the liquidator counts each by reason).
    assert plan_or_skip(cand, user, markets, priced, Margin(0, 0, 0, 0), 8_000) is SkipReason.NO_CAPACITY
    assert plan_or_skip(cand, user, markets, priced, rich, 8_000, kept={1}) is SkipReason.NO_POSITION_KEPT
    assert plan_or_skip(cand, user, markets, priced, rich, 8_000) == plan


def test_orders_that_could_take_their_owner_below_maintenance_are_planned_for_cancellation(world: LedgerWorld) -> None:
    maker, other = Pubkey.new_unique(), Pubkey.new_unique()
    u = _user(world, collateral=100 * QUOTE)
    positions = list(u.positions)
    positions[0] = PerpPosition(0, 0, 0, 10 * BASE, 0, 0, 0, 1, [0] * 5)  # one resting bid of 10 base
    users = {maker: replace(u, positions=positions), other: replace(u, collateral=10**6 * QUOTE)}
    order = SimpleNamespace(owner=maker, price=100 * QUOTE, base_amount=10 * BASE)
    theirs = SimpleNamespace(owner=other, price=99 * QUOTE, base_amount=BASE)
    book = SimpleNamespace(bids=[theirs, order], bid_count=2, asks=[], ask_count=0)

    def at(mark: int) -> dict[int, MarketState]:
        return {0: MarketState(0, mark_price=mark, initial_margin_bps=1000, maintenance_margin_bps=500)}

    # At mark 100 the bid loses nothing: equity 100 meets maintenance 5% of 10 * 100 = 50.
    assert plan_order_cancellations(users, {0: book}, at(100 * QUOTE)) == []
    # At mark 70, filled, it would lose 10 * 30 = 300: equity 100 - 300 against 35 of maintenance.
    [plan] = plan_order_cancellations(users, {0: book}, at(70 * QUOTE))
    assert (plan.user, plan.market_index, plan.shortfall) == (maker, 0, 35 * QUOTE + 200 * QUOTE)
    # ... unless a liquidation covers the pair already, or we do not act in that market.
    assert plan_order_cancellations(users, {0: book}, at(70 * QUOTE), skip={(maker, 0)}) == []
    assert plan_order_cancellations(users, {0: book}, at(70 * QUOTE), kept=frozenset({1})) == []


def test_a_stale_mark_is_cranked_in_the_liquidation_or_not_liquidated_at(world: LedgerWorld) -> None:
    """liquidate_perp refuses a mark older than the staleness limit (MarkStale): a valid oracle at the
    same price is cranked in the liquidation's transaction all the same; without one the user is skipped."""
    m = _market(world)
    markets = {0: m, 1: _market(world, 1)}
    oracles = _oracles(world, m) | _oracles(world, markets[1])
    old_slot = m.last_price_update_slot
    limit = m.params.oracle_max_staleness_slots
    # the same oracle price, its slots refreshed as a publisher would: the market's mark is just past the limit
    fresh_oracle = {0: replace(m, last_price_update_slot=old_slot - limit - 1), 1: markets[1]}
    priced = predicted_states(fresh_oracle, {}, oracles, world.ledger.slot, m.twap_updated_ts)
    assert priced[0].crank and not priced[0].stale
    at_limit = predicted_states({0: replace(m, last_price_update_slot=old_slot - limit), 1: markets[1]}, {}, oracles,
                                world.ledger.slot, m.twap_updated_ts)
    assert not at_limit[0].crank  # exactly the limit is fresh enough
    # no valid oracle either (it is as old as the mark): the mark stays stale and nobody is liquidated at it
    later = world.ledger.slot + limit + 1
    stuck = predicted_states(markets, {}, oracles, later, m.twap_updated_ts)
    assert not stuck[0].crank and stuck[0].stale
    mark = stuck[0].state.mark_price
    user = _user(world, base=10 * BASE, entry=-10 * mark, collateral=50 * QUOTE)
    margin = Margin(50 * QUOTE, 10 * mark // 10, 10 * mark // 20, 10 * mark // 20)
    cand = Candidate(Pubkey.new_unique(), margin, margin.maintenance_requirement - margin.equity)
    assert plan_liquidation(cand, user, markets, stuck, Margin(1_000_000 * QUOTE, 0, 0, 0), 8_000) is None
    plan = plan_liquidation(cand, user, fresh_oracle, priced, Margin(1_000_000 * QUOTE, 0, 0, 0), 8_000)
    assert plan is not None and plan.crank
    assert plan_or_skip(cand, user, markets, stuck, Margin(1_000_000 * QUOTE, 0, 0, 0), 8_000) is SkipReason.STALE_MARK


# -- settler ------------------------------------------------------------------------------------------
def test_settlements_follow_thresholds(world: LedgerWorld) -> None:
    m = _market(world)
    markets = {0: replace(m, pnl_pool=50 * QUOTE)}
    states = {0: MarketState.from_account(m)}
    addresses = {0: world.dep.markets[0].address}
    address = Pubkey.new_unique()

    def plan(user: User, **kw: int):  # noqa: ANN202
        return plan_user_settlements("settler", address, user, 7, markets, states, addresses,
                                     kw.get("funding", QUOTE), kw.get("pnl", QUOTE), world.dep.program_id)

    assert plan(_user(world, pnl=QUOTE)) is None  # exactly the threshold: not past it
    assert plan(_user(world, pnl=QUOTE + 1)).kind == "settle_pnl"
    assert plan(_user(world, pnl=-5 * QUOTE, collateral=0)) is None  # a loss with no collateral moves nothing
    assert plan(_user(world, pnl=5 * QUOTE), pnl=10 * QUOTE) is None
    empty_pool = {0: replace(m, pnl_pool=0)}
    assert plan_user_settlements("s", address, _user(world, pnl=5 * QUOTE), 7, empty_pool, states, addresses,
                                 QUOTE, QUOTE, world.dep.program_id) is None
    expired = {0: replace(m, status=market_status.Settlement())}
    action = plan_user_settlements("s", address, _user(world, base=BASE), 7, expired, states, addresses, QUOTE, QUOTE,
                                   world.dep.program_id)
    assert action is not None and action.kind == "settle_expired_position"


# -- insurance ----------------------------------------------------------------------------------------
def test_revenue_sweep_schedule_and_coverage(world: LedgerWorld) -> None:
    m = replace(_market(world), fee_pool=5, last_revenue_settle_ts=10_000)
    assert not sweep_due(m, 13_599, 3600)
    assert sweep_due(m, 13_600, 3600)
    assert not sweep_due(m, 13_600, 7200)  # a longer configured interval
    assert sweep_due(m, 13_600, 60)  # never shorter than the program allows: due from 3600
    assert not sweep_due(m, 13_599, 60)
    assert not sweep_due(replace(m, fee_pool=0), 20_000, 3600)
    # 4 base long and 3 short open at a mark of 100: 400 quote of notional (the larger side).
    oi = replace(m, open_interest_long=4 * BASE, open_interest_short=3 * BASE, mark_price=100 * QUOTE)
    assert coverage_ratio(20 * QUOTE, {0: oi}) == pytest.approx(0.05)
    assert coverage_ratio(20 * QUOTE, {0: replace(oi, open_interest_long=0, open_interest_short=0)}) is None
    # An SPL Token account holds its amount at bytes 64..72.
    assert token_amount(b"\0" * 64 + (1234).to_bytes(8, "little") + b"\0" * 93) == 1234
    assert token_amount(b"\0" * 10) is None
