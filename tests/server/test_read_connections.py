"""Read-only connections for reads beside the writer (SQLite), and Tortoise's own otherwise."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from tortoise.exceptions import OperationalError
from tortoise.transactions import in_transaction

from server import read_connections
from server.models import Post
from server.read_connections import READERS, read_connection
from tests.conftest import BACKEND

pytestmark = pytest.mark.usefixtures("database")

sqlite_only = pytest.mark.skipif(BACKEND != "sqlite", reason="PostgreSQL has its own pool")


async def settle(done: Callable[[], bool]) -> None:
    """Let the other tasks run until `done()` holds (a bounded number of turns)."""
    for _ in range(10_000):
        if done():
            return
        await asyncio.sleep(0)
    raise AssertionError("the tasks never got there")


@sqlite_only
async def test_read_connection__is_a_read_only_connection_of_its_own() -> None:
    db = Post._meta.db
    async with read_connection(db) as reader:
        assert reader is not db
        assert reader.filename == db.filename  # type: ignore[attr-defined]
        _, rows = await reader.execute_query("SELECT count(*) AS n FROM post")
        assert rows[0]["n"] == 0
        with pytest.raises(OperationalError, match="readonly"):
            await reader.execute_query("DELETE FROM post")


@sqlite_only
async def test_read_connection__sees_what_was_committed() -> None:
    db = Post._meta.db
    await db.execute_query("CREATE TABLE scratch (n INTEGER)")
    await db.execute_query("INSERT INTO scratch VALUES (7)")
    async with read_connection(db) as reader:
        _, rows = await reader.execute_query("SELECT n FROM scratch")
    assert [row["n"] for row in rows] == [7]


async def test_read_connection__inside_a_transaction_is_the_transaction() -> None:
    async with in_transaction() as transaction, read_connection(transaction) as reader:
        assert reader is transaction


@pytest.mark.skipif(BACKEND != "postgres", reason="PostgreSQL only")
async def test_read_connection__on_postgres_is_tortoises_pool() -> None:
    db = Post._meta.db
    async with read_connection(db) as reader:
        assert reader is db


@sqlite_only
async def test_read_connection__lends_at_most_readers_and_serves_waiters_in_turn() -> None:
    db = Post._meta.db
    lent: list[object] = []
    release = asyncio.Event()
    served: list[int] = []

    async def borrow(number: int) -> None:
        async with read_connection(db) as reader:
            lent.append(reader)
            served.append(number)
            await release.wait()

    holders = [asyncio.create_task(borrow(n)) for n in range(READERS)]
    await settle(lambda: len(lent) == READERS)
    waiters = []
    for n in range(3):  # each one waiting before the next comes
        waiters.append(asyncio.create_task(borrow(READERS + n)))
        await settle(lambda: len(read_connections._readers[db.filename].waiting) == len(waiters))  # type: ignore[attr-defined]
    # All connections are out: the next ones wait, and no new connection is opened
    assert len(set(map(id, lent))) == READERS and len(served) == READERS
    release.set()
    await asyncio.gather(*holders, *waiters)
    assert served[READERS:] == [READERS, READERS + 1, READERS + 2]
    assert len(set(map(id, lent))) == READERS


@sqlite_only
async def test_read_connection__a_cancelled_waiter_gives_its_turn_away() -> None:
    db = Post._meta.db
    release = asyncio.Event()

    async def hold() -> None:
        async with read_connection(db):
            await release.wait()

    holders = [asyncio.create_task(hold()) for _ in range(READERS)]
    await settle(lambda: db.filename in read_connections._readers)  # type: ignore[attr-defined]
    readers = read_connections._readers[db.filename]  # type: ignore[attr-defined]
    await settle(lambda: len(readers.opened) == READERS and not readers.idle)
    cancelled = asyncio.create_task(hold())
    await settle(lambda: len(readers.waiting) == 1)
    cancelled.cancel()
    release.set()
    await asyncio.gather(*holders)
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    # Every connection came back, none is promised to the cancelled task
    assert len(readers.idle) == READERS and not readers.waiting


@sqlite_only
async def test_close_readers__closes_every_connection() -> None:
    db = Post._meta.db
    async with read_connection(db) as reader:
        pass
    assert read_connections._readers
    await read_connections.close_readers()
    assert not read_connections._readers
    assert reader._connection is None  # type: ignore[attr-defined]
