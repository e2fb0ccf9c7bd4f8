"""Durable file writes: the one place that writes keys, state and generated files."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomic(
    path: Path, data: str | bytes, mode: int = 0o644, *, exclusive: bool = False
) -> None:
    """Write ``data`` so that ``path`` holds either the old or the whole new content, even
    after a crash or power loss.

    A temp file in the same directory is created with exactly ``mode`` (O_EXCL: a stale temp
    file of wider mode left by a crash is removed, never reused; the umask may only narrow the
    mode, so it is set again before the first byte), written and fsynced, renamed over
    ``path``, and then the directory is fsynced so the rename itself survives a crash.
    ``exclusive`` refuses to replace an existing ``path`` (``FileExistsError``): a key file is
    never overwritten.
    """
    raw = data.encode() if isinstance(data, str) else data
    directory = path.parent
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        try:
            os.fchmod(fd, mode)
            view = memoryview(raw)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if exclusive:
            os.link(tmp, path)  # atomic, fails if path exists
            tmp.unlink()
        else:
            os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(directory)


def fsync_dir(directory: Path) -> None:
    """Persist the directory entry (the rename); POSIX only needs it, and allows it."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
