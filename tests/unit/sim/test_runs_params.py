"""Key paths into a scenario, sweep axes, the [optimize] search space and walk-forward windows."""

from __future__ import annotations

import optuna
import pytest

from sim.runs.optimize import SpaceError, parse_space
from sim.runs.paths import get_path, set_path
from sim.runs.sweep import parse_axis
from sim.runs.walkforward import Window, windows


def test_set_path_fans_out_over_markets() -> None:
    m = {"markets": {"SOL-PERP": {"params": {"maintenance_margin_bps": 500}}, "BTC-PERP": {}}}
    set_path(m, "markets.*.params.liquidation_fee_bps", 150)
    set_path(m, "markets.SOL-PERP.params.maintenance_margin_bps", 700)
    assert m == {"markets": {"SOL-PERP": {"params": {"maintenance_margin_bps": 700, "liquidation_fee_bps": 150}},
                             "BTC-PERP": {"params": {"liquidation_fee_bps": 150}}}}
    assert get_path(m, "markets.*.params.liquidation_fee_bps") == 150
    with pytest.raises(ValueError, match="is not a table"):
        set_path(m, "markets.SOL-PERP.params.maintenance_margin_bps.x", 1)
    with pytest.raises(ValueError, match="'\\*' matches nothing"):
        set_path({"markets": {}}, "markets.*.params.x", 1)


def test_parse_axis() -> None:
    assert parse_axis("markets.*.params.maintenance_margin_bps=300, 500,800") == (
        "markets.*.params.maintenance_margin_bps", [300, 500, 800])
    assert parse_axis("a.b=0.5,x") == ("a.b", [0.5, "x"])
    for bad in ("a.b", "=1,2", "a.b="):
        with pytest.raises(ValueError, match="expected PATH=V1,V2"):
            parse_axis(bad)


SPACE = {"study": "s", "sampler": "grid", "trials": 4, "seeds": 2,
         "objectives": [{"metric": "strategy.maker.pnl", "direction": "maximize"}],
         "params": [{"path": "markets.*.params.maintenance_margin_bps", "low": 300, "high": 600, "step": 100},
                    {"path": "strategies.maker.half_spread_bps", "choices": [5.0, 10.0]}]}


def test_parse_space_and_grid() -> None:
    spec = parse_space(SPACE)
    assert (spec.study, spec.sampler, spec.trials, spec.seeds, spec.multi) == ("s", "grid", 4, 2, False)
    assert spec.params[0].grid() == [300, 400, 500, 600]
    assert spec.params[1].grid() == [5.0, 10.0]
    assert spec.params[0].is_int and not spec.params[1].is_int


@pytest.mark.parametrize(("change", "message"), [
    ({"sampler": "anneal"}, "optimize.sampler: must be one of grid, random, tpe, cmaes, nsga2"),
    ({"trials": 0}, "optimize.trials: must be a whole number >= 1"),
    ({"colour": 1}, "optimize.colour: unknown key"),
    ({"params": []}, "optimize.params: at least one parameter"),
    ({"params": [{"path": "a", "low": 5, "high": 1}]}, r"optimize.params\[0\].high: must be above low"),
    ({"params": [{"path": "a", "low": 0, "high": 1, "log": True}]}, r"optimize.params\[0\].log: needs low > 0"),
    ({"params": [{"path": "a", "low": "x", "high": 1}]}, r"optimize.params\[0\].low: must be a number"),
    ({"params": [{"low": 1, "high": 2}]}, r"optimize.params\[0\].path"),
    ({"objectives": [{"metric": "a", "direction": "up"}]}, r"optimize.objectives\[0\].direction"),
    ({"sampler": "cmaes", "objectives": [{"metric": "a"}, {"metric": "b", "direction": "minimize"}]},
     "cmaes optimises one objective; use nsga2"),
])
def test_space_errors_name_the_key(change: dict, message: str) -> None:
    with pytest.raises(SpaceError, match=message):
        parse_space({**SPACE, **change})


def test_grid_needs_steps() -> None:
    spec = parse_space({**SPACE, "params": [{"path": "a", "low": 0.1, "high": 1.0}]})
    with pytest.raises(SpaceError, match="grid sampler needs step or choices"):
        spec.params[0].grid()


def test_suggest_follows_the_declared_kind() -> None:
    spec = parse_space({**SPACE, "params": [*SPACE["params"], {"path": "v", "low": 0.001, "high": 0.1, "log": True}]})
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    trial = study.ask()
    drawn = [p.suggest(trial) for p in spec.params]
    assert isinstance(drawn[0], int) and 300 <= drawn[0] <= 600 and drawn[0] % 100 == 0
    assert drawn[1] in (5.0, 10.0)
    assert isinstance(drawn[2], float) and 0.001 <= drawn[2] <= 0.1


def test_walk_forward_windows_roll_by_the_test_length() -> None:
    assert windows(40, 20, 10) == [Window(0, (0, 20), (20, 30)), Window(1, (10, 30), (30, 40))]
    assert windows(100, 30, 10, step=40) == [Window(0, (0, 30), (30, 40)), Window(1, (40, 70), (70, 80))]
    with pytest.raises(ValueError, match="too short"):
        windows(25, 20, 10)
