"""A group on another server restores a post its moderators removed (federation/inbox/announced.py):
Lemmy's and Lyceum's `Announce{Undo{Delete}}`, and the microblog shape, the post shared again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.applications import Starlette

from server.models import Actor, DomainBlock, Group, Post, PostState, utcnow
from server.settings import Settings
from tests.federation._inbox_peer import (
    PUBLIC,
    PeerActor,
    build_activity,
    build_note,
    build_undo_activity,
    deliver,
)
from tests.federation._remote_group_server import (
    GroupServer,
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


@pytest.fixture
async def removed(app: Starlette, server: GroupServer) -> dict[str, Any]:
    """Bob's post in the group elsewhere, stored here, then removed by a moderator there
    (Lemmy's announced Delete). Ada here follows the group."""
    ada = await Actor.get(id=(await make_account("ada")).actor_id)
    main = server.groups["main"]
    await follow_and_accept(app, server, main, ada)
    # Bob lives on a third server, which serves his post
    bob = other_server(server, "https://c.example").add_person("bob")
    note = build_note(bob, cc=[main.id], audience=main.id)
    server.add_object(note)
    create = {"id": f"{note['id']}#create", "type": "Create", "actor": bob.id, "object": note}
    announce = build_activity(main, "Announce", create, to=[PUBLIC], audience=main.id)
    assert await deliver(app, server, announce, main) == ""
    mod = server.add_person("mod")
    delete = build_activity(mod, "Delete", note["id"], summary="spam")
    assert await deliver(app, server, build_activity(main, "Announce", delete), main) == ""
    assert (await Post.get(ap_id=note["id"])).state == PostState.REMOVED
    return {"note": note, "delete": delete, "mod": mod}


def _undo_of(group: PeerActor, mod: PeerActor, delete: dict[str, Any]) -> dict[str, Any]:
    undo = build_undo_activity(mod, {k: v for k, v in delete.items() if k != "@context"})
    return build_activity(group, "Announce", undo)


async def test_handle_announced_undo_delete__restores_the_removed_post(
    app: Starlette, server: GroupServer, removed: dict[str, Any]
) -> None:
    # When the group announces its moderator's Undo of the removal
    main, mod = server.groups["main"], removed["mod"]
    assert await deliver(app, server, _undo_of(main, mod, removed["delete"]), main) == ""
    # Then the post is back, counted again
    post = await Post.get(ap_id=removed["note"]["id"])
    assert (post.state, post.removed_at, post.removal_reason) == (PostState.PUBLISHED, None, "")
    assert (await Group.get(id=post.group_id)).post_count == 1


async def test_handle_announce__the_post_shared_again_restores_it_microblog_shape(
    app: Starlette, server: GroupServer, removed: dict[str, Any]
) -> None:
    main = server.groups["main"]
    note_id = removed["note"]["id"]
    assert await deliver(app, server, build_activity(main, "Announce", note_id), main) == ""
    assert (await Post.get(ap_id=note_id)).state == PostState.PUBLISHED


async def test_handle_announced_undo_delete__a_deleted_post_stays_deleted(
    app: Starlette, server: GroupServer, removed: dict[str, Any]
) -> None:
    await Post.filter(ap_id=removed["note"]["id"]).update(state=PostState.DELETED)
    main, mod = server.groups["main"], removed["mod"]
    outcome = await deliver(app, server, _undo_of(main, mod, removed["delete"]), main)
    assert outcome == "the post was deleted by its author and cannot come back"
    assert (await Post.get(ap_id=removed["note"]["id"])).state == PostState.DELETED


async def test_handle_announced_undo_delete__an_author_on_a_suspended_domain_stays_hidden(
    app: Starlette, server: GroupServer, removed: dict[str, Any]
) -> None:
    # Given the author's server is suspended here (the group's own server is not)
    await DomainBlock.create(domain="c.example")
    main, mod = server.groups["main"], removed["mod"]
    # When the group restores the post, Then it stays removed here
    outcome = await deliver(app, server, _undo_of(main, mod, removed["delete"]), main)
    assert outcome == "the domain c.example is blocked"
    assert (await Post.get(ap_id=removed["note"]["id"])).state == PostState.REMOVED


async def test_handle_announced_undo_delete__a_suspended_author_stays_hidden(
    app: Starlette, server: GroupServer, removed: dict[str, Any]
) -> None:
    await Actor.filter(ap_id=removed["note"]["attributedTo"]).update(suspended_at=utcnow())
    main, mod = server.groups["main"], removed["mod"]
    outcome = await deliver(app, server, _undo_of(main, mod, removed["delete"]), main)
    assert outcome == "refused: The author is suspended here; the post stays hidden."
    assert (await Post.get(ap_id=removed["note"]["id"])).state == PostState.REMOVED


async def test_handle_announced_undo_delete__of_a_published_post_is_dropped(
    app: Starlette, server: GroupServer, removed: dict[str, Any]
) -> None:
    main, mod = server.groups["main"], removed["mod"]
    assert await deliver(app, server, _undo_of(main, mod, removed["delete"]), main) == ""
    again = _undo_of(main, mod, removed["delete"])
    assert await deliver(app, server, again, main) == "the post is not removed here"
