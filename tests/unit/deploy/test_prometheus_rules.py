"""deploy/prometheus: the rules and the example configuration pass promtool (syntax and the unit tests of
every rule in alerts_test.yml), and every series a rule or a dashboard reads is one the keeper exports."""

from __future__ import annotations

import subprocess

import pytest

from keepers.observability.metrics import Metrics
from tests.binaries import require_binary
from tests.deploy_files import (PROMETHEUS_DIR, RULE_TESTS, RULES, alerts_under_test, dashboards, exported_names,
                                metric_names, panel_queries, panels, rule_expressions)

PROMETHEUS_OWN = {"up"}  # series Prometheus writes itself for each target


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([require_binary("promtool"), *args], capture_output=True, text=True, timeout=60,
                          cwd=PROMETHEUS_DIR)


def test_promtool_checks_the_rules_and_the_example_configuration() -> None:
    rules = promtool("check", "rules", str(RULES))
    assert rules.returncode == 0, rules.stdout + rules.stderr
    assert f"SUCCESS: {len(rule_expressions())} rules found" in rules.stdout
    config = promtool("check", "config", "prometheus.yml")
    assert config.returncode == 0, config.stdout + config.stderr


def test_promtool_unit_tests_of_the_rules_pass() -> None:
    run = promtool("test", "rules", str(RULE_TESTS))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SUCCESS" in run.stdout


def test_every_rule_has_a_unit_test_where_it_fires() -> None:
    assert set(rule_expressions()) == alerts_under_test()


def test_promtool_unit_tests_fail_when_a_threshold_moves(tmp_path) -> None:
    """The unit tests pin the thresholds: moving one (150 slots of liquidation backlog to 250) fails them."""
    (tmp_path / "alerts.yml").write_text(RULES.read_text().replace("perpkeep_liquidation_backlog_slots > 150",
                                                                   "perpkeep_liquidation_backlog_slots > 250"))
    (tmp_path / "alerts_test.yml").write_text(RULE_TESTS.read_text())
    run = subprocess.run([require_binary("promtool"), "test", "rules", "alerts_test.yml"], capture_output=True,
                         text=True, timeout=60, cwd=tmp_path)
    assert run.returncode != 0 and "PerpkeepLiquidationBacklog" in run.stdout + run.stderr


@pytest.mark.parametrize("expr, names", [
    ('sum by (job, bot) (rate(perpkeep_actions_failed_total{bot=~"$bot", error!="x"}[5m]))',
     {"perpkeep_actions_failed_total"}),
    ("perpkeep_a > on (instance) group_left (market) perpkeep_b", {"perpkeep_a", "perpkeep_b"}),
    ('histogram_quantile(0.9, sum by (le) (rate(perpkeep_action_latency_seconds_bucket[1m]))) or up == 0',
     {"perpkeep_action_latency_seconds_bucket", "up"}),
])
def test_metric_names_are_read_from_promql(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


def test_every_series_the_rules_and_dashboards_read_is_exported_by_the_keeper() -> None:
    exported = exported_names(Metrics().registry) | PROMETHEUS_OWN
    read = {name: sorted(metric_names(expr)) for name, expr in rule_expressions().items()}
    for file, dashboard in dashboards().items():
        for title, expr in panel_queries(dashboard):
            read[f"{file}: {title}"] = sorted(metric_names(expr))
    assert all(read.values()), [k for k, v in read.items() if not v]  # every query reads some series
    unknown = {where: [n for n in names if n not in exported] for where, names in read.items()}
    assert not {k: v for k, v in unknown.items() if v}, unknown
    assert len([k for k in read if ".json" in k]) >= 10  # the dashboards were read


def test_dashboards_take_their_datasource_from_one_input() -> None:
    found = dashboards()
    assert set(found) == {"fleet.json", "risk.json"}
    for file, dashboard in found.items():
        assert [i["name"] for i in dashboard["__inputs"]] == ["DS_PROMETHEUS"], file
        variables = {v["name"]: v for v in dashboard["templating"]["list"]}
        assert variables["DS_PROMETHEUS"]["type"] == "datasource", file
        ids = [p["id"] for p in panels(dashboard)]
        assert len(ids) == len(set(ids)), f"{file}: panel ids repeat"
        for panel in panels(dashboard):
            if panel["type"] == "row":
                continue
            assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", (file, panel["title"])
            assert panel["targets"], (file, panel["title"])
            assert all(t["datasource"]["uid"] == "${DS_PROMETHEUS}" for t in panel["targets"]), (file, panel["title"])
