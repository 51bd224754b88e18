"""The maker's risk controls and analytics against hand-worked figures."""

from __future__ import annotations

import dataclasses

import pytest

from keepers.strategies.market_maker.analytics import MakerAnalytics
from keepers.strategies.market_maker.risk import (
    Kill,
    Observation,
    RiskLimits,
    inventory_limit,
    kill_reasons,
    margin_capacity,
    over_limit,
    rooms,
)

B = 1_000_000_000
LIMITS = RiskLimits(max_inventory_base=10 * B, max_inventory_notional=500_000_000, max_order_base=B,
                    max_drawdown=50_000_000, min_free_collateral=10_000_000, min_sol_lamports=1_000_000)
CALM = Observation(oracle_valid=True, oracle_age_slots=1, oracle_conf_bps=5, last_return_bps=3, sigma_bps=10,
                   silent_s=0.5, sol_lamports=5_000_000, equity=1_000_000_000, peak_equity=1_020_000_000,
                   free_collateral=900_000_000)


def test_limits_by_hand() -> None:
    # 500 quote at a price of 100: 5 base, below the 10 base limit
    assert inventory_limit(LIMITS, 100_000_000) == 5 * B
    # (1,000 - 200) * 50 % = 400 quote free; 100 * 10 % = 10 quote per base -> 40 base
    assert margin_capacity(1_000_000_000, 200_000_000, 100_000_000, 1000, 5000) == 40 * B
    assert margin_capacity(100, 200, 100_000_000, 1000, 5000) == 0
    # long 2 under a cap of 5: bids may add 3, asks 7
    assert rooms(2 * B, 5 * B, 40 * B) == (3 * B, 7 * B)
    assert rooms(6 * B, 5 * B, 40 * B) == (0, 11 * B)
    assert over_limit(7 * B, 5 * B) == 2 * B and over_limit(-6 * B, 5 * B) == -B and over_limit(B, 5 * B) == 0


@pytest.mark.parametrize("change, kill", [
    ({"oracle_valid": False}, Kill.ORACLE_STALE),
    ({"oracle_age_slots": 26}, Kill.ORACLE_STALE),
    ({"oracle_conf_bps": 51}, Kill.ORACLE_UNCERTAIN),
    ({"last_return_bps": -201}, Kill.VOLATILITY_SPIKE),
    ({"sigma_bps": 101}, Kill.VOLATILITY_SPIKE),
    ({"silent_s": 10.5}, Kill.CONNECTION_LOST),
    ({"sol_lamports": 999_999}, Kill.SOL_BALANCE_LOW),
    ({"equity": 969_000_000}, Kill.DRAWDOWN),  # 51 below the peak of 1,020
    ({"free_collateral": 9_999_999}, Kill.MARGIN_FLOOR),
])
def test_each_kill_switch_fires_alone(change: dict, kill: Kill) -> None:
    assert kill_reasons(CALM, LIMITS) == []
    assert kill_reasons(dataclasses.replace(CALM, **change), LIMITS) == [kill]


def test_pnl_splits_into_spread_inventory_fees_and_funding() -> None:
    a = MakerAnalytics()
    a.placed(4)
    a.mark(1, 100_000_000)  # fair 100
    a.fill(1, True, 99_900_000, 2 * B, rebate=40_000, order_id=7)  # bought 2 at 99.9: spread +0.2, rebate 0.04
    a.mark(2, 100_500_000)  # fair 100.5: inventory +1.0; markout(1) = (100.5 - 99.9) * 2 = 1.2
    a.fill(2, False, 100_600_000, B, rebate=20_000, order_id=8)  # sold 1 at 100.6: spread +0.1
    a.mark(11, 100_000_000)  # fair 100 with 1 long: inventory -0.5; markout(10) of the first: 0.1 * 2 = 0.2
    a.funded(-30_000)
    d = a.as_dict()
    assert d["spread_capture"] == pytest.approx(0.3)
    assert d["inventory_pnl"] == pytest.approx(0.5)
    assert d["fees"] == pytest.approx(0.06) and d["funding"] == pytest.approx(-0.03)
    # the split sums to the PnL at the fair price: cash -199.8 + 100.6 + rebates 0.06 - 0.03 + 1 * 100 = 0.83
    assert d["pnl"] == pytest.approx(0.83)
    # markout(1) of the first fill at fair 100.5: +1.2; of the second, at slot 11 (fair 100): (100.6 - 100) * 1 = +0.6
    assert d["markouts"][1] == pytest.approx(1.8)
    assert d["markouts"][10] == pytest.approx(0.2)
    assert d["markouts"][60] == 0.0
    assert d["fill_ratio"] == 0.5


def test_uptime_and_time_at_limit_are_shares_of_observed_time() -> None:
    a = MakerAnalytics()
    a.observe(3.0, True, False)
    a.observe(1.0, False, True)
    assert a.as_dict()["quote_uptime"] == 0.75 and a.as_dict()["time_at_limit"] == 0.25
