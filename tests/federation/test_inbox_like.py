"""`Like` and `Dislike` of a post here (federation/inbox/like.py)."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette

from server.models import Post, Reaction, ReactionKind
from tests.federation._inbox_peer import (
    RemotePeer,
    build_activity,
    deliver,
    join,
)
from tests.helpers import make_account, make_group, make_post


async def _thread_url() -> tuple[Post, str]:
    ada = await make_account("ada")
    thread = await make_post(ada, await make_group(ada, "physics"))
    return thread, f"http://lyceum.test/p/{thread.id}"


@pytest.mark.parametrize(
    ("kind", "reaction"), [("Like", ReactionKind.LIKE), ("Dislike", ReactionKind.DISLIKE)]
)
async def test_handle_react__member_reacts(
    app: Starlette, peer: RemotePeer, kind: str, reaction: ReactionKind
) -> None:
    # Given a thread here and a remote member
    thread, url = await _thread_url()
    bob = peer.add_actor("bob")
    await join(app, peer, bob, "physics")
    like = build_activity(bob, kind, url)
    # When they like (or dislike) it
    assert await deliver(app, peer, like, bob) == ""
    # Then the reaction is stored with its id (for Undo) and counted
    stored = await Reaction.get(post=thread)
    assert (stored.kind, stored.ap_id) == (reaction, like["id"])
    post = await Post.get(id=thread.id)
    assert (post.like_count, post.dislike_count) == (
        (1, 0) if reaction == ReactionKind.LIKE else (0, 1)
    )


async def test_handle_react__non_member_is_refused(app: Starlette, peer: RemotePeer) -> None:
    _, url = await _thread_url()
    bob = peer.add_actor("bob")
    outcome = await deliver(app, peer, build_activity(bob, "Like", url), bob)
    assert outcome == "refused: Join the group to react to its posts."
    assert await Reaction.all().count() == 0


async def test_handle_react__unknown_post_is_dropped(app: Starlette, peer: RemotePeer) -> None:
    bob = peer.add_actor("bob")
    outcome = await deliver(app, peer, build_activity(bob, "Like", "https://x.example/p/1"), bob)
    assert outcome == "https://x.example/p/1 is not a post here"
