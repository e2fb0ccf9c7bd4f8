"""The one redaction path: every secret l2kit reads is registered here, and every line that
leaves the process (log events, ``error:`` lines, check reasons, exported labels) is scrubbed.

Secrets are read only through :func:`read_secret_file` (bytes, size-capped, strict UTF-8, an
error that names the file and never its content) or registered with :func:`register`. Scrubbing
also removes anything shaped like an HTTP ``Authorization`` value, because a hostile target can
reflect our request headers back into a body or an error message.
"""

from __future__ import annotations

import base64
import re
import threading
from typing import TYPE_CHECKING

from l2kit.errors import InputError

if TYPE_CHECKING:  # pathlib costs start-up time; callers hand us a Path
    from pathlib import Path

MASK = "***"
SECRET_FILE_MAX = 64 * 1024  # a password, cookie or rpc.json is a few hundred bytes at most
_MIN_LEN = 4  # shorter "secrets" would blank out ordinary words

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None

# "Basic dXNlcjpwYXNz", "Bearer abc.def" — the header value however it comes back.
_AUTH_VALUE = re.compile(r"(?i)\b(basic|bearer|digest)\s+[A-Za-z0-9+/=._~-]{6,}")
_AUTH_HEADER = re.compile(r"(?i)(authorization\W{1,4})[^\s'\",}]+")


def register(secret: str) -> None:
    """Scrub ``secret`` from every line this process writes from now on."""
    global _pattern
    if len(secret) < _MIN_LEN:
        return
    with _lock:
        if secret in _secrets:
            return
        _secrets.add(secret)
        ordered = sorted(_secrets, key=len, reverse=True)  # longest first: no partial leftovers
        _pattern = re.compile("|".join(re.escape(s) for s in ordered))


def register_basic(user: str, password: str) -> None:
    """The password, and the Basic header value a target could echo back."""
    register(password)
    register(base64.b64encode(f"{user}:{password}".encode()).decode())


def scrub(text: str) -> str:
    """``text`` without any registered secret or Authorization-shaped value."""
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    text = _AUTH_VALUE.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return _AUTH_HEADER.sub(lambda m: f"{m.group(1)}{MASK}", text)


def read_secret_file(path: Path, field: str, *, max_bytes: int = SECRET_FILE_MAX) -> str:
    """The stripped UTF-8 text of a secret file, registered for scrubbing.

    Bad files raise ``InputError`` naming ``field`` and the path — never a byte of the content
    (a ``UnicodeDecodeError`` would carry the raw bytes into logs and tracebacks).
    """
    try:
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(
            f"cannot read {path}: {exc.strerror or type(exc).__name__}", field=field
        ) from None
    if len(raw) > max_bytes:
        raise InputError(f"{path}: larger than {max_bytes} bytes", field=field)
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise InputError(f"{path}: not valid UTF-8 text", field=field) from None
    if not text:
        raise InputError(f"{path}: empty", field=field)
    register(text)
    return text
