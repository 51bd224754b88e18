"""The metrics the alert rules and dashboards of ``deploy/`` read: what the keeper exports, set where the
fact is known (the runtime's housekeeping, the insurance bot, the journal's listeners), checked against the chain."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from keepers.chain.inprocess import InProcessChain
from keepers.clock import VirtualClock
from keepers.observability.metrics import Health, Metrics
from keepers.runtime import Keeper
from localnet.build import build_program
from programs_client.perp.accounts import Exchange, Market
from programs_client.perp.constants import BASE_PRECISION
from sim.scenario import LedgerWorld, ScenarioSettings, build_ledger_world
from tests.unit.keepers.support import in_process_config

SETTINGS = ScenarioSettings(users=8, crash_at=20, crash_drop=0.14, seconds_per_slot=60, funding_period_s=600,
                            takers_per_slot=2)


def samples(m: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample name, sorted labels): value} of everything ``m`` renders."""
    out = {}
    for family in text_string_to_metric_families(m.render().decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_health_verdict_problems_and_stale_bots_are_exported() -> None:
    clock = VirtualClock()
    h, m = Health(clock), Metrics()
    h.register("funding", 10.0)
    h.set_problem("prices_stale", "market 0: price updated 400 s ago")
    m.observe_health(h)
    got = samples(m)
    assert got[("perpkeep_healthy", ())] == 0
    assert got[("perpkeep_health_problem", (("problem", "prices_stale"),))] == 1
    assert got[("perpkeep_bot_stale", (("bot", "funding"),))] == 0
    h.busy("funding")
    clock.advance(11)  # a tick unfinished past its 10 s timeout
    h.set_problem("prices_stale", None)
    m.observe_health(h)
    got = samples(m)
    assert got[("perpkeep_bot_stale", (("bot", "funding"),))] == 1
    assert got[("perpkeep_health_problem", (("problem", "prices_stale"),))] == 0  # cleared, still exported as 0
    assert got[("perpkeep_healthy", ())] == 0
    h.beat("funding")
    m.observe_health(h)
    assert samples(m)[("perpkeep_healthy", ())] == 1


def test_counters_follow_prometheus_names() -> None:
    m = Metrics()
    m.journal_write_error("busy")
    m.rpc_counts(requests=7, rate_limited=2, retries=3)
    m.set_fee_payer(1_500_000_000, 50_000_000)
    got = samples(m)
    assert got[("perpkeep_journal_write_errors_total", (("reason", "busy"),))] == 1
    assert got[("perpkeep_rpc_requests_total", ())] == 7
    assert got[("perpkeep_rpc_rate_limited_total", ())] == 2
    assert got[("perpkeep_rpc_retries_total", ())] == 3
    assert got[("perpkeep_fee_payer_balance_lamports", ())] == 1_500_000_000
    assert got[("perpkeep_fee_payer_min_balance_lamports", ())] == 50_000_000


@pytest.fixture
def world(perp_program: bytes) -> LedgerWorld:
    return build_ledger_world(SETTINGS, perp_program, Path(build_program("mock_oracle")).read_bytes())


def _market(world: LedgerWorld, index: int) -> Market:
    return Market.decode(bytes(world.ledger.get_account(world.dep.markets[index].address).data))


async def test_market_backlog_fund_and_payer_gauges_match_the_chain(world: LedgerWorld, tmp_path: Path) -> None:
    config = in_process_config(tmp_path, health={"price_age_heartbeats": 4.0, "funding_lag_periods": 1.5})
    config = dataclasses.replace(config, keeper=dataclasses.replace(config.keeper, min_balance_sol=0.25))
    chain = InProcessChain(world.ledger)
    keeper = Keeper(config, chain, world.dep.wallets["keeper"], serve_http=False)
    await keeper.start()
    try:
        for _ in range(40):  # through the crash: positions open, liquidations happen
            world.scenario.step(world.ledger.advance_slot())
            await asyncio.sleep(0.02)
        for _ in range(100):  # bounded: the housekeeping and the insurance bot catch up with the last slot
            await asyncio.sleep(0.02)
            if keeper.ctx.clock.slot == world.ledger.slot and not keeper.pipeline.in_flight:
                break
        keeper.export_state()
        got = samples(keeper.metrics)
        now = world.ledger.svm.get_clock().unix_timestamp
        assert keeper.ctx.clock.unix_timestamp == now
        for i in (0, 1):
            m = _market(world, i)
            label = (("market", str(i)),)
            assert got[("perpkeep_market_price_age_seconds", label)] == now - m.twap_updated_ts
            assert got[("perpkeep_market_price_age_limit_seconds", label)] == 4 * 60  # 4 heartbeats of 60 s
            assert got[("perpkeep_market_funding_lag_seconds", label)] == max(0, now - m.last_funding_ts - 600)
            assert got[("perpkeep_market_funding_lag_limit_seconds", label)] == 900  # 1.5 periods of 600 s
            assert got[("perpkeep_market_open_interest_base", (("market", str(i)), ("side", "long")))] == \
                m.open_interest_long / BASE_PRECISION
            assert got[("perpkeep_market_mark_price", label)] == m.mark_price / 1e6
        assert sum(v for (name, labels), v in got.items() if name == "perpkeep_market_open_interest_base") > 0
        exchange = Exchange.decode(bytes(world.ledger.get_account(world.dep.exchange).data))
        assert got[("perpkeep_bankrupt_users", ())] == exchange.bankrupt_users
        assert got[("perpkeep_liquidation_backlog_slots", ())] == keeper.ctx.progress.longest_wait(keeper.ctx.clock.slot)
        lamports = world.ledger.get_account(world.dep.wallets["keeper"].pubkey()).lamports
        keeper.check_balance(lamports)
        got = samples(keeper.metrics)
        assert got[("perpkeep_fee_payer_balance_lamports", ())] == lamports
        assert got[("perpkeep_fee_payer_min_balance_lamports", ())] == 250_000_000
        vault = world.ledger.get_account(keeper.bots["insurance"].vault)
        assert vault is not None and keeper.bots["insurance"].fund_balance is not None
        assert got[("perpkeep_insurance_fund_balance_quote", ())] == keeper.bots["insurance"].fund_balance / 1e6
    finally:
        await keeper.stop()
        await chain.close()
