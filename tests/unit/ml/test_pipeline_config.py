"""Training configs (``sim.ml.pipeline.load_config``): the sample loads as documented, bad ones name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.ml.pipeline import PipelineConfigError, load_config

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "sim" / "ml" / "configs" / "sample.toml"


def test_the_sample_config_splits_by_seed_and_holds_a_regime_out_of_training(tmp_path: Path) -> None:
    cfg = load_config(SAMPLE, out_dir=tmp_path)
    assert cfg.splits["train"].regimes == ("calm", "volatile")
    assert "switching" in cfg.splits["test"].regimes
    assert len(cfg.splits["test"].episodes()) == len(cfg.splits["test"].seeds) * 3
    assert cfg.models == ("mlp", "lightgbm", "ppo") and cfg.seeds == (0, 1, 2)
    assert cfg.env.scenario == str((SAMPLE.parent / "market.toml").resolve())
    assert cfg.env_for("calm").price == {"kind": "gbm", "volatility": 0.0008}
    assert cfg.out_dir == tmp_path and cfg.tracking_uri is None


@pytest.mark.parametrize("edit, message", [
    ("[split.validation]\nseeds = [1]\n", "share seeds"),
    ("[split.test]\nseeds = [21]\nregimes = [\"stormy\"]\n", "unknown regime 'stormy'"),
    ("[train]\nmodels = [\"xgboost\"]\n", "unknown model 'xgboost'"),
    ("[env]\nepisode_slotz = 5\n", "env.episode_slotz: unknown key"),
    ("[env]\nagent = \"directional\"\n[train]\nmodels = [\"ppo\"]\n", "ppo learns the maker only"),
])
def test_bad_configs_are_refused_naming_the_key(tmp_path: Path, edit: str, message: str) -> None:
    base = ("[split.train]\nseeds = [1, 2]\n[split.validation]\nseeds = [11]\n[split.test]\nseeds = [21]\n")
    sections = {}
    for text in (base, edit):  # the edit's tables replace the base's
        name = None
        for line in text.splitlines():
            if line.startswith("["):
                name = line
                sections[name] = []
            else:
                sections[name].append(line)
    path = tmp_path / "c.toml"
    path.write_text("\n".join(f"{k}\n" + "\n".join(v) for k, v in sections.items()) + "\n")
    with pytest.raises(PipelineConfigError, match=message):
        load_config(path)
