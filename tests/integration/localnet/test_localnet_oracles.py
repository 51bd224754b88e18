"""`perpkeep localnet up` with its oracles: markets name mock-oracle accounts, a publisher moves prices.

One `up` process (50 ms slots, seeded GBM path) is shared by the module; every wait is bounded.
"""

from __future__ import annotations

import base64
import json
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from solana.rpc.async_api import AsyncClient
from solders.pubkey import Pubkey

from keepers.exchange import instructions as ix
from keepers.exchange.oracles import OracleKind, OraclePrice, decode_oracle, rescale_expo
from localnet.deployment import read_keypair
from localnet.market_oracles import PRICE_EXPONENT, feed_id_for
from localnet.mock_oracle import MOCK_ORACLE_PROGRAM_ID, config_pda
from localnet.price_paths import GbmPath
from localnet.price_service import GBM_VOLATILITY, market_rng
from localnet.rpc_bootstrap import send_and_confirm
from localnet.up import UpOptions, validator_spec
from localnet.validator import validator_argv
from programs_client.perp.accounts import Market
from programs_client.perp.constants import PRICE_PRECISION as PRICE
from programs_client.perp.program_id import PROGRAM_ID
from programs_client.perp.types import oracle_kind
from tests.integration.localnet.helpers import READY_LINE, Running, free_port, up_argv

SLOT_S = 0.05
SEED = 7


@dataclass
class Net:
    """The running `up` process, its output directory and deployment.json."""

    run: Running
    out: Path
    info: dict[str, Any]
    # Each market as it was when the node became ready, before any test cranked its prices.
    markets_at_start: dict[str, Market] = field(default_factory=dict)

    @property
    def rpc_url(self) -> str:
        return self.info["rpc_url"]

    def rpc(self, method: str, params: Any = None) -> Any:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, **({"params": params} if params is not None else {})}
        req = urllib.request.Request(self.rpc_url, json.dumps(body).encode(), {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            reply = json.loads(resp.read())
        assert "result" in reply, reply
        return reply["result"]

    def account(self, address: str) -> dict[str, Any]:
        value = self.rpc("getAccountInfo", [address, {"encoding": "base64", "commitment": "processed"}])["value"]
        assert value is not None, f"no account {address}"
        return {"owner": value["owner"], "data": base64.b64decode(value["data"][0])}

    def market(self, name: str) -> dict[str, Any]:
        return next(m for m in self.info["markets"] if m["name"] == name)

    def price(self, address: str, kind: OracleKind, feed_id: bytes = bytes(32)) -> OraclePrice:
        return decode_oracle(kind, self.account(address)["data"], feed_id)

    def set_faults(self, **settings: Any) -> None:
        self.rpc("perpkeep_setFaults", [settings])


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    out = tmp_path_factory.mktemp("oracles") / "net"
    run = Running(up_argv("--rpc-port", str(free_port()), "--ws-port", str(free_port()), "--out", str(out),
                          "--slot-ms", str(int(SLOT_S * 1000)), "--finalized-depth", "4", "--users", "1",
                          "--price-seed", str(SEED)))
    try:
        run.wait_for(READY_LINE, timeout_s=20)
        net = Net(run, out, json.loads((out / "deployment.json").read_text()))
        net.markets_at_start = {m["name"]: Market.decode(net.account(m["address"])["data"]) for m in net.info["markets"]}
        yield net
    finally:
        run.stop()


def _wait_until(check, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(SLOT_S)
    raise AssertionError(f"{what} not within {timeout_s} s")


def test_markets_name_mock_oracle_accounts(net: Net) -> None:
    assert net.info["oracle_program"]["program_id"] == str(MOCK_ORACLE_PROGRAM_ID)
    assert net.info["oracle_program"]["config"] == str(config_pda())
    authority = read_keypair(Path(net.info["oracle_program"]["authority_path"]))
    assert str(authority.pubkey()) == net.info["oracle_program"]["authority"]
    assert net.account(str(config_pda()))["owner"] == str(MOCK_ORACLE_PROGRAM_ID)
    assert any(line.split()[-1] == str(MOCK_ORACLE_PROGRAM_ID) for line in net.run.seen if "oracle program" in line)
    keeper = tomllib.loads((net.out / "keeper.toml").read_text())
    assert keeper["oracle"]["program_id"] == str(MOCK_ORACLE_PROGRAM_ID)
    assert Path(keeper["oracle"]["authority_keypair_path"]) == Path(net.info["oracle_program"]["authority_path"])
    assert [m["name"] for m in net.info["markets"]] == ["SOL-PERP", "BTC-PERP"]
    for m, km in zip(net.info["markets"], keeper["markets"], strict=True):
        assert (km["oracle"], km["fallback_oracle"]) == (m["oracle"], m["fallback_oracle"])
        cfg = Market.decode(net.account(m["address"])["data"]).oracle
        assert (str(cfg.primary), str(cfg.fallback)) == (m["oracle"], m["fallback_oracle"])
        assert cfg.primary_program == cfg.fallback_program == MOCK_ORACLE_PROGRAM_ID
        assert isinstance(cfg.primary_kind, oracle_kind.PythLegacy) and isinstance(cfg.fallback_kind, oracle_kind.PythPullV2)
        assert bytes(cfg.fallback_feed_id) == feed_id_for(m["name"]) == bytes.fromhex(km["fallback_feed_id"])
        for address in (m["oracle"], m["fallback_oracle"]):
            assert net.account(address)["owner"] == str(MOCK_ORACLE_PROGRAM_ID)


def test_bootstrap_cranked_the_first_price(net: Net) -> None:
    for name, price in (("SOL-PERP", 150), ("BTC-PERP", 60_000)):
        m = net.market(name)
        assert m["initial_price"] == price
        # As at start: a later crank (another test, in any order) moves it to the published path's price.
        market = net.markets_at_start[name]
        assert market.index_price == market.mark_price == price * PRICE
        assert market.oracle_source == 1  # the primary


def _published(start: float, market: str, steps: int) -> set[int]:
    """The prices (1e6) the publisher writes in its first ``steps`` steps, from the seed."""
    path, rng = GbmPath(start, volatility=GBM_VOLATILITY), market_rng(SEED, market)
    return {rescale_expo(int(Decimal(path.next_price(rng)).scaleb(-PRICE_EXPONENT)), PRICE_EXPONENT) for _ in range(steps)}


def test_price_accounts_decode_to_the_published_path(net: Net) -> None:
    for name in ("SOL-PERP", "BTC-PERP"):
        m = net.market(name)
        primary = net.price(m["oracle"], OracleKind.PYTH_LEGACY)
        fallback = net.price(m["fallback_oracle"], OracleKind.PYTH_PULL_V2, feed_id_for(name))
        assert primary.status == fallback.status == 1
        assert primary.price_1e6 in _published(m["initial_price"], name, 5_000)
        assert fallback.price_1e6 in _published(m["initial_price"], name, 5_000)
        assert 0 < primary.conf_1e6 * 10_000 <= 11 * primary.price_1e6  # 10 bps published


def test_prices_move_every_slot(net: Net) -> None:
    m = net.market("SOL-PERP")
    seen: list[OraclePrice] = []

    def moved() -> bool:
        seen.append(net.price(m["oracle"], OracleKind.PYTH_LEGACY))
        return len({p.price_1e6 for p in seen}) >= 4

    _wait_until(moved, 3.0, "four distinct SOL-PERP prices")
    assert seen[-1].publish_slot > seen[0].publish_slot
    assert all(abs(p.price_1e6 - 150_000_000) < 30_000_000 for p in seen)


async def test_update_prices_through_async_client_sets_the_published_price(net: Net) -> None:
    m = net.market("SOL-PERP")
    net.set_faults(withheld_oracles=["SOL-PERP"])  # a market name withholds both of its feeds
    try:
        held = net.price(m["oracle"], OracleKind.PYTH_LEGACY)
        keeper = read_keypair(Path(tomllib.loads((net.out / "keeper.toml").read_text())["keeper"]["keypair_path"]))
        client = AsyncClient(net.rpc_url, timeout=10)
        try:
            crank = ix.update_prices(m["index"], Pubkey.from_string(m["oracle"]), Pubkey.from_string(m["fallback_oracle"]),
                                     PROGRAM_ID)
            await send_and_confirm(client, [crank], keeper, timeout_s=10, poll_s=SLOT_S)
        finally:
            await client.close()
        assert net.price(m["oracle"], OracleKind.PYTH_LEGACY) == held  # still withheld
        market = Market.decode(net.account(m["address"])["data"])
        assert market.index_price == held.price_1e6 != 150_000_000
        assert market.index_price_slot == held.publish_slot and market.oracle_source == 1
        assert market.mark_price == held.price_1e6  # no book: no premium
    finally:
        net.set_faults()


def test_withholding_a_feed_stops_its_price_account(net: Net) -> None:
    m = net.market("BTC-PERP")
    net.set_faults(withheld_oracles=[m["oracle"]])
    try:
        before = net.account(m["oracle"])["data"]
        fallback_before = net.account(m["fallback_oracle"])["data"]
        _wait_until(lambda: net.rpc("perpkeep_getFaults")["stats"]["oracle_updates_withheld"] >= 5, 3.0,
                    "five withheld updates")
        assert net.account(m["oracle"])["data"] == before  # the withheld primary did not change
        assert net.account(m["fallback_oracle"])["data"] != fallback_before  # the fallback did
    finally:
        net.set_faults()
    _wait_until(lambda: net.account(m["oracle"])["data"] != before, 2.0, "the primary moving again")


def test_replay_path_and_cadence(tmp_path: Path) -> None:
    csv_path = tmp_path / "prices.csv"
    csv_path.write_text("slot,SOL-PERP\n1,101.5\n2,102.25\n3,99.75\n")
    out = tmp_path / "net"
    run = Running(up_argv("--rpc-port", str(free_port()), "--ws-port", str(free_port()), "--out", str(out),
                          "--slot-ms", "50", "--users", "0", "--markets", "SOL-PERP", "--price-path",
                          f"replay:{csv_path}", "--price-cadence", "2"))
    try:
        run.wait_for(READY_LINE, timeout_s=20)
        assert any("replay:" in line and "every 2 slots" in line for line in run.seen)
        n = Net(run, out, json.loads((out / "deployment.json").read_text()))
        m = n.market("SOL-PERP")
        assert m["initial_price"] == 101.5
        assert Market.decode(n.account(m["address"])["data"]).index_price == 101_500_000
        seen: list[OraclePrice] = []

        def held_last() -> bool:
            seen.append(n.price(m["oracle"], OracleKind.PYTH_LEGACY))
            return seen[-1].price_1e6 == 99_750_000

        _wait_until(held_last, 3.0, "the last replayed price")
        assert {p.price_1e6 for p in seen} <= {101_500_000, 102_250_000, 99_750_000}
        slots = sorted({p.publish_slot for p in seen})
        assert all(b - a >= 2 for a, b in pairwise(slots))  # published every 2 slots
    finally:
        code = run.stop()
    assert code == 0


def test_validator_argv_loads_the_mock_oracle(tmp_path: Path) -> None:
    admin = Pubkey.new_unique()
    spec = validator_spec(UpOptions(rpc_port=free_port()), tmp_path, "solana-test-validator", admin)
    argv = validator_argv(spec)
    loaded = {argv[i + 1]: Path(argv[i + 2]) for i, a in enumerate(argv) if a == "--bpf-program"}
    assert set(loaded) == {str(MOCK_ORACLE_PROGRAM_ID)}
    assert loaded[str(MOCK_ORACLE_PROGRAM_ID)].name == "mock_oracle.so" and loaded[str(MOCK_ORACLE_PROGRAM_ID)].is_file()
    # the perp program is upgradeable, by the admin that initialises the exchange (initialize_exchange checks it)
    i = argv.index("--upgradeable-program")
    assert (argv[i + 1], Path(argv[i + 2]).name, argv[i + 3]) == (str(PROGRAM_ID), "perp.so", str(admin))
