"""The figures of the admin dashboard: totals now, and activity per UTC day or hour.

Each series has one point per bucket, oldest first, the current (unfinished) bucket last, and 0
where nothing happened. Counts are made by the database (`_buckets`), one query per series.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import Q

from server.models import (
    Account,
    AccountState,
    Delivery,
    DeliveryState,
    Group,
    Post,
    PostState,
    Reaction,
    Report,
    ReportState,
    utcnow,
)
from server.services import federation_health
from server.services._buckets import Point, bucket_sql, bucket_starts, count_per_bucket, fill

__all__ = [
    "Point",
    "Summary",
    "active_members_per_day",
    "active_since",
    "deliveries_per_hour",
    "posts_per_day",
    "reports_per_day",
    "summary",
]


@dataclass(frozen=True)
class Summary:
    accounts: int  # active accounts
    active_month: int  # of those, active (any logged-in request) in the last 30 days
    groups: int  # groups hosted here
    posts: int  # published posts and replies, here and from elsewhere
    pending_signups: int
    open_reports: int
    queue: federation_health.QueueDepth


def active_since(since: datetime) -> Q:
    """A filter on `Account` for those seen active (or logging in, for rows from before
    `last_active_at` was kept) since `since`."""
    return Q(last_active_at__gte=since) | Q(last_login_at__gte=since)


async def summary(now: datetime | None = None) -> Summary:
    now = now or utcnow()
    accounts = Account.filter(state=AccountState.ACTIVE)
    return Summary(
        accounts=await accounts.count(),
        active_month=await accounts.filter(active_since(now - timedelta(days=30))).count(),
        groups=await Group.filter(actor__domain="").count(),
        posts=await Post.filter(state=PostState.PUBLISHED).count(),
        pending_signups=await Account.filter(state=AccountState.PENDING).count(),
        open_reports=await Report.filter(state=ReportState.OPEN).count(),
        queue=await federation_health.queue_depth(now),
    )


async def posts_per_day(days: int = 30, now: datetime | None = None) -> list[Point]:
    """Posts and replies written each day (here or received), whatever became of them since."""
    return await count_per_bucket(Post.all(), "post", "created_at", "day", days, now or utcnow())


async def reports_per_day(days: int = 30, now: datetime | None = None) -> list[Point]:
    """Reports opened each day (made here or received from other servers)."""
    return await count_per_bucket(
        Report.all(), "report", "created_at", "day", days, now or utcnow()
    )


async def deliveries_per_hour(hours: int = 48, now: datetime | None = None) -> list[Point]:
    """Deliveries to other servers done (accepted by the receiver) each hour."""
    return await count_per_bucket(
        Delivery.filter(state=DeliveryState.DONE),
        "delivery",
        "finished_at",
        "hour",
        hours,
        now or utcnow(),
    )


async def active_members_per_day(days: int = 30, now: datetime | None = None) -> list[Point]:
    """People with an account here who posted, replied or reacted, each day (each counted once
    a day, however much they did)."""
    starts = bucket_starts("day", days, now or utcnow())
    posted = (
        await Post.filter(created_at__gte=starts[0], author__domain="")
        .annotate(bucket=bucket_sql("post", "created_at", "day"))
        .group_by("bucket", "author_id")
        .values_list("bucket", "author_id")
    )
    reacted = (
        await Reaction.filter(created_at__gte=starts[0], actor__domain="")
        .annotate(bucket=bucket_sql("reaction", "created_at", "day"))
        .group_by("bucket", "actor_id")
        .values_list("bucket", "actor_id")
    )
    active = {(str(bucket), str(actor)) for bucket, actor in (*posted, *reacted)}
    return fill(starts, "day", ((bucket, 1) for bucket, _ in active))
