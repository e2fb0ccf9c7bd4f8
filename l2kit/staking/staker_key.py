"""The staker's secret key file: where it lives by default, and the one way a new one is made.

A missing key is generated in memory (:func:`load_or_generate`) and written only after the
caller's checks passed (:meth:`StakerKey.keep`), so bad input never leaves a new key behind.
The write is exclusive and mode 0600: when another process wrote a key meanwhile, that key
wins, and every caller uses what is in the file, read back through ``read_seckey_file``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from l2kit import paths
from l2kit.btc.keys import read_seckey_file
from l2kit.fsutil import write_atomic

FIELD = "staker-key-file"


def read(path: Path | None) -> bytes:
    """The existing staker key (``path`` or the default location); never creates one."""
    return read_seckey_file(path or paths.staker_key(), FIELD)


@dataclass(frozen=True)
class StakerKey:
    path: Path
    seckey: bytes
    new: bool  # generated in memory, not written yet

    def keep(self, notice: Callable[[Path], None]) -> bytes:
        """The key to use from now on: a new key is written (``notice(path)`` when this
        process wrote it) and the file's key returned; an existing key is returned as is."""
        if not self.new:
            return self.seckey
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            write_atomic(self.path, self.seckey.hex() + "\n", mode=0o600, exclusive=True)
        except FileExistsError:
            pass  # another process's key wins
        else:
            notice(self.path)
        return read_seckey_file(self.path, FIELD)


def load_or_generate(path: Path | None) -> StakerKey:
    """The key at ``path`` (default: the per-user staker key), or a new one in memory."""
    path = path or paths.staker_key()
    if path.exists():
        return StakerKey(path, read_seckey_file(path, FIELD), new=False)
    return StakerKey(path, secrets.token_bytes(32), new=True)
