"""Scenario files: the shipped scenarios load; bad values are refused with the key named."""

from __future__ import annotations

from pathlib import Path

import pytest

from keepers.config import ConfigError
from sim.agents import agent_rng, build_population
from sim.scenario_file import load_scenario, scenario_from_mapping

SCENARIOS = Path(__file__).resolve().parents[3] / "sim" / "scenarios"


def test_the_shipped_scenarios_load() -> None:
    demo = load_scenario(SCENARIOS / "demo.toml")
    assert demo.market_names() == ["SOL-PERP", "BTC-PERP"] and demo.traders[0].count == 40
    assert demo.keepers.bots == ("mark_price", "funding", "liquidator", "settler", "insurance", "trigger")
    assert demo.keepers.settings["settler"]["interval_s"] == 0.5
    crash = load_scenario(SCENARIOS / "crash.toml")
    price = crash.markets[0].price
    # 40% in 10 minutes of chain time: 120 slots of 5 s
    assert price["drop"] == 0.40 and price["over_slots"] * crash.run.seconds_per_slot == 600


MINIMAL = {"markets": {"SOL-PERP": {}}}


@pytest.mark.parametrize(("extra", "key"), [
    ({"scenario": {"slots": 0}}, "scenario.slots"),
    ({"markets": {"SOL-PERP": {"price": {"kind": "gbm", "volatility": -1}}}}, "markets.SOL-PERP.price.volatility"),
    ({"markets": {"SOL-PERP": {"params": {"maintenance_margin": 5}}}}, "markets.SOL-PERP.params.maintenance_margin"),
    ({"markets": {"SOL-PERP": {"oracle": {"divergence_bps": 50}}}}, "markets.SOL-PERP.oracle.divergence_bps"),
    ({"markets": {"SOL-PERP": {"oracle": {"outages": [{"start_slot": 0, "slots": 3}]}}}},
     "markets.SOL-PERP.oracle.outages[0].start_slot"),
    ({"traders": [{"behaviour": "gambler", "count": 1}]}, "traders[0].behaviour"),
    ({"traders": [{"behaviour": "noise", "count": 1, "leverage": {"dist": "uniform", "low": 3}}]}, "traders[0].leverage.high"),
    ({"traders": [{"behaviour": "noise", "count": 1, "markets": ["ETH-PERP"]}]}, "traders[0].markets[0]"),
    ({"keepers": {"bots": {"liquidator": {"derisk": 3}}}}, "keepers.bots.liquidator.derisk"),
    ({"keepers": {"bots": ["funding"], "outages": [{"bot": "liquidator", "start_slot": 1, "slots": 2}]}},
     "keepers.outages[0].bot"),
    ({"strategies": {"maker": {"kind": "scripted_maker", "levels": 0}}}, "strategies.maker.levels"),
    ({"scenaro": {}}, "scenaro"),
])
def test_a_bad_value_names_its_key(extra: dict, key: str) -> None:
    mapping = {**MINIMAL, **extra}
    with pytest.raises(ConfigError) as e:
        scenario_from_mapping(mapping, ".")
    assert e.value.key == key, str(e.value)


def test_population_draws_each_trader_from_its_own_seeded_stream() -> None:
    from solders.keypair import Keypair
    from solders.pubkey import Pubkey

    spec = scenario_from_mapping({**MINIMAL, "traders": [
        {"behaviour": "noise", "count": 3, "capital": {"dist": "lognormal", "mean": 1000.0, "sigma": 0.5},
         "leverage": {"dist": "uniform", "low": 2.0, "high": 9.0}}]}, ".")
    keys = lambda name: Keypair()  # noqa: E731 - the wallets do not matter here
    a = build_population(spec.traders, 7, ["SOL-PERP"], Pubkey.default(), keys)
    b = build_population(spec.traders, 7, ["SOL-PERP"], Pubkey.default(), keys)
    assert [(x.capital, x.leverage) for x in a] == [(x.capital, x.leverage) for x in b]
    assert len({x.capital for x in a}) == 3 and all(2.0 <= x.leverage <= 9.0 for x in a)
    # the draws are the group's stream: trader 1's capital is the first lognormal draw of its own RNG
    rng = agent_rng(7, "noise", 1)
    import math

    assert a[1].capital == rng.lognormvariate(math.log(1000.0) - 0.125, 0.5)
