"""What the tests read from ``deploy/``: the alerting rules' expressions, every Grafana panel's queries, and
the metric names a PromQL expression refers to.

The rule file keeps one ``expr: >-`` block per rule (its header says so), so the expressions are read
without a YAML library; a rule count check makes a format drift fail loudly instead of reading nothing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import CollectorRegistry

ROOT = Path(__file__).resolve().parents[1]
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
RULES = PROMETHEUS_DIR / "alerts.yml"
RULE_TESTS = PROMETHEUS_DIR / "alerts_test.yml"
DASHBOARDS_DIR = ROOT / "deploy" / "grafana" / "dashboards"
# What a Grafana variable stands for when a panel's query runs outside Grafana: any value.
VARIABLE_VALUES = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "5m"}
_VARIABLE = re.compile(r"\$\{?(\w+)(?::\w+)?\}?")
_METRIC = re.compile(r"\b(perpkeep_[a-z0-9_]+|up)\b(?!\s*\()")


def rule_expressions(path: Path = RULES) -> dict[str, str]:
    """{alert name: PromQL expression} of the rule file."""
    text = path.read_text()
    out: dict[str, str] = {}
    for block in re.split(r"\n\s+- alert: ", text)[1:]:
        name, _, rest = block.partition("\n")
        found = re.search(r"expr: >-\n((?:\s{10,}.*\n)+)", rest)
        assert found is not None, f"rule {name}: no `expr: >-` block"
        out[name.strip()] = " ".join(line.strip() for line in found.group(1).splitlines())
    assert len(out) == text.count("- alert: "), "a rule was not read"
    return out


def alerts_under_test(path: Path = RULE_TESTS) -> set[str]:
    """Alert names the promtool tests expect to fire at least once."""
    text = path.read_text()
    firing = re.findall(r"alertname: (\w+)\n\s+exp_alerts:\n\s+- exp_labels:", text)
    return set(firing)


def dashboards(folder: Path = DASHBOARDS_DIR) -> dict[str, dict]:
    """{file name: dashboard JSON} of the Grafana dashboards."""
    return {p.name: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}


def panels(dashboard: dict) -> list[dict]:
    """Every panel of ``dashboard``, rows' nested panels included."""
    out = []
    for panel in dashboard.get("panels", []):
        out.append(panel)
        out.extend(panel.get("panels", []))
    return out


def panel_queries(dashboard: dict) -> list[tuple[str, str]]:
    """(panel title, PromQL with template variables replaced) of every target of every panel."""
    out = []
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            if "expr" in target:
                out.append((panel.get("title", "?"), substitute_variables(target["expr"])))
    return out


def substitute_variables(expr: str) -> str:
    """``expr`` with Grafana's variables replaced: interval variables by a duration, others (``$bot``, used as
    ``=~"$bot"``) by the regex that matches anything."""
    def value(m: re.Match[str]) -> str:
        name = "$" + m.group(1)
        return VARIABLE_VALUES.get(name, ".*")
    return _VARIABLE.sub(value, expr)


def metric_names(expr: str) -> set[str]:
    """The series names ``expr`` selects (``perpkeep_*`` and ``up``): identifiers not called as functions and
    not inside label matchers, ``by``/``on`` lists or strings."""
    stripped = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    stripped = re.sub(r"\{[^}]*\}", "", stripped)
    stripped = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", stripped)
    return set(_METRIC.findall(stripped))


def exported_names(registry: CollectorRegistry) -> set[str]:
    """The series names a registry can export (a counter ``x`` as ``x_total``, a histogram as ``x_bucket``,
    ``x_count`` and ``x_sum``), whether or not a labelled metric has a child yet."""
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",),
                "summary": ("_count", "_sum", "")}
    return {family.name + s for family in registry.collect() for s in suffixes[family.type]}
