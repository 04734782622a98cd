"""A members-only group's activities go to its followers, never to the public.

Every activity the group (or a local author) sends about its posts, in either shape, and every
document served about them, carries no `as:Public` at any level and names the group's followers
collection in `to`. The recipients are the accepted members when the activity is queued: a
member who was banned or left gets nothing more.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from federation.outbox import register
from federation.render.privacy import followers_only
from server import events
from server.models import Account, Actor, Delivery, Group, GroupVisibility, Membership, Post
from server.services import bans, groups, moderation, posts
from server.settings import Settings
from tests.helpers import make_account, make_group, make_post, make_remote_actor, make_reply

GROUP_ID = "http://lyceum.test/g/physics"
FOLLOWERS = f"{GROUP_ID}/followers"
PUBLIC_FORMS = {"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"}
MASTODON_INBOX = "https://mastodon.example/inbox"
LEMMY_INBOX = "https://lemmy.example/inbox"


def public_addresses(document: Any) -> list[str]:
    """Every public address anywhere in the document (to, cc, bto, bcc at any depth)."""
    found: list[str] = []
    if isinstance(document, dict):
        for key, value in document.items():
            if key in ("to", "cc", "bto", "bcc"):
                values = value if isinstance(value, list) else [value]
                found += [v for v in values if v in PUBLIC_FORMS]
            else:
                found += public_addresses(value)
    elif isinstance(document, list):
        for item in document:
            found += public_addresses(item)
    return found


async def payloads() -> list[tuple[str, dict[str, Any]]]:
    return [(row.inbox_url, json.loads(row.payload)) for row in await Delivery.all()]


@pytest.fixture
async def world(settings: Settings, database: None) -> tuple[Account, Group, Actor, Actor]:
    """A members-only group with a follower on Mastodon and one on Lemmy."""
    register(events.bus, settings)
    owner = await make_account("ada")
    group = await make_group(owner, "physics", visibility=GroupVisibility.MEMBERS)
    await group.fetch_related("actor")
    alice = await make_remote_actor("alice", "mastodon.example", software="mastodon")
    bob = await make_remote_actor("bob", "lemmy.example", software="lemmy")
    await groups.request_membership(group, alice, follow_ap_id="https://mastodon.example/f/1")
    await groups.request_membership(group, bob, follow_ap_id="https://lemmy.example/f/1")
    await Delivery.all().delete()  # the Accepts
    return owner, group, alice, bob


def test_followers_only__strips_public_everywhere_and_adds_followers() -> None:
    # Given an Announce of a Create of a Note, each addressed publicly in another spelling
    note = {"type": "Note", "to": "as:Public", "cc": ["x"], "replies": {"id": "r"}}
    create = {"type": "Create", "to": ["Public"], "cc": [FOLLOWERS], "object": note}
    announce = {
        "type": "Announce",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": create,
    }
    # When it is made followers-only
    private = followers_only(announce, FOLLOWERS)
    # Then no level is public, each addressed level is to the followers, once
    assert public_addresses(private) == []
    assert private["to"] == [FOLLOWERS]
    assert private["object"]["to"] == [FOLLOWERS]
    assert private["object"]["cc"] == []
    assert private["object"]["object"]["to"] == [FOLLOWERS]
    assert private["object"]["object"]["cc"] == ["x"]
    assert "to" not in private["object"]["object"]["replies"]


async def test_private_group__every_post_activity_is_followers_only(
    world: tuple[Account, Group, Actor, Actor],
) -> None:
    owner, group, _, _ = world
    # When a thread is posted, replied to, edited, liked, pinned, removed and restored
    post = await make_post(owner, group, title="Entropy", body="Why?")
    reply = await make_reply(owner, post, "Because.")
    await posts.edit_post(owner, post, title="Entropy", source="Why, really?")
    member = await make_account("member")
    await groups.request_membership(group, member.actor)
    await posts.like(member, await Post.get(id=post.id))
    await posts.pin_post(owner, await Post.get(id=post.id))
    await moderation.remove_post(owner.actor, await Post.get(id=reply.id), "off topic")
    await moderation.restore_post(owner.actor, await Post.get(id=reply.id))
    await posts.delete_post(owner, await Post.get(id=post.id))
    # Then both servers got activities, and none of them is public at any level
    sent = await payloads()
    assert {inbox for inbox, _ in sent} == {MASTODON_INBOX, LEMMY_INBOX}
    assert len(sent) >= 8
    for inbox, activity in sent:
        assert public_addresses(activity) == [], (inbox, activity["type"])
        assert FOLLOWERS in activity["to"], (inbox, activity["type"])


async def test_public_group__activities_stay_public(settings: Settings, database: None) -> None:
    # Given the same group left public (the rewrite applies to members-only groups alone)
    register(events.bus, settings)
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    alice = await make_remote_actor("alice", "mastodon.example", software="mastodon")
    await groups.request_membership(group, alice, follow_ap_id="https://mastodon.example/f/1")
    await Delivery.all().delete()
    await make_post(owner, group, title="Entropy", body="Why?")
    [(_, boost)] = await payloads()
    assert public_addresses(boost) != []


async def test_private_group__banned_member_gets_nothing_more(
    world: tuple[Account, Group, Actor, Actor],
) -> None:
    owner, group, alice, _ = world
    # Given alice (Mastodon) is banned
    await bans.ban(owner.actor, group, alice, "spam")
    assert not await Membership.filter(group=group, actor=alice, state="accepted").exists()
    await Delivery.all().delete()
    # When a thread is posted
    await make_post(owner, group, title="After the ban", body="Hello")
    # Then only the Lemmy member's server gets it
    assert {inbox for inbox, _ in await payloads()} == {LEMMY_INBOX}


async def test_private_group__member_who_left_gets_nothing_more(
    world: tuple[Account, Group, Actor, Actor],
) -> None:
    _, group, _, bob = world
    owner = world[0]
    # Given bob (Lemmy) leaves (his server's Undo{Follow})
    await groups.leave_group(group, bob.id)
    await Delivery.all().delete()
    # When a thread is posted
    await make_post(owner, group, title="After leaving", body="Hello")
    # Then only the Mastodon member's server gets it
    assert {inbox for inbox, _ in await payloads()} == {MASTODON_INBOX}


async def test_private_group__what_still_waits_for_a_banned_members_server_is_withdrawn(
    world: tuple[Account, Group, Actor, Actor],
) -> None:
    owner, group, alice, _ = world
    # Given threads queued for both servers, not sent yet (say Mastodon's server is down)
    await make_post(owner, group, title="Before the ban", body="Hello")
    assert {inbox for inbox, _ in await payloads()} == {MASTODON_INBOX, LEMMY_INBOX}
    # When alice, the only member on mastodon.example, is banned
    await bans.ban(owner.actor, group, alice, "spam")
    # Then nothing about the group's posts waits for her server any more; the Reject does
    left = [(inbox, activity["type"]) for inbox, activity in await payloads()]
    assert (MASTODON_INBOX, "Announce") not in left
    assert ("https://mastodon.example/users/alice/inbox", "Reject") in left
    assert (LEMMY_INBOX, "Announce") in left


async def test_private_group__a_public_groups_queue_is_left_alone(
    settings: Settings, database: None
) -> None:
    register(events.bus, settings)
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    alice = await make_remote_actor("alice", "mastodon.example", software="mastodon")
    await groups.request_membership(group, alice, follow_ap_id="https://mastodon.example/f/1")
    await make_post(owner, group, title="Public", body="Hello")
    await groups.leave_group(group, alice.id)
    assert "Announce" in [activity["type"] for _, activity in await payloads()]
