"""`Announce`: shares by remote groups and boosts (federation/inbox/announce.py)."""

from __future__ import annotations

from starlette.applications import Starlette

from server.models import Post
from tests.federation._inbox_peer import (
    RemotePeer,
    build_activity,
    build_note,
    deliver,
)


async def test_handle_announce__from_an_untracked_group_is_dropped(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a remote group announcing an embedded Note (NodeBB's shape)
    group = peer.add_actor("cat", kind="Group")
    author = peer.add_actor("bob")
    announce = build_activity(group, "Announce", build_note(author))
    fetched_before = len(peer.requests)
    # When it arrives
    outcome = await deliver(app, peer, announce, group)
    # Then it is dropped with the reason, nothing stored and nothing fetched for it
    assert outcome == "announce from a remote group this instance does not track"
    assert await Post.all().count() == 0
    # (the group's key, and its server's NodeInfo, asked once per server: not the note's author)
    fetched = {str(request.url) for request in peer.requests[fetched_before:]}
    assert fetched <= {group.id, f"{peer.origin}/.well-known/nodeinfo"}


async def test_handle_announce__boost_by_a_person_is_dropped(
    app: Starlette, peer: RemotePeer
) -> None:
    bob = peer.add_actor("bob")
    outcome = await deliver(
        app, peer, build_activity(bob, "Announce", "http://lyceum.test/p/1"), bob
    )
    assert outcome == "boosts by people are not counted here"
