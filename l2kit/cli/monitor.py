"""`l2kit monitor` commands."""

from __future__ import annotations

import click


@click.group()
def monitor() -> None:
    """(being built)"""
