"""Reports sent to other servers: a `Flag` from the instance actor, in each receiver's shape
(federation/outbox/reports.py)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from federation.delivery import DeliveryWorker
from federation.httpsig import verify_request
from federation.outbox import register
from federation.runtime import FederationRuntime
from server import events
from server.models import (
    Account,
    Actor,
    ActorKind,
    AuditEntry,
    Delivery,
    Group,
    Membership,
    MembershipState,
    Post,
    PostKind,
    Report,
)
from server.services import reports
from server.services.errors import Conflict
from server.services.instance_actor import get_instance_actor
from server.settings import Settings
from tests.helpers import (
    join_as_member,
    make_account,
    make_group,
    make_remote_actor,
)

INSTANCE = "http://lyceum.test/actor"
MASTODON_INBOX = "https://mastodon.example/inbox"
LEMMY_INBOX = "https://lemmy.example/inbox"


@dataclass
class World:
    owner: Account
    reporter: Account
    group: Group


@pytest.fixture
async def world(settings: Settings, database: None) -> World:
    """A local group, a member here who reports, and the outbox listening."""
    register(events.bus, settings)
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    reporter = await make_account("cy")
    await join_as_member(group, reporter)
    return World(owner, reporter, group)


async def _remote_post(group: Group, author: Actor, ap_id: str) -> Post:
    await Membership.create(group=group, actor=author, state=MembershipState.ACCEPTED)
    return await Post.create(
        group=group,
        author=author,
        kind=PostKind.DISCUSSION,
        title="Cheap pills",
        content_html="<p>Buy now</p>",
        ap_id=ap_id,
    )


async def _flags() -> list[tuple[str, str, dict[str, Any]]]:
    """Queued Flags: (inbox, signer, activity)."""
    rows = [(row.inbox_url, row.signer_id, json.loads(row.payload)) for row in await Delivery.all()]
    return [row for row in rows if row[2]["type"] == "Flag"]


async def _instance_id() -> str:
    instance = await get_instance_actor()
    assert instance is not None, "the instance actor signs reports"
    return instance.id


async def test_forward__mastodon_peer_gets_mastodons_shape(world: World) -> None:
    # Given a report about a Mastodon user's post in a group here
    alice = await make_remote_actor("alice", "mastodon.example", software="mastodon")
    status = "https://mastodon.example/users/alice/statuses/1"
    post = await _remote_post(world.group, alice, status)
    report = await reports.file_report(
        world.reporter.actor, post=post, target_actor=None, comment="Spam"
    )
    assert await Delivery.all().count() == 0  # nothing leaves until a moderator forwards it
    # When the group's owner resolves it and forwards it
    await reports.resolve_report(world.owner.actor, report, "remove_post", "spam", forward=True)
    # Then one Flag goes to Alice's server, from the instance actor, naming her and her status
    [(inbox, signer, flag)] = await _flags()
    assert (inbox, signer) == (MASTODON_INBOX, await _instance_id())
    assert flag["actor"] == INSTANCE
    assert flag["object"] == [alice.ap_id, status]
    assert flag["content"] == "Spam"
    assert flag["id"].startswith(f"{INSTANCE}#flags/")
    # the reporter (@cy, /u/cy) stays anonymous; a whole word, as the flag's random id may hold "cy"
    assert not re.search(r"\bcy\b", json.dumps(flag))
    # And the report is marked forwarded, with an audit entry
    stored = await Report.get(id=report.id)
    assert stored.forwarded_at is not None
    assert await AuditEntry.filter(action="report.forward", target_id=report.id).exists()


async def test_forward__lemmy_peer_gets_one_object_and_a_summary(world: World) -> None:
    # Given a report about a Lemmy user's post in a group here
    bob = await make_remote_actor("bob", "lemmy.example", software="lemmy")
    post = await _remote_post(world.group, bob, "https://lemmy.example/post/7")
    report = await reports.file_report(
        world.reporter.actor, post=post, target_actor=None, comment="Off topic"
    )
    # When an admin forwards it without resolving it
    admin = await make_account("eve", admin=True)
    await reports.forward_report(admin.actor, await reports.get_report(report.id))
    # Then Lemmy's server gets its shape: the post, to the community, the comment in summary
    [(inbox, signer, flag)] = await _flags()
    assert (inbox, signer) == (LEMMY_INBOX, await _instance_id())
    assert flag["object"] == "https://lemmy.example/post/7"
    assert flag["to"] == ["http://lyceum.test/g/physics"]
    assert flag["summary"] == flag["content"] == "Off topic"
    # And it goes once only
    with pytest.raises(Conflict):
        await reports.forward_report(admin.actor, await reports.get_report(report.id))


async def test_forward__a_person_alone_to_lemmy_is_addressed_to_the_person(
    world: World,
) -> None:
    bob = await make_remote_actor("bob", "lemmy.example", software="lemmy")
    report = await reports.file_report(
        world.reporter.actor, post=None, target_actor=bob, comment="Harassment"
    )
    admin = await make_account("eve", admin=True)
    await reports.forward_report(admin.actor, await reports.get_report(report.id))
    [(_, _, flag)] = await _flags()
    assert (flag["object"], flag["to"]) == (bob.ap_id, [bob.ap_id])


async def test_file_report__post_in_a_group_elsewhere_goes_to_that_groups_server(
    world: World,
) -> None:
    # Given a group hosted on a Lemmy server that a member here follows, and a post in it
    group_actor = await Actor.create(
        kind=ActorKind.GROUP,
        username="rust",
        domain="lemmy.example",
        ap_id="https://lemmy.example/c/rust",
        inbox_url="https://lemmy.example/c/rust/inbox",
        shared_inbox_url=LEMMY_INBOX,
        software="lemmy",
    )
    remote_group = await Group.create(actor=group_actor)
    bob = await make_remote_actor("bob", "lemmy.example", software="lemmy")
    post = await Post.create(
        group=remote_group,
        author=bob,
        kind=PostKind.DISCUSSION,
        title="Spam",
        content_html="<p>Spam</p>",
        ap_id="https://lemmy.example/post/9",
    )
    # When a member here reports it
    report = await reports.file_report(
        world.reporter.actor, post=post, target_actor=None, comment="Spam bot"
    )
    # Then it is forwarded at once, as a Flag naming the post, to the group's server
    [(inbox, signer, flag)] = await _flags()
    assert (inbox, signer) == (LEMMY_INBOX, await _instance_id())
    assert (flag["type"], flag["actor"]) == ("Flag", INSTANCE)
    assert flag["object"] == "https://lemmy.example/post/9"
    assert flag["to"] == ["https://lemmy.example/c/rust"]
    assert flag["summary"] == "Spam bot"
    stored = await Report.get(id=report.id)
    assert stored.forwarded_at is not None
    assert stored.group_id == remote_group.id  # type: ignore[attr-defined]


async def test_forward__the_flag_is_signed_with_the_instance_actors_key(
    world: World, settings: Settings
) -> None:
    # Given a forwarded report, queued for a Mastodon server
    alice = await make_remote_actor("alice", "mastodon.example", software="mastodon")
    report = await reports.file_report(
        world.reporter.actor, post=None, target_actor=alice, comment="Spam"
    )
    admin = await make_account("eve", admin=True)
    await reports.forward_report(admin.actor, await reports.get_report(report.id))
    # When the delivery worker sends it
    sent: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(202)

    runtime = FederationRuntime(settings)
    await runtime.client.aclose()
    async with httpx.AsyncClient(transport=httpx.MockTransport(receive)) as client:
        assert await DeliveryWorker(client, runtime.signer_for).run_once() == 1
    # Then its signature is the instance actor's key, and it verifies
    [request] = sent
    assert f'keyId="{INSTANCE}#main-key"' in request.headers["signature"]
    instance = await Actor.get(id=await _instance_id())

    async def key_lookup(key_id: str, refresh: bool) -> str | None:
        return instance.public_key_pem if key_id == f"{INSTANCE}#main-key" else None

    check = await verify_request(
        "POST", str(request.url), request.headers.items(), request.content, key_lookup
    )
    assert check.ok, check.reason
