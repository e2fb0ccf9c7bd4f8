"""A tiny Kubernetes API server on 127.0.0.1 for unit tests: discovery, SSA, get, list, delete.

It records every request (method, path, query, content type, body) so tests can check exactly what
the real ``kubernetes`` client put on the wire. Objects live in memory; a server-side apply merges
nothing (it stores the body) and bumps ``resourceVersion`` only when the body changed.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from support.http import send_json

# (group, version, kind, plural, namespaced)
KINDS: list[tuple[str, str, str, str, bool]] = [
    ("", "v1", "Namespace", "namespaces", False),
    ("", "v1", "ConfigMap", "configmaps", True),
    ("", "v1", "Secret", "secrets", True),
    ("", "v1", "Service", "services", True),
    ("", "v1", "ServiceAccount", "serviceaccounts", True),
    ("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", True),
    ("", "v1", "Pod", "pods", True),
    ("apps", "v1", "StatefulSet", "statefulsets", True),
    ("apps", "v1", "Deployment", "deployments", True),
    ("batch", "v1", "Job", "jobs", True),
    ("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", True),
    ("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", True),
    ("rbac.authorization.k8s.io", "v1", "Role", "roles", True),
    ("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", True),
]
MONITORING: list[tuple[str, str, str, str, bool]] = [
    ("monitoring.coreos.com", "v1", "ServiceMonitor", "servicemonitors", True),
    ("monitoring.coreos.com", "v1", "PodMonitor", "podmonitors", True),
    ("monitoring.coreos.com", "v1", "PrometheusRule", "prometheusrules", True),
]


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    content_type: str
    body: Any


@dataclass
class FakeApi:
    kinds: list[tuple[str, str, str, str, bool]]
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    fail: dict[tuple[str, str], tuple[int, dict[str, Any]]] = field(default_factory=dict)
    version: int = 100

    def base(self, group: str, version: str) -> str:
        return f"/api/{version}" if not group else f"/apis/{group}/{version}"

    def discovery(self, path: str) -> dict[str, Any] | None:
        if path == "/version":
            return {"major": "1", "minor": "30", "gitVersion": "v1.30.0"}
        if path == "/api":
            return {"kind": "APIVersions", "versions": ["v1"]}
        if path == "/apis":
            groups = sorted({(g, v) for g, v, *_ in self.kinds if g})
            return {
                "kind": "APIGroupList",
                "apiVersion": "v1",
                "groups": [
                    {
                        "name": g,
                        "versions": [{"groupVersion": f"{g}/{v}", "version": v}],
                        "preferredVersion": {"groupVersion": f"{g}/{v}", "version": v},
                    }
                    for g, v in groups
                ],
            }
        for g, v in {(g, v) for g, v, *_ in self.kinds}:
            if path == self.base(g, v):
                return {
                    "kind": "APIResourceList",
                    "groupVersion": f"{g}/{v}".lstrip("/"),
                    "resources": [
                        {
                            "name": plural,
                            "singularName": kind.lower(),
                            "namespaced": ns,
                            "kind": kind,
                            "verbs": ["create", "delete", "get", "list", "patch"],
                        }
                        for gg, vv, kind, plural, ns in self.kinds
                        if (gg, vv) == (g, v)
                    ],
                }
        return None

    def locate(self, path: str) -> tuple[str, str, str, str | None, str | None] | None:
        """(apiVersion, kind, plural, namespace, name) for an object or collection path."""
        matches = []
        for g, v, kind, plural, namespaced in self.kinds:
            base = self.base(g, v)
            api_version = f"{g}/{v}" if g else v
            parts = path[len(base) :].strip("/").split("/") if path.startswith(base + "/") else []
            if namespaced and len(parts) >= 3 and parts[0] == "namespaces" and parts[2] == plural:
                return api_version, kind, plural, parts[1], parts[3] if len(parts) > 3 else None
            if len(parts) <= 2 and parts and parts[0] == plural:
                name = parts[1] if len(parts) > 1 else None
                matches.append((api_version, kind, plural, None, name))
        return matches[0] if matches else None


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "code": code,
        "reason": reason,
        "message": message,
    }


def _handler(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _handle(self, method: str) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            query = parse_qs(url.query)
            api.requests.append(
                Recorded(method, url.path, query, self.headers.get("Content-Type", ""), body)
            )
            if (method, url.path) in api.fail:
                code, payload = api.fail[(method, url.path)]
                return send_json(self, code, payload)
            if method == "GET" and (doc := api.discovery(url.path)) is not None:
                return send_json(self, 200, doc)
            where = api.locate(url.path)
            if where is None:
                return send_json(self, 404, _status(404, "NotFound", f"no route {url.path}"))
            api_version, kind, _, _namespace, name = where
            if name is None and method == "GET":
                return send_json(self, 200, self._list(api_version, kind, url.path, query))
            assert name is not None
            stored = api.objects.get(url.path)
            missing = _status(404, "NotFound", f'{kind} "{name}" not found')
            if method == "GET":
                if stored is None:
                    return send_json(self, 404, missing)
                return send_json(self, 200, stored)
            if method == "DELETE":
                if stored is None:
                    return send_json(self, 404, missing)
                if "dryRun" not in query:
                    del api.objects[url.path]
                return send_json(self, 200, _status(200, "", "deleted") | {"status": "Success"})
            if method == "PATCH":
                return self._apply(url.path, body, stored, dry_run="dryRun" in query)
            return send_json(self, 405, _status(405, "MethodNotAllowed", method))

        def _list(
            self, api_version: str, kind: str, prefix: str, query: dict[str, list[str]]
        ) -> dict[str, Any]:
            selector = dict(
                s.split("=", 1) for s in query.get("labelSelector", [""])[0].split(",") if "=" in s
            )
            items = []
            for path, obj in sorted(api.objects.items()):
                if not path.startswith(prefix + "/") or obj["kind"] != kind:
                    continue
                labels = obj.get("metadata", {}).get("labels") or {}
                if all(labels.get(k) == v for k, v in selector.items()):
                    items.append({k: v for k, v in obj.items() if k not in ("apiVersion", "kind")})
            return {
                "kind": f"{kind}List",
                "apiVersion": api_version,
                "items": items,
                "metadata": {"resourceVersion": str(api.version)},
            }

        def _apply(
            self, path: str, body: Any, stored: dict[str, Any] | None, dry_run: bool
        ) -> None:
            new = json.loads(json.dumps(body))
            meta = new.setdefault("metadata", {})
            if stored is not None:
                old_meta = stored["metadata"]
                same = {k: v for k, v in stored.items() if k != "metadata"} == {
                    k: v for k, v in new.items() if k != "metadata"
                } and old_meta.get("labels") == meta.get("labels")
                version = old_meta["resourceVersion"] if same else str(api.version + 1)
                meta.update(uid=old_meta["uid"], creationTimestamp=old_meta["creationTimestamp"])
            else:
                version = str(api.version + 1)
                meta.update(uid=f"uid-{len(api.objects)}", creationTimestamp="2026-01-01T00:00:00Z")
            meta.update(
                resourceVersion=version, managedFields=[{"manager": "l2kit", "operation": "Apply"}]
            )
            if not dry_run:
                api.version = max(api.version, int(version))
                api.objects[path] = new
            send_json(self, 201 if stored is None else 200, new)

        def do_GET(self) -> None:
            self._handle("GET")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

    return Handler


class FakeApiServer:
    """Context manager: serves ``FakeApi`` on 127.0.0.1:<free port>."""

    def __init__(self, monitoring: bool = True) -> None:
        self.api = FakeApi(KINDS + (MONITORING if monitoring else []))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.api))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeApiServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()

    def put(self, obj: dict[str, Any]) -> None:
        """Seed a live object (as if created earlier by someone)."""
        for g, v, kind, plural, namespaced in self.api.kinds:
            api_version = f"{g}/{v}" if g else v
            if (api_version, kind) == (obj["apiVersion"], obj["kind"]):
                meta = obj["metadata"]
                ns = f"/namespaces/{meta['namespace']}" if namespaced else ""
                path = f"{self.api.base(g, v)}{ns}/{plural}/{meta['name']}"
                meta.setdefault("resourceVersion", "1")
                meta.setdefault("uid", f"seed-{meta['name']}")
                meta.setdefault("creationTimestamp", "2025-01-01T00:00:00Z")
                self.api.objects[path] = obj
                return
        raise KeyError(obj["kind"])
