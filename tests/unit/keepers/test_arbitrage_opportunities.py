"""Arbitrage opportunities (``keepers.strategies.arbitrage.opportunities``) on books worked by hand."""

from __future__ import annotations

import math
import random
from decimal import Decimal as D

import pytest

from keepers.strategies.arbitrage.opportunities import (
    KalmanHedge, PairsPosition, PairsSignal, basis, cross_venue, latency_risk_bps, triangular,
)
from keepers.venues.base import Book, Side

FEE = D("0.0005")  # 5 bps taker


def book(symbol: str, bids: list[tuple[str, str]], asks: list[tuple[str, str]]) -> Book:
    return Book(symbol, tuple((D(p), D(q)) for p, q in bids), tuple((D(p), D(q)) for p, q in asks))


def test_latency_risk_is_z_sigma_sqrt_t() -> None:
    # 0.1% per sqrt(s) volatility, 0.25 s round trip, 2 sigma: 2 x 0.001 x 0.5 = 0.001 = 10 bps
    assert latency_risk_bps(0.001, 0.25) == D("10.0")
    with pytest.raises(ValueError):
        latency_risk_bps(-0.1, 1.0)


def test_basis_sells_only_the_bids_that_beat_fee_threshold_and_risk() -> None:
    b = book("SOL-PERP", [("101.00", "2"), ("100.20", "5"), ("100.00", "9")], [("101.50", "3")])
    # bound: 100 x (1 + 0.0005 + (5 + 5) / 10,000) = 100.15: the 101.00 and 100.20 bids qualify
    opp = basis(b, "program", D("100"), FEE, D("5"), D("100"), risk_bps=D("5"))
    assert opp is not None and len(opp.legs) == 1
    leg = opp.legs[0]
    assert (leg.side, leg.qty, leg.limit) == (Side.SELL, D("7"), D("100.20"))
    cost = D("2") * D("101.00") + D("5") * D("100.20")  # 703.00
    assert leg.average == cost / 7
    assert opp.edge == (cost - 700) - FEE * cost  # 3.00 over the index less 0.3515 of fees
    assert opp.edge_bps == opp.edge / cost * 10_000 - 5
    # capped by max_qty
    assert basis(b, "program", D("100"), FEE, D("5"), D("1.5")).legs[0].qty == D("1.5")
    # inside the band: nothing
    assert basis(book("SOL-PERP", [("100.10", "1")], [("100.12", "1")]), "program", D("100"), FEE, D("5"), D("10")) is None


def test_basis_buys_asks_under_the_index() -> None:
    b = book("SOL-PERP", [("98.0", "1")], [("99.0", "1"), ("99.5", "4"), ("99.95", "10")])
    # bound: 100 x (1 - 0.0005 - 0.0005) = 99.90: the 99.0 and 99.5 asks
    opp = basis(b, "program", D("100"), FEE, D("5"), D("100"))
    assert (opp.legs[0].side, opp.legs[0].qty, opp.legs[0].limit) == (Side.BUY, D("5"), D("99.5"))
    assert opp.edge == D("5") * 100 - (D("99.0") + 4 * D("99.5")) - FEE * (D("99.0") + 4 * D("99.5"))


def test_cross_venue_pairs_levels_while_the_bid_beats_the_ask_by_both_fees() -> None:
    cheap = book("BTC-PERP", [("59900", "1")], [("60000", "1"), ("60050", "2"), ("60200", "5")])
    rich = book("BTCUSDT", [("60200", "1.5"), ("60150", "1"), ("60100", "3")], [("60300", "1")])
    # margin = 0.0005 + 0.0002 + 1 bp = 0.0008: an ask of 60,000 needs a bid over 60,048; 60,050 needs over 60,098.04
    opp = cross_venue(cheap, "program", FEE, rich, "binanceusdm", D("0.0002"), D("1"), D("10"))
    buy, sell = opp.legs
    # 1 @ 60,000 vs 60,200; 0.5 @ 60,050 vs 60,200; 1 @ 60,050 vs 60,150; 0.5 @ 60,050 vs 60,100 (edge 50 > 48.04)
    assert (buy.qty, sell.qty) == (D("3"), D("3"))
    buy_cost = D("60000") + D("2.5") * 0 + D("60050") * 2
    sell_value = D("60200") * D("1.5") + D("60150") + D("60100") * D("0.5")
    assert (buy.average, sell.average) == (buy_cost / 3, sell_value / 3)
    assert (buy.limit, sell.limit) == (D("60050"), D("60100"))
    assert opp.edge == sell_value - buy_cost - FEE * buy_cost - D("0.0002") * sell_value
    assert cross_venue(rich, "binanceusdm", FEE, cheap, "program", FEE, D("1"), D("10")) is None


def test_triangular_finds_the_inconsistent_cross() -> None:
    eth_usd = book("ETH-USD", [("3010", "4")], [("3012", "4")])
    eth_btc = book("ETH-BTC", [("0.0499", "10")], [("0.0500", "10")])
    btc_usd = book("BTC-USD", [("59900", "1")], [("60000", "0.15")])
    # through BTC, ETH costs 0.05 x 60,000 = 3,000 USD; it sells for 3,010 directly: +33 bps, fees 15 bps
    opp = triangular(eth_usd, eth_btc, btc_usd, "venue", FEE, D("5"), D("100"))
    a, b, c = opp.legs
    assert (a.side, b.side, c.side) == (Side.SELL, Side.BUY, Side.BUY)
    assert a.qty == b.qty == D("3")  # BTC-USD has 0.15 BTC: 0.15 / 0.05 = 3 ETH
    assert c.qty == D("0.15")
    assert opp.edge == 3 * (D("3010") - D("3000")) - 3 * FEE * 3 * D("3010")
    consistent = book("ETH-USD", [("2999", "4")], [("3001", "4")])
    assert triangular(consistent, eth_btc, btc_usd, "venue", FEE, D("5"), D("100")) is None


def test_kalman_hedge_recovers_a_known_ratio() -> None:
    rng = random.Random(11)
    hedge = KalmanHedge(delta=1e-5, observation_var=0.01)
    x = 100.0
    for _ in range(3000):
        x += rng.gauss(0, 0.5)
        hedge.update(x, 5.0 + 1.8 * x + rng.gauss(0, 0.1))
    assert hedge.beta == pytest.approx(1.8, abs=0.01) and hedge.alpha == pytest.approx(5.0, abs=1.0)


def test_pairs_signal_enters_exits_and_stops() -> None:
    s = PairsSignal(entry=2.0, exit=0.5, stop=4.0, warmup=2)
    assert [s.step(z) for z in (3.0, 3.0)] == [PairsPosition.FLAT] * 2  # warming up
    assert s.step(2.5) is PairsPosition.SHORT_SPREAD
    assert s.step(1.0) is PairsPosition.SHORT_SPREAD  # between exit and entry: hold
    assert s.step(0.4) is PairsPosition.FLAT
    assert s.step(-2.1) is PairsPosition.LONG_SPREAD
    assert s.step(-4.5) is PairsPosition.FLAT  # stopped out: the pair broke
    assert s.step(-5.0) is PairsPosition.FLAT  # no entry beyond the stop
    with pytest.raises(ValueError):
        PairsSignal(entry=1.0, exit=2.0)
    assert math.isfinite(KalmanHedge().update(1.0, 2.0)[1])
