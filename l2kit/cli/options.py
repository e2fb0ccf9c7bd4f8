"""click options several command modules share."""

from __future__ import annotations

from l2kit.cli.argspec import JSON, click_options

json_option = click_options(JSON)
