"""Threads as a list shows them (`thread_item`): a few columns of each, their author's and
their group's, in small frozen records rather than model objects.

A list of twenty threads built as models is eighty objects with every column converted (a
dozen dates a row on SQLite, each parsed from text): more Python than the page's statements
take to run. These records hold what the list shows and nothing else, made straight from the
database's rows: Tortoise's `.values()` resolves each column of each row through several
calls, which cost a list of twenty more than its statements take to run. `listed_rows` reads
them, its SQL kept once made (`_prepared.statement`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from tortoise.queryset import QuerySet

from server.models import Account, Post, PostKind
from server.services import _prepared

__all__ = [
    "COLUMNS",
    "ListedActor",
    "ListedGroup",
    "ListedThread",
    "listed",
    "listed_rows",
    "stand_in",
]

# The columns a listed thread is read from, through `Post`'s relations (`.values(*COLUMNS)`).
_ACTOR = ("username", "domain", "display_name", "url", "ap_id")
COLUMNS = (
    "id",
    "kind",
    "title",
    "link_url",
    "content_html",
    "accepted_answer_id",
    "pinned_at",
    "created_at",
    "last_activity_at",
    "reply_count",
    "like_count",
    *(f"author__{column}" for column in _ACTOR),
    *(f"group__actor__{column}" for column in _ACTOR),
)


@dataclass(frozen=True, slots=True)
class ListedActor:
    """An author or a group as a list or a search result names them (what `author_link` and
    `group_path` use)."""

    username: str
    domain: str
    display_name: str
    url: str
    ap_id: str | None

    @property
    def is_local(self) -> bool:
        return self.domain == ""

    @property
    def name(self) -> str:
        return self.display_name or self.username


@dataclass(frozen=True, slots=True)
class ListedGroup:
    actor: ListedActor


@dataclass(frozen=True, slots=True)
class ListedThread:
    id: str
    kind: PostKind
    title: str
    link_url: str
    content_html: str
    accepted_answer_id: str | None
    pinned_at: datetime | None
    created_at: datetime
    last_activity_at: datetime | None
    reply_count: int
    like_count: int
    author: ListedActor
    group: ListedGroup

    @property
    def pk(self) -> str:
        return self.id


# A date as the database hands it (text on SQLite) to the aware datetime a model would hold
# (None stays None).
_to_datetime = Post._meta.fields_map["created_at"].to_python_value


class Row(Protocol):
    """A row as the database driver gives it (`sqlite3.Row`, `asyncpg.Record`): by position."""

    def __getitem__(self, index: int, /) -> Any: ...


def _actor(row: Row, first: int) -> ListedActor:
    return ListedActor(row[first], row[first + 1], row[first + 2], row[first + 3], row[first + 4])


def listed(row: Row) -> ListedThread:
    """The record of a row of the SQL of `.values(*COLUMNS)`, its columns in that order."""
    return ListedThread(
        id=row[0],
        kind=PostKind(row[1]),
        title=row[2],
        link_url=row[3],
        content_html=row[4],
        accepted_answer_id=row[5],
        pinned_at=_to_datetime(row[6]),
        created_at=_to_datetime(row[7]),
        last_activity_at=_to_datetime(row[8]),
        reply_count=row[9],
        like_count=row[10],
        author=_actor(row, 11),
        group=ListedGroup(_actor(row, 11 + len(_ACTOR))),
    )


async def listed_rows(
    shape: Hashable, build: Callable[..., QuerySet[Post]], keep: bool, **arguments: str
) -> list[ListedThread]:
    """The posts of the query `build(**arguments)` makes, in its order, as the list shows them.
    With `keep`, its SQL is kept under `shape`, which must name all that the SQL depends on but
    the arguments (`_prepared.statement`)."""

    def sql(**marks: str) -> tuple[str, list[Any]]:
        query = build(**marks).values(*COLUMNS)
        if tuple(query._fields_for_select) != COLUMNS:  # `listed` reads the columns by position
            raise RuntimeError("the listed columns are not selected in their order")
        text, values = _prepared.built(query).get_parameterized_sql()
        return str(text), list(values)

    text, values = _prepared.statement(shape, sql, **arguments) if keep else sql(**arguments)
    _, rows = await Post._meta.db.execute_query(text, values)
    return [listed(row) for row in rows]


def stand_in(viewer: Account | None, actor: str) -> Account | None:
    """The viewer as the read policy sees them, their id being `actor` (a kept statement's
    mark): their role decides the policy's shape, their id is a parameter."""
    return None if viewer is None else Account(actor_id=actor, role=viewer.role)
