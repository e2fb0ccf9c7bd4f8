"""Values -> Kubernetes objects (:mod:`l2kit.render.assemble`); writing them atomically."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from l2kit import resources
from l2kit.errors import InputError, RenderError
from l2kit.fsutil import fsync_dir, write_atomic
from l2kit.procs import pid_alive
from l2kit.render import assemble
from l2kit.yamlout import dump_yaml

Obj = dict[str, Any]

CHART_FILES = ("files/alerts.rules.yaml", "files/dashboard.json")
KIND_ORDER = (
    "Secret",
    "ConfigMap",
    "Service",
    "StatefulSet",
    "Deployment",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "ServiceMonitor",
    "PrometheusRule",
    "SnapshotSchedule",
)


@cache
def files_get(path: str) -> str:
    """A file of the chart (``.Files.Get path``), relative to ``charts/l2kit``."""
    full = resources.chart_dir() / path
    if not full.is_file():
        raise RenderError(f"chart file {path} not found")
    return full.read_text()


def render_objects(
    values: Obj, *, release: str = assemble.CHART_NAME, namespace: str = "default"
) -> list[Obj]:
    """The objects of chart ``values`` for a release, sorted (as ``helm template`` renders)."""
    files = {p: files_get(p) for p in CHART_FILES}
    return sorted(
        assemble.objects(values, files, release=release, namespace=namespace), key=sort_key
    )


def sort_key(obj: Obj) -> tuple[str, int, str, str]:
    meta = obj.get("metadata", {})
    kind = obj.get("kind", "")
    rank = KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)
    stack = meta.get("labels", {}).get("l2kit.io/stack", "")
    return (stack, rank, meta.get("namespace", ""), meta.get("name", ""))


def object_path(obj: Obj) -> str:
    meta = obj["metadata"]
    group = meta.get("labels", {}).get("l2kit.io/stack") or meta.get("namespace", "fleet")
    return f"{group}/{obj['kind'].lower()}-{meta['name']}.yaml"


def to_stream(objs: list[Obj]) -> str:
    return "".join("---\n" + dump_yaml(o) for o in objs)


MARKER = ".l2kit-render"


def _temp_prefix(out_dir: Path, kind: str) -> str:
    # the pid in the name tells a later run whether the writer is still alive
    return f".{out_dir.name}.l2kit-{kind}-{os.getpid()}-"


def _remove_stale_temps(out_dir: Path) -> None:
    """Remove the temporary folders of renders that were killed mid-way (their pid is gone)."""
    pattern = re.compile(rf"^\.{re.escape(out_dir.name)}\.l2kit-(?:tmp|old)-(\d+)-")
    for sibling in out_dir.parent.iterdir():
        match = pattern.match(sibling.name)
        if match and sibling.is_dir() and not pid_alive(int(match.group(1))):
            shutil.rmtree(sibling, ignore_errors=True)


def write_tree(objs: Iterable[Obj], out_dir: Path) -> int:
    """Write one file per object under ``out_dir`` atomically (temp dir, then rename); the
    number of files.

    ``objs`` may be a generator (``l2kit.render.stream``): each object is written as it comes
    and may be dropped; if the generator raises, the temp dir is removed and nothing changed.

    An existing ``out_dir`` is replaced as a whole, so a failed run never leaves a mix; it
    must be empty or an earlier l2kit output (holding the ``.l2kit-render`` marker), so that
    ``-o .`` or ``-o ~`` can never remove unrelated files.
    """
    out_dir = out_dir.resolve()
    if out_dir.exists() and (
        not out_dir.is_dir() or (any(out_dir.iterdir()) and not (out_dir / MARKER).is_file())
    ):
        raise InputError(
            f"{out_dir} exists and is not an l2kit render output; choose a new or empty directory",
            field="--output",
        )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(out_dir)
    tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(out_dir, "tmp"), dir=out_dir.parent))
    try:
        write_atomic(
            tmp / MARKER,
            "written by `l2kit render`; the whole folder is replaced on the next render\n",
        )
        written = 0
        for obj in objs:
            rel = object_path(obj)
            target = tmp / rel
            if target.exists():
                raise RenderError(f"two objects map to the same file {rel}")
            target.parent.mkdir(parents=True, exist_ok=True)
            # generated Secret values: readable by the owner only
            write_atomic(target, dump_yaml(obj), 0o600 if obj["kind"] == "Secret" else 0o644)
            written += 1
        for directory in [tmp, *(d for d in tmp.rglob("*") if d.is_dir())]:
            fsync_dir(directory)  # the entries of the subfolders, before the tree is swapped in
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=_temp_prefix(out_dir, "old"), dir=out_dir.parent))
            os.replace(out_dir, old / "tree")
            os.replace(tmp, out_dir)
            fsync_dir(out_dir.parent)
            shutil.rmtree(old)
        else:
            os.replace(tmp, out_dir)
            fsync_dir(out_dir.parent)
        return written
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
