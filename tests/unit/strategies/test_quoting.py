"""The market maker's pure quoting against values worked out by hand (see each test's comment)."""

from __future__ import annotations

import math

import pytest

from keepers.strategies.market_maker.quoting import (
    ArrivalIntensity,
    EwmaVolatility,
    Grid,
    Quote,
    QuoteParams,
    book_imbalance,
    fair_price,
    moved,
    optimal_spread,
    quote_ladder,
    reservation_price,
    spread_floor,
)

GRID = Grid(tick_size=1000, lot_size=100_000_000, min_order_size=100_000_000, min_order_notional=0)
PARAMS = QuoteParams(gamma=0.1, horizon_slots=100, levels=3, level_step_bps=5, base_size=1_000_000_000,
                     size_ladder=1.5, edge_bps=2)


def test_fair_price_is_the_index_skewed_by_book_imbalance() -> None:
    # bids 3+1, asks 1+1: (4 - 2) / 6 = 1/3; 1/3 of a 30 bps skew = 10 bps above the index of 100.
    imb = book_imbalance([3, 1], [1, 1])
    assert imb == pytest.approx(1 / 3)
    assert fair_price(100_000_000, 99_000_000, "index", imb, 30) == pytest.approx(100_100_000)
    assert fair_price(100_000_000, 99_000_000, "mark") == 99_000_000
    assert fair_price(0, 99_000_000, "index") == 99_000_000  # no index yet: the mark
    assert book_imbalance([], []) == 0.0


def test_reservation_price_moves_against_the_inventory() -> None:
    # 100 * (1 - 0.5 * 0.1 * 1e-4 * 100) = 100 * (1 - 5e-4) = 99.95
    assert reservation_price(100.0, 0.5, 0.1, 1e-4, 100) == pytest.approx(99.95)
    assert reservation_price(100.0, -0.5, 0.1, 1e-4, 100) == pytest.approx(100.05)
    assert reservation_price(100.0, 0.0, 0.1, 1e-4, 100) == 100.0


def test_optimal_spread_and_floor() -> None:
    # 0.1 * 1e-4 * 100 = 1e-3, plus (2 / 0.1) ln(1 + 0.1 / 1000) = 20 * 9.9995e-5 = 1.9999e-3
    assert optimal_spread(0.1, 1e-4, 100, 1000) == pytest.approx(1e-3 + 1.99990e-3, rel=1e-5)
    # taker 10 bps - rebate 2 bps + edge 3 bps = 11 bps
    assert spread_floor(10, 2, 3) == pytest.approx(0.0011)
    assert spread_floor(2, 5, 1) == pytest.approx(0.0001)  # a rebate above the fee does not lower the floor below the edge


def test_the_ladder_sits_on_the_grid_around_the_reservation_price() -> None:
    # half spread 1.49995e-3 (above the 10 bps floor); bid 0: 1e8 * (1 - 0.00149995) = 99,850,005 -> 99,850,000;
    # ask 0: 100,149,995 -> 100,150,000; level 1 adds 5 bps: 99,800,005 -> 99,800,000 and 100,199,995 -> 100,200,000;
    # level 2: 99,750,005 -> 99,750,000 and 100,249,995 -> 100,250,000. Sizes 1, 1.5, 2.25 -> 2.2 (lot 0.1).
    qs = quote_ladder(100_000_000, 0.0, 1e-4, 1000, PARAMS, GRID, taker_fee_bps=10, maker_rebate_bps=2)
    assert [(q.price, q.base) for q in qs.bids] == [(99_850_000, 1_000_000_000), (99_800_000, 1_500_000_000),
                                                    (99_750_000, 2_200_000_000)]
    assert [(q.price, q.base) for q in qs.asks] == [(100_150_000, 1_000_000_000), (100_200_000, 1_500_000_000),
                                                    (100_250_000, 2_200_000_000)]
    assert qs.half_spread == pytest.approx(0.00149995, rel=1e-6)


def test_the_floor_widens_a_narrow_model_spread() -> None:
    # sigma2 = 0, k = 1e6: model half spread = 10 * ln(1 + 1e-7) = 1e-6, below the 10 bps floor (10 - 2 + 2);
    # bid 0 = 1e8 * (1 - 0.001) = 99,900,000, ask 0 = 100,100,000.
    qs = quote_ladder(100_000_000, 0.0, 0.0, 1e6, PARAMS, GRID, taker_fee_bps=10, maker_rebate_bps=2)
    assert qs.bids[0].price == 99_900_000 and qs.asks[0].price == 100_100_000


def test_a_quote_never_crosses_other_makers_and_rooms_cap_the_sides() -> None:
    # best ask 99,840,000: bid 0 pulled back to 99,839,000, bid 1 (99,800,000) untouched. Bid room 2.0 base:
    # level 0 takes 1.0, level 1 shrinks to 1.0, level 2 has nothing left and is dropped.
    qs = quote_ladder(100_000_000, 0.0, 1e-4, 1000, PARAMS, GRID, 10, 2, best_ask=99_840_000, bid_room=2_000_000_000,
                      ask_room=0)
    assert [(q.price, q.base) for q in qs.bids] == [(99_839_000, 1_000_000_000), (99_800_000, 1_000_000_000)]
    assert qs.asks == ()


def test_ewma_volatility_by_hand() -> None:
    v = EwmaVolatility(decay=0.9, min_samples=1, prior=7.0)
    assert v.update(100.0, 1) == 7.0  # warming up: the prior
    first = math.log(1.01) ** 2  # 100 -> 101 over one slot
    assert v.update(101.0, 2) == pytest.approx(first)
    # 101 -> 99.99 over two slots: ln(0.99)^2 / 2 per slot, weighted 0.1
    assert v.update(99.99, 4) == pytest.approx(0.9 * first + 0.1 * math.log(0.99) ** 2 / 2)
    assert v.update(50.0, 4) == pytest.approx(0.9 * first + 0.1 * math.log(0.99) ** 2 / 2)  # same slot: ignored


def test_arrival_intensity_is_one_over_the_mean_fill_distance() -> None:
    k = ArrivalIntensity(decay=0.5, min_fills=2, prior=123.0)
    assert k.update(100.1, 100.0) == 123.0  # one fill: still the prior
    # distances 0.001 and 0.003, weighted half and half: mean 0.002 -> k = 500
    assert k.update(99.7, 100.0) == pytest.approx(500.0)


def test_requote_only_past_the_thresholds() -> None:
    cur = [Quote("bid", 0, 100_000_000, 1_000_000_000), Quote("ask", 0, 100_200_000, 1_000_000_000)]
    same = [Quote("bid", 0, 100_005_000, 1_000_000_000), Quote("ask", 0, 100_200_000, 1_050_000_000)]
    assert not moved(cur, same, price_bps=1.0, size_share=0.1)  # 0.5 bps and 4.8 %: within
    far = [Quote("bid", 0, 100_020_000, 1_000_000_000), Quote("ask", 0, 100_200_000, 1_000_000_000)]
    assert moved(cur, far, price_bps=1.0, size_share=0.1)  # 2 bps
    assert moved(cur, cur[:1], price_bps=1.0, size_share=0.1)  # a side emptied
