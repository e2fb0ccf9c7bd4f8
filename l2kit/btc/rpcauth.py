"""``rpcauth`` lines for bitcoin.conf, exactly as Bitcoin Core's share/rpcauth/rpcauth.py.

    salt = token_hex(16)                                  # 32 lowercase hex chars
    hmac = HMAC-SHA256(key=salt.encode(), msg=password.encode()).hexdigest()
    rpcauth=<user>:<salt>$<hmac>

The HMAC key is the salt's ASCII hex string itself, not the 16 bytes it encodes. bitcoind
recomputes the hex string and compares strings, so the digest must be lowercase. The server
splits the value on ``:`` and ``$``, so a user name must contain neither.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from l2kit.errors import InputError

__all__ = ["generate_password", "rpcauth_conf_line", "rpcauth_line", "rpcauth_matches"]

_FORBIDDEN = (":", "$")


def generate_password() -> str:
    """A fresh random RPC password: ``token_urlsafe(32)`` (43 URL-safe chars)."""
    return secrets.token_urlsafe(32)


def _check_user(user: str) -> None:
    if not user:
        raise InputError("must not be empty", field="rpc user")
    if any(c in user for c in _FORBIDDEN):
        raise InputError("must not contain ':' or '$'", field="rpc user")
    if any(c in user for c in "\r\n\0"):
        raise InputError("must not contain line breaks or NUL", field="rpc user")


def _check_salt(salt: str) -> None:
    if any(c in salt for c in ":$\r\n\0") or not salt:
        raise InputError("must be non-empty and contain no ':', '$' or line breaks", field="salt")


def _digest(salt: str, password: str) -> str:
    return hmac.new(salt.encode("utf-8"), password.encode("utf-8"), hashlib.sha256).hexdigest()


def rpcauth_line(user: str, password: str, salt: str | None = None) -> str:
    """The ``rpcauth`` value ``user:salt$hmac`` (without the ``rpcauth=`` prefix).

    ``salt`` defaults to ``secrets.token_hex(16)``; pass one only for reproducible tests.
    """
    _check_user(user)
    if salt is None:
        salt = secrets.token_hex(16)
    _check_salt(salt)
    return f"{user}:{salt}${_digest(salt, password)}"


def rpcauth_conf_line(user: str, password: str, salt: str | None = None) -> str:
    """The full bitcoin.conf line ``rpcauth=user:salt$hmac``."""
    return "rpcauth=" + rpcauth_line(user, password, salt)


def rpcauth_matches(value: str, user: str, password: str) -> bool:
    """Whether ``user``/``password`` match an ``rpcauth`` value, the way bitcoind checks it."""
    value = value.removeprefix("rpcauth=")
    fields = value.replace("$", ":").split(":")
    if len(fields) != 3:
        return False
    line_user, salt, digest = fields
    if not hmac.compare_digest(line_user.encode(), user.encode()):
        return False
    return hmac.compare_digest(_digest(salt, password), digest)
