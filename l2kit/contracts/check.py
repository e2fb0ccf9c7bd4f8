"""Check rendered objects against the config contracts: does every daemon accept what we give it?

For each container of each StatefulSet/Deployment, the contract is the one whose
``image.repository`` equals the container's image repository (registry and digest stripped)
and whose ``workloads`` include the pod's ``app.kubernetes.io/component`` label. Checked:

- image: the pinned tag equals the contract's tag; runAsUser equals the image's uid;
- argv: ``command + args`` (or the image entrypoint + args) against ``commands``; for our own
  ``/bin/sh /scripts/X.sh`` containers, every call of a contract command inside the script and
  the arguments the script passes through (:data:`SCRIPT_ARGS`);
- env: every name is read by the process (contract ``env``), by our own script (it appears as
  ``$NAME`` in the script the container runs) or is in :data:`GENERIC_ENV`;
- config files: ConfigMap files mounted into the container and files our ``render-config.sh``
  init containers write (secret placeholders filled with a marker), in the contract's format;
- ports: container ports, Services' targetPorts, ServiceMonitor endpoints, http/tcp probes and
  ``http://127.0.0.1:PORT/path`` calls in our probe scripts against ``listens`` (port from the
  config key, flag or env var when the contract names one).

Every problem reads ``component: where: key: rule (provenance)``.
"""

from __future__ import annotations

import contextlib
import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from l2kit.contracts import Command, ConfigFile, Contract, Listen, load_all
from l2kit.contracts import keys as key_rules
from l2kit.contracts.argv import parse_call, script_calls

Obj = dict[str, Any]
SHELLS = ("/bin/sh", "sh", "/bin/bash", "bash")
SCRIPT_DIR = "/scripts/"
RENDER_CONFIG = "render-config.sh"
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
# Env names every container may set although no contract lists them, and why.
GENERIC_ENV = {
    "HOME": "read by libc / the Go runtime (os.UserHomeDir) for default home and cache dirs",
}
# Scripts that pass their arguments after the first ``skip`` to one contract command:
# script -> (command, subcommand path, skip).
SCRIPT_ARGS: dict[str, tuple[str, str, int]] = {
    "babylond-init.sh": ("babylond", "testnet", 1),
}


@dataclass(frozen=True)
class Problem:
    component: str
    where: str
    key: str
    rule: str
    provenance: str

    def __str__(self) -> str:
        return f"{self.component}: {self.where}: {self.key}: {self.rule} ({self.provenance})"


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    checked: dict[str, str] = field(default_factory=dict)  # component -> repo@tag
    uncovered: dict[str, str] = field(default_factory=dict)  # workload/container -> image


def split_image(ref: str) -> tuple[str | None, str, str | None, str | None]:
    """(registry, repository, tag, digest) of an image reference."""
    rest, _, digest = ref.partition("@")
    registry = None
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, rest = first, remainder
    repo, colon, tag = rest.rpartition(":")
    if not colon or "/" in tag:
        repo, tag = rest, ""
    return registry, repo, tag or None, digest or None


@dataclass
class _Pod:
    component: str
    spec: Obj
    labels: dict[str, str]
    namespace: str


def check(
    objs: list[Obj],
    contracts: Iterable[Contract] | None = None,
    *,
    operator_env: frozenset[str] = frozenset(),
) -> Report:
    """``operator_env``: env names the operator set on purpose (the spec's ``extraEnv``, e.g.
    a proxy for a sidecar); a daemon ignores names it does not read, so these are not ours to
    refuse. Everything l2kit itself sets is still checked."""
    cs = tuple(load_all() if contracts is None else contracts)
    cms = {
        (o["metadata"].get("namespace"), o["metadata"]["name"]): o.get("data") or {}
        for o in objs
        if o.get("kind") == "ConfigMap"
    }
    # Services by namespace, ServiceMonitors by the namespaces they select: a fleet of many
    # stacks stays linear.
    services: dict[str, list[Obj]] = {}
    monitors: dict[str, list[Obj]] = {}
    for o in objs:
        if o.get("kind") == "Service":
            services.setdefault(o["metadata"].get("namespace", ""), []).append(o)
        elif o.get("kind") == "ServiceMonitor":
            sel = (o.get("spec", {}).get("namespaceSelector") or {}).get("matchNames")
            for ns in sel or [o["metadata"].get("namespace", "")]:
                monitors.setdefault(ns, []).append(o)
    report = Report()
    for pod in _pods(objs):
        _check_pod(
            pod,
            (services.get(pod.namespace, []), monitors.get(pod.namespace, [])),
            cms,
            cs,
            report,
            operator_env,
        )
    return report


def _pods(objs: list[Obj]) -> Iterator[_Pod]:
    for o in objs:
        if o.get("kind") in ("StatefulSet", "Deployment"):
            tmpl = o["spec"]["template"]
            labels = tmpl["metadata"].get("labels", {})
            yield _Pod(
                labels.get("app.kubernetes.io/component", o["metadata"]["name"]),
                tmpl["spec"],
                labels,
                o["metadata"].get("namespace", ""),
            )


def contract_for(cs: tuple[Contract, ...], image: str, workload: str) -> Contract | None:
    repo = split_image(image)[1]
    for c in cs:
        # A registry with a path (a mirror, "host/mirror") prefixes the repository.
        same = repo == c.image.repository or repo.endswith("/" + c.image.repository)
        if same and workload in c.for_workloads:
            return c
    return None


class _Ctx:
    """One container under check: where files and ports come from, and where problems go."""

    def __init__(
        self, pod: _Pod, c: Obj, contract: Contract, cms: dict[Any, Obj], report: Report
    ) -> None:
        self.pod, self.c, self.contract, self.cms, self.report = pod, c, contract, cms, report
        self.served: list[tuple[int, Listen]] = []
        self.operator_env: frozenset[str] = frozenset()
        # Where a contract's lists as a whole come from (for "not in the list" problems).
        self.ref = f"contract {contract.component}.yaml from {contract.origin}"

    def add(self, where: str, key: str, rule: str, provenance: str) -> None:
        self.report.problems.append(Problem(self.contract.component, where, key, rule, provenance))

    def file_at(self, path: str, container: Obj | None = None) -> str | None:
        """Text of a file from a ConfigMap volume mounted into the container."""
        vols = {v["name"]: v for v in self.pod.spec.get("volumes", [])}
        for m in (container or self.c).get("volumeMounts", []):
            mount = m["mountPath"].rstrip("/") + "/"
            vol = vols.get(m["name"], {})
            if not path.startswith(mount) or "configMap" not in vol:
                continue
            data = self.cms.get((self.pod.namespace, vol["configMap"]["name"]), {})
            rel = path[len(mount) :]
            items = {i["path"]: i["key"] for i in vol["configMap"].get("items", [])}
            text = data.get(items.get(rel, rel))
            return text if isinstance(text, str) else None
        return None


def _check_pod(
    pod: _Pod,
    near: tuple[list[Obj], list[Obj]],
    cms: dict[Any, Obj],
    cs: tuple[Contract, ...],
    report: Report,
    operator_env: frozenset[str],
) -> None:
    containers = pod.spec.get("initContainers", []) + pod.spec["containers"]
    rendered = _rendered_files(pod, cms)
    by_name: dict[str, _Ctx] = {}
    for c in containers:
        contract = contract_for(cs, c["image"], pod.component)
        if contract is None:
            report.uncovered[f"{pod.component}/{c['name']}"] = c["image"]
            continue
        report.checked[contract.component] = contract.origin
        ctx = _Ctx(pod, c, contract, cms, report)
        ctx.operator_env = operator_env
        by_name[c["name"]] = ctx
        _check_image(ctx)
        flags = _check_argv(ctx)
        _check_env(ctx)
        ctx.served = _served(ctx, _check_files(ctx, rendered), flags)
        _check_container_ports(ctx)
        _check_probes(ctx)
        _check_script_urls(ctx)
    _check_services(pod, *near, by_name)


# --- image ------------------------------------------------------------------------------------


def _check_image(ctx: _Ctx) -> None:
    img = ctx.contract.image
    _, _, tag, _ = split_image(ctx.c["image"])
    if tag != img.tag:
        ctx.add(
            "image",
            ctx.c["image"],
            f"pinned tag {tag} but the contract is for {img.tag} "
            "(write the contract for the new tag)",
            img.provenance,
        )
    if img.user is not None:
        uid = (ctx.c.get("securityContext") or {}).get("runAsUser")
        if uid is None:
            uid = (ctx.pod.spec.get("securityContext") or {}).get("runAsUser")
        if uid is not None and uid != img.user.uid:
            ctx.add(
                "securityContext",
                f"{ctx.c['name']}.runAsUser",
                f"runs as {uid}, the image's user is {img.user.uid}",
                img.provenance,
            )


# --- argv -------------------------------------------------------------------------------------


def _argv(ctx: _Ctx) -> list[str]:
    args = [str(a) for a in ctx.c.get("args", [])]
    if ctx.c.get("command"):
        return [str(a) for a in ctx.c["command"]] + args
    if ctx.contract.entrypoint is None:
        ctx.add(
            "argv",
            ctx.c["name"],
            "no command and the contract states no image entrypoint",
            ctx.contract.image.provenance,
        )
        return []
    return [ctx.contract.entrypoint, *args]


def _check_argv(ctx: _Ctx) -> dict[str, str]:
    """Check argv; return the flag values given to the contract's command (for listens)."""
    argv = _argv(ctx)
    if not argv:
        return {}
    _check_scripts(ctx, argv)
    if argv[0] in SHELLS and len(argv) > 1 and argv[1].startswith(SCRIPT_DIR):
        return {}
    cmd = posixpath.basename(argv[0])
    spec = ctx.contract.commands.get(cmd)
    if spec is None:
        ctx.add(
            "argv",
            argv[0],
            f"not a command of the image (known: "
            f"{', '.join(sorted(ctx.contract.commands)) or 'none'})",
            ctx.contract.image.provenance,
        )
        return {}
    return _check_call(ctx, cmd, spec, argv[1:], "argv")


def _check_call(
    ctx: _Ctx, cmd: str, spec: Command, tokens: list[str], where: str, opaque: bool = False
) -> dict[str, str]:
    call = parse_call(cmd, spec, tokens, opaque)
    for what, rule, prov in call.problems:
        ctx.add(where, what, rule, prov)
    return call.values


def _scripts_run(ctx: _Ctx) -> list[str]:
    """Paths of our scripts the container runs: its command, exec probes, lifecycle hooks."""
    argvs = [[str(a) for a in ctx.c.get("command") or []]]
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        argvs.append((ctx.c.get(kind) or {}).get("exec", {}).get("command", []))
    for hook in (ctx.c.get("lifecycle") or {}).values():
        argvs.append(hook.get("exec", {}).get("command", []))
    return [a[1] for a in argvs if len(a) > 1 and a[0] in SHELLS and a[1].startswith(SCRIPT_DIR)]


def _check_scripts(ctx: _Ctx, argv: list[str]) -> None:
    """Calls of contract commands inside every script the container runs, and the arguments
    the command script passes through (:data:`SCRIPT_ARGS`)."""
    for path in _scripts_run(ctx):
        script = posixpath.basename(path)
        if script == RENDER_CONFIG:
            continue  # our own; its output files are checked as config files
        text = ctx.file_at(path)
        if text is None:
            ctx.add("argv", path, "script not found in a mounted ConfigMap", ctx.ref)
            continue
        for cmd, tokens in script_calls(text, set(ctx.contract.commands)):
            _check_call(
                ctx, cmd, ctx.contract.commands[cmd], tokens, f"script {script}", opaque=True
            )
    script = posixpath.basename(argv[1]) if len(argv) > 1 else ""
    if argv and argv[0] in SHELLS and script in SCRIPT_ARGS:
        cmd, sub, skip = SCRIPT_ARGS[script]
        spec = ctx.contract.commands.get(cmd)
        if spec is not None:
            _check_call(ctx, cmd, spec, [*sub.split(), *argv[2 + skip :]], f"argv ({script})")


# --- env --------------------------------------------------------------------------------------


def _check_env(ctx: _Ctx) -> None:
    known = {e.name for e in ctx.contract.env} | set(GENERIC_ENV) | ctx.operator_env
    for path in _scripts_run(ctx):
        text = ctx.file_at(path) or ""
        known |= set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", text))
    secret = {e.name: e.provenance for e in ctx.contract.env if e.secret}
    for e in ctx.c.get("env", []):
        if e["name"] not in known:
            ctx.add("env", e["name"], "not read by the component or our script", ctx.ref)
        elif e["name"] in secret and "secretKeyRef" not in (e.get("valueFrom") or {}):
            ctx.add(
                "env",
                e["name"],
                "a credential: must come from a Secret (secretKeyRef), not a literal",
                secret[e["name"]],
            )


# --- config files -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _File:
    path: str  # as the reading container sees it
    text: str
    volume: str | None  # emptyDir volume it was written to (None: a ConfigMap mount)


def _rendered_files(pod: _Pod, cms: dict[Any, Obj]) -> list[_File]:
    """Files our render-config init containers write: template with placeholders marked."""
    out = []
    vols = {v["name"]: v for v in pod.spec.get("volumes", [])}
    for c in pod.spec.get("initContainers", []):
        argv = [str(a) for a in c.get("command", [])] + [str(a) for a in c.get("args", [])]
        if len(argv) < 4 or posixpath.basename(argv[1]) != RENDER_CONFIG:
            continue
        template, target, subs = argv[2], argv[3], argv[4:]
        text = _cm_file(pod, cms, c, template)
        if text is None:
            continue
        for pair in subs:
            placeholder = pair.split("=", 1)[0]
            text = text.replace(f"@@{placeholder}@@", f"{key_rules.SECRET_MARK}{placeholder}")
        for m in c.get("volumeMounts", []):
            mount = m["mountPath"].rstrip("/") + "/"
            if target.startswith(mount) and "configMap" not in vols.get(m["name"], {}):
                out.append(_File(target[len(mount) :], text, m["name"]))
    return out


def _cm_file(pod: _Pod, cms: dict[Any, Obj], c: Obj, path: str) -> str | None:
    vols = {v["name"]: v for v in pod.spec.get("volumes", [])}
    for m in c.get("volumeMounts", []):
        mount = m["mountPath"].rstrip("/") + "/"
        vol = vols.get(m["name"], {})
        if path.startswith(mount) and "configMap" in vol:
            text = cms.get((pod.namespace, vol["configMap"]["name"]), {}).get(path[len(mount) :])
            return text if isinstance(text, str) else None
    return None


def _container_files(ctx: _Ctx, rendered: list[_File]) -> list[tuple[str, str]]:
    """(path, text) of every config file the container reads."""
    argv = [str(a) for a in ctx.c.get("command", [])]
    if len(argv) > 1 and posixpath.basename(argv[1]) == RENDER_CONFIG:
        return []  # it reads templates, not configs
    vols = {v["name"]: v for v in ctx.pod.spec.get("volumes", [])}
    out = []
    for m in ctx.c.get("volumeMounts", []):
        mount = m["mountPath"].rstrip("/")
        vol = vols.get(m["name"], {})
        if "configMap" in vol:
            data = ctx.cms.get((ctx.pod.namespace, vol["configMap"]["name"]), {})
            items = vol["configMap"].get("items")
            pairs = [(i["key"], i["path"]) for i in items] if items else [(k, k) for k in data]
            out += [
                (f"{mount}/{p}", data[k]) for k, p in pairs if k in data and not k.endswith(".sh")
            ]
        out += [(f"{mount}/{f.path}", f.text) for f in rendered if f.volume == m["name"]]
    return out


def _file_contract(ctx: _Ctx, path: str) -> ConfigFile | None:
    for cf in ctx.contract.config_files:
        if path == cf.path_suffix or path.endswith("/" + cf.path_suffix.lstrip("/")):
            return cf
    return None


def _check_files(ctx: _Ctx, rendered: list[_File]) -> dict[str, Any]:
    """Check the container's config files; return their merged flat keys (for listens)."""
    merged: dict[str, Any] = {}
    for path, text in _container_files(ctx, rendered):
        cf = _file_contract(ctx, path)
        if cf is None:
            ctx.add(
                path, "-", "a file the contract does not describe", ctx.contract.image.provenance
            )
            continue
        for key, rule, prov in key_rules.problems(cf, text):
            ctx.add(cf.path_suffix, key, rule, prov)
        with contextlib.suppress(ValueError):  # reported as a parse problem above
            merged.update(key_rules.parse_file(cf, text)[0])
    return merged


# --- ports ------------------------------------------------------------------------------------


def port_of(value: Any) -> int | None:
    """The port in 8080, ":8080", "0.0.0.0:8080", "tcp://h:8080", "http://h:8080/x"."""
    if isinstance(value, list):
        value = value[-1] if value else None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return None
    m = re.search(r":(\d{1,5})(/.*)?$", value) or re.fullmatch(r"(\d{1,5})", value)
    return int(m.group(1)) if m else None


def _served(ctx: _Ctx, conf: dict[str, Any], flags: dict[str, str]) -> list[tuple[int, Listen]]:
    out = []
    for listen in ctx.contract.listens:
        port: int | None = listen.port
        if listen.from_key and listen.from_key in conf:
            port = port_of(conf[listen.from_key])
        if listen.from_flag and listen.from_flag in flags:
            port = port_of(flags[listen.from_flag])
        env = {e["name"]: e.get("value") for e in ctx.c.get("env", [])}
        if listen.from_env and env.get(listen.from_env) is not None:
            port = port_of(env[listen.from_env])
        if port is not None:
            out.append((port, listen))
    return out


def _describe(served: list[tuple[int, Listen]]) -> str:
    return ", ".join(f"{p} {ls.name}" for p, ls in served) or "nothing"


def _container_port(c: Obj, ref: Any) -> int | None:
    for p in c.get("ports", []):
        if ref in (p.get("name"), p.get("containerPort")):
            return int(p["containerPort"])
    return None


def _check_container_ports(ctx: _Ctx) -> None:
    ports = {p for p, _ in ctx.served}
    for p in ctx.c.get("ports", []):
        if p["containerPort"] not in ports:
            ctx.add(
                "ports",
                f"{p.get('name')}={p['containerPort']}",
                f"not served (serves {_describe(ctx.served)})",
                ctx.ref,
            )


def _check_probes(ctx: _Ctx) -> None:
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        probe = ctx.c.get(kind) or {}
        action = probe.get("httpGet") or probe.get("tcpSocket")
        if action is None:
            continue
        port = _container_port(ctx.c, action["port"])
        if port is None:
            port = action["port"] if isinstance(action["port"], int) else None
        _check_target(ctx, kind, port, action.get("path") if "httpGet" in probe else None)


_LOCAL_URL = re.compile(r"https?://(?:127\.0\.0\.1|localhost):(\d+)(/[\w/.-]*)?")


def _check_script_urls(ctx: _Ctx) -> None:
    """Probe/lifecycle scripts calling the daemon over HTTP on loopback: port and path."""
    for path in _scripts_run(ctx):
        for port, url_path in _LOCAL_URL.findall(ctx.file_at(path) or ""):
            _check_target(ctx, f"script {posixpath.basename(path)}", int(port), url_path or None)


def _check_target(ctx: _Ctx, where: str, port: int | None, path: str | None) -> None:
    hits = [ls for p, ls in ctx.served if p == port]
    if not hits:
        ctx.add(where, f"port {port}", f"not served (serves {_describe(ctx.served)})", ctx.ref)
        return
    if path is None:
        return
    ok = [ls for ls in hits if ls.protocol == "http" and (not ls.paths or path in ls.paths)]
    if not ok:
        ls = hits[0]
        ctx.add(
            where,
            f"{path} on port {port}",
            f"not an HTTP path served there ({ls.protocol} {', '.join(ls.paths) or '-'})",
            ls.provenance,
        )


def _check_services(
    pod: _Pod, services: list[Obj], monitors: list[Obj], by_name: dict[str, _Ctx]
) -> None:
    """Services (of the pod's namespace) selecting the pod, ServiceMonitors selecting those."""
    for svc in services:
        sel = dict(svc["spec"].get("selector") or {})
        sel.pop(POD_NAME_LABEL, None)  # set on each pod by the StatefulSet controller
        if not sel or any(pod.labels.get(k) != v for k, v in sel.items()):
            continue
        endpoints = [
            ep for sm in monitors if _selects(sm, svc) for ep in sm["spec"].get("endpoints", [])
        ]
        for sp in svc["spec"].get("ports", []):
            path_list = [
                ep.get("path", "/metrics") for ep in endpoints if ep.get("port") == sp.get("name")
            ]
            for ctx in by_name.values():
                port = _container_port(ctx.c, sp.get("targetPort", sp["port"]))
                if port is None:
                    continue
                kind = "ServiceMonitor" if path_list else "Service"
                for path in path_list or [None]:
                    _check_target(ctx, f"{kind}/{svc['metadata']['name']}", port, path)


def _selects(sm: Obj, svc: Obj) -> bool:
    spec = sm.get("spec", {})
    ns = (spec.get("namespaceSelector") or {}).get("matchNames")
    if ns and svc["metadata"].get("namespace") not in ns:
        return False
    want = (spec.get("selector") or {}).get("matchLabels") or {}
    have = svc["metadata"].get("labels") or {}
    return bool(want) and all(have.get(k) == v for k, v in want.items())
