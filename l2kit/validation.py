"""pydantic ``ValidationError`` → ``path.to.field: rule`` lines, worded the same for every input
file a user writes (the stack spec, the monitor fleet file)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError

ROOT = "<root>"  # the path of a problem with the document as a whole


def error_lines(exc: ValidationError, prefix: str = "") -> list[str]:
    """One ``[prefix: ]path: rule`` line per pydantic error."""
    lines = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"]) or ROOT
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":  # keep pydantic's words, lead with the plain ones
            msg = f"unknown field ({msg})"
        lines.append(f"{prefix}{path}: {msg}")
    return lines
