"""`Follow` of a group: joining it from another server (federation/inbox/follow.py)."""

from __future__ import annotations

from starlette.applications import Starlette

from federation.inbox.parse_actor import parse_actor
from server import events
from server.models import (
    Ban,
    Delivery,
    DomainBlock,
    DomainBlockSeverity,
    JoinPolicy,
    Membership,
    MembershipState,
)
from server.services.remote import upsert_remote_actor
from tests.federation._inbox_peer import (
    EventLog,
    RemotePeer,
    build_follow_activity,
    build_undo_activity,
    deliver,
    group_url,
)
from tests.helpers import make_account, make_group


async def test_handle_follow__open_group_accepts_at_once(app: Starlette, peer: RemotePeer) -> None:
    # Given an open group and a remote person
    group = await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    log = EventLog(events.MembershipAccepted)
    follow = build_follow_activity(bob, group_url("physics"))
    # When they follow it and the worker runs
    outcome = await deliver(app, peer, follow, bob)
    # Then they are an accepted member, remembered with their Follow's id for the Accept
    assert outcome == ""
    membership = await Membership.get(group=group, actor__ap_id=bob.id)
    assert (membership.state, membership.follow_ap_id) == (MembershipState.ACCEPTED, follow["id"])
    assert log.seen == [events.MembershipAccepted(membership.id)]


async def test_handle_follow__approval_group_keeps_it_pending(
    app: Starlette, peer: RemotePeer
) -> None:
    group = await make_group(await make_account("ada"), "physics", join_policy=JoinPolicy.APPROVAL)
    bob = peer.add_actor("bob")
    outcome = await deliver(app, peer, build_follow_activity(bob, group_url("physics")), bob)
    assert outcome == ""
    membership = await Membership.get(group=group, actor__ap_id=bob.id)
    assert membership.state == MembershipState.PENDING


async def test_handle_follow__banned_actor_is_refused(app: Starlette, peer: RemotePeer) -> None:
    # Given a remote person, known here and banned from the group
    group = await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    bob_row = await upsert_remote_actor(parse_actor(peer.documents[bob.id]))
    await Ban.create(group=group, actor=bob_row)
    log = EventLog(events.MembershipRejected, events.MembershipAccepted)
    follow = build_follow_activity(bob, group_url("physics"))
    # When they follow the group
    outcome = await deliver(app, peer, follow, bob)
    # Then no membership is stored, and a rejection carrying the Follow id is published
    assert outcome == "follow refused: the actor is banned from the group"
    assert await Membership.filter(group=group).count() == 1  # the owner only
    assert log.seen == [events.MembershipRejected(group.id, bob_row.id, follow["id"])]


async def test_handle_follow__limited_domain_is_refused(app: Starlette, peer: RemotePeer) -> None:
    group = await make_group(await make_account("ada"), "physics")
    await DomainBlock.create(domain="remote.example", severity=DomainBlockSeverity.LIMIT)
    bob = peer.add_actor("bob")
    log = EventLog(events.MembershipRejected)
    outcome = await deliver(app, peer, build_follow_activity(bob, group_url("physics")), bob)
    assert outcome == "follow refused: the domain remote.example is blocked here"
    assert await Membership.filter(group=group).count() == 1
    assert len(log.seen) == 1


async def test_handle_follow__person_is_acknowledged_and_dropped(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a local person (people here have no timelines to follow yet)
    await make_account("ada")
    bob = peer.add_actor("bob")
    outcome = await deliver(app, peer, build_follow_activity(bob, "http://lyceum.test/u/ada"), bob)
    assert outcome == "people here cannot be followed yet; only groups"
    assert await Membership.all().count() == 0


async def test_handle_follow__unknown_group_is_dropped(app: Starlette, peer: RemotePeer) -> None:
    bob = peer.add_actor("bob")
    outcome = await deliver(app, peer, build_follow_activity(bob, group_url("nope")), bob)
    assert outcome == "http://lyceum.test/g/nope is not a group here"


async def test_handle_follow__same_follow_id_after_undo_is_handled_again(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a Takahē user who followed, then unfollowed the group
    group = await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("physics"))
    assert await deliver(app, peer, follow, bob) == ""
    assert await deliver(app, peer, build_undo_activity(bob, follow), bob) == ""
    assert not await Membership.filter(group=group, actor__ap_id=bob.id).exists()
    # When they follow again, re-sending the very same Follow id
    outcome = await deliver(app, peer, follow, bob)
    # Then the follow is handled again, not swallowed as a duplicate
    assert outcome == ""
    membership = await Membership.get(group=group, actor__ap_id=bob.id)
    assert membership.state == MembershipState.ACCEPTED


async def test_handle_follow__repeated_while_standing_is_accepted_again(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given an accepted follow
    group = await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("physics"))
    assert await deliver(app, peer, follow, bob) == ""
    log = EventLog(events.MembershipAccepted)
    # When the same Follow id comes again with no Undo between (Takahē's quick unfollow and
    # refollow), signed afresh
    outcome = await deliver(app, peer, follow, bob)
    # Then it is handled again: still one accepted membership, and a fresh Accept is published
    assert outcome == ""
    membership = await Membership.get(group=group, actor__ap_id=bob.id)
    assert membership.state == MembershipState.ACCEPTED
    assert log.seen == [events.MembershipAccepted(membership.id)]
    assert await Membership.filter(group=group).count() == 2  # the owner and bob


async def test_handle_follow__repeated_while_standing_queues_a_second_accept(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given an accepted follow, answered with one Accept
    await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("physics"))
    assert await deliver(app, peer, follow, bob) == ""
    accepts = Delivery.filter(activity_id__contains="#accepts/")
    assert await accepts.count() == 1
    # When the same Follow comes again
    assert await deliver(app, peer, follow, bob) == ""
    # Then a second Accept, with its own id, goes to bob's server
    ids = await accepts.values_list("activity_id", flat=True)
    assert len(set(ids)) == 2


async def test_handle_follow__repeated_while_pending_stays_pending(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a follow waiting for a moderator of an approval group
    group = await make_group(await make_account("ada"), "physics", join_policy=JoinPolicy.APPROVAL)
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("physics"))
    assert await deliver(app, peer, follow, bob) == ""
    log = EventLog(events.MembershipAccepted)
    # When the same Follow comes again
    assert await deliver(app, peer, follow, bob) == ""
    # Then it is still pending and nothing is accepted
    membership = await Membership.get(group=group, actor__ap_id=bob.id)
    assert membership.state == MembershipState.PENDING
    assert log.seen == []


async def test_handle_follow__takahe_refollow_sequence(app: Starlette, peer: RemotePeer) -> None:
    # Given a Takahē member who follows, unfollows with an Undo, and follows again (same id)
    group = await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("physics"))
    undo = build_undo_activity(bob, follow)
    assert await deliver(app, peer, follow, bob) == ""
    assert await deliver(app, peer, undo, bob) == ""
    assert await deliver(app, peer, follow, bob) == ""
    assert await Membership.filter(group=group, actor__ap_id=bob.id).exists()
    # When it unfollows again re-using the same Undo id
    outcome = await deliver(app, peer, undo, bob)
    # Then the standing follow ends all the same
    assert outcome == ""
    assert not await Membership.filter(group=group, actor__ap_id=bob.id).exists()
