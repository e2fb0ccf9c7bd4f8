"""Shared pieces of the Babylon REST (gRPC-gateway) probes: lenient models and pagination.

Lists are paginated oldest-first; ``pagination.next_key`` (base64) is followed, at most
``MAX_PAGES`` times, so a looping ``next_key`` cannot hang a poll.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ConfigDict

from l2kit.monitor.http import Session

MAX_PAGES = 50


class Lenient(BaseModel):
    """A response model that ignores fields added by later releases (see fixtures README §6)."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Pagination(Lenient):
    next_key: str | None = None


class Paged(Lenient):
    pagination: Pagination | None = None


P = TypeVar("P", bound=Paged)


async def pages(
    session: Session, url: str, model: type[P], query: dict[str, str] | None = None
) -> list[P]:
    """Every page of a list query (bounded by ``MAX_PAGES``)."""
    found: list[P] = []
    base = dict(query or {})
    params = dict(base)
    for _ in range(MAX_PAGES):
        page = await session.get_model(model, url, params or None)
        found.append(page)
        key = page.pagination.next_key if page.pagination else None
        if not key:
            break
        params = {**base, "pagination.key": key}
    return found
