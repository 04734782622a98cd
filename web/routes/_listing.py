"""What the list pages of posts share: reading the cursor and building the "Older" link."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request

from server.services.errors import Invalid

T = TypeVar("T")

MAX_CURSOR_CHARS = 200


def cursor_of(request: Request) -> str | None:
    cursor = request.query_params.get("cursor", "")
    if len(cursor) > MAX_CURSOR_CHARS:
        raise HTTPException(400, "That page link is broken; start again from the first page.")
    return cursor or None


async def read_page(query: Awaitable[T]) -> T:
    """Await a paged query; a cursor the domain cannot read is a bad request (400)."""
    try:
        return await query
    except Invalid as exc:
        raise HTTPException(400, exc.message) from exc


def older_url(request: Request, next_cursor: str | None) -> str | None:
    """The current page's URL with the next cursor, keeping its other parameters."""
    if next_cursor is None:
        return None
    query = {key: value for key, value in request.query_params.items() if key != "cursor"}
    query["cursor"] = next_cursor
    return f"{request.url.path}?{urlencode(query)}"
