"""The dashboard's figures: totals and per-day/per-hour series from seeded rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.models import (
    AccountState,
    Actor,
    ActorKind,
    Delivery,
    DeliveryState,
    Group,
    Post,
    PostKind,
    PostState,
    Reaction,
    Report,
    ReportState,
    utcnow,
)
from server.services import accounts, instance_stats
from server.services._buckets import bucket_starts
from tests.helpers import PASSWORD, make_account, make_group, make_post, make_remote_actor

pytestmark = pytest.mark.usefixtures("database")


def test_bucket_starts__end_with_the_current_bucket() -> None:
    now = datetime(2026, 3, 1, 17, 42, 5, tzinfo=UTC)
    days = bucket_starts("day", 3, now)
    assert days == [datetime(2026, 2, d, tzinfo=UTC) for d in (27, 28)] + [
        datetime(2026, 3, 1, tzinfo=UTC)
    ]
    hours = bucket_starts("hour", 2, now)
    assert hours == [datetime(2026, 3, 1, h, tzinfo=UTC) for h in (16, 17)]


async def _backdate(post: Post, ago: timedelta, now: datetime) -> None:
    await Post.filter(id=post.id).update(created_at=now - ago)


async def test_posts_per_day__counts_each_day_of_the_window() -> None:
    # Given posts written now (2), 3 days ago (1), 29 days ago (1) and 30 days ago (1)
    ada = await make_account("ada")
    group = await make_group(ada, "physics")
    now = utcnow()
    for ago in (0, 0, 3, 29, 30):
        await _backdate(await make_post(ada, group), timedelta(days=ago), now)
    # When the 30-day series is read
    series = await instance_stats.posts_per_day(30, now)
    # Then it has 30 days, the first 29 days ago, and the post of 30 days ago is left out
    counts = [point.count for point in series]
    assert len(counts) == 30
    assert series[-1].start.date() == now.date()
    assert (counts[-1], counts[-4], counts[0], sum(counts)) == (2, 1, 1, 4)


async def test_active_members_per_day__counts_local_people_once_a_day() -> None:
    # Given ada posting twice and reacting today, bob reacting today, ada posting 2 days ago,
    # and a remote person posting today
    ada, bob = await make_account("ada"), await make_account("bob")
    group = await make_group(ada, "physics")
    now = utcnow()
    first = await make_post(ada, group)
    await make_post(ada, group)
    await _backdate(await make_post(ada, group), timedelta(days=2), now)
    await Reaction.create(post=first, actor_id=ada.actor_id)
    await Reaction.create(post=first, actor_id=bob.actor_id)
    remote = await make_remote_actor("zed", "remote.example")
    await Post.create(group=group, author=remote, kind=PostKind.DISCUSSION, title="Hi")
    # When the series is read
    counts = [point.count for point in await instance_stats.active_members_per_day(30, now)]
    # Then today counts ada and bob, two days ago ada, and no one else
    assert (counts[-1], counts[-3], sum(counts)) == (2, 1, 3)


async def test_reports_per_day__counts_reports_opened() -> None:
    ada = await make_account("ada")
    now = utcnow()
    for ago, state in ((0, ReportState.OPEN), (0, ReportState.RESOLVED), (5, ReportState.OPEN)):
        report = await Report.create(reporter_id=ada.actor_id, comment="spam", state=state)
        await Report.filter(id=report.id).update(created_at=now - timedelta(days=ago))
    counts = [point.count for point in await instance_stats.reports_per_day(30, now)]
    assert (counts[-1], counts[-6], sum(counts)) == (2, 1, 3)


async def test_deliveries_per_hour__counts_done_deliveries_by_finish_hour() -> None:
    # Given deliveries done now (2), an hour ago (1), 47 h ago (1) and 48 h ago (1),
    # and one given up now
    ada = await make_account("ada")
    now = utcnow()
    for ago, state in (
        (0, "done"),
        (0, "done"),
        (1, "done"),
        (47, "done"),
        (48, "done"),
        (0, "failed"),
    ):
        await Delivery.create(
            activity_id="https://lyceum.test/a/1",
            payload="{}",
            signer_id=ada.actor_id,
            inbox_url="https://remote.example/inbox",
            domain="remote.example",
            state=DeliveryState(state),
            next_attempt_at=now,
            finished_at=now - timedelta(hours=ago),
        )
    series = await instance_stats.deliveries_per_hour(48, now)
    counts = [point.count for point in series]
    assert len(counts) == 48
    assert (counts[-1], counts[-2], counts[0], sum(counts)) == (2, 1, 1, 4)


async def test_summary__counts_the_instance() -> None:
    # Given two active accounts and a pending one, a local group and a remote one,
    # three posts of which one was removed, one open report and one resolved, one queued delivery
    ada = await make_account("ada", admin=True)
    await make_account("bob")
    await accounts.create_account("cy", "cy@example.org", PASSWORD, state=AccountState.PENDING)
    group = await make_group(ada, "physics")
    remote = await Actor.create(kind=ActorKind.GROUP, username="chem", domain="remote.example")
    await Group.create(actor=remote)
    for _ in range(3):
        post = await make_post(ada, group)
    await Post.filter(id=post.id).update(state=PostState.REMOVED)
    await Report.create(reporter_id=ada.actor_id, state=ReportState.OPEN)
    await Report.create(reporter_id=ada.actor_id, state=ReportState.RESOLVED)
    await Delivery.create(
        activity_id="x",
        payload="{}",
        signer_id=ada.actor_id,
        inbox_url="https://remote.example/inbox",
        domain="remote.example",
        next_attempt_at=utcnow(),
    )
    # When the summary is read
    summary = await instance_stats.summary()
    # Then each figure counts what it says
    assert (summary.accounts, summary.pending_signups) == (2, 1)
    assert (summary.groups, summary.posts, summary.open_reports) == (1, 2, 1)
    assert summary.queue.total == 1
