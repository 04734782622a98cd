"""A moderator restores a removed post: the group shares it again (federation/outbox/restores.py),
and the Announce it sends anew can be fetched and is the one a later removal undoes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from federation.outbox import register
from server import events
from server.models import Account, Actor, AuditEntry, Delivery, Group
from server.services import groups, moderation
from server.settings import Settings
from tests.helpers import (
    make_account,
    make_group,
    make_post,
    make_remote_actor,
    make_reply,
)

GROUP_ID = "http://lyceum.test/g/physics"
MASTODON_INBOX = "https://mastodon.example/inbox"
LEMMY_INBOX = "https://lemmy.example/inbox"
AS2 = {"Accept": "application/activity+json"}


@dataclass
class World:
    owner: Account
    member: Account
    group: Group


@pytest.fixture
async def world(settings: Settings, database: None, monkeypatch: pytest.MonkeyPatch) -> World:
    """A group with a member, one follower on a Mastodon server and one on a Lemmy server."""
    register(events.bus, settings)
    owner = await make_account("ada")
    member = await make_account("grace")
    group = await make_group(owner, "physics")
    await groups.request_membership(group, await Actor.get(id=member.actor_id))
    alice = await make_remote_actor("alice", "mastodon.example", software="mastodon")
    bob = await make_remote_actor("bob", "lemmy.example", software="lemmy")
    await groups.request_membership(group, alice, follow_ap_id="https://mastodon.example/f/1")
    await groups.request_membership(group, bob, follow_ap_id="https://lemmy.example/f/1")
    await Delivery.all().delete()  # the Accepts
    return World(owner, member, group)


async def sent() -> dict[str, dict[str, Any]]:
    """Queued payloads by inbox (one row per inbox)."""
    rows = await Delivery.all()
    assert len({row.inbox_url for row in rows}) == len(rows), "one row per inbox"
    return {row.inbox_url: json.loads(row.payload) for row in rows}


async def test_send_post_restored__announced_undo_delete_and_a_fresh_boost(world: World) -> None:
    # Given a member's thread a moderator removed
    post = await make_post(world.member, world.group, title="Entropy")
    first_boost = (await sent())[MASTODON_INBOX]
    await moderation.remove_post(world.owner.actor, post, "by mistake")
    await Delivery.all().delete()
    # When the moderator restores it
    await moderation.restore_post(world.owner.actor, post)
    rows = await sent()
    note_id = f"http://lyceum.test/p/{post.id}"
    # Then Lemmy gets the group's Announce of the moderator's Undo of a Delete of the post
    announce = rows[LEMMY_INBOX]
    assert (announce["type"], announce["actor"]) == ("Announce", GROUP_ID)
    undo = announce["object"]
    assert (undo["type"], undo["actor"]) == ("Undo", "http://lyceum.test/u/ada")
    removal = undo["object"]
    assert (removal["type"], removal["actor"]) == ("Delete", "http://lyceum.test/u/ada")
    assert removal["object"]["id"] == note_id
    # And Mastodon gets a new Announce of the Note, under a new id naming the restoration
    boost = rows[MASTODON_INBOX]
    entry = await AuditEntry.get(action="post.restore", target_id=post.id)
    assert (boost["type"], boost["object"]) == ("Announce", note_id)
    assert boost["id"] == f"{GROUP_ID}/announces/{post.id}?restored={entry.id}"
    assert boost["id"] != first_boost["id"]


async def test_send_post_removed__after_a_restore_undoes_the_fresh_announce(world: World) -> None:
    post = await make_post(world.member, world.group)
    await moderation.remove_post(world.owner.actor, post)
    await Delivery.all().delete()
    await moderation.restore_post(world.owner.actor, post)
    fresh = (await sent())[MASTODON_INBOX]
    await Delivery.all().delete()
    # When it is removed again
    await moderation.remove_post(world.owner.actor, post)
    # Then Mastodon gets the Undo of the Announce it got last
    undo = (await sent())[MASTODON_INBOX]
    assert undo["type"] == "Undo" and undo["object"]["id"] == fresh["id"]


async def test_send_post_restored__a_reply_goes_to_threadiverse_only(world: World) -> None:
    thread = await make_post(world.owner, world.group)
    reply = await make_reply(world.member, thread)
    await moderation.remove_post(world.owner.actor, reply)
    await Delivery.all().delete()
    await moderation.restore_post(world.owner.actor, reply)
    rows = await sent()
    assert set(rows) == {LEMMY_INBOX}
    assert rows[LEMMY_INBOX]["object"]["object"]["object"]["id"] == (
        f"http://lyceum.test/p/{reply.id}"
    )


async def test_send_post_restored__a_rejected_post_is_sent_as_new(
    world: World,
) -> None:
    # Given a held first post a moderator rejected (never announced)
    await type(world.group).filter(id=world.group.id).update(hold_first_posts=True)
    group = await Group.get(id=world.group.id)
    post = await make_post(world.member, group)
    await moderation.reject_held_post(world.owner.actor, post)
    assert await Delivery.all().count() == 0
    # When a moderator restores it, Then it goes out as a new post (no Undo of anything)
    await moderation.restore_post(world.owner.actor, post)
    rows = await sent()
    assert rows[LEMMY_INBOX]["object"]["type"] == "Create"
    assert rows[MASTODON_INBOX]["type"] == "Announce"


async def test_announce_document__the_restored_announce_is_fetchable(
    world: World, client: httpx.AsyncClient
) -> None:
    post = await make_post(world.member, world.group)
    await moderation.remove_post(world.owner.actor, post)
    await Delivery.all().delete()
    await moderation.restore_post(world.owner.actor, post)
    boost_id = (await sent())[MASTODON_INBOX]["id"]
    path = boost_id.removeprefix("http://lyceum.test")
    # The fresh id answers with itself
    answer = await client.get(path, headers=AS2)
    assert answer.status_code == 200 and answer.json()["id"] == boost_id
    # An id no restoration made is not served
    stable = f"/g/physics/announces/{post.id}"
    for bogus in ("?restored=01jn0000000000000000000000", "?restored="):
        assert (await client.get(stable + bogus, headers=AS2)).status_code == 404
    # and a control character in the address is refused before any lookup
    assert (await client.get(stable + "?restored=%00x", headers=AS2)).status_code == 400
    assert (await client.get(stable, headers=AS2)).json()["id"] == f"http://lyceum.test{stable}"
