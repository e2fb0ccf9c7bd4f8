"""Find the shipped templates/, charts/ and regtest/ folders.

In a wheel they live in ``l2kit/_shipped/``; in a source checkout (editable install)
at the repository root.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PACKAGE / "_shipped" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"l2kit is missing its shipped folder {name!r}")


def templates_dir() -> Path:
    return _find("templates")


def chart_dir() -> Path:
    return _find("charts") / "l2kit"


def regtest_dir() -> Path:
    return _find("regtest")
