"""Printing results: JSON for scripts (``--json``), rich tables for people."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def emit(data: Any, as_json: bool, human: Callable[[Any], None] | None = None) -> None:
    """Print ``data`` as one JSON document, or through ``human`` (default: key: value lines)."""
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))
    elif human is not None:
        human(data)
    elif isinstance(data, dict):
        width = max((len(str(k)) for k in data), default=0)
        for key, value in data.items():
            click.echo(f"{key:<{width}}  {value}")
    else:
        click.echo(str(data))
