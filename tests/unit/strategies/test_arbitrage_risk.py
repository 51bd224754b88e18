"""The arbitrage bot's pure parts: risk limits, asset deltas and the analytics, with figures worked by hand."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from keepers.strategies.arbitrage.analytics import StrategyAnalytics
from keepers.strategies.arbitrage.bot import client_id_of, floor_to
from keepers.strategies.arbitrage.opportunities import Leg, Opportunity
from keepers.strategies.arbitrage.risk import ArbLimits, allows, asset_deltas
from keepers.venues.base import Side

LIMITS = ArbLimits(max_leg_notional=D(1000), max_total_notional=D(1500), max_open_legs=4, max_asset_base=D(5))
# buy 4 SOL at 150 on the program (600 quote), sell 4 at 151 on the venue (604)
OPP = Opportunity("cross_venue", (Leg("program", "0", Side.BUY, D(4), D(150), D(150)),
                                  Leg("venue", "SOL/USDT:USDT", Side.SELL, D(4), D(151), D(151))), D(3), D(10))
ASSETS = {("program", "0"): "SOL", ("venue", "SOL/USDT:USDT"): "SOL"}


def test_hedged_legs_leave_the_asset_flat() -> None:
    assert asset_deltas(OPP, ASSETS, {}) == {"SOL": D(0)}
    assert allows(OPP, LIMITS, open_legs=0, exposure={}, deltas=asset_deltas(OPP, ASSETS, {})) is None


def test_each_limit_refuses_by_name() -> None:
    deltas = asset_deltas(OPP, ASSETS, {})
    assert allows(OPP, ArbLimits(D(601), D(1500), 4, D(5)), 0, {}, deltas) == "leg_notional"  # 604 > 601
    assert allows(OPP, ArbLimits(D(1000), D(1203), 4, D(5)), 0, {}, deltas) == "total_notional"  # 1,204 > 1,203
    assert allows(OPP, LIMITS, open_legs=3, exposure={}, deltas=deltas) == "open_legs"  # 3 + 2 > 4
    one_leg = Opportunity("basis", OPP.legs[:1], D(1), D(1))
    grow = asset_deltas(one_leg, ASSETS, {})  # +4 SOL
    assert allows(one_leg, LIMITS, 0, {"SOL": D(2)}, grow) == "asset_exposure"  # 2 + 4 > 5
    assert allows(one_leg, LIMITS, 0, {"SOL": D(-8)}, grow) is None  # -8 + 4: past the limit, but less so


def test_analytics_capture_slippage_and_failed_legs() -> None:
    a = StrategyAnalytics()
    a.sent_after(0.002)
    a.sent_after(0.004)
    a.outcome(theoretical=3.0, slippage=0.5, extra_fees=0.1, legs=2, failed=0)
    a.outcome(theoretical=2.0, slippage=0.0, extra_fees=0.0, legs=2, failed=1)
    d = a.as_dict()
    assert (d["theoretical_edge"], d["captured_edge"], d["leg_slippage"]) == (3.0, pytest.approx(2.4), 0.5)
    assert (d["legs"], d["failed_legs"], d["failed_leg_rate"], d["filled"]) == (4, 1, 0.25, 1)
    assert d["capture_ratio"] == pytest.approx(0.8) and d["send_ms_p50"] == pytest.approx(3.0)


def test_grid_rounding_and_client_ids() -> None:
    assert floor_to(D("1.0066"), D("0.001")) == D("1.006") and floor_to(D("2.9"), D("1")) == D("2")
    cid = client_id_of("arb_hedge:arb_legs:cross_venue:0.17:abcdef01")
    assert len(cid) <= 36 and cid == client_id_of("arb_hedge:arb_legs:cross_venue:0.17:abcdef01")
    assert cid != client_id_of("arb_hedge:arb_legs:cross_venue:0.18:abcdef01")
