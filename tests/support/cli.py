"""The three ways tests run ``l2kit``, one helper each.

* :func:`run_main` — in this process through ``l2kit.cli.main``: the real ``error:`` lines and
  exit codes, stdout/stderr from pytest's ``capsys``. The default for command tests.
* :func:`click_invoke` — click's ``CliRunner`` on the command group (no ``main()`` error mapping);
  for tests that feed stdin or read click's combined output.
* :func:`run_process` — ``python -m l2kit`` as its own process: whole-process behaviour
  (what gets imported, every stderr line, the exit status, environment variables).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import pytest
from click.testing import CliRunner, Result

from l2kit.cli import main
from l2kit.cli.app import cli


class CliResult(NamedTuple):
    exit_code: int
    output: str  # stdout
    error: str  # stderr


def run_main(argv: Sequence[str], capsys: pytest.CaptureFixture[str]) -> CliResult:
    """``l2kit ARGV`` through ``main()``; unpacks as ``code, out, err``. (The logging that
    ``main()`` sets up is restored after the test by the conftest.)"""
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    out, err = capsys.readouterr()
    return CliResult(int(exc.value.code or 0), out, err)


def click_invoke(argv: Sequence[str], input: str | None = None) -> Result:
    """``l2kit ARGV`` through click's ``CliRunner``."""
    return CliRunner().invoke(cli, list(argv), input=input)


def run_process(
    *argv: str,
    input: str | None = None,
    env: Mapping[str, str | None] | None = None,
    timeout: float = 180,
) -> subprocess.CompletedProcess[str]:
    """``python -m l2kit ARGV`` with this environment, changed by ``env`` (``None`` removes)."""
    run_env = dict(os.environ)
    for name, value in (env or {}).items():
        if value is None:
            run_env.pop(name, None)
        else:
            run_env[name] = value
    return subprocess.run(
        [sys.executable, "-m", "l2kit", *argv],
        input=input,
        capture_output=True,
        text=True,
        env=run_env,
        timeout=timeout,
        check=False,
    )
