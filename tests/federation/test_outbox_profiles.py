"""Changed group and person documents go out as `Update`s to the members' servers."""

from __future__ import annotations

import json

from tortoise.transactions import in_transaction

from federation.outbox import register
from server import events
from server.models import Actor, Delivery, MemberRole
from server.services import groups
from server.settings import Settings
from tests.helpers import make_account, make_group, make_remote_actor


async def test_group_updated__update_of_the_group_to_every_server(
    settings: Settings, database: None
) -> None:
    # Given a group followed from Mastodon and Lemmy, and a local member
    register(events.bus, settings)
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    grace = await make_account("grace")
    await groups.request_membership(group, await Actor.get(id=grace.actor_id))
    for name, domain in (("alice", "mastodon.example"), ("bob", "lemmy.example")):
        follower = await make_remote_actor(name, domain)
        await groups.request_membership(group, follower, follow_ap_id=f"{follower.ap_id}/f")
    await Delivery.all().delete()
    # When the group changes (a new moderator)
    owner_actor = await Actor.get(id=owner.actor_id)
    await groups.set_role(group, owner_actor, grace.actor_id, MemberRole.MODERATOR)
    # Then each server gets the group's Update of its actor document (threadiverse servers
    # also get an announced Add to the moderators, `test_outbox_staff`)
    rows = [row for row in await Delivery.all() if json.loads(row.payload)["type"] == "Update"]
    assert {row.inbox_url for row in rows} == {
        "https://mastodon.example/inbox",
        "https://lemmy.example/inbox",
    }
    for row in rows:
        update = json.loads(row.payload)
        assert row.signer_id == group.actor_id
        assert update["object"]["type"] == "Group"
        assert update["object"]["id"] == "http://lyceum.test/g/physics"


async def test_actor_updated__person_update_to_their_groups_servers(
    settings: Settings, database: None
) -> None:
    # Given a person in a group followed from Mastodon
    register(events.bus, settings)
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    alice = await make_remote_actor("alice", "mastodon.example")
    await groups.request_membership(group, alice, follow_ap_id="https://mastodon.example/f/1")
    await Delivery.all().delete()
    # When their profile changes
    async with in_transaction():
        await events.bus.publish(events.ActorUpdated(owner.actor_id))
    # Then that server gets the person's own Update
    [row] = await Delivery.all()
    update = json.loads(row.payload)
    assert (row.inbox_url, row.signer_id) == ("https://mastodon.example/inbox", owner.actor_id)
    assert (update["type"], update["object"]["id"]) == ("Update", "http://lyceum.test/u/ada")
