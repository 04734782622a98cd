"""Which days of which groups the rollups must compute again.

Every change that moves a figure marks the day it belongs to, in the transaction of the change
(domain events) or of the view counts' flush: a post (or its removal, restoring, approval) marks
the day it was written and, for a reply, the day its question was asked; an accepted answer marks
the question's day; a reaction or a membership marks the day it happened. A late event (a post
removed months later) so recomputes exactly the days it changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import RawSQL

from server import events
from server.models import (
    AnalyticsDirty,
    Membership,
    MembershipState,
    Post,
    Reaction,
    ThreadViewDay,
    utcnow,
)
from server.services._buckets import bucket_sql

__all__ = ["mark_days", "mark_everything", "register"]


async def mark_days(days: Iterable[tuple[str, date]], db: BaseDBAsyncClient | None = None) -> None:
    """Mark (group id, day) pairs; a pair already marked gets a new `marked_at`."""
    now = utcnow()
    rows = [AnalyticsDirty(group_id=group, day=day, marked_at=now) for group, day in set(days)]
    if rows:
        await AnalyticsDirty.bulk_create(
            rows, on_conflict=["group_id", "day"], update_fields=["marked_at"], using_db=db
        )


def _day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


async def _mark_posts(post_ids: list[str], stored: Sequence[events.StoredPost] = ()) -> None:
    """The day of each post, and of its thread's first post (a reply changes its question).
    `stored`: more posts, just created, in hand (they are not read again)."""
    rows = [
        {"group_id": s.post.group_id, "created_at": s.post.created_at, "root_id": s.post.root_id}
        for s in stored
    ]
    if post_ids:
        rows += await Post.filter(id__in=post_ids).values("group_id", "created_at", "root_id")
    root_ids = [row["root_id"] for row in rows if row["root_id"]]
    roots = await Post.filter(id__in=root_ids).values("group_id", "created_at") if root_ids else []
    await mark_days((row["group_id"], _day(row["created_at"])) for row in [*rows, *roots])


async def on_post(event: events.Event) -> None:
    post_id = getattr(event, "post_id", None)
    if isinstance(event, events.PostCreated) and event.stored is not None:
        await _mark_posts([], [event.stored])
    elif isinstance(post_id, str):
        await _mark_posts([post_id])


async def on_posts(published: Sequence[events.Event]) -> None:
    """Posts created together (`EventBus.publish_many`): their days marked at once."""
    stored = [e.stored for e in published if isinstance(e, events.PostCreated) and e.stored]
    await _mark_posts([], stored)
    for event in published:
        if not (isinstance(event, events.PostCreated) and event.stored is not None):
            await on_post(event)


async def on_answer_accepted(event: events.Event) -> None:
    assert isinstance(event, events.AnswerAccepted)
    await _mark_posts([event.question_id])


async def on_reacted(event: events.Event) -> None:
    assert isinstance(event, events.PostReacted)
    row = await Reaction.filter(id=event.reaction_id).values("post__group_id", "created_at")
    await mark_days((r["post__group_id"], _day(r["created_at"])) for r in row)


async def on_unreacted(event: events.Event) -> None:
    assert isinstance(event, events.PostUnreacted)
    group_ids = await Post.filter(id=event.post_id).values_list("group_id", flat=True)
    await mark_days((str(group), utcnow().date()) for group in group_ids)


async def on_membership(event: events.Event) -> None:
    if isinstance(event, events.MembershipAccepted):
        rows = await Membership.filter(id=event.membership_id).values("group_id", "decided_at")
        await mark_days((r["group_id"], _day(r["decided_at"] or utcnow())) for r in rows)
    elif isinstance(event, events.MembershipEnded):
        await mark_days([(event.group_id, utcnow().date())])


POST_EVENTS = (
    events.PostCreated,
    events.PostDeleted,
    events.PostRemoved,
    events.PostRestored,
    events.HeldPostApproved,
)


def register(bus: events.EventBus) -> None:
    for kind in POST_EVENTS:
        bus.subscribe(kind, on_post)
    bus.subscribe(events.PostCreated, on_post, many=on_posts)
    bus.subscribe(events.AnswerAccepted, on_answer_accepted)
    bus.subscribe(events.PostReacted, on_reacted)
    bus.subscribe(events.PostUnreacted, on_unreacted)
    bus.subscribe(events.MembershipAccepted, on_membership)
    bus.subscribe(events.MembershipEnded, on_membership)


def _day_sql(table: str, column: str) -> RawSQL:
    return bucket_sql(table, column, "day")


async def mark_everything() -> int:
    """Mark every day that has posts, reactions, new members or views: a first build of the
    rollups on an instance that had content before them. Returns how many days were marked."""
    found: set[tuple[str, date]] = set()
    for query, table, column, group_field in (
        (Post.all(), "post", "created_at", "group_id"),
        (Reaction.all(), "reaction", "created_at", "post__group_id"),
        (
            Membership.filter(state=MembershipState.ACCEPTED, decided_at__isnull=False),
            "membership",
            "decided_at",
            "group_id",
        ),
    ):
        rows = (
            await query.annotate(bucket=_day_sql(table, column))
            .group_by(group_field, "bucket")
            .values_list(group_field, "bucket")
        )
        found.update((str(group), date.fromisoformat(str(key))) for group, key in rows)
    views = await ThreadViewDay.all().distinct().values_list("group_id", "day")
    found.update((str(group), day) for group, day in views)
    for start in range(0, len(found), 500):
        await mark_days(list(found)[start : start + 500])
    return len(found)
