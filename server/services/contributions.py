"""What a person contributed: their posts, replies, questions, accepted answers and resources,
paged newest first and counted, for their profile and per group on the member list.

Everything goes through the read policy (`reading.readable_posts(viewer)`): a post the viewer may
not read (held, removed, or in a group they may not read) is neither listed nor counted. The
kinds are disjoint but for accepted answers, which are replies that their question accepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count

from server.models import Account, Actor, Group, Post, PostKind
from server.services import reading
from server.services._paging import Page, keyset_page

__all__ = ["Counts", "Tab", "counts_by_member", "counts_for", "list_contributions"]


class Tab(StrEnum):
    POSTS = "posts"  # discussions started
    QUESTIONS = "questions"
    ANSWERS = "answers"  # replies accepted as the answer to a question
    REPLIES = "replies"
    RESOURCES = "resources"


TAB_LABELS = {
    Tab.POSTS: "Posts",
    Tab.QUESTIONS: "Questions",
    Tab.ANSWERS: "Accepted answers",
    Tab.REPLIES: "Replies",
    Tab.RESOURCES: "Resources",
}


@dataclass(frozen=True)
class Counts:
    posts: int = 0
    questions: int = 0
    answers: int = 0
    replies: int = 0
    resources: int = 0

    def of(self, tab: Tab) -> int:
        return int(getattr(self, tab.value))

    @property
    def total(self) -> int:
        return self.posts + self.questions + self.replies + self.resources


_KINDS = {
    Tab.POSTS: PostKind.DISCUSSION,
    Tab.QUESTIONS: PostKind.QUESTION,
    Tab.REPLIES: PostKind.REPLY,
    Tab.RESOURCES: PostKind.RESOURCE,
}


def _accepted(viewer: Account | None) -> Q:
    """Replies that a question the viewer may read accepted as its answer."""
    accepted_ids = Post.filter(
        reading.readable_posts(viewer), accepted_answer_id__isnull=False
    ).values("accepted_answer_id")
    return Q(kind=PostKind.REPLY, id__in=Subquery(accepted_ids))


def _of_tab(tab: Tab, viewer: Account | None) -> Q:
    return _accepted(viewer) if tab == Tab.ANSWERS else Q(kind=_KINDS[tab])


async def list_contributions(
    viewer: Account | None,
    author: Actor,
    tab: Tab,
    *,
    cursor: str | None = None,
    limit: int = 20,
) -> Page[Post]:
    """One page of the author's contributions of one kind, newest first (Invalid for a cursor
    that is not ours)."""
    query = Post.filter(
        reading.readable_posts(viewer), _of_tab(tab, viewer), author_id=author.id
    ).select_related("group__actor", "root")
    return await keyset_page(
        query, field="created_at", cursor=cursor, limit=limit, key=lambda post: post.created_at
    )


def _count_columns(viewer: Account | None) -> dict[str, Count]:
    return {tab.value: Count("id", _filter=_of_tab(tab, viewer)) for tab in Tab}


async def counts_for(viewer: Account | None, author: Actor) -> Counts:
    """How many of each the viewer may see, in one query."""
    rows = (
        await Post.filter(reading.readable_posts(viewer), author_id=author.id)
        .annotate(**_count_columns(viewer))
        .group_by("author_id")
        .values("author_id", *(tab.value for tab in Tab))
    )
    return _counts(rows[0]) if rows else Counts()


async def counts_by_member(
    viewer: Account | None, group: Group, actor_ids: Sequence[str]
) -> dict[str, Counts]:
    """The contributions in `group` of each of these people, in one query (people with none
    are missing from the answer)."""
    if not actor_ids:
        return {}
    rows = (
        await Post.filter(
            reading.readable_posts(viewer), group_id=group.id, author_id__in=list(actor_ids)
        )
        .annotate(**_count_columns(viewer))
        .group_by("author_id")
        .values("author_id", *(tab.value for tab in Tab))
    )
    return {str(row["author_id"]): _counts(row) for row in rows}


def _counts(row: dict[str, object]) -> Counts:
    return Counts(**{tab.value: int(row[tab.value] or 0) for tab in Tab})  # type: ignore[call-overload]
