"""Shipped alert rules and Grafana dashboard.

* ``promtool check rules`` and ``promtool test rules tests/promtool/*.test.yaml`` pass (promtool is
  required: ``make test`` installs it; a missing promtool fails here, it never skips);
* every alert has ``for:``, severity, summary, description and a one-line runbook, and a promtool
  case where it does not fire (``exp_alerts: []``) and one where it fires;
* every metric a rule or panel selects is in the exporter contract or in the components'
  fixtures (``tests/data/monitor/metrics`` and, when present, ``../shared/fixtures/metrics``);
* every dashboard expression parses (each is wrapped into a recording rule for promtool).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from support.cli import click_invoke
from support.paths import DATA, ROOT, SHARED

from l2kit.errors import RulesError
from l2kit.monitor import catalog, rules

RULES_FILE = ROOT / "charts" / "l2kit" / "files" / "alerts.rules.yaml"
PROMTOOL_TESTS = sorted((ROOT / "tests" / "promtool").glob("*.test.yaml"))
FIXTURE_DIRS = [
    d for d in (DATA / "monitor" / "metrics", SHARED / "fixtures" / "metrics") if d.is_dir()
]
RUNTIME_PREFIXES = ("go_", "process_", "python_", "promhttp_")


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail(
            "promtool is not installed: run `make promtool` (Debian package 'prometheus'); "
            "the alert rules cannot be checked without it",
            pytrace=False,
        )
    return path


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            argv, check=True, capture_output=True, text=True, timeout=300, cwd=ROOT
        )
    except subprocess.CalledProcessError as exc:
        pytest.fail(
            f"{shlex.join(argv)} exited {exc.returncode}\n"
            f"stdout:\n{exc.stdout}\nstderr:\n{exc.stderr}",
            pytrace=False,
        )


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return rules.load_rules()


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return rules.load_dashboard()


def fixture_metric_names() -> set[str]:
    """Sample names in the component fixtures (runtime families left out)."""
    names: set[str] = set()
    for directory in FIXTURE_DIRS:
        for path in directory.iterdir():
            if path.suffix not in (".prom", ".txt"):
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.startswith("#") or not line.strip():
                    continue
                name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line)
                assert name is not None, f"{path}: unparsable line {line!r}"
                if not name.group(0).startswith(RUNTIME_PREFIXES):
                    names.add(name.group(0))
    return names


# --- promtool -----------------------------------------------------------------------------------


def test_promtool_check_rules() -> None:
    out = run([promtool(), "check", "rules", str(RULES_FILE)])
    assert "SUCCESS" in out.stdout


def test_promtool_unit_tests_pass() -> None:
    assert PROMTOOL_TESTS, "no tests/promtool/*.test.yaml"
    out = run([promtool(), "test", "rules", *map(str, PROMTOOL_TESTS)])
    assert out.stdout.count("SUCCESS") == len(PROMTOOL_TESTS)


# --- conventions --------------------------------------------------------------------------------


def test_rules_follow_conventions(doc: dict[str, Any]) -> None:
    assert rules.rule_problems(doc) == []
    assert [g["name"] for g in doc["groups"]] == list(rules.GROUPS)
    for rule in rules.alerts(doc):
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        for key in ("summary", "description", "runbook"):
            assert rule["annotations"][key].strip(), (rule["alert"], key)
        assert "\n" not in rule["annotations"]["runbook"].strip(), rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]


def test_rule_problems_names_each_violation() -> None:
    bad = {
        "groups": [
            {
                "name": "l2kit.bitcoind",
                "rules": [
                    {"alert": "A", "expr": "up == 0", "labels": {"severity": "page"}},
                    {
                        "alert": "A",
                        "expr": "",
                        "for": "1m",
                        "labels": {"severity": "warning"},
                        "annotations": {"summary": "s", "description": "d", "runbook": "a\nb"},
                    },
                    {"record": "x:y", "expr": "up"},
                ],
            }
        ]
    }
    problems = "\n".join(rules.rule_problems(bad))
    for needle in (
        "groups must be",
        "l2kit.bitcoind/A: 'for' must be set",
        "labels.severity must be one of",
        "annotations.runbook must be a non-empty string",
        "duplicate alert name",
        "expr must be a non-empty string",
        "runbook must be one line",
        "every rule must be an alerting rule",
    ):
        assert needle in problems
    assert rules.rule_problems([]) == ["top level must be a mapping with a 'groups' list"]


def test_load_rules_refuses_a_broken_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "rules_text", lambda: "groups:\n- name: x\n  rules: []\n")
    with pytest.raises(RulesError, match="groups must be"):
        rules.load_rules()


# --- promtool coverage --------------------------------------------------------------------------


def promtool_cases() -> dict[str, list[list[dict[str, Any]]]]:
    """alertname -> the exp_alerts lists of every alert_rule_test naming it."""
    cases: dict[str, list[list[dict[str, Any]]]] = defaultdict(list)
    for path in PROMTOOL_TESTS:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        files = [(path.parent / f).resolve() for f in spec["rule_files"]]
        assert files == [RULES_FILE.resolve()], f"{path.name} must load the shipped rules"
        for test in spec["tests"]:
            for art in test.get("alert_rule_test", []):
                cases[art["alertname"]].append(art.get("exp_alerts") or [])
    return cases


def test_every_alert_has_a_firing_and_a_quiet_case(doc: dict[str, Any]) -> None:
    cases = promtool_cases()
    missing = []
    for rule in rules.alerts(doc):
        name = rule["alert"]
        expected = cases.get(name, [])
        if not any(e == [] for e in expected) or not any(e for e in expected):
            missing.append(name)
            continue
        for exp in (alert for e in expected for alert in e):
            assert exp["exp_labels"]["severity"] == rule["labels"]["severity"], name
            assert set(exp["exp_annotations"]) == {"summary", "description", "runbook"}, name
    assert missing == [], f"alerts without a firing and a non-firing promtool case: {missing}"


def test_promtool_tests_name_only_real_alerts(doc: dict[str, Any]) -> None:
    names = {rule["alert"] for rule in rules.alerts(doc)}
    assert set(promtool_cases()) <= names


# --- metric names -------------------------------------------------------------------------------


def test_catalog_component_metrics_match_the_fixtures() -> None:
    assert FIXTURE_DIRS, "tests/data/monitor/metrics is missing"
    families = set(catalog.COMPONENT_METRICS)
    samples = fixture_metric_names()
    histogram_series = {
        n + s
        for n, (_, kind) in catalog.COMPONENT_METRICS.items()
        if kind == "histogram"
        for s in ("_bucket", "_sum", "_count")
    }
    assert (
        samples
        == (families - {n for n, (_, k) in catalog.COMPONENT_METRICS.items() if k == "histogram"})
        | histogram_series
    )
    # The censorship GaugeVecs only appear after the first event: never in a fixture.
    assert not set(catalog.COMPONENT_METRICS_UNOBSERVED) & samples


def allowed_metrics() -> set[str]:
    """Exporter contract + fixture samples + the documented, not-yet-observed vigilante Vecs."""
    return (
        set(catalog.EXPORTER_METRICS)
        | fixture_metric_names()
        | set(catalog.COMPONENT_METRICS_UNOBSERVED)
    )


def test_rules_query_only_existing_metrics(doc: dict[str, Any]) -> None:
    allowed, known = allowed_metrics(), catalog.known_metric_names()
    for rule in rules.alerts(doc):
        used = rules.referenced_metrics(rule["expr"])
        assert used, rule["alert"]
        assert used <= allowed, (rule["alert"], used - allowed)
        assert used <= known, (rule["alert"], used - known)


def test_exporter_contract_checks_used_by_rules_exist(doc: dict[str, Any]) -> None:
    for rule in rules.alerts(doc):
        for kind, check in re.findall(r'kind="(\w+)", check="(\w+)"', rule["expr"]):
            assert check in catalog.EXPORTER_CHECKS[kind], (rule["alert"], kind, check)


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        (
            "fp_seconds_since_last_vote > 300 and fp_status == 1",
            {"fp_seconds_since_last_vote", "fp_status"},
        ),
        (
            "(fp_last_committed_randomness_height - ignoring (fp_btc_pk_hex) group_left () "
            "babylon_tip_height) < 500",
            {"fp_last_committed_randomness_height", "babylon_tip_height"},
        ),
        (
            'count(l2kit_check_status{kind=~"$kind", check="a b"} == 2) or vector(0)',
            {"l2kit_check_status"},
        ),
        (
            "max by (target, kind) (l2kit_target_up) unless on (target) x offset 1h >= 1e6",
            {"l2kit_target_up", "x"},
        ),
        (
            "increase(vigilante_monitor_liveness_attacks[1h]) > 0",
            {"vigilante_monitor_liveness_attacks"},
        ),
        (
            "time() - l2kit_target_last_success_timestamp_seconds",
            {"l2kit_target_last_success_timestamp_seconds"},
        ),
    ],
)
def test_referenced_metrics_examples(expr: str, names: set[str]) -> None:
    assert rules.referenced_metrics(expr) == names


_NAMES = st.sampled_from(sorted(catalog.known_metric_names()))
_MATCHERS = st.sampled_from(
    ["", '{target=~"$target"}', '{kind="babylon", check="fp_status"}', '{by="on", x="rate(y)"}']
)
_WRAPS = st.sampled_from(
    [
        "{}",
        "rate({}[5m])",
        "max by (target, kind) ({})",
        "{} offset 1h",
        "delta({}[30m]) <= 0",
        "sum without (subject) ({}) > 0.5",
    ]
)
_OPS = st.sampled_from(
    [
        " and ",
        " or on (target) ",
        " unless ignoring (subject) ",
        " - ",
        " > bool ",
        " * on (instance) group_left (job) ",
    ]
)


@given(st.lists(st.tuples(_NAMES, _MATCHERS, _WRAPS), min_size=1, max_size=4), _OPS)
def test_referenced_metrics_finds_exactly_the_selected_names(
    parts: list[tuple[str, str, str]], op: str
) -> None:
    expr = op.join(wrap.format(name + matcher) for name, matcher, wrap in parts)
    assert rules.referenced_metrics(expr) == {name for name, _, _ in parts}


# --- dashboard ----------------------------------------------------------------------------------


def promql(expr: str) -> str:
    """A dashboard expr with Grafana's variables replaced by something PromQL accepts."""
    expr = re.sub(r"\$__(?:rate_)?interval|\$__range", "5m", expr)
    return re.sub(r"\$\{?\w+\}?", ".*", expr)


def test_dashboard_shape(dashboard: dict[str, Any]) -> None:
    assert rules.dashboard_problems(dashboard) == []
    assert dashboard["schemaVersion"] >= 36 and dashboard["uid"]
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    rows = [p["title"] for p in rules.panels(dashboard) if p["type"] == "row"]
    for needle in ("Fleet overview", "bitcoind", "Babylon", "Rollup", "Components", "exporter"):
        assert any(needle in title for title in rows), needle
    for panel in rules.panels(dashboard):
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
            assert panel["targets"], panel["title"]


def test_dashboard_exprs_parse_with_promtool(dashboard: dict[str, Any], tmp_path: Path) -> None:
    exprs = rules.dashboard_exprs(dashboard)
    recording = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"l2kit:dashboard_panel_{i}", "expr": promql(expr)}
                    for i, (_, expr) in enumerate(exprs)
                ],
            }
        ]
    }
    path = tmp_path / "dashboard.rules.yaml"
    path.write_text(yaml.safe_dump(recording), encoding="utf-8")
    out = run([promtool(), "check", "rules", str(path)])
    assert f"SUCCESS: {len(exprs)} rules found" in out.stdout


def test_dashboard_queries_only_existing_metrics(dashboard: dict[str, Any]) -> None:
    allowed, known = allowed_metrics(), catalog.known_metric_names()
    variables = [
        v["query"]["query"] for v in dashboard["templating"]["list"] if v["type"] == "query"
    ]
    exprs = [*rules.dashboard_exprs(dashboard), *(("variable", v) for v in variables)]
    for title, expr in exprs:
        inner = re.sub(r"^label_values\((.*),\s*\w+\)$", r"\1", expr)
        used = rules.referenced_metrics(promql(inner))
        assert used, (title, expr)
        assert used <= allowed, (title, used - allowed)
        assert used <= known, (title, used - known)


# --- Kubernetes objects and CLI -----------------------------------------------------------------


def test_prometheus_rule_object(doc: dict[str, Any]) -> None:
    obj = rules.prometheus_rule_object("l2kit", "monitoring", {"release": "kube-prometheus"})
    assert obj["apiVersion"] == "monitoring.coreos.com/v1" and obj["kind"] == "PrometheusRule"
    assert obj["metadata"] == {
        "name": "l2kit",
        "namespace": "monitoring",
        "labels": {"release": "kube-prometheus"},
    }
    assert obj["spec"]["groups"] == doc["groups"]


def test_dashboard_configmap() -> None:
    cm = rules.dashboard_configmap("l2kit", "monitoring", {"app.kubernetes.io/part-of": "l2kit"})
    assert cm["kind"] == "ConfigMap" and cm["metadata"]["name"] == "l2kit-dashboard"
    assert cm["metadata"]["labels"] == {
        "app.kubernetes.io/part-of": "l2kit",
        "grafana_dashboard": "1",
    }
    assert json.loads(cm["data"][rules.DASHBOARD_KEY])["uid"] == "l2kit-overview"


def test_cli_prints_and_writes_the_rules(tmp_path: Path) -> None:
    printed = click_invoke(["monitor", "rules"])
    assert printed.exit_code == 0, printed.output
    assert printed.stdout == RULES_FILE.read_text(encoding="utf-8")

    out = tmp_path / "prometheusrule.yaml"
    written = click_invoke(
        ["monitor", "rules", "--format", "prometheusrule", "--namespace", "obs", "-o", str(out)]
    )
    assert written.exit_code == 0, written.output
    obj = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert obj["kind"] == "PrometheusRule" and obj["metadata"]["namespace"] == "obs"
    assert [g["name"] for g in obj["spec"]["groups"]] == list(rules.GROUPS)
    assert list(tmp_path.iterdir()) == [out]  # no temp file left behind

    dash = click_invoke(["monitor", "rules", "--format", "dashboard"])
    assert dash.exit_code == 0, dash.output
    cm = yaml.safe_load(dash.stdout)
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(cm["data"]["l2kit.json"])["schemaVersion"] >= 36
