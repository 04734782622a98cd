"""`Like` and `Dislike` of a post here (federation/inbox/like.py)."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette

from server.models import Actor, Credit, CreditKind, Post, PostKind, Reaction, ReactionKind
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


async def test_handle_react__a_like_of_ones_own_post_is_refused_and_credits_nothing(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a remote member's post in a group here
    ada = await make_account("ada")
    group = await make_group(ada, "physics")
    bob = peer.add_actor("bob")
    await join(app, peer, bob, "physics")
    bob_here = await Actor.get(ap_id=bob.id)
    post = await Post.create(
        group=group,
        author=bob_here,
        kind=PostKind.DISCUSSION,
        title="Mine",
        content_html="<p>Hi</p>",
    )
    # When their server says they like it themselves
    outcome = await deliver(
        app, peer, build_activity(bob, "Like", f"http://lyceum.test/p/{post.id}"), bob
    )
    # Then it is refused with the reason recorded, and nothing is stored or credited
    assert outcome == "refused: You cannot like your own post."
    assert await Reaction.all().count() == 0
    assert await Credit.all().count() == 0


async def test_handle_react__a_remote_members_like_credits_the_author_with_its_domain(
    app: Starlette, peer: RemotePeer
) -> None:
    thread, url = await _thread_url()
    bob = peer.add_actor("bob")
    await join(app, peer, bob, "physics")
    assert await deliver(app, peer, build_activity(bob, "Like", url), bob) == ""
    [credit] = await Credit.all()
    assert (credit.earner_id, credit.kind, credit.giver_domain) == (
        thread.author_id,
        CreditKind.LIKE_RECEIVED,
        "remote.example",
    )
    # And an Undo takes it back
    like_id = (await Reaction.get(post=thread)).ap_id
    undo = build_activity(
        bob, "Undo", {"id": like_id, "type": "Like", "actor": bob.id, "object": url}
    )
    assert await deliver(app, peer, undo, bob) == ""
    assert await Credit.all().count() == 0
