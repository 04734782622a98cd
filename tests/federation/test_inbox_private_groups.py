"""Posts into a members-only group, and groups elsewhere that share followers-only.

A members-only group takes a member's post addressed to it and its followers without
`as:Public` (Mastodon's "followers only"); a non-member's is refused as in any group, and a
public group still takes public posts only. A followed group elsewhere whose Announce is not
public is kept here as members-only.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

from server.models import Group, GroupVisibility, Post
from tests.federation._inbox_peer import (
    PUBLIC,
    PeerActor,
    RemotePeer,
    build_activity,
    build_note,
    deliver,
    group_url,
    join,
)
from tests.helpers import make_account, make_group

INNER = group_url("inner")


def followers_only_note(peer_actor: PeerActor, **extra: object) -> dict[str, Any]:
    actor_id = peer_actor.id
    return build_note(
        peer_actor,
        content="<p>@inner A question for members</p>",
        to=[f"{actor_id}/followers"],
        cc=[INNER],
        tag=[{"type": "Mention", "href": INNER, "name": "@inner@lyceum.test"}],
        **extra,
    )


async def test_create__a_members_followers_only_post_enters_a_members_only_group(
    app: Starlette, peer: RemotePeer
) -> None:
    group = await make_group(await make_account("ada"), "inner", visibility=GroupVisibility.MEMBERS)
    bob = peer.add_actor("bob")
    await join(app, peer, bob, "inner")
    note = followers_only_note(bob)
    assert await deliver(app, peer, build_activity(bob, "Create", note), bob) == ""
    assert (await Post.get(ap_id=note["id"])).group_id == group.id


async def test_create__a_non_members_post_is_refused_in_a_members_only_group(
    app: Starlette, peer: RemotePeer
) -> None:
    await make_group(await make_account("ada"), "inner", visibility=GroupVisibility.MEMBERS)
    eve = peer.add_actor("eve")
    for note in (followers_only_note(eve), build_note(eve, to=[INNER, PUBLIC])):
        outcome = await deliver(app, peer, build_activity(eve, "Create", note), eve)
        assert outcome != ""
        assert not await Post.filter(ap_id=note["id"]).exists()


async def test_create__a_public_group_still_takes_public_posts_only(
    app: Starlette, peer: RemotePeer
) -> None:
    await make_group(await make_account("ada"), "inner")
    bob = peer.add_actor("bob")
    await join(app, peer, bob, "inner")
    note = followers_only_note(bob)
    outcome = await deliver(app, peer, build_activity(bob, "Create", note), bob)
    assert outcome == "only public posts are shared in groups"
    assert not await Post.filter(ap_id=note["id"]).exists()


async def test_learn_visibility__a_group_elsewhere_follows_its_announces(database: None) -> None:
    # The rule itself (the live test drives it through a real Announce between instances)
    from server.services import remote_groups
    from tests.helpers import make_remote_actor

    actor = await make_remote_actor("club", "groups.example")
    group = await Group.create(actor=actor)
    await remote_groups.learn_visibility(group, public=False)
    assert (await Group.get(id=group.id)).visibility == GroupVisibility.MEMBERS
    await remote_groups.learn_visibility(group, public=True)
    assert (await Group.get(id=group.id)).visibility == GroupVisibility.PUBLIC
