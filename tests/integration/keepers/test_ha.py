"""Two ``perpkeep run`` processes on one configuration, one active and one standby (``[ha]``), against the
LiteSVM node with the trading scenario: a kill -9 of the active (file lease and PostgreSQL lease), a hung
active (SIGSTOP, then SIGCONT: fenced, standby again) and a rolling hand-over (SIGTERM).

Each process names itself in the journal (``detail.by``), which both share, so the evidence is per
process: what the standby did after taking over, that no intent landed twice, that every transaction
the keeper's wallet landed on chain is a journal row (nothing was sent behind the journal's back), and
that nothing the first process left unfinished stayed so.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from benchmarks.keeper_process import KeeperProcess
from tests.integration.keepers.harness import KeeperWorld, journal_rows, landed_twice, liquidations_from_same_state

pytestmark = pytest.mark.slow

TTL_S, RENEW_S = 3.0, 0.5
START_S = 60.0  # a process on a loaded machine: imports, snapshot, subscriptions
SLACK_S = 3.0  # beyond the configured time: a loaded machine's scheduling


def _config(world: KeeperWorld, ha: str) -> Path:
    """One configuration for both processes (each names itself with PERPKEEP_HA__NAME)."""
    return world.config_file(world.tmp / "journal.sqlite", (
        f'[health]\nprice_age_heartbeats = 20.0\nfunding_lag_periods = 2.0\n\n'
        f'[ha]\n{ha}\nlease_ttl_s = {TTL_S}\nrenew_interval_s = {RENEW_S}\nhandover_timeout_s = 20.0\n'))


def _rows(world: KeeperWorld) -> list[dict]:
    cols = ("id", "key", "kind", "status", "signature", "created_at", "sent_at", "detail")
    rows = journal_rows(world.tmp / "journal.sqlite", f"SELECT {', '.join(cols)} FROM actions ORDER BY id")
    out = [dict(zip(cols, r)) for r in rows]
    for r in out:
        r["by"] = json.loads(r["detail"] or "{}").get("by")
    return out


def _landed_by(world: KeeperWorld, who: str, since: float = 0.0) -> int:
    return sum(1 for r in _rows(world) if r["by"] == who and r["status"] == "landed" and (r["sent_at"] or 0) > since)


def _on_chain(world: KeeperWorld) -> dict[str, bool]:
    """Signature -> succeeded, of every transaction the keeper's wallet paid for on the node."""
    keeper = world.node.deployment.wallets["keeper"].pubkey()
    return world.on_node(lambda: {str(s): r.err is None for s, r in world.node.node.chain.records.items()
                                  if r.account_keys and r.account_keys[0] == keeper})


def _wait(predicate, timeout_s: float, what: str) -> float:  # noqa: ANN001
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout_s, f"{what}: not within {timeout_s} s"
        time.sleep(0.1)
    return time.monotonic() - started


def _check_no_repeat(world: KeeperWorld, first: str) -> None:
    """No intent landed twice, every keeper transaction on chain is journaled, ``first``'s work is resolved."""
    path = world.tmp / "journal.sqlite"
    assert landed_twice(path) == []
    assert liquidations_from_same_state(path) == []
    rows = _rows(world)
    journaled = {r["signature"] for r in rows if r["signature"]}
    chain = _on_chain(world)
    assert set(chain) <= journaled, set(chain) - journaled
    landed = [r["signature"] for r in rows if r["status"] == "landed"]
    assert all(chain.get(s) for s in landed), [s for s in landed if not chain.get(s)]
    left = [(r["id"], r["kind"], r["status"]) for r in rows if r["by"] == first and r["status"] in ("pending", "sent")]
    assert left == [], left


class Pair:
    """Processes "a" and "b" on the world's config; both killed at the end whatever happened."""

    def __init__(self, world: KeeperWorld, config: Path) -> None:
        self.world = world
        self.a = KeeperProcess(config, {"PERPKEEP_HA__NAME": "a"}, world.tmp / "a.log", "a")
        self.b = KeeperProcess(config, {"PERPKEEP_HA__NAME": "b"}, world.tmp / "b.log", "b")

    def start(self) -> None:
        self.a.start().wait_for("ha: took the lease", START_S)
        self.b.start().wait_for("keeper started as standby", START_S)
        self.world.begin_trading()
        _wait(lambda: _landed_by(self.world, "a") >= 5, 60, "a acts")
        assert _landed_by(self.world, "b") == 0 and self.b.find("took the lease") is None
        status, body = self.b.get("/health")
        assert status == 200 and json.loads(body)["role"] == "standby", body
        assert "perpkeep_ha_role 0.0" in self.b.get("/metrics")[1]

    def close(self) -> None:
        for p in (self.a, self.b):
            p.kill()


@pytest.fixture
def world(perp_program: bytes, mock_oracle_program: bytes, tmp_path: Path):  # noqa: ANN201
    w = KeeperWorld.start(perp_program, mock_oracle_program, tmp_path)
    yield w
    w.stop()


def _kill_and_take_over(world: KeeperWorld, config: Path) -> None:
    pair = Pair(world, config)
    try:
        pair.start()
        killed_at = time.time()
        pair.a.kill()  # SIGKILL, reaped: its process (file) or its session (postgres) is gone at once
        line = pair.b.wait_for("ha: took the lease", TTL_S + RENEW_S + SLACK_S)
        took_s = pair.b.seen_at[line] - killed_at
        # Without waiting for the expiry: the holder is known gone at the standby's next attempt.
        assert took_s < TTL_S, f"took over after {took_s:.2f} s"
        _wait(lambda: _landed_by(world, "b", killed_at) >= 3, 60, "b acts after taking over")
        assert "perpkeep_ha_role 1.0" in pair.b.get("/metrics")[1]
        assert pair.b.stop() == 0
        _check_no_repeat(world, "a")
    finally:
        pair.close()


def test_file_lease_standby_takes_over_from_a_killed_active(world: KeeperWorld) -> None:
    _kill_and_take_over(world, _config(world, f'mode = "file"\npath = "{world.tmp / "pair.lease"}"'))


def test_postgres_lease_standby_takes_over_from_a_killed_active(world: KeeperWorld, postgres) -> None:  # noqa: ANN001
    _kill_and_take_over(world, _config(world, f'mode = "postgres"\ndsn = "{postgres.dsn}"\nlease = "kill"'))


def test_a_hung_active_is_replaced_and_fenced_when_it_resumes(world: KeeperWorld, postgres) -> None:  # noqa: ANN001
    pair = Pair(world, _config(world, f'mode = "postgres"\ndsn = "{postgres.dsn}"\nlease = "hang"'))
    try:
        pair.start()
        stopped_at = time.time()
        pair.a.signal(signal.SIGSTOP)  # alive, its session open, silent
        line = pair.b.wait_for("ha: took the lease", TTL_S + RENEW_S + SLACK_S)
        assert pair.b.seen_at[line] - stopped_at >= TTL_S * 0.8  # the expiry, not a dead session, let it in
        _wait(lambda: _landed_by(world, "b", stopped_at) >= 3, 60, "b acts while a is stopped")
        before = len(pair.a.lines)
        resumed_at = time.time()
        pair.a.signal(signal.SIGCONT)
        pair.a.wait_for("ha: lost the lease", 10, after=before)
        status, body = pair.a.get("/health")
        assert status == 200 and json.loads(body)["role"] == "standby", body
        _wait(lambda: _landed_by(world, "b", resumed_at) >= 3, 60, "b goes on acting")
        # Whatever a had signed when it stopped, none of it reached the chain after it resumed.
        chain = _on_chain(world)
        late = [r for r in _rows(world) if r["by"] == "a" and (r["sent_at"] or 0) > resumed_at]
        assert [r["signature"] for r in late if r["signature"] in chain] == [], late
        assert "perpkeep_ha_role 0.0" in pair.a.get("/metrics")[1]
        assert pair.a.find("Traceback") is None, pair.a.tail()
        assert pair.b.stop() == 0 and pair.a.stop() == 0
        assert landed_twice(world.tmp / "journal.sqlite") == []
        assert set(chain) <= {r["signature"] for r in _rows(world) if r["signature"]}
    finally:
        pair.close()


def test_a_rolling_upgrade_hands_over_on_sigterm(world: KeeperWorld) -> None:
    pair = Pair(world, _config(world, f'mode = "file"\npath = "{world.tmp / "pair.lease"}"'))
    try:
        pair.start()  # a is the old version, b the new one started as standby
        asked_at = time.time()
        assert pair.a.stop() == 0  # finishes in-flight work, releases the lease, exits
        released = pair.a.find("ha: released the lease")
        assert released is not None, pair.a.tail()
        line = pair.b.wait_for("ha: took the lease", RENEW_S + SLACK_S)
        assert pair.b.seen_at[line] >= pair.a.seen_at[released]
        _wait(lambda: _landed_by(world, "b", asked_at) >= 3, 60, "b acts after the hand-over")
        assert pair.b.stop() == 0
        _check_no_repeat(world, "a")
    finally:
        pair.close()
