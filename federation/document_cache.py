"""Rendered actor documents and WebFinger answers, kept in memory and served without a query.

Other servers fetch an actor (and look it up by WebFinger) every time they meet it in a post, a
follow or a signature, so these two are the most requested documents of an instance. Both are
public by design (a members-only group's actor too: it is how people find it and ask to join),
so one rendering serves every requester; nothing that depends on who asks is kept here.

- The handler renders the document, stores its bytes with an ETag under the request's key, and
  answers with `Cache-Control: public, max-age=DOCUMENT_SECONDS` (`DocumentCache.respond`).
- `CachedDocuments`, an ASGI middleware near the outside of the app, answers the next identical
  request (same path; for actors an Accept that negotiates to ActivityStreams; for WebFinger the
  same query) from memory, or with 304 when If-None-Match names the ETag.
- A change to what a document shows (profile, name, avatar, group settings, suspension,
  deletion: the domain events in `CHANGES`) empties every cache in the process at once. An entry
  lives `DOCUMENT_SECONDS` at most, so other web processes, which do not hear this process's
  events, serve the new document within that time, as a caching proxy honouring Cache-Control
  would. Only 200 answers are kept: a person who appears, or a lifted suspension, shows at once.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from federation.negotiation import wants_activity_json
from server import events
from server.process_memos import ProcessMemos

__all__ = ["CHANGES", "CachedDocuments", "DocumentCache", "register"]

DOCUMENT_SECONDS = 60
MAX_ENTRIES = 10_000
WEBFINGER_PATH = "/.well-known/webfinger"
ACTOR_PREFIXES = ("/u/", "/g/")
CHANGES: tuple[type[events.Event], ...] = (
    events.ActorUpdated,
    events.ActorDeleted,
    events.ActorStateChanged,
    events.GroupUpdated,
)

Key = tuple[str, str]


def key_of(scope: Scope) -> Key | None:
    """The cache key of a GET for a document kept here, or None for any other request."""
    path: str = scope["path"]
    if path == WEBFINGER_PATH:
        return ("webfinger", scope["query_string"].decode("latin-1"))
    if path.startswith(ACTOR_PREFIXES) and path.count("/") == 2 and not scope["query_string"]:
        for name, value in scope["headers"]:
            if name == b"accept":
                return ("actor", path) if wants_activity_json(value.decode("latin-1")) else None
    return None


def _matches(if_none_match: bytes, etag: bytes) -> bool:
    tags = (tag.strip().removeprefix(b"W/") for tag in if_none_match.split(b","))
    return any(tag in (etag, b"*") for tag in tags)


@dataclass(frozen=True)
class Cached:
    body: bytes
    etag: bytes
    headers: list[tuple[bytes, bytes]]  # without content-length
    route: Any  # the route that rendered it, for the request metrics
    expires: float

    def response(self, if_none_match: bytes | None) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        if if_none_match is not None and _matches(if_none_match, self.etag):
            return 304, self.headers, b""
        return 200, [*self.headers, (b"content-length", str(len(self.body)).encode())], self.body


class DocumentCache:
    """Rendered documents by key, least recently stored first out past `max_entries`."""

    def __init__(self, *, seconds: float = DOCUMENT_SECONDS, max_entries: int = MAX_ENTRIES):
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[Key, Cached] = OrderedDict()
        _live.add(self)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Key) -> Cached | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires <= time.monotonic():
            del self._entries[key]
            return None
        return entry

    def clear(self) -> None:
        self._entries.clear()

    def respond(
        self,
        request: Request,
        body: bytes,
        media_type: str,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """The 200 (or 304) answer for a freshly rendered document, kept for the next request
        when the request is one that `CachedDocuments` answers."""
        etag = f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
        extra = {
            **(headers or {}),
            "ETag": etag,
            "Cache-Control": f"public, max-age={int(self.seconds)}",
        }
        key = key_of(request.scope)
        if key is not None:
            raw = [(b"content-type", media_type.encode())]
            raw += [(name.lower().encode(), value.encode()) for name, value in extra.items()]
            self._entries[key] = Cached(
                body,
                etag.encode(),
                raw,
                request.scope.get("route"),
                time.monotonic() + self.seconds,
            )
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        sent = request.headers.get("if-none-match")
        if sent is not None and _matches(sent.encode("latin-1"), etag.encode()):
            return Response(status_code=304, headers=extra)
        return Response(body, media_type=media_type, headers=extra)


class CachedDocuments:
    """ASGI middleware: answer a GET for a document in `cache` straight from memory."""

    def __init__(self, app: ASGIApp, cache: DocumentCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            key = key_of(scope)
            entry = self.cache.get(key) if key is not None else None
            if entry is not None:
                if_none_match = None
                for name, value in scope["headers"]:
                    if name == b"if-none-match":
                        if_none_match = value
                scope["route"] = entry.route
                status, headers, body = entry.response(if_none_match)
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


_live: ProcessMemos[DocumentCache] = ProcessMemos(CHANGES)
forget_documents = _live.forget  # something a document shows changed: every cache emptied
register = _live.register
