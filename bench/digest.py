"""Digest benchmark: a digest run for 10,000 members, on SQLite and PostgreSQL.

For each database it prints:
- how long the digest scheduler takes to build and queue every member's digest (digests/s;
  it works `digest_batch_size` members per transaction, reading what they share once);
- messages per second through the mail worker's own path (claim with a lease → build the
  MIME message → SMTP over one connection per batch → mark sent, one row at a time), to a
  local aiosmtpd server in its own process (the goal is ≥ 200/s);
- the bare limit: the same messages sent by smtplib over one connection with no database, and
  the worker's share of it;
- the whole run (scheduling + sending), messages/s;
- the process's peak memory (`resource.getrusage`, max resident set size) and the machine's
  load average (other processes share the cores: read the figures next to it).

Run: `.venv/bin/python -m bench.digest [--members 10000] [--database sqlite|postgres|both]`
(PostgreSQL on 127.0.0.1:5432, user postgres, as the tests use; a scratch database is made and
dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import smtplib
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

from server import db
from server.mail.scheduler import DigestScheduler
from server.mail.worker import MailWorker
from server.models import (
    Account,
    Actor,
    ActorKind,
    DigestFrequency,
    MailPreferences,
    MailState,
    MemberRole,
    Membership,
    MembershipState,
    OutgoingMail,
    utcnow,
)
from server.services import accounts, groups, posts
from server.services.groups import GroupForm
from server.services.mail import build_message
from server.settings import Settings

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def start_sink() -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench._smtp_sink"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    port = 0
    for line in process.stdout:
        if line.startswith("PORT "):
            port = int(line.split()[1])
        elif line.strip() == "READY":
            return process, port
    raise RuntimeError("the SMTP sink did not start")


def sink_count(process: subprocess.Popen[str]) -> int:
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("COUNT\n")
    process.stdin.flush()
    return int(process.stdout.readline().split()[1])


async def populate(members: int) -> None:
    """One group with `members` local members (rows written directly: no keys, no hashing),
    a few questions and resources, and a daily digest due now for everyone."""
    owner = await accounts.create_account("teacher", "teacher@example.org", "a long password 1")
    group = await groups.create_group(owner, GroupForm(handle="rustlings", name="Rustlings"))
    for n in range(5):
        await posts.create_post(owner, group, "question", f"Question {n}", "Who knows?", "")
        await posts.create_post(
            owner, group, "resource", f"Resource {n}", "Read it", f"https://example.org/{n}"
        )
    actors = [Actor(kind=ActorKind.PERSON, username=f"m{n}") for n in range(members)]
    await Actor.bulk_create(actors, batch_size=1000)
    actor_ids = dict(
        await Actor.filter(username__startswith="m", domain="").values_list("username", "id")
    )
    people = [
        Account(actor_id=actor_ids[f"m{n}"], email=f"m{n}@example.org", password_hash="x")
        for n in range(members)
    ]
    await Account.bulk_create(people, batch_size=1000)
    await Membership.bulk_create(
        [
            Membership(
                group=group,
                actor_id=actor_ids[f"m{n}"],
                role=MemberRole.MEMBER,
                state=MembershipState.ACCEPTED,
            )
            for n in range(members)
        ],
        batch_size=1000,
    )
    due = utcnow()
    account_ids = await Account.filter(email__startswith="m").values_list("id", flat=True)
    await MailPreferences.bulk_create(
        [
            MailPreferences(account_id=account_id, digest=DigestFrequency.DAILY, next_digest_at=due)
            for account_id in account_ids
        ],
        batch_size=1000,
    )


async def run(settings: Settings, members: int, sink: subprocess.Popen[str]) -> dict[str, float]:
    await db.migrate(settings)
    await db.open_database(settings)
    try:
        await populate(members)
        start_count = sink_count(sink)
        scheduler = DigestScheduler(settings)
        started = time.perf_counter()
        while await scheduler.run_once() > 0:
            pass
        scheduled = time.perf_counter() - started
        queued = await OutgoingMail.filter(kind="digest").count()
        worker = MailWorker(settings)
        started = time.perf_counter()
        while await worker.run_once() > 0:
            pass
        sending = time.perf_counter() - started
        sent = await OutgoingMail.filter(state=MailState.SENT).count()
        received = sink_count(sink) - start_count
        sample = await OutgoingMail.filter(kind="digest").first()
    finally:
        await db.close_database()
    assert sample is not None
    bare = bare_limit(settings, sample, min(members, 3000))
    return {
        "queued": queued,
        "schedule_s": scheduled,
        "sent": sent,
        "received": received,
        "send_s": sending,
        "bare_per_s": bare,
    }


def bare_limit(settings: Settings, sample: OutgoingMail, count: int) -> float:
    """smtplib alone, one connection, the same message built each time: the ceiling."""
    smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port)
    started = time.perf_counter()
    for _ in range(count):
        message = build_message(
            settings,
            sample.to_address,
            sample.subject,
            sample.text_body,
            html=sample.html_body,
            unsubscribe_url=sample.unsubscribe_url,
        )
        smtp.send_message(message)
    elapsed = time.perf_counter() - started
    smtp.quit()
    return count / elapsed


async def postgres_database() -> str:
    name = f"lyceum_bench_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return name


async def drop_postgres_database(name: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def report(backend: str, members: int, figures: dict[str, float]) -> None:
    per_second = figures["sent"] / figures["send_s"]
    print(f"\n{backend}: digest run for {members:,} members")
    print(
        f"  scheduler: {figures['queued']:,.0f} digests built and queued in "
        f"{figures['schedule_s']:.1f} s ({figures['queued'] / figures['schedule_s']:,.0f}/s)"
    )
    print(
        f"  mail worker: {figures['sent']:,.0f} sent ({figures['received']:,.0f} received by "
        f"the SMTP server) in {figures['send_s']:.1f} s: {per_second:,.0f} messages/s "
        f"(goal ≥ 200/s)"
    )
    print(
        f"  bare smtplib limit, same messages, one connection: {figures['bare_per_s']:,.0f}/s "
        f"(the worker reaches {per_second / figures['bare_per_s']:.0%} of it)"
    )
    whole = figures["sent"] / (figures["schedule_s"] + figures["send_s"])
    print(f"  whole digest run (scheduling + sending): {whole:,.0f} messages/s")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory of this process so far (max RSS): {peak_mb:,.0f} MB")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"  load average (1, 5, 15 min): {load} on {os.cpu_count()} cores")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    if args.database != "both":
        asyncio.run(main(args.database, args.members))
        return
    # One process per database: Tortoise keeps dialect state across re-initialisation, and
    # each process's peak memory is then its own.
    for backend in ("sqlite", "postgres"):
        command = [sys.executable, "-m", "bench.digest", "--members", str(args.members)]
        subprocess.run([*command, "--database", backend], check=True)


async def main(backend: str, members: int) -> None:
    sink, port = start_sink()
    try:
        with tempfile.TemporaryDirectory() as workdir:
            pg_name = await postgres_database() if backend == "postgres" else ""
            url = (
                f"postgres://postgres@127.0.0.1:5432/{pg_name}"
                if pg_name
                else f"sqlite://{Path(workdir) / 'bench.sqlite3'}"
            )
            settings = Settings(
                base_url="http://lyceum.test",
                data_dir=Path(workdir),
                database_url=url,
                secret_key="bench-secret-" + "x" * 32,
                smtp_host="127.0.0.1",
                smtp_port=port,
            )
            try:
                figures = await run(settings, members, sink)
            finally:
                if pg_name:
                    await drop_postgres_database(pg_name)
            report(backend, members, figures)
    finally:
        sink.terminate()
        sink.wait(timeout=10)


if __name__ == "__main__":
    cli()
