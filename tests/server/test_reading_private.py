"""The read policy for members-only groups: members, moderators and admins read; nobody else.

Each check of `reading` for visibility has a case here that fails when the check is removed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from server.models import (
    Account,
    Group,
    GroupVisibility,
    JoinPolicy,
    Membership,
    MembershipState,
    Post,
    PostState,
    utcnow,
)
from server.services import groups, reading
from tests.helpers import join_as_member, make_account, make_group, make_post, make_remote_actor

pytestmark = pytest.mark.usefixtures("database")


@dataclass
class World:
    owner: Account
    member: Account
    applicant: Account  # asked to join, not yet accepted
    outsider: Account
    admin: Account
    private: Group
    public: Group
    secret: Post
    open_post: Post


async def world() -> World:
    owner = await make_account("olga")
    member = await make_account("member")
    applicant = await make_account("applicant")
    outsider = await make_account("outsider")
    admin = await make_account("sysop", admin=True)
    private = await make_group(owner, "inner", visibility=GroupVisibility.MEMBERS)
    public = await make_group(owner, "outer")
    await join_as_member(private, member)
    await Group.filter(id=private.id).update(join_policy=JoinPolicy.APPROVAL)
    private = await Group.get(id=private.id)
    await groups.request_membership(private, applicant.actor)
    secret = await make_post(member, private, title="secret")
    open_post = await make_post(owner, public, title="open")
    return World(owner, member, applicant, outsider, admin, private, public, secret, open_post)


async def listed(viewer: Account | None) -> set[str]:
    return set(await Post.filter(reading.readable_posts(viewer)).values_list("title", flat=True))


async def readable_group_names(viewer: Account | None) -> set[str]:
    rows = await Group.filter(reading.readable_groups(viewer)).values_list(
        "actor__username", flat=True
    )
    return set(rows)


async def test_readable_posts__members_only_group_is_for_members_moderators_and_admins() -> None:
    w = await world()
    assert await listed(None) == {"open"}
    assert await listed(w.outsider) == {"open"}
    assert await listed(w.applicant) == {"open"}
    assert await listed(w.member) == {"open", "secret"}
    assert await listed(w.owner) == {"open", "secret"}
    assert await listed(w.admin) == {"open", "secret"}


async def test_readable_posts__through_a_relation() -> None:
    w = await world()
    from server.models import Notification

    query = Notification.filter(reading.readable_posts(None, prefix="post__"))
    assert await query.count() == 0  # the filter builds and runs through `post__`
    assert await Post.filter(reading.openable_posts(w.outsider), id=w.secret.id).count() == 0
    assert await Post.filter(reading.openable_posts(w.member), id=w.secret.id).count() == 1


async def test_readable_groups__members_only_group_is_for_its_readers() -> None:
    w = await world()
    assert await readable_group_names(None) == {"outer"}
    assert await readable_group_names(w.outsider) == {"outer"}
    assert await readable_group_names(w.member) == {"inner", "outer"}
    assert await readable_group_names(w.admin) == {"inner", "outer"}
    # and it stays listed (name and description) so that people can ask to join
    assert await Group.filter(reading.listable_groups(None)).count() == 2


async def test_can_read_group_and_post__members_only() -> None:
    w = await world()
    for viewer in (None, w.outsider, w.applicant):
        assert not await reading.can_read_group(viewer, w.private)
        assert not await reading.can_read_post(viewer, await Post.get(id=w.secret.id))
    for viewer in (w.member, w.owner, w.admin):
        assert await reading.can_read_group(viewer, w.private)
        assert await reading.can_read_post(viewer, await Post.get(id=w.secret.id))
    assert await reading.can_read_post(None, await Post.get(id=w.open_post.id))


async def test_can_read_group__a_banned_or_departed_member_reads_no_more() -> None:
    w = await world()
    await Membership.filter(group=w.private, actor_id=w.member.actor_id).delete()
    assert not await reading.can_read_group(w.member, w.private)
    assert await listed(w.member) == {"open"}


async def test_can_read_post__held_post_in_a_members_only_group() -> None:
    w = await world()
    await Post.filter(id=w.secret.id).update(state=PostState.HELD)
    held = await Post.get(id=w.secret.id)
    assert await reading.can_read_post(w.member, held)  # its author
    assert await reading.can_read_post(w.owner, held)  # a moderator
    assert not await reading.can_read_post(w.outsider, held)


async def test_can_server_read_group__only_where_an_accepted_member_lives() -> None:
    w = await world()
    bob = await make_remote_actor("bob", "remote.example")
    eve = await make_remote_actor("eve", "pending.example")
    await Membership.create(
        group=w.private, actor=bob, state=MembershipState.ACCEPTED, decided_at=utcnow()
    )
    await Membership.create(group=w.private, actor=eve, state=MembershipState.PENDING)
    assert await reading.can_server_read_group("remote.example", w.private)
    assert await reading.can_server_read_group("REMOTE.example", w.private)
    assert not await reading.can_server_read_group("pending.example", w.private)
    assert not await reading.can_server_read_group("other.example", w.private)
    assert not await reading.can_server_read_group("", w.private)
    assert await reading.can_server_read_group("other.example", w.public)
    # a suspended member's server reads no more
    from server.models import Actor

    await Actor.filter(id=bob.id).update(suspended_at=utcnow())
    assert not await reading.can_server_read_group("remote.example", w.private)
