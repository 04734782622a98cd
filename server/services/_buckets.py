"""Counting rows per UTC day or hour, in SQL, the same way on SQLite and PostgreSQL.

The database groups rows by a text key of their bucket (`2026-11-23` or `2026-11-23 17`); the
series is then filled in here, so buckets without rows count 0 and every series has its full
length. Only the key expression differs between the two databases.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from tortoise import Tortoise
from tortoise.expressions import RawSQL
from tortoise.functions import Count
from tortoise.queryset import QuerySet

Unit = Literal["day", "hour"]

_STEP = {"day": timedelta(days=1), "hour": timedelta(hours=1)}
_PYTHON_FORMAT = {"day": "%Y-%m-%d", "hour": "%Y-%m-%d %H"}
_SQLITE_FORMAT = {"day": "%Y-%m-%d", "hour": "%Y-%m-%d %H"}
_POSTGRES_FORMAT = {"day": "YYYY-MM-DD", "hour": "YYYY-MM-DD HH24"}


@dataclass(frozen=True)
class Point:
    start: datetime  # the bucket's first moment, UTC
    count: int


def bucket_starts(unit: Unit, count: int, now: datetime) -> list[datetime]:
    """The last `count` buckets, oldest first; the current (unfinished) one is the last."""
    current = now.replace(minute=0, second=0, microsecond=0)
    if unit == "day":
        current = current.replace(hour=0)
    return [current - _STEP[unit] * back for back in range(count - 1, -1, -1)]


def bucket_key(start: datetime, unit: Unit) -> str:
    return start.strftime(_PYTHON_FORMAT[unit])


def bucket_sql(table: str, column: str, unit: Unit) -> RawSQL:
    """The SQL expression giving a row's bucket key (the column's UTC day or hour)."""
    qualified = f'"{table}"."{column}"'
    if Tortoise.get_connection("default").capabilities.dialect == "postgres":
        return RawSQL(f"to_char({qualified} AT TIME ZONE 'UTC', '{_POSTGRES_FORMAT[unit]}')")
    # SQLite keeps datetimes as ISO text with an offset; strftime reads the offset (UTC here).
    return RawSQL(f"strftime('{_SQLITE_FORMAT[unit]}', {qualified})")


async def count_per_bucket(
    query: QuerySet[Any], table: str, column: str, unit: Unit, count: int, now: datetime
) -> list[Point]:
    """How many rows of `query` fall in each of the last `count` buckets of `column`."""
    starts = bucket_starts(unit, count, now)
    rows = (
        await query.filter(**{f"{column}__gte": starts[0]})
        .annotate(bucket=bucket_sql(table, column, unit), n=Count("id"))
        .group_by("bucket")
        .values_list("bucket", "n")
    )
    return fill(starts, unit, ((str(key), int(n)) for key, n in rows))


def fill(starts: list[datetime], unit: Unit, counts: Iterable[tuple[str, int]]) -> list[Point]:
    """One point per bucket start, taking its count from `counts` (key -> n), else 0."""
    by_key: dict[str, int] = {}
    for key, n in counts:
        by_key[key] = by_key.get(key, 0) + n
    return [Point(start, by_key.get(bucket_key(start, unit), 0)) for start in starts]
