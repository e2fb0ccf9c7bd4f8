"""``l2kit monitor fleet-from SPEC``: the fleet that watches the stacks a spec deploys.

Names, ports and DNS come from the provisioning planner (``l2kit.render``), so the fleet and
the manifests cannot drift: Service ``<stack>-<component>.<namespace>.svc``, StatefulSet pods
``<stack>-<component>-<i>.<stack>-<component>-headless.<namespace>.svc``. The bitcoind RPC
password is read from the stack's ``existingSecret`` mounted as files under ``secrets_dir``
(``<secrets_dir>/<secret>/<key>``); nothing secret is written into the fleet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from l2kit.btc.network import record
from l2kit.spec import FleetSpec, StackSpec

DEFAULT_SECRETS_DIR = "/var/run/secrets/l2kit"


def _pod(stack: StackSpec, component: str, i: int) -> str:
    from l2kit.render.common import name

    n = name(stack, component)
    return f"{n}-{i}.{n}-headless.{stack.namespace}.svc"


def _svc(stack: StackSpec, component: str) -> str:
    from l2kit.render.common import host

    return host(stack, component)


def stack_targets(stack: StackSpec, secrets_dir: str) -> list[dict[str, Any]]:
    from l2kit.render.components import babylond, bitcoind, covenant, finality, rollup, vigilante

    out: list[dict[str, Any]] = []
    prefix = stack.name
    btc_names: list[str] = []
    if stack.bitcoind is not None:
        b = stack.bitcoind
        port = bitcoind.rpc_port(stack, b)
        for i in range(b.replicas):
            target: dict[str, Any] = {
                "name": f"{prefix}-bitcoind-{i}",
                "kind": "bitcoind",
                "url": f"http://{_pod(stack, bitcoind.COMPONENT, i)}:{port}",
                "chain": record(stack.network).chain,
            }
            rpc = stack.secrets.rpc
            if rpc is not None:
                secret = Path(secrets_dir) / rpc.existing_secret / rpc.password_key
                target["auth"] = {"user": rpc.user, "password_file": str(secret)}
            out.append(target)
            btc_names.append(target["name"])
            if b.exporter.enabled:
                pod = _pod(stack, bitcoind.COMPONENT, i)
                out.append(
                    {
                        "name": f"{prefix}-bitcoind-exporter-{i}",
                        "kind": "metrics",
                        "role": "exporter",
                        "url": f"http://{pod}:{b.exporter.port}/metrics",
                    }
                )
    if stack.babylond is not None:
        bbn = {
            "name": f"{prefix}-babylond",
            "kind": "babylon",
            "rest_url": f"http://{_svc(stack, babylond.COMPONENT)}:{babylond.API}",
            "cometbft_url": f"http://{_svc(stack, babylond.COMPONENT)}:{babylond.RPC}",
        }
        if btc_names:
            bbn["bitcoind"] = btc_names[0]
        out.append(bbn)
    if stack.finality_provider is not None:
        for comp, role, port in (
            ("fpd", "fpd", finality.FPD_METRICS),
            ("eotsd", "eotsd", finality.EOTS_METRICS),
        ):
            out.append(
                {
                    "name": f"{prefix}-{comp}",
                    "kind": "metrics",
                    "role": role,
                    "url": f"http://{_svc(stack, comp)}:{port}/metrics",
                }
            )
    if stack.vigilante is not None:
        for role in stack.vigilante.roles:
            comp = f"vigilante-{role}"
            out.append(
                {
                    "name": f"{prefix}-{comp}",
                    "kind": "metrics",
                    "role": role,
                    "url": f"http://{_svc(stack, comp)}:{vigilante.METRICS}/metrics",
                }
            )
    if stack.covenant is not None:
        out.append(
            {
                "name": f"{prefix}-covd",
                "kind": "metrics",
                "role": "covd",
                "url": f"http://{_svc(stack, 'covd')}:{covenant.METRICS}/metrics",
            }
        )
    if stack.rollup is not None:
        out.append(
            {
                "name": f"{prefix}-finality-gadget",
                "kind": "gadget",
                "url": f"http://{_svc(stack, 'finality-gadget')}:{rollup.GADGET_HTTP}",
                "l2_rpc_url": f"http://{_svc(stack, 'op-geth')}:{rollup.GETH_HTTP}",
            }
        )
    return out


def notes(spec: FleetSpec) -> list[str]:
    """What the derived fleet cannot cover by itself (printed as comments)."""
    out = []
    for stack in spec.stacks:
        if stack.babylon_chain is not None:
            out.append(
                f"stack {stack.name}: Babylon chain {stack.babylon_chain.chain_id} is external and "
                "the spec names no REST URL: add a babylon target (rest_url, cometbft_url) by hand"
            )
    return out


def fleet_document(spec: FleetSpec, secrets_dir: str = DEFAULT_SECRETS_DIR) -> dict[str, Any]:
    """A fleet document (validate with ``fleet.parse``) for every stack of the spec."""
    targets = [t for stack in spec.stacks for t in stack_targets(stack, secrets_dir)]
    doc: dict[str, Any] = {"targets": targets}
    namespaces = {s.namespace for s in spec.stacks}
    if len(namespaces) == 1:
        selector = (
            f"l2kit.io/stack={spec.stacks[0].name}"
            if len(spec.stacks) == 1
            else "app.kubernetes.io/part-of=l2kit"
        )
        doc["kubernetes"] = {"namespace": namespaces.pop(), "label_selector": selector}
    return doc
