"""What a search shows of the posts, groups, people and tags it found, read in two statements.

A results page needs a few columns of each post, its author, its group and its thread, and the
names of a few groups, people and tags: these are read into small frozen records rather than
model objects, which cost more Python to build than the statements take to run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server.models import Account, AccountState, ActorKind, Group, Post, PostKind, PostState
from server.services import reading
from server.services.listed import ListedActor, ListedGroup
from server.services.search._sql import Placeholders, compiled, ids_of, viewer_key

__all__ = [
    "FoundPost",
    "FoundThread",
    "SideLists",
    "load_posts",
    "load_side_lists",
    "readable_posts_sql",
]

SIDE_RESULTS = 5


@dataclass(frozen=True, slots=True)
class FoundThread:
    """The top-level post a found reply belongs to."""

    title: str
    state: PostState

    @property
    def is_visible(self) -> bool:
        return self.state == PostState.PUBLISHED


@dataclass(frozen=True, slots=True)
class FoundPost:
    id: str
    kind: PostKind
    title: str
    content_html: str
    accepted_answer_id: str | None
    parent_id: str | None
    created_at: datetime
    author: ListedActor
    group: ListedGroup
    root: FoundThread | None

    @property
    def is_top_level(self) -> bool:
        return self.parent_id is None


@dataclass
class SideLists:
    groups: list[ListedGroup] = field(default_factory=list)
    people: list[ListedActor] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


_POSTS = (
    "SELECT p.id, p.kind, p.title, p.content_html, p.accepted_answer_id, p.parent_id,"
    " p.created_at, r.title AS root_title, r.state AS root_state,"
    " a.username, a.domain, a.display_name, a.url, a.ap_id,"
    " ga.username AS g_username, ga.domain AS g_domain, ga.display_name AS g_display_name,"
    " ga.url AS g_url, ga.ap_id AS g_ap_id"
    " FROM post p JOIN actor a ON a.id = p.author_id"
    ' JOIN "group" g ON g.id = p.group_id JOIN actor ga ON ga.id = g.actor_id'
    " LEFT JOIN post r ON r.id = p.root_id"
)


async def load_posts(db: BaseDBAsyncClient, ids: list[str]) -> dict[str, FoundPost]:
    """The posts with these ids (which the caller had from the read policy), by id."""
    if not ids:
        return {}
    p = Placeholders(db)
    marks = ", ".join(p(post_id) for post_id in ids)
    _, rows = await db.execute_query(f"{_POSTS} WHERE p.id IN ({marks})", p.values)
    to_datetime = Post._meta.fields_map["created_at"].to_python_value
    found = {}
    for row in rows:
        root = None
        if row["root_state"] is not None:
            root = FoundThread(row["root_title"], PostState(row["root_state"]))
        found[row["id"]] = FoundPost(
            id=row["id"],
            kind=PostKind(row["kind"]),
            title=row["title"],
            content_html=row["content_html"],
            accepted_answer_id=row["accepted_answer_id"],
            parent_id=row["parent_id"],
            created_at=to_datetime(row["created_at"]),
            author=ListedActor(
                row["username"], row["domain"], row["display_name"], row["url"], row["ap_id"]
            ),
            group=ListedGroup(
                ListedActor(
                    row["g_username"],
                    row["g_domain"],
                    row["g_display_name"],
                    row["g_url"],
                    row["g_ap_id"],
                )
            ),
            root=root,
        )
    return found


def readable_posts_sql(
    db: BaseDBAsyncClient, viewer: Account | None
) -> tuple[str, tuple[Any, ...]]:
    """The ids of the posts `viewer` may read, as SQL (see `_sql.compiled`)."""
    return compiled(
        db,
        ("posts", viewer_key(viewer)),
        lambda: ids_of(Post.filter(reading.readable_posts(viewer))),
    )


def _readable_groups_sql(
    db: BaseDBAsyncClient, viewer: Account | None
) -> tuple[str, tuple[Any, ...]]:
    return compiled(
        db,
        ("groups", viewer_key(viewer)),
        lambda: ids_of(Group.filter(reading.readable_groups(viewer))),
    )


def _names_match(p: Placeholders, words: tuple[str, ...], *columns: str) -> str:
    # As Tortoise's `icontains`: every word is in one of the columns, case aside.
    each_word = []
    for word in words:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        each_word.append(
            "("
            + " OR ".join(
                f"UPPER(CAST({column} AS VARCHAR)) LIKE UPPER({p(pattern)}) ESCAPE '\\'"
                for column in columns
            )
            + ")"
        )
    return " AND ".join(each_word)


async def load_side_lists(
    db: BaseDBAsyncClient, viewer: Account | None, words: tuple[str, ...]
) -> SideLists:
    """The groups whose content `viewer` may read, the people with a public profile (local
    accounts that are active, remote people not suspended here) and the tags of readable posts
    that match `words`, a few of each."""
    p = Placeholders(db)
    readable_groups = p.embed(_readable_groups_sql(db, viewer))
    readable_posts = p.embed(readable_posts_sql(db, viewer))
    group_names = _names_match(p, words, "a.username", "a.display_name", "g.description_source")
    # The statement is composed of fixed SQL, the read policy's own SQL and placeholders only.
    groups = (
        "SELECT 'group' AS list, a.username, a.domain, a.display_name, a.url, a.ap_id,"  # noqa: S608
        " ROW_NUMBER() OVER (ORDER BY g.member_count DESC, g.id) AS position"
        ' FROM "group" g JOIN readable_groups rg ON rg.id = g.id JOIN actor a ON a.id = g.actor_id'
        f" WHERE {group_names} ORDER BY g.member_count DESC, g.id LIMIT {p(SIDE_RESULTS)}"
    )
    person, active = p(ActorKind.PERSON.value), p(AccountState.ACTIVE.value)
    people_names = _names_match(p, words, "a.username", "a.display_name")
    people = (
        "SELECT 'person' AS list, a.username, a.domain, a.display_name, a.url, a.ap_id,"  # noqa: S608
        " ROW_NUMBER() OVER (ORDER BY a.username, a.id) AS position"
        " FROM actor a LEFT JOIN account c ON c.actor_id = a.id"
        f" WHERE a.kind = {person} AND a.suspended_at IS NULL AND a.deleted_at IS NULL"
        f" AND ((a.domain = '' AND c.state = {active}) OR a.domain <> '') AND {people_names}"
        f" ORDER BY a.username, a.id LIMIT {p(SIDE_RESULTS)}"
    )
    tag_marks = ", ".join(p(word) for word in words)
    tags = (
        "SELECT DISTINCT 'tag' AS list, h.tag AS username, '' AS domain, '' AS display_name,"  # noqa: S608
        " '' AS url, '' AS ap_id, 0 AS position"
        " FROM post_hashtag h JOIN readable_posts rp ON rp.id = h.post_id"
        f" WHERE h.tag IN ({tag_marks})"
    )
    sql = (
        f"WITH readable_groups(id) AS ({readable_groups}),"  # noqa: S608
        f" readable_posts(id) AS ({readable_posts})"
        f" SELECT * FROM ({groups}) AS groups_ UNION ALL SELECT * FROM ({people}) AS people_"
        f" UNION ALL SELECT * FROM ({tags}) AS tags_"
    )
    _, rows = await db.execute_query(sql, p.values)
    found = SideLists()
    # UNION ALL need not keep each part's order: each row says its place.
    ordered = sorted(rows, key=lambda row: int(row["position"]))
    found.groups = [ListedGroup(_actor(row)) for row in ordered if row["list"] == "group"]
    found.people = [_actor(row) for row in ordered if row["list"] == "person"]
    found.tags = sorted({str(row["username"]) for row in rows if row["list"] == "tag"})
    return found


def _actor(row: Any) -> ListedActor:
    return ListedActor(
        row["username"], row["domain"], row["display_name"], row["url"], row["ap_id"]
    )
