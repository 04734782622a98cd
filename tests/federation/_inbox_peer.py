"""A fake remote server for inbox tests, and builders of the activities it sends.

`RemotePeer` serves its actors' documents (and any object added) through an
`httpx.MockTransport`; `inbox_runtime` builds a real `FederationRuntime` whose client talks to
it, so the inbox fetches keys exactly as in production, only without a network. Peers sign
their POSTs with `CavageAuth` and the fixed test keys of the HTTP signature specs.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from starlette.applications import Starlette

from federation.fetch import Fetcher
from federation.httpsig import CavageAuth
from federation.inbox import InboxProcessor
from federation.runtime import FederationRuntime
from server import events
from server.models import InboxActivity, Membership, Post, Reaction, Report
from server.settings import Settings
from tests.conftest import BASE_URL
from tests.federation._httpsig_vectors import (
    CAVAGE_PRIVATE,
    CAVAGE_PUBLIC,
    RSA_PRIVATE,
    RSA_PUBLIC,
)

AS2 = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
OTHER_PRIVATE, OTHER_PUBLIC = CAVAGE_PRIVATE, CAVAGE_PUBLIC


@dataclass(frozen=True)
class PeerActor:
    id: str
    key_id: str
    private_pem: str
    public_pem: str


class RemotePeer:
    """Actors and objects of a remote server, answered to GETs like a real one."""

    def __init__(self, origin: str = "https://remote.example", software: str = "") -> None:
        self.origin = origin
        self.software = software  # served as NodeInfo when set
        self.documents: dict[str, dict[str, Any]] = {}
        self.requests: list[httpx.Request] = []
        self.runtime: FederationRuntime  # set by `connected_peer`

    def add_actor(
        self,
        name: str,
        *,
        kind: str = "Person",
        private_pem: str = RSA_PRIVATE,
        public_pem: str = RSA_PUBLIC,
        **extra: Any,
    ) -> PeerActor:
        actor_id = f"{self.origin}/users/{name}"
        actor = PeerActor(actor_id, f"{actor_id}#main-key", private_pem, public_pem)
        self.documents[actor_id] = {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": actor_id,
            "type": kind,
            "preferredUsername": name,
            "name": name.title(),
            "inbox": f"{actor_id}/inbox",
            "outbox": f"{actor_id}/outbox",
            "followers": f"{actor_id}/followers",
            "endpoints": {"sharedInbox": f"{self.origin}/inbox"},
            "publicKey": {"id": actor.key_id, "owner": actor_id, "publicKeyPem": public_pem},
            **extra,
        }
        return actor

    def add_object(self, document: dict[str, Any]) -> None:
        self.documents[document["id"]] = document

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = str(request.url).split("#", 1)[0]
        if self.software and url.endswith("/.well-known/nodeinfo"):
            href = f"{self.origin}/nodeinfo/2.1"
            rel = "http://nodeinfo.diaspora.software/ns/schema/2.1"
            return httpx.Response(200, json={"links": [{"rel": rel, "href": href}]})
        if self.software and url.endswith("/nodeinfo/2.1"):
            return httpx.Response(200, json={"software": {"name": self.software}})
        document = self.documents.get(url)
        if document is None:
            return httpx.Response(404)
        return httpx.Response(200, json=document, headers={"Content-Type": AS2})


async def inbox_runtime(settings: Settings, peer: RemotePeer) -> FederationRuntime:
    """A real runtime whose one client reaches only the fake peer."""
    runtime = FederationRuntime(settings)
    await runtime.client.aclose()
    runtime.client = httpx.AsyncClient(transport=httpx.MockTransport(peer.handler))
    runtime.fetcher = Fetcher(runtime.client, allow_http=True)
    return runtime


_last_signed: dict[tuple[str, bytes], datetime] = {}


def _fresh_moment(path: str, body: bytes) -> datetime:
    """Now, or a second after the last signature of the same body to the same path: a real
    peer re-signs when it sends again, and the inbox refuses an identical signature."""
    now = datetime.now(UTC).replace(microsecond=0)
    last = _last_signed.get((path, body))
    moment = now if last is None or now > last else last + timedelta(seconds=1)
    _last_signed[(path, body)] = moment
    return moment


async def post_activity(
    app: Starlette,
    activity: dict[str, Any] | bytes,
    signer: PeerActor | None,
    *,
    path: str = "/inbox",
    content_type: str = AS2,
    clock: datetime | None = None,
    tamper: bytes | None = None,
) -> httpx.Response:
    """POST to the in-process app, signed by `signer` (None: unsigned).

    Each call signs afresh, at `clock` when given (the same `clock` twice is an exact replay).
    `tamper` replaces the body after signing (the digest then no longer matches). A `path`
    that is a full URL on another host is signed for that host.
    """
    body = activity if isinstance(activity, bytes) else json.dumps(activity).encode()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE_URL
    ) as client:
        request = client.build_request(
            "POST", path, content=body, headers={"Content-Type": content_type}
        )
        if signer is not None:
            moment = clock or _fresh_moment(path, body)
            auth = CavageAuth(
                signer.key_id, signer.private_pem, **({"clock": lambda: moment} if moment else {})
            )
            request = next(auth.sync_auth_flow(request))
        if tamper is not None:
            headers = {k: v for k, v in request.headers.items() if k != "content-length"}
            request = httpx.Request("POST", request.url, headers=headers, content=tamper)
        return await client.send(request)


async def asgi_post(
    app: Starlette,
    messages: list[dict[str, Any]],
    *,
    headers: dict[str, str] | None = None,
    client: tuple[str, int] | None = ("127.0.0.1", 50000),
) -> int:
    """POST to /inbox straight through ASGI, the body as the given `http.request` messages
    (then a disconnect); the status answered. For what an HTTP client will not send: a body
    cut off, a length it does not keep to, no client address. `headers` replace the default
    content type (and add to `Host`)."""
    sent = {"host": "lyceum.test", **(headers if headers is not None else {"content-type": AS2})}
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/inbox",
        "raw_path": b"/inbox",
        "query_string": b"",
        "root_path": "",
        "headers": [(k.encode(), v.encode()) for k, v in sent.items()],
        "client": client,
        "server": ("lyceum.test", 80),
    }
    pending = list(messages)
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)
    return statuses[0]


async def stored_counts() -> dict[str, int]:
    """How many rows the inbox could have written, to compare before and after."""
    return {
        "inbox": await InboxActivity.all().count(),
        "posts": await Post.all().count(),
        "memberships": await Membership.all().count(),
        "reactions": await Reaction.all().count(),
        "reports": await Report.all().count(),
    }


# --- activity builders ---------------------------------------------------------------------

_counter = iter(range(1, 1_000_000))


def _new_id(actor: PeerActor, kind: str) -> str:
    return f"{actor.id}/activities/{kind.lower()}/{next(_counter)}"


def group_url(name: str) -> str:
    return f"{BASE_URL}/g/{name}"


def build_follow_activity(actor: PeerActor, target: str, **extra: Any) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": _new_id(actor, "Follow"),
        "type": "Follow",
        "actor": actor.id,
        "object": target,
        **extra,
    }


def build_undo_activity(actor: PeerActor, inner: dict[str, Any] | str) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": _new_id(actor, "Undo"),
        "type": "Undo",
        "actor": actor.id,
        "object": inner,
    }


def build_note(
    actor: PeerActor,
    *,
    content: str = "<p>Hello group</p>",
    to: Any = PUBLIC,
    cc: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    note_id = f"{actor.id}/statuses/{next(_counter)}"
    note: dict[str, Any] = {
        "id": note_id,
        "type": "Note",
        "attributedTo": actor.id,
        "content": content,
        "to": to,
        "url": f"{note_id}/page",
        **extra,
    }
    if cc is not None:
        note["cc"] = cc
    return note


def build_activity(
    actor: PeerActor, kind: str, obj: dict[str, Any] | str | list[Any], **extra: Any
) -> dict[str, Any]:
    """Any activity wrapping `obj` (Create, Update, Delete, Like, Dislike, Announce, Flag…)."""
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": _new_id(actor, kind),
        "type": kind,
        "actor": actor.id,
        "object": obj,
        **extra,
    }
    if isinstance(obj, dict):
        for key in ("to", "cc"):
            if key in obj and key not in extra:
                activity[key] = obj[key]
    return activity


@asynccontextmanager
async def connected_peer(
    app: Starlette, settings: Settings, origin: str = "https://remote.example", software: str = ""
) -> AsyncIterator[RemotePeer]:
    """A peer reachable from the app (as `app.state.federation`), closed afterwards."""
    peer = RemotePeer(origin, software)
    await app.state.federation.client.aclose()  # the app's own runtime, replaced here
    peer.runtime = await inbox_runtime(settings, peer)
    app.state.federation = peer.runtime
    try:
        yield peer
    finally:
        await peer.runtime.client.aclose()


async def deliver(
    app: Starlette, peer: RemotePeer, activity: dict[str, Any], signer: PeerActor, **kwargs: Any
) -> str:
    """POST the activity (expecting 202), run the inbox worker once, return the recorded
    outcome: "" when handled, else the reason it was dropped."""
    response = await post_activity(app, activity, signer, **kwargs)
    assert response.status_code == 202, response.text
    await InboxProcessor(peer.runtime).run_once()
    row = await InboxActivity.get(ap_id=activity["id"])
    assert row.processed_at is not None
    return row.error


class EventLog:
    """Records the domain events published while a test runs."""

    def __init__(self, *kinds: type[events.Event]) -> None:
        self.seen: list[events.Event] = []
        for kind in kinds:
            events.bus.subscribe(kind, self._record)

    async def _record(self, event: events.Event) -> None:
        self.seen.append(event)


async def join(app: Starlette, peer: RemotePeer, actor: PeerActor, group_name: str) -> None:
    """Make the remote actor follow (join) a local open group, through the inbox."""
    follow = build_follow_activity(actor, group_url(group_name))
    assert await deliver(app, peer, follow, actor) == ""
