"""Fleets without a fleet file: targets from command-line flags, or a ``l2kit regtest up`` datadir.

Everything here builds plain fleet documents; ``fleet.parse`` validates them like a file,
so flags get the same rules (no inline passwords, http(s) URLs, unique names).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

from l2kit.errors import InputError
from l2kit.monitor.fleet import ROLES

STATE_FILE = "l2kit-node.json"  # written by l2kit.regtest.node (NodeState)
CREDS_FILE = "rpc.json"
CONF_FILE = "bitcoin.conf"


def _name(kind: str, url: str, taken: set[str]) -> str:
    parts = urlsplit(url)
    base = f"{kind}-{parts.hostname or 'host'}" + (f":{parts.port}" if parts.port else "")
    base += re.sub(r"[^A-Za-z0-9_.:-]+", "-", parts.path).rstrip("-")
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def regtest_target(datadir: Path, taken: set[str]) -> dict[str, object]:
    """A bitcoind target for the node an ``l2kit regtest up`` manages in ``datadir``.

    The URL comes from the node's state file, or (node stopped: state file gone) from the
    ``rpcport`` in its bitcoin.conf, so a stopped node reports as down instead of failing here.
    """
    datadir = datadir.expanduser().absolute()
    if not (datadir / CREDS_FILE).is_file():
        raise InputError(
            f"{datadir}: no {CREDS_FILE}; not a datadir of `l2kit regtest up`",
            field="--regtest-datadir",
        )
    url: str | None = None
    try:
        url = str(json.loads((datadir / STATE_FILE).read_text())["rpc_url"])
    except (OSError, ValueError, KeyError, TypeError):
        try:
            conf = (datadir / CONF_FILE).read_text()
        except OSError:
            conf = ""
        if port := re.search(r"^rpcport=(\d+)\s*$", conf, re.MULTILINE):
            url = f"http://127.0.0.1:{port.group(1)}"
    if url is None:
        raise InputError(f"{datadir}: no node state and no rpcport", field="--regtest-datadir")
    name = "regtest" if "regtest" not in taken else _name("regtest", url, taken)
    taken.add(name)
    return {
        "name": name,
        "kind": "bitcoind",
        "url": url,
        "chain": "regtest",
        "auth": {"rpc_json_file": str(datadir / CREDS_FILE)},
    }


def targets(
    *,
    bitcoind: tuple[str, ...] = (),
    rpc_user: str | None = None,
    rpc_password_file: str | None = None,
    rpc_password_env: str | None = None,
    rpc_cookie: str | None = None,
    chain: str | None = None,
    babylon_rest: tuple[str, ...] = (),
    cometbft: tuple[str, ...] = (),
    gadget: tuple[str, ...] = (),
    metrics: tuple[str, ...] = (),
    regtest_datadirs: tuple[Path, ...] = (),
    taken: set[str] | None = None,
) -> list[dict[str, object]]:
    taken = set() if taken is None else taken
    out: list[dict[str, object]] = []
    auth: dict[str, str] = {}
    if rpc_cookie:
        auth["cookie_file"] = rpc_cookie
    if rpc_password_file:
        auth["password_file"] = rpc_password_file
    if rpc_password_env:
        auth["password_env"] = rpc_password_env
    if rpc_user:
        auth["user"] = rpc_user
    if auth and not bitcoind:
        raise InputError("RPC credentials given without --bitcoind", field="--rpc-*")
    for url in bitcoind:
        target: dict[str, object] = {"name": _name("bitcoind", url, taken), "kind": "bitcoind"}
        target["url"] = url
        if auth:
            target["auth"] = dict(auth)
        if chain:
            target["chain"] = chain
        out.append(target)
    for datadir in regtest_datadirs:
        out.append(regtest_target(datadir, taken))
    if len(babylon_rest) != len(cometbft):
        raise InputError(
            "give one --cometbft per --babylon-rest (they pair up in order)", field="--cometbft"
        )
    for rest, rpc in zip(babylon_rest, cometbft, strict=True):
        out.append(
            {
                "name": _name("babylon", rest, taken),
                "kind": "babylon",
                "rest_url": rest,
                "cometbft_url": rpc,
            }
        )
    for url in gadget:
        out.append({"name": _name("gadget", url, taken), "kind": "gadget", "url": url})
    for spec in metrics:
        role, sep, url = spec.partition("=")
        if not sep or "://" in role:
            role, url = "", spec
        elif role not in ROLES:
            raise InputError(f"role {role!r} is not one of {', '.join(ROLES)}", field="--metrics")
        entry: dict[str, object] = {"name": _name(role or "metrics", url, taken), "kind": "metrics"}
        entry["url"] = url
        if role:
            entry["role"] = role
        out.append(entry)
    return out
