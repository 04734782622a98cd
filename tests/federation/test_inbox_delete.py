"""`Delete` of a post by its author, and of an actor (federation/inbox/delete.py)."""

from __future__ import annotations

from starlette.applications import Starlette

from server import events
from server.models import Membership, Post, PostState
from tests.federation._inbox_peer import (
    OTHER_PRIVATE,
    OTHER_PUBLIC,
    EventLog,
    PeerActor,
    RemotePeer,
    build_activity,
    build_note,
    deliver,
    group_url,
    join,
)
from tests.helpers import make_account, make_group, make_post

PHYSICS = group_url("physics")


async def _posted(app: Starlette, peer: RemotePeer, bob: PeerActor) -> str:
    await make_group(await make_account("ada"), "physics")
    await join(app, peer, bob, "physics")
    note = build_note(bob, cc=PHYSICS)
    assert await deliver(app, peer, build_activity(bob, "Create", note), bob) == ""
    return str(note["id"])


async def test_handle_delete__tombstone_by_the_author(app: Starlette, peer: RemotePeer) -> None:
    # Given bob's post in the group
    bob = peer.add_actor("bob")
    note_id = await _posted(app, peer, bob)
    log = EventLog(events.PostDeleted)
    # When he deletes it (Mastodon sends a Tombstone)
    tombstone = {"id": note_id, "type": "Tombstone"}
    assert await deliver(app, peer, build_activity(bob, "Delete", tombstone), bob) == ""
    # Then it is deleted and its content gone
    post = await Post.get(ap_id=note_id)
    assert (post.state, post.content_html) == (PostState.DELETED, "")
    assert log.seen == [events.PostDeleted(post.id)]


async def test_handle_delete__by_someone_else_is_refused(app: Starlette, peer: RemotePeer) -> None:
    bob = peer.add_actor("bob")
    eve = peer.add_actor("eve", private_pem=OTHER_PRIVATE, public_pem=OTHER_PUBLIC)
    note_id = await _posted(app, peer, bob)
    outcome = await deliver(app, peer, build_activity(eve, "Delete", note_id), eve)
    assert outcome == "refused: Only the author or a moderator can delete this post."
    assert (await Post.get(ap_id=note_id)).state == PostState.PUBLISHED


async def test_handle_delete__a_local_post_is_not_theirs(app: Starlette, peer: RemotePeer) -> None:
    ada = await make_account("ada")
    thread = await make_post(ada, await make_group(ada, "physics"))
    bob = peer.add_actor("bob")
    outcome = await deliver(
        app, peer, build_activity(bob, "Delete", f"http://lyceum.test/p/{thread.id}"), bob
    )
    assert outcome.startswith("refused: ")
    assert (await Post.get(id=thread.id)).state == PostState.PUBLISHED


async def test_handle_delete__of_the_actor_removes_posts_and_memberships(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given bob's post and membership
    bob = peer.add_actor("bob")
    note_id = await _posted(app, peer, bob)
    # When his server deletes his account
    assert await deliver(app, peer, build_activity(bob, "Delete", bob.id), bob) == ""
    # Then his post is deleted and he no longer follows the group
    assert (await Post.get(ap_id=note_id)).state == PostState.DELETED
    assert not await Membership.filter(actor__ap_id=bob.id).exists()


async def test_handle_delete__unknown_object_is_dropped(app: Starlette, peer: RemotePeer) -> None:
    bob = peer.add_actor("bob")
    outcome = await deliver(app, peer, build_activity(bob, "Delete", f"{bob.id}/statuses/9"), bob)
    assert outcome == f"{bob.id}/statuses/9 is not something we have"
