"""Lint, validate and template the shipped chart in-process with helm-python-sdk (Helm's Go engine).

``helm_python`` binds ``libhelm_c`` with ctypes: no ``helm`` binary and no cluster are needed.
It is imported lazily (it is an optional dependency); every Helm failure becomes a ``RenderError``
carrying Helm's own message (``detail``), e.g. the schema path and rule a bad value broke.

``template`` returns parsed objects in the same shape as ``l2kit render`` so the two can be compared
(``tests/unit/render/test_chart_parity.py``); ``NOTES.txt``, helpers and the ``helm test`` hook pods
are left out, as they are not part of the stack. ``release`` and ``namespace`` are Helm's (``helm
template NAME -n NAMESPACE``): they name and place the objects. ``layered``, ``parse_set`` and
``parse_set_json`` compose values like ``-f a -f b --set k=v``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from l2kit import resources
from l2kit.errors import RenderError

Obj = dict[str, Any]

SEVERITY = {0: "unknown", 1: "info", 2: "warning", 3: "error"}
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _helm() -> Any:
    try:
        return importlib.import_module("helm_python")
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        raise RenderError("helm-python-sdk is not installed: pip install helm-python-sdk") from exc


@contextmanager
def _mapped(action: str) -> Iterator[None]:
    helm = _helm()
    try:
        yield
    except helm.HelmError as exc:
        detail = str(getattr(exc, "detail", "") or exc).strip()
        raise RenderError(f"helm {action}: {detail}") from exc


def chart_path() -> Path:
    """The shipped chart directory ``charts/l2kit``."""
    return resources.chart_dir()


def layered(*layers: Obj) -> Obj:
    """Helm's merge of ``-f`` files and ``--set`` layers: later wins, maps merge, lists replace."""
    from l2kit.render.knobs import merge_overwrite

    out: Obj = {}
    for layer in layers:
        merge_overwrite(out, layer)
    return out


def parse_set(*expressions: str) -> Obj:
    """``--set a.b=1 --set c=x`` parsed by Helm itself (strvals) and layered."""
    with _mapped("--set"):
        return layered(*(_helm().parse_set_string(e) for e in expressions))


def parse_set_json(*expressions: str) -> Obj:
    """``--set-json 'a=[...]'`` parsed by Helm itself and layered."""
    with _mapped("--set-json"):
        return layered(*(_helm().parse_set_json(e) for e in expressions))


def values_from_file(path: Path) -> Obj:
    """A values file parsed by Helm itself (``-f``), so numbers and YAML quirks match Helm."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise RenderError(f"cannot read values file {path}: {exc.strerror}") from exc
    with _mapped(f"values {path}"):
        values: Obj = _helm().values_from_yaml(text)
    return values


@contextmanager
def load_chart(chart: Path | None = None) -> Iterator[Any]:
    """The loaded chart (default: the shipped ``charts/l2kit``), released on exit."""
    path = chart or resources.chart_dir()
    with _mapped(f"load {path}"):
        loaded = _helm().Chart.load(str(path))
    try:
        yield loaded
    finally:
        loaded.close()


@dataclass(frozen=True)
class LintMessage:
    severity: str
    path: str
    message: str


@dataclass(frozen=True)
class LintReport:
    messages: tuple[LintMessage, ...]
    errors: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.errors and all(m.severity != "error" for m in self.messages)

    def problems(self, *, strict: bool = False) -> list[str]:
        """Errors (and warnings when ``strict``) as ``severity path: message`` lines."""
        bad = {"error", "warning"} if strict else {"error"}
        return [
            *self.errors,
            *(f"{m.severity} {m.path}: {m.message}" for m in self.messages if m.severity in bad),
        ]


def lint(
    values: Obj | None = None,
    *,
    chart: Path | None = None,
    strict: bool = False,
    namespace: str | None = None,
) -> LintReport:
    """``helm lint`` of the chart with ``values`` (findings are data, not exceptions)."""
    path = chart or resources.chart_dir()
    with _mapped("lint"):
        report = _helm().lint(str(path), values, strict=strict, namespace=namespace)
    messages = tuple(
        LintMessage(
            SEVERITY.get(int(m.get("severity", 0)), "unknown"),
            str(m.get("path", "")),
            str(m.get("error", "")),
        )
        for m in report.get("messages") or []
    )
    return LintReport(messages, tuple(str(e) for e in report.get("errors") or []))


def validate_values(values: Obj, *, chart: Path | None = None) -> None:
    """Check ``values`` against the chart's ``values.schema.json`` (Helm's own validator)."""
    with load_chart(chart) as loaded, _mapped("schema validation"):
        loaded.validate_schema(values)


def render_files(
    values: Obj, *, chart: Path | None = None, release: str = "l2kit", namespace: str = "default"
) -> dict[str, str]:
    """``helm template``: template path -> rendered text (Helm validates the schema first)."""
    with load_chart(chart) as loaded, _mapped("template"):
        rendered: dict[str, str] = loaded.render(
            values, name=release, namespace=namespace, is_install=True
        )
    return rendered


def _is_stack_file(path: str) -> bool:
    name = path.split("/", 1)[-1]  # drop the chart name
    return (
        name.startswith("templates/")
        and not name.startswith("templates/tests/")
        and name.endswith((".yaml", ".yml"))
    )


def parse_manifests(files: dict[str, str], *, include_tests: bool = False) -> list[Obj]:
    """Objects of the rendered files (empty documents dropped), in file order."""
    objects: list[Obj] = []
    for path in sorted(files):
        if not (_is_stack_file(path) or (include_tests and "/templates/tests/" in path)):
            continue
        try:
            docs = list(yaml.load_all(files[path], Loader=_LOADER))
        except yaml.YAMLError as exc:
            raise RenderError(f"helm template: {path} is not valid YAML: {exc}") from exc
        for doc in docs:
            if doc is None:
                continue
            if not isinstance(doc, dict):
                raise RenderError(f"helm template: {path}: a document is not a mapping")
            objects.append(doc)
    return objects


def template(
    values: Obj,
    *,
    chart: Path | None = None,
    release: str = "l2kit",
    namespace: str = "default",
    include_tests: bool = False,
) -> list[Obj]:
    """``helm template`` of the chart as parsed objects (without the helm test hook)."""
    files = render_files(values, chart=chart, release=release, namespace=namespace)
    return parse_manifests(files, include_tests=include_tests)
