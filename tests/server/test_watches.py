"""Watching and muting threads and groups, and the notifications they produce or silence."""

from __future__ import annotations

import pytest

from server import events
from server.models import Account, GroupState, Notification, NotificationKind, Post, WatchLevel
from server.services import groups, moderation, notifications, reports, watches
from server.services.errors import Invalid, NotFound
from tests.helpers import join_as_member, make_account, make_group, make_post, make_reply


@pytest.fixture(autouse=True)
def subscribed(database: None) -> None:
    notifications.register(events.bus)


async def kinds(account: Account) -> list[NotificationKind]:
    rows = await Notification.filter(recipient=account).order_by("created_at", "id")
    return [n.kind for n in rows]


async def world() -> tuple[Account, Account, Account, groups.Group, Post]:
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    student, lurker = await make_account("student"), await make_account("lurker")
    await join_as_member(group, student)
    root = await make_post(owner, group, title="Borrowing")
    return owner, student, lurker, group, root


async def test_watch_thread__every_reply_notifies_the_watcher() -> None:
    # Given a lurker watching a thread
    owner, student, lurker, _, root = await world()
    await watches.set_thread_watch(lurker, root, "watching")
    # When the student replies, and replies to the reply
    reply = await make_reply(student, root)
    nested = await make_reply(owner, reply)
    # Then the lurker hears of both, naming each reply
    rows = await Notification.filter(recipient=lurker).order_by("created_at", "id")
    assert [(n.kind, n.post_id) for n in rows] == [  # type: ignore[attr-defined]
        (NotificationKind.WATCHED_REPLY, reply.id),
        (NotificationKind.WATCHED_REPLY, nested.id),
    ]


async def test_watch_thread__the_parent_author_hears_once_and_nobody_of_their_own() -> None:
    # Given the owner watches their own thread
    owner, student, _, _, root = await world()
    await watches.set_thread_watch(owner, root, "watching")
    # When the student replies, and the owner replies too
    await make_reply(student, root)
    await make_reply(owner, root)
    # Then the owner got one reply notification, and nothing of their own reply
    assert await kinds(owner) == [NotificationKind.REPLY]


async def test_new_thread__its_author_watches_it_and_hears_of_every_reply() -> None:
    owner, student, lurker, group, root = await world()
    assert await watches.watch_level(owner, thread=root) == WatchLevel.WATCHING
    await join_as_member(group, lurker)
    # When the student replies and the lurker answers the student (not the owner)
    first = await make_reply(student, root)
    nested = await make_reply(lurker, first)
    # Then the owner hears of the direct reply and of the nested one
    rows = await Notification.filter(recipient=owner).order_by("created_at", "id")
    assert [(n.kind, n.post_id) for n in rows] == [  # type: ignore[attr-defined]
        (NotificationKind.REPLY, first.id),
        (NotificationKind.WATCHED_REPLY, nested.id),
    ]


async def test_watch_group__every_new_thread_notifies_the_watcher() -> None:
    owner, student, lurker, group, _ = await world()
    await watches.set_group_watch(lurker, group, "watching")
    post = await make_post(student, group, title="Lifetimes")
    await make_reply(owner, post)  # replies are not news to a group's watcher
    rows = await Notification.filter(recipient=lurker)
    assert [(n.kind, n.post_id) for n in rows] == [(NotificationKind.WATCHED_POST, post.id)]  # type: ignore[attr-defined]


async def test_mute_thread__not_even_replies_to_ones_own_posts_or_mentions() -> None:
    # Given the owner muted their own thread
    owner, student, _, _, root = await world()
    await watches.set_thread_watch(owner, root, "muted")
    # When the student replies to it and mentions the owner
    await make_reply(student, root, "@teacher look")
    # Then the owner hears nothing
    assert await kinds(owner) == []


async def test_mute_group__silences_its_threads_unless_one_is_watched() -> None:
    owner, student, _, group, root = await world()
    other = await make_post(owner, group, title="Traits")
    await watches.set_group_watch(owner, group, "muted")
    await watches.set_thread_watch(owner, root, watches.NORMAL)  # the author watched it at first
    await watches.set_thread_watch(owner, other, "watching")
    # When the student replies in both threads
    await make_reply(student, root)
    reply = await make_reply(student, other)
    # Then only the watched thread notified (a thread's choice wins over its group's)
    rows = await Notification.filter(recipient=owner)
    assert [(n.kind, n.post_id) for n in rows] == [(NotificationKind.REPLY, reply.id)]  # type: ignore[attr-defined]


async def test_mute__does_not_silence_moderation_news() -> None:
    owner, student, _, group, _ = await world()
    post = await make_post(student, group, title="Spam")
    await watches.set_group_watch(owner, group, "muted")
    reporter = await make_account("reporter")
    await reports.file_report(reporter.actor, post=post, target_actor=None, comment="Hm")
    assert await kinds(owner) == [NotificationKind.REPORT_FILED]


async def test_set_watch__normal_removes_the_choice_and_levels_are_checked() -> None:
    _, _, lurker, group, root = await world()
    await watches.set_thread_watch(lurker, root, "muted")
    assert await watches.watch_level(lurker, thread=root) == WatchLevel.MUTED
    await watches.set_thread_watch(lurker, root, "watching")
    assert await watches.watch_level(lurker, thread=root) == WatchLevel.WATCHING
    await watches.set_thread_watch(lurker, root, watches.NORMAL)
    assert await watches.watch_level(lurker, thread=root) is None
    with pytest.raises(Invalid):
        await watches.set_group_watch(lurker, group, "loud")
    assert await watches.watch_level(lurker, group=group) is None


async def test_set_watch__only_threads_one_may_read() -> None:
    _, student, lurker, group, root = await world()
    reply = await make_reply(student, root)
    with pytest.raises(NotFound):
        await watches.set_thread_watch(lurker, reply, "watching")  # a reply is not a thread
    await groups.Group.filter(id=group.id).update(state=GroupState.SUSPENDED)
    group = await groups.Group.get(id=group.id)
    with pytest.raises(NotFound):
        await watches.set_group_watch(lurker, group, "watching")
    with pytest.raises(NotFound):
        await watches.set_thread_watch(lurker, await Post.get(id=root.id), "watching")


async def test_list_watches__names_what_one_may_still_read() -> None:
    owner, _, lurker, group, root = await world()
    other_group = await make_group(owner, "gophers")
    await watches.set_thread_watch(lurker, root, "watching")
    await watches.set_group_watch(lurker, other_group, "muted")
    listed = await watches.list_watches(lurker)
    assert {
        (i.thread.id if i.thread else None, i.group.id if i.group else None) for i in listed
    } == {
        (root.id, group.id),
        (None, other_group.id),
    }
    # When a group is suspended, what is in it leaves the list
    await groups.Group.filter(id=group.id).update(state=GroupState.SUSPENDED)
    listed = await watches.list_watches(lurker)
    assert [(i.thread, i.group.id if i.group else None) for i in listed] == [(None, other_group.id)]


async def test_mute__does_not_silence_news_of_ones_own_held_post() -> None:
    # Given a group that holds first posts, muted by a newcomer who posts there
    owner, _, _, group, _ = await world()
    group.hold_first_posts = True
    await group.save(update_fields=["hold_first_posts"])
    newcomer = await make_account("newcomer")
    await join_as_member(group, newcomer)
    await watches.set_group_watch(newcomer, group, "muted")
    post = await make_post(newcomer, group, title="Hello")
    # When a moderator approves it
    await moderation.approve_held_post(owner.actor, post)
    # Then the newcomer was told why it waited and that it is published
    assert await kinds(newcomer) == [
        NotificationKind.HELD_FOR_REVIEW,
        NotificationKind.HELD_APPROVED,
    ]
