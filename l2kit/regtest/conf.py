"""The managed node's bitcoin.conf (pure: values in, text out). Loopback only.

Network-only options (rpcport, port, bind, rpcbind) must sit in the ``[regtest]`` section,
or bitcoind applies them to mainnet only and refuses to start.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NodePorts", "render_conf", "zmq_endpoints"]

HOST = "127.0.0.1"


@dataclass(frozen=True)
class NodePorts:
    rpc: int
    p2p: int
    zmq_block: int
    zmq_tx: int


def zmq_endpoints(ports: NodePorts) -> dict[str, str]:
    """Topic → endpoint. Block topics share one socket, transaction topics the other."""
    block = f"tcp://{HOST}:{ports.zmq_block}"
    tx = f"tcp://{HOST}:{ports.zmq_tx}"
    return {"rawblock": block, "hashblock": block, "rawtx": tx, "hashtx": tx, "sequence": tx}


def render_conf(ports: NodePorts, rpcauth: str, *, listen: bool = True) -> str:
    """bitcoin.conf text. ``rpcauth`` is the ``user:salt$hmac`` value (never a password)."""
    if "\n" in rpcauth or "=" in rpcauth:
        raise ValueError("rpcauth must be a single user:salt$hmac value")
    lines = [
        "# Written by l2kit (l2kit regtest up); rewritten on every start.",
        "regtest=1",
        "",
        "[regtest]",
        "server=1",
        "txindex=1",
        "printtoconsole=0",
        f"rpcbind={HOST}",
        f"rpcallowip={HOST}",
        f"rpcport={ports.rpc}",
        f"rpcauth={rpcauth}",
        f"listen={1 if listen else 0}",
        f"bind={HOST}",
        f"port={ports.p2p}",
        "listenonion=0",
        "dnsseed=0",
        "fixedseeds=0",
        "fallbackfee=0.0002",
    ]
    lines += [f"zmqpub{topic}={endpoint}" for topic, endpoint in zmq_endpoints(ports).items()]
    return "\n".join(lines) + "\n"
