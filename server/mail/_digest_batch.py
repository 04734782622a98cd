"""What many members' digests share, read once per scheduler batch instead of once per member:
their group memberships, the group sections (keyed by the member's groups, period and read
filter), answers to their questions and their notifications.

Visibility is still decided by `server.services.reading`: members share a read only when
`readable_posts` gives them the same filter, so when the policy starts to depend on the viewer
the sharing narrows by itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.expressions import Q

from server.models import (
    Account,
    Membership,
    MembershipState,
    Notification,
    Post,
    PostKind,
)
from server.services.reading import readable_posts

__all__ = ["DigestBatch", "Window", "filter_key"]

Window = tuple[datetime, datetime]


def filter_key(q: Q) -> Any:
    """A hashable picture of a filter: equal keys select the same rows."""
    return (
        q.join_type,
        q._is_negated,
        tuple(sorted((name, repr(value)) for name, value in q.filters.items())),
        tuple(filter_key(child) for child in q.children),
    )


@dataclass
class GroupPosts:
    """The newest posts of one group set in one period, before a member's own are dropped."""

    questions: list[Post]
    resources: list[Post]
    liked: list[Post]


@dataclass
class DigestBatch:
    groups_of: dict[str, list[str]] = field(default_factory=dict)
    answers_to: dict[str, list[Post]] = field(default_factory=dict)
    notifications_of: dict[str, list[Notification]] = field(default_factory=dict)
    thread_titles: dict[str, str] = field(default_factory=dict)
    _group_posts: dict[Any, GroupPosts] = field(default_factory=dict)

    @classmethod
    async def load(cls, members: Iterable[tuple[Account, Window]]) -> DigestBatch:
        """Read what the members' digests need, in a few queries for the whole batch."""
        members = list(members)
        batch = cls()
        if not members:
            return batch
        earliest = min(window[0] for _, window in members)
        latest = max(window[1] for _, window in members)
        actor_ids = [account.actor_id for account, _ in members]
        for actor_id, group_id in await Membership.filter(
            actor_id__in=actor_ids, state=MembershipState.ACCEPTED
        ).values_list("actor_id", "group_id"):
            batch.groups_of.setdefault(str(actor_id), []).append(str(group_id))
        by_filter: dict[Any, tuple[Q, list[str]]] = {}
        for account, _ in members:
            readable = readable_posts(account)
            by_filter.setdefault(filter_key(readable), (readable, []))[1].append(account.actor_id)
        answers: dict[str, list[Post]] = defaultdict(list)
        for readable, authors in by_filter.values():
            for post in await (
                Post.filter(
                    readable,
                    parent__author_id__in=authors,
                    parent__kind=PostKind.QUESTION,
                    created_at__gt=earliest,
                    created_at__lte=latest,
                )
                .select_related("parent", "author")
                .order_by("-created_at")
            ):
                assert post.parent is not None
                answers[str(post.parent.author_id)].append(post)
        batch.answers_to = dict(answers)
        notifications: dict[str, list[Notification]] = defaultdict(list)
        for notification in await (
            Notification.filter(
                recipient_id__in=[account.id for account, _ in members],
                created_at__gt=earliest,
                created_at__lte=latest,
            )
            .select_related("actor", "group__actor", "post__group")
            .order_by("-created_at")
        ):
            notifications[str(notification.recipient_id)].append(notification)
        batch.notifications_of = dict(notifications)
        root_ids = {
            str(n.post.root_id)
            for rows in notifications.values()
            for n in rows
            if n.post is not None and n.post.root_id is not None
        }
        if root_ids:
            batch.thread_titles = {
                str(root_id): title
                for root_id, title in await Post.filter(id__in=root_ids).values_list("id", "title")
            }
        return batch

    async def group_posts(
        self, account: Account, group_ids: list[str], window: Window, limit: int
    ) -> GroupPosts:
        """The group sections' candidates for this member's groups and period, read once for
        every member with the same groups, period and read filter; up to `limit` each."""
        readable = readable_posts(account)
        key = (tuple(sorted(group_ids)), window, filter_key(readable), limit)
        cached = self._group_posts.get(key)
        if cached is not None:
            return cached
        since, until = window
        in_groups = Post.filter(readable, group_id__in=group_ids, parent_id=None)
        period = {"created_at__gt": since, "created_at__lte": until}
        newest = ("-created_at",)
        related = "group__actor"
        found = GroupPosts(
            questions=await in_groups.filter(kind=PostKind.QUESTION, reply_count=0, **period)
            .select_related(related)
            .order_by(*newest)
            .limit(limit),
            resources=await in_groups.filter(kind=PostKind.RESOURCE, **period)
            .select_related(related)
            .order_by(*newest)
            .limit(limit),
            liked=await in_groups.filter(
                like_count__gt=0, last_activity_at__gt=since, last_activity_at__lte=until
            )
            .select_related(related)
            .order_by("-like_count", "-last_activity_at")
            .limit(limit),
        )
        self._group_posts[key] = found
        return found
