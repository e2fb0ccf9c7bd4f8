"""Commands of this part (attached to their group by its module)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
