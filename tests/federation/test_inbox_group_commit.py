"""Batched writes of the inbox's rows and signatures (federation/inbox/group_commit.py)."""

from __future__ import annotations

import asyncio

import pytest
from tortoise import Tortoise
from tortoise.transactions import in_transaction

from federation.inbox import _sqlite_batch
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
