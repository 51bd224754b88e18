"""The console's parts that need no keeper: tokens and roles, the rate limiter, the audit log, VaR and expected
shortfall, and parameter changes checked by the config file's rules."""

from __future__ import annotations

import math
import os
import statistics
from pathlib import Path

import pytest

from keepers.config import ConfigError, MarketMakerBotConfig, rebuild_section, section_values
from keepers.console.audit import AuditLog, read_audit
from keepers.console.auth import RateLimiter, TokenFileError, TokenStore, add_token, revoke_token, role_allows
from keepers.console.risk import var_es


def test_tokens_are_verified_by_hash_and_roles_are_ordered(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    with pytest.raises(TokenFileError, match="does not exist"):
        TokenStore(path)
    path.write_text("[]")
    with pytest.raises(TokenFileError, match="no default credentials"):
        TokenStore(path)
    path.write_text('[{"id": "a", "role": "root", "hash": "sha256:00"}]')
    with pytest.raises(TokenFileError, match="expected a list"):
        TokenStore(path)
    path.unlink()
    op_id, operator = add_token(path, "operator", "ops")
    _, viewer = add_token(path, "viewer")
    store = TokenStore(path)
    assert store.verify(operator).role == "operator" and store.verify(operator).token_id == op_id
    assert store.verify(viewer).role == "viewer"
    assert store.verify(operator[:-1]) is None and store.verify(None) is None and store.verify("x" * 10_000) is None
    assert operator not in path.read_text()
    assert revoke_token(path, op_id) and not revoke_token(path, op_id)
    assert TokenStore(path).verify(operator) is None
    with pytest.raises(ValueError, match="role must be one of"):
        add_token(path, "root")
    assert role_allows("admin", "operator") and role_allows("operator", "operator") and not role_allows("viewer", "operator")


def test_the_rate_limiter_allows_the_burst_then_the_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(rate=2.0, burst=5, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(7)] == [True] * 5 + [False] * 2
    assert limiter.allow("b")  # its own bucket
    assert limiter.retry_after_s("a") == pytest.approx(0.5)
    now[0] = 0.5  # one request a half second
    assert limiter.allow("a") and not limiter.allow("a")
    now[0] = 100.0  # refills to the burst, not beyond
    assert sum(limiter.allow("a") for _ in range(10)) == 5


def test_the_audit_log_appends_and_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "audit" / "log.jsonl"
    log = AuditLog(path)
    log.record("t1", "admin", "pause", "market_maker", "applied", "running", "paused")
    log.record("t2", "viewer", "kill", "*", "refused", reason="role viewer may not kill")
    log.close()
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    log = AuditLog(path)  # a restart appends after what is there
    log.record("t1", "admin", "resume", "market_maker", "applied", "paused", "running")
    log.close()
    entries = read_audit(path)
    assert [(e["who"], e["action"], e["outcome"]) for e in entries] == [
        ("t1", "pause", "applied"), ("t2", "kill", "refused"), ("t1", "resume", "applied")]
    assert entries[0]["before"] == "running" and entries[0]["after"] == "paused"
    assert entries[1]["reason"] == "role viewer may not kill"
    assert os.open(path, os.O_RDONLY) >= 0  # noqa: SIM115 - readable by its owner


def test_the_audit_log_follows_a_rotation_and_loses_no_entry(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    log.record("t1", "admin", "pause", "market_maker", "applied", "running", "paused")
    path.rename(tmp_path / "audit.jsonl.1")  # logrotate's default: move the file away, the writer goes on
    log.record("t1", "admin", "resume", "market_maker", "applied", "paused", "running")
    log.record("t2", "operator", "cancel_order", "market 0", "applied")
    assert [e["action"] for e in read_audit(tmp_path / "audit.jsonl.1")] == ["pause"]
    assert [e["action"] for e in read_audit(path)] == ["resume", "cancel_order"]
    path.unlink()  # removed outright: the next entry starts a new file
    log.record("t2", "operator", "place_order", "market 0", "failed")
    log.close()
    assert [e["action"] for e in read_audit(path)] == ["place_order"]
    assert oct(os.stat(path).st_mode & 0o777) == "0o600" and log.seq == 4


def test_var_and_expected_shortfall_of_one_position() -> None:
    rets = [0.01, -0.02, 0.03, -0.04, 0.005, 0.0, -0.01, 0.02, -0.005, 0.015] * 4  # 40 steps
    prices = [100.0]
    for r in rets:
        prices.append(prices[-1] * (1 + r))
    out = var_es({0: 1000.0}, {0: prices})
    assert out["samples"] == 40
    losses = sorted((-1000.0 * r for r in rets), reverse=True)
    # 95% over 40 steps: the 2 worst steps (both -4%: a loss of 40) are beyond the quantile
    assert out["historical"]["0.95"]["var"] == pytest.approx(losses[1]) == pytest.approx(40.0)
    assert out["historical"]["0.95"]["es"] == pytest.approx(40.0)
    assert out["historical"]["0.99"]["var"] == pytest.approx(40.0)
    sigma = 1000.0 * statistics.stdev(rets)
    assert out["parametric"]["0.95"]["var"] == pytest.approx(1.6448536 * sigma, rel=1e-6)
    assert out["parametric"]["0.99"]["es"] == pytest.approx(sigma * math.exp(-2.3263479 ** 2 / 2) / math.sqrt(2 * math.pi)
                                                            / 0.01, rel=1e-6)
    short = var_es({0: -1000.0}, {0: prices})  # a short loses on the +3% steps
    assert short["historical"]["0.95"]["var"] == pytest.approx(30.0)


def test_offsetting_positions_have_no_risk_and_too_little_history_gives_none() -> None:
    up = [100.0, 101.0, 99.0, 102.0, 100.0, 103.0]
    down = [100.0 * 100.0 / p for p in up]  # returns of opposite sign, not exactly opposite
    hedged = [100.0]
    for a, b in zip(up, up[1:]):
        hedged.append(hedged[-1] * (1 - (b / a - 1)))  # exactly opposite returns
    out = var_es({0: 500.0, 1: 500.0}, {0: up, 1: hedged})
    assert out["historical"]["0.95"]["var"] == pytest.approx(0.0, abs=1e-9)
    assert out["parametric"]["0.99"]["var"] == pytest.approx(0.0, abs=1e-6)
    assert var_es({0: 500.0, 1: 500.0}, {0: up, 1: down})["parametric"]["0.99"]["var"] > 0
    assert var_es({0: 500.0}, {0: [100.0, 101.0]}) == {"samples": 0, "markets": [], "historical": {}, "parametric": {}}
    assert var_es({0: 0.0}, {0: up})["markets"] == []


def test_a_parameter_change_is_checked_by_the_config_files_rules() -> None:
    section = MarketMakerBotConfig()
    changed = rebuild_section(section, {"levels": 2, "gamma": 0.5}, "bots.market_maker")
    assert (changed.levels, changed.gamma, changed.base_size) == (2, 0.5, section.base_size)
    for changes, message in (({"levels": 0}, "bots.market_maker.levels: must be a whole number between 1 and 16"),
                             ({"levels": True}, "bots.market_maker.levels"),
                             ({"base_size": 50.0}, "must be <= max_order_base"),
                             ({"unwind_algo": "yolo"}, "must be one of twap, vwap, shortfall"),
                             ({"levls": 2}, "did you mean 'levels'")):
        with pytest.raises(ConfigError, match=message):
            rebuild_section(section, changes, "bots.market_maker")
    assert section_values(changed)["markets"] == [] and section_values(changed)["levels"] == 2


def test_the_dashboard_loads_nothing_from_elsewhere() -> None:
    from keepers.console.app import static_dir

    files = sorted(Path(static_dir()).iterdir())
    assert {f.name for f in files} >= {"index.html", "console.js", "console.css"}
    for f in files:
        text = f.read_text()
        assert "http://" not in text and "https://" not in text and "//cdn" not in text, f.name


def test_the_token_commands_print_a_token_once_and_store_its_hash(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from perpkeep_cli import main

    config = tmp_path / "keeper.toml"
    config.write_text('[cluster]\nrpc_url = "http://127.0.0.1:8899"\n[keeper]\nkeypair_path = "k.json"\n'
                      '[console]\ntoken_file = "tokens.json"\n')
    assert main(["console", "token", "add", "--config", str(config), "--role", "operator", "--label", "alice"]) == 0
    out = capsys.readouterr().out.splitlines()
    token = out[-1]
    assert token.startswith("pk_") and "operator" in out[0]
    principal = TokenStore(tmp_path / "tokens.json").verify(token)
    assert principal is not None and principal.role == "operator" and principal.label == "alice"
    assert token not in (tmp_path / "tokens.json").read_text()
    assert main(["console", "token", "list", "--token-file", str(tmp_path / "tokens.json")]) == 0
    listed = capsys.readouterr().out
    assert principal.token_id in listed and "alice" in listed and token not in listed
    assert main(["console", "token", "revoke", "--config", str(config), principal.token_id]) == 0
    assert main(["console", "token", "revoke", "--config", str(config), principal.token_id]) == 1
    assert (tmp_path / "tokens.json").read_text().strip() == "[]"
    config.write_text('[cluster]\nrpc_url = "http://127.0.0.1:8899"\n[keeper]\nkeypair_path = "k.json"\n')
    assert main(["console", "token", "add", "--config", str(config), "--role", "admin"]) == 1
    assert "console.token_file is not set" in capsys.readouterr().err
