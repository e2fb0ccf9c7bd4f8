"""Test keys: one way to make a secret key from a label.

``seckey(label)`` is ``sha256(label)`` (a valid secp256k1 scalar with overwhelming probability).
Files whose keys meet other files' keys on the shared regtest chain prefix their labels
(``"l2kit-acceptance/staker"``), so each file's keys stay its own and keep their bytes.
"""

from __future__ import annotations

import hashlib


def seckey(label: str) -> bytes:
    """The 32-byte test secret key named ``label``."""
    return hashlib.sha256(label.encode()).digest()
