"""babylond: planned in a later step."""

from __future__ import annotations

from l2kit.config import StackSpec
from l2kit.render.values import StackBuilder


def plan(stack: StackSpec, sb: StackBuilder) -> None:
    return None
