"""A person banned through `bans.ban` stays out when their server keeps talking to us: their
Follow is answered with a Reject, their posts and replies are not stored."""

from __future__ import annotations

import json

from starlette.applications import Starlette

from server.models import Actor, Delivery, Membership, Post
from server.services import bans
from tests.federation._inbox_peer import (
    RemotePeer,
    build_activity,
    build_follow_activity,
    build_note,
    deliver,
    group_url,
    join,
    stored_counts,
)
from tests.helpers import make_account, make_group, make_post

PHYSICS = group_url("physics")


async def test_banned_follower__follow_again_is_rejected(app: Starlette, peer: RemotePeer) -> None:
    # Given a remote follower banned by the owner
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    bob = peer.add_actor("bob")
    await join(app, peer, bob, "physics")
    await bans.ban(owner.actor, group, await Actor.get(ap_id=bob.id), "spam")
    assert not await Membership.filter(group=group, actor__ap_id=bob.id).exists()
    await Delivery.all().delete()
    # When their server sends a new Follow
    follow = build_follow_activity(bob, PHYSICS)
    outcome = await deliver(app, peer, follow, bob)
    # Then it is refused: no membership, and the group's Reject of that Follow is queued
    assert outcome == "follow refused: the actor is banned from the group"
    assert not await Membership.filter(group=group, actor__ap_id=bob.id).exists()
    [row] = await Delivery.all()
    reject = json.loads(row.payload)
    assert (reject["type"], reject["object"]["id"]) == ("Reject", follow["id"])
    assert row.inbox_url == f"{bob.id}/inbox"


async def test_banned_follower__signed_create_stores_nothing(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a remote follower, banned, and a thread in the group
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    thread = await make_post(owner, group, title="Welcome")
    bob = peer.add_actor("bob")
    await join(app, peer, bob, "physics")
    await bans.ban(owner.actor, group, await Actor.get(ap_id=bob.id))
    before = await stored_counts()
    # When their server sends a signed Create of a new thread, and of a reply
    new_thread = build_activity(bob, "Create", build_note(bob, cc=PHYSICS))
    reply = build_activity(
        bob, "Create", build_note(bob, cc=PHYSICS, inReplyTo=f"http://lyceum.test/p/{thread.id}")
    )
    outcomes = [await deliver(app, peer, activity, bob) for activity in (new_thread, reply)]
    # Then both are refused and no post is stored
    for outcome in outcomes:
        assert outcome.startswith("refused: This author cannot post in this group"), outcome
    after = await stored_counts()
    assert after["posts"] == before["posts"] == await Post.all().count()
    assert after["inbox"] == before["inbox"] + 2  # only the two activities themselves
