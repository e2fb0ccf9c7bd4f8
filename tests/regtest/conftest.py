"""Fixtures of the regtest suite (the session node ``regtest_node`` is in tests/conftest.py).

``env``: a lifecycle environment on the session node (its own funded wallet, a local covenant
committee, params and tracker); modules that need a different one define their own ``env``.
``chain``: a simulated Babylon chain following that node, for the env's lifecycle.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.babylon_helpers import Chain, start_chain, stop_chain
from support.lifecycle_helpers import Env, make_env


@pytest.fixture
def env(regtest_node: Any, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Env]:
    e = make_env(regtest_node, tmp_path, f"{request.module.__name__}-{secrets.token_hex(4)}")
    yield e
    e.tracker.close()


@pytest.fixture
def chain(env: Env, tmp_path: Path) -> Iterator[Chain]:
    c = start_chain(env, tmp_path)
    yield c
    stop_chain(c)
