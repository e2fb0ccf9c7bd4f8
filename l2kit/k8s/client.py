"""The one place that talks to a Kubernetes API server (``kubernetes`` is imported lazily).

``connect()`` loads credentials (an explicit kubeconfig, ``$KUBECONFIG``, the in-cluster service
account, then ``~/.kube/config``) and returns a ``KubeClient``: a small typed facade over
``kubernetes.dynamic.DynamicClient`` with exactly the verbs l2kit needs (server-side apply, get,
list by label, delete). Every API failure becomes a ``ClusterError`` carrying ``status`` and
``reason``; messages name the object, never its data.

``ClusterApi`` is the protocol the apply/diff/status code is written against, so it can be driven by
a fake in unit tests.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

from l2kit import paths
from l2kit.errors import ClusterError, InputError

FIELD_MANAGER = "l2kit"
"""The field manager of every server-side apply l2kit sends."""

Obj = dict[str, Any]


@dataclass(frozen=True, order=True)
class Ref:
    """Identifies one object: apiVersion, kind, namespace ("" when cluster-scoped), name."""

    api_version: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, obj: Obj) -> Ref:
        meta = obj.get("metadata") or {}
        return cls(
            str(obj.get("apiVersion", "")),
            str(obj.get("kind", "")),
            str(meta.get("namespace") or ""),
            str(meta.get("name", "")),
        )

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{where}{self.name}"


class ClusterApi(Protocol):
    """What apply/diff/status need from a cluster."""

    def apply(self, obj: Obj, *, force: bool = False, dry_run: bool = False) -> Obj:
        """Server-side apply ``obj`` as field manager ``l2kit``; returns the resulting object."""
        ...

    def get(self, ref: Ref) -> Obj | None:
        """The live object, or None when it does not exist."""
        ...

    def list(
        self, api_version: str, kind: str, *, label_selector: str, namespace: str | None = None
    ) -> list[Obj]:
        """Objects of one kind carrying the labels (all namespaces when ``namespace`` is None)."""
        ...

    def delete(self, ref: Ref, *, dry_run: bool = False) -> None:
        """Delete one object (background propagation); absent objects are not an error."""
        ...

    def served(self, api_version: str, kind: str) -> bool:
        """Whether the server knows the kind (CRDs such as ServiceMonitor may be missing)."""
        ...


def _k8s(module: str) -> Any:
    """Import a ``kubernetes`` module lazily, typed ``Any`` (the client ships no usable stubs)."""
    return importlib.import_module(module)


_INVALID_VALUE = re.compile(r'Invalid value: (".*?"|\S+)')


def _safe_message(body: object, kind: str) -> str:
    """The API's Status message, without echoed values (they may be secret data)."""
    import json

    if not isinstance(body, str | bytes) or not body:
        return ""
    try:
        status = json.loads(body)
    except ValueError:
        return ""
    message = status.get("message", "") if isinstance(status, dict) else ""
    if not isinstance(message, str) or kind == "Secret":
        return ""
    return _INVALID_VALUE.sub("Invalid value: <redacted>", message)[:500]


def cluster_error(action: str, target: str, exc: BaseException) -> ClusterError:
    """Map an exception from the kubernetes client to a ``ClusterError``."""
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    kind = target.split("/", 1)[0]
    if isinstance(exc, ApiException):
        status = int(exc.status) if exc.status is not None else None
        reason = str(exc.reason or "")
        detail = _safe_message(exc.body, kind)
        text = f"{action} {target}: HTTP {status} {reason}" + (f": {detail}" if detail else "")
        return ClusterError(text, status=status, reason=reason)
    if isinstance(exc, HTTPError | OSError):
        return ClusterError(
            f"{action} {target}: API server unreachable ({type(exc).__name__})",
            reason="Unreachable",
        )
    return ClusterError(f"{action} {target}: {type(exc).__name__}", reason=type(exc).__name__)


@contextmanager
def _mapped(action: str, target: str) -> Iterator[None]:
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    try:
        yield
    except (ApiException, HTTPError, OSError) as exc:
        raise cluster_error(action, target, exc) from exc


class KubeClient:
    """``ClusterApi`` over the kubernetes dynamic client."""

    def __init__(self, api_client: Any, *, discovery_cache: Path | None = None) -> None:
        self.api_client = api_client
        self._served: dict[tuple[str, str], bool] = {}
        host = str(api_client.configuration.host)
        cache = discovery_cache or _discovery_cache_file(host)
        with _mapped("discover", host):
            dynamic_client = _k8s("kubernetes.dynamic").DynamicClient
            self.dynamic: Any = dynamic_client(api_client, cache_file=str(cache))

    def close(self) -> None:
        """Release the HTTP connection pool."""
        self.api_client.close()

    def __enter__(self) -> KubeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _resource(self, api_version: str, kind: str) -> Any:
        from kubernetes.dynamic.exceptions import ResourceNotFoundError

        with _mapped("discover", f"{kind} {api_version}"):
            try:
                return self.dynamic.resources.get(api_version=api_version, kind=kind)
            except ResourceNotFoundError as exc:
                raise ClusterError(
                    f"the API server does not serve {kind} ({api_version})",
                    status=404,
                    reason="NotServed",
                ) from exc

    def served(self, api_version: str, kind: str) -> bool:
        # remembered: a miss makes the discoverer re-read every API group
        key = (api_version, kind)
        if key not in self._served:
            try:
                self._resource(api_version, kind)
                self._served[key] = True
            except ClusterError as exc:
                if exc.reason != "NotServed":
                    raise
                self._served[key] = False
        return self._served[key]

    def apply(self, obj: Obj, *, force: bool = False, dry_run: bool = False) -> Obj:
        ref = Ref.of(obj)
        resource = self._resource(ref.api_version, ref.kind)
        with _mapped("apply", str(ref)):
            result = self.dynamic.server_side_apply(
                resource,
                body=obj,
                name=ref.name,
                namespace=ref.namespace or None,
                field_manager=FIELD_MANAGER,
                force_conflicts=force,
                dry_run="All" if dry_run else None,
            )
        return dict(result.to_dict())

    def get(self, ref: Ref) -> Obj | None:
        from kubernetes.client.exceptions import ApiException

        resource = self._resource(ref.api_version, ref.kind)
        try:
            result = self.dynamic.get(resource, name=ref.name, namespace=ref.namespace or None)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise cluster_error("get", str(ref), exc) from exc
        except OSError as exc:
            raise cluster_error("get", str(ref), exc) from exc
        return dict(result.to_dict())

    def list(
        self, api_version: str, kind: str, *, label_selector: str, namespace: str | None = None
    ) -> list[Obj]:
        resource = self._resource(api_version, kind)
        with _mapped("list", kind):
            result = self.dynamic.get(resource, namespace=namespace, label_selector=label_selector)
        items = result.to_dict().get("items") or []
        for item in items:  # list items come without apiVersion/kind
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", kind)
        return [dict(item) for item in items]

    def delete(self, ref: Ref, *, dry_run: bool = False) -> None:
        from kubernetes.client.exceptions import ApiException

        resource = self._resource(ref.api_version, ref.kind)
        try:
            self.dynamic.delete(
                resource,
                name=ref.name,
                namespace=ref.namespace or None,
                propagation_policy="Background",
                dry_run="All" if dry_run else None,
            )
        except ApiException as exc:
            if exc.status != 404:
                raise cluster_error("delete", str(ref), exc) from exc
        except OSError as exc:
            raise cluster_error("delete", str(ref), exc) from exc


def _discovery_cache_file(host: str) -> Path:
    digest = hashlib.sha256(host.encode()).hexdigest()[:16]
    directory = paths.cache_dir() / "k8s-discovery"
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{digest}.json"


def load_config(kubeconfig: str | None = None, context: str | None = None) -> Any:
    """A ``kubernetes.client.Configuration`` from the first source that exists.

    Order: ``kubeconfig`` argument, ``$KUBECONFIG``, in-cluster service account (when
    ``$KUBERNETES_SERVICE_HOST`` is set), ``~/.kube/config``.
    """
    config = _k8s("kubernetes.config")
    ConfigException = _k8s("kubernetes.config.config_exception").ConfigException

    configuration = _k8s("kubernetes.client").Configuration()
    if kubeconfig and not Path(kubeconfig).is_file():
        raise InputError("no such file", field="--kubeconfig")
    source = kubeconfig or os.environ.get("KUBECONFIG")
    try:
        if source:
            # $KUBECONFIG may list several files (path-separated): the loader merges them
            config.load_kube_config(
                config_file=source, context=context, client_configuration=configuration
            )
        elif os.environ.get("KUBERNETES_SERVICE_HOST"):
            config.load_incluster_config(client_configuration=configuration)
        else:
            config.load_kube_config(context=context, client_configuration=configuration)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark is not None else ""
        raise ClusterError(
            f"cannot load Kubernetes credentials from {source}: not valid YAML{at}",
            reason="NoConfig",
        ) from exc
    except (ConfigException, OSError, TypeError, ValueError) as exc:
        where = source or "in-cluster/~/.kube/config"
        raise ClusterError(
            f"cannot load Kubernetes credentials from {where}: {_first_line(exc)}",
            reason="NoConfig",
        ) from exc
    return configuration


def _first_line(exc: Exception) -> str:
    """The loader's own reason (file and context names, never credentials), kept short."""
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def connect(kubeconfig: str | None = None, context: str | None = None) -> KubeClient:
    """A ``KubeClient`` for the configured cluster."""
    return KubeClient(_k8s("kubernetes.client").ApiClient(load_config(kubeconfig, context)))
