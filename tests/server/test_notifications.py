"""Notifications: who hears about replies, mentions, accepted answers and join decisions."""

from __future__ import annotations

import pytest

from server import events
from server.models import (
    Account,
    Actor,
    ActorKind,
    JoinPolicy,
    Membership,
    MembershipState,
    Notification,
    NotificationKind,
)
from server.services import groups, notifications, posts
from tests.helpers import join_as_member, make_account, make_group, make_post, make_reply


@pytest.fixture(autouse=True)
def subscribed(database: None) -> None:
    notifications.register(events.bus)


async def kinds_for(account: Account) -> list[NotificationKind]:
    return [n.kind for n in await Notification.filter(recipient=account).order_by("created_at")]


async def test_reply__notifies_the_parent_author_but_not_oneself() -> None:
    # Given a thread by the owner
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    student = await make_account("student")
    await join_as_member(group, student)
    root = await make_post(owner, group)
    # When the student replies, and the owner replies to their own thread
    reply = await make_reply(student, root)
    await make_reply(owner, root)
    # Then only the student's reply notified the owner, naming the reply and its author
    notes = await Notification.filter(recipient=owner)
    assert [(n.kind, n.post_id, n.actor_id) for n in notes] == [
        (NotificationKind.REPLY, reply.id, student.actor_id)
    ]
    assert await kinds_for(student) == []


async def test_mention__notifies_local_people_once() -> None:
    # Given a group, a member who writes and one who is mentioned
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    student = await make_account("student")
    await join_as_member(group, student)
    # When the student mentions the owner and themselves, in a reply to the owner's thread
    root = await make_post(owner, group)
    await make_reply(student, root, "@teacher see this, says @student")
    # Then the owner hears once (as a reply), and nobody is told of their own mention
    assert await kinds_for(owner) == [NotificationKind.REPLY]
    assert await kinds_for(student) == []


async def test_mention__in_a_new_thread_and_added_by_edit() -> None:
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    student = await make_account("student")
    await join_as_member(group, student)
    other = await make_account("other")
    # When a thread mentions the owner, then an edit adds another person
    post = await make_post(student, group, body="Hello @teacher")
    await posts.edit_post(student, post, title="T", source="Hello @teacher and @other")
    # Then each is notified once of the mention
    assert await kinds_for(owner) == [NotificationKind.MENTION]
    assert await kinds_for(other) == [NotificationKind.MENTION]


async def test_accepted_answer__notifies_the_answerer() -> None:
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    student = await make_account("student")
    await join_as_member(group, student)
    question = await make_post(student, group, kind="question")
    answer = await make_reply(owner, question)
    await posts.accept_answer(question, answer, student)
    notes = await Notification.filter(recipient=owner, kind=NotificationKind.ANSWER_ACCEPTED)
    assert [(n.post_id, n.actor_id) for n in notes] == [(answer.id, student.actor_id)]


async def test_join__request_notifies_moderators_and_decisions_notify_the_member() -> None:
    # Given an approval group and two people asking to join
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings", join_policy=JoinPolicy.APPROVAL)
    yes, no = await make_account("welcome"), await make_account("declined")
    await join_as_member(group, yes)
    await join_as_member(group, no)
    # Then the owner was told of both requests
    assert await kinds_for(owner) == [NotificationKind.JOIN_REQUEST] * 2
    # When the owner accepts one and rejects the other
    owner_actor = await Actor.get(id=owner.actor_id)
    for account, accept in ((yes, True), (no, False)):
        membership = await Membership.get(group=group, actor_id=account.actor_id)
        await groups.decide_membership(membership, owner_actor, accept=accept)
    # Then each hears the decision about that group
    assert await kinds_for(yes) == [NotificationKind.JOIN_ACCEPTED]
    assert await kinds_for(no) == [NotificationKind.JOIN_REJECTED]
    assert (await Notification.get(recipient=no)).group_id == group.id


async def test_join__an_open_group_sends_no_notification() -> None:
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    student = await make_account("student")
    await join_as_member(group, student)
    assert await Notification.all().count() == 0


async def test_remote_authors__are_not_notified_here() -> None:
    # Given a remote person who follows (is a member of) the group and started a thread
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    remote = await Actor.create(
        kind=ActorKind.PERSON,
        username="ann",
        domain="mastodon.example",
        ap_id="https://m.example/ann",
    )
    await Membership.create(group=group, actor=remote, state=MembershipState.ACCEPTED)
    root = await posts.create_post(remote, group, "discussion", "From afar", "Hi")
    # When a local member replies
    await make_reply(owner, root)
    # Then no notification is written (their server tells them)
    assert await Notification.all().count() == 0


async def test_register__twice_still_notifies_once() -> None:
    notifications.register(events.bus)
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    student = await make_account("student")
    await join_as_member(group, student)
    await make_reply(student, await make_post(owner, group))
    assert await Notification.filter(recipient=owner).count() == 1


async def test_listing__pages_counts_and_marks_read() -> None:
    # Given three replies to the owner's thread
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    student = await make_account("student")
    await join_as_member(group, student)
    root = await make_post(owner, group)
    for n in range(3):
        await make_reply(student, root, f"reply {n}")
    # When listing two at a time
    first = await notifications.list_notifications(owner, limit=2)
    second = await notifications.list_notifications(owner, cursor=first.next_cursor, limit=2)
    # Then all three come once, and all are unread
    ids = [n.id for n in first.items + second.items]
    assert len(set(ids)) == 3 and second.next_cursor is None
    assert await notifications.unread_count(owner) == 3
    # When one is marked read (plus an id that is someone else's), then all
    assert await notifications.mark_read(owner, [ids[0], "someone-elses"]) == 1
    assert await notifications.unread_count(owner) == 2
    assert await notifications.mark_all_read(owner) == 2
    assert await notifications.unread_count(owner) == 0


async def test_deleting_a_post__removes_its_notifications() -> None:
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    student = await make_account("student")
    await join_as_member(group, student)
    reply = await make_reply(student, await make_post(owner, group))
    await posts.delete_post(student, reply)
    assert await Notification.all().count() == 0
