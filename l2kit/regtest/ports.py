"""Free TCP ports on 127.0.0.1: a port is free if we can bind it right now."""

from __future__ import annotations

import socket
from collections.abc import Iterable, Sequence

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


def _kernel_pick(taken: set[int]) -> int:
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((HOST, 0))
            port = int(sock.getsockname()[1])
        if port not in taken and is_free(port):
            return port
    raise OSError(f"could not find a free port on {HOST}")


def free_ports(n: int, *, preferred: Sequence[int] = (), avoid: Iterable[int] = ()) -> list[int]:
    """``n`` distinct free ports; slot ``i`` is ``preferred[i]`` if that one is free now,
    else a port the kernel picks. Every port is checked by binding it; none is in ``avoid``.
    """
    taken = set(avoid)
    out: list[int] = []
    for i in range(n):
        want = preferred[i] if i < len(preferred) else None
        port = want if want and want not in taken and is_free(want) else _kernel_pick(taken)
        out.append(port)
        taken.add(port)
    return out
