"""Batched writes of the inbox's rows and signatures (federation/inbox/group_commit.py)."""

from __future__ import annotations

import asyncio

from federation.inbox.group_commit import DUPLICATE, REPLAYED, STORED, GroupCommit
from federation.inbox.replay import SeenSignatures
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
