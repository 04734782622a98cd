"""Reading posts: a group's threads, its resource library, one thread as a tree, and feeds.

Lists hold what the read policy (`reading.readable_posts`) lets the viewer read: published
posts of active groups, and of a members-only group only for its members and the admins.
A post that is gone (deleted by its author, removed by a moderator, held for review) still
appears in a thread as a placeholder when visible replies hang under it, so that the
conversation keeps its shape.
Lists are newest first with keyset cursors (see `_paging`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pypika_tortoise.queries import QueryBuilder
from pypika_tortoise.terms import Parameterizer
from tortoise.queryset import QuerySet, QuerySetSingle, ValuesListQuery

from server.models import (
    Account,
    Group,
    GroupState,
    Membership,
    MembershipState,
    Post,
    PostKind,
    PostState,
    Reaction,
    ReactionKind,
)
from server.services import _prepared
from server.services._paging import Page, keyset_page, older_than, page_of
from server.services.errors import NotFound
from server.services.listed import ListedThread, listed_rows, stand_in
from server.services.reading import readable_posts

__all__ = [
    "Page",
    "ResourceLibrary",
    "ThreadNode",
    "get_post",
    "home_feed",
    "is_own_held",
    "liked_post_ids",
    "list_threads",
    "pinned_threads",
    "resource_library",
    "tag_feed",
    "thread",
]

DEFAULT_LIMIT = 20
POST_ID_RE = re.compile(r"^[0-9a-z]{26}$")
TAG_RE = re.compile(r"^\w{1,100}$", re.UNICODE)


@dataclass
class ThreadNode:
    post: Post
    children: list[ThreadNode] = field(default_factory=list)

    def find(self, post_id: str) -> ThreadNode | None:
        if self.post.id == post_id:
            return self
        for child in self.children:
            found = child.find(post_id)
            if found is not None:
                return found
        return None


@dataclass(frozen=True)
class ResourceLibrary:
    pinned: list[Post]  # every pinned resource, most recently pinned first; first page only
    page: Page[Post]  # the other resources, newest first


async def get_post(post_id: str) -> Post:
    """A post of an active group by id, whatever its state (pages decide what to show)."""
    post: Post | None = None
    if POST_ID_RE.fullmatch(post_id):
        post = await _prepared.run("post by id", _post_by_id, post_id=post_id)
    if post is None:
        raise NotFound("There is no post at this address.")
    return post


def _post_by_id(post_id: str) -> QuerySetSingle[Post | None]:
    return (
        Post.filter(id=post_id, group__state=GroupState.ACTIVE)
        .select_related("author", "group__actor")
        .first()
    )


async def list_threads(
    group: Group,
    *,
    kind: PostKind | None = None,
    unanswered: bool = False,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
    exclude_pinned: bool = False,
    viewer: Account | None = None,
) -> Page[ListedThread]:
    """Threads by latest activity, as the list shows them (`listed`). `unanswered` means
    questions without an accepted answer; `exclude_pinned` leaves out the pinned ones, for
    pages that show `pinned_threads` first."""

    def newest(group_id: str, actor: str = "") -> QuerySet[Post]:
        query = _threads(group_id, kind, unanswered, stand_in(viewer, actor))
        if exclude_pinned:
            query = query.filter(pinned_at__isnull=True)
        return (
            older_than(query, "last_activity_at", cursor)
            .order_by("-last_activity_at", "-id")
            .limit(limit + 1)
        )

    shape = ("group threads", kind, unanswered, exclude_pinned, _viewer_shape(viewer), limit)
    rows = await listed_rows(shape, newest, cursor is None, group_id=group.id, **_actor(viewer))
    return page_of(rows, limit, _activity)


async def pinned_threads(
    group: Group,
    *,
    kind: PostKind | None = None,
    unanswered: bool = False,
    viewer: Account | None = None,
) -> list[ListedThread]:
    """The group's pinned threads (matching the same filters), most recently pinned first."""

    def pinned(group_id: str, actor: str = "") -> QuerySet[Post]:
        return (
            _threads(group_id, kind, unanswered, stand_in(viewer, actor))
            .filter(pinned_at__isnull=False)
            .order_by("-pinned_at", "-id")
        )

    shape = ("pinned threads", kind, unanswered, _viewer_shape(viewer))
    return await listed_rows(shape, pinned, True, group_id=group.id, **_actor(viewer))


def _viewer_shape(viewer: Account | None) -> tuple[bool, bool]:
    """What the read policy's SQL depends on about the viewer (their id is an argument)."""
    return viewer is None, viewer is not None and viewer.is_admin


def _actor(viewer: Account | None) -> dict[str, str]:
    return {} if viewer is None else {"actor": viewer.actor_id}


def _threads(
    group_id: str, kind: PostKind | None, unanswered: bool, viewer: Account | None
) -> QuerySet[Post]:
    query = Post.filter(readable_posts(viewer), group_id=group_id, parent_id__isnull=True)
    if unanswered:
        kind = PostKind.QUESTION
        query = query.filter(accepted_answer_id__isnull=True)
    if kind is not None:
        query = query.filter(kind=kind)
    return query


async def resource_library(
    group: Group,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
    viewer: Account | None = None,
) -> ResourceLibrary:
    """Pinned resources first (all of them, on the first page), then the rest, newest first."""
    resources = Post.filter(
        readable_posts(viewer), group=group, kind=PostKind.RESOURCE, parent_id__isnull=True
    ).select_related("author")
    pinned: list[Post] = []
    if not cursor:
        pinned = await resources.filter(pinned_at__isnull=False).order_by("-pinned_at", "-id")
    page = await keyset_page(
        resources.filter(pinned_at__isnull=True),
        field="created_at",
        cursor=cursor,
        limit=limit,
        key=lambda post: post.created_at,
    )
    return ResourceLibrary(pinned, page)


async def thread(post: Post, *, viewer_id: str = "") -> ThreadNode | None:
    """The whole thread `post` belongs to, replies oldest first under their parents.

    None when nothing of it can be shown (its root is gone and no visible reply remains).
    The viewer's own held posts count as shown, so they can see what waits for a moderator.
    """
    root = post
    if not post.is_top_level:
        root = await _prepared.run(
            "thread root",
            lambda root_id: Post.filter(id=root_id).select_related("author").get(),
            root_id=post.thread_id,
        )
    replies: list[Post] = await _prepared.run(
        "thread replies",
        lambda root_id: (
            Post.filter(root_id=root_id).select_related("author").order_by("created_at", "id")
        ),
        root_id=root.id,
    )
    nodes = {root.id: ThreadNode(root)}
    for reply in replies:
        nodes[reply.id] = ThreadNode(reply)
    for reply in replies:
        # A reply whose parent is missing (e.g. never fetched from afar) hangs under the root.
        parent = nodes.get(reply.parent_id or "") or nodes[root.id]
        parent.children.append(nodes[reply.id])
    return _prune(nodes[root.id], viewer_id)


def _prune(node: ThreadNode, viewer_id: str) -> ThreadNode | None:
    node.children = [
        kept for child in node.children if (kept := _prune(child, viewer_id)) is not None
    ]
    if node.post.is_visible or node.children or is_own_held(node.post, viewer_id):
        return node
    return None


def is_own_held(post: Post, viewer_id: str) -> bool:
    """A post the viewer wrote that waits for a moderator (they alone see it)."""
    return bool(viewer_id) and post.state == PostState.HELD and post.author_id == viewer_id


async def home_feed(
    account: Account, *, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> Page[ListedThread]:
    """Threads of every group the account belongs to, by latest activity.

    Each group's newest threads are read from its own index (a short, ordered range), and
    merged: one query over all the groups at once would read and sort every thread of them
    all, since no index orders the threads of several groups together. The threads come as
    the list shows them (`listed`).
    """
    if not cursor and Post._meta.db.capabilities.dialect == "postgres":
        # The groups, their newest threads and the order in one statement (`_HOME_POSTGRES`).
        chosen = await _union_all(
            _HOME_POSTGRES,
            [
                account.actor_id,
                MembershipState.ACCEPTED.value,
                GroupState.ACTIVE.value,
                PostState.PUBLISHED.value,
                limit + 1,
            ],
        )
    else:
        group_ids: list[str] = await _prepared.run(
            "home groups",
            lambda actor: Membership.filter(
                actor_id=actor, state=MembershipState.ACCEPTED, group__state=GroupState.ACTIVE
            ).values_list("group_id", flat=True),
            actor=account.actor_id,
        )
        # Candidates only: the read policy decides on the rows loaded below.
        newest = await _newest_threads([str(group_id) for group_id in group_ids], cursor, limit)
        newest.sort(key=_newest_first, reverse=True)
        chosen = newest[: limit + 1]
    chosen_ids = [post_id for _, post_id in chosen]
    if not chosen_ids:
        return Page([], None)
    ids = {f"post{number}": post_id for number, post_id in enumerate(chosen_ids)}

    def rows(actor: str, **posts: str) -> QuerySet[Post]:
        return Post.filter(readable_posts(stand_in(account, actor)), id__in=list(posts.values()))

    shape = ("home rows", len(chosen_ids), account.is_admin)
    loaded = await listed_rows(shape, rows, True, actor=account.actor_id, **ids)
    by_id = {thread.id: thread for thread in loaded}
    return page_of([by_id[post_id] for post_id in chosen_ids if post_id in by_id], limit, _activity)


async def _newest_threads(
    group_ids: list[str], cursor: str | None, limit: int
) -> list[tuple[Any, str]]:
    """(last activity, id) of the newest `limit + 1` threads of each group (after `cursor`)."""

    def each_group(**groups: str) -> list[ValuesListQuery[Any]]:
        return [
            older_than(
                Post.filter(group_id=group_id, state=PostState.PUBLISHED, parent_id__isnull=True),
                "last_activity_at",
                cursor,
            )
            .order_by("-last_activity_at", "-id")
            .limit(limit + 1)
            .values_list("last_activity_at", "id")
            for group_id in groups.values()
        ]

    groups = {f"group{number}": group_id for number, group_id in enumerate(group_ids)}
    if cursor:  # older pages are rare: their statement is not kept
        return await _union_all(*_union_sql(each_group(**groups)))
    return await _union_all(
        *_prepared.statement(
            ("home newest", len(groups), limit),
            lambda **marks: _union_sql(each_group(**marks)),
            **groups,
        )
    )


# /home's first page on PostgreSQL, in one statement of one shape for any number of groups:
# the member's groups, the same ordered range of each group's index as `each_group` reads, and
# the newest `limit + 1` of them all (as `_newest_first` sorts: no activity time last). Built
# from parts, the UNION ALL of `_union_sql` was planned anew at every run (its parameters get
# custom plans), which cost more than running it (1.5 ms against 0.3 at ten groups), and the
# groups were a statement of their own.
_HOME_POSTGRES = (
    'SELECT newest."0", newest."1" FROM "membership"'
    ' JOIN "group" ON "group"."id" = "membership"."group_id"'
    ' CROSS JOIN LATERAL (SELECT "last_activity_at" "0", "id" "1" FROM "post"'
    ' WHERE "post"."group_id" = "membership"."group_id" AND "state" = $4'
    ' AND "parent_id" IS NULL ORDER BY "last_activity_at" DESC, "id" DESC LIMIT $5) AS newest'
    ' WHERE "membership"."actor_id" = $1 AND "membership"."state" = $2 AND "group"."state" = $3'
    ' ORDER BY newest."0" DESC NULLS LAST, newest."1" DESC LIMIT $5'
)


def _union_sql(queries: list[ValuesListQuery[Any]]) -> tuple[str, list[Any]]:
    """The rows of every query in one statement (each one ordered and limited, so each reads
    its own index range): on SQLite every statement is a round trip to the connection's
    thread, and /home would send one per group."""
    if not queries:
        return "", []
    built: list[QueryBuilder] = [_prepared.built(query) for query in queries]
    # One numbering of the parameters across the parts ($1, $2… on PostgreSQL).
    context = built[0].QUERY_CLS.SQL_CONTEXT.copy(parameterizer=Parameterizer())
    parts = [
        f"SELECT * FROM ({part.get_sql(context)}) AS part{number}"  # noqa: S608 (no values inline)
        for number, part in enumerate(built)
    ]
    assert context.parameterizer is not None
    return " UNION ALL ".join(parts), list(context.parameterizer.values)


async def _union_all(sql: str, values: list[Any]) -> list[tuple[Any, str]]:
    """The rows of a statement of `_union_sql`, values as the database stores them."""
    if not sql:
        return []
    _, rows = await Post._meta.db.execute_query(sql, values)
    return [(row[0], str(row[1])) for row in rows]


async def tag_feed(
    tag: str,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
    viewer: Account | None = None,
) -> Page[Post]:
    """Posts and replies carrying #tag that the viewer may read, newest first."""
    if not TAG_RE.fullmatch(tag):
        return Page([], None)
    # The ids first, then the rows: sorting every tagged post with its joined columns (its
    # text, its author's, its thread's) costs far more than sorting (time, id) pairs.
    tagged = Post.filter(readable_posts(viewer), hashtags__tag=tag.lower())
    newest = await (
        older_than(tagged, "created_at", cursor)
        .order_by("-created_at", "-id")
        .limit(limit + 1)
        .values_list("id", flat=True)
    )
    chosen = [str(post_id) for post_id in newest]
    if not chosen:
        return Page([], None)
    loaded = await Post.filter(id__in=chosen).select_related("author", "group__actor", "root")
    by_id = {post.id: post for post in loaded}
    return page_of(
        [by_id[post_id] for post_id in chosen if post_id in by_id],
        limit,
        lambda post: post.created_at,
    )


async def liked_post_ids(actor_id: str, post_ids: list[str]) -> set[str]:
    """Which of these posts the actor has liked (for like/unlike buttons)."""
    if not post_ids:
        return set()
    liked = await Reaction.filter(
        actor_id=actor_id, post_id__in=post_ids, kind=ReactionKind.LIKE
    ).values_list("post_id", flat=True)
    return {str(post_id) for post_id in liked}


def _newest_first(row: tuple[datetime | None, str]) -> tuple[bool, datetime | int, str]:
    """Sort key of (last activity, id) rows; a thread without activity time goes last."""
    at, post_id = row
    return (at is not None, at if at is not None else 0, post_id)


def _activity(post: Post | ListedThread) -> datetime:
    return post.last_activity_at or post.created_at
