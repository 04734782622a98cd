"""One inbox batch on SQLite in one trip to its connection's thread.

Tortoise's SQLite client runs each statement in aiosqlite's thread, and each trip there and back
(a queue put, a thread switch, a wake-up of the event loop) costs more than the statement: a
batch through the ORM took six (commit, BEGIN, signatures, rows, their ids, COMMIT). Here the
whole transaction is one function run in that thread, holding the client's lock as any Tortoise
query does: `BEGIN IMMEDIATE`, the expired signatures deleted when due, the batch's signatures
inserted unless present (`RETURNING` the new ones), the rows whose signature was new inserted
unless their id is stored (`RETURNING` the stored ones), `COMMIT`; a `ROLLBACK` on any failure.
It needs SQLite 3.35 (RETURNING) and a connection outside a transaction: `usable` says so.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.backends.sqlite.client import SqliteClient
from tortoise.exceptions import IntegrityError, OperationalError

__all__ = ["Batch", "usable", "write_batch"]

# At most this many rows (or signatures) a statement: far below SQLite's 32,766 parameters.
CHUNK: Final = 500
_HAS_RETURNING: Final = sqlite3.sqlite_version_info >= (3, 35)

# Each row's column values, in `columns` order, with the signature that brought it (or None).
Batch = list[tuple[str | None, Sequence[Any]]]


def usable(connection: BaseDBAsyncClient) -> bool:
    """The process's own SQLite client, outside any transaction, on an SQLite with RETURNING."""
    return (
        _HAS_RETURNING
        and isinstance(connection, SqliteClient)
        and not isinstance(connection, TransactionalDBClient)
    )


async def write_batch(
    connection: BaseDBAsyncClient,
    table: str,
    columns: Sequence[str],
    rows: Batch,
    expires_at: datetime,
    sweep_before: datetime | None,
) -> tuple[set[str], set[str]]:
    """(the signatures that were new, the ids of the rows stored), in one transaction."""
    assert isinstance(connection, SqliteClient)
    try:
        async with connection.acquire_connection() as thread:
            # aiosqlite's own way to run a function in its thread (`execute` and `commit` use it)
            return await thread._execute(  # type: ignore[no-any-return]
                _run, thread._conn, table, columns, rows, expires_at, sweep_before
            )
    except sqlite3.IntegrityError as error:  # as Tortoise's client translates them
        raise IntegrityError(error) from error
    except sqlite3.OperationalError as error:
        raise OperationalError(error) from error


def _run(
    db: sqlite3.Connection,
    table: str,
    columns: Sequence[str],
    rows: Batch,
    expires_at: datetime,
    sweep_before: datetime | None,
) -> tuple[set[str], set[str]]:
    db.execute("BEGIN IMMEDIATE")
    try:
        if sweep_before is not None:
            db.execute('DELETE FROM "seen_signature" WHERE "expires_at" < ?', [sweep_before])
        keys = list(dict.fromkeys(key for key, _ in rows if key is not None))
        fresh: set[str] = set()
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            placeholders = ", ".join(["(?, ?)"] * len(chunk))  # only placeholders are joined
            found = db.execute(
                f'INSERT INTO "seen_signature" ("key", "expires_at") VALUES {placeholders}'  # noqa: S608
                ' ON CONFLICT DO NOTHING RETURNING "key"',
                [value for key in chunk for value in (key, expires_at)],
            ).fetchall()
            fresh.update(str(row[0]) for row in found)
        kept: list[Sequence[Any]] = []
        taken: set[str] = set()
        for key, values in rows:
            if key is None:
                kept.append(values)
            elif key in fresh and key not in taken:  # a signature twice: its first row only
                taken.add(key)
                kept.append(values)
        names = ", ".join(f'"{column}"' for column in columns)
        one = "(" + ", ".join(["?"] * len(columns)) + ")"
        stored: set[str] = set()
        for start in range(0, len(kept), CHUNK):
            rows_chunk = kept[start : start + CHUNK]
            placeholders = ", ".join([one] * len(rows_chunk))  # names come from the model
            found = db.execute(
                f'INSERT INTO "{table}" ({names}) VALUES {placeholders}'  # noqa: S608
                ' ON CONFLICT DO NOTHING RETURNING "id"',
                [value for values in rows_chunk for value in values],
            ).fetchall()
            stored.update(str(row[0]) for row in found)
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return fresh, stored
