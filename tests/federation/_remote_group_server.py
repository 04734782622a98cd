"""A fake server hosting a group (another Lyceum, a Lemmy), for the remote-group tests.

`GroupServer` is the inbox tests' `RemotePeer` that also answers WebFinger; `hosting_server`
puts it behind the app's runtime (`app.state.federation`), so that finding the group, fetching
its actor and the inbox's key look-ups all reach it. What we send it is read from the delivery
queue (`sent_to`), as the worker would POST it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.applications import Starlette

from server.models import Actor, Delivery, Group, Membership
from server.services import groups
from server.settings import Settings
from tests.federation._inbox_peer import PeerActor, RemotePeer, build_activity, inbox_runtime

JRD = "application/jrd+json"


class GroupServer(RemotePeer):
    def __init__(self, origin: str = "https://remote.example", software: str = "lyceum") -> None:
        super().__init__(origin, software)
        self.accounts: dict[str, str] = {}  # acct:name@host -> actor id
        self.groups: dict[str, PeerActor] = {}

    @property
    def domain(self) -> str:
        return urlsplit(self.origin).netloc

    def add_group(
        self, name: str, *, approval: bool = False, moderators_only: bool = False
    ) -> PeerActor:
        group = self.add_actor(
            name,
            kind="Group",
            summary="<p>A group elsewhere</p>",
            url=f"{self.origin}/c/{name}",
            manuallyApprovesFollowers=approval,
            postingRestrictedToMods=moderators_only,
        )
        self.accounts[f"acct:{name}@{self.domain}"] = group.id
        self.groups[name] = group
        return group

    def add_person(self, name: str, **extra: Any) -> PeerActor:
        person = self.add_actor(name, **extra)
        self.accounts[f"acct:{name}@{self.domain}"] = person.id
        return person

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/webfinger":
            self.requests.append(request)
            resource = request.url.params.get("resource", "")
            actor_id = self.accounts.get(resource)
            if actor_id is None:
                return httpx.Response(404)
            jrd = {
                "subject": resource,
                "links": [
                    {"rel": "self", "type": "application/activity+json", "href": actor_id},
                    {"rel": "http://webfinger.net/rel/profile-page", "href": actor_id},
                ],
            }
            return httpx.Response(200, json=jrd, headers={"Content-Type": JRD})
        return super().handler(request)


@asynccontextmanager
async def hosting_server(
    app: Starlette, settings: Settings, origin: str = "https://remote.example"
) -> AsyncIterator[GroupServer]:
    server = GroupServer(origin)
    await app.state.federation.client.aclose()
    server.runtime = await inbox_runtime(settings, server)
    app.state.federation = server.runtime
    try:
        yield server
    finally:
        await server.runtime.client.aclose()


def other_server(server: GroupServer, origin: str) -> GroupServer:
    """A third server whose documents the same transport serves (C beside A)."""
    other = GroupServer(origin)
    other.documents = server.documents  # one mock transport answers for both origins
    other.accounts = server.accounts
    return other


async def sent_to(inbox: str) -> list[dict[str, Any]]:
    rows = await Delivery.filter(inbox_url=inbox).order_by("created_at", "id")
    return [json.loads(row.payload) for row in rows]


async def find(app: Starlette, handle: str) -> Group:
    group: Group = await app.state.resolve_remote_group(handle)
    return group


async def follow_and_accept(
    app: Starlette, server: GroupServer, group_actor: PeerActor, person: Actor
) -> Membership:
    """The person here joins the remote group, and its server accepts (through our inbox)."""
    from tests.federation._inbox_peer import deliver

    group = await find(app, f"{group_actor.id.rsplit('/', 1)[1]}@{server.domain}")
    membership = await groups.request_membership(group, person)
    await membership.refresh_from_db()
    follow = {
        "id": membership.follow_ap_id,
        "type": "Follow",
        "actor": f"http://lyceum.test/u/{person.username}",
        "object": group_actor.id,
    }
    assert (
        await deliver(app, server, build_activity(group_actor, "Accept", follow), group_actor) == ""
    )
    await membership.refresh_from_db()
    return membership
