"""Raw SQL the ORM cannot say, written once for both databases: placeholders differ."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient

__all__ = ["connection", "is_postgres", "placeholders", "row_placeholders", "week_start"]


def connection() -> BaseDBAsyncClient:
    return Tortoise.get_connection("default")


def is_postgres(db: BaseDBAsyncClient) -> bool:
    return bool(db.capabilities.dialect == "postgres")


def placeholders(db: BaseDBAsyncClient, first: int, count: int) -> list[str]:
    """`count` placeholders, numbered from `first` (1-based) on PostgreSQL."""
    if is_postgres(db):
        return [f"${first + n}" for n in range(count)]
    return ["?"] * count


def row_placeholders(db: BaseDBAsyncClient, rows: int, width: int) -> str:
    """`(?, ?), (?, ?)` on SQLite, `($1, $2), ($3, $4)` on PostgreSQL: only placeholders are
    ever joined into SQL text, never values."""
    if is_postgres(db):
        groups = (
            "(" + ", ".join(f"${row * width + col + 1}" for col in range(width)) + ")"
            for row in range(rows)
        )
    else:
        groups = ("(" + ", ".join(["?"] * width) + ")" for _ in range(rows))
    return ", ".join(groups)


def week_start(day: date | datetime) -> date:
    """The Monday of the (ISO, UTC) week holding `day`."""
    plain = day.date() if isinstance(day, datetime) else day
    return plain - timedelta(days=plain.weekday())
