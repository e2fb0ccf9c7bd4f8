"""`l2kit index` commands."""

from __future__ import annotations

import click


@click.group()
def index() -> None:
    """(being built)"""
