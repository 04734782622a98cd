"""Kept SQL (`_prepared`): a query compiled once answers later runs with their own values."""

from __future__ import annotations

from typing import Any

import pytest
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from server.models import Post, utcnow
from server.services import _prepared
from tests.helpers import make_account, make_group, make_post, make_reply

pytestmark = pytest.mark.usefixtures("database")


def _replies(root_id: str) -> Any:
    return Post.filter(root_id=root_id).select_related("author").order_by("created_at", "id")


async def test_run__later_runs_get_their_own_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given two threads with different replies
    owner = await make_account("ada")
    group = await make_group(owner, "maths")
    first, second = await make_post(owner, group), await make_post(owner, group)
    one = await make_reply(owner, first, "one")
    two, three = await make_reply(owner, second, "two"), await make_reply(owner, second, "three")
    # When the same kept query runs for each (the SQL compiled once, at the first run)
    compiled: list[str] = []
    make_query = type(Post.filter()).__dict__["_make_query"]

    def counting(self: Any) -> None:
        compiled.append(self.model.__name__)
        make_query(self)

    monkeypatch.setattr(type(Post.filter()), "_make_query", counting)
    found_first = await _prepared.run("test replies", _replies, root_id=first.id)
    found_second = await _prepared.run("test replies", _replies, root_id=second.id)
    # Then each run has its own thread's replies, as models with their relations
    assert [reply.id for reply in found_first] == [one.id]
    assert [reply.id for reply in found_second] == [two.id, three.id]
    assert found_second[0].author.username == "ada"
    assert len(compiled) <= 1  # built once (none when an earlier test kept it)


async def test_run__counts_single_rows_and_value_lists() -> None:
    owner = await make_account("ada")
    group = await make_group(owner, "maths")
    post = await make_post(owner, group)
    await make_reply(owner, post, "one")
    count = await _prepared.run(
        "test count", lambda root_id: Post.filter(root_id=root_id).count(), root_id=post.id
    )
    single = await _prepared.run(
        "test single", lambda post_id: Post.filter(id=post_id).first(), post_id=post.id
    )
    missing = await _prepared.run(
        "test single", lambda post_id: Post.filter(id=post_id).first(), post_id="0" * 26
    )
    ids = await _prepared.run(
        "test ids",
        lambda group_id: Post.filter(group_id=group_id, parent_id__isnull=True).values_list(
            "id", flat=True
        ),
        group_id=group.id,
    )
    assert (count, single.id, missing, ids) == (1, post.id, None, [post.id])


async def test_run__reads_through_the_transaction_it_runs_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a kept query compiled outside any transaction, and a post written in a
    # transaction not yet committed
    owner = await make_account("ada")
    group = await make_group(owner, "maths")
    await _prepared.run("test by id", lambda post_id: Post.filter(id=post_id).first(), post_id="x")
    async with in_transaction() as connection:
        used: list[BaseDBAsyncClient] = []
        original = type(connection).execute_query

        async def recording(self: BaseDBAsyncClient, query: str, values: Any = None) -> Any:
            used.append(self)
            return await original(self, query, values)

        monkeypatch.setattr(type(connection), "execute_query", recording)
        post = await make_post(owner, group)
        used.clear()
        # When the kept query runs inside it
        found = await _prepared.run(
            "test by id", lambda post_id: Post.filter(id=post_id).first(), post_id=post.id
        )
        # Then it sees the row, through the transaction's connection
        assert found is not None and found.id == post.id
        assert used and all(client is connection for client in used)


async def test_run__refuses_an_argument_that_is_not_a_parameter() -> None:
    # A pattern made of the argument is not the argument: its SQL cannot be kept.
    with pytest.raises(ValueError, match="not passed as parameters"):
        await _prepared.run(
            "test pattern",
            lambda word: Post.filter(title__icontains=word),
            word="proof",
        )


async def test_run__refuses_a_time_fixed_in_the_shape() -> None:
    # A moment compiled into the kept SQL would stay the first run's moment for every later run.
    with pytest.raises(ValueError, match="date or time would be kept"):
        await _prepared.run(
            "test moment",
            lambda author: Post.filter(author_id=author, created_at__lt=utcnow()).count(),
            author="someone",
        )


async def test_statement__fills_the_values_of_each_run() -> None:
    sql, values = _prepared.statement(
        "test statement",
        lambda left, right: ("SELECT ? AS a, ? AS b, ? AS c", [left, 7, right]),
        left="x",
        right="y",
    )
    again = _prepared.statement(
        "test statement", lambda left, right: ("unused", []), left="p", right="q"
    )
    assert (values, again) == (["x", 7, "y"], (sql, ["p", 7, "q"]))
