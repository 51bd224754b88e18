"""``sim.metrics``: every figure against values worked out by hand in the comments beside it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim import metrics as m
from sim.run_record import SimRun
from tests.sim_runs import HAND_EQUITY, hand_run

EQUITY = HAND_EQUITY  # 100 -> 110 -> 99 -> 108.9: returns +10%, -10%, +10%
# Four samples a year apart by a quarter: 4 periods per year, sqrt(ppy) = 2.
QUARTERS = [0.0, m.SECONDS_PER_YEAR / 4, m.SECONDS_PER_YEAR / 2, 3 * m.SECONDS_PER_YEAR / 4]


def test_returns_and_pnl() -> None:
    assert m.returns(EQUITY) == pytest.approx([0.1, -0.1, 0.1])
    assert m.pnl(EQUITY) == pytest.approx(8.9)
    # A period that starts at equity 0 has no return: only 10 -> 20 (+100%) is left.
    assert m.returns([0.0, 10.0, 20.0]) == pytest.approx([1.0])
    assert m.returns([]).size == 0 and m.returns([5.0]).size == 0
    assert math.isnan(m.pnl([]))


def test_periods_per_year_from_median_spacing() -> None:
    assert m.periods_per_year(QUARTERS) == pytest.approx(4.0)
    # Spacings 5, 5, 10: median 5 s.
    assert m.periods_per_year([0.0, 5.0, 10.0, 20.0]) == pytest.approx(31_536_000 / 5)
    assert math.isnan(m.periods_per_year([3.0])) and math.isnan(m.periods_per_year([1.0, 1.0]))


def test_sharpe_sortino_calmar_by_hand() -> None:
    r = m.returns(EQUITY)
    # mean 1/30; deviations 2/30, -4/30, 2/30 -> var (4+16+4)/900/2 = 1/75 -> sd 0.11547;
    # per period 1/(2*sqrt(3)), times sqrt(4) = 1/sqrt(3).
    assert m.sharpe(r, 4.0) == pytest.approx(1 / math.sqrt(3))
    # Downside deviation sqrt(0.01/3) = 0.057735; (1/30)/0.057735 = 1/sqrt(3); times 2.
    assert m.sortino(r, 4.0) == pytest.approx(2 / math.sqrt(3))
    # Annual return (1/30)*4 = 0.1333 over a 10% drawdown.
    assert m.calmar(r, 4.0, 0.1) == pytest.approx(4 / 3)


def test_max_drawdown_hit_rate() -> None:
    # Peaks 100, 110, 110, 110: falls 0, 0, 11, 1.1 -> 11 quote, 11/110 = 10%.
    assert m.max_drawdown(EQUITY) == pytest.approx((11.0, 0.1))
    # Changes +10, -11, +9.9: two rises out of three moves.
    assert m.hit_rate(EQUITY) == pytest.approx(2 / 3)
    assert m.hit_rate([1.0, 2.0, 2.0, 1.0]) == pytest.approx(0.5)  # the flat period is not counted
    # A peak at 0 gives no fraction; from -5 to -8 is 3 quote down.
    dd_abs, dd_frac = m.max_drawdown([-5.0, -8.0])
    assert dd_abs == 3.0 and math.isnan(dd_frac)


def test_flat_and_empty_series_are_nan_not_zero() -> None:
    flat = [100.0, 100.0, 100.0]
    r = m.returns(flat)
    assert list(r) == [0.0, 0.0]
    assert math.isnan(m.sharpe(r, 4.0))  # zero variance
    assert math.isnan(m.sortino(r, 4.0))  # no losing period
    assert m.max_drawdown(flat) == (0.0, 0.0)
    assert math.isnan(m.calmar(r, 4.0, 0.0))  # no drawdown
    assert math.isnan(m.hit_rate(flat))
    assert m.pnl(flat) == 0.0
    for empty in ([], np.empty(0)):
        assert all(math.isnan(x) for x in m.max_drawdown(empty))
        assert math.isnan(m.sharpe(m.returns(empty), 4.0)) and math.isnan(m.sortino(m.returns(empty), 4.0))
        assert math.isnan(m.hit_rate(empty)) and math.isnan(m.last(empty))
    assert math.isnan(m.sharpe([0.1], 4.0))  # one return has no standard deviation


def test_turnover_and_buy_and_hold() -> None:
    # |0->2| at 11 + |2->1| at 12 + 0 at 13 = 22 + 12.
    assert m.traded_notional([0.0, 2.0, 1.0, 1.0], [10.0, 11.0, 12.0, 13.0]) == pytest.approx(34.0)
    assert m.traded_notional([3.0], [10.0]) == 0.0
    assert m.turnover(34.0, [60.0, 76.0]) == pytest.approx(0.5)  # mean equity 68
    assert math.isnan(m.turnover(34.0, [0.0, 0.0]))
    assert list(m.buy_and_hold([50.0, 55.0, 45.0], 200.0)) == pytest.approx([200.0, 220.0, 180.0])
    # An index not cranked yet reads 0: the capital waits in cash until the first price, then holds.
    assert list(m.buy_and_hold([0.0, 50.0, 55.0], 100.0)) == pytest.approx([100.0, 100.0, 110.0])
    assert all(math.isnan(x) for x in m.buy_and_hold([0.0, 0.0], 10.0))


def test_var_es_losses_positive() -> None:
    pnls = [-10.0, 5.0, -3.0, 8.0, 0.0, -20.0, 2.0, 4.0, 6.0, 1.0]
    # Losses sorted: 20, 10, 3, 0, ...; alpha 0.8 -> tail of ceil(10*0.2) = 2: VaR 10, ES (20+10)/2.
    assert m.var_es(pnls, 0.8) == pytest.approx((10.0, 15.0))
    # alpha 0.95 -> ceil(0.5) = 1; alpha 0.9 -> exactly 1 (10*0.1 must not round up to 2).
    assert m.var_es(pnls, 0.95) == pytest.approx((20.0, 20.0))
    assert m.var_es(pnls, 0.9) == pytest.approx((20.0, 20.0))
    # 100 runs with PnL -50..49: worst five losses 50..46 -> VaR 46, ES 48.
    assert m.var_es(np.arange(100.0) - 50.0, 0.95) == pytest.approx((46.0, 48.0))
    # Bad debt is already a loss: tail of 2 out of 5 at alpha 0.6 is 100, 50.
    assert m.var_es([0.0, 0.0, 0.0, 50.0, 100.0], 0.6, losses=True) == pytest.approx((50.0, 75.0))
    # A tail that made money has a negative VaR; NaN values are ignored.
    assert m.var_es([10.0, 20.0, math.nan], 0.5) == pytest.approx((-10.0, -10.0))
    assert all(math.isnan(x) for x in m.var_es([math.nan]))
    with pytest.raises(ValueError, match="alpha"):
        m.var_es([1.0], 1.0)


def test_percentiles_and_ci() -> None:
    v = [1.0, 2.0, 3.0, 4.0, 5.0]
    s = m.percentiles_and_ci(v, method="normal")
    # p5 at position 0.05*4 = 0.2 -> 1.2; p95 at 3.8 -> 4.8; std sqrt(2.5); half 1.959964*sqrt(2.5/5).
    assert (s["n"], s["mean"], s["p5"], s["p50"], s["p95"]) == pytest.approx((5, 3.0, 1.2, 3.0, 4.8))
    assert s["std"] == pytest.approx(math.sqrt(2.5))
    assert (s["ci_low"], s["ci_high"]) == pytest.approx((3 - 1.385904, 3 + 1.385904), abs=1e-6)
    b = m.percentiles_and_ci(v, seed=3)
    assert b == m.percentiles_and_ci(v, seed=3)  # seeded: same interval
    assert 1.0 < b["ci_low"] < 3.0 < b["ci_high"] < 5.0
    # The bootstrap interval of the mean of 5 values with sd 1.58 is about +-1.4 wide on each side.
    assert b["ci_high"] - b["ci_low"] == pytest.approx(2 * 1.385904 * 0.9, rel=0.2)
    const = m.percentiles_and_ci([7.0, 7.0, 7.0, math.nan])
    assert const["n"] == 3 and const["ci_low"] == const["ci_high"] == 7.0
    one = m.percentiles_and_ci([4.0])
    assert one["p50"] == 4.0 and math.isnan(one["std"]) and math.isnan(one["ci_low"])
    assert math.isnan(m.percentiles_and_ci([])["mean"])
    with pytest.raises(ValueError, match="method"):
        m.percentiles_and_ci(v, method="t")


def test_protocol_figures_by_hand() -> None:
    p = m.protocol_figures(hand_run())
    assert p["protocol.bad_debt"] == 40.0 and p["protocol.socialized_loss"] == 15.0
    # Fund 1000 -> 1200 -> 900: min 900, 300 below the 1200 peak = 25%.
    assert p["protocol.insurance_fund_min"] == 900.0
    assert p["protocol.insurance_drawdown"] == 300.0 and p["protocol.insurance_drawdown_fraction"] == 0.25
    assert p["protocol.liquidations"] == 4.0
    # Delays 0, 1, 2, 5: median 1.5; p90 at position 2.7 -> 2 + 0.7*3 = 4.1; max 5.
    assert p["protocol.liquidation_delay_p50"] == pytest.approx(1.5)
    assert p["protocol.liquidation_delay_p90"] == pytest.approx(4.1)
    assert p["protocol.liquidation_delay_max"] == 5.0
    # OI summed over markets per row: 25, 40, 31, 6 (a single market never exceeds 30).
    assert p["protocol.open_interest_max"] == 40.0
    assert p["protocol.funding_rate_min"] == -0.003 and p["protocol.funding_rate_max"] == 0.0025
    assert p["protocol.funding_rate_abs_max"] == 0.003


def test_protocol_figures_without_columns_are_nan() -> None:
    run = SimRun({}, 0, {"slot": [0.0, 1.0], "time_s": [0.0, 5.0], "mark.A": [1.0, 1.0]},
                 [{"slot": 1, "kind": "liquidation", "delay_slots": 3}])
    p = m.protocol_figures(run)
    assert p["protocol.liquidations"] == 1.0  # counted from the events when the column is absent
    assert p["protocol.liquidation_delay_max"] == 3.0
    nan_keys = set(m.PROTOCOL_KEYS) - {"protocol.liquidations", "protocol.liquidation_delay_p50",
                                       "protocol.liquidation_delay_p90", "protocol.liquidation_delay_max"}
    assert all(math.isnan(p[k]) for k in nan_keys)
    assert math.isnan(m.protocol_figures(SimRun({}, 0, {"slot": []}))["protocol.liquidation_delay_p50"])


def test_summarize_keys_and_values() -> None:
    s = m.summarize(hand_run())
    expected = set(m.PROTOCOL_KEYS)
    expected |= {f"strategy.maker.{k}" for k in ("pnl", "return", "sharpe", "sortino", "max_drawdown",
                                                  "max_drawdown_abs", "calmar", "hit_rate", "turnover",
                                                  "traded_notional", "fees", "funding")}
    expected |= {f"benchmark.{mk}.{k}" for mk in "AB" for k in ("pnl", "return", "sharpe", "sortino",
                                                                  "max_drawdown", "max_drawdown_abs", "calmar")}
    assert set(s) == expected
    # The keys named by the plan are all there.
    for key in ("protocol.bad_debt", "protocol.insurance_fund_min", "protocol.insurance_drawdown",
                "protocol.socialized_loss", "protocol.liquidations", "protocol.liquidation_delay_p50",
                "protocol.liquidation_delay_max", "protocol.open_interest_max", "protocol.funding_rate_abs_max"):
        assert key in s
    assert s["strategy.maker.pnl"] == pytest.approx(8.9)
    assert s["strategy.maker.return"] == pytest.approx(0.089)
    # Sample every 50 s: per-period Sharpe 1/(2 sqrt 3), scaled by sqrt(31_536_000 / 50).
    assert s["strategy.maker.sharpe"] == pytest.approx(1 / (2 * math.sqrt(3)) * math.sqrt(31_536_000 / 50))
    assert s["strategy.maker.max_drawdown"] == pytest.approx(0.1)
    assert s["strategy.maker.max_drawdown_abs"] == pytest.approx(11.0)
    assert s["strategy.maker.hit_rate"] == pytest.approx(2 / 3)
    assert s["strategy.maker.traded_notional"] == pytest.approx(34.0)  # valued at the index
    assert s["strategy.maker.turnover"] == pytest.approx(34.0 / (417.9 / 4))
    assert s["strategy.maker.fees"] == 1.0 and s["strategy.maker.funding"] == 0.3
    # Benchmark: the maker's first equity (100) in index A 10 -> 13 and in index B 20 -> 18 -> 20.
    assert s["benchmark.A.pnl"] == pytest.approx(30.0) and s["benchmark.A.max_drawdown"] == 0.0
    assert math.isnan(s["benchmark.A.calmar"]) and math.isnan(s["benchmark.A.sortino"])
    assert s["benchmark.B.pnl"] == pytest.approx(0.0)
    assert s["benchmark.B.max_drawdown_abs"] == pytest.approx(10.0)
    assert s["benchmark.B.max_drawdown"] == pytest.approx(0.1)


def test_benchmark_capital_without_strategies_is_one() -> None:
    run = SimRun({}, 0, {"slot": [0.0, 1.0], "time_s": [0.0, 5.0], "mark.A": [2.0, 3.0]})
    assert m.benchmark_capital(run) == 1.0
    s = m.summarize(run)
    assert s["benchmark.A.pnl"] == pytest.approx(0.5)  # the mark stands in for a missing index


def test_distribution_reads_losses_and_outcomes() -> None:
    summaries = [{"strategy.x.pnl": float(p), "protocol.bad_debt": float(b)}
                 for p, b in ((-10, 0), (5, 0), (-3, 50), (8, 0), (0, 100))]
    d = m.distribution(summaries, alpha=0.6)
    assert list(d) == ["protocol.bad_debt", "strategy.x.pnl"]
    # Bad debt as a loss: tail of 2 = 100, 50. PnL: losses 10, 3, 0, -5, -8 -> tail 10, 3.
    assert (d["protocol.bad_debt"]["var"], d["protocol.bad_debt"]["es"]) == pytest.approx((50.0, 75.0))
    assert (d["strategy.x.pnl"]["var"], d["strategy.x.pnl"]["es"]) == pytest.approx((3.0, 6.5))
    assert d["strategy.x.pnl"]["p50"] == 0.0 and d["strategy.x.pnl"]["n"] == 5
    assert m.distribution([{"a": 1.0}, {}])["a"]["n"] == 1  # missing in a run counts as NaN


def test_summarize_an_empty_run_gives_nan_not_errors() -> None:
    run = SimRun({}, 0, {"slot": [], "time_s": [], "mark.A": [], "strategy.x.equity": [],
                         "strategy.x.inventory.A": []})
    s = m.summarize(run)
    assert s["protocol.liquidations"] == 0.0 and s["strategy.x.traded_notional"] == 0.0
    assert all(math.isnan(v) for k, v in s.items() if k not in ("protocol.liquidations", "strategy.x.traded_notional"))


def test_nan_samples_are_skipped() -> None:
    run = hand_run()
    # Funding not yet computed in the first row of A; a NaN equity sample in the middle of the maker's.
    run.series["funding_rate.A"][0] = math.nan
    run.series["funding_rate.B"] = [math.nan] * 4
    p = m.protocol_figures(run)
    assert p["protocol.funding_rate_min"] == -0.003 and p["protocol.funding_rate_max"] == 0.002
    # 100, NaN, 99, 108.9: returns only 99 -> 108.9 (+10%); drawdown 1 from the 100 peak; one rise.
    assert m.returns([100.0, math.nan, 99.0, 108.9]) == pytest.approx([0.1])
    assert m.max_drawdown([100.0, math.nan, 99.0, 108.9]) == pytest.approx((1.0, 0.01))
    assert m.hit_rate([100.0, math.nan, 99.0, 108.9]) == 1.0
    assert all(math.isnan(x) for x in m.max_drawdown([math.nan]))
