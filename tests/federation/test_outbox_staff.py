"""A group's decisions about people going out (federation/outbox/staff.py): the banned person's
Reject, and Lemmy's Block / Undo{Block} / Add / Remove announced to threadiverse peers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from federation.outbox import register
from server import events
from server.models import Account, Actor, Delivery, Group, MemberRole
from server.services import bans, groups
from server.settings import Settings
from tests.helpers import make_account, make_group, make_remote_actor

GROUP_ID = "http://lyceum.test/g/physics"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
ALICE_FOLLOW = "https://mastodon.example/users/alice#follows/1"
LEMMY_FOLLOW = "https://lemmy.example/activities/follow/1"


@pytest.fixture(autouse=True)
async def outbox(settings: Settings, database: None, monkeypatch: pytest.MonkeyPatch) -> None:
    register(events.bus, settings)


async def sent() -> list[tuple[str, str, dict[str, Any]]]:
    rows = await Delivery.all().order_by("created_at", "id")
    return [(row.inbox_url, row.signer_id, json.loads(row.payload)) for row in rows]


async def physics() -> tuple[Group, Account, Actor, Actor]:
    """`physics`, owned by ada, followed by alice (Mastodon) and lemmy's rin; nothing queued."""
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    alice = await make_remote_actor("alice", "mastodon.example", software="mastodon")
    rin = await make_remote_actor("rin", "lemmy.example", software="lemmy")
    await groups.request_membership(group, alice, follow_ap_id=ALICE_FOLLOW)
    await groups.request_membership(group, rin, follow_ap_id=LEMMY_FOLLOW)
    await Delivery.all().delete()
    return group, owner, alice, rin


async def test_member_banned__mastodon_follower_gets_reject_lemmy_peers_the_block() -> None:
    # Given a group followed from Mastodon and from Lemmy
    group, owner, alice, _ = await physics()
    # When the owner bans the Mastodon follower
    await bans.ban(owner.actor, group, alice, "Spam")
    # Then the follower's own inbox gets the group's Reject of their Follow
    deliveries = await sent()
    [(inbox, signer, reject)] = [d for d in deliveries if d[2]["type"] == "Reject"]
    assert (inbox, signer) == ("https://mastodon.example/users/alice/inbox", group.actor_id)
    assert reject["actor"] == GROUP_ID
    assert reject["object"] == {
        "id": ALICE_FOLLOW,
        "type": "Follow",
        "actor": "https://mastodon.example/users/alice",
        "object": GROUP_ID,
    }
    # And the Lemmy server gets the group's Announce of the owner's Block (Lemmy's shape)
    [(inbox, signer, announce)] = [d for d in deliveries if d[2]["type"] == "Announce"]
    assert (inbox, signer) == ("https://lemmy.example/inbox", group.actor_id)
    block = announce["object"]
    assert block["type"] == "Block"
    assert block["actor"] == "http://lyceum.test/u/ada"
    assert block["object"] == "https://mastodon.example/users/alice"
    assert block["target"] == GROUP_ID
    assert block["summary"] == "Spam"
    assert (block["to"], block["cc"], block["audience"]) == ([PUBLIC], [GROUP_ID], GROUP_ID)
    assert block["id"].startswith("http://lyceum.test/u/ada#blocks/")
    # And nothing else: Mastodon has no notion of a group ban
    assert len(deliveries) == 2


async def test_member_banned__lemmy_follower_hears_the_block_on_its_own_server() -> None:
    # Given a group whose only Lemmy follower is the one banned
    group, owner, _, rin = await physics()
    # When they are banned
    await bans.ban(owner.actor, group, rin)
    # Then their Follow is rejected, and their server gets the Block itself, signed by the
    # moderator, since it no longer hears the group's Announces (as Lemmy sends it)
    deliveries = await sent()
    kinds = {(payload["type"], inbox, signer) for inbox, signer, payload in deliveries}
    assert kinds == {
        ("Reject", "https://lemmy.example/users/rin/inbox", group.actor_id),
        ("Block", "https://lemmy.example/inbox", owner.actor_id),
    }
    [block] = [payload for _, _, payload in deliveries if payload["type"] == "Block"]
    assert "summary" not in block  # no reason given
    assert block["object"] == "https://lemmy.example/users/rin"


async def test_member_banned__local_member_sends_only_the_block() -> None:
    group, owner, _, _ = await physics()
    bert = await make_account("bert")
    await groups.request_membership(group, bert.actor)
    await Delivery.all().delete()
    await bans.ban(owner.actor, group, bert.actor)
    [(inbox, _, announce)] = await sent()
    assert inbox == "https://lemmy.example/inbox"
    assert announce["object"]["object"] == "http://lyceum.test/u/bert"


async def test_member_unbanned__undo_block_to_lemmy_peers() -> None:
    group, owner, alice, _ = await physics()
    await bans.ban(owner.actor, group, alice)
    await Delivery.all().delete()
    await bans.unban(owner.actor, group, alice)
    [(inbox, signer, announce)] = await sent()
    assert (inbox, signer) == ("https://lemmy.example/inbox", group.actor_id)
    undo = announce["object"]
    assert (undo["type"], undo["actor"]) == ("Undo", "http://lyceum.test/u/ada")
    assert undo["object"]["type"] == "Block"
    assert undo["object"]["object"] == "https://mastodon.example/users/alice"
    assert undo["object"]["target"] == GROUP_ID


async def test_moderator_changed__add_and_remove_to_lemmy_update_to_all() -> None:
    # Given a local member of a group followed from Mastodon and Lemmy
    group, owner, _, _ = await physics()
    bert = await make_account("bert")
    await groups.request_membership(group, bert.actor)
    await Delivery.all().delete()
    # When the owner appoints them, then removes them
    await groups.set_role(group, owner.actor, bert.actor_id, MemberRole.MODERATOR)
    appointed = await sent()
    await Delivery.all().delete()
    await groups.set_role(group, owner.actor, bert.actor_id, MemberRole.MEMBER)
    removed = await sent()
    # Then Lemmy gets the group's Announce of Add, then of Remove, to the moderators collection
    for deliveries, kind in ((appointed, "Add"), (removed, "Remove")):
        [(inbox, signer, announce)] = [d for d in deliveries if d[2]["type"] == "Announce"]
        assert (inbox, signer) == ("https://lemmy.example/inbox", group.actor_id)
        change = announce["object"]
        assert (change["type"], change["actor"]) == (kind, "http://lyceum.test/u/ada")
        assert change["object"] == "http://lyceum.test/u/bert"
        assert change["target"] == f"{GROUP_ID}/moderators"
        # And every server still gets the group's Update
        updates = {inbox for inbox, _, payload in deliveries if payload["type"] == "Update"}
        assert updates == {"https://lemmy.example/inbox", "https://mastodon.example/inbox"}
