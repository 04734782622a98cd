"""A `lyceum worker` killed with SIGKILL in the middle of a digest run sends nothing twice but
the one message it had in flight, and a second worker sends the rest.

The real shape: the test's migrated database (SQLite; PostgreSQL with
`LYCEUM_TEST_DATABASE=postgres`, where two workers share the run), `lyceum worker` processes,
and a real SMTP server (aiosmtpd) that takes `SLOW_SERVER` seconds over each message. The mail
worker sends one message at a time and marks it sent before the next, so a killed worker leaves
at most one message sent but not marked: the one in flight when it died (the server may finish
receiving it). That one is sent again once its lease (2 s here) runs out. So each member gets
their digest exactly once, except at most one member per killed worker, who gets it twice.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from server.models import (
    DigestFrequency,
    MailPreferences,
    MailState,
    OutgoingMail,
    utcnow,
)
from server.settings import Settings
from tests.conftest import BACKEND
from tests.helpers import join_as_member, make_account, make_group, make_post
from tests.web._smtp import Inbox, running_smtp_server
from tests.worker_process import Worker, poll

pytestmark = pytest.mark.live

MEMBERS = 30
SLOW_SERVER = 0.1  # seconds per message: the run takes ~3 s, so the kill lands in the middle
KILL_AFTER = 8  # messages received
LEASE_SECONDS = 2


def start_worker(settings: Settings, smtp_port: int, log: Path) -> Worker:
    return Worker(
        settings,
        log,
        LYCEUM_SMTP_HOST="127.0.0.1",
        LYCEUM_SMTP_PORT=str(smtp_port),
        LYCEUM_DELIVERY_LEASE_SECONDS=str(LEASE_SECONDS),
        LYCEUM_WORKER_POLL_SECONDS="0.1",
        LYCEUM_MAIL_BATCH_SIZE="10",
    )


async def test_worker_crash__sigkill_mid_digest_run_sends_each_digest_once_but_the_one_in_flight(
    settings: Settings, database: None, tmp_path: Path
) -> None:
    # Given members of a group where a question waits, each with a daily digest due now
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    await make_post(owner, group, kind="question", title="Who knows traits")
    members = [await make_account(f"member{n}") for n in range(MEMBERS)]
    for member in members:
        await join_as_member(group, member)
    now = utcnow()
    await MailPreferences.bulk_create(
        [
            MailPreferences(account=account, digest=DigestFrequency.DAILY, next_digest_at=now)
            for account in [owner, *members]
        ]
    )
    # The owner's digest would only list their own question: it is empty, so never sent.
    expected = {f"member{n}@example.org" for n in range(MEMBERS)}
    inbox = Inbox(delay=SLOW_SERVER)
    log = tmp_path / "worker.log"
    two_workers = BACKEND == "postgres"  # SQLite supports one worker per database
    async with running_smtp_server(inbox) as server:
        # When a worker (two, on PostgreSQL) runs the digests, and one is killed mid-run
        first = start_worker(settings, server.port, log)
        partner = start_worker(settings, server.port, log) if two_workers else None
        try:
            await poll(lambda: len(inbox.recipients) >= KILL_AFTER, "the digest run", first, 60)
        finally:
            first.kill()
        assert len(set(inbox.recipients)) < MEMBERS, "the kill landed after the run ended"
        # And a second worker is started to finish (or the partner finishes alone)
        second = partner or start_worker(settings, server.port, log)
        try:
            # Then every member receives their digest
            await poll(
                lambda: set(inbox.recipients) == expected, "every member's digest", second, 60
            )
            await poll(all_sent, "every digest recorded sent", second, 20)
        finally:
            # Stopped from a thread: the test's SMTP server runs on this event loop and must
            # keep answering while the worker says QUIT on its way out.
            assert await asyncio.to_thread(second.stop) == 0, log.read_text()
    counts = Counter(inbox.recipients)
    twice = {address: count for address, count in counts.items() if count > 1}
    # Each exactly once, but at most the one message the killed worker had in flight: twice.
    assert set(counts) == expected
    assert len(twice) <= 1 and all(count == 2 for count in twice.values()), twice
    assert await OutgoingMail.filter(kind="digest").count() == MEMBERS  # queued once each
    for message in inbox.messages:
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def all_sent() -> bool:
    return not await OutgoingMail.exclude(state=MailState.SENT).exists()
