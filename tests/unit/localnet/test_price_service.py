"""The localnet price service without a chain: options, replay files, paths, per-market publishers, the
withhold hook, and the oracle accounts each market is given."""

from __future__ import annotations

import random
import tomllib
from pathlib import Path

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature

from keepers.exchange.oracles import OracleKind
from keepers.execution.results import Landed
from localnet.deployment import Deployment, MarketInfo, keeper_config_toml
from localnet.market_oracles import DEFAULT_PRICES, feed_id_for, plan_market_oracles
from localnet.mock_oracle import MOCK_ORACLE_PROGRAM_ID, MockOracle
from localnet.price_paths import CrashPath, GbmPath, JumpPath, ReplayPath
from localnet.price_service import (
    PriceOptions,
    PriceOptionsError,
    initial_prices,
    load_replay,
    market_publishers,
    market_rng,
    price_path,
)
from localnet.rpc.config import FaultConfig
from localnet.rpc.faults import FaultInjector
from programs_client.perp.types import oracle_kind


def test_options_are_validated_and_described() -> None:
    assert PriceOptions().describe() == "gbm, every slot, seed 0"
    assert PriceOptions("replay:p.csv", 3, 9).describe() == "replay:p.csv, every 3 slots, seed 9"
    assert PriceOptions("replay:p.csv").replay_file == Path("p.csv") and PriceOptions("crash").replay_file is None
    for bad in ("brownian", "replay:", ""):
        with pytest.raises(PriceOptionsError, match="price path"):
            PriceOptions(bad)
    with pytest.raises(PriceOptionsError, match="cadence"):
        PriceOptions(cadence_slots=0)


def test_replay_files(tmp_path: Path) -> None:
    per_market = tmp_path / "m.csv"
    per_market.write_text("slot,SOL-PERP,BTC-PERP\n1,150.5,60000\n2,151,59000.25\n")
    assert load_replay(per_market, ["SOL-PERP", "BTC-PERP"]) == {"SOL-PERP": [150.5, 151.0], "BTC-PERP": [60000.0, 59000.25]}
    one = tmp_path / "one.csv"
    one.write_text("price\n10\n11\n")
    assert load_replay(one, ["A-PERP", "B-PERP"]) == {"A-PERP": [10.0, 11.0], "B-PERP": [10.0, 11.0]}
    with pytest.raises(PriceOptionsError, match="no column 'ETH-PERP' or 'price'"):
        load_replay(per_market, ["ETH-PERP"])
    (tmp_path / "neg.csv").write_text("price\n1\n-2\n")
    with pytest.raises(PriceOptionsError, match="all positive"):
        load_replay(tmp_path / "neg.csv", ["X"])
    (tmp_path / "text.csv").write_text("price\nabc\n")
    with pytest.raises(PriceOptionsError, match="could not convert"):
        load_replay(tmp_path / "text.csv", ["X"])
    with pytest.raises(PriceOptionsError, match="cannot read"):
        load_replay(tmp_path / "missing.csv", ["X"])


def test_initial_prices_and_paths() -> None:
    assert initial_prices(["SOL-PERP", "BTC-PERP", "XYZ-PERP"]) == {"SOL-PERP": 150.0, "BTC-PERP": 60_000.0, "XYZ-PERP": 100.0}
    assert initial_prices(["SOL-PERP"], {"SOL-PERP": [7.0, 8.0]}) == {"SOL-PERP": 7.0}
    assert DEFAULT_PRICES["SOL-PERP"] == 150.0
    assert type(price_path(PriceOptions("gbm"), "SOL-PERP", 150.0)) is GbmPath
    assert isinstance(price_path(PriceOptions("jumps"), "SOL-PERP", 150.0), JumpPath)
    assert isinstance(price_path(PriceOptions("crash"), "SOL-PERP", 150.0), CrashPath)
    replay = price_path(PriceOptions("replay:x.csv"), "SOL-PERP", 7.0, {"SOL-PERP": [7.0, 8.0, 9.0]})
    assert isinstance(replay, ReplayPath)
    rng = random.Random(0)
    assert [replay.next_price(rng) for _ in range(3)] == [8.0, 9.0, 9.0]  # the first row was the bootstrap's


def test_each_market_has_its_own_replayable_stream() -> None:
    def walk(market: str, seed: int) -> list[float]:
        path, rng = price_path(PriceOptions(seed=seed), market, 100.0), market_rng(seed, market)
        return [path.next_price(rng) for _ in range(20)]

    assert walk("SOL-PERP", 1) == walk("SOL-PERP", 1)
    assert walk("SOL-PERP", 1) != walk("BTC-PERP", 1) and walk("SOL-PERP", 1) != walk("SOL-PERP", 2)


def test_market_oracle_plan() -> None:
    new = plan_market_oracles("SOL-PERP")
    p, f = new.oracles.primary, new.oracles.fallback
    assert f is not None and (p.kind, f.kind) == (OracleKind.PYTH_LEGACY, OracleKind.PYTH_PULL_V2)
    assert [kp.pubkey() for kp in new.keypairs] == [p.address, f.address]
    cfg = new.oracles.config()
    assert (cfg.primary, cfg.fallback) == (p.address, f.address)
    assert cfg.primary_program == cfg.fallback_program == MOCK_ORACLE_PROGRAM_ID
    assert isinstance(cfg.fallback_kind, oracle_kind.PythPullV2) and bytes(cfg.fallback_feed_id) == feed_id_for("SOL-PERP")
    creates = new.create_ixs(Pubkey.new_unique())
    assert len(creates) == 2 and all(bytes(MOCK_ORACLE_PROGRAM_ID) in bytes(c.data) for c in creates)
    crank = new.oracles.update_prices_ix(0)
    assert [m.pubkey for m in crank.accounts][2:] == [p.address, f.address]
    single = plan_market_oracles("BTC-PERP", with_fallback=False)
    assert single.oracles.fallback is None and len(single.keypairs) == 1
    assert isinstance(single.oracles.config().fallback_kind, oracle_kind.None_)
    assert [m.pubkey for m in single.oracles.update_prices_ix(1).accounts][2:] == [single.oracles.primary.address] * 2


def _deployment(names: tuple[str, ...]) -> Deployment:
    markets = [MarketInfo(i, n, Pubkey.new_unique(), plan_market_oracles(n).oracles, DEFAULT_PRICES[n]) for i, n in enumerate(names)]
    return Deployment("http://rpc", "ws://rpc", Pubkey.new_unique(), Pubkey.new_unique(), markets, {})


def test_publishers_write_each_market_and_ask_the_fault_hook_with_the_market_name() -> None:
    dep = _deployment(("SOL-PERP", "BTC-PERP"))
    sent: list[list[Pubkey]] = []

    def send(ixs, signers):
        sent.append([ix.accounts[2].pubkey for ix in ixs])
        return Landed(Signature.default(), [], 0)

    faults = FaultInjector(FaultConfig(withheld_oracles=("SOL-PERP", str(dep.markets[1].oracle))))
    pubs = market_publishers(dep, MockOracle(send, Keypair()), PriceOptions(cadence_slots=2), faults.withhold_oracle_update)
    assert len(pubs) == 2 and all(p.cadence_slots == 2 for p in pubs)
    ticks = [p.tick(10) for p in pubs]
    assert ticks[0] is not None and ticks[0].skipped == "withheld by hook" and ticks[0].published == ()
    assert sent == [[dep.markets[1].fallback_oracle]]  # SOL withheld by name, BTC's primary by address
    assert faults.stats.oracle_updates_withheld == 3
    assert all(p.tick(11) is None for p in pubs)  # cadence 2
    faults.configure(FaultConfig())
    for p in pubs:
        p.tick(12)
    assert sent[1:] == [[m.oracle, m.fallback_oracle] for m in dep.markets]


def test_fault_hook_aliases_draw_once() -> None:
    a = FaultInjector(FaultConfig(seed=3, oracle_withhold_rate=0.5))
    b = FaultInjector(FaultConfig(seed=3, oracle_withhold_rate=0.5))
    assert [a.withhold_oracle_update("f", "SOL-PERP") for _ in range(50)] == [b.withhold_oracle_update("f") for _ in range(50)]


def test_keeper_config_names_the_oracles(tmp_path: Path) -> None:
    dep = _deployment(("SOL-PERP",))
    config = tomllib.loads(keeper_config_toml(dep, tmp_path / "keeper.json", tmp_path / "oracle-authority.json"))
    assert config["oracle"]["program_id"] == str(MOCK_ORACLE_PROGRAM_ID)
    assert config["oracle"]["authority_keypair_path"] == str(tmp_path / "oracle-authority.json")
    m = config["markets"][0]
    assert (m["oracle"], m["oracle_kind"]) == (str(dep.markets[0].oracle), "pyth_legacy")
    assert (m["fallback_oracle"], m["fallback_oracle_kind"]) == (str(dep.markets[0].fallback_oracle), "pyth_pull_v2")
    assert m["fallback_feed_id"] == feed_id_for("SOL-PERP").hex() and m["initial_price"] == 150.0
