"""The live market maker (``keepers.strategies.market_maker``) inside the simulator: the same bot, in a
keeper of its own on the in-process chain, quoting the real program's book against the scenario's traders.

Against noise traders its spread capture is positive; against informed traders (who see the price path
ahead) adverse selection shows in its inventory PnL and markouts, and its inventory and losses stay
within its limits. The figures themselves are reported, not tuned to thresholds."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from keepers.config import ConfigError
from sim.engine import run_scenario
from sim.scenario_file import scenario_from_mapping

pytestmark = pytest.mark.slow

MAX_INVENTORY_BASE = 50.0
MAX_INVENTORY_QUOTE = 10_000.0

SCENARIO: dict[str, Any] = {
    "scenario": {"name": "mm", "seed": 11, "slots": 200, "seconds_per_slot": 5, "record_every_slots": 5},
    "markets": {"SOL-PERP": {"initial_price": 150.0, "price": {"kind": "gbm", "volatility": 0.001}}},
    "traders": [{"behaviour": "noise", "count": 20, "capital": 5000.0, "leverage": 2.0, "activity": 0.1,
                 "open_at_slot": 5}],
    "keepers": {"bots": ["mark_price", "funding", "liquidator", "settler", "insurance"]},
    "strategies": {"mm": {"kind": "market_maker", "deposit": 1_000_000.0,
                          "bot": {"levels": 3, "base_size": 2.0, "max_inventory_base": MAX_INVENTORY_BASE,
                                  "max_inventory_quote": MAX_INVENTORY_QUOTE, "requote_every_s": 5.0}}},
    "insurance": {"stake": 2000.0},
}


def _run(behaviour: str) -> Any:
    mapping = copy.deepcopy(SCENARIO)
    mapping["traders"][0]["behaviour"] = behaviour
    return run_scenario(scenario_from_mapping(mapping, Path(".")))


def test_against_noise_traders_the_maker_captures_the_spread() -> None:
    run = _run("noise")
    s = run.summary
    assert s["strategy.mm.SOL-PERP.fills"] > 0
    assert s["strategy.mm.SOL-PERP.spread_capture"] > 0
    # the attribution adds up to the equity the engine read from the chain (fees paid count negative there)
    parts = s["strategy.mm.SOL-PERP.spread_capture"] + s["strategy.mm.SOL-PERP.inventory_pnl"] + s["strategy.mm.SOL-PERP.fees"]
    assert parts == pytest.approx(s["strategy.mm.pnl"], rel=0.05)
    assert max(abs(x) for x in run.series["strategy.mm.inventory.SOL-PERP"]) <= MAX_INVENTORY_BASE


def test_against_informed_traders_losses_stay_within_the_limits() -> None:
    run = _run("informed")
    s = run.summary
    assert s["strategy.mm.SOL-PERP.inventory_pnl"] < 0  # they trade ahead of the price: the maker's inventory loses
    assert s["strategy.mm.SOL-PERP.markout_60"] < s["strategy.mm.SOL-PERP.markout_1"]  # adverse selection
    assert max(abs(x) for x in run.series["strategy.mm.inventory.SOL-PERP"]) <= MAX_INVENTORY_BASE
    equity = run.series["strategy.mm.equity"]
    assert min(equity) - equity[0] >= -MAX_INVENTORY_QUOTE


def test_the_bot_settings_are_checked_by_the_keeper_configuration() -> None:
    mapping = copy.deepcopy(SCENARIO)
    mapping["strategies"]["mm"]["bot"]["levels"] = 0
    with pytest.raises(ConfigError, match=r"strategies\.mm\.bot\.levels"):
        scenario_from_mapping(mapping, Path("."))
    mapping = copy.deepcopy(SCENARIO)
    mapping["strategies"]["mm"] = {"kind": "scripted_maker", "bot": {"levels": 3}}
    with pytest.raises(ConfigError, match="only a market_maker or arbitrage strategy takes bot settings"):
        scenario_from_mapping(mapping, Path("."))
