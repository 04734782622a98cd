"""Threads as a list shows them (`thread_item`): a few columns of each, their author's and
their group's, in small frozen records rather than model objects.

A list of twenty threads built as models is eighty objects with every column converted (a
dozen dates a row on SQLite, each parsed from text): more Python than the page's statements
take to run. These records hold what the list shows and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.models import PostKind

__all__ = ["COLUMNS", "ListedActor", "ListedGroup", "ListedThread", "listed"]

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


def _actor(row: dict[str, Any], prefix: str) -> ListedActor:
    return ListedActor(*(row[prefix + column] for column in _ACTOR))


def listed(row: dict[str, Any]) -> ListedThread:
    """The record of a row of `.values(*COLUMNS)`."""
    return ListedThread(
        id=row["id"],
        kind=PostKind(row["kind"]),
        title=row["title"],
        link_url=row["link_url"],
        content_html=row["content_html"],
        accepted_answer_id=row["accepted_answer_id"],
        pinned_at=row["pinned_at"],
        created_at=row["created_at"],
        last_activity_at=row["last_activity_at"],
        reply_count=row["reply_count"],
        like_count=row["like_count"],
        author=_actor(row, "author__"),
        group=ListedGroup(_actor(row, "group__actor__")),
    )
