"""A deleted account: the person's `Delete` goes to every server that knows them, and their
actor URL answers 410 with a Tombstone (federation/outbox/deleted_actors.py, documents)."""

from __future__ import annotations

import json

import httpx

from federation.outbox import register
from server import events
from server.models import Actor, ActorKind, Delivery, Group, Membership, MembershipState
from server.services import groups, users
from server.settings import Settings
from tests.helpers import join_as_member, make_account, make_group, make_post, make_remote_actor

AS2 = {"Accept": "application/activity+json"}
BEN = "http://lyceum.test/u/ben"


async def _remote_group(domain: str) -> Group:
    actor = await Actor.create(
        kind=ActorKind.GROUP,
        username="main",
        domain=domain,
        ap_id=f"https://{domain}/c/main",
        inbox_url=f"https://{domain}/c/main/inbox",
        shared_inbox_url=f"https://{domain}/inbox",
    )
    return await Group.create(actor=actor)


async def test_delete_account__the_person_deletes_themself_everywhere_they_are_known(
    settings: Settings, database: None
) -> None:
    # Given Ben, in a group here followed from Mastodon (two people) and Lemmy, with a post,
    # and a member of a group on a third server
    register(events.bus, settings)
    admin = await make_account("olga", admin=True)
    group = await make_group(await make_account("ada"), "physics")
    ben = await make_account("ben")
    await join_as_member(group, ben)
    await make_post(ben, group, title="Kites")
    for name, domain in (
        ("alice", "mastodon.example"),
        ("carl", "mastodon.example"),
        ("bob", "lemmy.example"),
    ):
        follower = await make_remote_actor(name, domain)
        await groups.request_membership(group, follower, follow_ap_id=f"{follower.ap_id}/f")
    elsewhere = await _remote_group("groups.example")
    await Membership.create(group=elsewhere, actor_id=ben.actor_id, state=MembershipState.ACCEPTED)
    await Delivery.all().delete()
    # When an admin deletes Ben's account
    await users.delete_account(admin.actor, ben, "asked to leave")
    # Then one Delete of Ben, signed by Ben, goes to each server's inbox
    rows = [row for row in await Delivery.all() if json.loads(row.payload)["object"] == BEN]
    assert sorted(row.inbox_url for row in rows) == [
        "https://groups.example/inbox",
        "https://lemmy.example/inbox",
        "https://mastodon.example/inbox",
    ]
    for row in rows:
        delete = json.loads(row.payload)
        assert row.signer_id == ben.actor_id
        assert (delete["type"], delete["actor"], delete["id"]) == ("Delete", BEN, f"{BEN}#delete")
        assert delete["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    # And his post's deletion goes out as well
    assert any(json.loads(row.payload)["object"] != BEN for row in await Delivery.all())


async def test_delete_account__nobody_knew_them_then_nothing_is_sent(
    settings: Settings, database: None
) -> None:
    register(events.bus, settings)
    admin = await make_account("olga", admin=True)
    ben = await make_account("ben")
    await users.delete_account(admin.actor, ben, "spam")
    assert not await Delivery.exists()


async def test_deleted_person__actor_answers_410_and_webfinger_forgets_them(
    client: httpx.AsyncClient,
) -> None:
    # Given a deleted account
    admin = await make_account("olga", admin=True)
    ben = await make_account("ben")
    assert (await client.get("/u/ben", headers=AS2)).status_code == 200
    await users.delete_account(admin.actor, ben, "spam")
    # Then the actor URL answers 410 with a Tombstone
    gone = await client.get("/u/ben", headers=AS2)
    assert gone.status_code == 410
    tombstone = gone.json()
    assert (tombstone["id"], tombstone["type"], tombstone["formerType"]) == (
        BEN,
        "Tombstone",
        "Person",
    )
    assert "deleted" in tombstone
    # And WebFinger and the profile page no longer know them
    finger = await client.get("/.well-known/webfinger?resource=acct:ben@lyceum.test")
    assert finger.status_code == 404
    assert (await client.get("/u/ben")).status_code == 404


async def test_suspended_person__actor_answers_404_not_410(client: httpx.AsyncClient) -> None:
    # A suspension can be lifted, so the actor must not look gone for good
    admin = await make_account("olga", admin=True)
    ben = await make_account("ben")
    await users.suspend_actor(admin.actor, ben.actor, "spam")
    assert (await client.get("/u/ben", headers=AS2)).status_code == 404
    await users.unsuspend_actor(admin.actor, await Actor.get(id=ben.actor_id))
    assert (await client.get("/u/ben", headers=AS2)).status_code == 200
