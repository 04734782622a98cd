"""A vote taken back travels like the vote: Undo to the author's server, announced to the
threadiverse, so third servers' counts go down too."""

from __future__ import annotations

import json

from server.models import Delivery, Post, ReactionKind
from server.services import posts
from tests.federation.test_outbox_posts import LEMMY_INBOX, MASTODON_INBOX, World, world

__all__ = ["world"]  # the fixture, shared with the outbox's post tests


async def test_post_unreacted__undo_to_author_and_announced_to_threadiverse(world: World) -> None:
    # Given the Lemmy member's post, disliked by a local member
    post = await posts.create_post(world.bob, world.group, "discussion", "Hello", "Hi")
    await Post.filter(id=post.id).update(ap_id="https://lemmy.example/post/9")
    await posts.like(world.owner, post, kind=ReactionKind.DISLIKE)
    await Delivery.all().delete()
    # When the vote is taken back
    await posts.unlike(world.owner, post)
    rows = [(row.inbox_url, row.signer_id, json.loads(row.payload)) for row in await Delivery.all()]
    # Then the voter's Undo{Dislike} goes to the author's server
    direct = [payload for _, signer, payload in rows if signer == world.owner.actor_id]
    assert [(d["type"], d["object"]["type"]) for d in direct] == [("Undo", "Dislike")]
    assert direct[0]["actor"] == "http://lyceum.test/u/ada"
    assert direct[0]["object"]["object"] == "https://lemmy.example/post/9"
    # And the group announces that same Undo to Lemmy, and to no microblog server
    announced = [payload for _, signer, payload in rows if signer == world.group.actor_id]
    assert [a["object"]["id"] for a in announced] == [direct[0]["id"]]
    assert {inbox for inbox, _, _ in rows} == {LEMMY_INBOX}
    assert MASTODON_INBOX not in {inbox for inbox, _, _ in rows}


async def test_post_unreacted__a_remote_voters_undo_is_announced_with_their_vote_id(
    world: World,
) -> None:
    # Given a local post the Lemmy member liked (their Like had its own id)
    post = await posts.create_post(world.owner, world.group, "discussion", "Hello", "Hi")
    await posts.record_reaction(post, world.bob, ReactionKind.LIKE, "https://lemmy.example/l/1")
    await Delivery.all().delete()
    # When their Undo arrives and the vote is taken back
    await posts.unlike(world.bob, post)
    # Then the group announces an Undo of that Like, by them, to the threadiverse
    [row] = await Delivery.all()
    announce = json.loads(row.payload)
    assert (row.inbox_url, row.signer_id) == (LEMMY_INBOX, world.group.actor_id)
    undo = announce["object"]
    assert (undo["type"], undo["actor"]) == ("Undo", world.bob.ap_id)
    assert undo["object"]["id"] == "https://lemmy.example/l/1"
