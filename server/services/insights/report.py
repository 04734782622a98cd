"""A report for one group (its moderators) or for every group hosted here (the admins), over a
date range, read from the rollups: a few small queries whatever the size of the instance.

Weeks run Monday to Sunday (UTC); the first and last week of a range may be partial, and hold
only the days inside the range. Active members are counted per whole week. Questions belong to
the range they were asked in; a question is "unanswered after 48 hours" when nobody but its
author replied within 48 hours of asking.
"""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet

from server.models import (
    Account,
    AccountState,
    ActiveWeek,
    Actor,
    Group,
    GroupDay,
    Membership,
    MembershipState,
    Post,
    QuestionStat,
    ResourceWeek,
    utcnow,
)
from server.services._buckets import bucket_sql
from server.services.insights._sql import Params, connection, week_start
from server.services.insights.dates import DateRange
from server.services.insights.rollups import INSTANCE
from server.services.reading import readable_posts

__all__ = ["UNANSWERED_AFTER", "Helper", "Listed", "Report", "Week", "build_report", "duration"]

UNANSWERED_AFTER = timedelta(hours=48)
TOP = 10
UNANSWERED_LISTED = 50


@dataclass
class Week:
    start: date
    active: int = 0
    new_members: int = 0
    posts: int = 0
    replies: int = 0
    questions: int = 0
    views: int = 0


@dataclass(frozen=True)
class Listed:
    """A post as a report lists it: enough for a linked row, without loading the whole post."""

    id: str
    title: str
    created_at: datetime
    group_name: str
    likes: int


@dataclass(frozen=True)
class Helper:
    actor: Actor
    accepted: int  # accepted answers to questions asked in the range
    first_replies: int  # first replies (by someone other than the asker) to those questions


@dataclass
class Report:
    range: DateRange
    group: Group | None  # None: every group hosted here
    weeks: list[Week]
    asked: int = 0
    answered: int = 0
    accepted: int = 0
    unanswered_48h: int = 0
    median_first_reply: int | None = None  # seconds
    median_accepted: int | None = None
    unanswered: list[Listed] = field(default_factory=list)
    resources: list[tuple[Listed, int]] = field(default_factory=list)  # (resource, views)
    helpers: list[Helper] = field(default_factory=list)
    reach: list[tuple[str, int]] = field(default_factory=list)  # (server software, followers)

    def total(self, name: str) -> int:
        return sum(getattr(week, name) for week in self.weeks)

    @property
    def answered_share(self) -> float | None:
        return self.answered / self.asked if self.asked else None

    @property
    def accepted_share(self) -> float | None:
        return self.accepted / self.asked if self.asked else None


def duration(seconds: int | None) -> str:
    """A span a person reads at a glance: "45 min", "5 h 10 min", "3 days 4 h"."""
    if seconds is None:
        return "none"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} days {hours} h" if hours else f"{days} days"


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


async def _group_ids(group: Group | None) -> list[str]:
    """The groups a report covers: one, or every group hosted here (by id, so that queries
    use the rollups' (group, day) indexes rather than join the groups' actors)."""
    if group is not None:
        return [group.id]
    return [str(g) for g in await Group.filter(actor__domain="").values_list("id", flat=True)]


async def build_report(
    viewer: Account, period: DateRange, group: Group | None, now: datetime | None = None
) -> Report:
    now = now or utcnow()
    report = Report(period, group, [Week(start) for start in period.weeks()])
    ids = await _group_ids(group)
    questions = QuestionStat.filter(
        group_id__in=ids,
        asked_at__gte=_moment(period.start),
        asked_at__lt=_moment(period.end + timedelta(days=1)),
    )
    # Independent reads, at once: on PostgreSQL each takes a connection of the pool, so the
    # page waits for the slowest rather than for the sum of their round trips.
    _, _, unanswered, resources, reach = await asyncio.gather(
        _fill_weeks(report, ids),
        _fill_questions(report, ids, period, now),
        _unanswered(viewer, questions, now),
        _resources(viewer, period, ids),
        _reach(ids),
    )
    report.unanswered, report.resources, report.reach = unanswered, resources, reach
    return report


async def _fill_weeks(report: Report, ids: list[str]) -> None:
    period, group = report.range, report.group
    weeks = {week.start: week for week in report.weeks}
    days = (
        await GroupDay.filter(group_id__in=ids, day__gte=period.start, day__lte=period.end)
        .annotate(
            p=Sum("posts"),
            r=Sum("replies"),
            q=Sum("questions"),
            m=Sum("new_members"),
            v=Sum("views"),
        )
        .group_by("day")
        .values_list("day", "p", "r", "q", "m", "v")
    )
    for day, posts, replies, questions, members, views in days:
        week = weeks[week_start(_as_date(day))]
        week.posts += int(posts or 0)
        week.replies += int(replies or 0)
        week.questions += int(questions or 0)
        week.new_members += int(members or 0)
        week.views += int(views or 0)
    if group is None:  # the instance's new members are its new accounts
        for week in report.weeks:
            week.new_members = 0
        joined = (
            await Account.filter(
                state=AccountState.ACTIVE,
                created_at__gte=_moment(period.start),
                created_at__lt=_moment(period.end + timedelta(days=1)),
            )
            .annotate(bucket=bucket_sql("account", "created_at", "day"), n=Count("id"))
            .group_by("bucket")
            .values_list("bucket", "n")
        )
        for key, n in joined:
            weeks[week_start(date.fromisoformat(str(key)))].new_members += int(n)
    active = await ActiveWeek.filter(
        scope=group.id if group is not None else INSTANCE, week__in=list(weeks)
    ).values_list("week", "members")
    for week_day, members in active:
        weeks[_as_date(week_day)].active = int(members)


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _median(values: list[int]) -> int | None:
    return int(statistics.median(values)) if values else None


async def _fill_questions(report: Report, ids: list[str], period: DateRange, now: datetime) -> None:
    """Counts, medians and helpers of the range's questions, in three statements."""
    if not ids:
        return
    db = connection()
    start, end = _moment(period.start), _moment(period.end + timedelta(days=1))

    def scope(p: Params) -> str:
        groups = ", ".join(p(group_id) for group_id in ids)
        return f'"group_id" IN ({groups}) AND "asked_at" >= {p(start)} AND "asked_at" < {p(end)}'

    p = Params(db)
    late = (
        f'(("first_reply_after" IS NULL AND "asked_at" <= {p(now - UNANSWERED_AFTER)})'
        f' OR "first_reply_after" > {p(int(UNANSWERED_AFTER.total_seconds()))})'
    )
    _, rows = await db.execute_query(
        'SELECT COUNT(*), COUNT("first_reply_after"), COUNT("accepted_after"),'  # noqa: S608
        f' SUM(CASE WHEN {late} THEN 1 ELSE 0 END) FROM "analytics_question" WHERE {scope(p)}',
        p.values,
    )
    asked, answered, accepted, unanswered = (int(value or 0) for value in rows[0])
    report.asked, report.answered, report.accepted = asked, answered, accepted
    report.unanswered_48h = unanswered
    p = Params(db)
    _, rows = await db.execute_query(
        'SELECT "first_reply_after", "accepted_after" FROM "analytics_question"'  # noqa: S608
        f' WHERE {scope(p)} AND ("first_reply_after" IS NOT NULL OR "accepted_after" IS NOT NULL)',
        p.values,
    )
    report.median_first_reply = _median([int(row[0]) for row in rows if row[0] is not None])
    report.median_accepted = _median([int(row[1]) for row in rows if row[1] is not None])
    p = Params(db)
    _, rows = await db.execute_query(
        'SELECT \'a\', "answerer_id", COUNT(*) FROM "analytics_question"'  # noqa: S608
        f' WHERE {scope(p)} AND "answerer_id" IS NOT NULL GROUP BY "answerer_id" UNION ALL'
        ' SELECT \'f\', "first_replier_id", COUNT(*) FROM "analytics_question"'
        f' WHERE {scope(p)} AND "first_replier_id" IS NOT NULL GROUP BY "first_replier_id"',
        p.values,
    )
    counts: dict[str, Counter[str]] = {"a": Counter(), "f": Counter()}
    for which, actor_id, n in rows:
        counts[str(which)][str(actor_id)] = int(n)
    report.helpers = await _helpers(counts["a"], counts["f"])


async def _unanswered(
    viewer: Account, questions: QuerySet[QuestionStat], now: datetime
) -> list[Listed]:
    """Questions of the range still without a reply 48 hours on, newest first (linked)."""
    ids = await (
        questions.filter(first_reply_after__isnull=True, asked_at__lte=now - UNANSWERED_AFTER)
        .order_by("-asked_at")
        .limit(UNANSWERED_LISTED)
        .values_list("question_id", flat=True)
    )
    listed = await _listed(viewer, [str(i) for i in ids])
    return sorted(listed.values(), key=lambda post: post.created_at, reverse=True)


async def _listed(viewer: Account, ids: list[str]) -> dict[str, Listed]:
    """The posts among `ids` the viewer may read (the read policy decides)."""
    rows = await Post.filter(readable_posts(viewer), id__in=ids).values(
        "id",
        "title",
        "created_at",
        "like_count",
        "group__actor__display_name",
        "group__actor__username",
    )
    return {
        row["id"]: Listed(
            row["id"],
            row["title"],
            row["created_at"],
            row["group__actor__display_name"] or row["group__actor__username"],
            row["like_count"],
        )
        for row in rows
    }


async def _resources(
    viewer: Account, period: DateRange, ids: list[str]
) -> list[tuple[Listed, int]]:
    """The resources read the most in the range's weeks (thread page views)."""
    top = await (
        ResourceWeek.filter(
            group_id__in=ids,
            week__gte=week_start(period.start),
            week__lte=week_start(period.end),
        )
        .annotate(total=Sum("views"))
        .group_by("thread_id")
        .order_by("-total")
        .limit(TOP)
        .values_list("thread_id", "total")
    )
    views = {str(thread): int(total) for thread, total in top}
    found = await _listed(viewer, list(views))
    return [(found[thread], n) for thread, n in views.items() if thread in found]


async def _helpers(accepted: Counter[str], first: Counter[str]) -> list[Helper]:
    """Who gave the accepted answers, then the first replies, to the range's questions."""
    ranked = sorted(
        set(accepted) | set(first),
        key=lambda actor: (-accepted[actor], -first[actor], actor),
    )[: TOP * 2]  # a few spare, for people suspended or deleted since
    actors = {
        actor.id: actor
        for actor in await Actor.filter(
            id__in=ranked, deleted_at__isnull=True, suspended_at__isnull=True
        )
    }
    return [Helper(actors[a], accepted[a], first[a]) for a in ranked if a in actors][:TOP]


async def _reach(ids: list[str]) -> list[tuple[str, int]]:
    """The groups' followers on other servers (today), by the software their server runs."""
    rows = (
        await Membership.filter(group_id__in=ids, state=MembershipState.ACCEPTED)
        .exclude(actor__domain="")
        .annotate(n=Count("actor_id", distinct=True))
        .group_by("actor__software")
        .values_list("actor__software", "n")
    )
    reach = [(str(software or "unknown"), int(n)) for software, n in rows]
    return sorted(reach, key=lambda row: (-row[1], row[0]))
