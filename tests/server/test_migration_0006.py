"""Migration 0006 over a database that already holds posts: it creates the index for the
database at hand and fills it with the published posts, and nothing else."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest

from server.models import Post, PostState
from server.services import search
from tests.helpers import make_account, make_group, make_post, make_reply

pytestmark = pytest.mark.usefixtures("database")

migration = importlib.import_module("migrations.0006_search")


async def found(word: str) -> set[str]:
    page = await search.search(None, search.SearchQuery(text=word), language="english")
    return {hit.post.id for hit in page.posts}


async def test_migration_0006__backfills_the_posts_already_stored() -> None:
    # Given posts stored while nothing indexed them (no subscriber), one of them removed
    olga = await make_account("olga")
    group = await make_group(olga, "maths")
    question = await make_post(olga, group, kind="question", title="Eigenvalues", body="#linear")
    reply = await make_reply(olga, question, "Eigenvalues of a rotation are complex.")
    removed = await make_post(olga, group, title="Eigenvalues again")
    await Post.filter(id=removed.id).update(state=PostState.REMOVED)
    editor = SimpleNamespace(client=Post._meta.db)
    await migration.drop(None, editor)
    # When the migration runs
    await migration.create_and_fill(None, editor)
    # Then the published posts are found by their words and tags, and the removed one is not
    assert await found("eigenvalues") == {question.id, reply.id}
    assert await found("linear") == {question.id}
    _, rows = await Post._meta.db.execute_query("SELECT post_id FROM search_post")
    assert removed.id not in {
        row["post_id"] if not isinstance(row, tuple) else row[0] for row in rows
    }
