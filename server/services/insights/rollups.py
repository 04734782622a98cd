"""The worker's rollups: each marked day of a group is computed again from the posts,
memberships, reactions and view counts, and written over what was there.

A day's figures depend only on the stored facts, never on what was computed before, so running
a day twice gives the same numbers, and a late change (a post removed, an answer accepted, a
reply arriving) is folded in by marking its days again (`dirty`). Active members are counted per
week (distinct people are not additive): each week touched by a marked day is counted again, for
its group and for the whole instance, with its resources' views (`ResourceWeek`).

Several workers may run: a marked day is claimed with a lease (`server.leases`), and its mark is
removed only if nothing marked it again while it was computed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Sum

from server.leases import Leases
from server.models import (
    ActiveWeek,
    AnalyticsDirty,
    Group,
    GroupDay,
    Membership,
    MembershipState,
    Post,
    PostKind,
    PostState,
    QuestionStat,
    Reaction,
    ResourceWeek,
    ThreadViewDay,
    utcnow,
)
from server.services.insights import dirty
from server.services.insights._sql import week_start
from server.settings import Settings

__all__ = ["RollupWorker", "count_active", "recompute_day", "recompute_week"]

log = logging.getLogger("lyceum.insights")

LEASE = timedelta(minutes=5)
POLL_SECONDS = 60.0
INSTANCE = ""  # ActiveWeek.scope of the whole instance


def _bounds(first: date, days: int) -> tuple[datetime, datetime]:
    start = datetime.combine(first, time(), tzinfo=UTC)
    return start, start + timedelta(days=days)


async def recompute_day(group_id: str, day: date) -> None:
    """Write the group's figures for the day, and the stats of the questions asked that day."""
    start, end = _bounds(day, 1)
    published = Post.filter(
        group_id=group_id, state=PostState.PUBLISHED, created_at__gte=start, created_at__lt=end
    )
    rows = await published.values("id", "kind", "parent_id", "author_id", "created_at")
    top = [row for row in rows if row["parent_id"] is None]
    questions = [row for row in top if row["kind"] == PostKind.QUESTION]
    views: list[Any] = await ThreadViewDay.filter(group_id=group_id, day=day).values_list(
        "views", flat=True
    )
    new_members = await Membership.filter(
        group_id=group_id,
        state=MembershipState.ACCEPTED,
        decided_at__gte=start,
        decided_at__lt=end,
    ).count()
    row = GroupDay(
        group_id=group_id,
        day=day,
        posts=len(top),
        replies=len(rows) - len(top),
        questions=len(questions),
        new_members=new_members,
        views=sum(int(n) for n in views),
    )
    await GroupDay.bulk_create(
        [row],
        on_conflict=["group_id", "day"],
        update_fields=["posts", "replies", "questions", "new_members", "views"],
    )
    await _recompute_questions(group_id, start, end, questions)


async def _recompute_questions(
    group_id: str, start: datetime, end: datetime, questions: list[dict[str, object]]
) -> None:
    ids = [str(q["id"]) for q in questions]
    await (
        QuestionStat.filter(group_id=group_id, asked_at__gte=start, asked_at__lt=end)
        .exclude(question_id__in=ids)
        .delete()
    )
    if not ids:
        return
    accepted = dict(await Post.filter(id__in=ids).values_list("id", "accepted_answer_id"))
    answers = {
        row["id"]: row
        for row in await Post.filter(
            id__in=[a for a in accepted.values() if a], state=PostState.PUBLISHED
        ).values("id", "author_id", "created_at")
    }
    replies = (
        await Post.filter(root_id__in=ids, state=PostState.PUBLISHED)
        .order_by("created_at")
        .values("root_id", "author_id", "created_at")
    )
    stats = []
    for question in questions:
        asked: datetime = question["created_at"]  # type: ignore[assignment]
        first = next(
            (
                r
                for r in replies
                if r["root_id"] == question["id"] and r["author_id"] != question["author_id"]
            ),
            None,
        )
        answer = answers.get(accepted.get(str(question["id"])))
        stats.append(
            QuestionStat(
                question_id=question["id"],
                group_id=group_id,
                asked_at=asked,
                first_reply_after=_seconds(asked, first["created_at"]) if first else None,
                first_replier_id=first["author_id"] if first else None,
                accepted_after=_seconds(asked, answer["created_at"]) if answer else None,
                answerer_id=answer["author_id"] if answer else None,
            )
        )
    await QuestionStat.bulk_create(
        stats,
        on_conflict=["question_id"],
        update_fields=[
            "group_id",
            "asked_at",
            "first_reply_after",
            "first_replier_id",
            "accepted_after",
            "answerer_id",
        ],
    )


def _seconds(since: datetime, until: datetime) -> int:
    return max(0, int((until - since).total_seconds()))


async def count_active(scope: str, week: date) -> int:
    """Distinct people who posted, replied or reacted in the week: in the group `scope`, or in
    any group hosted here when `scope` is the instance."""
    start, end = _bounds(week, 7)
    if scope != INSTANCE:
        group_ids = [scope]
    else:  # by id, so that the posts' (group, state, created_at) index serves each group
        group_ids = [
            str(g) for g in await Group.filter(actor__domain="").values_list("id", flat=True)
        ]
    authors = await (
        Post.filter(
            group_id__in=group_ids,
            state=PostState.PUBLISHED,
            created_at__gte=start,
            created_at__lt=end,
        )
        .distinct()
        .values_list("author_id", flat=True)
    )
    reactors = await (
        Reaction.filter(post__group_id__in=group_ids, created_at__gte=start, created_at__lt=end)
        .distinct()
        .values_list("actor_id", flat=True)
    )
    return len({*authors, *reactors})


async def recompute_week(scope: str, week: date) -> None:
    """The week's active members, and for a group, its resources' views that week."""
    row = ActiveWeek(scope=scope, week=week, members=await count_active(scope, week))
    await ActiveWeek.bulk_create([row], on_conflict=["scope", "week"], update_fields=["members"])
    if scope != INSTANCE:
        await _recompute_resource_week(scope, week)


async def _recompute_resource_week(group_id: str, week: date) -> None:
    end = week + timedelta(days=7)
    totals = (
        await ThreadViewDay.filter(
            group_id=group_id, day__gte=week, day__lt=end, thread__kind=PostKind.RESOURCE
        )
        .annotate(total=Sum("views"))
        .group_by("thread_id")
        .values_list("thread_id", "total")
    )
    views = {str(thread): int(total) for thread, total in totals}
    await (
        ResourceWeek.filter(group_id=group_id, week=week)
        .exclude(thread_id__in=list(views))
        .delete()
    )
    rows = [
        ResourceWeek(thread_id=t, group_id=group_id, week=week, views=n) for t, n in views.items()
    ]
    if rows:
        await ResourceWeek.bulk_create(
            rows, on_conflict=["thread_id", "week"], update_fields=["views"]
        )


class RollupWorker:
    def __init__(self, settings: Settings, *, batch_size: int = 200) -> None:
        self.batch_size = batch_size
        # Rollups may lag a minute; an idle worker then keeps its queries off the database.
        self.poll_interval = max(settings.worker_poll_seconds, POLL_SECONDS)

    async def run_once(self, now: datetime | None = None) -> int:
        """Compute up to `batch_size` marked days (and their weeks); return how many."""
        now = now or utcnow()
        if not await GroupDay.exists() and not await AnalyticsDirty.exists():
            await dirty.mark_everything()
        candidates = await (
            AnalyticsDirty.filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .order_by("day")
            .limit(self.batch_size)
            .values("id", "group_id", "day", "marked_at")
        )
        claimed = []
        for row in candidates:
            taken = await AnalyticsDirty.filter(
                Q(lease_until__isnull=True) | Q(lease_until__lt=now), id=row["id"]
            ).update(lease_until=now + LEASE)
            if taken:
                claimed.append(row)
        leases = Leases(AnalyticsDirty, LEASE)
        leases.hold([row["id"] for row in claimed])
        weeks: set[tuple[str, date]] = set()
        async with leases.kept():
            for row in claimed:
                await recompute_day(row["group_id"], row["day"])
                weeks.add((row["group_id"], week_start(row["day"])))
                weeks.add((INSTANCE, week_start(row["day"])))
            for scope, week in sorted(weeks):
                await recompute_week(scope, week)
            for row in claimed:
                leases.release(row["id"])
                done = await AnalyticsDirty.filter(
                    id=row["id"], marked_at=row["marked_at"]
                ).delete()
                if not done:  # marked again meanwhile: computed again on the next pass
                    await AnalyticsDirty.filter(id=row["id"]).update(lease_until=None)
        return len(claimed)

    async def run_until_stopped(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception:
                log.exception("the analytics rollups failed; retrying after a pause")
                handled = 0
            if handled < self.batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.poll_interval)
