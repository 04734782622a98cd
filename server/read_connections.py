"""Read-only SQLite connections, so that reads need not queue behind each other.

Tortoise keeps one connection to a SQLite database and runs one statement at a time on it, so
concurrent searches wait for each other and for every write. SQLite in WAL mode (Tortoise's
default) lets readers run beside the writer, each on its own connection, and the sqlite3
module lets go of the GIL while a statement runs, so a few read-only connections (each with
its thread) let statements run on more than one core. A statement on one of them sees what
was committed when it starts: it is for reads that need not see a transaction under way.

`read_connection(db)` lends one for a statement or two; inside a transaction, on PostgreSQL (whose
Tortoise client is already a pool) and for an in-memory database it gives back `db` itself.
`server.db.close_database` closes them.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.sqlite.client import SqliteClient

__all__ = ["READERS", "close_readers", "read_connection"]

READERS = 4
"""Read-only connections per SQLite database (each has a thread and its own page cache)."""


class _Readers:
    """The read-only connections to one database file, lent first come, first served."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.opened: list[SqliteClient] = []
        self.idle: list[SqliteClient] = []
        # Waiters are handed a connection directly, in turn, so none waits behind newcomers.
        self.waiting: deque[asyncio.Future[SqliteClient]] = deque()

    async def take(self) -> SqliteClient:
        if self.idle:
            return self.idle.pop()
        if len(self.opened) < READERS:
            return await self._open()
        waiter: asyncio.Future[SqliteClient] = asyncio.get_running_loop().create_future()
        self.waiting.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.give_back(waiter.result())
            else:
                self.waiting.remove(waiter)
            raise

    def give_back(self, client: SqliteClient) -> None:
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_result(client)
                return
        self.idle.append(client)

    async def _open(self) -> SqliteClient:
        client = SqliteClient(
            self.filename,
            connection_name=f"reader{len(self.opened)}",
            journal_mode="WAL",
            query_only="ON",
        )
        self.opened.append(client)
        try:
            await client.create_connection(with_db=True)
        except BaseException:
            self.opened.remove(client)
            raise
        return client

    async def close(self) -> None:
        for client in self.opened:
            await client.close()
        self.opened.clear()
        self.idle.clear()


_readers: dict[str, _Readers] = {}


@asynccontextmanager
async def read_connection(db: BaseDBAsyncClient) -> AsyncIterator[BaseDBAsyncClient]:
    """A connection for read-only statements on the database of `db` (see the module)."""
    # A transaction's wrapper is a subclass of SqliteClient: it must keep its own connection.
    if type(db) is not SqliteClient or db.filename == ":memory:":
        yield db
        return
    readers = _readers.get(db.filename)
    if readers is None:
        readers = _readers[db.filename] = _Readers(db.filename)
    client = await readers.take()
    try:
        yield client
    finally:
        readers.give_back(client)


async def close_readers() -> None:
    """Close every read-only connection (when the database is closed)."""
    while _readers:
        _, readers = _readers.popitem()
        await readers.close()
