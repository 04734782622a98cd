"""Raw SQL the ORM cannot say, written once for both databases: placeholders differ."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient

__all__ = ["Params", "connection", "is_postgres", "row_placeholders", "week_start"]


def connection() -> BaseDBAsyncClient:
    return Tortoise.get_connection("default")


def is_postgres(db: BaseDBAsyncClient) -> bool:
    return bool(db.capabilities.dialect == "postgres")


class Params:
    """Parameters of one statement, added in the order their placeholders stand in its text
    (SQLite's `?` are positional; PostgreSQL's `$n` are numbered here)."""

    def __init__(self, db: BaseDBAsyncClient) -> None:
        self.postgres = is_postgres(db)
        self.values: list[object] = []

    def __call__(self, value: object) -> str:
        self.values.append(value)
        return f"${len(self.values)}" if self.postgres else "?"


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
