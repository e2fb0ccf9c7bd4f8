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
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from l2kit import resources

Schema = dict[str, Any]

DRAFT = "http://json-schema.org/draft-07/schema#"

IMAGE_PATTERN = (
    r"^[a-z0-9][a-z0-9._/-]*(:[0-9]+/[a-z0-9._/-]+)?"
    r":[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[0-9a-f]{64})?$"
)
"""registry/name:tag[@sha256:digest] — a tag is required."""

LATEST_PATTERN = r":latest(@sha256:[0-9a-f]{64})?$"

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
        "properties": {"name": {"type": "string", "minLength": 1, "description": "Name."},
                       "image": IMAGE},
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

ENTRY: Schema = {
    "type": "object",
    "required": ["name", "labels"],
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$",
                 "description": "Object name, <stack>-<component>[-suffix]."},
        "labels": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "app.kubernetes.io/* and l2kit.io/stack labels."},
    },
}
"""Every per-kind entry of a stack: an object name and its labels."""

WORKLOAD_LISTS = ("statefulSets", "deployments", "jobs", "daemonSets")


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target = node["$ref"].rsplit("/", 1)[-1]
            merged = {**_inline(defs[target], defs),
                      **{k: _inline(v, defs) for k, v in node.items() if k != "$ref"}}
            return merged
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def _is_model(node: Schema) -> bool:
    return node.get("type") == "object" and isinstance(node.get("properties"), dict) \
        and node.get("additionalProperties") is not True


def _strict(node: Any, *, in_properties: bool = False) -> Any:
    """Every model property required, no unknown keys, no pydantic titles (recursively)."""
    if isinstance(node, dict):
        out = {k: _strict(v, in_properties=k == "properties" and not in_properties)
               for k, v in node.items() if in_properties or k != "title"}
        if _is_model(out):
            out["required"] = list(out["properties"])
            out["additionalProperties"] = False
            out.pop("default", None)
        return out
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


def _free_entries(items: Schema) -> bool:
    return items.get("type") == "object" and "properties" not in items


def _refine_stack(stack: Schema) -> None:
    """Rules for the free-dict entries of one stack's per-kind lists."""
    for key, prop in stack.get("properties", {}).items():
        items = prop.get("items") if prop.get("type") == "array" else None
        if not isinstance(items, dict) or not _free_entries(items):
            continue
        refined: Schema = copy.deepcopy(ENTRY)
        if key in WORKLOAD_LISTS:
            refined["required"] = [*ENTRY["required"], "podSpec"]
            refined["properties"]["podSpec"] = copy.deepcopy(POD_SPEC)
        prop["items"] = {**items, **refined}


def build_schema() -> Schema:
    """The chart's values schema (a plain dict, deterministic)."""
    from l2kit.render.values import ChartValues

    raw = ChartValues.model_json_schema(by_alias=True, mode="serialization")
    schema: Schema = _strict(_inline(raw, raw.get("$defs", {})))
    stacks = schema.get("properties", {}).get("stacks", {}).get("items")
    if isinstance(stacks, dict):
        _refine_stack(stacks)
    schema.pop("title", None)
    return {"$schema": DRAFT, "title": "l2kit chart values (generated: python -m "
            "l2kit.render.schema; source: l2kit.render.values.ChartValues)", **schema}


def render_schema() -> str:
    return json.dumps(build_schema(), indent=2, sort_keys=False) + "\n"


def schema_path() -> Path:
    return resources.chart_dir() / "values.schema.json"


def profile_values(profile: str, network: str | None = None) -> dict[str, Any]:
    """``l2kit values`` of ``l2kit init --profile PROFILE [--network NETWORK]``."""
    from l2kit.config import parse_spec
    from l2kit.render import plan, profiles

    return plan.resolve(parse_spec(profiles.init_spec(profile, network))).dump()


_VALUES_HEADER = """\
# Generated by `python -m l2kit.render.schema` from `l2kit values` of
# `l2kit init --profile {profile}`{network}. Do not edit: write a spec and run
# `l2kit values SPEC > my-values.yaml`, then `helm install l2kit charts/l2kit -f my-values.yaml`.
# Every name, label, config file, probe and securityContext here was computed by l2kit;
# the templates only interpolate these values (`l2kit render SPEC` gives the same objects).
"""


def render_values_file(profile: str, network: str | None = None) -> str:
    from l2kit.render.manifests import dump_yaml

    note = f" --network {network}" if network else ""
    return _VALUES_HEADER.format(profile=profile, network=note) + dump_yaml(
        profile_values(profile, network))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def values_table(schema: Schema) -> str:
    """Markdown table of the values (path, type, description), depth-first from the schema."""
    rows = ["| Key | Type | Description |", "|---|---|---|"]

    def walk(node: Schema, path: str) -> None:
        kind = node.get("type", "")
        if kind == "array" and isinstance(node.get("items"), dict):
            kind = f"list of {node['items'].get('type', 'any')}"
        if path:
            rows.append(f"| `{path}` | {kind} | {_cell(node.get('description', ''))} |")
        for name, child in (node.get("properties") or {}).items():
            if path.endswith("[]") or path.count(".") < 3:
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
    files = {schema_path(): render_schema(), chart / "values.yaml": render_values_file("devnet")}
    for profile in CI_PROFILES:
        files[chart / "ci" / f"{profile}-values.yaml"] = render_values_file(profile)
    readme = chart / "README.md"
    if readme.exists():
        files[readme] = render_readme(readme.read_text())
    return files


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m l2kit.render.schema",
        description="Regenerate values.schema.json, values.yaml, ci/*-values.yaml, README table.")
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
            _write_atomic(path, text)
            print(path)
    return stale


if __name__ == "__main__":
    sys.exit(main())
