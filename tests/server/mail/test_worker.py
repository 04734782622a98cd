"""The mail worker (server/mail/worker.py) against a real SMTP server (aiosmtpd) over sockets:
what a sent message carries, retries with backoff, and giving up on a permanent refusal."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest

from server.mail.queue import queue_mail
from server.mail.render import render_mail
from server.mail.unsubscribe import unsubscribe_url
from server.mail.worker import BACKOFF, MailWorker
from server.models import MailPreferences, MailState, Notification, OutgoingMail, utcnow
from server.settings import Settings
from tests.helpers import (
    client_for,
    join_as_member,
    make_account,
    make_group,
    make_post,
    make_reply,
)
from tests.server.mail._world import subscribe, with_smtp
from tests.web._smtp import Inbox, SmtpServer, parts_of, running_smtp_server


@pytest.fixture
async def smtp_server() -> AsyncIterator[SmtpServer]:
    async with running_smtp_server() as server:
        yield server


@pytest.fixture
def mail_settings(settings: Settings, smtp_server: SmtpServer, database: None) -> Settings:
    configured = with_smtp(settings, smtp_server.port)
    subscribe(configured)
    return configured


async def test_worker__sends_a_reply_notification_with_both_parts_and_unsubscribe_headers(
    mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    # Given a member whose thread gets a reply (mail for replies is at once by default)
    owner = await make_account("teacher", display_name="Ada Teacher")
    group = await make_group(owner, "rustlings")
    student = await make_account("student", display_name="Sam Student")
    await join_as_member(group, student)
    root = await make_post(owner, group, title="Borrowing & lifetimes")
    reply = await make_reply(student, root)
    # When the worker runs once
    assert await MailWorker(mail_settings).run_once() == 1
    # Then one message reached the SMTP server, for the owner only, and it is recorded sent
    assert smtp_server.inbox.recipients == ["teacher@example.org"]
    message = smtp_server.inbox.messages[0]
    assert message["From"] == "lyceum@lyceum.test"
    assert message["To"] == "teacher@example.org"
    assert message["Subject"] == "Sam Student replied to your post"
    assert parsedate_to_datetime(message["Date"]).tzinfo is not None
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@lyceum.test>")
    owner_url = unsubscribe_url(mail_settings, owner.id)
    assert message["List-Unsubscribe"] == f"<{owner_url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    parts = parts_of(message)
    assert set(parts) == {"text/plain", "text/html"}
    link = f"http://lyceum.test/p/{reply.id}"
    assert link in parts["text/plain"].split()
    assert f'href="{link}"' in parts["text/html"]
    assert "Borrowing &amp; lifetimes" in parts["text/html"]  # escaped in HTML
    assert '"Borrowing & lifetimes"' in parts["text/plain"]
    assert "http://lyceum.test/settings/email" in parts["text/plain"].split()
    row = await OutgoingMail.get(dedup_key=f"notification:{(await reply_notification(reply.id))}")
    assert (row.state, row.attempts, row.lease_until) == (MailState.SENT, 1, None)
    # And a second run sends nothing more
    assert await MailWorker(mail_settings).run_once() == 0
    assert len(smtp_server.inbox.messages) == 1


async def reply_notification(post_id: str) -> str:
    return (await Notification.get(post_id=post_id)).id


async def test_worker__the_unsubscribe_post_from_the_header_works_without_a_session(
    mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    # Given a mail sent to a member
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    student = await make_account("student")
    await join_as_member(group, student)
    await make_reply(student, await make_post(owner, group))
    await MailWorker(mail_settings).run_once()
    header = smtp_server.inbox.messages[0]["List-Unsubscribe"]
    url = header.strip("<>")
    # When a mail client POSTs the RFC 8058 body to it, with no cookie and no CSRF token
    async with client_for(mail_settings) as client:
        response = await client.post(
            url,
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    # Then the member is unsubscribed from all mail
    assert response.status_code == 200
    preferences = await MailPreferences.get(account_id=owner.id)
    assert preferences.no_email is True
    # And a new reply queues no mail for them
    await make_reply(student, await make_post(owner, group, title="Another"))
    assert await OutgoingMail.filter(account_id=owner.id).count() == 1


async def test_worker__a_forged_unsubscribe_token_changes_nothing(
    mail_settings: Settings,
) -> None:
    # Given a member and a token signed with another key
    owner = await make_account("teacher")
    other = mail_settings.model_copy(update={"secret_key": "another-secret-" + "y" * 32})
    forged = unsubscribe_url(other, owner.id)
    # When it is posted
    async with client_for(mail_settings) as client:
        response = await client.post(forged, data={"List-Unsubscribe": "One-Click"})
        tampered = await client.post(
            unsubscribe_url(mail_settings, owner.id) + "x", data={"List-Unsubscribe": "One-Click"}
        )
    # Then it is refused and the member still gets mail
    assert (response.status_code, tampered.status_code) == (404, 404)
    assert not await MailPreferences.filter(account_id=owner.id, no_email=True).exists()


async def queue_one(to: str, key: str = "test:1") -> OutgoingMail:
    await queue_mail(
        account=None,
        to_address=to,
        kind="test",
        dedup_key=key,
        mail=render_mail(
            "notification",
            "Hello",
            headline="Hello",
            title="",
            text="",
            link="http://lyceum.test/",
            name="You",
            instance_name="Lyceum",
            preferences_url="http://lyceum.test/settings/email",
            unsubscribe_url="http://lyceum.test/unsubscribe/x",
        ),
    )
    return await OutgoingMail.get(dedup_key=key)


async def test_worker__a_permanent_refusal_gives_the_message_up_at_once(
    settings: Settings, database: None
) -> None:
    # Given an SMTP server that refuses one address for good
    inbox = Inbox(refuse={"gone@example.org": "550 No such user here"})
    async with running_smtp_server(inbox) as server:
        configured = with_smtp(settings, server.port)
        row = await queue_one("gone@example.org")
        ok = await queue_one("here@example.org", key="test:2")
        # When the worker runs
        await MailWorker(configured).run_once()
    # Then that message is dead with the server's answer, and the other one was sent
    row = await OutgoingMail.get(id=row.id)
    assert row.state == MailState.DEAD
    assert row.last_error.startswith("SMTPDataError: (550, ")
    assert (await OutgoingMail.get(id=ok.id)).state == MailState.SENT
    assert inbox.recipients == ["here@example.org"]


async def test_worker__a_temporary_failure_is_retried_after_a_backoff_then_given_up(
    settings: Settings, database: None
) -> None:
    # Given a server that answers 451 (try again later) and two tries allowed
    inbox = Inbox(refuse={"busy@example.org": "451 Try again later"})
    async with running_smtp_server(inbox) as server:
        configured = with_smtp(settings, server.port, mail_max_attempts=2)
        row = await queue_one("busy@example.org")
        worker = MailWorker(configured)
        # When the worker tries it
        before = utcnow()
        await worker.run_once()
        # Then it waits for its next try, after the first backoff
        row = await OutgoingMail.get(id=row.id)
        assert (row.state, row.attempts) == (MailState.QUEUED, 1)
        assert row.next_attempt_at >= before + BACKOFF[0]
        assert "451" in row.last_error
        # And it is not tried again before then
        assert await worker.run_once() == 0
        # When its time comes and the second try fails too
        await OutgoingMail.filter(id=row.id).update(next_attempt_at=utcnow() - timedelta(seconds=1))
        await worker.run_once()
    # Then it is given up
    assert (await OutgoingMail.get(id=row.id)).state == MailState.DEAD


async def test_worker__an_unreachable_server_is_retried(settings: Settings, database: None) -> None:
    # Given a server that is not listening (a port just closed)
    async with running_smtp_server() as server:
        port = server.port
    configured = with_smtp(settings, port)
    row = await queue_one("someone@example.org")
    # When the worker tries to send
    await MailWorker(configured).run_once()
    # Then the mail waits for another try, with the reason
    row = await OutgoingMail.get(id=row.id)
    assert (row.state, row.attempts) == (MailState.QUEUED, 1)
    assert row.last_error


async def test_worker__queueing_the_same_key_twice_queues_one_message(
    settings: Settings, database: None
) -> None:
    await queue_one("someone@example.org", key="same")
    await queue_one("someone@example.org", key="same")
    assert await OutgoingMail.filter(dedup_key="same").count() == 1


async def test_worker__a_stopped_worker_hands_back_what_it_did_not_send(
    settings: Settings, database: None
) -> None:
    # Given two queued messages and a worker told to stop
    configured = with_smtp(settings, 9)  # never reached: nothing is sent
    first = await queue_one("a@example.org", key="test:a")
    second = await queue_one("b@example.org", key="test:b")
    stop = asyncio.Event()
    stop.set()
    # When it runs a batch
    await MailWorker(configured).run_once(stop)
    # Then both are queued again, unclaimed, with no try counted
    for row_id in (first.id, second.id):
        row = await OutgoingMail.get(id=row_id)
        assert (row.state, row.attempts, row.lease_until) == (MailState.QUEUED, 0, None)
