"""Process liveness, for crash recovery: a record stamped with a pid belongs to a crashed run
when that pid is gone (same-host records only: the tracker DB and render output are local)."""

from __future__ import annotations

import os


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (a reused pid reads as alive: the safe direction)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
