"""Generate the chart's derived files from l2kit itself, so they can never drift.

- ``values.schema.json`` from the resolved-values model (``ChartValues``);
- ``values.yaml``: the devnet profile's resolved values (``l2kit values`` of ``l2kit init``);
- ``ci/<profile>-values.yaml``: the same for every profile (its default network), for ``ct``;
- the values table of ``README.md`` (between the ``values-table`` markers), from the schema.

``python -m l2kit.render.schema`` rewrites them; ``--check`` exits 1 when a committed file
differs (a unit test asserts they are equal).

The pydantic schema is made strict for Helm: ``$ref``s are inlined, every property of a model is
required (``l2kit values`` always prints every key) and unknown keys are rejected. Object entries
that the model keeps as free Kubernetes-shaped dicts get the rules that matter most: every entry
has a ``name`` and string ``labels``; every container image is pinned by a tag that is not
``latest`` (Go/RE2-compatible patterns, JSON Schema draft-07).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

from l2kit import resources
from l2kit.fsutil import write_atomic
from l2kit.spec.patterns import IMAGE_PATTERN, LATEST_PATTERN

Schema = dict[str, Any]

DRAFT = "http://json-schema.org/draft-07/schema#"

IMAGE: Schema = {
    "type": "string",
    "description": "Container image pinned by tag (registry/name:tag), never ':latest'.",
    "pattern": IMAGE_PATTERN,
    "not": {"pattern": LATEST_PATTERN},
}

_CONTAINERS: Schema = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["name", "image"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "description": "Name."},
            "image": IMAGE,
        },
    },
}

POD_SPEC: Schema = {
    "type": "object",
    "description": "Pod spec computed by l2kit (securityContext, probes, volumes, ...).",
    "required": ["containers"],
    "properties": {
        "containers": {**_CONTAINERS, "minItems": 1, "description": "Containers."},
        "initContainers": {**_CONTAINERS, "description": "Init containers."},
    },
}

_NAME = {
    "type": "string",
    "minLength": 1,
    "pattern": r"^(\$\{stack\})?[-a-z0-9.]{0,253}$",
    "description": "Object name, ${stack}-<component>[-suffix] (${stack}: filled in by the "
    "chart from the release and stack names).",
}
_STRINGS = {"type": "object", "additionalProperties": {"type": "string"}}
_OBJECT = {"type": "object", "description": "Kubernetes-shaped, computed by l2kit."}
_IMAGE_PARTS: Schema = {
    "type": "object",
    "description": "Each container's image, split for the image knobs.",
    "additionalProperties": {
        "type": "object",
        "additionalProperties": False,
        "required": ["registry", "repository", "tag", "own"],
        "properties": {
            "registry": {"type": "string"},
            "repository": {"type": "string"},
            "tag": {"type": "string"},
            "own": {
                "type": "boolean",
                "description": "Runs the component's own image (image.tag).",
            },
        },
    },
}
_COMMON = {
    "name": _NAME,
    "labels": {**_STRINGS, "description": "app.kubernetes.io/* and l2kit.io/stack."},
    "annotations": {**_STRINGS, "description": "Annotations."},
}
_WORKLOAD = {
    **_COMMON,
    "replicas": {"type": "integer", "minimum": 1},
    "selector": _OBJECT,
    "podLabels": _STRINGS,
    "podAnnotations": _STRINGS,
    "podSpec": POD_SPEC,
    "knobs": {"type": "string", "description": "Knob key of the component (bitcoind, ...)."},
    "images": _IMAGE_PARTS,
}
ENTRIES: dict[str, Schema] = {
    "configMaps": {**_COMMON, "data": _STRINGS},
    "secrets": {**_COMMON, "stringData": _STRINGS},
    "services": {**_COMMON, "spec": _OBJECT},
    "statefulSets": {
        **_WORKLOAD,
        "serviceName": {"type": "string"},
        "podManagementPolicy": {"type": "string"},
        "updateStrategy": _OBJECT,
        "volumeClaimTemplates": {"type": "array", "items": _OBJECT},
    },
    "deployments": {**_WORKLOAD, "strategy": _OBJECT},
    "podDisruptionBudgets": {"name": _NAME, "labels": _COMMON["labels"], "spec": _OBJECT},
    "networkPolicies": {"name": _NAME, "labels": _COMMON["labels"], "spec": _OBJECT},
    "serviceMonitors": {"name": _NAME, "labels": _COMMON["labels"], "spec": _OBJECT},
    "snapshotSchedules": {"name": _NAME, "labels": _COMMON["labels"], "spec": _OBJECT},
}
"""The keys of every per-kind entry of a stack (each required, no others)."""


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target = node["$ref"].rsplit("/", 1)[-1]
            merged = {
                **_inline(defs[target], defs),
                **{k: _inline(v, defs) for k, v in node.items() if k != "$ref"},
            }
            return merged
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def _is_model(node: Schema) -> bool:
    return (
        node.get("type") == "object"
        and isinstance(node.get("properties"), dict)
        and node.get("additionalProperties") is not True
    )


def _strict(node: Any, *, in_properties: bool = False) -> Any:
    """Every model property required, no unknown keys, no pydantic titles (recursively)."""
    if isinstance(node, dict):
        out = {
            k: _strict(v, in_properties=k == "properties" and not in_properties)
            for k, v in node.items()
            if in_properties or k != "title"
        }
        if _is_model(out):
            out["required"] = list(out["properties"])
            out["additionalProperties"] = False
            out.pop("default", None)
        return out
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


def _optional(node: Any, *, in_properties: bool = False) -> Any:
    """Knob schemas: optional keys, ``X | None`` as X, '' accepted as "unset" for strings."""
    if isinstance(node, list):
        return [_optional(v) for v in node]
    if not isinstance(node, dict):
        return node
    if in_properties:
        return {k: _optional(v) for k, v in node.items()}
    variants = node.get("anyOf")
    if isinstance(variants, list):
        real = [v for v in variants if v != {"type": "null"}]
        if len(real) == 1:
            rest = {k: v for k, v in node.items() if k not in ("anyOf", "default")}
            return _optional({**real[0], **rest})
    out = {
        k: _optional(v, in_properties=k == "properties")
        for k, v in node.items()
        if k not in ("title", "default")
    }
    if out.get("additionalProperties") is True:
        out.pop("additionalProperties")
    if out.get("type") == "string" and "pattern" in out:
        out["pattern"] = f"^$|{out['pattern']}"
    return out


def knob_schema() -> Schema:
    """The knobs (``Knobs``): every key optional, unknown keys rejected."""
    from l2kit.render.knobs import Knobs
    from l2kit.spec.patterns import RESERVED_LABEL_PATTERN

    raw = Knobs.model_json_schema(by_alias=True, mode="validation")
    out: Schema = _optional(_inline(raw, raw.get("$defs", {})))
    out.pop("required", None)
    for component in out["properties"].values():
        image = component["properties"].get("image")
        if image is not None:  # pinned, as every computed image
            image["properties"]["tag"]["not"] = {"enum": ["latest"]}
        labels = component["properties"].get("podLabels")
        if labels is not None:  # selectors are computed from these
            labels["propertyNames"] = {"not": {"pattern": RESERVED_LABEL_PATTERN}}
    return out


def _refine_stack(stack: Schema, knobs: Schema) -> None:
    """Exact entry schemas for the per-kind lists, the knob schema for ``knobs``."""
    props = stack["properties"]
    for key, entry in ENTRIES.items():
        props[key]["items"] = {
            "type": "object",
            "additionalProperties": False,
            "required": list(entry),
            "properties": copy.deepcopy(entry),
        }
    props["knobs"] = {**knobs, "description": props["knobs"].get("description", "")}


def build_schema() -> Schema:
    """The chart's values schema (a plain dict, deterministic)."""
    from l2kit.render.values import ChartValues

    raw = ChartValues.model_json_schema(by_alias=True, mode="serialization")
    schema: Schema = _strict(_inline(raw, raw.get("$defs", {})))
    knobs = knob_schema()
    _refine_stack(schema["properties"]["stacks"]["items"], knobs)
    schema["properties"]["l2kitVersion"]["description"] += (
        " The chart refuses values of another version."
    )
    schema["properties"].update(knobs["properties"])
    schema.pop("title", None)
    return {
        "$schema": DRAFT,
        "title": "l2kit chart values (generated: python -m "
        "l2kit.render.schema; source: l2kit.render.values.ChartValues and "
        "l2kit.render.knobs.Knobs)",
        **schema,
    }


def render_schema() -> str:
    return json.dumps(build_schema(), indent=2, sort_keys=False) + "\n"


def schema_path() -> Path:
    return resources.chart_dir() / "values.schema.json"


def profile_values(profile: str, network: str | None = None) -> dict[str, Any]:
    """``l2kit values`` of ``l2kit init --profile PROFILE [--network NETWORK]``."""
    from l2kit.render import plan, profiles
    from l2kit.spec import parse_spec

    return plan.resolve(parse_spec(profiles.init_spec(profile, network))).dump()


_VALUES_HEADER = """\
# l2kit chart values. Two parts:
#
# 1. Knobs (hand-written): the `## @param` keys below, all empty by default. Put yours in a
#    short file (charts/l2kit/examples/overrides.yaml) or use --set, e.g.
#    `--set bitcoind.image.tag=30.2 --set-json 'global.imagePullSecrets=["regcred"]'`.
# 2. Computed (l2kitVersion, stacks, monitoring): generated by `python -m l2kit.render.schema`
#    from `l2kit values` of `l2kit init --profile {profile}`{network}. Do not edit: write a spec,
#    run `l2kit values SPEC > computed.yaml` and
#    `helm install NAME charts/l2kit -n NAMESPACE -f computed.yaml -f overrides.yaml`.
"""


def knob_params(schema: Schema | None = None) -> list[tuple[str, str, str]]:
    """(path, type, description) of every knob leaf, depth-first from the knob schema."""
    rows: list[tuple[str, str, str]] = []

    def walk(node: Schema, path: str) -> None:
        props = node.get("properties")
        if isinstance(props, dict) and path.count(".") < 3:
            for name, child in props.items():
                walk(child, f"{path}.{name}" if path else name)
            return
        kind = node.get("type", "object")
        if kind == "array":
            kind = f"list of {node.get('items', {}).get('type', 'any')}"
        rows.append((path, kind, node.get("description", "")))

    walk(schema or knob_schema(), "")
    return rows


def knobs_section() -> str:
    """The documented, empty knobs of values.yaml (``## @param`` lines per component)."""
    params = knob_params()
    out: list[str] = []
    for top in knob_schema()["properties"]:
        out.append(f"## @section {top}")
        out += [
            f"## @param {path} {desc}" for path, _, desc in params if path.split(".", 1)[0] == top
        ]
        out.append(f"{top}: {{}}")
    return "\n".join(out) + "\n"


def render_values_file(profile: str, network: str | None = None, *, knobs: bool = False) -> str:
    """A computed values file (``ci/``); with ``knobs``, the chart's values.yaml."""
    from l2kit.yamlout import dump_yaml

    note = f" --network {network}" if network else ""
    head = _VALUES_HEADER.format(profile=profile, network=note)
    middle = knobs_section() + "\n## @section Computed by l2kit (do not edit)\n" if knobs else ""
    return head + middle + dump_yaml(profile_values(profile, network))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def values_table(schema: Schema) -> str:
    """Markdown tables: the knobs, then the computed values (path, type, description)."""
    rows = ["### Knobs", "", "| Key | Type | Description |", "|---|---|---|"]
    rows += [f"| `{p}` | {t} | {_cell(d)} |" for p, t, d in knob_params()]
    rows += [
        "",
        "### Computed by `l2kit values`",
        "",
        "| Key | Type | Description |",
        "|---|---|---|",
    ]
    knob_keys = set(knob_schema()["properties"])

    def walk(node: Schema, path: str) -> None:
        kind = node.get("type", "")
        if kind == "array" and isinstance(node.get("items"), dict):
            kind = f"list of {node['items'].get('type', 'any')}"
        if path:
            rows.append(f"| `{path}` | {kind} | {_cell(node.get('description', ''))} |")
        for name, child in (node.get("properties") or {}).items():
            if path == "" and name in knob_keys:
                continue
            if path.endswith("[]") or (path.count(".") < 1 and name != "knobs"):
                walk(child, f"{path}.{name}" if path else name)
        items = node.get("items")
        if isinstance(items, dict) and items.get("properties") and not path.endswith("[]"):
            for name, child in items["properties"].items():
                walk(child, f"{path}[].{name}")

    walk(schema, "")
    return "\n".join(rows) + "\n"


TABLE_BEGIN = "<!-- values-table:begin (generated by python -m l2kit.render.schema) -->"
TABLE_END = "<!-- values-table:end -->"


def render_readme(current: str) -> str:
    """``current`` with the text between the table markers replaced by the generated table."""
    head, sep, rest = current.partition(TABLE_BEGIN)
    _, sep2, tail = rest.partition(TABLE_END)
    if not sep or not sep2:
        raise ValueError(f"README.md lacks the markers {TABLE_BEGIN!r} ... {TABLE_END!r}")
    return f"{head}{TABLE_BEGIN}\n{values_table(build_schema())}{TABLE_END}{tail}"


CI_PROFILES = ("devnet", "bitcoin", "finality-provider", "rollup")


def generated_files() -> dict[Path, str]:
    """Every derived chart file and its expected content."""
    chart = resources.chart_dir()
    files = {
        schema_path(): render_schema(),
        chart / "values.yaml": render_values_file("devnet", knobs=True),
    }
    for profile in CI_PROFILES:
        files[chart / "ci" / f"{profile}-values.yaml"] = render_values_file(profile)
    readme = chart / "README.md"
    if readme.exists():
        files[readme] = render_readme(readme.read_text())
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m l2kit.render.schema",
        description="Regenerate values.schema.json, values.yaml, ci/*-values.yaml, README table.",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is stale")
    args = parser.parse_args(argv)
    stale = 0
    for path, text in generated_files().items():
        current = path.read_text() if path.exists() else None
        if current == text:
            continue
        if args.check:
            print(f"{path} is stale: run python -m l2kit.render.schema", file=sys.stderr)
            stale = 1
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, text)
            print(path)
    return stale


if __name__ == "__main__":
    sys.exit(main())
