"""The shipped alert rules and Grafana dashboard, checked, and the Kubernetes objects carrying them.

Files (owned here, shipped with the chart):

* ``charts/l2kit/files/alerts.rules.yaml``: a plain Prometheus rules file, groups ``l2kit.*``;
  every alert has ``for:``, a ``severity`` label (warning|critical) and ``summary``,
  ``description`` and ``runbook`` annotations. Unit tests: ``tests/promtool/*.test.yaml``.
* ``charts/l2kit/files/dashboard.json``: the Grafana dashboard (uid ``l2kit-overview``).

The chart and the Jinja templates wrap these files themselves (``templates/monitoring/*``:
Helm ``.Files.Get``, Jinja ``files_get``); :func:`prometheus_rule_object` and
:func:`dashboard_configmap` build the same objects in Python for callers that want them without
rendering (``l2kit monitor rules``, tests, ad-hoc apply). Metric names used by both files are
listed in :mod:`l2kit.monitor.catalog`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import yaml

from l2kit import resources
from l2kit.errors import RulesError
from l2kit.yamlout import dump_yaml

RULES_FILE: Final = "alerts.rules.yaml"
DASHBOARD_FILE: Final = "dashboard.json"
DASHBOARD_KEY: Final = "l2kit.json"  # ConfigMap data key the Grafana sidecar loads
GROUPS: Final = (
    "l2kit.bitcoind",
    "l2kit.babylon",
    "l2kit.rollup",
    "l2kit.components",
    "l2kit.kubernetes",
    "l2kit.exporter",
)
SEVERITIES: Final = ("warning", "critical")
ANNOTATIONS: Final = ("summary", "description", "runbook")
MIN_SCHEMA_VERSION: Final = 36
DASHBOARD_VARIABLES: Final = ("datasource", "target", "kind")


def files_dir() -> Path:
    return resources.chart_dir() / "files"


def rules_text() -> str:
    return (files_dir() / RULES_FILE).read_text(encoding="utf-8")


def dashboard_text() -> str:
    return (files_dir() / DASHBOARD_FILE).read_text(encoding="utf-8")


# --- rules --------------------------------------------------------------------------------------


def rule_problems(doc: Any) -> list[str]:
    """Every way ``doc`` (a parsed rules file) breaks the l2kit rule conventions; [] if none."""
    if not isinstance(doc, dict) or not isinstance(doc.get("groups"), list):
        return ["top level must be a mapping with a 'groups' list"]
    problems: list[str] = []
    names = [g.get("name") if isinstance(g, dict) else None for g in doc["groups"]]
    if names != list(GROUPS):
        problems.append(f"groups must be {list(GROUPS)} in this order, got {names}")
    seen: set[str] = set()
    for group in doc["groups"]:
        if not isinstance(group, dict) or not isinstance(group.get("rules"), list):
            problems.append(f"group {group!r}: needs a 'rules' list")
            continue
        for rule in group["rules"]:
            problems.extend(_alert_problems(group.get("name"), rule, seen))
    return problems


def _alert_problems(group: object, rule: Any, seen: set[str]) -> Iterator[str]:
    if not isinstance(rule, dict) or not isinstance(rule.get("alert"), str):
        yield f"{group}: every rule must be an alerting rule with a name, got {rule!r}"
        return
    name = rule["alert"]
    where = f"{group}/{name}"
    if name in seen:
        yield f"{where}: duplicate alert name"
    seen.add(name)
    if not isinstance(rule.get("expr"), str) or not rule["expr"].strip():
        yield f"{where}: expr must be a non-empty string"
    if not isinstance(rule.get("for"), str):
        yield f"{where}: 'for' must be set (a duration such as 5m)"
    labels = rule.get("labels")
    severity = labels.get("severity") if isinstance(labels, dict) else None
    if severity not in SEVERITIES:
        yield f"{where}: labels.severity must be one of {SEVERITIES}, got {severity!r}"
    annotations = rule.get("annotations")
    annotations = annotations if isinstance(annotations, dict) else {}
    for key in ANNOTATIONS:
        text = annotations.get(key)
        if not isinstance(text, str) or not text.strip():
            yield f"{where}: annotations.{key} must be a non-empty string"
    runbook = annotations.get("runbook")
    if isinstance(runbook, str) and "\n" in runbook.strip():
        yield f"{where}: annotations.runbook must be one line"


def load_rules() -> dict[str, Any]:
    """The shipped rules file, parsed and checked against the conventions above."""
    doc = yaml.safe_load(rules_text())
    problems = rule_problems(doc)
    if problems:
        raise RulesError(str(files_dir() / RULES_FILE), problems)
    result: dict[str, Any] = doc
    return result


def alerts(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """All alerting rules of a parsed rules file, in file order."""
    return [rule for group in doc["groups"] for rule in group["rules"] if "alert" in rule]


# PromQL words that look like identifiers but are not metric names.
_KEYWORDS: Final = frozenset(
    {
        "and",
        "or",
        "unless",
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "offset",
        "bool",
        "inf",
        "nan",
    }
)


def referenced_metrics(expr: str) -> set[str]:
    """Metric names a PromQL expression selects.

    A small tokenizer, enough for the shipped files: drops strings, label matchers, ranges,
    grouping label lists and offsets, then keeps identifiers that are neither keywords nor
    function calls. ``promtool check rules`` does the real parsing.
    """
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\boffset\s+-?\w+", " ", text)
    names: set[str] = set()
    for match in re.finditer(r"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        name = match.group(0)
        if name.lower() in _KEYWORDS or text[match.end() :].lstrip().startswith("("):
            continue
        names.add(name)
    return names


# --- dashboard ----------------------------------------------------------------------------------


def panels(doc: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, including those nested in collapsed rows."""
    for panel in doc.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def dashboard_exprs(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(panel title, PromQL expr) of every query target in the dashboard."""
    return [
        (str(panel.get("title", "")), target["expr"])
        for panel in panels(doc)
        for target in panel.get("targets", [])
        if isinstance(target.get("expr"), str)
    ]


def dashboard_problems(doc: Any) -> list[str]:
    if not isinstance(doc, dict):
        return ["top level must be a JSON object"]
    problems: list[str] = []
    if not doc.get("uid"):
        problems.append("uid must be set (stable links and provisioning)")
    schema = doc.get("schemaVersion")
    if not isinstance(schema, int) or schema < MIN_SCHEMA_VERSION:
        problems.append(f"schemaVersion must be >= {MIN_SCHEMA_VERSION}, got {schema!r}")
    variables = [v.get("name") for v in doc.get("templating", {}).get("list", [])]
    for name in DASHBOARD_VARIABLES:
        if name not in variables:
            problems.append(f"templating variable {name!r} is missing")
    ids = [p.get("id") for p in panels(doc)]
    if len(ids) != len(set(ids)):
        problems.append("panel ids must be unique")
    if not dashboard_exprs(doc):
        problems.append("no panel queries anything")
    return problems


def load_dashboard() -> dict[str, Any]:
    """The shipped Grafana dashboard, parsed and checked."""
    doc = json.loads(dashboard_text())
    problems = dashboard_problems(doc)
    if problems:
        raise RulesError(str(files_dir() / DASHBOARD_FILE), problems)
    result: dict[str, Any] = doc
    return result


# --- Kubernetes objects -------------------------------------------------------------------------


def _metadata(name: str, namespace: str, labels: Mapping[str, str] | None) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "labels": dict(labels or {})}


def prometheus_rule_object(
    name: str, namespace: str, labels: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A ``monitoring.coreos.com/v1`` PrometheusRule carrying the shipped rule groups.

    ``labels`` must include whatever the Prometheus ``ruleSelector`` wants (e.g. ``release``).
    """
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": _metadata(name, namespace, labels),
        "spec": {"groups": load_rules()["groups"]},
    }


def dashboard_configmap(
    name: str, namespace: str, labels: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A ConfigMap the Grafana dashboard sidecar picks up (label ``grafana_dashboard: "1"``).

    Named ``<name>-dashboard`` like the chart's; the JSON is shipped verbatim.
    """
    load_dashboard()  # refuse to ship a malformed dashboard
    metadata = _metadata(f"{name}-dashboard", namespace, labels)
    metadata["labels"]["grafana_dashboard"] = "1"
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata,
        "data": {DASHBOARD_KEY: dashboard_text()},
    }


# --- `l2kit monitor rules` ----------------------------------------------------------------------

FORMATS: Final = ("rules", "prometheusrule", "dashboard")


def export(fmt: str, *, name: str = "l2kit", namespace: str = "monitoring") -> str:
    """Text for ``l2kit monitor rules --format``: the rules file as shipped (after checking it),
    a PrometheusRule object as YAML, or the dashboard ConfigMap as YAML."""
    if fmt == "rules":
        load_rules()
        return rules_text()
    if fmt == "prometheusrule":
        obj = prometheus_rule_object(name, namespace, {"app.kubernetes.io/part-of": "l2kit"})
    elif fmt == "dashboard":
        obj = dashboard_configmap(name, namespace, {"app.kubernetes.io/part-of": "l2kit"})
    else:
        raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")
    return dump_yaml(obj)
