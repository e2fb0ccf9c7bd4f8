"""`l2kit stake`: offline builders and conformance (stake_build, stake_conformance,
stake_sign) and the staker lifecycle against a node (stake_life); the commands are named in
``l2kit.cli.STAKE``."""

from __future__ import annotations

import click

from l2kit.cli import STAKE
from l2kit.cli.lazy import LazyGroup


@click.group(cls=LazyGroup, lazy=STAKE)
def stake() -> None:
    """Build, sign, inspect and track Babylon staking transactions."""


COMMANDS: list[click.Command] = [stake]
