"""`l2kit stake`: offline builders and conformance (stake_build, stake_sign) and the
staker lifecycle against a node (stake_life)."""

from __future__ import annotations

import click


@click.group()
def stake() -> None:
    """Build, sign, inspect and track Babylon staking transactions."""


def _attach() -> None:
    from l2kit.cli import stake_build, stake_life, stake_register, stake_sign

    for module in (stake_build, stake_sign, stake_life, stake_register):
        for command in module.COMMANDS:
            stake.add_command(command)


_attach()
