"""A group's posts go out in the shape each receiving server reads (FEDERATION.md, FEP-1b12)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from federation.outbox import register
from server import events
from server.models import Account, Actor, Delivery, Group, Post, PostState, ReactionKind, utcnow
from server.services import groups, posts
from server.settings import Settings
from tests.helpers import make_account, make_group, make_post, make_remote_actor, make_reply

GROUP_ID = "http://lyceum.test/g/physics"
FOLLOWERS = f"{GROUP_ID}/followers"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
MASTODON_INBOX = "https://mastodon.example/inbox"
LEMMY_INBOX = "https://lemmy.example/inbox"


@dataclass
class World:
    owner: Account
    group: Group
    alice: Actor  # on Mastodon
    bob: Actor  # on Lemmy


@pytest.fixture
async def world(settings: Settings, database: None) -> World:
    """A group with one follower on a Mastodon server and one on a Lemmy server."""
    register(events.bus, settings)
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    alice = await make_remote_actor("alice", "mastodon.example", software="mastodon")
    bob = await make_remote_actor("bob", "lemmy.example", software="lemmy")
    await groups.request_membership(group, alice, follow_ap_id="https://mastodon.example/f/1")
    await groups.request_membership(group, bob, follow_ap_id="https://lemmy.example/f/1")
    await Delivery.all().delete()  # the Accepts
    return World(owner, group, alice, bob)


async def sent() -> dict[str, tuple[str, dict[str, Any]]]:
    """Queued rows by inbox: (signer, payload)."""
    rows = await Delivery.all()
    assert len({row.inbox_url for row in rows}) == len(rows), "one row per inbox"
    return {row.inbox_url: (row.signer_id, json.loads(row.payload)) for row in rows}


async def test_post_created__announce_shape_per_server(world: World) -> None:
    # When a member starts a thread
    post = await make_post(world.owner, world.group, title="Entropy", body="Why?")
    note_id = f"http://lyceum.test/p/{post.id}"
    rows = await sent()
    # Then Mastodon gets the group's Announce of the Note's id, published now, stable id
    signer, boost = rows[MASTODON_INBOX]
    assert signer == world.group.actor_id
    assert boost["type"] == "Announce"
    assert boost["object"] == note_id
    assert boost["id"] == f"{GROUP_ID}/announces/{post.id}"
    assert (boost["to"], boost["cc"]) == ([PUBLIC], [FOLLOWERS])
    assert "published" in boost
    # And Lemmy gets the group's Announce of the author's Create, with the group as audience
    signer, announce = rows[LEMMY_INBOX]
    assert signer == world.group.actor_id
    assert announce["audience"] == GROUP_ID
    create = announce["object"]
    assert (create["type"], create["actor"]) == ("Create", "http://lyceum.test/u/ada")
    assert create["object"]["id"] == note_id
    assert create["object"]["name"] == "Entropy"
    assert create["object"]["audience"] == GROUP_ID
    assert set(rows) == {MASTODON_INBOX, LEMMY_INBOX}


async def test_post_created__reply_goes_to_threadiverse_only(world: World) -> None:
    # Given a thread
    post = await make_post(world.owner, world.group)
    await Delivery.all().delete()
    # When someone replies
    reply = await make_reply(world.owner, post, "Because.")
    # Then only the Lemmy server gets it, as an Announce{Create{Note}} replying to the post
    rows = await sent()
    assert set(rows) == {LEMMY_INBOX}
    note = rows[LEMMY_INBOX][1]["object"]["object"]
    assert note["id"] == f"http://lyceum.test/p/{reply.id}"
    assert note["inReplyTo"] == f"http://lyceum.test/p/{post.id}"


async def test_post_created__followers_sharing_an_inbox_get_one_copy(world: World) -> None:
    # Given a second follower on the Mastodon server (same shared inbox), one without a
    # shared inbox, and a server whose software is unknown
    carol = await make_remote_actor("carol", "mastodon.example", software="mastodon")
    dan = await make_remote_actor("dan", "solo.example", shared_inbox=False)
    for follower in (carol, dan):
        await groups.request_membership(world.group, follower, follow_ap_id=f"{follower.ap_id}/f")
    await Delivery.all().delete()
    # When a post is made
    await make_post(world.owner, world.group)
    # Then each inbox gets one row; the unknown server gets the microblog shape
    rows = await sent()
    assert set(rows) == {MASTODON_INBOX, LEMMY_INBOX, "https://solo.example/users/dan/inbox"}
    assert isinstance(rows["https://solo.example/users/dan/inbox"][1]["object"], str)


async def test_post_created__rolled_back_change_queues_nothing(world: World) -> None:
    queued_inside: list[int] = []

    async def failing_change() -> None:
        async with in_transaction():
            post = await Post.create(
                group=world.group, author_id=world.owner.actor_id, kind="discussion", title="X"
            )
            await events.bus.publish(events.PostCreated(post.id))
            queued_inside.append(await Delivery.all().count())
            raise RuntimeError("the change fails")

    # When the change that published PostCreated is rolled back
    with pytest.raises(RuntimeError):
        await failing_change()
    # Then the deliveries queued inside it are gone with the post
    assert queued_inside == [2]
    assert await Post.all().count() == 0
    assert await Delivery.all().count() == 0


async def test_post_created__remote_post_keeps_its_own_ids(world: World) -> None:
    # When a post that came from Lemmy is stored in the group (as the inbox does)
    async with in_transaction():
        post = await Post.create(
            group=world.group,
            author=world.bob,
            kind="discussion",
            title="From afar",
            content_html="<p>Hi</p>",
            ap_id="https://lemmy.example/post/7",
            remote_url="https://lemmy.example/post/7",
        )
        await events.bus.publish(events.PostCreated(post.id))
    # Then the group announces it by its own id, and the Create is the author's
    rows = await sent()
    assert rows[MASTODON_INBOX][1]["object"] == "https://lemmy.example/post/7"
    create = rows[LEMMY_INBOX][1]["object"]
    assert create["id"] == "https://lemmy.example/post/7#create"
    assert create["actor"] == "https://lemmy.example/users/bob"
    assert create["object"]["id"] == "https://lemmy.example/post/7"
    assert "replies" not in create["object"]


async def test_post_created__held_post_is_not_announced(world: World) -> None:
    # When a held post's creation is published
    async with in_transaction():
        post = await Post.create(
            group=world.group,
            author_id=world.owner.actor_id,
            kind="discussion",
            title="Wait",
            state=PostState.HELD,
        )
        await events.bus.publish(events.PostCreated(post.id))
    # Then nothing is queued
    assert await Delivery.all().count() == 0


async def test_post_edited__update_with_updated(world: World) -> None:
    # Given a thread
    post = await make_post(world.owner, world.group, title="Entropy", body="Why?")
    await Delivery.all().delete()
    # When its author edits it
    await posts.edit_post(world.owner, post, title="Entropy", source="Why, really?")
    rows = await sent()
    # Then Mastodon gets the author's own Update (it accepts only the owner's), with `updated`
    signer, update = rows[MASTODON_INBOX]
    assert signer == world.owner.actor_id
    assert (update["type"], update["actor"]) == ("Update", "http://lyceum.test/u/ada")
    assert "updated" in update["object"]
    assert "really" in update["object"]["content"]
    # without `name` (Takahē would show it as a content warning): the title leads `content`
    assert "name" not in update["object"]
    assert update["object"]["content"].startswith("<p><strong>Entropy</strong></p>")
    # And Lemmy gets the group's Announce of that Update, the title in `name`
    signer, announce = rows[LEMMY_INBOX]
    assert signer == world.group.actor_id
    assert announce["object"]["type"] == "Update"
    assert announce["object"]["id"] == update["id"]
    assert announce["object"]["object"]["name"] == "Entropy"


async def test_post_deleted__author_delete_and_announced_delete(world: World) -> None:
    # Given a thread
    post = await make_post(world.owner, world.group)
    await Delivery.all().delete()
    # When its author deletes it
    await posts.delete_post(world.owner, post)
    rows = await sent()
    note_id = f"http://lyceum.test/p/{post.id}"
    # Then Mastodon gets the author's Delete of the Note
    signer, delete = rows[MASTODON_INBOX]
    assert signer == world.owner.actor_id
    assert (delete["type"], delete["object"]["id"]) == ("Delete", note_id)
    # And Lemmy gets the group's Announce of it
    signer, announce = rows[LEMMY_INBOX]
    assert signer == world.group.actor_id
    assert (announce["object"]["type"], announce["object"]["object"]["id"]) == (
        "Delete",
        note_id,
    )


async def test_post_removed__undo_of_the_same_announce(world: World) -> None:
    # Given a member's thread and a moderator
    grace = await make_account("grace")
    await groups.request_membership(world.group, await Actor.get(id=grace.actor_id))
    post = await make_post(grace, world.group)
    original = (await sent())[MASTODON_INBOX][1]
    await Delivery.all().delete()
    # When a moderator removes it (as the moderation service does)
    async with in_transaction():
        await Post.filter(id=post.id).update(
            state=PostState.REMOVED, removed_at=utcnow(), removal_reason="Off topic"
        )
        await events.bus.publish(events.PostRemoved(post.id, world.owner.actor_id))
    rows = await sent()
    # Then Mastodon gets the group's Undo of the very Announce it received
    signer, undo = rows[MASTODON_INBOX]
    assert signer == world.group.actor_id
    assert undo["type"] == "Undo"
    assert undo["object"]["id"] == original["id"]
    assert undo["object"]["type"] == "Announce"
    # And Lemmy gets the group's Announce of the moderator's Delete, with the reason
    delete = rows[LEMMY_INBOX][1]["object"]
    assert (delete["type"], delete["actor"]) == ("Delete", "http://lyceum.test/u/ada")
    assert delete["summary"] == "Off topic"


async def test_post_deleted__by_moderator_is_a_removal(world: World) -> None:
    # Given a member's thread
    grace = await make_account("grace")
    await groups.request_membership(world.group, await Actor.get(id=grace.actor_id))
    post = await make_post(grace, world.group)
    await Delivery.all().delete()
    # When a moderator deletes it
    await posts.delete_post(world.owner, post)
    rows = await sent()
    # Then Mastodon gets the group's Undo (not a Delete it would refuse from a non-owner)
    assert rows[MASTODON_INBOX][1]["type"] == "Undo"
    assert rows[LEMMY_INBOX][1]["object"]["actor"] == "http://lyceum.test/u/ada"


async def test_post_reacted__like_to_author_and_announced(world: World) -> None:
    # Given a post by the Lemmy member
    post = await posts.create_post(world.bob, world.group, "discussion", "Hello", "Hi")
    await Post.filter(id=post.id).update(ap_id="https://lemmy.example/post/9")
    await Delivery.all().delete()
    # When a local member dislikes it
    await posts.like(world.owner, post, kind=ReactionKind.DISLIKE)
    rows = await Delivery.all()
    payloads = [(row.inbox_url, row.signer_id, json.loads(row.payload)) for row in rows]
    # Then the author's server gets the voter's Dislike, and the group announces it there too
    direct = [p for inbox, signer, p in payloads if signer == world.owner.actor_id]
    announced = [p for inbox, signer, p in payloads if signer == world.group.actor_id]
    assert [d["type"] for d in direct] == ["Dislike"]
    assert direct[0]["object"] == "https://lemmy.example/post/9"
    assert [a["object"]["id"] for a in announced] == [direct[0]["id"]]
    assert {row.inbox_url for row in rows} == {LEMMY_INBOX}
