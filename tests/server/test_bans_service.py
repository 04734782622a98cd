"""Banning people from a group (server/services/bans.py): who may, what a ban ends, its log
entry and events, and what a banned person can no longer do."""

from __future__ import annotations

import pytest

from server import events
from server.models import (
    Account,
    Actor,
    AuditEntry,
    Ban,
    Group,
    JoinPolicy,
    MemberRole,
    Membership,
    PostState,
)
from server.services import audit, bans, groups, posts
from server.services.errors import Conflict, Forbidden, Invalid, NotFound
from tests.helpers import (
    make_account,
    make_group,
    make_post,
    make_remote_actor,
    make_reply,
    record_events,
)

pytestmark = pytest.mark.usefixtures("database")


async def club() -> tuple[Group, Account, Account, Account]:
    """An open group `club`: olga owns it, mina moderates it, bert is a member."""
    owner = await make_account("olga")
    group = await make_group(owner, "club")
    mina = await make_account("mina")
    bert = await make_account("bert")
    for account in (mina, bert):
        await groups.request_membership(group, account.actor)
    await groups.set_role(group, owner.actor, mina.actor_id, MemberRole.MODERATOR)
    return group, owner, mina, bert


async def test_ban__moderator_bans_a_member(database: None) -> None:
    # Given a group with a moderator and a member
    group, _, mina, bert = await club()
    seen = record_events(events.MembershipEnded, events.MemberBanned)
    # When the moderator bans the member, with a reason
    ban = await bans.ban(mina.actor, group, bert.actor, "  Spam links  ")
    # Then the ban is stored, the membership is gone and no longer counted
    assert (ban.actor_id, ban.banned_by_id, ban.reason) == (  # type: ignore[attr-defined]
        bert.actor_id,
        mina.actor_id,
        "Spam links",
    )
    assert await groups.membership_of(group, bert.actor_id) is None
    assert (await Group.get(id=group.id)).member_count == 2
    # And the moderation log says who did it, to whom and why
    [entry] = await AuditEntry.filter(action="member.ban")
    assert (entry.actor_id, entry.group_id, entry.reason) == (  # type: ignore[attr-defined]
        mina.actor_id,
        group.id,
        "Spam links",
    )
    assert (entry.target_type, entry.target_id, entry.target_label) == (
        "actor",
        bert.actor_id,
        "@bert",
    )
    # And the membership ended as leaving ends it, then the ban was published
    assert seen == [
        events.MembershipEnded(group.id, bert.actor_id, ""),
        events.MemberBanned(group.id, bert.actor_id, ""),
    ]


async def test_ban__remote_follower_event_carries_their_follow(database: None) -> None:
    group, owner, _, _ = await club()
    alice = await make_remote_actor("alice", "mastodon.example")
    await groups.request_membership(group, alice, follow_ap_id="https://mastodon.example/f/1")
    seen = record_events(events.MemberBanned)
    await bans.ban(owner.actor, group, alice)
    assert seen == [events.MemberBanned(group.id, alice.id, "https://mastodon.example/f/1")]


async def test_ban__pending_request_ends_too(database: None) -> None:
    owner = await make_account("olga")
    group = await make_group(owner, "closed", join_policy=JoinPolicy.APPROVAL)
    cleo = await make_account("cleo")
    await groups.request_membership(group, cleo.actor)
    await bans.ban(owner.actor, group, cleo.actor)
    assert await groups.membership_of(group, cleo.actor_id) is None
    assert (await Group.get(id=group.id)).member_count == 1


async def test_ban__someone_who_never_joined(database: None) -> None:
    group, owner, _, _ = await club()
    spammer = await make_remote_actor("spam", "spam.example")
    await bans.ban(owner.actor, group, spammer, "known spammer")
    assert await groups.is_banned(group, spammer.id)


async def test_ban__a_plain_member_may_not(database: None) -> None:
    group, _, mina, bert = await club()
    with pytest.raises(Forbidden):
        await bans.ban(bert.actor, group, mina.actor)
    assert not await Ban.exists()
    assert not await AuditEntry.filter(action="member.ban").exists()


async def test_ban__the_owner_cannot_be_banned(database: None) -> None:
    group, owner, mina, _ = await club()
    admin = await make_account("ada", admin=True)
    for by in (mina, admin):
        with pytest.raises(Forbidden, match="owner cannot be banned"):
            await bans.ban(by.actor, group, owner.actor)
    assert await groups.is_member(group, owner.actor_id)


async def test_ban__a_moderator_cannot_ban_another_moderator(database: None) -> None:
    group, owner, mina, bert = await club()
    await groups.set_role(group, owner.actor, bert.actor_id, MemberRole.MODERATOR)
    with pytest.raises(Forbidden, match="owner or an admin"):
        await bans.ban(mina.actor, group, bert.actor)
    assert await groups.is_moderator(group, bert.actor_id)


async def test_ban__the_owner_or_an_admin_bans_a_moderator(database: None) -> None:
    group, owner, mina, bert = await club()
    await groups.set_role(group, owner.actor, bert.actor_id, MemberRole.MODERATOR)
    admin = await make_account("ada", admin=True)
    changed = record_events(events.ModeratorChanged)
    await bans.ban(owner.actor, group, mina.actor)
    await bans.ban(admin.actor, group, bert.actor)
    assert await Ban.filter(group=group).count() == 2
    # Each was a moderator: their leaving the moderators is published too
    assert changed == [
        events.ModeratorChanged(group.id, mina.actor_id, owner.actor_id, appointed=False),
        events.ModeratorChanged(group.id, bert.actor_id, admin.actor_id, appointed=False),
    ]


async def test_ban__not_oneself_nor_an_admin_nor_twice(database: None) -> None:
    group, owner, mina, bert = await club()
    admin = await make_account("ada", admin=True)
    await groups.request_membership(group, admin.actor)
    with pytest.raises(Forbidden, match="yourself"):
        await bans.ban(mina.actor, group, mina.actor)
    with pytest.raises(Forbidden, match="Admins"):
        await bans.ban(owner.actor, group, admin.actor)
    await bans.ban(mina.actor, group, bert.actor)
    with pytest.raises(Conflict):
        await bans.ban(owner.actor, group, bert.actor)
    assert await AuditEntry.filter(action="member.ban").count() == 1


async def test_ban__a_group_actor_cannot_be_banned(database: None) -> None:
    group, owner, _, _ = await club()
    other = await make_group(owner, "other")
    with pytest.raises(Forbidden, match="Only people"):
        await bans.ban(owner.actor, group, await Actor.get(id=other.actor_id))


async def test_ban__too_long_reason_is_invalid_and_changes_nothing(database: None) -> None:
    group, owner, _, bert = await club()
    with pytest.raises(Invalid) as raised:
        await bans.ban(owner.actor, group, bert.actor, "x" * (audit.REASON_MAX_CHARS + 1))
    assert "reason" in raised.value.errors
    assert await groups.is_member(group, bert.actor_id)
    assert not await Ban.exists()


async def test_ban__remove_posts_removes_each_visible_post(database: None) -> None:
    # Given a member's thread and reply, and someone else's thread
    group, owner, mina, bert = await club()
    thread = await make_post(bert, group, title="Buy now")
    reply = await make_reply(bert, thread, "Really, buy now")
    other = await make_post(owner, group, title="Welcome")
    # When a moderator bans them with "remove their posts"
    await bans.ban(mina.actor, group, bert.actor, "spam", remove_posts=True)
    # Then their posts are removed, with the reason, each one logged; the rest stays
    for post in (thread, reply):
        await post.refresh_from_db()
        assert (post.state, post.removal_reason) == (PostState.REMOVED, "spam")
    await other.refresh_from_db()
    assert other.state == PostState.PUBLISHED
    removals = await AuditEntry.filter(action="post.remove").values_list("target_id", flat=True)
    assert sorted(removals) == sorted([thread.id, reply.id])
    assert (await Group.get(id=group.id)).post_count == 1


async def test_ban__without_remove_posts_keeps_them(database: None) -> None:
    group, owner, _, bert = await club()
    thread = await make_post(bert, group)
    await bans.ban(owner.actor, group, bert.actor)
    await thread.refresh_from_db()
    assert thread.state == PostState.PUBLISHED


async def test_banned__cannot_join_again_nor_post(database: None) -> None:
    group, owner, _, bert = await club()
    thread = await make_post(owner, group)
    await bans.ban(owner.actor, group, bert.actor)
    with pytest.raises(Forbidden, match="banned"):
        await groups.request_membership(group, bert.actor)
    with pytest.raises(Forbidden):
        await posts.create_post(bert.actor, group, "discussion", "Back", "Hi", "")
    with pytest.raises(Forbidden):
        await posts.create_reply(bert.actor, thread, "Hi")
    assert not await Membership.filter(group=group, actor_id=bert.actor_id).exists()


async def test_unban__lifts_the_ban_and_logs_it(database: None) -> None:
    group, owner, mina, bert = await club()
    await bans.ban(owner.actor, group, bert.actor)
    seen = record_events(events.MemberUnbanned)
    await bans.unban(mina.actor, group, bert.actor)
    assert not await groups.is_banned(group, bert.actor_id)
    assert seen == [events.MemberUnbanned(group.id, bert.actor_id, mina.actor_id)]
    [entry] = await AuditEntry.filter(action="member.unban")
    assert (entry.actor_id, entry.target_id) == (mina.actor_id, bert.actor_id)  # type: ignore[attr-defined]
    # They are not re-added, but may join again
    assert not await groups.is_member(group, bert.actor_id)
    await groups.request_membership(group, bert.actor)
    assert await groups.is_member(group, bert.actor_id)


async def test_unban__not_banned_is_not_found_and_members_may_not(database: None) -> None:
    group, owner, _, bert = await club()
    with pytest.raises(NotFound):
        await bans.unban(owner.actor, group, bert.actor)
    await bans.ban(owner.actor, group, bert.actor)
    plain = await make_account("plain")
    await groups.request_membership(group, plain.actor)
    with pytest.raises(Forbidden):
        await bans.unban(plain.actor, group, bert.actor)
    assert await groups.is_banned(group, bert.actor_id)


async def test_bans_of__newest_first_in_pages(database: None) -> None:
    group, owner, _, _ = await club()
    people = [await make_remote_actor(f"p{i}", "remote.example") for i in range(3)]
    for person in people:
        await bans.ban(owner.actor, group, person)
    first = await bans.bans_of(group, limit=2)
    assert [b.actor_id for b in first.items] == [people[2].id, people[1].id]  # type: ignore[attr-defined]
    assert first.items[0].banned_by is not None
    second = await bans.bans_of(group, cursor=first.next_cursor, limit=2)
    assert [b.actor_id for b in second.items] == [people[0].id]  # type: ignore[attr-defined]
    assert second.next_cursor is None
