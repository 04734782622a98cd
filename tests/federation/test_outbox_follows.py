"""The outbox answers remote Follows: the group's Accept or Reject, the Follow embedded."""

from __future__ import annotations

import json
from typing import Any

import pytest

from federation.outbox import register
from server import events
from server.models import Actor, Delivery, JoinPolicy
from server.services import groups
from server.settings import Settings
from tests.helpers import make_account, make_group, make_remote_actor

GROUP_ID = "http://lyceum.test/g/physics"
FOLLOW_ID = "https://mastodon.example/follows/1"


@pytest.fixture(autouse=True)
async def outbox(settings: Settings, database: None) -> None:
    register(events.bus, settings)


async def sent() -> list[tuple[str, str, dict[str, Any]]]:
    rows = await Delivery.all().order_by("created_at", "id")
    return [(row.inbox_url, row.signer_id, json.loads(row.payload)) for row in rows]


async def test_follow_accepted__sends_accept_with_embedded_follow() -> None:
    # Given an open group and a Mastodon user
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    alice = await make_remote_actor("alice", "mastodon.example", software="mastodon")
    # When their Follow makes them a member
    await groups.request_membership(group, alice, follow_ap_id=FOLLOW_ID)
    # Then one Accept, signed by the group, goes to the follower's own inbox
    [(inbox, signer, accept)] = await sent()
    assert inbox == "https://mastodon.example/users/alice/inbox"
    assert signer == group.actor_id
    assert accept["type"] == "Accept"
    assert accept["actor"] == GROUP_ID
    assert accept["id"].startswith(f"{GROUP_ID}#accepts/")
    assert accept["object"] == {
        "id": FOLLOW_ID,
        "type": "Follow",
        "actor": "https://mastodon.example/users/alice",
        "object": GROUP_ID,
    }


async def test_follow_accepted__by_moderator_in_approval_group() -> None:
    # Given an approval group with a pending Follow (nothing sent yet)
    owner = await make_account("ada")
    group = await make_group(owner, "physics", join_policy=JoinPolicy.APPROVAL)
    alice = await make_remote_actor("alice", "mastodon.example")
    membership = await groups.request_membership(group, alice, follow_ap_id=FOLLOW_ID)
    assert await sent() == []
    # When a moderator accepts it
    await groups.decide_membership(membership, await Actor.get(id=owner.actor_id), accept=True)
    # Then the Accept goes out
    [(_, _, accept)] = await sent()
    assert (accept["type"], accept["object"]["id"]) == ("Accept", FOLLOW_ID)


async def test_follow_rejected__sends_reject() -> None:
    # Given an approval group with a pending Follow
    owner = await make_account("ada")
    group = await make_group(owner, "physics", join_policy=JoinPolicy.APPROVAL)
    alice = await make_remote_actor("alice", "mastodon.example")
    membership = await groups.request_membership(group, alice, follow_ap_id=FOLLOW_ID)
    # When a moderator rejects it
    await groups.decide_membership(membership, await Actor.get(id=owner.actor_id), accept=False)
    # Then a Reject with the Follow embedded goes to the follower
    [(inbox, signer, reject)] = await sent()
    assert (inbox, signer) == ("https://mastodon.example/users/alice/inbox", group.actor_id)
    assert reject["type"] == "Reject"
    assert reject["object"]["id"] == FOLLOW_ID
    assert reject["object"]["actor"] == "https://mastodon.example/users/alice"


async def test_follow_accepted__local_member_gets_nothing() -> None:
    # Given an open group
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    grace = await make_account("grace")
    # When a local person joins on the web
    await groups.request_membership(group, await Actor.get(id=grace.actor_id))
    # Then nothing is queued
    assert await Delivery.all().count() == 0
