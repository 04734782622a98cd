"""What the header's unread count costs: one COUNT per page for a logged-in member.

    .venv/bin/python -m bench.notification_count [sqlite|postgres] [notifications ...]

The count goes through the read policy (`reading.openable_posts`: a join to the post and its
group, and a subquery of the groups the member moderates). Prints, for a member with N
notifications (half unread, among 20 other members' as many), the median and p95 of
`notifications.unread_count` against the bare indexed COUNT of unread rows that ignores the
policy, on SQLite (a temporary file) or PostgreSQL (a temporary database on 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

from server import db
from server.models import (
    Account,
    Actor,
    ActorKind,
    Group,
    Notification,
    NotificationKind,
    Post,
    PostKind,
    Role,
    utcnow,
)
from server.services import notifications
from server.settings import Settings

POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
ROUNDS = 200
OTHERS = 20


async def _person(name: str) -> Account:
    actor = await Actor.create(kind=ActorKind.PERSON, username=name, public_key_pem="")
    return await Account.create(
        actor=actor, email=f"{name}@example.org", password_hash="x", role=Role.MEMBER
    )


async def _fill(size: int) -> Account:
    owner = await _person("owner")
    group_actor = await Actor.create(kind=ActorKind.GROUP, username="g", public_key_pem="")
    group = await Group.create(actor=group_actor)
    post = await Post.create(
        group=group, author_id=owner.actor_id, kind=PostKind.DISCUSSION, title="T", source="x"
    )
    member = await _person("member")
    people = [member] + [await _person(f"other{n}") for n in range(OTHERS)]
    now = utcnow()
    for person in people:
        rows = [
            Notification(
                recipient=person,
                kind=NotificationKind.REPLY,
                actor_id=owner.actor_id,
                group=group,
                post=post if n % 3 else None,
                read_at=now if n % 2 else None,
            )
            for n in range(size)
        ]
        await Notification.bulk_create(rows, batch_size=1000)
    return member


async def _time(call: object) -> list[float]:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        await call()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return times


def _line(label: str, times: list[float]) -> str:
    p95 = statistics.quantiles(times, n=20)[18]
    return f"{label} median {statistics.median(times) * 1000:6.2f} ms, p95 {p95 * 1000:6.2f} ms"


async def measure(backend: str, size: int, folder: Path) -> None:
    name = f"lyceum_bench_{uuid.uuid4().hex[:10]}"
    if backend == "postgres":
        admin = await asyncpg.connect(POSTGRES)
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        url = POSTGRES.replace(":5432/postgres", f":5432/{name}").replace("postgresql", "postgres")
    else:
        url = f"sqlite://{folder / f'{name}.sqlite3'}"
    settings = Settings(database_url=url, data_dir=folder)
    await db.migrate(settings)
    await db.open_database(settings)
    try:
        member = await _fill(size)
        counted = await notifications.unread_count(member)
        policy = await _time(lambda: notifications.unread_count(member))
        bare = await _time(
            lambda: Notification.filter(recipient=member, read_at__isnull=True).count()
        )
        print(
            f"{backend:>8} {size:>6} notifications ({counted} unread): " + _line("policy", policy)
        )
        print(f"{'':>8} {'':>6} {'':>26}  " + _line("bare  ", bare))
    finally:
        await db.close_database()
        if backend == "postgres":
            admin = await asyncpg.connect(POSTGRES)
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


async def main(backend: str, sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            await measure(backend, size, Path(folder))


if __name__ == "__main__":
    chosen = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    asyncio.run(main(chosen, [int(arg) for arg in sys.argv[2:]] or [100, 1_000, 10_000]))
