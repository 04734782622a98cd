"""Group moderation of posts: removing, restoring, and the queue of held posts (`moderation`,
`holds`), with their audit entries, events and deliveries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from federation.outbox import register
from server import events
from server.models import (
    Account,
    AuditEntry,
    Delivery,
    Group,
    MemberRole,
    Post,
    PostState,
    utcnow,
)
from server.services import audit, groups, moderation, posts, remote
from server.services.errors import Conflict, Forbidden, Invalid, NotFound
from server.settings import Settings
from tests.helpers import (
    join_as_member,
    make_account,
    make_group,
    make_post,
    make_remote_actor,
    make_reply,
    record_events,
)

pytestmark = pytest.mark.usefixtures("database")


async def group_with_member(**options: object) -> tuple[Account, Account, Group]:
    owner = await make_account("olga")
    member = await make_account("member")
    group = await make_group(owner, "maths", **options)
    await join_as_member(group, member)
    return owner, member, group


async def entries(action: str) -> list[AuditEntry]:
    return await AuditEntry.filter(action=action).order_by("created_at")


# --- remove_post ---------------------------------------------------------------------------


async def test_remove_post__moderator_removes_with_reason_audit_and_event() -> None:
    # Given a pinned thread with a reply
    owner, member, group = await group_with_member()
    post = await make_post(member, group, title="Spam here")
    reply = await make_reply(owner, post)
    await posts.pin_post(owner, post)
    seen = record_events(events.PostRemoved)
    # When the owner removes the thread with a reason
    await moderation.remove_post(owner.actor, post, "  off topic  ")
    # Then it is removed, unpinned, counted out, audited and announced as removed
    stored = await Post.get(id=post.id)
    assert stored.state == PostState.REMOVED and stored.removed_at is not None
    assert stored.removal_reason == "off topic" and stored.pinned_at is None
    assert (await Group.get(id=group.id)).post_count == 0
    [entry] = await entries("post.remove")
    assert (entry.actor_id, entry.group_id, entry.target_id) == (owner.actor_id, group.id, post.id)
    assert (entry.reason, entry.target_label) == ("off topic", "Spam here")
    assert seen == [events.PostRemoved(post.id, owner.actor_id)]
    # And the reply stays published
    assert (await Post.get(id=reply.id)).state == PostState.PUBLISHED


async def test_remove_post__reply_recounts_its_thread_and_labels_with_text() -> None:
    owner, member, group = await group_with_member()
    post = await make_post(owner, group)
    reply = await make_reply(member, post, "Buy   cheap   watches")
    assert (await Post.get(id=post.id)).reply_count == 1
    await moderation.remove_post(owner.actor, reply)
    assert (await Post.get(id=post.id)).reply_count == 0
    [entry] = await entries("post.remove")
    assert entry.target_label == "Buy cheap watches" and entry.reason == ""


async def test_remove_post__member_is_refused_and_nothing_changes() -> None:
    owner, member, group = await group_with_member()
    post = await make_post(owner, group)
    seen = record_events(events.PostRemoved)
    with pytest.raises(Forbidden):
        await moderation.remove_post(member.actor, post, "mine now")
    assert (await Post.get(id=post.id)).state == PostState.PUBLISHED
    assert await AuditEntry.all().count() == 0 and seen == []


async def test_remove_post__admin_outside_the_group_may() -> None:
    _, member, group = await group_with_member()
    admin = await make_account("rita", admin=True)
    post = await make_post(member, group)
    await moderation.remove_post(admin.actor, post)
    assert (await Post.get(id=post.id)).state == PostState.REMOVED
    assert (await entries("post.remove"))[0].actor_id == admin.actor_id


async def test_remove_post__appointed_moderator_may() -> None:
    owner, member, group = await group_with_member()
    helper = await make_account("helper")
    await join_as_member(group, helper)
    await groups.set_role(group, owner.actor, helper.actor_id, MemberRole.MODERATOR)
    post = await make_post(member, group)
    await moderation.remove_post(helper.actor, post)
    assert (await Post.get(id=post.id)).state == PostState.REMOVED


async def test_remove_post__remote_authors_post(settings: Settings) -> None:
    # Given a remote member's post in a local group
    owner, _, group = await group_with_member()
    alice = await make_remote_actor("alice", "mastodon.example")
    await groups.request_membership(group, alice, follow_ap_id="https://mastodon.example/f/1")
    incoming = remote.IncomingPost(
        ap_id="https://mastodon.example/notes/1", content_html="<p>Hi from afar</p>"
    )
    post = await remote.receive_post(alice, group, incoming)
    # When a moderator removes it
    await moderation.remove_post(owner.actor, post, "rude")
    # Then it is removed, labelled by its text
    assert (await Post.get(id=post.id)).state == PostState.REMOVED
    assert (await entries("post.remove"))[0].target_label == "Hi from afar"


@pytest.mark.parametrize("state", [PostState.REMOVED, PostState.DELETED])
async def test_remove_post__only_published_or_held(state: PostState) -> None:
    owner, member, group = await group_with_member()
    post = await make_post(member, group)
    await Post.filter(id=post.id).update(state=state)
    post = await Post.get(id=post.id)
    with pytest.raises(Conflict if state == PostState.REMOVED else NotFound):
        await moderation.remove_post(owner.actor, post)
    assert await AuditEntry.all().count() == 0


async def test_remove_post__too_long_reason_is_invalid_and_changes_nothing() -> None:
    owner, member, group = await group_with_member()
    post = await make_post(member, group)
    with pytest.raises(Invalid) as caught:
        await moderation.remove_post(owner.actor, post, "x" * (audit.REASON_MAX_CHARS + 1))
    assert "reason" in caught.value.errors
    assert (await Post.get(id=post.id)).state == PostState.PUBLISHED
    assert await AuditEntry.all().count() == 0


# --- restore_post --------------------------------------------------------------------------


async def test_restore_post__back_where_it_was_with_audit_and_event() -> None:
    owner, member, group = await group_with_member()
    post = await make_post(member, group)
    await moderation.remove_post(owner.actor, post, "mistake")
    seen = record_events(events.PostRestored, events.PostCreated)
    await moderation.restore_post(owner.actor, post)
    stored = await Post.get(id=post.id)
    assert stored.state == PostState.PUBLISHED
    assert stored.removed_at is None and stored.removal_reason == ""
    assert (await Group.get(id=group.id)).post_count == 1
    assert [e.target_id for e in await entries("post.restore")] == [post.id]
    assert seen == [events.PostRestored(post.id, owner.actor_id)]


async def test_restore_post__member_refused_and_published_post_conflicts() -> None:
    owner, member, group = await group_with_member()
    post = await make_post(member, group)
    with pytest.raises(Conflict):
        await moderation.restore_post(owner.actor, post)
    await moderation.remove_post(owner.actor, post)
    with pytest.raises(Forbidden):
        await moderation.restore_post(member.actor, post)
    assert (await Post.get(id=post.id)).state == PostState.REMOVED
    assert await entries("post.restore") == []


async def test_restore_post__suspended_authors_post_stays_removed() -> None:
    owner, member, group = await group_with_member()
    post = await make_post(member, group)
    await moderation.remove_post(owner.actor, post)
    await type(member.actor).filter(id=member.actor_id).update(suspended_at=utcnow())
    with pytest.raises(Conflict):
        await moderation.restore_post(owner.actor, post)
    assert (await Post.get(id=post.id)).state == PostState.REMOVED


# --- holding -------------------------------------------------------------------------------


async def test_hold_first_posts__first_post_and_reply_wait_until_one_is_published() -> None:
    # Given a group that holds first posts
    owner, member, group = await group_with_member(hold_first_posts=True)
    created = record_events(events.PostCreated)
    # When a member starts a thread
    post = await make_post(member, group)
    # Then it is held, counted nowhere, and publishes nothing
    assert (post.state, post.held_reason) == (PostState.HELD, "first_post")
    assert (await Group.get(id=group.id)).post_count == 0
    assert created == []
    # And a first reply is held too
    thread = await make_post(owner, group)
    reply = await make_reply(member, thread)
    assert reply.state == PostState.HELD
    assert (await Post.get(id=thread.id)).reply_count == 0
    # When a moderator approves the thread, Then the member's next reply is published at once
    await moderation.approve_held_post(owner.actor, post)
    later = await make_reply(member, thread, "Now I am known")
    assert later.state == PostState.PUBLISHED


async def test_hold_first_posts__moderators_and_admins_are_never_held() -> None:
    owner, _, group = await group_with_member(hold_first_posts=True)
    admin = await make_account("rita", admin=True)
    await join_as_member(group, admin)
    assert (await make_post(owner, group)).state == PostState.PUBLISHED
    assert (await make_post(admin, group)).state == PostState.PUBLISHED


async def test_hold_first_posts__off_by_default() -> None:
    _, member, group = await group_with_member()
    assert (await make_post(member, group)).state == PostState.PUBLISHED


@pytest.mark.parametrize(
    ("body", "link_url", "held"),
    [
        ("See https://spam.example now", "", True),
        ("See www.spam.example", "", True),
        ("[cheap](https://spam.example)", "", True),
        ("Plain words, @owen and #tag", "", False),
        ("A resource", "https://example.org/book", True),
    ],
)
async def test_new_account_links__young_accounts_links_wait(
    body: str, link_url: str, held: bool
) -> None:
    _, member, group = await group_with_member()
    await make_account("owen")
    kind = "resource" if link_url else "discussion"
    post = await posts.create_post(member, group, kind, "Title", body, link_url, new_account_days=7)
    assert post.state == (PostState.HELD if held else PostState.PUBLISHED)
    assert post.held_reason == ("new_account_links" if held else "")


async def test_new_account_links__old_accounts_and_zero_days_pass() -> None:
    owner, member, group = await group_with_member()
    thread = await make_post(owner, group)
    # A setting of 0 turns the rule off
    reply = await posts.create_reply(member, thread, "https://x.example", new_account_days=0)
    assert reply.state == PostState.PUBLISHED
    # An account older than the window is not held
    await Account.filter(id=member.id).update(created_at=utcnow() - timedelta(days=8))
    reply = await posts.create_reply(member, thread, "https://y.example", new_account_days=7)
    assert reply.state == PostState.PUBLISHED
    # A young one is, for a reply too
    newcomer = await make_account("newcomer")
    await join_as_member(group, newcomer)
    reply = await posts.create_reply(newcomer, thread, "https://z.example", new_account_days=7)
    assert (reply.state, reply.held_reason) == (PostState.HELD, "new_account_links")


async def test_hold__remote_first_post_into_local_group_is_held() -> None:
    # Given a group holding first posts, and a remote member
    _, _, group = await group_with_member(hold_first_posts=True)
    alice = await make_remote_actor("alice", "mastodon.example")
    await groups.request_membership(group, alice, follow_ap_id="https://mastodon.example/f/1")
    created = record_events(events.PostCreated)
    # When their first post arrives through the inbox
    incoming = remote.IncomingPost(
        ap_id="https://mastodon.example/notes/1", content_html="<p>Hello https://x.example</p>"
    )
    post = await remote.receive_post(alice, group, incoming)
    # Then it waits, unannounced
    assert (post.state, post.held_reason) == (PostState.HELD, "first_post")
    assert created == []


# --- the hold queue ------------------------------------------------------------------------


async def test_approve_held_post__publishes_counts_audits_and_announces() -> None:
    owner, member, group = await group_with_member(hold_first_posts=True)
    post = await make_post(member, group)
    created = record_events(events.PostCreated)
    await moderation.approve_held_post(owner.actor, post)
    stored = await Post.get(id=post.id)
    assert (stored.state, stored.held_reason) == (PostState.PUBLISHED, "")
    assert (await Group.get(id=group.id)).post_count == 1
    assert [e.target_id for e in await entries("post.approve")] == [post.id]
    assert created == [events.PostCreated(post.id)]
    with pytest.raises(Conflict):
        await moderation.approve_held_post(owner.actor, stored)


async def test_approve_and_reject__members_are_refused() -> None:
    _, member, group = await group_with_member(hold_first_posts=True)
    other = await make_account("other")
    await join_as_member(group, other)
    post = await make_post(member, group)
    with pytest.raises(Forbidden):
        await moderation.approve_held_post(other.actor, post)
    with pytest.raises(Forbidden):
        await moderation.reject_held_post(member.actor, post)
    assert (await Post.get(id=post.id)).state == PostState.HELD
    assert await AuditEntry.all().count() == 0


async def test_approve_held_post__a_suspended_authors_post_cannot_be_approved() -> None:
    owner, member, group = await group_with_member(hold_first_posts=True)
    post = await make_post(member, group)
    await type(member.actor).filter(id=member.actor_id).update(suspended_at=utcnow())
    with pytest.raises(Conflict):
        await moderation.approve_held_post(owner.actor, post)
    assert (await Post.get(id=post.id)).state == PostState.HELD


async def test_reject_held_post__removed_with_reason_and_no_event() -> None:
    owner, member, group = await group_with_member(hold_first_posts=True)
    post = await make_post(member, group)
    seen = record_events(events.PostRemoved, events.PostCreated)
    await moderation.reject_held_post(owner.actor, post, "spam")
    stored = await Post.get(id=post.id)
    assert (stored.state, stored.removal_reason) == (PostState.REMOVED, "spam")
    [entry] = await entries("post.reject")
    assert entry.reason == "spam"
    assert seen == []


async def test_restore_post__of_a_rejected_post_is_its_first_publication() -> None:
    owner, member, group = await group_with_member(hold_first_posts=True)
    post = await make_post(member, group)
    await moderation.reject_held_post(owner.actor, post)
    seen = record_events(events.PostRestored, events.PostCreated)
    await moderation.restore_post(owner.actor, post)
    assert seen == [events.PostCreated(post.id)]
    assert (await Post.get(id=post.id)).held_reason == ""


async def test_queues__held_oldest_first_removed_latest_first() -> None:
    owner, member, group = await group_with_member(hold_first_posts=True)
    first = await make_post(member, group, title="one")
    second = await make_post(member, group, title="two")
    assert [p.id for p in await moderation.held_posts(group)] == [first.id, second.id]
    assert await moderation.held_count(group) == 2
    await moderation.reject_held_post(owner.actor, first)
    await moderation.approve_held_post(owner.actor, second)
    await moderation.remove_post(owner.actor, second)
    assert [p.id for p in await moderation.removed_posts(group)] == [second.id, first.id]
    assert await moderation.held_count(group) == 0


# --- what others see, and what federates -----------------------------------------------------


async def test_held_post__invisible_to_others_visible_to_its_author() -> None:
    owner, member, group = await group_with_member(hold_first_posts=True)
    thread = await make_post(owner, group)
    held = await make_reply(member, thread, "Waiting")
    top = await make_post(member, group, title="Held thread")
    listed = await posts.list_threads(group)
    assert [p.id for p in listed.items] == [thread.id]
    tree = await posts.thread(thread)
    assert tree is not None and tree.find(held.id) is None
    own = await posts.thread(thread, viewer_id=member.actor_id)
    assert own is not None and own.find(held.id) is not None
    assert await posts.thread(top) is None
    assert await posts.thread(top, viewer_id=owner.actor_id) is None
    assert await posts.thread(top, viewer_id=member.actor_id) is not None


async def test_held_post__nothing_is_delivered_until_approved(settings: Settings) -> None:
    # Given a group holding first posts, with a follower on a Lemmy server
    register(events.bus, settings)
    owner, member, group = await group_with_member(hold_first_posts=True)
    bob = await make_remote_actor("bob", "lemmy.example", software="lemmy")
    await groups.request_membership(group, bob, follow_ap_id="https://lemmy.example/f/1")
    await Delivery.all().delete()
    # When a member's first post is held, Then nothing is queued
    post = await make_post(member, group)
    assert await Delivery.all().count() == 0
    # When a moderator rejects another, Then nothing is queued either
    other = await make_account("other")
    await join_as_member(group, other)
    await moderation.reject_held_post(owner.actor, await make_post(other, group))
    assert await Delivery.all().count() == 0
    # When the first is approved, Then it goes out
    await moderation.approve_held_post(owner.actor, post)
    assert await Delivery.filter(inbox_url="https://lemmy.example/inbox").count() == 1


# --- pins ----------------------------------------------------------------------------------


async def test_pin_post__any_thread_first_on_the_group_with_audit() -> None:
    owner, member, group = await group_with_member()
    pinned = await make_post(member, group, title="Read me first")
    newer = await make_post(member, group, title="Newer")
    await posts.pin_post(owner, pinned)
    assert [p.id for p in await posts.pinned_threads(group)] == [pinned.id]
    rest = await posts.list_threads(group, exclude_pinned=True)
    assert [p.id for p in rest.items] == [newer.id]
    await posts.unpin_post(owner, pinned)
    assert [e.action for e in await AuditEntry.all().order_by("created_at")] == [
        "post.pin",
        "post.unpin",
    ]
    with pytest.raises(Forbidden):
        await posts.pin_post(member, pinned)
