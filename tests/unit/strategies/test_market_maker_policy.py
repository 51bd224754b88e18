"""The market maker's optional learned signal (``[bots.market_maker] policy_dir``) on the in-process chain with
the real program: the champion's forecast moves the fair price, a new champion is picked up without a restart,
a NaN model is refused and the previous one keeps quoting, and the ``perpkeep_ml_*`` metrics follow."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from keepers.strategies.features import FEATURE_NAMES, HISTORY
from programs_client.perp.constants import PRICE_PRECISION
from sim.scenario import LedgerWorld
from tests.unit.ml.onnx_models import linear_onnx
from tests.unit.strategies.test_market_maker_bot import MID, bot_of, keeper_of, quoting, run_until, world  # noqa: F401


def deploy(folder: Path, version: int, bias_bps: float) -> None:
    """A champion whose forecast is ``bias_bps`` whatever the features (weights 0)."""
    model = linear_onnx(folder / f"champion-v{version}.onnx", np.zeros((len(FEATURE_NAMES), 1)), [bias_bps])
    reference = {"features": {n: {"edges": [0.0], "shares": [0.5, 0.5]} for n in FEATURE_NAMES},
                 "pnl_per_slot_mean": 0.5, "pnl_per_slot_std": 2.0}
    doc = {"model": model.name, "version": version, "sha256": hashlib.sha256(model.read_bytes()).hexdigest(),
           "features": list(FEATURE_NAMES), "outputs": 1, "reference": reference}
    (folder / "champion.json").write_text(json.dumps(doc))


def fair_bps(world: LedgerWorld, keeper: object) -> float:
    desired = bot_of(keeper).markets[0].last_desired  # type: ignore[arg-type]
    return 0.0 if desired is None else (desired.fair / (MID * PRICE_PRECISION) - 1) * 1e4


async def test_the_champion_moves_the_fair_price_and_is_hot_reloaded(world: LedgerWorld, tmp_path: Path) -> None:  # noqa: F811
    folder = tmp_path / "models"
    folder.mkdir()
    deploy(folder, 1, 15.0)
    keeper, chain = keeper_of(world, tmp_path, policy_dir=str(folder), policy_reload_s=0.05, policy_max_signal_bps=20.0)
    await keeper.start()
    try:
        assert await run_until(world, lambda: quoting(world)() and abs(fair_bps(world, keeper) - 15.0) < 0.01,
                               slots=HISTORY + 30)
        deploy(folder, 2, -40.0)  # clipped to policy_max_signal_bps
        assert await run_until(world, lambda: abs(fair_bps(world, keeper) + 20.0) < 0.01, slots=30)
        bad = linear_onnx(folder / "champion-v3.onnx", np.full((len(FEATURE_NAMES), 1), np.nan))
        doc = json.loads((folder / "champion.json").read_text())
        (folder / "champion.json").write_text(json.dumps({**doc, "model": bad.name, "version": 3,
                                                          "sha256": hashlib.sha256(bad.read_bytes()).hexdigest()}))
        assert await run_until(world, lambda: bot_of(keeper).signal.runner.champion.refused != [], slots=30)
        await run_until(world, lambda: False, slots=3)
        assert bot_of(keeper).signal.runner.champion.model.version == 2
        assert fair_bps(world, keeper) == pytest.approx(-20.0, abs=0.01)
        text = keeper.metrics.render().decode()
        assert 'perpkeep_ml_model_version{bot="market_maker",slot="champion"} 2.0' in text
        assert 'perpkeep_ml_models_refused_total{bot="market_maker"} 1.0' in text
        assert 'perpkeep_ml_feature_psi{bot="market_maker",feature="ret_1"}' in text
        assert 'perpkeep_ml_pnl_per_slot_quote{bot="market_maker",source="backtest"} 0.5' in text
    finally:
        await keeper.stop()
        await chain.close()


async def test_without_policy_dir_there_is_no_signal(world: LedgerWorld, tmp_path: Path) -> None:  # noqa: F811
    keeper, chain = keeper_of(world, tmp_path)
    await keeper.start()
    try:
        assert await run_until(world, quoting(world))
        assert bot_of(keeper).signal is None and fair_bps(world, keeper) == pytest.approx(0.0, abs=0.01)
    finally:
        await keeper.stop()
        await chain.close()
