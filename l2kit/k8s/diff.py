"""What ``apply`` would change: live object vs the server-side dry-run of applying the rendered one.

``normalise`` drops what the server owns (managedFields, status, resourceVersion, uid, generation,
creationTimestamp) so only real changes show. Secret values are masked like ``kubectl diff`` does:
``***`` when equal, ``*** (before)`` / ``*** (after)`` when they differ.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from l2kit.errors import ClusterError
from l2kit.k8s.apply import apply_order, live_stack_objects, namespaces_of, prune_selection
from l2kit.k8s.client import ClusterApi, Obj, Ref
from l2kit.yamlout import dump_yaml

State = Literal["new", "changed", "unchanged", "pruned"]


def _dump(obj: Obj) -> list[str]:
    return dump_yaml(obj, sort_keys=True).splitlines(True)


_SERVER_META = (
    "managedFields",
    "resourceVersion",
    "uid",
    "generation",
    "creationTimestamp",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)


@dataclass(frozen=True)
class DiffEntry:
    """The planned change of one object and its unified diff ("" when unchanged)."""

    ref: Ref
    state: State
    diff: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "kind": self.ref.kind,
            "namespace": self.ref.namespace,
            "name": self.ref.name,
            "state": self.state,
            "diff": self.diff,
        }


def normalise(obj: Obj) -> Obj:
    """A deep copy without server-owned fields and without empty metadata maps."""
    out = copy.deepcopy(obj)
    out.pop("status", None)
    meta = out.get("metadata")
    if isinstance(meta, dict):
        for key in _SERVER_META:
            meta.pop(key, None)
        for key in ("labels", "annotations"):
            if key in meta and not meta[key]:
                del meta[key]
    return out


def mask_secrets(live: Obj | None, would: Obj) -> tuple[Obj | None, Obj]:
    """Secret ``data``/``stringData`` values replaced by markers that only say equal or not."""
    if would.get("kind") != "Secret":
        return live, would
    live_out = copy.deepcopy(live) if live is not None else None
    would_out = copy.deepcopy(would)
    for field in ("data", "stringData"):
        before: dict[str, Any] = (live or {}).get(field) or {}
        after: dict[str, Any] = would.get(field) or {}
        if live_out is not None and before:
            live_out[field] = {
                k: "***" if after.get(k) == v else "*** (before)" for k, v in before.items()
            }
        if after:
            would_out[field] = {
                k: "***" if before.get(k) == v else "*** (after)" for k, v in after.items()
            }
    return live_out, would_out


def unified(ref: Ref, live: Obj | None, would: Obj) -> str:
    """Unified diff of two objects' YAML (keys sorted); empty when they are equal."""
    live_m, would_m = mask_secrets(live, would)
    before = _dump(normalise(live_m)) if live_m is not None else []
    after = _dump(normalise(would_m))
    return "".join(difflib.unified_diff(before, after, f"live/{ref}", f"rendered/{ref}"))


def classify(ref: Ref, live: Obj | None, would: Obj) -> DiffEntry:
    """new / changed / unchanged with the diff text."""
    text = unified(ref, live, would)
    if live is None:
        return DiffEntry(ref, "new", text)
    return DiffEntry(ref, "changed" if text else "unchanged", text)


def diff_stack(
    cluster: ClusterApi, stack: str, objects: Iterable[Obj], *, force: bool = False
) -> list[DiffEntry]:
    """One entry per rendered object (in apply order), then one per object prune would delete."""
    rendered = apply_order(objects)
    entries: list[DiffEntry] = []
    for obj in rendered:
        ref = Ref.of(obj)
        if not cluster.served(ref.api_version, ref.kind):
            entries.append(classify(ref, None, obj))
            continue
        live = cluster.get(ref)
        try:
            would = cluster.apply(obj, force=force, dry_run=True)
        except ClusterError as exc:
            # a new object in a namespace that does not exist yet: the dry run cannot place it
            if live is not None or exc.status != 404:
                raise
            would = obj
        entries.append(classify(ref, live, would))
    live_objects = live_stack_objects(cluster, stack, namespaces_of(rendered))
    for ref in prune_selection(live_objects, rendered, stack):
        entries.append(DiffEntry(ref, "pruned"))
    return entries
