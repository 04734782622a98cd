"""The inbox endpoints: check, store, answer 202 (STYLE 3). The worker does the rest.

    POST /inbox            the shared inbox
    POST /g/<name>/inbox   a group's inbox      POST /u/<name>/inbox   a person's inbox

In order, each failure answering with a short reason and storing nothing:
1. 404 for a group or person that is not here;
2. 413 for a body over 1 MB (declared `Content-Length`, then counted while reading);
3. 415 unless the body is `application/activity+json` or `application/ld+json`;
4. 400 for anything but a JSON object with string `id`, `type` and `actor` (id or object);
5. 403 when the actor's domain is suspended;
6. 401 when the signature fails (`verify_request`: target rebuilt from `settings.base_url`,
   never the Host header; date window `settings.signature_window_seconds`), when the key's
   owner is not the activity's actor, or when the activity id is not on the actor's server
   (Announce excepted: a group announces others' activities). Peers such as Fedify retry with
   the other signature scheme only after a 4xx, so a failure is never answered 202.
Then the domain is marked alive for delivery, and the activity stored once: a duplicate id is
acknowledged (202) and ignored — except a `Follow` whose earlier follow no longer stands
(undone, refused): Takahē re-sends the same Follow id when following again, so that one is
stored again for the worker.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from tortoise.exceptions import IntegrityError

from federation import queries
from federation.delivery.worker import mark_domain_alive
from federation.fetch import origin
from federation.httpsig import verify_request
from federation.inbox.actors import RemoteActors
from federation.inbox.context import block_of
from federation.inbox.parse_actor import domain_of
from federation.inbox.processor import InboxProcessor
from federation.ld import get_id
from federation.responses import error_response
from server.models import DomainBlockSeverity, InboxActivity, Membership, MembershipState
from server.settings import Settings

__all__ = ["MAX_BODY_BYTES", "Inbox", "inbox_routes"]

log = logging.getLogger("lyceum.inbox")

MAX_BODY_BYTES = 1024 * 1024
MEDIA_TYPES = frozenset({"application/activity+json", "application/ld+json"})


class _Refusal(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Inbox:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def post(self, request: Request) -> Response:
        try:
            await self._check_target(request)
            body = await self._read_body(request)
            envelope = _envelope(body)
            row = await self._verify_and_store(request, body, envelope)
        except _Refusal as refusal:
            if refusal.status == 401:
                log.info("inbox refused %s: %s", request.url.path, refusal.reason)
            return error_response(refusal.status, refusal.reason)
        if row is not None and getattr(request.app.state, "inbox_process_now", False):
            await InboxProcessor(request.app.state.federation).process(row)
        return Response(status_code=202)

    async def _check_target(self, request: Request) -> None:
        name = request.path_params.get("name")
        if name is None:
            return
        if request.url.path.startswith("/g/"):
            found = await queries.active_group(name) is not None
        else:
            found = await queries.active_person(name) is not None
        if not found:
            raise _Refusal(404, "There is no such inbox here.")

    async def _read_body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise _Refusal(413, f"The body is larger than {MAX_BODY_BYTES} bytes.")
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type not in MEDIA_TYPES:
            raise _Refusal(415, "Send application/activity+json or application/ld+json.")
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise _Refusal(413, f"The body is larger than {MAX_BODY_BYTES} bytes.")
                chunks.append(chunk)
        except ClientDisconnect:
            raise _Refusal(400, "The body was cut off.") from None
        return b"".join(chunks)

    async def _verify_and_store(
        self, request: Request, body: bytes, envelope: dict[str, Any]
    ) -> InboxActivity | None:
        actor_id: str = envelope["actor"]
        domain = domain_of(actor_id)
        if await block_of(domain) == DomainBlockSeverity.SUSPEND:
            raise _Refusal(403, f"The domain {domain} is blocked here.")
        runtime = getattr(request.app.state, "federation", None)
        if runtime is None:
            raise _Refusal(503, "Federation is not running on this instance.")
        actors = RemoteActors(
            runtime.fetcher, runtime.signer_for, local_base_url=self.settings.base_url
        )
        check = await verify_request(
            request.method,
            self.settings.url(_target(request)),
            request.headers.items(),
            body,
            actors.key_lookup,
            window_seconds=self.settings.signature_window_seconds,
        )
        if not check.ok:
            detail = f" ({actors.problem})" if actors.problem and "key" in check.reason else ""
            raise _Refusal(401, f"Signature refused: {check.reason}{detail}")
        owner = actors.owners.get(check.key_id or "")
        if owner != actor_id:
            raise _Refusal(401, f"The key {check.key_id} belongs to {owner}, not to {actor_id}.")
        if envelope["type"] != "Announce" and origin(envelope["id"]) != origin(actor_id):
            raise _Refusal(401, "The activity id is not on the actor's server.")
        await mark_domain_alive(domain)
        return await _store(envelope, body)


def _target(request: Request) -> str:
    """The path and query as sent (what `(request-target)` signed), not a decoded copy."""
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else request.url.path
    return f"{path}?{request.url.query}" if request.url.query else path


def _is_http_url(value: str) -> bool:
    if len(value) > 2048 or any(ord(ch) < 33 for ch in value):
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and bool(domain_of(value))
    except ValueError:
        return False


def _envelope(body: bytes) -> dict[str, Any]:
    """The parts of the activity the inbox itself needs, checked; 400 with a reason if absent."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise _Refusal(400, "The body is not UTF-8 JSON.") from None
    if not isinstance(data, dict):
        raise _Refusal(400, "The body is not a JSON object.")
    for key in ("id", "type"):
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise _Refusal(400, f"The activity needs a string {key}.")
    actor = get_id(data.get("actor"))
    if actor is None:
        raise _Refusal(400, "The activity needs an actor id.")
    if not _is_http_url(data["id"]):
        raise _Refusal(400, "The activity id must be an http(s) URL of at most 2048 characters.")
    if not _is_http_url(actor):
        raise _Refusal(400, "The actor id must be an http(s) URL of at most 2048 characters.")
    kind = data["type"]
    if len(kind) > 64 or not kind.isprintable():
        raise _Refusal(400, "The activity type is not a plain name.")
    return {"id": data["id"], "type": kind, "actor": actor}


async def _store(envelope: dict[str, Any], body: bytes) -> InboxActivity | None:
    """Store the activity once; None for a duplicate (acknowledged and ignored)."""
    existing = await InboxActivity.get_or_none(ap_id=envelope["id"])
    if existing is not None:
        if envelope["type"] != "Follow" or not await _follow_undone(existing):
            return None
        # A Follow seen before whose follow no longer stands: handle it again.
        await InboxActivity.filter(id=existing.id).update(
            payload=body.decode(), processed_at=None, lease_until=None, attempts=0, error=""
        )
        return await InboxActivity.get(id=existing.id)
    try:
        return await InboxActivity.create(
            ap_id=envelope["id"],
            actor_ap_id=envelope["actor"],
            activity_type=envelope["type"],
            payload=body.decode(),
        )
    except IntegrityError:
        return None  # the same activity arrived twice at once; the other copy is stored


async def _follow_undone(row: InboxActivity) -> bool:
    if row.processed_at is None:
        return False  # still waiting for the worker
    standing = await Membership.filter(
        follow_ap_id=row.ap_id, state__in=[MembershipState.PENDING, MembershipState.ACCEPTED]
    ).exists()
    return not standing


def inbox_routes(settings: Settings) -> list[BaseRoute]:
    inbox = Inbox(settings)
    return [
        Route("/inbox", inbox.post, methods=["POST"]),
        Route("/g/{name}/inbox", inbox.post, methods=["POST"]),
        Route("/u/{name}/inbox", inbox.post, methods=["POST"]),
    ]
