"""``[bots.arbitrage]``: its defaults, its checks (each naming the key), and that a keeper runs it only when asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from keepers.config import BOT_NAMES, Config, ConfigError


def config(tmp_path: Path, **arb: object) -> Config:
    return Config.from_mapping({"cluster": {"rpc_url": "http://127.0.0.1:8899"}, "keeper": {"keypair_path": "k.json"},
                                "bots": {"arbitrage": arb}}, tmp_path)


def test_the_arbitrage_bot_is_off_unless_named(tmp_path: Path) -> None:
    c = config(tmp_path)
    assert "arbitrage" not in c.keeper.bots and c.keeper.bots == BOT_NAMES
    assert c.bots.arbitrage.strategies == ("basis",) and c.bots.arbitrage.kill is False
    links = config(tmp_path, strategies=["cross_venue", "triangular"], triangles=[[2, 3, 0]],
                   venue_links=[{"market": 0, "symbol": "SOL/USDT:USDT", "asset": "SOL"}], kill_file="stop-arb")
    assert links.bots.arbitrage.triangles == ((2, 3, 0),) and links.bots.arbitrage.venue_links[0].asset == "SOL"
    assert links.bots.arbitrage.kill_file == tmp_path / "stop-arb"  # beside the configuration file


@pytest.mark.parametrize("arb, message", [
    ({"strategies": ["momentum"]}, "bots.arbitrage.strategies[0]: must be one of basis, cross_market, triangular, pairs, "
                                   "cross_venue"),
    ({"strategies": ["basis", "basis"]}, "bots.arbitrage.strategies: names a strategy twice"),
    ({"strategies": ["triangular"]}, "bots.arbitrage.triangles: the triangular strategy needs at least one entry"),
    ({"strategies": ["cross_venue"]}, "bots.arbitrage.venue_links: the cross_venue strategy needs at least one entry"),
    ({"cross_markets": [[0, 0]]}, "bots.arbitrage.cross_markets[0]: must be 2 distinct market indexes"),
    ({"triangles": [[0, 1]]}, "bots.arbitrage.triangles[0]: must be 3 distinct market indexes"),
    ({"venue_links": [{"market": 0, "symbol": "SOLUSDT"}]}, "bots.arbitrage.venue_links[0].asset: missing (required)"),
    ({"pairs_exit_z": 3.0}, "bots.arbitrage.pairs_entry_z: must satisfy pairs_exit_z (3.0) < pairs_entry_z (2.0)"),
    ({"max_leg_quote": 10_000.0}, "bots.arbitrage.max_leg_quote: must be <= max_total_quote (5000.0)"),
    ({"max_open_legs": 0}, "bots.arbitrage.max_open_legs: must be a whole number between 1 and 1000, got 0"),
    ({"edge": 1}, "unknown key 'bots.arbitrage.edge'"),
])
def test_bad_arbitrage_settings_are_refused_by_name(tmp_path: Path, arb: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):
        config(tmp_path, **arb)
