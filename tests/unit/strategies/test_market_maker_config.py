"""``[bots.market_maker]``: its defaults, its checks, and that a keeper runs the maker only when asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from keepers.config import BOT_NAMES, Config, ConfigError


def config(tmp_path: Path, **maker: object) -> Config:
    return Config.from_mapping({"cluster": {"rpc_url": "http://127.0.0.1:8899"}, "keeper": {"keypair_path": "k.json"},
                                "bots": {"market_maker": maker}}, tmp_path)


def test_the_maker_is_off_unless_named(tmp_path: Path) -> None:
    c = config(tmp_path)
    assert "market_maker" not in c.keeper.bots and c.keeper.bots == BOT_NAMES
    assert c.bots.market_maker.levels == 3 and c.bots.market_maker.unwind_algo == "twap"
    named = Config.from_mapping({"cluster": {"rpc_url": "http://127.0.0.1:8899"},
                                 "keeper": {"keypair_path": "k.json", "bots": ["market_maker", "settler"]}}, tmp_path)
    assert named.keeper.bots == ("market_maker", "settler")


@pytest.mark.parametrize("maker, message", [
    ({"levels": 0}, "bots.market_maker.levels: must be a whole number between 1 and 16, got 0"),
    ({"unwind_algo": "pov"}, "bots.market_maker.unwind_algo: must be one of twap, vwap, shortfall"),
    ({"price_source": "last"}, "bots.market_maker.price_source: must be one of index, mark"),
    ({"gamma": 0}, "bots.market_maker.gamma: must be a number > 0"),
    ({"base_size": 6.0, "max_order_base": 5.0}, "bots.market_maker.base_size: must be <= max_order_base"),
    ({"spread": 1}, "unknown key 'bots.market_maker.spread'"),
])
def test_bad_maker_settings_are_refused_by_name(tmp_path: Path, maker: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("(", r"\(")):
        config(tmp_path, **maker)
