"""Keyset pagination: a page of rows and an opaque cursor naming where the next page starts.

A cursor encodes the sort key of the last row shown, `(timestamp, id)`, so the next page is
"rows strictly older than that", which stays correct while new rows arrive (an OFFSET would
repeat or skip rows). Ids are ULIDs, unique, so the pair is a total order.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from server.services.errors import Invalid

T = TypeVar("T")
M = TypeVar("M", bound=Model)

EARLIEST_YEAR = 1970
BAD_CURSOR = "That page link is broken; start again from the first page."


@dataclass(frozen=True)
class Cursor:
    at: datetime
    id: str

    def encode(self) -> str:
        raw = f"{self.at.isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            at, _, row_id = raw.partition("|")
            moment = datetime.fromisoformat(at)
            # Years PostgreSQL cannot store (year 1 at +14:00 is year 0 in UTC) are no row's.
            in_range = moment.tzinfo is not None and moment.astimezone(UTC).year >= EARLIEST_YEAR
        except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError) as exc:
            raise Invalid({"cursor": BAD_CURSOR}) from exc
        if not in_range or not row_id or len(row_id) > 26 or not row_id.isalnum():
            raise Invalid({"cursor": BAD_CURSOR})
        return cls(moment, row_id)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None  # None on the last page


async def keyset_page(
    query: QuerySet[M],
    *,
    field: str,
    cursor: str | None,
    limit: int,
    key: Callable[[M], datetime],
) -> Page[M]:
    """Newest first by (`field`, id); `key` reads `field` from a row for the next cursor."""
    rows = await older_than(query, field, cursor).order_by(f"-{field}", "-id").limit(limit + 1)
    return page_of(list(rows), limit, key)


def older_than(query: QuerySet[M], field: str, cursor: str | None) -> QuerySet[M]:
    """The rows of `query` after the cursor's row, newest first by (`field`, id)."""
    if not cursor:
        return query
    after = Cursor.decode(cursor)
    older: dict[str, Any] = {f"{field}__lt": after.at}
    same_time_lower_id: dict[str, Any] = {field: after.at, "id__lt": after.id}
    return query.filter(Q(**older) | Q(**same_time_lower_id))


class Keyed(Protocol):
    """A row with an id (`pk`): a model, or a small record of one."""

    @property
    def pk(self) -> Any: ...


R = TypeVar("R", bound=Keyed)


def page_of(rows: list[R], limit: int, key: Callable[[R], datetime]) -> Page[R]:
    """A page of the first `limit` of `rows` (up to `limit + 1` of them, newest first)."""
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = Cursor(key(rows[-1]), str(rows[-1].pk)).encode() if more else None
    return Page(rows, next_cursor)
