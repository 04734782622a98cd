"""The analytics rollups against a direct count of the same seeded data: right, idempotent, and
folding in late changes; the view counter; the date ranges; the CSV cells."""

from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from server import events
from server.models import (
    ActiveWeek,
    AnalyticsDirty,
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
from server.services import moderation
from server.services.insights import (
    BadRange,
    RollupWorker,
    ViewCounter,
    build_report,
    dirty,
    rollups,
)
from server.services.insights.dates import parse_range
from server.services.insights.rollups import INSTANCE
from server.services.insights.tables import Link, Table, csv_text, safe_cell
from server.settings import Settings
from tests.helpers import join_as_member, make_account, make_group, make_post_row

START = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday

pytestmark = pytest.mark.usefixtures("database")


async def _roll_up(settings: Settings) -> int:
    worker, total = RollupWorker(settings), 0
    while handled := await worker.run_once():
        total += handled
    return total


async def _seed(seed: int = 7) -> dict[str, object]:
    """Three weeks of two groups: posts, questions, replies (some removed), accepted answers,
    reactions, members joining, and page views, at known times."""
    rng = random.Random(seed)
    owner = await make_account("olga")
    people = [owner] + [await make_account(f"p{n}") for n in range(5)]
    groups = [await make_group(owner, "physics"), await make_group(owner, "chemistry")]
    for group in groups:
        for person in people[1:]:
            await join_as_member(group, person)
    for n, membership in enumerate(await Membership.filter(state=MembershipState.ACCEPTED)):
        await Membership.filter(id=membership.id).update(decided_at=START + timedelta(hours=7 * n))
    for n in range(60):
        group = rng.choice(groups)
        author = rng.choice(people)
        at = START + timedelta(minutes=rng.randrange(21 * 24 * 60))
        kind = rng.choice([PostKind.DISCUSSION, PostKind.QUESTION, PostKind.RESOURCE])
        state = PostState.REMOVED if n % 11 == 0 else PostState.PUBLISHED
        post = await make_post_row(author, group, title=f"T{n}", kind=kind, state=state)
        await Post.filter(id=post.id).update(created_at=at)
        post.created_at = at
        for r in range(rng.randrange(4)):
            replier = rng.choice(people)
            reply = await make_post_row(replier, group, parent=post, source=f"R{r}")
            reply_at = at + timedelta(hours=rng.randrange(1, 90))
            await Post.filter(id=reply.id).update(
                created_at=reply_at,
                state=PostState.REMOVED if r == 2 else PostState.PUBLISHED,
            )
            if kind == PostKind.QUESTION and r == 0 and rng.random() < 0.6:
                await Post.filter(id=post.id).update(accepted_answer_id=reply.id)
        for reactor in rng.sample(people, rng.randrange(3)):
            reaction = await Reaction.create(post=post, actor_id=reactor.actor_id)
            await Reaction.filter(id=reaction.id).update(
                created_at=at + timedelta(hours=rng.randrange(100))
            )
        if rng.random() < 0.5:
            await ThreadViewDay.create(
                thread=post, group=group, day=at.date(), views=rng.randrange(1, 9)
            )
    return {"groups": groups, "owner": owner}


def _day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


async def _direct_days() -> dict[tuple[str, date], tuple[int, int, int, int, int]]:
    """(group, day) -> (posts, replies, questions, new members, views), counted from the rows."""
    counts: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for post in await Post.filter(state=PostState.PUBLISHED):
        key = (post.group_id, _day(post.created_at))
        if post.parent_id is None:
            counts[key][0] += 1
            counts[key][2] += post.kind == PostKind.QUESTION
        else:
            counts[key][1] += 1
    for membership in await Membership.filter(state=MembershipState.ACCEPTED):
        if membership.decided_at is not None:
            counts[(membership.group_id, _day(membership.decided_at))][3] += 1
    for view in await ThreadViewDay.all():
        counts[(view.group_id, view.day)][4] += view.views
    return {key: (a, b, c, d, e) for key, (a, b, c, d, e) in counts.items()}


async def _rolled_days() -> dict[tuple[str, date], tuple[int, int, int, int, int]]:
    return {
        (row.group_id, row.day): (row.posts, row.replies, row.questions, row.new_members, row.views)
        for row in await GroupDay.all()
        if (row.posts, row.replies, row.questions, row.new_members, row.views) != (0, 0, 0, 0, 0)
    }


async def _direct_active() -> dict[tuple[str, date], int]:
    people: dict[tuple[str, date], set[str]] = defaultdict(set)
    for post in await Post.filter(state=PostState.PUBLISHED):
        monday = _day(post.created_at) - timedelta(days=_day(post.created_at).weekday())
        people[(post.group_id, monday)].add(post.author_id)
        people[(INSTANCE, monday)].add(post.author_id)
    for reaction in await Reaction.all().select_related("post"):
        day = _day(reaction.created_at)
        monday = day - timedelta(days=day.weekday())
        people[(reaction.post.group_id, monday)].add(reaction.actor_id)
        people[(INSTANCE, monday)].add(reaction.actor_id)
    return {key: len(found) for key, found in people.items()}


async def _snapshot() -> tuple[object, ...]:
    days = await _rolled_days()
    weeks = {(w.scope, w.week): w.members for w in await ActiveWeek.all() if w.members}
    questions = {
        q.question_id: (q.first_reply_after, q.first_replier_id, q.accepted_after, q.answerer_id)
        for q in await QuestionStat.all()
    }
    resources = {(r.thread_id, r.week): r.views for r in await ResourceWeek.all()}
    return days, weeks, questions, resources


async def test_rollups__match_a_direct_count(settings: Settings) -> None:
    # Given three weeks of activity in two groups, stored before any rollup existed
    await _seed()
    # When the worker runs until nothing is left to do
    assert await _roll_up(settings) > 0
    # Then every day of every group matches a count made straight from the rows
    assert await _rolled_days() == await _direct_days()
    # And the active members of every week, per group and for the instance
    weeks = {(w.scope, w.week): w.members for w in await ActiveWeek.all() if w.members}
    assert weeks == await _direct_active()
    # And each published question's first reply (by someone else) and accepted answer
    for question in await Post.filter(kind=PostKind.QUESTION, parent_id=None):
        stat = await QuestionStat.get_or_none(question_id=question.id)
        if question.state != PostState.PUBLISHED:
            assert stat is None
            continue
        assert stat is not None
        replies = (
            await Post.filter(root_id=question.id, state=PostState.PUBLISHED)
            .exclude(author_id=question.author_id)
            .order_by("created_at")
        )
        expected = (
            int((replies[0].created_at - question.created_at).total_seconds()) if replies else None
        )
        assert stat.first_reply_after == expected
        answer = await Post.get_or_none(
            id=question.accepted_answer_id or "", state=PostState.PUBLISHED
        )
        assert stat.answerer_id == (answer.author_id if answer else None)
    # And each resource's views per week
    expected: dict[tuple[str, date], int] = defaultdict(int)
    for view in await ThreadViewDay.filter(thread__kind=PostKind.RESOURCE):
        expected[(view.thread_id, view.day - timedelta(days=view.day.weekday()))] += view.views
    rolled = {(row.thread_id, row.week): row.views for row in await ResourceWeek.all()}
    assert rolled == dict(expected)
    assert expected
    assert not await AnalyticsDirty.exists()


async def test_rollups__running_a_day_again_gives_the_same_numbers(settings: Settings) -> None:
    # Given rollups built once
    await _seed(11)
    await _roll_up(settings)
    before = await _snapshot()
    # When every day is marked and computed again (twice)
    for _ in range(2):
        await dirty.mark_everything()
        await _roll_up(settings)
    # Then nothing changed
    assert await _snapshot() == before


async def test_rollups__a_late_removal_recomputes_its_day(settings: Settings) -> None:
    # Given rollups built, and the domain events marking days
    seeded = await _seed(3)
    await _roll_up(settings)
    dirty.register(events.bus)
    victim = (
        await Post.filter(state=PostState.PUBLISHED, parent_id=None).order_by("created_at").first()
    )
    assert victim is not None
    key = (victim.group_id, _day(victim.created_at))
    posts_before = (await GroupDay.get(group_id=key[0], day=key[1])).posts
    # When a moderator removes an old post weeks later
    owner = seeded["owner"]
    await moderation.remove_post(owner.actor, victim, "spam")  # type: ignore[attr-defined]
    assert await AnalyticsDirty.filter(group_id=key[0], day=key[1]).exists()
    await _roll_up(settings)
    # Then that day counts one post fewer, and everything still matches a direct count
    assert (await GroupDay.get(group_id=key[0], day=key[1])).posts == posts_before - 1
    assert await _rolled_days() == await _direct_days()


async def test_rollups__a_day_marked_again_while_computed_stays_marked(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a marked day that a worker claims
    seeded = await _seed(5)
    await _roll_up(settings)
    group = seeded["groups"][0]  # type: ignore[index]
    await dirty.mark_days([(group.id, START.date())])
    real = rollups.recompute_day

    async def marked_meanwhile(group_id: str, day: date) -> None:
        await real(group_id, day)
        await dirty.mark_days([(group_id, day)])  # a post arrives while the day is computed

    monkeypatch.setattr(rollups, "recompute_day", marked_meanwhile)
    assert await RollupWorker(settings).run_once() == 1
    # Then the day stays marked (unleased) for the next pass
    row = await AnalyticsDirty.get(group_id=group.id, day=START.date())
    assert row.lease_until is None


async def test_report__questions_medians_and_helpers(settings: Settings) -> None:
    # Given questions answered after 1, 2 and 4 hours, one accepted, and one left unanswered
    owner = await make_account("olga")
    helper = await make_account("hana")
    group = await make_group(owner, "physics")
    await join_as_member(group, helper)
    asked = utcnow() - timedelta(days=5)
    for n, hours in enumerate((1, 2, 4, None)):
        question = await make_post_row(owner, group, title=f"Q{n}", kind=PostKind.QUESTION)
        await Post.filter(id=question.id).update(created_at=asked)
        if hours is not None:
            reply = await make_post_row(helper, group, parent=question, source="A")
            await Post.filter(id=reply.id).update(created_at=asked + timedelta(hours=hours))
            if hours == 2:
                await Post.filter(id=question.id).update(accepted_answer_id=reply.id)
    await _roll_up(settings)
    # When the report covers the last week
    period = parse_range(None, None, utcnow().date())
    report = await build_report(owner, period, group)
    # Then it counts, shares and medians them
    assert (report.asked, report.answered, report.accepted) == (4, 3, 1)
    assert report.unanswered_48h == 1
    assert report.median_first_reply == 2 * 3600
    assert report.median_accepted == 2 * 3600
    assert [post.title for post in report.unanswered] == ["Q3"]
    assert [(h.actor.username, h.accepted, h.first_replies) for h in report.helpers] == [
        ("hana", 1, 3)
    ]


def test_dates__defaults_and_reasons() -> None:
    today = date(2026, 12, 4)
    assert parse_range(None, None, today).days == 90
    assert parse_range("2026-01-01", "2026-01-31", today).weeks()[0] == date(2025, 12, 29)
    for start, end in [("2026-13-01", None), ("x" * 10, None), ("2026-12-05", "2026-12-01")]:
        with pytest.raises(BadRange):
            parse_range(start, end, today)


@given(start=st.text(max_size=20), end=st.text(max_size=20))
@hypothesis_settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_dates__any_text_is_a_range_or_a_bad_range(start: str, end: str) -> None:
    today = date(2026, 12, 4)
    refused: BadRange | None = None
    try:
        period = parse_range(start, end, today)
    except BadRange as exc:
        refused = exc
    if refused is not None:
        assert refused.status == 400
        assert refused.message
    else:
        assert date(2000, 1, 1) <= period.start <= period.end <= today
        assert period.days <= 731


@given(text=st.text(max_size=30))
def test_csv__cells_never_start_a_formula(text: str) -> None:
    table = Table("t", "T", ["Title", "Text"], [[Link(text, "/p/x"), text]])
    rows = list(csv.reader(io.StringIO(csv_text(table, "https://lyceum.example"), newline="")))
    assert rows[0] == ["Title", "Title address", "Text"]
    assert rows[1][0] == safe_cell(text) == rows[1][2]
    assert not rows[1][0].startswith(("=", "+", "-", "@", "\t", "\r"))
    assert rows[1][1] == "https://lyceum.example/p/x"


async def test_view_counter__keeps_counts_when_a_flush_fails(settings: Settings) -> None:
    owner = await make_account("olga")
    group = await make_group(owner, "physics")
    post = await make_post_row(owner, group)
    counter = ViewCounter()
    counter.record(post.id, group.id)
    counter.record(post.id, group.id)
    counter.record("0" * 26, group.id)  # a thread deleted meanwhile: dropped, not an error
    assert await counter.flush() == 2
    assert (await ThreadViewDay.get(thread_id=post.id)).views == 2
    assert await AnalyticsDirty.filter(group_id=group.id, day=utcnow().date()).exists()
    assert await counter.flush() == 0
