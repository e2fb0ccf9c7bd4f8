"""Top-level commands of this part (attached to the root group)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
