"""End to end: a post's Announce leaves through the delivery worker, signed by the group."""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from federation.httpsig import verify_request
from federation.outbox import register
from federation.runtime import FederationRuntime
from server import events
from server.models import Actor, ActorKind, Delivery, DeliveryState
from server.services import groups
from server.settings import Settings
from tests.federation.loopback import serve
from tests.helpers import make_account, make_group, make_post


class Inbox:
    """A peer's shared and personal inboxes, recording what they are sent."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []

    async def receive(self, request: Request) -> Response:
        self.requests.append((request.url.path, dict(request.headers), await request.body()))
        return Response(status_code=202)

    def app(self) -> Starlette:
        routes = [
            Route(path, self.receive, methods=["POST"]) for path in ("/inbox", "/u/bob/inbox")
        ]
        return Starlette(routes=routes)


async def test_outbox__worker_sends_group_signed_activities(
    settings: Settings, database: None
) -> None:
    peer = Inbox()
    async with serve(peer.app()) as base:
        # Given a group followed from a Lemmy server on loopback
        settings = settings.model_copy(
            update={"federation_allow_http": True, "federation_allowed_networks": "127.0.0.0/8"}
        )
        register(events.bus, settings)
        owner = await make_account("ada")
        group = await make_group(owner, "physics")
        follower = await Actor.create(
            kind=ActorKind.PERSON,
            username="bob",
            domain=base.removeprefix("http://"),
            ap_id=f"{base}/u/bob",
            inbox_url=f"{base}/u/bob/inbox",
            shared_inbox_url=f"{base}/inbox",
            software="lemmy",
        )
        await groups.request_membership(group, follower, follow_ap_id=f"{base}/follows/1")
        post = await make_post(owner, group, title="Entropy")
        # When the delivery worker runs
        runtime = FederationRuntime(settings)
        try:
            assert await runtime.delivery.run_once() == 2
        finally:
            await runtime.aclose()
    # Then the peer got the Accept and the Announce{Create}, each signed with the group's key
    group_actor = await Actor.get(id=group.actor_id)

    async def key_lookup(key_id: str, refresh: bool) -> str | None:
        found = key_id == "http://lyceum.test/g/physics#main-key"
        return group_actor.public_key_pem if found else None

    received: dict[str, dict[str, Any]] = {}
    for path, headers, body in peer.requests:
        check = await verify_request("POST", f"{base}{path}", headers, body, key_lookup)
        assert check.ok, check.reason
        received[path] = json.loads(body)
    assert received["/u/bob/inbox"]["type"] == "Accept"
    announce = received["/inbox"]
    assert announce["type"] == "Announce"
    assert announce["object"]["object"]["id"] == f"http://lyceum.test/p/{post.id}"
    assert await Delivery.filter(state=DeliveryState.DONE).count() == 2
