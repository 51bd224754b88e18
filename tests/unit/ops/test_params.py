"""The guard rails mirror the program's parameter validation (programs/perp/market_params.c): its constants,
one broken rule at a time, and the large-change warning."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from solders.pubkey import Pubkey

from localnet.bootstrap import default_market_params
from ops import params
from programs_client.perp.types import oracle_kind
from programs_client.perp.types.oracle_config import OracleConfig

ROOT = Path(__file__).resolve().parents[3]


def test_constants_equal_the_program_and_the_idl() -> None:
    c = (ROOT / "programs/perp/market_params.c").read_text()
    defines = {m[1]: m[2] for m in re.finditer(r"#define (PK_\w+) (.+)", c)}
    assert defines["PK_MAX_TAKER_FEE_BPS"] == "1000U" and params.MAX_TAKER_FEE_BPS == 1000
    assert defines["PK_MAX_FUNDING_PERIOD_SECS"] == "( 7ULL * 24 * 3600 )" and params.MAX_FUNDING_PERIOD_SECS == 604_800
    assert defines["PK_MAX_STALENESS_SLOTS"].startswith("216000ULL") and params.MAX_STALENESS_SLOTS == 216_000
    assert "( 1ULL << 52 )" in (ROOT / "programs/perp/include/pk_program.h").read_text() and params.MAX_ORDER_NOTIONAL == 2**52
    idl = {k["name"]: int(k["value"]) for k in json.loads((ROOT / "idl/perp.json").read_text())["constants"]}
    assert idl["BPS"] == params.BPS
    assert idl["MAX_TRIGGER_FEE_QUOTE"] == params.MAX_TRIGGER_FEE_QUOTE
    assert idl["MAX_ORDERS_PER_USER_LIMIT"] == params.MAX_ORDERS_PER_USER_LIMIT
    assert idl["MAX_DELEGATE_PRICE_BAND_BPS"] == params.MAX_DELEGATE_PRICE_BAND_BPS


BROKEN = [
    ({"tick_size": 0}, "tick_size"),
    ({"lot_size": 0}, "lot_size must be positive"),
    ({"min_order_size": 1_500_000}, "multiple of lot_size"),
    ({"min_order_size": 0}, "at least lot_size"),
    ({"max_open_interest": 1}, "max_open_interest"),
    ({"min_order_notional": 0}, "min_order_notional"),
    ({"min_order_notional": 2**52 + 1}, "min_order_notional"),
    ({"trigger_fee_quote": 10_000_001}, "trigger_fee_quote"),
    ({"max_orders_per_user": 0}, "max_orders_per_user"),
    ({"max_orders_per_user": 129}, "max_orders_per_user"),
    ({"delegate_price_band_bps": 501}, "delegate_price_band_bps"),
    ({"funding_period_secs": 0}, "funding_period_secs"),
    ({"funding_period_secs": 604_801}, "funding_period_secs"),
    ({"oracle_max_staleness_slots": 216_001}, "oracle_max_staleness_slots"),
    ({"maintenance_margin_bps": 0, "liquidation_fee_bps": 0}, "maintenance_margin_bps must be positive"),
    ({"initial_margin_bps": 500}, "initial_margin_bps must exceed"),
    ({"initial_margin_bps": 10_001}, "initial_margin_bps must be at most"),
    ({"liquidation_fee_bps": 500}, "liquidation_fee_bps"),
    ({"insurance_share_bps": 10_001}, "insurance_share_bps"),
    ({"maker_rebate_bps": 11}, "maker_rebate_bps"),
    ({"taker_fee_bps": 1001, "maker_rebate_bps": 0}, "taker_fee_bps"),
    ({"oracle_max_confidence_bps": 0}, "oracle_max_confidence_bps"),
    ({"oracle_max_divergence_bps": 10_001}, "oracle_max_divergence_bps"),
    ({"max_funding_rate_bps": 0}, "max_funding_rate_bps"),
    ({"padding": [0, 1, 0]}, "padding"),
]


def test_valid_parameters_pass() -> None:
    assert params.market_params_errors(default_market_params()) == []


@pytest.mark.parametrize(("change", "rule"), BROKEN)
def test_each_rule(change: dict, rule: str) -> None:
    errors = params.market_params_errors(default_market_params(**change))
    assert errors and any(rule in e for e in errors), errors
    assert len(errors) == 1 or change.get("maintenance_margin_bps") == 0, errors  # 0 also breaks liquidation < maintenance


def _oracle(**kw: object) -> OracleConfig:
    values = dict(primary=Pubkey(bytes([1] * 32)), primary_program=Pubkey(bytes([2] * 32)), primary_feed_id=[0] * 32,
                  fallback=Pubkey.default(), fallback_program=Pubkey.default(), fallback_feed_id=[0] * 32,
                  primary_kind=oracle_kind.PythLegacy(), fallback_kind=oracle_kind.None_(), padding=[0] * 6)
    values.update(kw)
    return OracleConfig(**values)  # type: ignore[arg-type]


def test_oracle_rules() -> None:
    assert params.oracle_config_errors(_oracle()) == []
    assert params.oracle_config_errors(_oracle(primary_kind=oracle_kind.PythPullV2()))  # needs a feed id
    assert params.oracle_config_errors(_oracle(primary_kind=oracle_kind.PythPullV2(), primary_feed_id=[1] * 32)) == []
    assert params.oracle_config_errors(_oracle(primary_feed_id=[1] * 32))  # only PythPullV2 names a feed
    assert params.oracle_config_errors(_oracle(primary=Pubkey.default()))
    assert params.oracle_config_errors(_oracle(fallback=Pubkey(bytes([3] * 32))))  # kind None with a key
    same = _oracle(fallback=Pubkey(bytes([1] * 32)), fallback_program=Pubkey(bytes([2] * 32)),
                   fallback_kind=oracle_kind.SwitchboardV2())
    assert params.oracle_config_errors(same) == ["the fallback must differ from the primary"]


def test_market_names() -> None:
    assert params.market_name_errors("ETH-PERP") == []
    assert params.market_name_errors("") and params.market_name_errors("A" * 17) and params.market_name_errors("ETH PERP")


def test_large_changes_of_margin_ratios() -> None:
    before = default_market_params()  # initial 1000, maintenance 500, liquidation fee 250
    small = dataclasses.replace(before, initial_margin_bps=1200, taker_fee_bps=100)
    assert params.large_changes(before, small, 0.25) == []  # +20%; fees are not margin ratios
    big = dataclasses.replace(before, initial_margin_bps=1300, maintenance_margin_bps=200)
    changes = params.large_changes(before, big, 0.25)
    assert [(c.field, c.before, c.after) for c in changes] == [("initial_margin_bps", 1000, 1300),
                                                               ("maintenance_margin_bps", 500, 200)]
    assert "30%" in str(changes[0]) and "60%" in str(changes[1])
