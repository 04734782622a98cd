"""`Update` of a post by its author, and of an actor's profile (federation/inbox/update.py)."""

from __future__ import annotations

from starlette.applications import Starlette

from server import events
from server.models import Actor, Post
from tests.federation._inbox_peer import (
    OTHER_PRIVATE,
    OTHER_PUBLIC,
    EventLog,
    RemotePeer,
    build_activity,
    build_note,
    deliver,
    group_url,
    join,
)
from tests.helpers import make_account, make_group

PHYSICS = group_url("physics")


async def test_handle_update__author_edits_their_post(app: Starlette, peer: RemotePeer) -> None:
    # Given a post by a remote member
    await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    await join(app, peer, bob, "physics")
    note = build_note(bob, content="<p>Frist</p>", cc=PHYSICS)
    assert await deliver(app, peer, build_activity(bob, "Create", note), bob) == ""
    log = EventLog(events.PostEdited)
    # When they edit it on their server
    edited = {**note, "content": "<p>First, corrected</p>", "updated": "2025-03-01T10:00:00Z"}
    assert await deliver(app, peer, build_activity(bob, "Update", edited), bob) == ""
    # Then the new text is stored, marked edited, and the edit published
    post = await Post.get(ap_id=note["id"])
    assert "First, corrected" in post.content_html
    assert post.title == "First, corrected"
    assert post.edited_at is not None
    assert log.seen == [events.PostEdited(post.id)]


async def test_handle_update__someone_elses_post_is_refused(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given bob's post, and eve on the same server
    await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    eve = peer.add_actor("eve", private_pem=OTHER_PRIVATE, public_pem=OTHER_PUBLIC)
    await join(app, peer, bob, "physics")
    note = build_note(bob, content="<p>Mine</p>", cc=PHYSICS)
    assert await deliver(app, peer, build_activity(bob, "Create", note), bob) == ""
    # When eve sends an Update of it, claiming eve as the author
    forged = {**note, "attributedTo": eve.id, "content": "<p>Yours now</p>"}
    outcome = await deliver(app, peer, build_activity(eve, "Update", forged), eve)
    # Then nothing changes
    assert outcome == "refused: Only the author can edit this post."
    assert "Mine" in (await Post.get(ap_id=note["id"])).content_html


async def test_handle_update__unknown_post_is_dropped(app: Starlette, peer: RemotePeer) -> None:
    bob = peer.add_actor("bob")
    outcome = await deliver(app, peer, build_activity(bob, "Update", build_note(bob)), bob)
    assert outcome.endswith("is not a post we have")


async def test_handle_update__actor_profile_is_fetched_again(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a known remote person
    bob = peer.add_actor("bob")
    await deliver(app, peer, build_activity(bob, "Lock", "https://remote.example/x"), bob)
    # When they rename themselves and send an Update of their actor
    peer.documents[bob.id]["name"] = "Robert"
    update = build_activity(bob, "Update", peer.documents[bob.id])
    assert await deliver(app, peer, update, bob) == ""
    # Then the stored actor has the new name
    assert (await Actor.get(ap_id=bob.id)).display_name == "Robert"


async def test_handle_update__of_another_actor_is_dropped(app: Starlette, peer: RemotePeer) -> None:
    bob = peer.add_actor("bob")
    eve = peer.add_actor("eve", private_pem=OTHER_PRIVATE, public_pem=OTHER_PUBLIC)
    update = build_activity(eve, "Update", peer.documents[bob.id])
    assert await deliver(app, peer, update, eve) == "an actor can only update itself"
