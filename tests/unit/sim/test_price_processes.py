"""Price processes of ``localnet.price_paths`` against hand-computed expectations, and ``path_from_spec``."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from keepers.config import ConfigError
from localnet.price_paths import CrashPath, GbmPath, HestonPath, Regime, RegimeSwitchingPath, path_from_spec

N = 20_000


def _log_returns(path, n: int, seed: int) -> list[float]:
    rng, prev, out = random.Random(seed), path.price, []
    for _ in range(n):
        p = path.next_price(rng)
        out.append(math.log(p / prev))
        prev = p
    return out


def test_gbm_log_returns_have_the_mean_and_variance_of_its_parameters() -> None:
    mu, sigma = 0.0002, 0.01
    r = _log_returns(GbmPath(100.0, drift=mu, volatility=sigma), N, seed=3)
    expected_mean = mu - sigma**2 / 2  # 0.00015
    # the sample mean is within 4 standard errors (sigma / sqrt(N) = 7.1e-5)
    assert abs(statistics.fmean(r) - expected_mean) < 4 * sigma / math.sqrt(N)
    # the sample variance of a normal sample has standard error sigma^2 * sqrt(2 / (N - 1)) (1e-4 * 0.01)
    assert abs(statistics.variance(r) - sigma**2) < 4 * sigma**2 * math.sqrt(2 / (N - 1))


def test_heston_variance_returns_to_theta_and_returns_carry_it() -> None:
    theta = 4e-4
    path = HestonPath(100.0, kappa=0.05, theta=theta, xi=2e-3, rho=-0.7, v0=1e-4)
    rng, vs, r, prev = random.Random(5), [], [], path.price
    for _ in range(N):
        v = max(path.variance, 0.0)
        p = path.next_price(rng)
        vs.append(v)
        r.append(math.log(p / prev))
        prev = p
    # after the 1/kappa = 20-step memory, the variance averages theta within 5%
    assert statistics.fmean(vs[1000:]) == pytest.approx(theta, rel=0.05)
    # the returns' variance is the mean variance (plus a negligible squared drift of v/2)
    assert statistics.variance(r[1000:]) == pytest.approx(statistics.fmean(vs[1000:]), rel=0.05)
    # shocks to price and variance are negatively correlated (rho < 0)
    dv = [b - a for a, b in zip(vs[1000:], vs[1001:])]
    assert statistics.correlation(r[1000:-1], dv) < -0.4


def test_regime_occupancy_approaches_the_stationary_distribution() -> None:
    # leaving calm with 1%, stress with 4% per step: stationary shares 1/0.01 : 1/0.04 = 0.8 : 0.2
    path = RegimeSwitchingPath(100.0, (Regime(0.0, 0.001), Regime(-0.001, 0.02, switch_probability=0.04)), 0.01)
    assert path.stationary() == pytest.approx([0.8, 0.2])
    rng = random.Random(11)
    for _ in range(4 * N):
        path.next_price(rng)
    share = path.steps_in[0] / sum(path.steps_in)
    assert share == pytest.approx(0.8, abs=0.04)


def test_a_crash_over_several_slots_loses_its_drop_evenly() -> None:
    path = CrashPath(100.0, volatility=0.0, crash_at=3, drop=0.4, over=4)
    prices = [path.next_price(random.Random(0)) for _ in range(8)]
    step = 0.6 ** 0.25
    assert prices == pytest.approx([100, 100, 100 * step, 100 * step**2, 100 * step**3, 60, 60, 60])


@pytest.mark.parametrize(("table", "message"), [
    ({"kind": "gbm", "volatility": -1}, "markets.SOL-PERP.price.volatility: must be a number between 0 and 1, got -1"),
    ({"kind": "brownian"}, "markets.SOL-PERP.price.kind: must be one of"),
    ({"kind": "crash", "drop": 0.4}, "markets.SOL-PERP.price.at_slot: missing"),
    ({"kind": "gbm", "volatilty": 0.1}, "did you mean 'volatility'"),
    ({"kind": "regime", "regimes": [{"drift": 0, "volatility": 2}]}, "markets.SOL-PERP.price.regimes[0].volatility"),
    ({"kind": "heston", "rho": -2}, "markets.SOL-PERP.price.rho"),
])
def test_path_from_spec_names_the_bad_key(table: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        path_from_spec(table, "markets.SOL-PERP.price", 150.0)


def test_path_from_spec_builds_each_kind_and_replays_a_csv(tmp_path) -> None:
    kinds = {"gbm": {}, "jump": {"probability": 0.5}, "crash": {"at_slot": 2, "drop": 0.5}, "cycle": {"crashes": [2]},
             "regime": {"regimes": [{"drift": 0.0, "volatility": 0.01}, {"drift": 0.0, "volatility": 0.05}]},
             "heston": {"theta": 1e-4}}
    for kind, extra in kinds.items():
        path = path_from_spec({"kind": kind, **extra}, "p", 150.0)
        assert path.next_price(random.Random(1)) > 0
    (tmp_path / "prices.csv").write_text("timestamp,price\n0,10.5\n5,11.0\n10,12.25\n")
    replay = path_from_spec({"kind": "replay", "file": "prices.csv"}, "p", base_dir=tmp_path, seconds_per_step=5)
    assert [replay.next_price(random.Random(0)) for _ in range(4)] == [10.5, 11.0, 12.25, 12.25]
