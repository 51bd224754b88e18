"""keepers/config.py: the TOML loader, its checks and overrides, and the keypair reader."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

import keepers
from keepers.config import (
    BOT_NAMES,
    Config,
    ConfigError,
    KeypairError,
    load_config,
    load_keypair,
)
from programs_client.perp.program_id import PROGRAM_ID

MINIMAL = '[cluster]\nrpc_url = "http://127.0.0.1:8899"\n[keeper]\nkeypair_path = "keeper.json"\n'
PUBKEY = str(Pubkey.new_unique())


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "keeper.toml"
    path.write_text(text)
    return path


def load(tmp_path: Path, text: str = MINIMAL, env: dict[str, str] | None = None) -> Config:
    return load_config(write(tmp_path, text), env=env or {})


def test_minimal_file_loads_with_defaults(tmp_path: Path) -> None:
    c = load(tmp_path)
    assert c.cluster.rpc_url == "http://127.0.0.1:8899"
    assert c.cluster.ws_url is None and c.cluster.send_urls == () and c.cluster.commitment == "confirmed"
    assert c.program.program_id == PROGRAM_ID and c.program.exchange is None
    assert c.keeper.keypair_path == tmp_path / "keeper.json"
    assert c.keeper.journal_path == tmp_path / "perpkeep-journal.sqlite"
    assert c.keeper.bots == BOT_NAMES and c.keeper.sub_id == 0 and not c.keeper.dry_run
    assert c.fees.priority_fee_cap_micro_lamports == 1_000_000 and c.fees.max_compute_units == 1_400_000
    assert c.metrics.enabled and (c.metrics.host, c.metrics.port) == ("127.0.0.1", 9464)
    assert (c.logging.level, c.logging.format) == ("info", "json")
    assert c.bots.mark_price.deviation_bps == 20 and c.bots.liquidator.derisk_slice_bps == 2500
    assert c.bots.settler.consume_limit == 16 and c.bots.insurance.coverage_alert_ratio == 0.05
    assert c.bots.liquidator.interval_s == 1.0 and c.bots.insurance.interval_s == 10.0
    assert c.markets == () and c.oracle.program_id is None and c.path == tmp_path / "keeper.toml"
    assert (c.cluster.max_reply_bytes, c.cluster.max_snapshot_bytes) == (16 << 20, 256 << 20)
    assert c.cluster.max_slot_lead == 150
    assert (c.health.price_age_heartbeats, c.health.funding_lag_periods) == (3.0, 1.0)
    assert (c.health.liquidatable_untouched_slots, c.health.subscription_silence_slots) == (50, 150)


def test_example_config_loads(tmp_path: Path) -> None:
    c = load_config(Path(keepers.__file__).parent / "example.toml", env={})
    assert c.keeper.keypair_path == Path(keepers.__file__).parent / "keeper.json"
    assert c.program.program_id == PROGRAM_ID and c.keeper.bots == BOT_NAMES


def test_full_values_convert(tmp_path: Path) -> None:
    c = load(tmp_path, f"""
[cluster]
rpc_url = "http://127.0.0.1:8899"
ws_url = "wss://example.org"
send_urls = ["https://a.example", "http://b.example:8899"]
requests_per_second = 5
[keeper]
keypair_path = "keeper.json"
sub_id = 3
journal_path = "/var/lib/perpkeep/j.sqlite"
[program]
exchange = "{PUBKEY}"
[bots.liquidator]
derisk = false
interval_s = 2
[bots.insurance]
interval_s = 30.5
[[markets]]
index = 0
oracle = "{PUBKEY}"
fallback_feed_id = "{'ab' * 32}"
initial_price = 150
[[markets]]
index = 1
""")
    assert c.keeper.sub_id == 3 and c.keeper.journal_path == Path("/var/lib/perpkeep/j.sqlite")
    assert c.program.exchange == Pubkey.from_string(PUBKEY)
    assert c.cluster.requests_per_second == 5.0 and isinstance(c.cluster.requests_per_second, float)
    assert c.cluster.send_urls == ("https://a.example", "http://b.example:8899")
    assert not c.bots.liquidator.derisk
    assert c.bots.liquidator.interval_s == 2.0 and isinstance(c.bots.liquidator.interval_s, float)
    assert c.bots.insurance.interval_s == 30.5
    assert [m.index for m in c.markets] == [0, 1]
    assert c.markets[0].fallback_feed_id == bytes([0xAB]) * 32 and c.markets[0].initial_price == 150.0


# Each case: TOML appended to a valid file (later tables win for their keys) -> the expected message.
BAD = [
    ("[bots.liquidator]\nderisk_slice_bps = 0",
     "bots.liquidator.derisk_slice_bps: must be a whole number between 1 and 10000, got 0"),
    ("[bots.liquidator]\nderisk_slice_bps = 2.5",
     "bots.liquidator.derisk_slice_bps: must be a whole number between 1 and 10000, got 2.5"),
    ("[bots.liquidator]\nderisk = 1", "bots.liquidator.derisk: must be true or false, got 1"),
    ("[bots.mark_price]\nheartbeat_s = 0", "bots.mark_price.heartbeat_s: must be a number > 0, got 0"),
    ("[bots.mark_price]\nheartbeat_s = \"30\"", 'bots.mark_price.heartbeat_s: must be a number > 0, got "30"'),
    ("[bots.mark_price]\nheartbeat_s = nan", "bots.mark_price.heartbeat_s: must be a number > 0, got nan"),
    ("[bots.liquidator]\ninterval_s = 0", "bots.liquidator.interval_s: must be a number > 0, got 0"),
    ("[bots.insurance]\ninterval_s = -10", "bots.insurance.interval_s: must be a number > 0, got -10"),
    ("[bots.insurance]\ninterval_s = \"10s\"", 'bots.insurance.interval_s: must be a number > 0, got "10s"'),
    ("[bots.settler]\nconsume_limit = 129", "bots.settler.consume_limit: must be a whole number between 1 and 128, got 129"),
    ("[bots.settler]\nfunding_threshold_quote = -1",
     "bots.settler.funding_threshold_quote: must be a whole number between 0 and"),
    ("[bots.insurance]\ncoverage_alert_ratio = 1001",
     "bots.insurance.coverage_alert_ratio: must be a number between 0 and 1000, got 1001"),
    ("[fees]\nreward_share = 1.5", "fees.reward_share: must be a number between 0 and 1, got 1.5"),
    ("[fees]\ncompute_unit_margin = 0.9", "fees.compute_unit_margin: must be a number >= 1.0, got 0.9"),
    ("[fees]\nmax_compute_units = 1400001", "fees.max_compute_units: must be a whole number between 1 and 1400000"),
    ("[fees]\npriority_fee_floor_micro_lamports = 10\npriority_fee_cap_micro_lamports = 5",
     "fees.priority_fee_cap_micro_lamports: must be >= priority_fee_floor_micro_lamports (10), got 5"),
    ("[metrics]\nport = 70000", "metrics.port: must be a whole number between 0 and 65535, got 70000"),
    ("[metrics]\nport = true", "metrics.port: must be a whole number between 0 and 65535, got true"),
    ("[logging]\nlevel = \"loud\"", 'logging.level: must be one of debug, info, warning, error, got "loud"'),
    ("[logging]\nformat = \"xml\"", 'logging.format: must be one of json, text, got "xml"'),
    ("[program]\nprogram_id = \"not-a-key\"", 'program.program_id: must be a base58 public key (32 bytes), got "not-a-key"'),
    ("[program]\ncollateral_mint = 5", "program.collateral_mint: must be a base58 public key (32 bytes), got 5"),
    ("[[markets]]\nname = \"x\"", "markets[0].index: missing (required)"),
    ("[[markets]]\nindex = 70000", "markets[0].index: must be a whole number between 0 and 65535, got 70000"),
    ("[[markets]]\nindex = 0\noracle_kind = \"chainlink\"", "markets[0].oracle_kind: must be one of pyth_legacy, pyth_pull_v2,"),
    ('[[markets]]\nindex = 0\nfallback_feed_id = "abcd"',
     'markets[0].fallback_feed_id: must be 64 hex digits (32 bytes), got "abcd"'),
    ("[[markets]]\nindex = 1\n[[markets]]\nindex = 1", "markets[1].index: market 1 is listed twice"),
    ("markets = 3", "markets: must be a list of tables, got 3"),
    ("bots = 3", "bots: must be a table, got 3"),
    ("[oracle]\nconfig = \"zz\"", 'oracle.config: must be a base58 public key (32 bytes), got "zz"'),
    ("[health]\nprice_age_heartbeats = 0.5", "health.price_age_heartbeats: must be a number >= 1, got 0.5"),
    ("[health]\nfunding_lag_periods = 0", "health.funding_lag_periods: must be a number > 0, got 0"),
    ("[health]\nliquidatable_untouched_slots = 0",
     "health.liquidatable_untouched_slots: must be a whole number >= 1, got 0"),
    ("[health]\nsubscription_silence_slots = 1.5",
     "health.subscription_silence_slots: must be a whole number >= 1, got 1.5"),
    ("[health]\nsilence_slots = 5", "unknown key 'health.silence_slots' (did you mean"),
]


@pytest.mark.parametrize("extra, message", BAD, ids=[m.split(":")[0] + f"-{i}" for i, (_, m) in enumerate(BAD)])
def test_bad_values_name_the_key(tmp_path: Path, extra: str, message: str) -> None:
    text = MINIMAL + extra + "\n" if extra.startswith("[") else extra + "\n" + MINIMAL
    with pytest.raises(ConfigError) as e:
        load(tmp_path, text)
    assert str(e.value).startswith(message)


CLUSTER = '[cluster]\nrpc_url = "http://x"\n'
KEEPER = '[keeper]\nkeypair_path = "k"\n'
# Each case: a whole file -> the expected message.
KEEPER_CLUSTER_BAD = [
    ("[cluster]\n" + KEEPER, "cluster.rpc_url: missing (required)"),
    ('[cluster]\nrpc_url = "ftp://x"\n' + KEEPER, 'cluster.rpc_url: must be a URL (http or https), got "ftp://x"'),
    (CLUSTER + 'ws_url = "http://x"\n' + KEEPER, 'cluster.ws_url: must be a URL (ws or wss), got "http://x"'),
    (CLUSTER + 'send_urls = ["http://a", "nope"]\n' + KEEPER,
     'cluster.send_urls[1]: must be a URL (http or https), got "nope"'),
    (CLUSTER + 'commitment = "max"\n' + KEEPER, 'cluster.commitment: must be one of processed, confirmed, finalized, got "max"'),
    (CLUSTER, "keeper.keypair_path: missing (required)"),
    (CLUSTER + '[keeper]\nkeypair_path = ""', 'keeper.keypair_path: must be a non-empty string, got ""'),
    (CLUSTER + KEEPER + 'bots = ["funding", "sniper"]',
     'keeper.bots[1]: must be one of mark_price, funding, liquidator, settler, insurance, trigger, market_maker, arbitrage, '
     'got "sniper"'),
    (CLUSTER + KEEPER + 'bots = ["funding", "funding"]', 'keeper.bots: names "funding" twice'),
    (CLUSTER + KEEPER + "bots = []", "keeper.bots: must name at least one of"),
    (CLUSTER + KEEPER + "sub_id = 65536", "keeper.sub_id: must be a whole number between 0 and 65535, got 65536"),
    ('[cluster]\nrpc_ulr = "http://x"', "unknown key 'cluster.rpc_ulr' (did you mean 'rpc_url'?)"),
    (CLUSTER + KEEPER + "[bots.liquidatr]", "unknown key 'bots.liquidatr' (did you mean 'liquidator'?)"),
    ("[clusterz]", "unknown key 'clusterz' (did you mean 'cluster'?)"),
    (CLUSTER + KEEPER + "[[markets]]\nindex = 0\nzzz = 1", "unknown key 'markets[0].zzz' (known keys:"),
    (CLUSTER + "max_reply_bytes = 100\n" + KEEPER, "cluster.max_reply_bytes: must be a whole number >= 1024, got 100"),
    (CLUSTER + "max_reply_bytes = 4096\nmax_snapshot_bytes = 2048\n" + KEEPER,
     "cluster.max_snapshot_bytes: must be >= max_reply_bytes (4096), got 2048"),
    (CLUSTER + "max_slot_lead = 0\n" + KEEPER, "cluster.max_slot_lead: must be a whole number >= 1, got 0"),
    (CLUSTER + "max_slots_per_s = -1\n" + KEEPER, "cluster.max_slots_per_s: must be a number > 0, got -1"),
]


@pytest.mark.parametrize("text, message", KEEPER_CLUSTER_BAD)
def test_bad_cluster_and_keeper(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        load(tmp_path, text)
    assert str(e.value).startswith(message)


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        load(tmp_path, MINIMAL + "[fees]\nreward_share = = 1\n")
    assert str(tmp_path / "keeper.toml") in str(e.value) and "line 6" in str(e.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "absent.toml", env={})


def test_env_overrides(tmp_path: Path) -> None:
    env = {"PERPKEEP_CLUSTER__RPC_URL": "https://rpc.example", "PERPKEEP_BOTS__LIQUIDATOR__DERISK": "false",
           "perpkeep_keeper__bots": '["funding", "settler"]', "PERPKEEP_METRICS__PORT": "0",
           "PERPKEEP_BOTS__SETTLER__INTERVAL_S": "2.5", "PERPKEEP_LOGGING__LEVEL": "debug",
           "PERPKEEP_CONFIG": "/elsewhere.toml", "OTHER": "x"}
    c = load(tmp_path, env=env)
    assert c.cluster.rpc_url == "https://rpc.example"
    assert c.bots.liquidator.derisk is False and c.keeper.bots == ("funding", "settler")
    assert c.metrics.port == 0 and c.bots.settler.interval_s == 2.5 and c.logging.level == "debug"


def test_env_override_of_a_missing_required_key(tmp_path: Path) -> None:
    c = load(tmp_path, '[keeper]\nkeypair_path = "k.json"\n', env={"PERPKEEP_CLUSTER__RPC_URL": "http://x:1"})
    assert c.cluster.rpc_url == "http://x:1"


def test_env_override_can_set_markets(tmp_path: Path) -> None:
    c = load(tmp_path, env={"PERPKEEP_MARKETS": "[{index = 2, name = \"ETH-PERP\"}]"})
    assert [(m.index, m.name) for m in c.markets] == [(2, "ETH-PERP")]


@pytest.mark.parametrize("var, message", [
    ("PERPKEEP_CLUSTER__RPC_ULR",
     "environment variable PERPKEEP_CLUSTER__RPC_ULR: unknown key 'cluster.rpc_ulr' (did you mean 'rpc_url'?)"),
    ("PERPKEEP_BOTS__SNIPER__X", "environment variable PERPKEEP_BOTS__SNIPER__X: unknown key 'bots.sniper'"),
    ("PERPKEEP_CLUSTER_RPC_URL", "environment variable PERPKEEP_CLUSTER_RPC_URL: unknown key 'cluster_rpc_url'"),
    ("PERPKEEP_KEEPER__SUB_ID__X", "environment variable PERPKEEP_KEEPER__SUB_ID__X: unknown key 'keeper.sub_id.x'"),
])
def test_unknown_override_variable(tmp_path: Path, var: str, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        load(tmp_path, env={var: "1"})
    assert str(e.value).startswith(message)


def test_bad_override_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        load(tmp_path, env={"PERPKEEP_BOTS__LIQUIDATOR__DERISK_SLICE_BPS": "0"})
    assert str(e.value) == ("bots.liquidator.derisk_slice_bps: must be a whole number between 1 and 10000, got 0"
                            " (set by PERPKEEP_BOTS__LIQUIDATOR__DERISK_SLICE_BPS)")
    with pytest.raises(ConfigError, match=r"keeper.bots\[0\].*set by PERPKEEP_KEEPER__BOTS"):
        load(tmp_path, env={"PERPKEEP_KEEPER__BOTS": '["nope"]'})


def test_relative_paths_resolve_against_the_config_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "etc"
    folder.mkdir()
    write(folder, MINIMAL + 'journal_path = "data/j.sqlite"\n[oracle]\nauthority_keypair_path = "../auth.json"\n')
    monkeypatch.chdir(tmp_path)
    c = load_config(Path("etc/keeper.toml"), env={})
    assert c.keeper.keypair_path == folder / "keeper.json"
    assert c.keeper.journal_path == folder / "data" / "j.sqlite"
    assert c.oracle.authority_keypair_path == folder / ".." / "auth.json"
    home = load(tmp_path, MINIMAL.replace('"keeper.json"', '"~/id.json"'))
    assert home.keeper.keypair_path == Path.home() / "id.json"


def test_from_mapping_and_redacted(tmp_path: Path) -> None:
    c = Config.from_mapping({"cluster": {"rpc_url": "https://user:pw@rpc.example/secret-token?api-key=abc",
                                         "send_urls": ["https://x.example/"]},
                             "keeper": {"keypair_path": "k.json"}}, tmp_path)
    assert c.path is None and c.keeper.keypair_path == tmp_path / "k.json"
    r = c.redacted()
    json.dumps(r)  # plain data
    assert r["cluster"]["rpc_url"] == "https://rpc.example/[redacted]"
    assert r["cluster"]["send_urls"] == ["https://x.example/"]
    assert r["keeper"]["keypair_path"] == str(tmp_path / "k.json")
    assert r["program"]["program_id"] == str(PROGRAM_ID)
    assert "abc" not in json.dumps(r) and "pw" not in json.dumps(r)


def test_localnet_keeper_config_loads(tmp_path: Path) -> None:
    from localnet import mock_oracle as mo
    from localnet.deployment import Deployment, MarketInfo, keeper_config_toml
    from localnet.market_oracles import MarketOracles
    from localnet.price_publisher import OracleFeed
    from keepers.exchange.oracles import OracleKind

    def market(index: int, name: str, fallback: bool) -> MarketInfo:
        primary = OracleFeed(OracleKind.PYTH_LEGACY, Pubkey.new_unique())
        fb = OracleFeed(OracleKind.PYTH_PULL_V2, Pubkey.new_unique(), feed_id=bytes(range(32))) if fallback else None
        return MarketInfo(index, name, Pubkey.new_unique(), MarketOracles(primary, fb), 150.25)

    dep = Deployment(rpc_url="http://127.0.0.1:8899", ws_url="ws://127.0.0.1:8900", program_id=PROGRAM_ID,
                     mint=Pubkey.new_unique(), markets=[market(0, "SOL-PERP", True), market(1, "BTC-PERP", False)],
                     wallets={})
    path = tmp_path / "keeper.toml"
    path.write_text(keeper_config_toml(dep, tmp_path / "keeper.json", tmp_path / "oracle-authority.json"))
    c = load_config(path, env={})
    assert c.cluster.ws_url == "ws://127.0.0.1:8900" and c.program.exchange == dep.exchange
    assert c.program.collateral_mint == dep.mint and c.oracle.program_id == dep.oracle_program
    assert c.oracle.config == mo.config_pda(dep.oracle_program)
    assert c.oracle.authority_keypair_path == tmp_path / "oracle-authority.json"
    sol, btc = c.markets
    assert (sol.index, sol.name, sol.address, sol.oracle) == (0, "SOL-PERP", dep.markets[0].address, dep.markets[0].oracle)
    assert (sol.oracle_kind, sol.fallback_oracle_kind, sol.fallback_feed_id) == ("pyth_legacy", "pyth_pull_v2", bytes(range(32)))
    assert sol.fallback_oracle == dep.markets[0].fallback_oracle and sol.initial_price == 150.25
    assert btc.fallback_oracle is None and btc.fallback_oracle_kind is None


# --- keypair -----------------------------------------------------------------------------------------

def keypair_file(tmp_path: Path, content: str, mode: int = 0o600) -> Path:
    path = tmp_path / "id.json"
    path.write_text(content)
    os.chmod(path, mode)
    return path


def test_keypair_loads(tmp_path: Path) -> None:
    kp = Keypair()
    assert load_keypair(keypair_file(tmp_path, json.dumps(list(bytes(kp))))) == kp


def test_insecure_keypair_refused_unless_allowed(tmp_path: Path) -> None:
    kp = Keypair()
    path = keypair_file(tmp_path, json.dumps(list(bytes(kp))), 0o644)
    with pytest.raises(KeypairError) as e:
        load_keypair(path)
    assert f"chmod 600 {path}" in str(e.value) and "keeper.allow_insecure_keypair" in str(e.value)
    assert load_keypair(path, allow_insecure=True) == kp


def _mismatched() -> str:
    return json.dumps(list(bytes(Keypair())[:32] + bytes(Keypair().pubkey())))


@pytest.mark.parametrize("content, message", [
    ("{not json", "is not valid JSON"),
    ('{"a": 1}', "must hold a JSON list of 64 numbers"),
    (json.dumps(list(range(63))), "must hold a JSON list of 64 numbers"),
    (json.dumps([300] * 64), "must hold numbers between 0 and 255"),
    (json.dumps([1.5] * 64), "must hold numbers between 0 and 255"),
    (json.dumps([True] * 64), "must hold numbers between 0 and 255"),
    (_mismatched(), "its public key does not match its secret key"),
])
def test_bad_keypair_files(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(KeypairError) as e:
        load_keypair(keypair_file(tmp_path, content))
    assert message in str(e.value)
    for number in json.loads(content) if content.startswith("[") else []:
        assert f"{number}," not in str(e.value) and f", {number}" not in str(e.value)


def test_keypair_messages_never_include_secret_bytes(tmp_path: Path) -> None:
    kp = Keypair()
    values = list(bytes(kp))
    cases = [keypair_file(tmp_path, json.dumps(values), 0o640), keypair_file(tmp_path, json.dumps(values[:63]))]
    for path in cases:
        with pytest.raises(KeypairError) as e:
            load_keypair(path)
        text = str(e.value)
        assert json.dumps(values[:8])[1:-1] not in text and str(kp) not in text and str(values[:4]) not in text


def test_missing_keypair_and_directory(tmp_path: Path) -> None:
    with pytest.raises(KeypairError, match="does not exist"):
        load_keypair(tmp_path / "absent.json")
    with pytest.raises(KeypairError, match="is not a regular file"):
        load_keypair(tmp_path)
