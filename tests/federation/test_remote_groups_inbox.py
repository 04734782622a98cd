"""A group on another server answering and sharing (federation/inbox/accept.py, announce.py,
announced.py): Accept/Reject of our Follow, its Announces in both shapes, and removals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.applications import Starlette

from server.models import Actor, Group, Membership, MembershipState, Post, PostState
from server.services import groups, posts
from server.settings import Settings
from tests.federation._inbox_peer import (
    PUBLIC,
    PeerActor,
    build_activity,
    build_note,
    build_undo_activity,
    deliver,
    stored_counts,
)
from tests.federation._remote_group_server import (
    GroupServer,
    find,
    follow_and_accept,
    hosting_server,
    other_server,
)
from tests.helpers import make_account


@pytest.fixture
async def server(app: Starlette, settings: Settings) -> AsyncIterator[GroupServer]:
    async with hosting_server(app, settings) as server:
        server.add_group("main")
        yield server


async def _member(app: Starlette, server: GroupServer) -> Actor:
    account = await make_account("ada")
    ada = await Actor.get(id=account.actor_id)
    await follow_and_accept(app, server, server.groups["main"], ada)
    return ada


def _follow(follow_id: str, group: PeerActor) -> dict[str, Any]:
    return {
        "id": follow_id,
        "type": "Follow",
        "actor": "http://lyceum.test/u/ada",
        "object": group.id,
    }


def _in_group(group: PeerActor, note: dict[str, Any]) -> dict[str, Any]:
    """A Create of the note, announced by the group (the threadiverse shape)."""
    author = note["attributedTo"]
    create = {"id": f"{note['id']}#create", "type": "Create", "actor": author, "object": note}
    return build_activity(group, "Announce", create, to=[PUBLIC], audience=group.id)


def _note(author: PeerActor, group: PeerActor, **extra: Any) -> dict[str, Any]:
    return build_note(author, cc=[group.id], audience=group.id, **extra)


# --- Accept and Reject ---------------------------------------------------------------------


@pytest.mark.parametrize("by_id", [False, True], ids=["embedded", "by-id"])
async def test_handle_response__accept_makes_the_person_a_member(
    app: Starlette, server: GroupServer, by_id: bool
) -> None:
    # Given Ada's pending request to the group elsewhere
    group = await find(app, "main@remote.example")
    ada = await Actor.get(id=(await make_account("ada")).actor_id)
    membership = await groups.request_membership(group, ada)
    await membership.refresh_from_db()
    main = server.groups["main"]
    answer = membership.follow_ap_id if by_id else _follow(membership.follow_ap_id, main)
    # When the group accepts
    assert await deliver(app, server, build_activity(main, "Accept", answer), main) == ""
    # Then she is a member, counted
    await membership.refresh_from_db()
    assert membership.state == MembershipState.ACCEPTED
    assert (await Group.get(id=group.id)).member_count == 1


async def test_handle_response__reject_turns_the_request_down(
    app: Starlette, server: GroupServer
) -> None:
    group = await find(app, "main@remote.example")
    ada = await Actor.get(id=(await make_account("ada")).actor_id)
    membership = await groups.request_membership(group, ada)
    await membership.refresh_from_db()
    main = server.groups["main"]
    reject = build_activity(main, "Reject", _follow(membership.follow_ap_id, main))
    assert await deliver(app, server, reject, main) == ""
    await membership.refresh_from_db()
    assert membership.state == MembershipState.REJECTED


async def test_handle_response__from_another_group_changes_nothing(
    app: Starlette, server: GroupServer
) -> None:
    # Given Ada's pending request to "main", and another group we track
    group = await find(app, "main@remote.example")
    ada = await Actor.get(id=(await make_account("ada")).actor_id)
    membership = await groups.request_membership(group, ada)
    await membership.refresh_from_db()
    server.add_group("other")
    await find(app, "other@remote.example")
    other = server.groups["other"]
    # When "other" claims to accept her Follow of "main"
    accept = build_activity(
        other, "Accept", _follow(membership.follow_ap_id, server.groups["main"])
    )
    outcome = await deliver(app, server, accept, other)
    # Then it is dropped and she is still waiting
    assert outcome == "Accept ignored: it answers no follow of ours"
    await membership.refresh_from_db()
    assert membership.state == MembershipState.PENDING


async def test_handle_response__from_an_untracked_actor_is_dropped(
    app: Starlette, server: GroupServer
) -> None:
    bob = server.add_person("bob")
    outcome = await deliver(
        app, server, build_activity(bob, "Accept", "https://x.example/f/1"), bob
    )
    assert outcome == "Accept ignored: it comes from no group this instance follows"


# --- Announce ------------------------------------------------------------------------------


async def test_handle_announce__create_is_stored_under_the_group(
    app: Starlette, server: GroupServer, client: Any
) -> None:
    # Given Ada, a member here of the group elsewhere
    await _member(app, server)
    main, bob = server.groups["main"], server.add_person("bob")
    note = _note(bob, main, name="Kepler's laws", content="<p>Ellipses!</p>")
    # When the group announces Bob's post
    assert await deliver(app, server, _in_group(main, note), main) == ""
    # Then it is listed on the group's page here, by Bob
    post = await Post.get(ap_id=note["id"]).select_related("author", "group__actor")
    assert post.author.ap_id == bob.id
    assert post.group.actor.ap_id == main.id
    page = await client.get("/g/main@remote.example")
    assert page.status_code == 200
    assert "Kepler&#39;s laws" in page.text or "Kepler's laws" in page.text


async def test_handle_announce__reply_from_a_third_server_is_fetched_and_threaded(
    app: Starlette, server: GroupServer
) -> None:
    # Given a post in the group, and Carol on another server replying to it
    await _member(app, server)
    main, bob = server.groups["main"], server.add_person("bob")
    parent = _note(bob, main)
    assert await deliver(app, server, _in_group(main, parent), main) == ""
    third = other_server(server, "https://c.example")
    carol = third.add_person("carol")
    reply = _note(carol, main, inReplyTo=parent["id"], content="<p>The real text</p>")
    server.add_object(reply)  # served by Carol's server at its id
    forged = {**reply, "content": "<p>What the group claims</p>"}
    # When the group announces Carol's reply
    assert await deliver(app, server, _in_group(main, forged), main) == ""
    # Then it threads under the post, with the text from Carol's own server
    stored = await Post.get(ap_id=reply["id"])
    assert stored.parent_id == (await Post.get(ap_id=parent["id"])).id
    assert "The real text" in stored.content_html
    assert (await Post.get(ap_id=parent["id"])).reply_count == 1


async def test_handle_announce__a_note_id_is_fetched_microblog_shape(
    app: Starlette, server: GroupServer
) -> None:
    await _member(app, server)
    main, bob = server.groups["main"], server.add_person("bob")
    note = _note(bob, main)
    server.add_object(note)
    assert await deliver(app, server, build_activity(main, "Announce", note["id"]), main) == ""
    assert await Post.filter(ap_id=note["id"]).exists()


async def test_handle_announce__our_own_post_is_not_stored_twice(
    app: Starlette, server: GroupServer
) -> None:
    # Given Ada's post in the group elsewhere, sent from here
    ada = await _member(app, server)
    group = await find(app, "main@remote.example")
    post = await posts.create_post(ada, group, "discussion", "Mine", "Hello")
    main = server.groups["main"]
    note = {"id": f"http://lyceum.test/p/{post.id}", "type": "Note", "attributedTo": ada_url()}
    note.update(content="<p>Hello</p>", to=[PUBLIC])
    before = await stored_counts()
    # When the group announces it back to us
    outcome = await deliver(app, server, _in_group(main, note), main)
    # Then it is dropped: it is here already
    assert outcome == "our own Create, already here"
    assert (await stored_counts())["posts"] == before["posts"]


def ada_url() -> str:
    return "http://lyceum.test/u/ada"


async def test_handle_announce__edit_delete_and_like_propagate(
    app: Starlette, server: GroupServer
) -> None:
    # Given Bob's post in the group, stored here
    await _member(app, server)
    main, bob = server.groups["main"], server.add_person("bob")
    note = _note(bob, main, content="<p>v1</p>")
    assert await deliver(app, server, _in_group(main, note), main) == ""
    carol = server.add_person("carol")
    # When the group announces Bob's edit, Carol's like, then Bob's deletion
    update = build_activity(bob, "Update", {**note, "content": "<p>v2</p>"})
    assert await deliver(app, server, build_activity(main, "Announce", update), main) == ""
    assert "v2" in (await Post.get(ap_id=note["id"])).content_html
    like = build_activity(carol, "Like", note["id"])
    assert await deliver(app, server, build_activity(main, "Announce", like), main) == ""
    assert (await Post.get(ap_id=note["id"])).like_count == 1
    delete = build_activity(bob, "Delete", {"id": note["id"], "type": "Tombstone"})
    assert await deliver(app, server, build_activity(main, "Announce", delete), main) == ""
    # Then the post is deleted here
    assert (await Post.get(ap_id=note["id"])).state == PostState.DELETED


@pytest.mark.parametrize("shape", ["undo-announce", "moderator-delete"])
async def test_handle_announce__a_moderators_removal_removes_the_post(
    app: Starlette, server: GroupServer, shape: str
) -> None:
    # Given Bob's post in the group, stored here
    await _member(app, server)
    main, bob = server.groups["main"], server.add_person("bob")
    note = _note(bob, main)
    announce = _in_group(main, note)
    assert await deliver(app, server, announce, main) == ""
    mod = server.add_person("mod")
    # When the group withdraws it (Mastodon's shape) or announces a moderator's Delete (Lemmy's)
    if shape == "undo-announce":
        boost = build_activity(main, "Announce", note["id"])
        withdrawal = build_undo_activity(main, boost)
    else:
        delete = build_activity(mod, "Delete", note["id"], summary="spam")
        withdrawal = build_activity(main, "Announce", delete)
    assert await deliver(app, server, withdrawal, main) == ""
    # Then it is removed here (not deleted: its author did not)
    post = await Post.get(ap_id=note["id"])
    assert post.state == PostState.REMOVED
    assert (await Group.get(id=post.group_id)).post_count == 0


async def test_handle_announce__a_post_of_another_server_is_not_taken_on_the_groups_word(
    app: Starlette, server: GroupServer
) -> None:
    # Given a note that claims to be Carol's but lives on the group's server
    await _member(app, server)
    main = server.groups["main"]
    carol = other_server(server, "https://c.example").add_person("carol")
    note = _note(carol, main)
    note["id"] = "https://remote.example/forged/1"
    # When the group announces it, Then it is dropped
    outcome = await deliver(app, server, _in_group(main, note), main)
    assert outcome == "the post https://remote.example/forged/1 is not on its author's server"
    assert not await Post.filter(ap_id=note["id"]).exists()


async def test_handle_announce__from_a_group_nobody_here_follows_is_dropped(
    app: Starlette, server: GroupServer
) -> None:
    await find(app, "main@remote.example")
    main, bob = server.groups["main"], server.add_person("bob")
    outcome = await deliver(app, server, _in_group(main, _note(bob, main)), main)
    assert outcome == "no one here follows this group"
    assert await Post.all().count() == 0


async def test_handle_create__a_direct_post_into_a_remote_group_is_refused(
    app: Starlette, server: GroupServer
) -> None:
    # Given a post in the group, stored here
    await _member(app, server)
    main, bob = server.groups["main"], server.add_person("bob")
    parent = _note(bob, main)
    assert await deliver(app, server, _in_group(main, parent), main) == ""
    # When Bob sends a reply straight to us instead of through the group
    reply = _note(bob, main, inReplyTo=parent["id"])
    outcome = await deliver(app, server, build_activity(bob, "Create", reply), bob)
    # Then it is refused: the group decides what is in it
    assert outcome == "refused: Posts in a group on another server come through that group."
    assert not await Post.filter(ap_id=reply["id"]).exists()
    assert await Membership.filter(state=MembershipState.ACCEPTED).count() == 1
