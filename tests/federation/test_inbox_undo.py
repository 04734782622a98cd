"""`Undo` of a Follow or a Like (federation/inbox/undo.py)."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette

from server import events
from server.models import Membership, Reaction
from tests.federation._inbox_peer import (
    OTHER_PRIVATE,
    OTHER_PUBLIC,
    EventLog,
    RemotePeer,
    build_activity,
    build_follow_activity,
    build_undo_activity,
    deliver,
    group_url,
)
from tests.helpers import make_account, make_group, make_post


@pytest.mark.parametrize("embedded", [True, False], ids=["embedded", "by-id"])
async def test_handle_undo__follow_ends_the_membership(
    app: Starlette, peer: RemotePeer, embedded: bool
) -> None:
    # Given a remote follower of the group
    group = await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("physics"))
    assert await deliver(app, peer, follow, bob) == ""
    log = EventLog(events.MembershipEnded)
    # When they unfollow (the Follow embedded, or only its id)
    undo = build_undo_activity(bob, follow if embedded else follow["id"])
    assert await deliver(app, peer, undo, bob) == ""
    # Then they are no longer a member
    assert not await Membership.filter(group=group, actor__ap_id=bob.id).exists()
    assert len(log.seen) == 1


async def test_handle_undo__someone_elses_follow_is_dropped(
    app: Starlette, peer: RemotePeer
) -> None:
    group = await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    eve = peer.add_actor("eve", private_pem=OTHER_PRIVATE, public_pem=OTHER_PUBLIC)
    follow = build_follow_activity(bob, group_url("physics"))
    assert await deliver(app, peer, follow, bob) == ""
    outcome = await deliver(app, peer, build_undo_activity(eve, follow), eve)
    assert outcome == "an actor can only undo its own activities"
    assert await Membership.filter(group=group, actor__ap_id=bob.id).exists()


async def test_handle_undo__follow_never_made_is_dropped(app: Starlette, peer: RemotePeer) -> None:
    await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("physics"))
    outcome = await deliver(app, peer, build_undo_activity(bob, follow), bob)
    assert outcome == "the actor was not following the group"


@pytest.mark.parametrize("embedded", [True, False], ids=["embedded", "by-id"])
async def test_handle_undo__like_is_taken_back(
    app: Starlette, peer: RemotePeer, embedded: bool
) -> None:
    # Given a remote member's like of a thread here
    ada = await make_account("ada")
    thread = await make_post(ada, await make_group(ada, "physics"))
    bob = peer.add_actor("bob")
    assert await deliver(app, peer, build_follow_activity(bob, group_url("physics")), bob) == ""
    like = build_activity(bob, "Like", f"http://lyceum.test/p/{thread.id}")
    assert await deliver(app, peer, like, bob) == ""
    # When they undo it
    assert (
        await deliver(app, peer, build_undo_activity(bob, like if embedded else like["id"]), bob)
        == ""
    )
    # Then the reaction is gone
    assert await Reaction.all().count() == 0


async def test_handle_undo__of_a_persons_boost_is_dropped(app: Starlette, peer: RemotePeer) -> None:
    # Given a person's boost (groups' Undo{Announce} is a removal: test_remote_groups_inbox)
    bob = peer.add_actor("bob")
    boost = build_activity(bob, "Announce", "https://x.example/p/1")
    # When they undo it, Then it is acknowledged and dropped: boosts are not counted
    outcome = await deliver(app, peer, build_undo_activity(bob, boost), bob)
    assert outcome == "boosts by people are not counted here"
