"""keepers/observability/metrics.py: metrics, watchdogs, and the /metrics + /health endpoint over 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import pytest

from keepers.clock import VirtualClock
from keepers.observability.metrics import Health, Metrics, ObservabilityServer


def get(port: int, path: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, r.headers["Content-Type"], r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read()


def test_metrics_render() -> None:
    m = Metrics()
    m.attempted("liquidator", "liquidate_perp")
    m.landed("liquidator", "liquidate_perp", 0.4, compute_units=60_000, fee_lamports=5_000)
    m.failed("settler", "settle_pnl", "StaleOracle", 1.5)
    m.alert("insurance", "low_coverage")
    m.set_fee_payer(2_500_000_000, 50_000_000)
    m.set_insurance_coverage(0.07)
    m.set_liquidatable_users(3)
    m.rpc_reconnected()
    text = m.render().decode()
    for line in ['perpkeep_actions_attempted_total{bot="liquidator",kind="liquidate_perp"} 1.0',
                 'perpkeep_actions_landed_total{bot="liquidator",kind="liquidate_perp"} 1.0',
                 'perpkeep_actions_failed_total{bot="settler",error="StaleOracle",kind="settle_pnl"} 1.0',
                 'perpkeep_action_latency_seconds_bucket{bot="liquidator",kind="liquidate_perp",le="0.5"} 1.0',
                 'perpkeep_compute_units_count{kind="liquidate_perp"} 1.0',
                 'perpkeep_fees_spent_lamports_total{bot="liquidator"} 5000.0',
                 "perpkeep_fee_payer_balance_lamports 2.5e+09", "perpkeep_insurance_coverage_ratio 0.07", "perpkeep_liquidatable_users 3.0",
                 'perpkeep_alerts_total{bot="insurance",reason="low_coverage"} 1.0', "perpkeep_rpc_reconnects_total 1.0"]:
        assert line in text, line
    assert 'bot="liquidator"' not in Metrics().render().decode()  # each instance has its own registry


def test_health_watchdogs() -> None:
    clock = VirtualClock()
    h = Health(clock)
    assert h.report() == (True, {})
    h.register("funding", 10.0)
    h.register("settler", 30.0)
    clock.advance(3600)  # a bot that idles (no tick started) is never stale, however long it sleeps
    ok, bots = h.report()
    assert ok and bots["funding"] == {"age_s": 3600.0, "timeout_s": 10.0, "stale": False}
    h.busy("funding")  # a tick starts...
    h.busy("settler")
    clock.advance(5)
    h.beat("settler")  # ...the settler's finishes
    clock.advance(5)
    assert h.report()[0]  # 10 s into the funding tick: at its timeout, not past it
    clock.advance(1)
    ok, bots = h.report()
    assert not ok and bots["funding"] == {"age_s": 3611.0, "timeout_s": 10.0, "stale": True}
    assert bots["settler"] == {"age_s": 6.0, "timeout_s": 30.0, "stale": False}
    h.beat("funding")
    assert h.report()[0]
    # Failing ticks do not beat: the watchdog counts from the first busy, not from the latest retry.
    h.busy("settler")
    clock.advance(20)
    h.busy("settler")
    clock.advance(11)
    assert h.report()[1]["settler"]["stale"]
    with pytest.raises(KeyError, match="not registered"):
        h.beat("ghost")
    with pytest.raises(KeyError, match="not registered"):
        h.busy("ghost")


async def test_server_serves_metrics_and_health() -> None:
    clock = VirtualClock()  # moved by hand: the server itself runs on the test's live loop
    metrics, health = Metrics(), Health(clock)
    health.register("mark_price", 30.0)
    server = ObservabilityServer(metrics, health, "127.0.0.1", 0)
    await server.start()
    try:
        assert server.port > 0
        metrics.attempted("mark_price", "update_prices")
        metrics.landed("mark_price", "update_prices", 0.2, 12_000, 5_000)
        status, ctype, body = await asyncio.to_thread(get, server.port, "/metrics")
        assert status == 200 and ctype == "text/plain; version=0.0.4; charset=utf-8"
        text = body.decode()
        assert 'perpkeep_actions_landed_total{bot="mark_price",kind="update_prices"} 1.0' in text
        assert 'perpkeep_bot_last_heartbeat_age_seconds{bot="mark_price"} 0.0' in text

        status, _, body = await asyncio.to_thread(get, server.port, "/health")
        assert status == 200 and json.loads(body) == {
            "ok": True, "bots": {"mark_price": {"age_s": 0.0, "timeout_s": 30.0, "stale": False}}, "problems": {}}

        health.set_problem("sol_balance", "0.0100 SOL, below 0.0500")
        status, _, body = await asyncio.to_thread(get, server.port, "/health")
        assert status == 503 and json.loads(body)["problems"] == {"sol_balance": "0.0100 SOL, below 0.0500"}
        health.set_problem("sol_balance", None)
        assert (await asyncio.to_thread(get, server.port, "/health"))[0] == 200

        health.busy("mark_price")  # a tick that does not finish within the timeout
        clock.advance(31)
        status, _, body = await asyncio.to_thread(get, server.port, "/health")
        assert status == 503 and json.loads(body)["ok"] is False
        assert json.loads(body)["bots"]["mark_price"]["stale"] is True
        _, _, body = await asyncio.to_thread(get, server.port, "/metrics")
        assert 'perpkeep_bot_last_heartbeat_age_seconds{bot="mark_price"} 31.0' in body.decode()

        assert (await asyncio.to_thread(get, server.port, "/nope"))[0] == 404
        assert (await asyncio.to_thread(get, server.port, "/"))[0] == 404
    finally:
        await server.stop()


async def test_server_refuses_other_methods() -> None:
    server = ObservabilityServer(Metrics(), Health(), "127.0.0.1", 0)
    await server.start()
    try:
        req = urllib.request.Request(f"http://127.0.0.1:{server.port}/metrics", data=b"x", method="POST")

        def post() -> int:
            try:
                return urllib.request.urlopen(req, timeout=5).status
            except urllib.error.HTTPError as e:
                return e.code
        assert await asyncio.to_thread(post) == 405
    finally:
        await server.stop()
