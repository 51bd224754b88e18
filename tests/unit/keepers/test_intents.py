"""Journal keys: one format per action kind, the same text as the keys journals already hold."""

from __future__ import annotations

import pytest
from solders.pubkey import Pubkey

from keepers.execution.intents import KEY_FORMATS, ActionKind, intent_key


def test_every_kind_has_one_key_format() -> None:
    assert set(KEY_FORMATS) == set(ActionKind)


def test_keys_keep_the_text_of_earlier_releases() -> None:
    user = Pubkey.from_string("11111111111111111111111111111112")
    assert intent_key(ActionKind.SETTLE_PNL, user=user, market=2, slot=9) == f"settle_pnl:{user}:2:9"
    assert intent_key(ActionKind.LIQUIDATE_PERP, user=user, market=0, slot=9, mark=7) == f"liquidate:{user}:0:9:7"
    assert intent_key(ActionKind.SETTLE_EXPIRED_POSITION, user=user, market=1, slot=3) == f"settle_expired:{user}:1:3"
    assert intent_key(ActionKind.CONSUME_EVENTS, market=1, seq_num=5, count=2) == "consume_events:1:5:2"
    assert intent_key(ActionKind.UPDATE_FUNDING, market=0, funding_ts=3600) == "update_funding:0:3600"
    assert ActionKind.SETTLE_REVENUE == "settle_revenue" and f"{ActionKind.DERISK}" == "derisk"


def test_a_missing_or_unknown_field_is_refused() -> None:
    with pytest.raises(ValueError, match="market, slot"):
        intent_key(ActionKind.DERISK, market=0)
    with pytest.raises(ValueError):
        intent_key(ActionKind.DERISK, market=0, slot=1, mark=2)


def test_metrics_label_kinds_statuses_and_errors_by_their_text() -> None:
    from keepers.execution.error_policy import ProgramErrorName
    from keepers.observability.metrics import Metrics

    m = Metrics()
    m.attempted("settler", ActionKind.SETTLE_PNL)
    m.failed("settler", ActionKind.SETTLE_PNL, ProgramErrorName.ZeroAmount, 0.1, None)
    text = m.render().decode()
    assert 'perpkeep_actions_attempted_total{bot="settler",kind="settle_pnl"} 1.0' in text
    assert 'perpkeep_actions_failed_total{bot="settler",error="ZeroAmount",kind="settle_pnl"} 1.0' in text
