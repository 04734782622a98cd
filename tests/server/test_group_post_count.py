"""A group's post count, and a thread's reply count, stay right when two posts are stored at the
same moment (the inbox worker handles unrelated rows side by side, and two workers share the
queue on PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest
from tortoise import Tortoise
from tortoise.transactions import in_transaction

from server.models import Group, Post, PostKind
from server.services.counts import recount_group, recount_replies
from tests.helpers import make_account, make_group, make_post

pytestmark = pytest.mark.usefixtures("database")

BOUND = 2000  # looks at PostgreSQL's waiting sessions, 5 ms apart: ten seconds at most


async def _someone_waits_for_a_lock() -> bool:
    connection = Tortoise.get_connection("default")
    for _ in range(BOUND):
        _, rows = await connection.execute_query(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        if rows[0][0]:
            return True
        await asyncio.sleep(0.005)
    return False


async def test_recount_group__two_posts_stored_at_once_are_both_counted() -> None:
    if Tortoise.get_connection("default").capabilities.dialect != "postgres":
        pytest.skip("PostgreSQL only: SQLite serialises writers")
    # Given a group
    ada = await make_account("ada")
    group = await make_group(ada, "physics")
    counted, release = asyncio.Event(), asyncio.Event()

    async def store(title: str, hold: bool) -> None:
        async with in_transaction():
            await Post.create(
                group_id=group.id, author_id=ada.actor_id, kind=PostKind.DISCUSSION, title=title
            )
            await recount_group(group)
            if hold:
                counted.set()
                await release.wait()

    # When a post is stored and counted, and a second one is stored and counted before the
    # first's transaction commits
    first = asyncio.create_task(store("first", hold=True))
    await counted.wait()
    second = asyncio.create_task(store("second", hold=False))
    assert await _someone_waits_for_a_lock()
    release.set()
    await asyncio.gather(first, second)
    # Then the group counts both
    assert (await Group.get(id=group.id)).post_count == 2


async def test_recount_replies__two_replies_stored_at_once_are_both_counted() -> None:
    if Tortoise.get_connection("default").capabilities.dialect != "postgres":
        pytest.skip("PostgreSQL only: SQLite serialises writers")
    # Given a thread
    ada = await make_account("ada")
    group = await make_group(ada, "physics")
    root = await make_post(ada, group)
    counted, release = asyncio.Event(), asyncio.Event()

    async def reply(hold: bool) -> None:
        async with in_transaction():
            await Post.create(
                group_id=group.id,
                author_id=ada.actor_id,
                kind=PostKind.DISCUSSION,
                parent_id=root.id,
                root_id=root.id,
            )
            await recount_replies(root.id)
            if hold:
                counted.set()
                await release.wait()

    # When a reply is stored and counted, and a second one is stored and counted before the
    # first's transaction commits
    first = asyncio.create_task(reply(hold=True))
    await counted.wait()
    second = asyncio.create_task(reply(hold=False))
    assert await _someone_waits_for_a_lock()
    release.set()
    await asyncio.gather(first, second)
    # Then the thread counts both
    assert (await Post.get(id=root.id)).reply_count == 2
