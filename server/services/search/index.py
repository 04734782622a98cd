"""Keeping the search index in step with posts, inside the transaction of each change.

`register` subscribes to the post events: a post created, edited, approved or restored is
(re)indexed; one deleted or removed leaves the index. Suspensions and domain blocks go through
`server.services._hiding`, which publishes `PostRemoved` / `PostRestored`, and posts that arrive
over federation go through the same services, so they are kept here too. Only published posts
are indexed; visibility is still decided at query time by the read policy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import nh3
from tortoise.backends.base.client import BaseDBAsyncClient

from server import events
from server.models import Post, PostHashtag, PostState
from server.services.search._backends import Document, backend_for

__all__ = ["backfill", "document_text", "drop_post", "index_post", "register"]

BACKFILL_BATCH = 500


def document_text(html: str) -> str:
    """The plain text of sanitised HTML, as indexed and as shown in snippets."""
    text = nh3.clean(html, tags=set())
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'")):
        text = text.replace(entity, char)
    return re.sub(r"\s+", " ", text.replace("&amp;", "&")).strip()


def _document(post_id: str, title: str, html: str, link: str, tags: list[str]) -> Document:
    return Document(post_id, title, document_text(html), " ".join(tags), link)


async def index_post(post_id: str, language: str) -> None:
    """Index the post as it now is (a post that is not published leaves the index)."""
    db = Post._meta.db
    post = await Post.get_or_none(id=post_id)
    backend = backend_for(db, language)
    if post is None or post.state != PostState.PUBLISHED:
        await backend.drop(db, post_id)
        return
    tags = await PostHashtag.filter(post_id=post_id).values_list("tag", flat=True)
    doc = _document(post.id, post.title, post.content_html, post.link_url, [str(t) for t in tags])
    await backend.put(db, doc)


async def index_stored(stored: Sequence[events.StoredPost], language: str) -> None:
    """`index_post` for posts just created, from what their publisher has in hand: the
    published ones written together."""
    db = Post._meta.db
    backend = backend_for(db, language)
    docs = []
    for item in stored:
        post = item.post
        if post.state != PostState.PUBLISHED:
            await backend.drop(db, post.id)
            continue
        tags = list(item.hashtags)
        docs.append(_document(post.id, post.title, post.content_html, post.link_url, tags))
    if len(docs) == 1:
        await backend.put(db, docs[0])
    elif docs:
        await backend.put_many(db, docs)


async def drop_post(post_id: str, language: str) -> None:
    db = Post._meta.db
    await backend_for(db, language).drop(db, post_id)


def register(bus: events.EventBus, language: str) -> None:
    """Subscribe the index to the post events of `bus` (idempotent per language)."""
    handlers = _handlers(language)

    async def reindex(event: events.Event) -> None:
        assert isinstance(event, events.PostCreated | events.PostEdited | events.PostRestored)
        if isinstance(event, events.PostCreated) and event.stored is not None:
            await index_stored([event.stored], language)
        else:
            await index_post(event.post_id, language)

    async def reindex_many(published: Sequence[events.Event]) -> None:
        """Posts created together (`EventBus.publish_many`): indexed together."""
        stored = [e.stored for e in published if isinstance(e, events.PostCreated) and e.stored]
        await index_stored(stored, language)
        for event in published:
            if not (isinstance(event, events.PostCreated) and event.stored is not None):
                await reindex(event)

    async def drop(event: events.Event) -> None:
        assert isinstance(event, events.PostDeleted | events.PostRemoved)
        await drop_post(event.post_id, language)

    if not handlers:
        handlers.extend((reindex, drop))
        _MANY[language] = reindex_many
    kinds: list[tuple[type[events.Event], events.Handler]] = [
        (events.PostCreated, handlers[0]),
        (events.PostEdited, handlers[0]),
        (events.PostRestored, handlers[0]),
        (events.PostDeleted, handlers[1]),
        (events.PostRemoved, handlers[1]),
    ]
    for kind, handler in kinds:
        bus.subscribe(kind, handler)
    bus.subscribe(events.PostCreated, handlers[0], many=_MANY[language])


_HANDLERS: dict[str, list[events.Handler]] = {}
_MANY: dict[str, events.ManyHandler] = {}


def _handlers(language: str) -> list[events.Handler]:
    # One pair of handler functions per language, so subscribing twice subscribes nothing new.
    return _HANDLERS.setdefault(language, [])


async def backfill(db: BaseDBAsyncClient, language: str) -> int:
    """Index every published post with raw SQL (migration 0006 and the benchmark use this, so
    it must not depend on the models of a later schema). Returns how many were indexed."""
    backend = backend_for(db, language)
    mark = "$1" if db.capabilities.dialect == "postgres" else "?"
    after = ""
    count = 0
    while True:
        _, rows = await db.execute_query(
            f"SELECT id, title, content_html, link_url FROM post WHERE state = 'published' "  # noqa: S608
            f"AND id > {mark} ORDER BY id LIMIT {BACKFILL_BATCH}",
            [after],
        )
        if not rows:
            return count
        ids = [row["id"] for row in rows]
        tags: dict[str, list[str]] = {}
        marks = ", ".join(
            f"${n + 1}" if db.capabilities.dialect == "postgres" else "?" for n in range(len(ids))
        )
        _, tag_rows = await db.execute_query(
            f"SELECT post_id, tag FROM post_hashtag WHERE post_id IN ({marks})",  # noqa: S608
            ids,
        )
        for row in tag_rows:
            tags.setdefault(row["post_id"], []).append(row["tag"])
        docs = [
            _document(
                row["id"],
                row["title"],
                row["content_html"],
                row["link_url"],
                tags.get(row["id"], []),
            )
            for row in rows
        ]
        await backend.put_many(db, docs)
        count += len(rows)
        after = ids[-1]


async def rebuild(language: str) -> int:
    """Drop the index, create it again for `language` and fill it (after the language changed).
    Returns how many posts were indexed."""
    from tortoise.transactions import in_transaction

    from server.services.search._backends import drop_statements, schema_statements

    async with in_transaction() as db:
        dialect = db.capabilities.dialect
        for statement in (*drop_statements(dialect), *schema_statements(dialect, language)):
            await db.execute_script(statement)
        return await backfill(db, language)
