"""Groups on other servers in the domain (server/services/remote_groups.py, and the parts of
groups.py and remote.py that treat them differently)."""

from __future__ import annotations

import pytest

from server import events
from server.models import (
    Actor,
    ActorKind,
    Group,
    JoinPolicy,
    MembershipState,
    PostingPolicy,
    PostState,
    ReactionKind,
)
from server.services import groups, remote, remote_groups
from server.services.errors import Forbidden, Invalid, NotFound
from tests.helpers import make_account, make_group, make_remote_actor, record_events

DOMAIN = "a.example:8001"


async def _remote_group(name: str = "main", **policies: bool) -> Group:
    actor = await Actor.create(
        kind=ActorKind.GROUP,
        username=name,
        domain=DOMAIN,
        ap_id=f"http://{DOMAIN}/g/{name}",
        inbox_url=f"http://{DOMAIN}/g/{name}/inbox",
    )
    return await remote_groups.track_remote_group(actor, **policies)


async def _local_person(name: str = "ada") -> Actor:
    return await Actor.get(id=(await make_account(name)).actor_id)


async def test_track_remote_group__policies_follow_the_actor_document(database: None) -> None:
    group = await _remote_group(approval=True, moderators_only=True)
    assert group.join_policy == JoinPolicy.APPROVAL
    assert group.posting_policy == PostingPolicy.MODERATORS
    # Tracking again refreshes, and never makes a second row
    again = await remote_groups.track_remote_group(await Actor.get(id=group.actor_id))
    assert again.id == group.id
    assert again.join_policy == JoinPolicy.OPEN
    assert await Group.all().count() == 1


async def test_track_remote_group__a_person_is_refused(database: None) -> None:
    person = await make_remote_actor("bob", "b.example")
    with pytest.raises(Invalid):
        await remote_groups.track_remote_group(person)
    assert await Group.all().count() == 0


async def test_get_group__finds_name_at_host_and_keeps_local_names_apart(database: None) -> None:
    # Given a local group and a remote one with the same name
    local = await make_group(await make_account("cleo"), "main")
    remote_group = await _remote_group("main")
    # Then each handle finds its own
    assert (await groups.get_group("main")).id == local.id
    assert (await groups.get_group(f"main@{DOMAIN}")).id == remote_group.id
    assert (await groups.get_group(f"@main@{DOMAIN.upper()}")).id == remote_group.id
    with pytest.raises(NotFound):
        await groups.get_group("main@elsewhere.example")


async def test_request_membership__a_remote_open_group_waits_for_its_server(
    database: None,
) -> None:
    group = await _remote_group()
    requested, accepted = (
        record_events(events.MembershipRequested),
        record_events(events.MembershipAccepted),
    )
    membership = await groups.request_membership(group, await _local_person())
    assert membership.state == MembershipState.PENDING
    assert len(requested) == 1
    assert accepted == []


async def test_confirm_remote_membership__accept_then_reject(database: None) -> None:
    # Given Ada's pending request
    group = await _remote_group()
    ada = await _local_person()
    await groups.request_membership(group, ada)
    # When the group's server accepts (twice: a retried delivery)
    first = await remote_groups.confirm_remote_membership(group, ada, accepted=True)
    second = await remote_groups.confirm_remote_membership(group, ada, accepted=True)
    # Then she is a member once
    assert first is not None and second is not None
    assert second.state == MembershipState.ACCEPTED
    assert (await Group.get(id=group.id)).member_count == 1
    # When it later rejects her (banned there), Then she is out
    await remote_groups.confirm_remote_membership(group, ada, accepted=False)
    assert not await groups.is_member(group, ada.id)
    assert (await Group.get(id=group.id)).member_count == 0


async def test_confirm_remote_membership__nobody_asked(database: None) -> None:
    group = await _remote_group()
    assert (
        await remote_groups.confirm_remote_membership(group, await _local_person(), accepted=True)
        is None
    )
    local = await make_group(await make_account("cleo"), "physics")
    with pytest.raises(Forbidden):
        await remote_groups.confirm_remote_membership(
            local, await _local_person("dan"), accepted=True
        )


async def test_leave_group__the_event_names_the_follow(database: None) -> None:
    group = await _remote_group()
    ada = await _local_person()
    membership = await groups.request_membership(group, ada)
    await remote_groups.record_follow(membership, "http://lyceum.test/u/ada#follows/1")
    ended = record_events(events.MembershipEnded)
    await groups.leave_group(group, ada.id)
    assert ended == [events.MembershipEnded(group.id, ada.id, "http://lyceum.test/u/ada#follows/1")]


async def test_receive_post__a_remote_group_takes_posts_only_through_the_group(
    database: None,
) -> None:
    group = await _remote_group()
    bob = await make_remote_actor("bob", "b.example")
    incoming = remote.IncomingPost(ap_id="https://b.example/notes/1", content_html="<p>Hi</p>")
    # A direct post is refused (the group decides what is in it)
    with pytest.raises(Forbidden):
        await remote.receive_post(bob, group, incoming)
    # Announced by the group, it is stored though Bob is no member here
    post = await remote.receive_post(bob, group, incoming, via_group=True)
    assert post.group_id == group.id
    assert (await Group.get(id=group.id)).post_count == 1
    # A local author's post never comes back this way
    with pytest.raises(Forbidden):
        await remote.receive_post(
            await _local_person(),
            group,
            remote.IncomingPost(ap_id="https://b.example/notes/2", content_html="x"),
            via_group=True,
        )


async def test_remove_announced_post__and_votes(database: None) -> None:
    group = await _remote_group()
    bob, carol = (
        await make_remote_actor("bob", "b.example"),
        await make_remote_actor("carol", "c.example"),
    )
    incoming = remote.IncomingPost(ap_id="https://b.example/notes/1", content_html="<p>Hi</p>")
    post = await remote.receive_post(bob, group, incoming, via_group=True)
    # Votes the group counted
    await remote_groups.record_announced_reaction(
        carol, post, kind=ReactionKind.LIKE, ap_id="https://c.example/l/1"
    )
    assert post.like_count == 1
    await remote_groups.withdraw_announced_reaction(carol, post)
    assert post.like_count == 0
    # A moderator there removed it
    removed = await remote_groups.remove_announced_post(group, post, reason="spam")
    assert removed.state == PostState.REMOVED
    assert removed.removal_reason == "spam"
    assert (await Group.get(id=group.id)).post_count == 0
