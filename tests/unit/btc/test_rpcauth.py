"""rpcauth lines match Bitcoin Core's share/rpcauth/rpcauth.py byte for byte."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from l2kit.btc.rpcauth import generate_password, rpcauth_conf_line, rpcauth_line, rpcauth_matches
from l2kit.errors import InputError

# bitcoin/bitcoin test/functional/rpc_users.py: user "rt", this password and this rpcauth line.
CORE_USER = "rt"
CORE_PASSWORD = "cA773lm788buwYe4g4WT+05pKyNruVKjQ25x3n0DQcM="
CORE_LINE = (
    "rt:93648e835a54c573682c2eb19f882535"
    "$7681e9c5b74bdd85e78166031d2058e1069b3ed7ed967c93fc63abba06f31144"
)

_LINE = re.compile(r"^(?P<user>[^:$]+):(?P<salt>[0-9a-f]{32})\$(?P<hmac>[0-9a-f]{64})$")


def test_core_vector() -> None:
    salt = CORE_LINE.split(":")[1].split("$")[0]
    assert rpcauth_line(CORE_USER, CORE_PASSWORD, salt) == CORE_LINE
    assert rpcauth_conf_line(CORE_USER, CORE_PASSWORD, salt) == "rpcauth=" + CORE_LINE
    assert rpcauth_matches(CORE_LINE, CORE_USER, CORE_PASSWORD)
    assert rpcauth_matches("rpcauth=" + CORE_LINE, CORE_USER, CORE_PASSWORD)
    assert not rpcauth_matches(CORE_LINE, CORE_USER, CORE_PASSWORD + "x")
    assert not rpcauth_matches(CORE_LINE, "rt2", CORE_PASSWORD)


def test_key_is_the_hex_string_not_its_bytes() -> None:
    salt = "00" * 16
    line = rpcauth_line("u", "p", salt)
    by_string = hmac.new(salt.encode(), b"p", hashlib.sha256).hexdigest()
    by_bytes = hmac.new(bytes.fromhex(salt), b"p", hashlib.sha256).hexdigest()
    assert line.endswith("$" + by_string)
    assert by_string != by_bytes


def test_default_salt_is_fresh_lowercase_hex() -> None:
    a, b = rpcauth_line("u", "p"), rpcauth_line("u", "p")
    assert a != b
    for line in (a, b):
        m = _LINE.match(line)
        assert m is not None
        assert rpcauth_matches(line, "u", "p")


def test_generate_password() -> None:
    pw = generate_password()
    assert len(pw) == 43
    assert re.fullmatch(r"[A-Za-z0-9_-]+", pw)
    assert pw != generate_password()


@pytest.mark.parametrize("user", ["a:b", "a$b", "", "a\nb"])
def test_bad_user_rejected(user: str) -> None:
    with pytest.raises(InputError) as info:
        rpcauth_line(user, "pw")
    assert info.value.field == "rpc user"
    assert "pw" not in str(info.value)


def test_malformed_line_does_not_match() -> None:
    assert not rpcauth_matches("no-separators", "u", "p")
    assert not rpcauth_matches("u:a:b$c", "u", "p")


users = st.text(
    alphabet=st.characters(blacklist_characters=":$\r\n\x00", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=40,
)
passwords = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)


@given(users, passwords)
def test_roundtrip_property(user: str, password: str) -> None:
    line = rpcauth_line(user, password)
    got_user, rest = line.split(":", 1)
    salt, digest = rest.split("$")
    assert got_user == user
    assert re.fullmatch(r"[0-9a-f]{32}", salt)
    assert digest == hmac.new(salt.encode(), password.encode(), hashlib.sha256).hexdigest()
    assert rpcauth_matches(line, user, password)


@given(users, passwords, passwords)
def test_other_password_does_not_match(user: str, pw: str, other: str) -> None:
    if pw != other:
        assert not rpcauth_matches(rpcauth_line(user, pw), user, other)
