"""Analytics benchmark: a year of a 100,000-post instance, its rollups, and the report pages.

For SQLite (a temporary data dir) or PostgreSQL (a temporary database on 127.0.0.1:5432):
- stores in bulk a year of 20 groups: 2,000 local people and 300 followers on other servers
  (Mastodon, Lemmy, Misskey), memberships joined through the year, `--posts` posts (70 % threads
  of every kind, a third of them questions; 30 % replies, some accepted), reactions, and thread
  page views on about a third of the days of each thread;
- builds the rollups from nothing as the worker does (`RollupWorker.run_once` until done) and
  prints the time, then the time of one day computed again (a late change);
- renders the instance's analytics page and value report and one group's page over the whole
  year through the app (admin logged in), `--renders` times each, and prints p50 / p95;
- prints what counting one page view costs: the in-memory counter (with its flush shared out)
  against one upsert per view.

Run: `.venv/bin/python -m bench.analytics [--database sqlite|postgres] [--posts 100000]
[--renders 30]`. The goal is a year's report in <= 200 ms (p95) on both databases.

Figures: see the end of docs/analytics.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta

import httpx

from bench._database import migrated_database
from server import events
from server.app import create_app
from server.models import (
    Account,
    Actor,
    ActorKind,
    Membership,
    MembershipState,
    Post,
    PostKind,
    PostState,
    Reaction,
    ThreadViewDay,
    new_id,
)
from server.services import accounts, groups
from server.services.insights import RollupWorker, ViewCounter, dirty
from server.services.insights._sql import row_placeholders
from server.settings import Settings
from tests.conftest import csrf_from

GROUPS = 20
PEOPLE = 2_000
REMOTE = 300
PASSWORD = "bench password"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


async def fill(rng: random.Random, total: int, today: date) -> None:
    admin = await accounts.create_account("organiser", "organiser@example.org", PASSWORD)
    await Account.filter(id=admin.id).update(role="admin")
    await admin.fetch_related("actor")
    group_ids = []
    for n in range(GROUPS):
        group = await groups.create_group(admin, groups.GroupForm(handle=f"g{n}", name=f"G {n}"))
        group_ids.append(group.id)
    first = datetime.combine(today - timedelta(days=364), datetime.min.time(), tzinfo=UTC)

    def moment(day: int) -> datetime:
        return first + timedelta(days=day, seconds=rng.randrange(86_400))

    people = [
        Actor(id=new_id(), kind=ActorKind.PERSON, username=f"p{n}", domain="")
        for n in range(PEOPLE)
    ]
    remote = [
        Actor(
            id=new_id(),
            kind=ActorKind.PERSON,
            username=f"r{n}",
            domain=f"s{n % 30}.example",
            ap_id=f"https://s{n % 30}.example/u/r{n}",
            software=("mastodon", "lemmy", "misskey", "")[n % 4],
        )
        for n in range(REMOTE)
    ]
    await Actor.bulk_create([*people, *remote], batch_size=1000)
    await Account.bulk_create(
        [
            Account(
                actor_id=actor.id,
                email=f"{actor.username}@example.org",
                password_hash="x",
                created_at=moment(rng.randrange(365)),
            )
            for actor in people
        ],
        batch_size=1000,
    )
    memberships = []
    for actor in [*people, *remote]:
        for group_id in rng.sample(group_ids, rng.randint(1, 3)):
            memberships.append(
                Membership(
                    group_id=group_id,
                    actor_id=actor.id,
                    state=MembershipState.ACCEPTED,
                    decided_at=moment(rng.randrange(365)),
                )
            )
    await Membership.bulk_create(memberships, batch_size=1000)
    threads: list[tuple[str, str, int, PostKind]] = []
    batch: list[Post] = []
    kinds = [PostKind.DISCUSSION, PostKind.QUESTION, PostKind.QUESTION, PostKind.RESOURCE]
    for number in range(total):
        author = rng.choice(people).id
        if threads and rng.random() < 0.3:
            root_id, group_id, day, kind = rng.choice(threads[-3000:])
            reply_day = min(364, day + rng.choice((0, 0, 1, 2, 5)))
            post = Post(
                id=new_id(),
                group_id=group_id,
                author_id=author,
                kind=PostKind.REPLY,
                parent_id=root_id,
                root_id=root_id,
                depth=1,
                content_html="<p>A reply</p>",
                created_at=moment(reply_day),
            )
            if kind == PostKind.QUESTION and rng.random() < 0.3:
                await_accept.append((root_id, post.id))
        else:
            day = number * 365 // total
            group_id = group_ids[number % GROUPS]
            kind = rng.choice(kinds)
            post = Post(
                id=new_id(),
                group_id=group_id,
                author_id=author,
                kind=kind,
                title=f"Thread {number}",
                content_html="<p>Hello</p>",
                link_url="https://example.org/r" if kind == PostKind.RESOURCE else "",
                created_at=moment(day),
            )
            threads.append((post.id, group_id, day, kind))
        if rng.random() < 0.02:
            post.state = PostState.REMOVED
        batch.append(post)
        if len(batch) == 1000:
            await Post.bulk_create(batch)
            batch = []
    if batch:
        await Post.bulk_create(batch)
    for question, answer in dict(await_accept).items():
        await Post.filter(id=question).update(accepted_answer_id=answer)
    reactions = []
    for root_id, _, day, _ in rng.sample(threads, len(threads) // 2):
        for actor in rng.sample(people, rng.randint(1, 3)):
            reactions.append(
                Reaction(post_id=root_id, actor_id=actor.id, created_at=moment(min(364, day + 1)))
            )
    await Reaction.bulk_create(reactions, batch_size=1000)
    views = []
    for root_id, group_id, day, _ in threads:
        for offset in rng.sample(range(0, 30), 3):
            if day + offset <= 364:
                views.append(
                    ThreadViewDay(
                        thread_id=root_id,
                        group_id=group_id,
                        day=(first + timedelta(days=day + offset)).date(),
                        views=rng.randint(1, 40),
                    )
                )
    await ThreadViewDay.bulk_create(views, batch_size=1000)
    print(
        f"stored {total:,} posts, {len(reactions):,} reactions, {len(memberships):,} memberships"
        f", {len(views):,} thread-view days"
    )


await_accept: list[tuple[str, str]] = []


async def roll_up(settings: Settings) -> None:
    worker = RollupWorker(settings, batch_size=500)
    start = time.perf_counter()
    days = 0
    while handled := await worker.run_once():
        days += handled
    spent = time.perf_counter() - start
    print(f"rollups from nothing: {days:,} group-days in {spent:.1f} s ({ms(spent / days)} each)")
    some = await Post.filter(parent_id=None).order_by("created_at").first()
    assert some is not None
    await dirty.mark_days([(some.group_id, some.created_at.date())])
    start = time.perf_counter()
    await worker.run_once()
    print(f"one late day computed again (and its weeks): {ms(time.perf_counter() - start)}")


async def renders(settings: Settings, count: int, today: date) -> None:
    app = create_app(settings, manage_database=False)
    year = f"from={today - timedelta(days=364)}&to={today}"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=settings.base_url,
        headers={"Accept": "text/html"},
    ) as client:
        page = await client.get("/login")
        data = {"login": "organiser", "password": PASSWORD, "csrf_token": csrf_from(page.text)}
        assert (await client.post("/login", data=data)).status_code == 303
        for path in ("/admin/insights", "/admin/insights/report", "/g/g0/insights"):
            spent = []
            for n in range(count + 2):
                start = time.perf_counter()
                response = await client.get(f"{path}?{year}")
                if n >= 2:  # the first two warm the caches up
                    spent.append(time.perf_counter() - start)
                assert response.status_code == 200, response.text[:300]
            print(
                f"{path:<24} a year: p50 {ms(statistics.median(spent))}"
                f", p95 {ms(percentile(spent, 0.95))} ({count} renders)"
            )


async def view_costs() -> None:
    post = await Post.filter(parent_id=None).first()
    assert post is not None
    counter = ViewCounter()
    count = 2000
    start = time.perf_counter()
    for _ in range(count):
        counter.record(post.id, post.group_id)
    await counter.flush()
    buffered = (time.perf_counter() - start) / count
    connection = Post._meta.db
    start = time.perf_counter()
    for _ in range(count // 10):
        await connection.execute_query(
            'INSERT INTO "thread_view_day" ("id", "created_at", "thread_id", "group_id", "day",'
            f' "views") VALUES {row_placeholders(connection, 1, 6)} ON CONFLICT ("thread_id",'
            ' "day") DO UPDATE SET "views" = "thread_view_day"."views" + EXCLUDED."views"',
            [new_id(), datetime.now(UTC), post.id, post.group_id, date.today(), 1],
        )
    upsert = (time.perf_counter() - start) / (count // 10)
    print(f"a page view: counted in memory {buffered * 1e6:.1f} µs; one upsert each {ms(upsert)}")


async def bench(database: str, total: int, count: int) -> None:
    today = datetime.now(UTC).date()
    async with migrated_database(database) as settings:
        events.bus.clear()
        start = time.perf_counter()
        await fill(random.Random(1), total, today)
        print(f"{database}: seeded in {time.perf_counter() - start:.1f} s")
        if database == "postgres":
            await Post._meta.db.execute_script("ANALYZE")
        await roll_up(settings)
        if database == "postgres":
            await Post._meta.db.execute_script("ANALYZE")
        await renders(settings, count, today)
        await view_costs()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--renders", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(bench(args.database, args.posts, args.renders))


if __name__ == "__main__":
    main()
