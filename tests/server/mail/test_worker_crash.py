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
import inspect
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
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

pytestmark = pytest.mark.live

MEMBERS = 30
SLOW_SERVER = 0.1  # seconds per message: the run takes ~3 s, so the kill lands in the middle
KILL_AFTER = 8  # messages received
LEASE_SECONDS = 2


class Worker:
    """One `lyceum worker` process on the test's database, its output kept in a log file."""

    def __init__(self, settings: Settings, smtp_port: int, log: Path) -> None:
        env = {key: value for key, value in os.environ.items() if not key.startswith("LYCEUM_")}
        env.update(
            LYCEUM_BASE_URL=settings.base_url,
            LYCEUM_DATA_DIR=str(settings.data_dir),
            LYCEUM_DATABASE_URL=settings.database_url,
            LYCEUM_SECRET_KEY=settings.secret_key,
            LYCEUM_SMTP_HOST="127.0.0.1",
            LYCEUM_SMTP_PORT=str(smtp_port),
            LYCEUM_DELIVERY_LEASE_SECONDS=str(LEASE_SECONDS),
            LYCEUM_WORKER_POLL_SECONDS="0.1",
            LYCEUM_MAIL_BATCH_SIZE="10",
        )
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "worker"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def died(self) -> str | None:
        if self.process.poll() is None:
            return None
        return f"the worker exited with {self.process.returncode}:\n{self.log.read_text()}"

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: no cleanup, nothing more recorded
        self.process.wait(timeout=10)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=20)


async def poll(
    condition: Callable[[], bool | Awaitable[bool]], what: str, worker: Worker, seconds: float
) -> None:
    """Wait until `condition()` holds, failing with `what` after `seconds` or if the worker dies."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        outcome = condition()
        if await outcome if inspect.isawaitable(outcome) else outcome:
            return
        problem = worker.died()
        assert problem is None, f"while waiting for {what}: {problem}"
        assert loop.time() < deadline, f"timed out after {seconds} s waiting for {what}"
        await asyncio.sleep(0.02)  # the polling interval of a bounded wait


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
        first = Worker(settings, server.port, log)
        partner = Worker(settings, server.port, log) if two_workers else None
        try:
            await poll(lambda: len(inbox.recipients) >= KILL_AFTER, "the digest run", first, 60)
        finally:
            first.kill()
        assert len(set(inbox.recipients)) < MEMBERS, "the kill landed after the run ended"
        # And a second worker is started to finish (or the partner finishes alone)
        second = partner or Worker(settings, server.port, log)
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
