"""``l2kit render | validate | values | secrets``: stack spec -> Kubernetes manifests
(``init`` is in ``spec_init``).

Exit codes: 2 for an invalid spec (one ``error: path: rule`` line per problem, nothing
written), 1 for anything else that fails.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import click

from l2kit.cli.options import json_option
from l2kit.cli.output import emit
from l2kit.errors import RenderError

if TYPE_CHECKING:
    from l2kit.spec import FleetSpec

# The pipeline (jinja2, pydantic) is imported by the commands that render.


def _load(spec: str) -> FleetSpec:
    from l2kit.spec import load_spec

    return load_spec(spec)


def _warn_experimental(fleet: FleetSpec) -> None:
    """One ``warning:`` line on stderr per experimental part of a valid spec (not an error)."""
    from l2kit.spec.rules import experimental_notices

    for line in experimental_notices(fleet):
        click.echo(f"warning: {line}", err=True)


@click.command("render")
@click.argument("spec")
@click.option("-o", "--output", required=True, help="Output directory, or - for stdout.")
@click.option(
    "--generate-secrets",
    is_flag=True,
    help="Also emit Secrets with fresh random RPC/wallet/HMAC/JWT values.",
)
@click.option("--summary/--no-summary", default=True, help="Print objects per component.")
def render_cmd(spec: str, output: str, generate_secrets: bool, summary: bool) -> None:
    """Render SPEC into one YAML file per object (DIR/<stack>/<kind>-<name>.yaml)."""
    from pathlib import Path

    from l2kit.contracts.check import Report
    from l2kit.render import build as pipeline
    from l2kit.render import manifests, stream

    fleet = _load(spec)
    _warn_experimental(fleet)
    report = Report()
    counts: Counter[tuple[str, str]] = Counter()
    objs = _counted(
        stream.checked_objects(fleet, report, generate_secrets=generate_secrets),
        counts,
        len(fleet.stacks),
    )
    if output == "-":
        _echo_when_complete(objs)
        return
    written = manifests.write_tree(objs, Path(output))
    if summary:
        _print_summary(counts)
        click.echo(f"wrote {written} files to {output}")
        for line in pipeline.contract_lines(report):
            click.echo(line)


_PROGRESS_EVERY = 1000  # stacks; a 10,000-stack render takes minutes


def _counted(
    objs: Iterator[dict[str, Any]], counts: Counter[tuple[str, str]], stacks: int
) -> Iterator[dict[str, Any]]:
    """Pass the objects on, counting them per stack/component for the summary; on stderr, a
    progress line every 1,000 stacks of a large fleet."""
    done, last = 0, None
    for o in objs:
        meta = o["metadata"]
        lab = meta.get("labels", {})
        stack = lab.get("l2kit.io/stack")
        if stack is not None and stack != last:  # a stack's objects come together
            done, last = done + 1, stack
            if done % _PROGRESS_EVERY == 0:
                click.echo(f"{done:,}/{stacks:,} stacks", err=True)
        component = lab.get("app.kubernetes.io/component", "-")
        counts[(stack or meta.get("namespace", ""), component)] += 1
        yield o


def _echo_when_complete(objs: Iterator[dict[str, Any]]) -> None:
    """The YAML stream on stdout only once every object rendered and passed its checks: it
    is spooled to an unlinked temporary file meanwhile (bounded memory, no partial output)."""
    import shutil
    import sys
    import tempfile

    from l2kit.yamlout import dump_yaml

    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        for o in objs:
            spool.write("---\n" + dump_yaml(o))
        spool.seek(0)
        sys.stdout.flush()
        shutil.copyfileobj(spool, sys.stdout)
        sys.stdout.flush()


def _print_summary(counts: Counter[tuple[str, str]]) -> None:
    width = max((len(f"{s}/{c}") for s, c in counts), default=10)
    click.echo(f"{'stack/component':<{width}}  objects")
    for (stack, comp), n in sorted(counts.items()):
        click.echo(f"{stack + '/' + comp:<{width}}  {n}")


@click.command("validate")
@click.argument("spec")
@json_option
def validate_cmd(spec: str, as_json: bool) -> None:
    """Run every check (spec rules, rendering, invariants, Kubernetes schemas); write nothing.

    SPEC is a file or - for stdin. Problems: one `error:` line each on stderr, exit 2."""
    from l2kit.contracts.check import Report
    from l2kit.render import build as pipeline
    from l2kit.render import stream

    fleet = _load(spec)
    _warn_experimental(fleet)
    report = Report()
    counts: Counter[tuple[str, str]] = Counter()
    # streamed as `render` (bounded memory); invariant/contract problems raise first, as build()
    problems = pipeline.schema_problems(
        _counted(stream.checked_objects(fleet, report), counts, len(fleet.stacks))
    )
    if problems:
        # one self-contained line per problem: "schema: Kind/name: path: rule"
        raise RenderError("\n".join(f"schema: {problem}" for problem in problems))
    data = {
        "ok": True,
        "stacks": len(fleet.stacks),
        "objects": sum(counts.values()),
        "kubernetes_schema": pipeline.kubernetes_version(),
        "contracts": dict(sorted(report.checked.items())),
        "contracts_pending": sorted({k.split("/", 1)[0] for k in report.uncovered}),
    }

    def human(d: dict[str, Any]) -> None:
        click.echo(
            f"ok: {d['stacks']} stack(s), {d['objects']} objects; Kubernetes schema "
            f"{d['kubernetes_schema']}"
        )
        for line in pipeline.contract_lines(report):
            click.echo(line)

    emit(data, as_json, human)


@click.command("values")
@click.argument("spec")
@click.option("--generate-secrets", is_flag=True, help="Include generated Secrets.")
@click.option(
    "--pin-namespace",
    is_flag=True,
    help="Keep the spec's namespaces (default: the Helm release's namespace).",
)
def values_cmd(spec: str, generate_secrets: bool, pin_namespace: bool) -> None:
    """Print the computed Helm values for charts/l2kit (add your knobs in a second -f file).

    `helm template NAME charts/l2kit -f VALUES -n NAMESPACE` renders the objects of
    `l2kit render SPEC` when NAME is the stack's name (or l2kit) and NAMESPACE the spec's.
    """
    from l2kit.render import build as pipeline
    from l2kit.render import plan
    from l2kit.yamlout import dump_yaml

    result = pipeline.build(_load(spec), generate_secrets=generate_secrets)
    values = plan.resolve(
        result.fleet, generate_secrets=generate_secrets, pin_namespace=pin_namespace
    )
    click.echo(dump_yaml(values.dump()), nl=False)


@click.command("secrets")
@click.argument("spec")
@json_option
def secrets_cmd(spec: str, as_json: bool) -> None:
    """List the existing Secrets/ConfigMaps SPEC refers to, the keys each must hold, and how
    to make the keyrings.

    --json: a list of {namespace, kind, name, keys, slot}; a keyring's keys are
    ["keyring-test/*"]."""
    from l2kit.render.checks import declared_refs
    from l2kit.spec import SECRET_KEYS, to_camel

    fleet = _load(spec)
    refs = declared_refs(fleet)
    rows: list[dict[str, Any]] = []
    for s in fleet.stacks:
        for key in SECRET_KEYS:
            ref = getattr(s.secrets, "".join("_" + c.lower() if c.isupper() else c for c in key))
            if ref is not None:
                rows.append(
                    {
                        "namespace": s.namespace,
                        "kind": "Secret",
                        "name": ref.existing_secret,
                        "keys": list(SECRET_KEYS[key]),
                        "slot": key,
                    }
                )
        for comp in ("covenant", "finality_provider", "vigilante"):
            c = getattr(s, comp)
            for attr in ("keyring", "signer_keyring"):
                ref = getattr(c, attr, None) if c is not None else None
                if ref is not None:
                    rows.append(
                        {
                            "namespace": s.namespace,
                            "kind": "Secret",
                            "name": ref.existing_secret,
                            "keys": ["keyring-test/*"],
                            "slot": f"{to_camel(comp)}.{to_camel(attr)}",
                        }
                    )
    for ns, cm in sorted(refs["ConfigMap"]):
        rows.append({"namespace": ns, "kind": "ConfigMap", "name": cm, "keys": [], "slot": None})
    emit(rows, as_json, _print_secrets)


def _print_secrets(rows: list[dict[str, Any]]) -> None:
    keyrings = False
    for r in rows:
        if r["kind"] == "ConfigMap":
            click.echo(f"{r['namespace']}  ConfigMap {r['name']}")
            continue
        keyring = r["keys"] == ["keyring-test/*"]
        keyrings = keyrings or keyring
        keys = "the files of keyring-test/" if keyring else ", ".join(r["keys"])
        click.echo(f"{r['namespace']}  Secret {r['name']}  keys: {keys}  ({r['slot']})")
    if keyrings:
        click.echo(_KEYRING_HOWTO, nl=False)
    if any(r["slot"] == "eotsKey" for r in rows):
        click.echo(_EOTS_KEY_HOWTO, nl=False)


_EOTS_KEY_HOWTO = """
EOTS key (eotsKey): the BIP39 mnemonic of the finality provider's EOTS key and a passphrase
(8+ characters, no spaces) for eotsd's file keyring, from files (not the shell history):
  kubectl -n NS create secret generic SECRET --from-file=mnemonic=MNEMONIC_FILE \\
    --from-file=passphrase=PASSPHRASE_FILE
eotsd imports it once and unlocks it after every start; keep the mnemonic backed up offline.
"""

_KEYRING_HOWTO = """
Keyrings (keyring-backend test), e.g. with the babylond image:
  babylond keys add NAME --keyring-backend test --home DIR     # prints the bbn1... address
  kubectl -n NS create secret generic SECRET --from-file=DIR/keyring-test/
Fund the addresses: on a devnet list them in babylond.genesisAccounts (funded in genesis);
on a public chain send ubbn to them. The covenant signer's x-only public key must be in
babylond.covenantPks (devnet) or the chain's covenant committee.
"""


COMMANDS: list[click.Command] = [render_cmd, validate_cmd, values_cmd, secrets_cmd]
