"""The inbox endpoints: check, store, answer 202 (STYLE 3). The worker does the rest.

    POST /inbox            the shared inbox
    POST /g/<name>/inbox   a group's inbox      POST /u/<name>/inbox   a person's inbox

In order, each failure answering with a short reason, logged at INFO against the sender's host
(`refusals.log_refusal`, rate-limited per host), and storing nothing:
1. 404 for a group or person that is not here;
2. 413 for a body over 1 MB (declared `Content-Length`, then counted while reading);
3. 415 unless the body is `application/activity+json` or `application/ld+json`;
4. 400 for anything `envelope.read_envelope` cannot store faithfully: not a JSON object with
   string `id`, `type` and `actor`, a NUL or lone surrogate anywhere, an id the worker would
   store that is not an http(s) URL of at most 2,048 characters;
5. 403 when the actor's domain is suspended;
6. 401 when the `Host` header is not this server's (`settings.base_url`'s host and port, the
   default port optional); when the signature fails (`verify_request`: target rebuilt from
   `settings.base_url`, never the Host header; date window `settings.signature_window_seconds`);
   when the key's owner is not the activity's actor; when the activity id is not on the
   actor's server (an Announce included: its id is the announcer's, whatever it announces).
   Peers such as Fedify retry with the other signature scheme only after a 4xx, so a failure
   is never answered 202;
7. 429 with `Retry-After` when the verified actor, or its domain, sent more than
   `settings.inbox_actor_rate_limit` / `inbox_domain_rate_limit` allow. Counted only after
   verification, so forged requests cannot use up a real actor's budget; the actor's own limit
   first, so that one noisy actor is stopped before it uses up its domain's;
8. 401 when the very same signature was accepted before (`replay.SeenSignatures`, checked as
   the row is stored).
Then the domain is marked alive for delivery, and the activity stored once per (signer's
origin, id): a duplicate is acknowledged (202) and ignored, except a state-changing one
(`STATE_CHANGING`: Follow, Undo, Accept, Reject, Block, Delete, Update) whose earlier copy was
processed. That one is stored again with the new body, and the worker applies it to the state
as it is now: Takahē re-sends the same Follow id to follow again (with or without an Undo) and
re-uses Undo ids, and a Follow from a standing member is answered with a fresh Accept.

Speed (`bench/inbox.py`): a busy inbox hears from the same few hundred actors over and over, so
each `Inbox` remembers for a minute the keys it has verified with (key id -> PEM and owner) and
the domains it has marked alive; a key that stops verifying is refetched at once
(`verify_request` asks again with `refresh`). Domain blocks are remembered for 10 s: the worker
checks the block again before handling anything, so a block made meanwhile still applies. New
activities are written by `group_commit.GroupCommit`: requests waiting at the same moment share
one transaction (on PostgreSQL one statement), which remembers their signatures and stores their
rows in one multi-row INSERT (a 202 still means stored), and wakes the workers; the duplicate
checks run only for rows whose unique id was taken. Inbox POSTs take their own lane through the
app (`lane.InboxLane`), past the session and page layers they never need.
"""

from __future__ import annotations

import functools
import re
from typing import Final
from urllib.parse import urlsplit

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from tortoise.expressions import Q

from federation import queries
from federation.delivery.wake import notify_inbox
from federation.delivery.worker import mark_domain_alive
from federation.fetch import origin, origin_key
from federation.httpsig import verify_request
from federation.inbox.actors import RemoteActors
from federation.inbox.context import block_of
from federation.inbox.envelope import Unstorable, plain_origin, read_envelope
from federation.inbox.group_commit import REPLAYED, STORED, GroupCommit, NewActivity
from federation.inbox.parse_actor import domain_of
from federation.inbox.processor import InboxProcessor
from federation.inbox.refusals import log_refusal
from federation.inbox.replay import SeenSignatures, signature_key
from federation.request_url import request_url
from federation.responses import error_response
from server import (
    events,
    url_convertors,  # noqa: F401  (registers {x:id}, {x:name})
)
from server.expiring_memo import ExpiringMemo
from server.models import DomainBlockSeverity, InboxActivity, inbox_dedup_key
from server.process_memos import ProcessMemos
from server.ratelimit import hot_path_limits
from server.services.errors import RateLimited
from server.settings import Settings

__all__ = ["MAX_BODY_BYTES", "STATE_CHANGING", "Inbox", "inbox_routes", "register"]

MAX_BODY_BYTES = 1024 * 1024
MEDIA_TYPES = frozenset({"application/activity+json", "application/ld+json"})
MEMO_SECONDS = 60.0  # how long a verified key, or a domain marked alive, is remembered
MEMO_SIZE = 4096
# A block made or lifted in another process applies at the door at most this late (in this
# process at once: `DomainBlockChanged`); the worker checks blocks itself before handling.
BLOCK_MEMO_SECONDS = 10.0
# Applied by the state they describe: a duplicate id of these is handled again once processed.
STATE_CHANGING = frozenset({"Follow", "Undo", "Accept", "Reject", "Block", "Delete", "Update"})
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_KEY_ID = re.compile(r'keyId="([^"]*)"|keyid="([^"]*)"')


class _Refusal(Exception):
    def __init__(self, status: int, reason: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = headers or {}


class Inbox:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # key id -> (PEM, owner's actor id)
        self._keys: ExpiringMemo[str, tuple[str, str]] = ExpiringMemo(MEMO_SECONDS, MEMO_SIZE)
        self._alive: ExpiringMemo[str, bool] = ExpiringMemo(MEMO_SECONDS, MEMO_SIZE)  # domains
        self._blocks: ExpiringMemo[str, tuple[DomainBlockSeverity | None]] = ExpiringMemo(
            BLOCK_MEMO_SECONDS, MEMO_SIZE
        )
        _block_memos.add(self._blocks)
        self._writer = GroupCommit(SeenSignatures(settings.signature_window_seconds))
        self._limits = hot_path_limits(settings.rate_limit_storage)

    async def post(self, request: Request) -> Response:
        envelope: dict[str, str] | None = None
        try:
            await self._check_target(request)
            body = await self._read_body(request)
            try:
                envelope = read_envelope(body)
            except Unstorable as unstorable:
                raise _Refusal(400, str(unstorable)) from None
            row = await self._verify_and_store(request, body, envelope)
        except _Refusal as refusal:
            log_refusal(_sender_host(request, envelope), f"{refusal.status} {refusal.reason}")
            response = error_response(refusal.status, refusal.reason)
            response.headers.update(refusal.headers)
            return response
        # Stored and committed: the writer has woken the workers (`group_commit`).
        if row is not None and getattr(request.app.state, "inbox_process_now", False):
            if isinstance(row, NewActivity):
                row = await InboxActivity.get(id=row.id)
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
        self, request: Request, body: bytes, envelope: dict[str, str]
    ) -> NewActivity | InboxActivity | None:
        actor_id = envelope["actor"]
        domain, actor_origin, sender = _actor_server(actor_id)
        if await self._block_of(domain) == DomainBlockSeverity.SUSPEND:
            raise _Refusal(403, f"The domain {domain} is blocked here.")
        if not _is_our_host(request.headers.get("host", ""), self.settings.base_url):
            raise _Refusal(401, "The request was signed for another host.")
        runtime = getattr(request.app.state, "federation", None)
        if runtime is None:
            raise _Refusal(503, "Federation is not running on this instance.")
        actors = RemoteActors(
            runtime.fetcher, runtime.signer_for, local_base_url=self.settings.base_url
        )

        async def key_lookup(key_id: str, refresh: bool) -> str | None:
            known = None if refresh else self._keys.get(key_id)
            if known is not None:
                actors.owners[key_id] = known[1]
                return known[0]
            pem = await actors.key_lookup(key_id, refresh)
            owner = actors.owners.get(key_id)
            if pem is not None and owner:
                self._keys.put(key_id, (pem, owner))
            else:
                self._keys.forget(key_id)
            return pem

        headers = request.headers.items()
        check = await verify_request(
            request.method,
            request_url(self.settings, request),
            headers,
            body,
            key_lookup,
            window_seconds=self.settings.signature_window_seconds,
        )
        if not check.ok:
            detail = f" ({actors.problem})" if actors.problem and "key" in check.reason else ""
            raise _Refusal(401, f"Signature refused: {check.reason}{detail}")
        owner = actors.owners.get(check.key_id or "")
        if owner != actor_id:
            raise _Refusal(401, f"The key {check.key_id} belongs to {owner}, not to {actor_id}.")
        if (plain_origin(envelope["id"]) or origin(envelope["id"])) != actor_origin:
            raise _Refusal(401, "The activity id is not on the actor's server.")
        await self._count(actor_id, domain)
        if self._alive.get(domain) is None:
            await mark_domain_alive(domain)
            self._alive.put(domain, True)
        row = NewActivity(
            ap_id=envelope["id"],
            origin=sender,
            dedup_key=inbox_dedup_key(sender, envelope["id"]),
            actor_ap_id=envelope["actor"],
            activity_type=envelope["type"],
            payload=body.decode(),
        )
        outcome = await self._writer.insert(row, signature_key(headers))
        if outcome == REPLAYED:
            raise _Refusal(401, "The signature was seen before: a replayed request.")
        if outcome == STORED:
            return row
        return await _stored_before(row, envelope, body)

    async def _count(self, actor_id: str, domain: str) -> None:
        """One hit on the actor's limit, then one on its domain's; 429 when either is used up."""
        actor_rule = self.settings.inbox_actor_rate_limit
        domain_rule = self.settings.inbox_domain_rate_limit
        try:
            await self._limits.hit(
                actor_rule,
                "inbox-actor",
                actor_id,
                message=f"Too many activities from {actor_id} (at most {actor_rule}).",
            )
            await self._limits.hit(
                domain_rule,
                "inbox-domain",
                domain,
                message=f"Too many activities from {domain} (at most {domain_rule}).",
            )
        except RateLimited as limited:
            reason = f"{limited.message} Try again in {limited.retry_after} s."
            raise _Refusal(429, reason, {"Retry-After": str(limited.retry_after)}) from None

    async def _block_of(self, domain: str) -> DomainBlockSeverity | None:
        known = self._blocks.get(domain)
        if known is None:
            known = (await block_of(domain),)
            self._blocks.put(domain, known)
        return known[0]


# A domain block changed here: this process's inboxes ask the database again. (A block covers
# subdomains, so every remembered answer may be touched, not just the event's.)
_block_memos: ProcessMemos[ExpiringMemo[str, tuple[DomainBlockSeverity | None]]] = ProcessMemos(
    [events.DomainBlockChanged]
)
forget_blocks = _block_memos.forget
register = _block_memos.register


@functools.lru_cache(maxsize=MEMO_SIZE)  # an inbox hears the same actors over and over
def _actor_server(actor_id: str) -> tuple[str, tuple[str, str, int | None], str]:
    """The actor's server as blocks name it (`domain_of`), as its origin (`origin`), and as
    rows store it (`origin_key`)."""
    return domain_of(actor_id), origin(actor_id), origin_key(actor_id)


@functools.lru_cache(maxsize=8)
def _authority(base_url: str) -> tuple[str, int | None, bool]:
    """(host, port, whether the port is the scheme's default) of this server's base URL."""
    base = urlsplit(base_url)
    default = _DEFAULT_PORTS.get(base.scheme)
    port = base.port or default
    return (base.hostname or "").lower(), port, port == default


@functools.lru_cache(maxsize=64)  # peers send the same few Host values
def _is_our_host(host: str, base_url: str) -> bool:
    """Whether a `Host` header names this server: host and port of `base_url`, the port
    optional when it is the scheme's default (Takahē sends none)."""
    ours, our_port, default_port = _authority(base_url)
    try:
        sent = urlsplit(f"//{host}")
        sent_port = sent.port
    except ValueError:
        return False
    if not sent.hostname or sent.hostname != ours:
        return False
    return default_port if sent_port is None else sent_port == our_port


def _sender_host(request: Request, envelope: dict[str, str] | None) -> str:
    """Who a refusal is logged against: the actor's server, else the signing key's, else the
    client's address."""
    if envelope is not None:
        return domain_of(envelope["actor"])
    found = _KEY_ID.search(request.headers.get("signature", ""))
    if found is not None:
        key_host = domain_of(found.group(1) or found.group(2) or "")
        if key_host:
            return key_host
    return request.client.host if request.client else ""


async def _stored_before(
    row: NewActivity, envelope: dict[str, str], body: bytes
) -> InboxActivity | None:
    """The id is stored already. A state-changing activity (`STATE_CHANGING`) already processed
    is stored again for the worker, which applies it to the state as it is now; anything else
    is a duplicate, ignored (None)."""
    kind = envelope["type"]
    if kind not in STATE_CHANGING:
        return None
    # Only a processed row of the same type is reset, in one conditional UPDATE, so a row the
    # worker still holds is never handled twice at once.
    done = Q(processed_at__isnull=False) | Q(dead_at__isnull=False)
    reset = await InboxActivity.filter(done, dedup_key=row.dedup_key, activity_type=kind).update(
        payload=body.decode(),
        processed_at=None,
        lease_until=None,
        attempts=0,
        error="",
        dead_at=None,
    )
    if not reset:
        return None
    await notify_inbox()  # an idle worker takes it now, not at its poll
    return await InboxActivity.get(dedup_key=row.dedup_key)


def inbox_routes(settings: Settings) -> list[BaseRoute]:
    inbox = Inbox(settings)
    return [
        Route("/inbox", inbox.post, methods=["POST"]),
        Route("/g/{name:name}/inbox", inbox.post, methods=["POST"]),
        Route("/u/{name:name}/inbox", inbox.post, methods=["POST"]),
    ]
