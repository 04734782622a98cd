"""One inbox batch on SQLite in one trip to its connection's thread.

Tortoise's SQLite client runs each statement in aiosqlite's thread, and each trip there and back
(a queue put, a thread switch, a wake-up of the event loop) costs more than the statement: a
batch through the ORM took six (commit, BEGIN, signatures, rows, their ids, COMMIT). Here the
whole transaction is one function run in that thread, holding the client's lock as any Tortoise
query does: `BEGIN IMMEDIATE`, the expired signatures deleted when due, the batch's signatures
inserted unless present (`RETURNING` the new ones), the rows whose signature was new inserted
unless their id is stored (`RETURNING` the stored ones), `COMMIT`; a `ROLLBACK` on any failure.
It needs SQLite 3.35 (RETURNING) and a connection outside a transaction: `usable` says so.

Each statement's step hands the GIL back and forth with the event loop's thread, which is busy
with other requests (and `RETURNING` steps once per row): so the batch is first written without
`RETURNING`, and when every signature and every row went in, as they almost always do, the
counts say all. Only when one did not (a replay, a duplicate) is the transaction rolled back and
written again with `RETURNING`, to learn which. With `turns`, the transaction is written in the
writer's turn among the processes sharing the file (`_write_turns`).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.backends.sqlite.client import SqliteClient
from tortoise.exceptions import IntegrityError, OperationalError

from federation.inbox._write_turns import WriteTurns

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
    turns: WriteTurns | None = None,
) -> tuple[set[str], set[str]]:
    """(the signatures that were new, the ids of the rows stored), in one transaction."""
    assert isinstance(connection, SqliteClient)
    try:
        async with connection.acquire_connection() as thread:
            # aiosqlite's own way to run a function in its thread (`execute` and `commit` use it)
            return await thread._execute(  # type: ignore[no-any-return]
                _run, thread._conn, table, columns, rows, expires_at, sweep_before, turns
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
    turns: WriteTurns | None,
) -> tuple[set[str], set[str]]:
    with turns.turn() if turns is not None else contextlib.nullcontext():
        written = _transaction(db, table, columns, rows, expires_at, sweep_before, False)
        if written is None:  # something was there already: again, learning what
            written = _transaction(db, table, columns, rows, expires_at, sweep_before, True)
    assert written is not None
    return written


def _transaction(
    db: sqlite3.Connection,
    table: str,
    columns: Sequence[str],
    rows: Batch,
    expires_at: datetime,
    sweep_before: datetime | None,
    returning: bool,
) -> tuple[set[str], set[str]] | None:
    """Without `returning`: None (rolled back) unless every signature and row was new."""
    db.execute("BEGIN IMMEDIATE")
    try:
        if sweep_before is not None:
            db.execute('DELETE FROM "seen_signature" WHERE "expires_at" < ?', [sweep_before])
        keys = list(dict.fromkeys(key for key, _ in rows if key is not None))
        fresh = _insert(
            db,
            'INSERT INTO "seen_signature" ("key", "expires_at") VALUES {} '
            'ON CONFLICT DO NOTHING RETURNING "key"',
            "(?, ?)",
            [(key, (key, expires_at)) for key in keys],
            returning,
        )
        if fresh is None:
            db.execute("ROLLBACK")
            return None
        kept: list[tuple[str, Sequence[Any]]] = []
        taken: set[str] = set()
        identity = list(columns).index("id")
        for key, values in rows:
            if key is None:
                kept.append((str(values[identity]), values))
            elif key in fresh and key not in taken:  # a signature twice: its first row only
                taken.add(key)
                kept.append((str(values[identity]), values))
        names = ", ".join(f'"{column}"' for column in columns)
        stored = _insert(
            db,
            f'INSERT INTO "{table}" ({names}) VALUES {{}} '  # noqa: S608 (names of the model)
            'ON CONFLICT DO NOTHING RETURNING "id"',
            "(" + ", ".join(["?"] * len(columns)) + ")",
            kept,
            returning,
        )
        if stored is None:
            db.execute("ROLLBACK")
            return None
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return fresh, stored


def _insert(
    db: sqlite3.Connection,
    statement: str,
    one: str,
    entries: Sequence[tuple[str, Sequence[Any]]],
    returning: bool,
) -> set[str] | None:
    """Insert each entry's values (`statement`'s `{}`: the rows' placeholders, `one` each),
    `CHUNK` at a time; the keys of those inserted. Without `returning`, the statement is cut
    before its `RETURNING` and the answer is None when any entry was skipped."""
    if not returning:
        statement = statement[: statement.index(" RETURNING ")]
    inserted: set[str] = set()
    for start in range(0, len(entries), CHUNK):
        chunk = entries[start : start + CHUNK]
        cursor = db.execute(
            statement.format(", ".join([one] * len(chunk))),  # only placeholders go in
            [value for _, values in chunk for value in values],
        )
        if returning:
            inserted.update(str(row[0]) for row in cursor.fetchall())
        elif cursor.rowcount == len(chunk):
            inserted.update(key for key, _ in chunk)
        else:
            return None
    return inserted
