"""What people here send to a group on another server (federation/outbox/remote_groups.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette

from server.models import Actor, Delivery, Membership, MembershipState, Post, PostKind
from server.services import groups, posts
from server.services.errors import Forbidden
from server.settings import Settings
from tests.federation._remote_group_server import (
    GroupServer,
    find,
    follow_and_accept,
    hosting_server,
    sent_to,
)
from tests.helpers import make_account, make_remote_actor

GROUP = "https://remote.example/users/main"
GROUP_INBOX = f"{GROUP}/inbox"
SHARED_INBOX = "https://remote.example/inbox"
ADA = "http://lyceum.test/u/ada"


@pytest.fixture
async def server(app: Starlette, settings: Settings) -> AsyncIterator[GroupServer]:
    async with hosting_server(app, settings) as server:
        server.add_group("main")
        yield server


async def _ada() -> Actor:
    account = await make_account("ada")
    return await Actor.get(id=account.actor_id)


async def test_send_follow__joining_asks_the_groups_server(
    app: Starlette, server: GroupServer
) -> None:
    # Given an open group elsewhere, found from here
    group = await find(app, "@main@remote.example")
    ada = await _ada()
    # When Ada joins it
    membership = await groups.request_membership(group, ada)
    # Then she is pending, and one Follow signed by her goes to the group's inbox
    assert membership.state == MembershipState.PENDING
    [follow] = await sent_to(GROUP_INBOX)
    await membership.refresh_from_db()
    assert follow["type"] == "Follow"
    assert follow["actor"] == ADA
    assert follow["object"] == GROUP
    assert follow["id"] == membership.follow_ap_id
    assert follow["id"].startswith(f"{ADA}#follows/")
    assert await Delivery.filter(signer_id=ada.id).count() == 1


async def test_send_unfollow__leaving_undoes_the_same_follow(
    app: Starlette, server: GroupServer
) -> None:
    # Given Ada, a member of the group elsewhere
    ada = await _ada()
    membership = await follow_and_accept(app, server, server.groups["main"], ada)
    group = await find(app, "main@remote.example")
    # When she leaves
    await groups.leave_group(group, ada.id)
    # Then an Undo of her very Follow goes to the group
    follow, undo = await sent_to(GROUP_INBOX)
    assert undo["type"] == "Undo"
    assert undo["actor"] == ADA
    assert undo["object"]["id"] == membership.follow_ap_id == follow["id"]
    assert undo["object"]["object"] == GROUP
    assert not await Membership.filter(actor=ada).exists()


async def test_send_post_created__one_create_to_the_group_and_no_announce(
    app: Starlette, server: GroupServer
) -> None:
    # Given Ada, an accepted member of the group elsewhere
    ada = await _ada()
    await follow_and_accept(app, server, server.groups["main"], ada)
    group = await find(app, "main@remote.example")
    before = await Delivery.all().count()
    # When she starts a thread there
    post = await posts.create_post(ada, group, "discussion", "Hello there", "First words")
    # Then exactly one Create, from her, goes to the group's server, and nothing else
    assert await Delivery.all().count() == before + 1
    [create] = await sent_to(SHARED_INBOX)
    assert create["type"] == "Create"
    assert create["actor"] == ADA
    note = create["object"]
    assert note["id"] == f"http://lyceum.test/p/{post.id}"
    assert note["audience"] == GROUP
    assert GROUP in note["cc"]
    assert {"type": "Mention", "href": GROUP, "name": "@main@remote.example"} in note["tag"]
    assert not [row for row in await Delivery.all() if '"Announce"' in row.payload]


async def test_send_post__reply_edit_delete_and_like_follow_the_post(
    app: Starlette, server: GroupServer
) -> None:
    # Given Ada's thread in the group elsewhere
    ada = await _ada()
    await follow_and_accept(app, server, server.groups["main"], ada)
    group = await find(app, "main@remote.example")
    post = await posts.create_post(ada, group, "discussion", "Hello there", "First words")
    # And a reply there by someone elsewhere (nobody likes their own post)
    bo = await make_remote_actor("bo", "other.example")
    theirs = await Post.create(
        group=group,
        author=bo,
        kind=PostKind.REPLY,
        parent=post,
        root=post,
        depth=1,
        content_html="<p>Hi</p>",
        ap_id="https://other.example/notes/1",
    )
    # When she replies, edits, likes theirs and deletes hers
    reply = await posts.create_reply(ada, post, "A reply")
    await posts.edit_post(ada, post, title="Hello again", source="Better words")
    await posts.like(ada, theirs)
    await posts.delete_post(ada, reply)
    # Then the group's server gets each, in order, from her
    create, create_reply, update, like, delete = await sent_to(SHARED_INBOX)
    assert create_reply["object"]["inReplyTo"] == f"http://lyceum.test/p/{post.id}"
    assert update["type"] == "Update"
    assert update["object"]["name"] == "Hello again"
    assert "updated" in update["object"]
    assert like["type"] == "Like"
    assert like["object"] == "https://other.example/notes/1"
    assert delete["type"] == "Delete"
    assert delete["object"]["id"] == f"http://lyceum.test/p/{reply.id}"
    assert {a["actor"] for a in (create, create_reply, update, like, delete)} == {ADA}


async def test_send_post__not_sent_before_the_group_accepts(
    app: Starlette, server: GroupServer
) -> None:
    # Given Ada, whose join is still pending
    group = await find(app, "main@remote.example")
    ada = await _ada()
    await groups.request_membership(group, ada)
    # When she tries to post, Then she may not, and nothing goes out but her Follow
    with pytest.raises(Forbidden, match="Join the group"):
        await posts.create_post(ada, group, "discussion", "Too early", "Hi")
    assert await sent_to(SHARED_INBOX) == []
