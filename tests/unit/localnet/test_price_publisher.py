"""The price publisher: paths, cadence, cues and the withheld switch, publishing through the mock oracle
program and read back by the perp program's C readers (through the oracle probe)."""

from __future__ import annotations

import math
import random
import statistics
from decimal import Decimal
from pathlib import Path

import pytest
from solders.keypair import Keypair

from keepers.exchange.oracles import OracleKind
from keepers.execution.results import Failed
from localnet.bootstrap import default_market_params
from localnet.mock_oracle import MockOracle
from localnet.oracle_lab import OracleLab, ProbeResult, mock_oracle_config
from localnet.price_publisher import (
    CrashPath,
    GbmPath,
    GoStale,
    JumpPath,
    OracleFeed,
    PricePublisher,
    ReplayPath,
    WidenConfidence,
)
from programs_client.perp.errors import custom as perp_errors

FEED_ID = bytes([7]) * 32
PARAMS = default_market_params()  # staleness 150 slots, confidence 200 bps, divergence 500 bps


# -- paths ------------------------------------------------------------------------------------------------
def _walk(path, seed: int, steps: int) -> list[float]:
    rng = random.Random(seed)
    return [path.next_price(rng) for _ in range(steps)]


def test_gbm_is_replayed_by_its_seed_and_has_the_asked_volatility() -> None:
    a = _walk(GbmPath(100.0, volatility=0.02), 7, 2_000)
    assert a == _walk(GbmPath(100.0, volatility=0.02), 7, 2_000)
    assert a != _walk(GbmPath(100.0, volatility=0.02), 8, 2_000)
    returns = [math.log(b / a_) for a_, b in zip([100.0] + a, a)]
    assert statistics.stdev(returns) == pytest.approx(0.02, rel=0.1)
    assert abs(statistics.mean(returns)) < 0.002


def test_jumps_crash_and_replay() -> None:
    assert _walk(JumpPath(10.0, volatility=0.0, jump_probability=1.0, jump_mean=math.log(2), jump_std=0.0), 1, 3) == pytest.approx([20, 40, 80])
    assert _walk(JumpPath(10.0, volatility=0.0, jump_probability=0.0), 1, 3) == pytest.approx([10, 10, 10])
    assert _walk(CrashPath(50.0, volatility=0.0, crash_at=3, drop=0.4), 1, 5) == pytest.approx([50, 50, 30, 30, 30])
    assert _walk(ReplayPath([1.5, 2.5]), 1, 4) == [1.5, 2.5, 2.5, 2.5]
    with pytest.raises(ValueError):
        CrashPath(50.0, drop=1.5)


def test_replay_from_csv(tmp_path: Path) -> None:
    csv_path = tmp_path / "prices.csv"
    csv_path.write_text("slot,close\n1,101.25\n2,99.5\n3,100\n")
    assert _walk(ReplayPath.from_csv(csv_path, column="close"), 0, 4) == [101.25, 99.5, 100.0, 100.0]
    with pytest.raises(ValueError, match="no column 'price'"):
        ReplayPath.from_csv(csv_path)


# -- publishing through the mock oracle ------------------------------------------------------------------
def _feeds(lab: OracleLab) -> dict[OracleKind, OracleFeed]:
    return {
        OracleKind.PYTH_LEGACY: OracleFeed(OracleKind.PYTH_LEGACY, lab.oracle.create_account(OracleKind.PYTH_LEGACY), "pyth"),
        OracleKind.PYTH_PULL_V2: OracleFeed(OracleKind.PYTH_PULL_V2, lab.oracle.create_account(OracleKind.PYTH_PULL_V2), "pull",
                                            exponent=-10, feed_id=FEED_ID),
        OracleKind.SWITCHBOARD_V2: OracleFeed(OracleKind.SWITCHBOARD_V2, lab.oracle.create_account(OracleKind.SWITCHBOARD_V2),
                                              "sbv2", scale=18),
        OracleKind.SWITCHBOARD_ON_DEMAND: OracleFeed(OracleKind.SWITCHBOARD_ON_DEMAND,
                                                     lab.oracle.create_account(OracleKind.SWITCHBOARD_ON_DEMAND), "ondemand"),
    }


def _read(lab: OracleLab, primary: OracleFeed, fallback: OracleFeed | None = None, slot: int = 0) -> ProbeResult:
    config = mock_oracle_config(primary.kind, primary.address, fallback.kind if fallback else OracleKind.NONE,
                                fallback.address if fallback else None, primary.feed_id,
                                fallback.feed_id if fallback else bytes(32))
    return lab.select(config, PARAMS, primary.address, fallback.address if fallback else None, current_slot=slot)


def _floor_1e6(price: float) -> int:
    return int(Decimal(price).scaleb(6))


def test_every_layout_carries_the_path_price_to_the_c_reader(lab: OracleLab) -> None:
    feeds = _feeds(lab)
    pub = PricePublisher.seeded(lab.oracle, list(feeds.values()), GbmPath(143.25, volatility=0.01), seed=3)
    for slot in range(1_000, 1_010):
        lab.svm.warp(slot)
        tick = pub.tick(slot)
        assert tick is not None and tick.published == ("pyth", "pull", "sbv2", "ondemand") and tick.outcome.ok
        for feed in feeds.values():
            r = _read(lab, feed)
            assert (r.rc, r.publish_slot) == (0, slot)
            assert r.price == _floor_1e6(tick.price), feed.kind  # each layout rounds down to the same 1e6 price
            assert abs(r.conf - _floor_1e6(tick.conf)) <= 1


def test_cadence_skips_slots_that_are_not_due(lab: OracleLab) -> None:
    feed = _feeds(lab)[OracleKind.PYTH_LEGACY]
    pub = PricePublisher.seeded(lab.oracle, [feed], GbmPath(10.0), seed=1, cadence_slots=3)
    ticks = [pub.tick(slot) for slot in range(1_000, 1_010)]
    assert [t.slot for t in ticks if t is not None] == [1_000, 1_003, 1_006, 1_009]
    assert pub.step == 4 and len(pub.history) == 4


def test_stale_cue_stops_publishing_until_the_reader_falls_back(lab: OracleLab) -> None:
    feeds = _feeds(lab)
    primary, fallback = feeds[OracleKind.PYTH_PULL_V2], feeds[OracleKind.SWITCHBOARD_ON_DEMAND]
    path = ReplayPath([100.0])
    stale_primary = PricePublisher.seeded(lab.oracle, [primary], path, seed=1, cadence_slots=10, cues=[GoStale(start=2, steps=1_000)])
    healthy = PricePublisher.seeded(lab.oracle, [fallback], ReplayPath([100.5]), seed=1, cadence_slots=10)
    for slot in range(1_000, 1_200, 10):
        lab.svm.warp(slot)
        stale_primary.tick(slot)
        healthy.tick(slot)
    assert [t.skipped for t in stale_primary.history[:3]] == [None, "stale cue", "stale cue"]
    r = _read(lab, primary, fallback, slot=1_150)
    assert (r.rc, r.source) == (0, 0)  # 150 slots old: still fresh
    r = _read(lab, primary, fallback, slot=1_151)
    assert (r.rc, r.source, r.primary_err, r.price) == (0, 1, perp_errors.OracleStale.code, 100_500_000)


def test_widened_confidence_is_refused_by_the_reader(lab: OracleLab) -> None:
    feed = _feeds(lab)[OracleKind.SWITCHBOARD_V2]
    pub = PricePublisher.seeded(lab.oracle, [feed], ReplayPath([20.0]), seed=1, confidence_bps=10,
                                cues=[WidenConfidence(start=2, steps=1, factor=50)])
    results = []
    for slot in (1_000, 1_001, 1_002):
        lab.svm.warp(slot)
        pub.tick(slot)
        results.append(_read(lab, feed).rc)
    assert results == [0, perp_errors.OracleConfidenceTooWide.code, 0]
    assert [round(t.conf / t.price * 10_000) for t in pub.history] == [10, 500, 10]


def test_withheld_switch_and_withhold_hook(lab: OracleLab) -> None:
    feeds = _feeds(lab)
    asked: list[str] = []

    def hook(name: str) -> bool:
        asked.append(name)
        return name == "pyth"

    pub = PricePublisher.seeded(lab.oracle, list(feeds.values()), ReplayPath([5.0, 6.0, 7.0]), seed=1, withhold=hook)
    lab.svm.warp(1_000)
    tick = pub.tick(1_000)
    assert tick.published == ("pull", "sbv2", "ondemand") and tick.skipped == "withheld by hook"
    assert _read(lab, feeds[OracleKind.PYTH_LEGACY]).rc == perp_errors.OracleInvalidData.code  # never written
    before = lab.data(feeds[OracleKind.PYTH_PULL_V2].address)
    pub.withheld = True
    lab.svm.warp(1_001)
    tick = pub.tick(1_001)
    assert (tick.published, tick.skipped, tick.price) == ((), "withheld", 6.0)  # the path moved on
    assert lab.data(feeds[OracleKind.PYTH_PULL_V2].address) == before
    pub.withheld = False
    assert pub.tick(1_002).published == ("pull", "sbv2", "ondemand")
    assert asked.count("pyth") == 2  # the hook is asked per feed and per published step


def test_biased_feeds_diverge_and_a_rejected_write_is_reported(lab: OracleLab) -> None:
    feeds = _feeds(lab)
    primary = feeds[OracleKind.PYTH_LEGACY]
    fallback = OracleFeed(OracleKind.SWITCHBOARD_V2, feeds[OracleKind.SWITCHBOARD_V2].address, "sbv2", bias_bps=600)
    pub = PricePublisher.seeded(lab.oracle, [primary, fallback], ReplayPath([40.0]), seed=1)
    lab.svm.warp(1_000)
    pub.tick(1_000)
    assert _read(lab, primary, fallback).rc == perp_errors.OracleDivergence.code

    impostor = MockOracle(lab.svm.send, Keypair())  # not the config's authority
    out = PricePublisher.seeded(impostor, [primary], ReplayPath([1.0]), seed=1).tick(1_001)
    assert isinstance(out.outcome, Failed)
