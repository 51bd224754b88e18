"""What /health judges progress by (``keepers.observability.progress``), the slot plausibility rule
(``keepers.chain.slots``) and the counted, rate-limited warnings (``keepers.log_limit``)."""

from __future__ import annotations

import logging

import pytest
from solders.pubkey import Pubkey

from keepers.chain.slots import SlotBound
from keepers.log_limit import CountedLog
from keepers.observability.progress import Progress, late_funding, silent_streams, stale_prices


def test_a_liquidatable_user_counts_from_first_sight_or_its_last_change() -> None:
    a, b = Pubkey.new_unique(), Pubkey.new_unique()
    p = Progress()
    p.saw_liquidatable([a, b], 100)
    p.saw_liquidatable([a, b], 140)
    p.touched(b, 130)  # b's account changed (a partial liquidation): its count restarts there
    assert p.untouched_users(160, 50) == [(a, 60)]
    assert p.untouched_users(160, 60) == []
    p.saw_liquidatable([b], 170)  # a recovered: forgotten; seen again later, it counts afresh
    p.saw_liquidatable([a, b], 171)
    assert p.untouched_users(230, 50) == [(b, 100), (a, 59)]
    p.touched(Pubkey.new_unique(), 200)  # users not liquidatable are not followed
    assert len(p.untouched_users(230, 0)) == 2


def test_streams_are_judged_once_heard_or_expected() -> None:
    p = Progress()
    assert silent_streams(p, ("slot", "oracle"), 1000, 150) == []  # neither heard nor expected
    p.expect("slot", 100)
    p.heard("oracle", 900)
    assert silent_streams(p, ("slot", "oracle"), 1000, 150) == [
        "slot subscription: no notification for 900 slots (limit 150)"]
    p.heard("slot", 990)
    p.expect("slot", 10)  # expecting does not move a stream heard since
    assert silent_streams(p, ("slot", "oracle"), 1000, 150) == []


def test_stale_prices_and_late_funding_name_each_market() -> None:
    assert stale_prices({0: 1000, 1: 1100}, 1200, 150.0) == ["market 0: price updated 200 s ago (limit 150 s)"]
    assert stale_prices({0: 1000}, 1150, 150.0) == []
    # period ends at 3600 (period 3600 s): behind by more than one period at 7201
    assert late_funding({0: (3600, 3600), 1: (7200, 3600)}, 7201, 1.0) == [
        "market 0: funding 3601 s behind its period end (limit 1 x 3600 s)"]
    assert late_funding({0: (3600, 3600)}, 7201, 1.5) == []


def test_a_slot_is_believed_within_the_lead_plus_what_the_chain_can_have_produced() -> None:
    now = [0.0]
    bound = SlotBound(max_lead_slots=150, max_slots_per_s=10.0, clock=lambda: now[0])
    assert bound.plausible(10**9)  # no anchor yet
    assert bound.anchor_at(1000) and bound.anchor == 1000
    assert bound.plausible(1150) and not bound.plausible(1151)
    now[0] = 2.0  # 20 slots more may have passed
    assert bound.plausible(1170) and not bound.plausible(1171)
    assert not bound.anchor_at(1_001_000) and bound.anchor == 1000  # a lie cannot anchor
    assert bound.anchor_at(900) and bound.anchor == 1000  # behind is plausible, and does not move the anchor back
    assert bound.anchor_at(1100) and bound.limit() == 1250


def test_counted_log_writes_one_line_per_interval_with_the_count(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    counted = CountedLog(logging.getLogger("perpkeep.test"), "things dropped", interval_s=10.0, clock=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="perpkeep.test")
    for i in range(1000):
        counted.note("garbage", f"#{i}")
    counted.note("other")
    now[0] = 10.5
    counted.note("garbage", "#1000")
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["things dropped (garbage): 1 (1 in all); latest: #0",
                     "things dropped (other): 1 (1 in all)",
                     "things dropped (garbage): 1000 in the last 10 s (1001 in all); latest: #1000"]
    assert counted.counts == {"garbage": 1001, "other": 1} and counted.total == 1002


def test_the_longest_wait_of_a_liquidatable_user_is_counted_from_its_last_change() -> None:
    p = Progress()
    assert p.longest_wait(100) == 0
    a, b = Pubkey.new_unique(), Pubkey.new_unique()
    p.saw_liquidatable([a], 100)
    p.saw_liquidatable([a, b], 130)
    assert p.longest_wait(160) == 60  # a since slot 100, b since 130
    p.touched(a, 150)  # a liquidation acted on a: its wait starts again
    assert p.longest_wait(160) == 30
    p.saw_liquidatable([], 170)
    assert p.longest_wait(170) == 0
