"""values.schema.json, enforced by Helm's own validator, rejects bad values files."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from l2kit.errors import RenderError
from l2kit.render import helm
from l2kit.render.schema import build_schema, profile_values

Obj = dict[str, Any]


def _image(values: Obj, image: str) -> None:
    values["stacks"][0]["statefulSets"][0]["podSpec"]["containers"][0]["image"] = image


def _init_image(values: Obj, image: str) -> None:
    values["stacks"][0]["statefulSets"][0]["podSpec"]["initContainers"][0]["image"] = image


BAD: dict[str, tuple[Callable[[Obj], None], str]] = {
    "latest tag": (lambda v: _image(v, "bitcoin/bitcoin:latest"), "image"),
    "untagged image": (lambda v: _image(v, "bitcoin/bitcoin"), "image"),
    "latest init image": (lambda v: _init_image(v, "bitcoin/bitcoin:latest"), "initContainers"),
    "missing namespace": (lambda v: v["stacks"][0].pop("namespace"), "namespace"),
    "missing services": (lambda v: v["stacks"][0].pop("services"), "services"),
    "unknown top-level key": (lambda v: v.update(replicaCount=3), "replicaCount"),
    "entry without labels": (lambda v: v["stacks"][0]["services"][0].pop("labels"), "labels"),
    "bad object name": (lambda v: v["stacks"][0]["configMaps"][0].update(name="Bad_Name"), "name"),
    "l2kitVersion not a string": (lambda v: v.update(l2kitVersion=1), "l2kitVersion"),
    "unknown entry key": (lambda v: v["stacks"][0]["services"][0].update(specc={}), "specc"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_helm_rejects_bad_values(case: str) -> None:
    values = copy.deepcopy(profile_values("bitcoin"))
    mutate, where = BAD[case]
    mutate(values)
    with pytest.raises(RenderError) as info:
        helm.validate_values(values)
    assert where in str(info.value)
    with pytest.raises(RenderError):
        helm.template(values)
    assert not helm.lint(values).ok


def test_helm_rejects_a_bad_values_file(tmp_path: Any) -> None:
    path = tmp_path / "bad-values.yaml"
    text = (helm.chart_path() / "ci" / "bitcoin-values.yaml").read_text()
    path.write_text(text.replace("image: bitcoin/bitcoin:31.0", "image: bitcoin/bitcoin:latest"))
    with pytest.raises(RenderError, match="image"):
        helm.validate_values(helm.values_from_file(path))


def test_good_values_pass() -> None:
    for profile in ("devnet", "bitcoin", "finality-provider", "rollup"):
        helm.validate_values(profile_values(profile))


def test_schema_is_strict_draft7() -> None:
    """Computed keys required, knobs optional, no open object with named keys (except the
    Kubernetes pod spec, of which only containers and images are checked)."""
    schema = build_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"l2kitVersion", "stacks", "monitoring"}
    assert "$ref" not in str(schema)

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            assert node.get("additionalProperties") is not True, path
            if isinstance(node.get("properties"), dict):
                assert node.get("additionalProperties") is False, path
            for k, v in node.items():
                if k != "podSpec":
                    walk(v, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")

    walk(schema, "")
