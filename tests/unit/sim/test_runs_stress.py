"""The stress library: each stress changes the scenario keys it is about, and only those."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from sim.runs import stress
from tests.unit.sim.runs_support import small_mapping


@pytest.fixture
def base(tmp_path: Path) -> dict:
    m = small_mapping(tmp_path, slots=1800)  # 1,800 slots of 5 s: the shock at slot 600
    m["markets"]["BTC-PERP"] = {"initial_price": 60000.0, "price": {"kind": "gbm", "volatility": 0.001}}
    return m


def _diff(a: object, b: object, path: str = "") -> set[str]:
    """Key paths whose values differ between two mappings."""
    if isinstance(a, dict) and isinstance(b, dict):
        return {p for k in set(a) | set(b) for p in _diff(a.get(k), b.get(k), f"{path}.{k}" if path else k)}
    return set() if a == b else {path}


def test_crash_40pct_in_10_minutes(base: dict) -> None:
    before = copy.deepcopy(base)
    out = stress.LIBRARY["crash_40pct_10min"].apply(base)
    assert base == before  # the input is left alone
    for name in ("SOL-PERP", "BTC-PERP"):
        price = out["markets"][name]["price"]
        assert (price["kind"], price["at_slot"], price["drop"], price["over_slots"]) == ("crash", 600, 0.4, 120)
    assert out["scenario"]["name"] == "small-crash+crash_40pct_10min"
    assert out["markets"]["BTC-PERP"]["price"]["volatility"] == 0.001  # the process's own volatility stays


@pytest.mark.parametrize(("name", "changed"), [
    ("flash_wick", {"markets.SOL-PERP.price.at_slot", "markets.SOL-PERP.price.over_slots",
                    "markets.SOL-PERP.price.recover_after_slots", "markets.BTC-PERP.price.kind",
                    "markets.BTC-PERP.price.at_slot", "markets.BTC-PERP.price.drop",
                    "markets.BTC-PERP.price.over_slots", "markets.BTC-PERP.price.recover_after_slots",
                    "markets.SOL-PERP.price.drop"}),
    ("oracle_outage", {"markets.SOL-PERP.oracle.outages", "markets.BTC-PERP.oracle"}),
    ("oracle_divergence", {"markets.SOL-PERP.oracle.fallback", "markets.SOL-PERP.oracle.divergence_bps",
                           "markets.BTC-PERP.oracle"}),
    ("liquidity_drought", {"strategies.maker.levels", "strategies.maker.notional_per_level",
                           "strategies.maker.half_spread_bps"}),
    ("funding_spike", {"traders"}),
    ("liquidator_outage", {"keepers.outages"}),
    ("rpc_faults", {"faults"}),
])
def test_each_stress_touches_only_its_keys(base: dict, name: str, changed: set[str]) -> None:
    out = stress.LIBRARY[name].apply(base)
    assert _diff(base, out) - {"scenario.name"} == changed


def test_stress_values(base: dict) -> None:
    sol = stress.LIBRARY["oracle_outage"].apply(base)["markets"]["SOL-PERP"]["oracle"]
    assert sol["outages"] == [{"start_slot": 600, "slots": 120}]  # 10 minutes of 5 s slots
    maker = stress.LIBRARY["liquidity_drought"].apply(base)["strategies"]["maker"]
    assert (maker["levels"], maker["notional_per_level"], maker["half_spread_bps"]) == (1, 2000.0, 50.0)
    keepers = stress.LIBRARY["liquidator_outage"].apply(base)["keepers"]
    assert keepers["outages"] == [{"bot": "liquidator", "start_slot": 600, "slots": 300}]
    assert keepers["bots"] == base["keepers"]["bots"]
    whales = stress.LIBRARY["funding_spike"].apply(base)["traders"]
    assert whales[:-1] == base["traders"] and whales[-1]["behaviour"] == "whale"


def test_select_and_errors(base: dict) -> None:
    assert [s.name for s in stress.select(["rpc_faults", "flash_wick"])] == ["flash_wick", "rpc_faults"]
    assert len(stress.select(None)) == 8
    with pytest.raises(ValueError, match="unknown stress nope"):
        stress.select(["nope"])
    del base["strategies"]
    with pytest.raises(ValueError, match="no scripted_maker"):
        stress.LIBRARY["liquidity_drought"].apply(base)


def test_comparison_is_the_change_from_the_baseline() -> None:
    cols, rows = stress.comparison({
        "baseline": [{"protocol.bad_debt": 10.0}, {"protocol.bad_debt": 20.0}],
        "flash_wick": [{"protocol.bad_debt": 40.0}, {"protocol.bad_debt": 50.0}],
    })
    assert cols == ["scenario", "seeds", "protocol.bad_debt", "Δ protocol.bad_debt"]
    assert rows[0][:3] == ["baseline", 2, 15.0] and rows[1] == ["flash_wick", 2, 45.0, 30.0]
