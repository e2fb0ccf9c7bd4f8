"""Free TCP ports on 127.0.0.1: a port is free if we can bind it right now."""

from __future__ import annotations

import socket
from collections.abc import Iterable

__all__ = ["free_ports", "is_free"]

HOST = "127.0.0.1"


def is_free(port: int, host: str = HOST) -> bool:
    """Whether ``host:port`` can be bound now (no SO_REUSEADDR, so TIME_WAIT counts as taken)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_ports(n: int, *, preferred: Iterable[int] = (), avoid: Iterable[int] = ()) -> list[int]:
    """``n`` distinct free ports: each ``preferred`` one if free, else one the kernel picks.

    Every port is re-checked by binding it, and none is in ``avoid``.
    """
    taken = set(avoid)
    wanted = list(preferred)[:n]
    out: list[int] = []
    for port in wanted:
        if port not in taken and is_free(port):
            out.append(port)
            taken.add(port)
    for _ in range(n * 50):
        if len(out) == n:
            break
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((HOST, 0))
            port = int(sock.getsockname()[1])
        if port not in taken and is_free(port):
            out.append(port)
            taken.add(port)
    if len(out) != n:
        raise OSError(f"could not find {n} free ports on {HOST}")
    return out
