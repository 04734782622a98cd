"""Immediate notification mail (server/mail/queue.py): queued in the notification's transaction
only when the member wants it at once, has mail on, an address and an active account."""

from __future__ import annotations

import pytest

from server.mail.categories import MailCategory, category_of
from server.models import (
    AccountState,
    MailCadence,
    MailPreferences,
    Notification,
    NotificationKind,
    OutgoingMail,
)
from server.settings import Settings
from tests.helpers import join_as_member, make_account, make_group, make_post, make_reply
from tests.server.mail._world import subscribe


@pytest.fixture(autouse=True)
def subscribed(settings: Settings, database: None) -> None:
    subscribe(settings)


async def a_reply_to(owner_name: str = "teacher") -> tuple[str, str]:
    """A thread by `owner_name` and a reply by a student; (owner account id, reply id)."""
    owner = await make_account(owner_name)
    group = await make_group(owner, "rustlings")
    student = await make_account("student")
    await join_as_member(group, student)
    return owner.id, (await make_reply(student, await make_post(owner, group))).id


def test_category__every_notification_kind_has_one() -> None:
    assert {category_of(kind) for kind in NotificationKind} == set(MailCategory)
    assert category_of(NotificationKind.WATCHED_REPLY) == MailCategory.REPLIES
    assert category_of(NotificationKind.POST_HELD) == MailCategory.MODERATION


async def test_queue__a_reply_queues_one_mail_by_default() -> None:
    owner_id, _ = await a_reply_to()
    rows = await OutgoingMail.filter(account_id=owner_id)
    assert [(row.kind, row.to_address) for row in rows] == [("notification", "teacher@example.org")]


@pytest.mark.parametrize(
    "choice",
    [
        {"replies": MailCadence.DAILY},
        {"replies": MailCadence.WEEKLY},
        {"replies": MailCadence.NEVER},
        {"no_email": True},
    ],
)
async def test_queue__no_mail_at_once_unless_the_member_wants_it(choice: dict[str, object]) -> None:
    # Given a member who wants replies otherwise than at once (or no mail at all)
    owner = await make_account("teacher")
    await MailPreferences.create(account=owner, **choice)
    group = await make_group(owner, "rustlings")
    student = await make_account("student")
    await join_as_member(group, student)
    # When someone replies to them
    await make_reply(student, await make_post(owner, group))
    # Then nothing is queued for them
    assert not await OutgoingMail.filter(account_id=owner.id).exists()


async def test_queue__a_suspended_account_gets_no_mail() -> None:
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    student = await make_account("student")
    await join_as_member(group, student)
    root = await make_post(owner, group)
    await type(owner).filter(id=owner.id).update(state=AccountState.SUSPENDED)
    await make_reply(student, root)
    assert not await OutgoingMail.filter(account_id=owner.id).exists()


async def test_queue__mentions_follow_their_own_preference() -> None:
    # Given a member who wants replies but not mentions at once
    owner = await make_account("teacher")
    await MailPreferences.create(account=owner, mentions=MailCadence.NEVER)
    group = await make_group(owner, "rustlings")
    student = await make_account("student")
    await join_as_member(group, student)
    # When a student mentions them in a new thread
    await make_post(student, group, body="Thanks @teacher for the help")
    # Then they are notified, but no mail is queued
    assert await Notification.filter(recipient=owner, kind=NotificationKind.MENTION).exists()
    assert not await OutgoingMail.filter(account_id=owner.id).exists()
