"""`l2kit regtest` commands."""

from __future__ import annotations

import click


@click.group()
def regtest() -> None:
    """Build and run a local Bitcoin Core regtest node."""


def _attach() -> None:
    from l2kit.cli import regtest_covenant

    for command in regtest_covenant.COMMANDS:
        regtest.add_command(command)


_attach()
