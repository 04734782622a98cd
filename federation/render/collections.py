"""Ordered collections and their pages.

A collection document carries `totalItems` and a link to its `first` page; pages link `next`
and `prev` with keyset cursors (`after=<row id>` / `before=<row id>`), so a page stays correct
while items arrive. Small collections (moderators) embed their items directly, as Lemmy does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from federation import ld

__all__ = ["page_url", "render_collection", "render_collection_page"]


def page_url(collection_id: str, *, after: str | None = None, before: str | None = None) -> str:
    """The canonical URL (and id) of a page: the first page, or the one after/before a row."""
    query: dict[str, str] = {"page": "true"}
    if after:
        query["after"] = after
    elif before:
        query["before"] = before
    return f"{collection_id}?{urlencode(query)}"


def render_collection(
    collection_id: str,
    *,
    total: int,
    items: Sequence[Any] | None = None,
    paged: bool = True,
) -> dict[str, Any]:
    """An OrderedCollection: with `items` embedded, or else (when `paged`) a `first` page link."""
    document: dict[str, Any] = {
        "@context": ld.CONTEXT,
        "id": collection_id,
        "type": "OrderedCollection",
        "totalItems": total,
    }
    if items is not None:
        document["orderedItems"] = list(items)
    elif paged:
        document["first"] = page_url(collection_id)
    else:
        document["orderedItems"] = []
    return document


def render_collection_page(
    page_id: str,
    *,
    collection_id: str,
    items: Sequence[Any],
    next_url: str | None,
    prev_url: str | None,
    total: int | None = None,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": ld.CONTEXT,
        "id": page_id,
        "type": "OrderedCollectionPage",
        "partOf": collection_id,
    }
    if total is not None:
        document["totalItems"] = total
    if next_url:
        document["next"] = next_url
    if prev_url:
        document["prev"] = prev_url
    document["orderedItems"] = list(items)
    return document
