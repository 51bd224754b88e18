"""The arbitrage bot (``keepers.strategies.arbitrage``) inside the simulator: the same bot, in a keeper of its
own on the in-process chain, taking the scripted maker's quotes when the oracle has moved past them (basis)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from keepers.config import ConfigError
from sim.engine import run_scenario
from sim.scenario_file import scenario_from_mapping

pytestmark = pytest.mark.slow

SCENARIO: dict[str, Any] = {
    "scenario": {"name": "arb", "seed": 5, "slots": 150, "seconds_per_slot": 5, "record_every_slots": 5},
    "markets": {"SOL-PERP": {"initial_price": 150.0, "price": {"kind": "gbm", "volatility": 0.002}}},
    "traders": [{"behaviour": "noise", "count": 5, "capital": 5000.0, "leverage": 2.0, "activity": 0.1,
                 "open_at_slot": 5}],
    "keepers": {"bots": ["mark_price", "funding", "liquidator", "settler", "insurance"]},
    "strategies": {
        # re-quoted only every 10 slots: between requotes the oracle moves past the stale quotes
        "maker": {"kind": "scripted_maker", "requote_slots": 10, "half_spread_bps": 10.0, "notional_per_level": 2000.0},
        "arb": {"kind": "arbitrage", "deposit": 100_000.0,
                "bot": {"strategies": ["basis"], "threshold_bps": 5.0, "volatility_bps_per_sqrt_s": 0.0,
                        "max_leg_quote": 2000.0, "max_asset_base": 50.0}},
    },
    "insurance": {"stake": 2000.0},
}


def test_the_basis_strategy_takes_stale_quotes_and_reports_its_edge() -> None:
    run = run_scenario(scenario_from_mapping(copy.deepcopy(SCENARIO), Path(".")))
    s = run.summary
    assert s["strategy.arb.basis.sent"] > 0
    assert s["strategy.arb.basis.theoretical_edge"] > 0  # each was sized for a positive edge after fees
    assert 0 <= s["strategy.arb.basis.failed_leg_rate"] <= 1 and s["strategy.arb.basis.orphans"] == 0


def test_its_bot_settings_are_checked_by_the_keeper_configuration() -> None:
    mapping = copy.deepcopy(SCENARIO)
    mapping["strategies"]["arb"]["bot"]["strategies"] = ["triangular"]
    with pytest.raises(ConfigError, match=r"strategies\.arb\.bot\.triangles: the triangular strategy needs"):
        scenario_from_mapping(mapping, Path("."))
