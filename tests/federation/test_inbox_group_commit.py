"""Batched writes of the inbox's rows and signatures (federation/inbox/group_commit.py)."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tortoise import Tortoise
from tortoise.transactions import in_transaction

from federation.inbox import _sqlite_batch, _write_turns
from federation.inbox.group_commit import (
    DUPLICATE,
    REPLAYED,
    STORED,
    GroupCommit,
    NewActivity,
    _columns,
)
from federation.inbox.replay import SeenSignatures
from federation.rows import column_values
from server.models import InboxActivity, SeenSignature, inbox_dedup_key

SENDER = "https://remote.example:443"


def _row(n: int) -> InboxActivity:
    ap_id = f"https://remote.example/users/bob/activities/{n}"
    return InboxActivity(
        ap_id=ap_id,
        origin=SENDER,
        dedup_key=inbox_dedup_key(SENDER, ap_id),
        actor_ap_id="https://remote.example/users/bob",
        activity_type="Like",
        payload="{}",
    )


async def test_group_commit__requests_at_once_share_a_batch(database: None) -> None:
    # Given five requests arriving together, two of them carrying the same signature and two
    # the same id
    writer = GroupCommit(SeenSignatures(3600))
    outcomes = await asyncio.gather(
        writer.insert(_row(1), "a" * 64),
        writer.insert(_row(2), "b" * 64),
        writer.insert(_row(3), "b" * 64),
        writer.insert(_row(4), "c" * 64),
        writer.insert(_row(4), "d" * 64),
    )
    # Then each is told its own fate
    assert outcomes == [STORED, STORED, REPLAYED, STORED, DUPLICATE]
    assert await InboxActivity.all().count() == 3
    assert await SeenSignature.all().count() == 4


async def test_group_commit__a_signature_seen_in_an_earlier_batch_is_a_replay(
    database: None,
) -> None:
    writer = GroupCommit(SeenSignatures(3600))
    assert await writer.insert(_row(1), "a" * 64) == STORED
    # When another process (another writer) sees the same signature later
    other = GroupCommit(SeenSignatures(3600))
    assert await other.insert(_row(2), "a" * 64) == REPLAYED
    assert not await InboxActivity.filter(ap_id=_row(2).ap_id).exists()


async def test_group_commit__unsigned_rows_are_only_deduplicated(database: None) -> None:
    writer = GroupCommit(SeenSignatures(3600))
    assert await writer.insert(_row(1)) == STORED
    assert await writer.insert(_row(1)) == DUPLICATE


async def test_group_commit__a_new_activity_is_stored_with_the_models_defaults(
    database: None,
) -> None:
    # Given a received activity as the inbox hands it over (no model built)
    ap_id = "https://remote.example/users/bob/activities/new"
    new = NewActivity(
        ap_id=ap_id,
        origin=SENDER,
        dedup_key=inbox_dedup_key(SENDER, ap_id),
        actor_ap_id="https://remote.example/users/bob",
        activity_type="Like",
        payload='{"type": "Like"}',
    )
    # When it is written
    outcomes = [await GroupCommit(SeenSignatures(3600)).insert(new, "e" * 64)]
    # Then it is stored under its id, every other column as the model makes it
    assert outcomes == [STORED]
    stored = await InboxActivity.get(id=new.id)
    model = _row(0)
    for name in ("processed_at", "attempts", "lease_until", "error", "dead_at"):
        assert getattr(stored, name) == getattr(model, name), name
    assert (stored.ap_id, stored.payload, stored.dedup_key) == (ap_id, new.payload, new.dedup_key)
    assert stored.created_at is not None


def test_group_commit__a_new_activity_sets_every_column_of_the_model() -> None:
    # The columns written for a NewActivity are exactly the model's (a column added to the
    # model and not to the defaults fails here)
    new = NewActivity("https://r.example/a", SENDER, "k" * 64, "https://r.example/u", "Like", "{}")
    assert set(_columns(new)) == set(column_values(_row(0)))


async def test_group_commit__on_sqlite_a_batch_is_one_trip_outside_transactions(
    database: None,
) -> None:
    # Given the process's own SQLite client (PostgreSQL writes a batch as one statement)
    connection = Tortoise.get_connection("default")
    if connection.capabilities.dialect != "sqlite":
        pytest.skip("SQLite only")
    # Then batches take the one-trip path, except inside a transaction, where they cannot
    # begin their own
    assert _sqlite_batch.usable(connection)
    async with in_transaction() as inside:
        assert not _sqlite_batch.usable(inside)
        assert await GroupCommit(SeenSignatures(3600)).insert(_row(7), "f" * 64) == STORED
    assert await InboxActivity.filter(ap_id=_row(7).ap_id).exists()


def _sqlite_file() -> str:
    connection = Tortoise.get_connection("default")
    if connection.capabilities.dialect != "sqlite":
        pytest.skip("SQLite only")
    return str(connection.filename)  # type: ignore[attr-defined]


async def test_group_commit__on_sqlite_new_rows_are_written_without_returning(
    database: None,
) -> None:
    # Given a batch whose signatures and rows are all new, the usual case
    _sqlite_file()
    sent: list[str] = []
    connection = Tortoise.get_connection("default")
    async with connection.acquire_connection() as thread:  # type: ignore[attr-defined]
        await thread.set_trace_callback(sent.append)
    try:
        writer = GroupCommit(SeenSignatures(3600))
        outcomes = await asyncio.gather(*(writer.insert(_row(n), f"{n}" * 64) for n in range(3)))
    finally:
        async with connection.acquire_connection() as thread:  # type: ignore[attr-defined]
            await thread.set_trace_callback(None)
    # Then each is stored, and the counts said so: no statement stepped through RETURNING rows
    assert outcomes == [STORED, STORED, STORED]
    inserts = [s for s in sent if s.startswith("INSERT")]
    assert inserts and not any("RETURNING" in s for s in inserts)
    assert await InboxActivity.all().count() == 3


async def test_group_commit__on_sqlite_a_batch_is_written_in_its_turn(database: None) -> None:
    # Given the lock file the web processes take turns on
    path = _write_turns.lock_path(_sqlite_file())
    assert path is not None
    held_while_writing: list[bool] = []
    turns = _write_turns.WriteTurns(path)
    real_turn = turns.turn

    @contextlib.contextmanager
    def watched_turn() -> Iterator[None]:
        with real_turn():
            held_while_writing.append(_held_by_another(path))
            yield

    turns.turn = watched_turn  # type: ignore[method-assign]
    writer = GroupCommit(SeenSignatures(3600))
    writer._turns_file = turns
    # When a batch is written
    assert await writer.insert(_row(1), "a" * 64) == STORED
    # Then it was written holding the lock, given back afterwards
    assert held_while_writing == [True]
    assert not _held_by_another(path)


def test_write_turns__one_writer_at_a_time(tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite3-inbox.lock")
    first = _write_turns.WriteTurns(path)
    with first.turn():
        assert _held_by_another(path)
    assert not _held_by_another(path)


def test_write_turns__no_lock_for_a_database_in_memory() -> None:
    assert _write_turns.lock_path(":memory:") is None
    assert _write_turns.lock_path("file:x?mode=memory&cache=shared") is None
    assert _write_turns.lock_path("/data/lyceum.sqlite3") == "/data/lyceum.sqlite3-inbox.lock"


def _held_by_another(path: str) -> bool:
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing the descriptor lets go of a lock taken here
    return False
