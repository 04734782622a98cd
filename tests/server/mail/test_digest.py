"""Digests (server/mail/digest.py, scheduler.py): what goes in, through the read policy, nothing
for an empty period, once per member per period, and the next time set."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from server.mail.scheduler import DigestScheduler
from server.models import (
    Account,
    Actor,
    DigestFrequency,
    MailPreferences,
    OutgoingMail,
    utcnow,
)
from server.services import moderation
from server.settings import Settings
from tests.helpers import join_as_member, make_account, make_group, make_post, make_reply


@pytest.fixture
def scheduler(settings: Settings, database: None) -> DigestScheduler:
    return DigestScheduler(settings)


async def due_now(account: Account, **values: object) -> MailPreferences:
    """The member's daily digest, due now (after everything the test made so far)."""
    row, _ = await MailPreferences.get_or_create(account=account)
    row.digest = DigestFrequency.DAILY
    row.next_digest_at = utcnow()
    for name, value in values.items():
        setattr(row, name, value)
    await row.save()
    return row


def soon() -> datetime:
    return utcnow() + timedelta(seconds=1)


async def digest_text(account: Account) -> str:
    row = await OutgoingMail.get(account_id=account.id, kind="digest")
    return row.text_body


async def test_digest__lists_questions_answers_and_resources_the_member_may_read(
    scheduler: DigestScheduler, settings: Settings
) -> None:
    # Given a member of a group where others asked, shared and answered
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    reader = await make_account("reader")
    await join_as_member(group, reader)
    own_question = await make_post(reader, group, kind="question", title="My own question")
    open_question = await make_post(owner, group, kind="question", title="Who knows traits")
    removed = await make_post(owner, group, kind="question", title="A removed question")
    await moderation.remove_post(await Actor.get(id=owner.actor_id), removed, "spam")
    await make_post(
        owner,
        group,
        kind="resource",
        title="The Rust book",
        link_url="https://doc.rust-lang.org/book/",
    )
    answer = await make_reply(owner, own_question, "Use a trait object")
    await due_now(reader)
    # When the scheduler runs
    assert await scheduler.run_once(soon()) >= 1
    # Then the reader's digest lists them, with links back, and not the removed question
    text = await digest_text(reader)
    assert "Who knows traits" in text
    assert f"http://lyceum.test/p/{open_question.id}" in text.split()
    assert "The Rust book" in text
    assert f"http://lyceum.test/p/{answer.id}" in text.split()  # the answer to their question
    assert "A removed question" not in text
    assert f"http://lyceum.test/p/{removed.id}" not in text.split()
    row = await OutgoingMail.get(account_id=reader.id, kind="digest")
    assert "Who knows traits" in row.html_body
    assert row.unsubscribe_url.startswith("http://lyceum.test/unsubscribe/")


async def test_digest__nothing_is_sent_for_an_empty_period_and_the_next_is_scheduled(
    scheduler: DigestScheduler,
) -> None:
    # Given a member in a quiet group whose digest is due
    reader = await make_account("reader")
    await make_group(reader, "quiet")
    due = await due_now(reader)
    # When the scheduler runs
    await scheduler.run_once(soon())
    # Then no mail is queued, and the next digest is a day later at the same hour
    assert not await OutgoingMail.filter(account_id=reader.id).exists()
    row = await MailPreferences.get(id=due.id)
    assert row.last_digest_at == due.next_digest_at
    assert row.next_digest_at is not None and row.next_digest_at > utcnow()


async def test_digest__a_repeated_run_queues_nothing_twice(scheduler: DigestScheduler) -> None:
    # Given a digest that was queued
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    reader = await make_account("reader")
    await join_as_member(group, reader)
    await make_post(owner, group, kind="question", title="Who knows traits")
    due = await due_now(reader)
    await scheduler.run_once(soon())
    # When the same period is run again (as after a crash that lost the new schedule)
    await MailPreferences.filter(id=due.id).update(
        next_digest_at=due.next_digest_at, last_digest_at=None
    )
    await scheduler.run_once(soon())
    # Then there is still one digest for that period
    assert await OutgoingMail.filter(account_id=reader.id, kind="digest").count() == 1


async def test_digest__no_mail_for_a_member_who_turned_mail_off(scheduler: DigestScheduler) -> None:
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    reader = await make_account("reader")
    await join_as_member(group, reader)
    await make_post(owner, group, kind="question", title="Who knows traits")
    await due_now(reader, no_email=True)
    await scheduler.run_once(soon())
    assert not await OutgoingMail.filter(account_id=reader.id).exists()


async def test_scheduler__members_who_never_chose_get_the_default_weekly_schedule(
    scheduler: DigestScheduler,
) -> None:
    reader = await make_account("reader")
    await scheduler.run_once(soon())
    row = await MailPreferences.get(account_id=reader.id)
    assert row.digest == DigestFrequency.WEEKLY
    assert row.next_digest_at is not None
    assert row.next_digest_at.weekday() == 0 and row.next_digest_at.hour == 8  # Monday 08:00 UTC


async def test_scheduler__a_member_whose_digest_fails_cannot_hold_back_the_others(
    scheduler: DigestScheduler, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two members with digests due, one of whose digest cannot be built
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    broken, fine = await make_account("broken"), await make_account("fine")
    for member in (broken, fine):
        await join_as_member(group, member)
    await make_post(owner, group, kind="question", title="Who knows traits")
    broken_row, _ = await due_now(broken), await due_now(fine)
    build = scheduler._build_digest

    async def failing(preferences: MailPreferences, account: Account, *args: object) -> object:
        if account.id == broken.id:
            raise RuntimeError("a digest that cannot be built")
        return await build(preferences, account, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(scheduler, "_build_digest", failing)
    # When the scheduler runs
    await scheduler.run_once(soon())
    # Then the other member's digest is queued, and the failing one's is skipped, not retried
    assert "Who knows traits" in await digest_text(fine)
    assert not await OutgoingMail.filter(account_id=broken.id).exists()
    row = await MailPreferences.get(id=broken_row.id)
    assert row.next_digest_at is not None and row.next_digest_at > utcnow()
    assert await scheduler.run_once(soon()) == 0
