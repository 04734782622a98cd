"""The pages' hot queries use an index on the post table, on both databases.

Each test runs a reader the way a page does, records the SELECTs it sends, and asks the
database how it would run each one (`EXPLAIN QUERY PLAN` on SQLite; `EXPLAIN` with sequential
scans priced out on PostgreSQL, whose planner would otherwise scan these small tables). A
dropped or mismatched index turns a plan into a full scan of `post`, and the test names it.

The newest-first lists that stop after a page (front page, group page, home, outbox) must also
read their rows in order from an index, not sort every matching row: there a missing index
shows as SQLite's "USE TEMP B-TREE FOR ORDER BY" or, with sorting priced out too, as a
PostgreSQL `Sort` node (an `Incremental Sort` of rows that come presorted is fine).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import httpx
import pytest
from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient

from server.models import Post
from server.services import feeds, front_page, notifications
from tests.conftest import BACKEND
from tests.helpers import join_as_member, make_account, make_group, make_post, make_reply

pytestmark = pytest.mark.usefixtures("database")

SQLITE_FULL_SCAN = re.compile(r"^SCAN post\b(?! USING (COVERING )?INDEX)")
SQLITE_SORT = re.compile(r"^USE TEMP B-TREE FOR ORDER BY")
POSTGRES_SORT = re.compile(r"^\s*(->\s*)?Sort  \(", re.MULTILINE)


@asynccontextmanager
async def recorded_selects(
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[list[tuple[str, list[Any]]]]:
    """The SELECTs on `post` sent inside the block, with their parameters."""
    seen: list[tuple[str, list[Any]]] = []
    connection = Tortoise.get_connection("default")
    original = type(connection).execute_query

    async def recording(self: BaseDBAsyncClient, query: str, values: Any = None) -> Any:
        if query.lstrip().upper().startswith("SELECT") and '"post"' in query:
            seen.append((query, list(values or [])))
        return await original(self, query, values)

    monkeypatch.setattr(type(connection), "execute_query", recording)
    yield seen
    monkeypatch.setattr(type(connection), "execute_query", original)


async def full_scans_of_post(
    queries: list[tuple[str, list[Any]]], *, ordered: bool = False, merged: bool = False
) -> list[str]:
    """The queries whose plan reads every row of `post` (with `ordered`, or sorts the rows).

    With `merged`, a PostgreSQL statement may end in one sort of the rows it read in order
    (/home's: the newest few of each group, merged): the Sort right under the Limit at its top.
    """
    connection = Tortoise.get_connection("default")
    scanning = []
    for query, values in queries:
        if BACKEND == "postgres":
            async with connection._in_transaction() as transaction:
                await transaction.execute_script("SET LOCAL enable_seqscan = off")
                if ordered:
                    await transaction.execute_script("SET LOCAL enable_sort = off")
                _, rows = await transaction.execute_query(f"EXPLAIN {query}", values)
            lines = [str(row["QUERY PLAN"]) for row in rows]
            plan = "\n".join(lines)
            if merged and lines[0].startswith("Limit ") and POSTGRES_SORT.match(lines[1]):
                lines = lines[2:]
            sorting = ordered and POSTGRES_SORT.search("\n".join(lines))
            if re.search(r"Seq Scan on post\b", plan) or sorting:
                scanning.append(f"{query}\n{plan}")
        else:
            _, rows = await connection.execute_query(f"EXPLAIN QUERY PLAN {query}", values)
            details = [str(row["detail"]) for row in rows]
            if any(SQLITE_FULL_SCAN.search(detail) for detail in details) or (
                ordered and any(SQLITE_SORT.search(detail) for detail in details)
            ):
                scanning.append(f"{query}\n" + "\n".join(details))
    return scanning


async def plans_of(
    monkeypatch: pytest.MonkeyPatch,
    read: Callable[[], Awaitable[object]],
    *,
    ordered: bool = False,
    merged: bool = False,
) -> list[str]:
    async with recorded_selects(monkeypatch) as queries:
        await read()
    assert queries, "the reader sent no query on post"
    return await full_scans_of_post(queries, ordered=ordered, merged=merged)


async def world() -> tuple[Any, Any, Post]:
    olga = await make_account("olga")
    member = await make_account("member")
    group = await make_group(olga, "maths")
    await join_as_member(group, member)
    question = await make_post(member, group, kind="question", title="Why #primes")
    await make_reply(olga, question)
    return member, group, question


async def test_group_page_threads__use_an_index(monkeypatch: pytest.MonkeyPatch) -> None:
    _, group, _ = await world()
    assert await plans_of(monkeypatch, lambda: feeds.list_threads(group), ordered=True) == []
    assert await plans_of(monkeypatch, lambda: feeds.list_threads(group, unanswered=True)) == []


async def test_group_page_pinned_threads__read_in_order_from_an_index(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, group, _ = await world()
    assert await plans_of(monkeypatch, lambda: feeds.pinned_threads(group), ordered=True) == []


async def test_front_page__lists_read_in_order_from_an_index(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    member, _, _ = await world()
    for viewer in (None, member):
        for read in (front_page.recently_answered, front_page.new_resources):
            assert await plans_of(monkeypatch, partial(read, viewer), ordered=True) == []


async def test_group_outbox_pages__read_in_order_from_an_index(
    monkeypatch: pytest.MonkeyPatch, client: httpx.AsyncClient
) -> None:
    await world()
    headers = {"Accept": "application/activity+json"}

    async def read() -> None:
        assert (await client.get("/g/maths/outbox?page=true", headers=headers)).status_code == 200

    assert await plans_of(monkeypatch, read, ordered=True) == []


async def test_thread_page__uses_an_index(monkeypatch: pytest.MonkeyPatch) -> None:
    _, _, question = await world()
    assert await plans_of(monkeypatch, lambda: feeds.thread(question)) == []


async def test_home_feed__uses_an_index(monkeypatch: pytest.MonkeyPatch) -> None:
    member, _, _ = await world()
    home = partial(feeds.home_feed, member)
    assert await plans_of(monkeypatch, home, ordered=True, merged=True) == []


@pytest.mark.skipif(
    BACKEND != "sqlite", reason="PostgreSQL reads /home's candidates in its LATERAL statement"
)
async def test_home_feed__candidates_read_from_the_index_alone_on_sqlite(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each group's newest threads, (last activity, id), come from a covering index: with `id`
    left out of it, every row read there is looked up again in the table (0013)."""
    member, _, _ = await world()
    async with recorded_selects(monkeypatch) as queries:
        await feeds.home_feed(member)
    candidates = [(query, values) for query, values in queries if '"last_activity_at" "0"' in query]
    assert len(candidates) == 1, queries
    query, values = candidates[0]
    _, rows = await Tortoise.get_connection("default").execute_query(
        f"EXPLAIN QUERY PLAN {query}", values
    )
    reads = [str(row["detail"]) for row in rows if " post " in f"{row['detail']} "]
    assert reads, rows
    assert all(" USING COVERING INDEX " in read for read in reads), reads


async def test_resource_library__uses_an_index(monkeypatch: pytest.MonkeyPatch) -> None:
    _, group, _ = await world()
    assert await plans_of(monkeypatch, lambda: feeds.resource_library(group)) == []


async def test_notifications__use_an_index(monkeypatch: pytest.MonkeyPatch) -> None:
    member, _, _ = await world()
    assert await plans_of(monkeypatch, lambda: notifications.list_notifications(member)) == []


async def test_tag_page__uses_an_index(monkeypatch: pytest.MonkeyPatch) -> None:
    await world()
    assert await plans_of(monkeypatch, lambda: feeds.tag_feed("primes")) == []
