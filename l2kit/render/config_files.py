"""Daemon config files as Jinja templates (``templates/<component>/<file>.j2``).

A config file reads like the daemon's own file; the Python side only computes the values it
needs. ``StrictUndefined``: a template asking for a value that is not passed raises
:class:`RenderError`. Block tags sit on their own lines (``trim_blocks``, ``lstrip_blocks``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2

from l2kit import resources
from l2kit.errors import RenderError


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.templates_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(path: str, **context: Any) -> str:
    """``templates/<path>`` rendered with ``context``."""
    try:
        return _environment().get_template(path).render(**context)
    except jinja2.TemplateError as exc:
        raise RenderError(f"templates/{path}: {exc}") from exc
