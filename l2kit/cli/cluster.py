"""``l2kit diff|apply|status SPEC``: the rendered stacks against a live cluster.

Every command renders the spec exactly like ``l2kit render`` and then talks to the cluster
through ``l2kit.k8s`` (server-side apply as field manager ``l2kit``). ``--stack`` narrows a fleet
to one stack. Credentials: ``--kubeconfig``/``$KUBECONFIG``, in-cluster, ``~/.kube/config``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from l2kit.cli.options import json_option
from l2kit.cli.output import emit
from l2kit.errors import ClusterError, InputError
from l2kit.k8s.apply import (
    STACK_LABEL,
    Outcome,
    apply_stack,
    namespaces_of,
    prune_stack,
    with_namespace,
)
from l2kit.k8s.client import ClusterApi, Obj, connect
from l2kit.k8s.diff import DiffEntry, diff_stack
from l2kit.k8s.status import StackStatus, stack_status, wait_ready

FLEET = ""
"""Group key of fleet-wide objects (monitoring) that carry no stack label."""


@dataclass
class Rendered:
    """The spec's objects grouped by stack; namespaces to create first."""

    stacks: dict[str, list[Obj]] = field(default_factory=dict)
    namespaces: dict[str, str] = field(default_factory=dict)  # stack -> namespace


def render_spec(spec: Path, stack: str | None = None) -> Rendered:
    """Parse, render and check ``spec`` exactly like ``l2kit render``; objects grouped by stack."""
    from l2kit.render import build
    from l2kit.spec import load_spec

    result = build.build(load_spec(spec))
    names = [s.name for s in result.fleet.stacks]
    if stack is not None and stack not in names:
        raise InputError(f"no stack named {stack!r} (have: {', '.join(names)})", field="--stack")
    out = Rendered(
        namespaces={
            s.name: s.namespace for s in result.fleet.stacks if stack is None or s.name == stack
        }
    )
    for obj in result.objects:
        owner = ((obj.get("metadata") or {}).get("labels") or {}).get(STACK_LABEL, FLEET)
        if stack is None or owner == stack:
            out.stacks.setdefault(owner, []).append(obj)
    for name in out.namespaces:
        out.stacks.setdefault(name, [])
    return out


def namespace_object(name: str) -> Obj:
    """A Namespace for a stack (like ``helm install --create-namespace``); never pruned."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {
                "app.kubernetes.io/part-of": "l2kit",
                "app.kubernetes.io/managed-by": "l2kit",
            },
        },
    }


def _with_namespaces(rendered: Rendered, stack: str, objects: list[Obj]) -> list[Obj]:
    namespace = rendered.namespaces.get(stack)
    if namespace is None:  # fleet-wide objects carry their own namespaces
        return objects
    placed = with_namespace(objects, namespace)
    have = {o["metadata"]["name"] for o in placed if o.get("kind") == "Namespace"}
    wanted = sorted(set(namespaces_of(placed)) | {namespace})
    return [*(namespace_object(n) for n in wanted if n not in have), *placed]


_cluster_options = [
    click.argument("spec", type=click.Path(dir_okay=False, path_type=Path)),
    click.option("--stack", help="Only this stack of the fleet."),
    click.option(
        "--kubeconfig",
        type=click.Path(dir_okay=False),
        help="kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config).",
    ),
    click.option("--context", "kube_context", help="kubeconfig context."),
]


def cluster_options(func: Any) -> Any:
    for option in reversed(_cluster_options):
        func = option(func)
    return func


@contextmanager
def _cluster(kubeconfig: str | None, kube_context: str | None) -> Iterator[ClusterApi]:
    client = connect(kubeconfig, kube_context)
    try:
        yield client
    finally:
        client.close()


def _stack_items(rendered: Rendered) -> list[tuple[str, list[Obj]]]:
    # fleet-wide objects (monitoring) last: they reference the stacks' Services
    return sorted(rendered.stacks.items(), key=lambda kv: (kv[0] == FLEET, kv[0]))


def _print_diff(entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        where = f"{entry['namespace']}/" if entry["namespace"] else ""
        click.echo(f"{entry['state']:<9} {entry['kind']}/{where}{entry['name']}")
        if entry["diff"]:
            click.echo(entry["diff"].rstrip("\n"))
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry["state"]] = counts.get(entry["state"], 0) + 1
    click.echo(", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "nothing")


@click.command("diff")
@cluster_options
@click.option("--force-conflicts", is_flag=True, help="Dry-run with force (take over fields).")
@json_option
def diff_cmd(
    spec: Path,
    stack: str | None,
    kubeconfig: str | None,
    kube_context: str | None,
    force_conflicts: bool,
    as_json: bool,
) -> None:
    """Show what `apply` would change: new, changed, unchanged and pruned objects."""
    rendered = render_spec(spec, stack)
    entries: list[DiffEntry] = []
    with _cluster(kubeconfig, kube_context) as cluster:
        for name, objects in _stack_items(rendered):
            placed = _with_namespaces(rendered, name, objects)
            entries.extend(diff_stack(cluster, name or "-", placed, force=force_conflicts))
    emit([e.as_dict() for e in entries], as_json, _print_diff)


def _print_outcome(outcome: Outcome) -> None:
    note = f" ({outcome.note})" if outcome.note else ""
    click.echo(f"{outcome.action:<10} {outcome.ref}{note}", err=True)


def _print_status(status: StackStatus) -> None:
    click.echo(f"stack {status.stack}: {'ready' if status.ready else 'not ready'}")
    for w in status.workloads:
        line = f"  {w.kind}/{w.name}: {w.state}"
        if w.kind != "Job":
            line += f" {w.ready_replicas}/{w.replicas}"
        click.echo(line + (f" ({w.message})" if w.message else ""))
    for p in status.pods:
        if not p.ready or p.restarts or p.reasons:
            reasons = f" [{'; '.join(p.reasons)}]" if p.reasons else ""
            click.echo(
                f"  pod {p.name}: {p.phase}, ready={str(p.ready).lower()}, "
                f"restarts={p.restarts}{reasons}"
            )


def _progress(status: StackStatus) -> None:
    done = sum(w.state == "ready" for w in status.workloads)
    click.echo(f"waiting: stack {status.stack}: {done}/{len(status.workloads)} ready", err=True)


@click.command("apply")
@cluster_options
@click.option("--prune", is_flag=True, help="Delete the stack's objects no longer rendered.")
@click.option("--dry-run", is_flag=True, help="Server-side dry run: nothing is changed.")
@click.option("--force-conflicts", is_flag=True, help="Take over fields other managers own.")
@click.option("--wait", is_flag=True, help="Wait until every workload is ready.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=600.0,
    show_default=True,
    help="Seconds --wait waits.",
)
@json_option
def apply_cmd(
    spec: Path,
    stack: str | None,
    kubeconfig: str | None,
    kube_context: str | None,
    prune: bool,
    dry_run: bool,
    force_conflicts: bool,
    wait: bool,
    timeout: float,
    as_json: bool,
) -> None:
    """Server-side apply the rendered stacks (field manager l2kit), in dependency order."""
    rendered = render_spec(spec, stack)
    outcomes: list[Outcome] = []
    statuses: list[StackStatus] = []
    progress = None if as_json else _print_outcome
    with _cluster(kubeconfig, kube_context) as cluster:
        for name, objects in _stack_items(rendered):
            placed = _with_namespaces(rendered, name, objects)
            outcomes += apply_stack(
                cluster, placed, force=force_conflicts, dry_run=dry_run, progress=progress
            )
            if prune and name != FLEET:
                outcomes += prune_stack(cluster, name, placed, dry_run=dry_run, progress=progress)
        if wait and not dry_run:
            for name, objects in _stack_items(rendered):
                if name != FLEET:
                    statuses.append(
                        wait_ready(
                            cluster,
                            name,
                            objects,
                            timeout=timeout,
                            progress=None if as_json else _progress,
                        )
                    )
    result = {
        "dryRun": dry_run,
        "objects": [o.as_dict() for o in outcomes],
        "stacks": [s.as_dict() for s in statuses],
    }

    def human(_: Any) -> None:
        counts: dict[str, int] = {}
        for o in outcomes:
            counts[o.action] = counts.get(o.action, 0) + 1
        summary = ", ".join(f"{n} {a}" for a, n in sorted(counts.items())) or "nothing"
        click.echo(f"{summary}{' (dry run)' if dry_run else ''}")
        for s in statuses:
            _print_status(s)

    emit(result, as_json, human)


@click.command("status")
@cluster_options
@click.option("--wait", is_flag=True, help="Wait until every workload is ready.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=600.0,
    show_default=True,
    help="Seconds --wait waits.",
)
@json_option
def status_cmd(
    spec: Path,
    stack: str | None,
    kubeconfig: str | None,
    kube_context: str | None,
    wait: bool,
    timeout: float,
    as_json: bool,
) -> None:
    """Rollout and readiness of the stacks; exit 1 when one is not ready."""
    rendered = render_spec(spec, stack)
    statuses: list[StackStatus] = []
    with _cluster(kubeconfig, kube_context) as cluster:
        for name, objects in _stack_items(rendered):
            if name == FLEET:
                continue
            placed = with_namespace(objects, rendered.namespaces[name])
            if wait:
                statuses.append(
                    wait_ready(
                        cluster,
                        name,
                        placed,
                        timeout=timeout,
                        progress=None if as_json else _progress,
                    )
                )
            else:
                statuses.append(stack_status(cluster, name, placed))

    def human(_: Any) -> None:
        for s in statuses:
            _print_status(s)

    emit(
        {"ready": all(s.ready for s in statuses), "stacks": [s.as_dict() for s in statuses]},
        as_json,
        human,
    )
    if not all(s.ready for s in statuses):
        raise ClusterError(
            "not ready: " + ", ".join(s.stack for s in statuses if not s.ready), reason="NotReady"
        )


COMMANDS: list[click.Command] = [diff_cmd, apply_cmd, status_cmd]
