"""Fault injection decisions: seeded, replayable, independent per kind, never on the admin surface."""

from __future__ import annotations

import pytest

from localnet.ledger import LedgerConfig
from localnet.rpc.config import ConfigError, FaultConfig, NodeConfig
from localnet.rpc.faults import FaultInjector
from localnet.up import UpError, load_faults


def _statuses(inj: FaultInjector, n: int = 200) -> list[int | None]:
    out = []
    for _ in range(n):
        f = inj.http_fault(["getSlot"])
        out.append(f.status if f else None)
    return out


def test_same_seed_same_faults_and_reconfigure_replays() -> None:
    cfg = FaultConfig(seed=7, http_429_rate=0.2, http_5xx_rate=0.1)
    a, b = FaultInjector(cfg), FaultInjector(cfg)
    first = _statuses(a)
    assert first == _statuses(b)
    a.configure(cfg)
    assert _statuses(a) == first
    assert first != _statuses(FaultInjector(FaultConfig(seed=8, http_429_rate=0.2, http_5xx_rate=0.1)))
    assert 20 < first.count(429) < 70 and all(s in (None, 429, 500, 502, 503, 504) for s in first)


def test_streams_are_independent() -> None:
    only_429 = FaultInjector(FaultConfig(seed=3, http_429_rate=0.3))
    with_drops = FaultInjector(FaultConfig(seed=3, http_429_rate=0.3, ws_drop_rate=0.5))
    for _ in range(50):
        with_drops.drop_ws_connection()
    assert _statuses(only_429, 100) == _statuses(with_drops, 100)


def test_429_carries_retry_after_and_admin_is_exempt() -> None:
    inj = FaultInjector(FaultConfig(http_429_rate=1.0, retry_after_s=3, latency_ms=50))
    fault = inj.http_fault(["getAccountInfo"])
    assert fault is not None and fault.status == 429 and ("Retry-After", "3") in fault.headers
    assert inj.http_fault(["perpkeep_setFaults"]) is None
    assert inj.http_latency_s(["perpkeep_getFaults"]) == 0.0
    assert inj.http_latency_s(["getSlot"]) == pytest.approx(0.05)
    assert inj.stats.http_429 == 1


def test_method_filter() -> None:
    inj = FaultInjector(FaultConfig(http_5xx_rate=1.0, methods=("sendTransaction",)))
    assert inj.http_fault(["getSlot"]) is None
    assert inj.http_fault(["getSlot", "sendTransaction"]) is not None


def test_stalls_blockhash_ttl_and_oracle_hook() -> None:
    now = [100.0]
    inj = FaultInjector(FaultConfig(blockhash_ttl_slots=5, withheld_oracles=("feedA",)), clock=lambda: now[0])
    assert not inj.slot_stalled()
    inj.stall_now(1500)
    assert inj.slot_stalled() and inj.stall_remaining_s == pytest.approx(1.5)
    now[0] += 2
    assert not inj.slot_stalled()
    assert not inj.blockhash_expired_early(5) and inj.blockhash_expired_early(6)
    assert inj.withhold_oracle_update("feedA") and not inj.withhold_oracle_update("feedB")
    assert inj.stats.oracle_updates_withheld == 1 and inj.stats.blockhashes_expired_early == 1
    random_stalls = FaultInjector(FaultConfig(seed=1, slot_stall_rate=1.0, slot_stall_ms=100), clock=lambda: now[0])
    assert random_stalls.slot_stalled()


def test_config_validation() -> None:
    with pytest.raises(ConfigError, match="unknown fault setting"):
        FaultConfig.from_mapping({"http_429": 1})
    with pytest.raises(ConfigError, match="probability"):
        FaultConfig(ws_drop_rate=1.5)
    with pytest.raises(ConfigError, match="whole number"):
        FaultConfig(latency_ms=-1)
    assert FaultConfig.from_mapping({"methods": ["getSlot"]}).methods == ("getSlot",)
    assert not FaultConfig(seed=9).active and FaultConfig(latency_ms=1).active
    with pytest.raises(ConfigError, match="finalized_depth_slots"):
        NodeConfig(confirmed_depth_slots=5, finalized_depth_slots=2)
    assert NodeConfig(rpc_port=9000).resolved_ws_port == 9001 and NodeConfig(rpc_port=0).resolved_ws_port == 0
    ledger = NodeConfig(confirmed_depth_slots=2, finalized_depth_slots=9, blockhash_valid_slots=40, status_cache_slots=77,
                        lamports_per_signature=10, faucet_lamports=123).ledger
    assert ledger == LedgerConfig(confirmed_depth_slots=2, finalized_depth_slots=9, blockhash_valid_slots=40,
                                  status_cache_slots=77, lamports_per_signature=10, faucet_lamports=123)


def test_load_faults_from_toml_and_json(tmp_path) -> None:
    toml = tmp_path / "faults.toml"
    toml.write_text("[faults]\nhttp_429_rate = 0.25\nretry_after_s = 2\n")
    assert load_faults(toml, seed=11) == FaultConfig(seed=11, http_429_rate=0.25, retry_after_s=2)
    js = tmp_path / "faults.json"
    js.write_text('{"ws_drop_rate": 0.5}')
    assert load_faults(js, None).ws_drop_rate == 0.5
    js.write_text('{"nope": 1}')
    with pytest.raises(UpError, match="unknown fault setting"):
        load_faults(js, None)
    with pytest.raises(UpError, match="cannot read"):
        load_faults(tmp_path / "missing.toml", None)
