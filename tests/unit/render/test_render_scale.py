"""Fleet scale (#12): schema verdicts of jsonschema-rs equal jsonschema's, a 1,000-stack fleet
validates, and ``l2kit render`` streams namespace by namespace with the same objects and files
as the all-at-once pipeline (``build``). No timing here: speed and RSS are in benches/."""

from __future__ import annotations

import copy
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.cli import run_main

from l2kit.contracts.check import Report
from l2kit.errors import RenderError
from l2kit.render import build, manifests, plan, profiles, stream
from l2kit.spec import parse_spec

pytest.importorskip("kubernetes_validate")
pytest.importorskip("jsonschema_rs")

Obj = dict[str, Any]


def fleet_text(
    profile: str, count: int, network: str | None = None, *, shared_namespace: bool = False
) -> str:
    """``count`` copies of an init stack, each with its own name and namespace (or all in one
    namespace)."""
    doc = yaml.safe_load(profiles.init_spec(profile, network))
    stack = doc["stacks"][0]
    text = yaml.safe_dump(stack)
    stacks = []
    for i in range(count):
        s = yaml.safe_load(text.replace(stack["name"], f"s{i:04d}-{stack['name']}"[:40]))
        if shared_namespace:
            s["namespace"] = "fleet"
        stacks.append(s)
    return yaml.safe_dump({**doc, "stacks": stacks})


def mixed_fleet() -> str:
    """Every profile x network, renamed, plus two stacks sharing one namespace."""
    stacks = []
    for i, (profile, network) in enumerate(profiles.supported()):
        stacks += yaml.safe_load(fleet_text(profile, 1, network))["stacks"]
        stacks[-1]["name"] = stacks[-1]["name"].replace("s0000-", f"m{i:02d}-")
        stacks[-1] = yaml.safe_load(
            yaml.safe_dump(stacks[-1]).replace(stacks[-1]["namespace"], f"m{i:02d}-ns")
        )
    shared = yaml.safe_load(fleet_text("bitcoin", 2, shared_namespace=True))["stacks"]
    return yaml.safe_dump({"stacks": stacks + shared})


# --- schema verdicts ---------------------------------------------------------------------------

_VALUES: tuple[Any, ...] = (None, True, 0, -1, 1.5, 3.0, "x", "", [], {}, ["x"], {"x": 1})


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if path:
        yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:2]):
            yield from _leaves(v, (*path, i))


def _planted(obj: Obj) -> Iterator[Obj]:
    """Every path of ``obj`` replaced by values of each JSON type, one at a time; unknown and
    removed fields too (every 3rd path, to keep the suite quick)."""
    for n, path in enumerate(_leaves(obj)):
        if n % 3:
            continue
        for value in (*_VALUES, "drop", "extra"):
            bad = copy.deepcopy(obj)
            parent = bad
            for key in path[:-1]:
                parent = parent[key]
            if value == "drop":
                del parent[path[-1]]
            elif value == "extra":
                if not isinstance(parent[path[-1]], dict):
                    continue
                parent[path[-1]]["notAField"] = 1
            else:
                parent[path[-1]] = value
            yield bad


def test_fast_verdicts_equal_jsonschema_on_planted_mistakes() -> None:
    version = build.kubernetes_version()
    assert version is not None
    objs = build.build(profiles.init_spec("devnet", None)).objects
    seen: set[str] = set()
    compared = invalid = 0
    for obj in objs:
        if obj["kind"] in seen or obj["kind"] not in {
            "StatefulSet",
            "Deployment",
            "Service",
            "ConfigMap",
            "NetworkPolicy",
            "PodDisruptionBudget",
            "Secret",
        }:
            continue
        seen.add(obj["kind"])
        fast = build._fast_validator(obj["kind"], obj["apiVersion"], version)
        slow = build._validator(obj["kind"], obj["apiVersion"], version)
        for bad in _planted(obj):
            verdict = next(iter(slow.iter_errors(bad)), None) is None
            assert build._fast_valid(fast, bad) == verdict, bad
            compared += 1
            invalid += not verdict
    assert len(seen) >= 5
    assert invalid > 1000 and compared - invalid > 100  # both verdicts well exercised


def test_schema_problem_lines_are_jsonschemas() -> None:
    objs = build.build(profiles.init_spec("bitcoin", None)).objects
    sts = copy.deepcopy(next(o for o in objs if o["kind"] == "StatefulSet"))
    sts["spec"]["replicas"] = "3"
    sts["spec"]["template"]["spec"]["containers"][0]["notAField"] = True
    name = sts["metadata"]["name"]
    assert build.schema_problems([sts]) == [
        f"StatefulSet/{name}: spec.replicas: '3' is not of type 'integer', 'null'"
    ]


def test_a_thousand_stack_fleet_validates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "fleet.yaml"
    spec.write_text(fleet_text("bitcoin", 1000))
    code, out, err = run_main(["validate", str(spec), "--json"], capsys)
    assert code == 0, err
    data = yaml.safe_load(out)
    one = len(build.build(profiles.init_spec("bitcoin", None)).objects)
    assert data["ok"] and data["stacks"] == 1000
    # per stack its objects, plus the fleet's one PrometheusRule and dashboard ConfigMap
    assert data["objects"] == 1000 * (one - 2) + 2


# --- streamed render ---------------------------------------------------------------------------


def test_streamed_objects_and_files_equal_build(tmp_path: Path) -> None:
    text = mixed_fleet()
    whole = build.build(text)
    report = Report()
    streamed = list(stream.checked_objects(parse_spec(text), report))
    key = manifests.sort_key
    assert sorted(streamed, key=key) == sorted(whole.objects, key=key)
    assert len(streamed) == len(whole.objects)
    assert report.checked == whole.contracts.checked
    assert report.uncovered == whole.contracts.uncovered
    assert manifests.write_tree(whole.objects, tmp_path / "a") == len(whole.objects)
    assert manifests.write_tree(iter(streamed), tmp_path / "b") == len(whole.objects)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*"))
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*"))
    for rel in files:
        a, b = tmp_path / "a" / rel, tmp_path / "b" / rel
        assert a.is_dir() or (
            a.read_bytes() == b.read_bytes() and a.stat().st_mode == b.stat().st_mode
        ), rel


def test_stdout_stream_equals_build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = fleet_text("devnet", 3)
    spec = tmp_path / "fleet.yaml"
    spec.write_text(text)
    code, out, err = run_main(["render", str(spec), "-o", "-"], capsys)
    assert code == 0, err
    assert out == manifests.to_stream(build.build(text).objects)


def test_render_holds_one_namespace_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    planned: list[str] = []
    real = plan.tokenised

    def counting(stack: Any, **kw: Any) -> Any:
        planned.append(stack.name)
        return real(stack, **kw)

    per_stack = len(build.build(profiles.init_spec("bitcoin", None)).objects) - 2
    fleet = parse_spec(fleet_text("bitcoin", 50))
    monkeypatch.setattr(plan, "tokenised", counting)
    sizes = []
    for batch in stream.batches(fleet):
        sizes.append(len(batch))
        # only the stacks of the namespaces handed out so far have been planned
        assert len(planned) == len(sizes) - 1
    assert sizes[0] == 2  # the monitoring namespace's rule and dashboard
    assert sizes[1:] == [per_stack] * 50
    planned.clear()
    objs = stream.checked_objects(fleet, Report())
    assert sorted(next(objs)["kind"] for _ in range(2)) == ["ConfigMap", "PrometheusRule"]
    assert planned == []
    next(objs)  # the first stack's objects: planned, checked and handed out alone
    assert len(planned) == 1
    objs.close()


def _render_peak(count: int, out: Path) -> int:
    fleet = parse_spec(fleet_text("bitcoin", count))
    tracemalloc.start()
    try:
        manifests.write_tree(stream.checked_objects(fleet, Report()), out)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_render_memory_does_not_grow_with_the_fleet(tmp_path: Path) -> None:
    _render_peak(2, tmp_path / "warm")  # caches (contracts, chart files) loaded once
    small = _render_peak(20, tmp_path / "small")
    large = _render_peak(200, tmp_path / "large")
    assert len(list((tmp_path / "large").rglob("*.yaml"))) == 200 * 10 + 2
    assert large < 2 * small, (small, large)  # all at once: ~10x


def test_a_broken_stack_mid_fleet_writes_nothing(tmp_path: Path) -> None:
    doc = yaml.safe_load(fleet_text("bitcoin", 5))
    doc["stacks"][3]["bitcoind"]["extraEnv"] = [{"name": "X", "value": "password=hunter22"}]
    text = yaml.safe_dump(doc)
    with pytest.raises(RenderError) as whole:
        build.build(text)
    out = tmp_path / "out"
    with pytest.raises(RenderError) as streamed:
        manifests.write_tree(stream.checked_objects(parse_spec(text), Report()), out)
    assert str(streamed.value) == str(whole.value)
    assert "env X looks like a secret literal" in str(whole.value)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_render_cli_reports_progress_and_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from l2kit.cli import provision

    monkeypatch.setattr(provision, "_PROGRESS_EVERY", 2)
    spec = tmp_path / "fleet.yaml"
    spec.write_text(fleet_text("bitcoin", 5))
    code, out, err = run_main(["render", str(spec), "-o", str(tmp_path / "out")], capsys)
    assert code == 0, err
    assert err.splitlines() == ["2/5 stacks", "4/5 stacks"]
    assert "wrote 52 files to" in out
    assert "s0004-btc-regtest/bitcoind" in out and "bitcoind: contract: ok" in out


def test_a_broken_stack_prints_nothing_on_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = yaml.safe_load(fleet_text("bitcoin", 3))
    doc["stacks"][2]["bitcoind"]["extraEnv"] = [{"name": "X", "value": "password=hunter22"}]
    spec = tmp_path / "fleet.yaml"
    spec.write_text(yaml.safe_dump(doc))
    code, out, err = run_main(["render", str(spec), "-o", "-"], capsys)
    assert code == 1 and out == ""
    assert "s0002-btc-regtest-bitcoind: container bitcoind: env X looks like a secret" in err
    assert list(tmp_path.iterdir()) == [spec]
