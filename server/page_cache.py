"""Pages rendered for visitors who are not logged in, kept a few seconds in each web process.

Most reads of a public forum come from people and crawlers who are not logged in, and every one
of them gets the same page for the same URL: the front page, a group's threads, a thread, a
hashtag, a group's outbox pages. Rendering one costs 5-30 ms of CPU (queries, rows, template),
so under load a process would spend its time rendering the same bytes again and again.

- A handler whose answer is the same for every anonymous requester of its URL says so with
  `share_page(request)`, naming what must still happen for each visitor (`on_each_view`: a
  thread's view count). For any other request (a session, a signature) it does nothing.
- `CachedPages`, an ASGI middleware, keeps such an answer (a 200 that sets no cookie, to a GET
  without a session cookie, Authorization or signature) under its path, query string and kind
  (HTML or ActivityStreams, as `ContentNegotiation` chooses), and answers the next such GET or
  HEAD from memory, with an ETag (304 when If-None-Match names it). A request carrying a session
  is never answered from the cache and never fills it, whatever the page.
- Requests for a page that is being rendered wait for that rendering rather than each render it:
  after a change empties the cache, a busy page is rendered once, not once per waiting visitor.
- A domain event that may change what a kept page shows (`CHANGES`: every event but those in
  `UNSEEN`, which change nothing an anonymous page shows) empties the caches of the process that
  published it at once. Other web processes do not hear it and keep their copy at most
  `LYCEUM_PAGE_CACHE_SECONDS`; relative times ("5 minutes ago") are as old as the copy.
- Memory is bounded: `MAX_ENTRIES` pages and `MAX_BYTES` of bodies, least recently stored out
  first; a body over `MAX_PAGE_BYTES` is not kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server import events
from server.process_memos import Clearable, ProcessMemos

__all__ = [
    "CHANGES",
    "UNSEEN",
    "CachedPages",
    "PageCache",
    "empty_with_pages",
    "register",
    "share_page",
]

MAX_ENTRIES = 2_000
MAX_BYTES = 32 * 1024 * 1024
MAX_PAGE_BYTES = 1024 * 1024
SESSION_COOKIE = b"lyceum_session"
# Headers that make a request someone's own: a session, credentials, a signed fetch.
PERSONAL_HEADERS = frozenset({b"authorization", b"signature", b"signature-input"})
AS2_TYPES = (b"application/activity+json", b"application/ld+json")
SCOPE_KEY = "lyceum.shared_page"

# Events that change nothing a visitor who is not logged in sees: someone's own notifications,
# saves and invitations, requests and reports waiting for staff, the federation queues.
UNSEEN: tuple[type[events.Event], ...] = (
    events.NotificationCreated,
    events.FederationWorkRequeued,
    events.PostSaved,
    events.PostUnsaved,
    events.MembershipRequested,
    events.ReportFiled,
    events.ReportForwarded,
    events.SignupWaiting,
    events.GroupInvited,
)


def _all_events(kind: type[events.Event] = events.Event) -> list[type[events.Event]]:
    found = []
    for sub in kind.__subclasses__():
        found += [sub, *_all_events(sub)]
    return found


CHANGES: tuple[type[events.Event], ...] = tuple(
    kind for kind in _all_events() if kind not in UNSEEN
)

ViewHook = Callable[[Request], None]
Key = tuple[str, bytes, bool]  # path, query string, ActivityStreams asked for


@dataclass
class _Shared:
    """Set in the scope of a request that may fill the cache; `share_page` marks it."""

    shared: bool = False
    on_each_view: list[ViewHook] = field(default_factory=list)


def share_page(request: Request, on_each_view: ViewHook | None = None) -> None:
    """Say that the page being rendered is the one every visitor who is not logged in gets at
    this URL, so that it may be kept and served to the next ones. `on_each_view` runs now and
    for every visitor later served the kept page (what a page does per visitor beside showing
    itself). Nothing is kept unless the request is anonymous (no session, no signature)."""
    if on_each_view is not None:
        on_each_view(request)
    mark = request.scope.get(SCOPE_KEY)
    if isinstance(mark, _Shared):
        mark.shared = True
        if on_each_view is not None:
            mark.on_each_view.append(on_each_view)


@dataclass(frozen=True)
class _Page:
    status_headers: list[tuple[bytes, bytes]]  # with content-length and etag
    body: bytes
    etag: bytes
    route: Any  # the route that rendered it, for the request metrics
    on_each_view: tuple[ViewHook, ...]
    expires: float


class PageCache:
    """Kept pages by key, least recently stored first out past the bounds."""

    def __init__(
        self,
        seconds: float,
        *,
        max_entries: int = MAX_ENTRIES,
        max_bytes: int = MAX_BYTES,
        max_page_bytes: int = MAX_PAGE_BYTES,
    ) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_page_bytes = max_page_bytes
        self._pages: OrderedDict[Key, _Page] = OrderedDict()
        self._bytes = 0
        self._kept_before: OrderedDict[Key, None] = OrderedDict()  # outlives `clear`
        # Renderings in flight, which requests for the same page wait for.
        self.rendering: dict[Key, asyncio.Future[_Page | None]] = {}
        _live.add(self)

    def __len__(self) -> int:
        return len(self._pages)

    @property
    def size(self) -> int:
        """Bytes of the bodies kept."""
        return self._bytes

    def get(self, key: Key) -> _Page | None:
        page = self._pages.get(key)
        if page is not None and page.expires <= time.monotonic():
            self._drop(key)
            return None
        return page

    def put(self, key: Key, page: _Page) -> None:
        if len(page.body) > self.max_page_bytes:
            return
        if key in self._pages:
            self._drop(key)
        self._pages[key] = page
        self._bytes += len(page.body)
        self._kept_before[key] = None
        self._kept_before.move_to_end(key)
        if len(self._kept_before) > 2 * self.max_entries:
            self._kept_before.popitem(last=False)
        while len(self._pages) > self.max_entries or self._bytes > self.max_bytes:
            self._drop(next(iter(self._pages)))

    def was_kept(self, key: Key) -> bool:
        """Whether the page at `key` was kept lately (then emptied out, or out of date)."""
        return key in self._kept_before

    def clear(self) -> None:
        self._pages.clear()
        self._bytes = 0

    def _drop(self, key: Key) -> None:
        self._bytes -= len(self._pages.pop(key).body)


def _anonymous_key(scope: Scope, wants_as2: Callable[[str], bool]) -> Key | None:
    """The key of a GET or HEAD that anyone not logged in could have sent, else None."""
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
        return None
    as2 = False
    for name, value in scope["headers"]:
        if name in PERSONAL_HEADERS or (name == b"cookie" and SESSION_COOKIE in value):
            return None
        if name == b"accept" and any(kind in value for kind in AS2_TYPES):
            as2 = wants_as2(value.decode("latin-1"))
    return (scope["path"], scope["query_string"], as2)


def _matches(if_none_match: bytes, etag: bytes) -> bool:
    tags = (tag.strip().removeprefix(b"W/") for tag in if_none_match.split(b","))
    return any(tag in (etag, b"*") for tag in tags)


class CachedPages:
    """ASGI middleware: answer anonymous GETs and HEADs of shared pages from `cache`.
    `wants_as2` tells from an Accept header whether the app answers ActivityStreams, so that the
    two kinds of answer to one URL are kept apart."""

    def __init__(self, app: ASGIApp, cache: PageCache, wants_as2: Callable[[str], bool]) -> None:
        self.app = app
        self.cache = cache
        self.wants_as2 = wants_as2

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _anonymous_key(scope, self.wants_as2) if self.cache.seconds > 0 else None
        if key is None:
            await self.app(scope, receive, send)
            return
        page = self.cache.get(key)
        if page is None and key in self.cache.rendering:
            page = await asyncio.shield(self.cache.rendering[key])
            if page is None:  # that rendering was not kept: no use waiting for another
                await self.app(scope, receive, send)
                return
        if page is not None:
            await self._answer(page, scope, send)
        elif scope["method"] != "GET" or not self.cache.was_kept(key):
            # Only a GET renders what is kept; and only for a page kept before do others wait
            # for its rendering (a page never kept is likely not one to keep: a log-in form).
            await self._render(key, scope, receive, send)
        else:
            rendering: asyncio.Future[_Page | None] = asyncio.get_running_loop().create_future()
            self.cache.rendering[key] = rendering
            page = None
            try:
                page = await self._render(key, scope, receive, send)
            finally:
                del self.cache.rendering[key]
                rendering.set_result(page)

    async def _render(self, key: Key, scope: Scope, receive: Receive, send: Send) -> _Page | None:
        """Let the app answer; keep its answer when the page was shared and may be kept."""
        mark = scope[SCOPE_KEY] = _Shared()
        start: Message | None = None
        chunks: list[bytes] = []

        async def keep_or_pass(message: Message) -> None:
            nonlocal start
            if start is not None:  # the body of a page to keep: sent below, once complete
                chunks.append(message.get("body", b""))
                return
            if message["type"] == "http.response.start" and _may_keep(scope, mark, message):
                start = message
                return
            await send(message)

        await self.app(scope, receive, keep_or_pass)
        if start is None:
            return None
        body = b"".join(chunks)
        etag = b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'
        headers = [(n, v) for n, v in start["headers"] if n not in (b"content-length", b"etag")]
        headers += [(b"content-length", str(len(body)).encode()), (b"etag", etag)]
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        page = _Page(
            headers,
            body,
            etag,
            scope.get("route"),
            tuple(mark.on_each_view),
            time.monotonic() + self.cache.seconds,
        )
        self.cache.put(key, page)
        return page

    async def _answer(self, page: _Page, scope: Scope, send: Send) -> None:
        scope["route"] = page.route
        if page.on_each_view:
            request = Request(scope)
            for hook in page.on_each_view:
                hook(request)
        status, body = 200, page.body
        for name, value in scope["headers"]:
            if name == b"if-none-match" and _matches(value, page.etag):
                status, body = 304, b""
        headers = page.status_headers
        if status == 304:
            headers = [(n, v) for n, v in headers if n != b"content-length"]
        if scope["method"] == "HEAD":
            body = b""
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _may_keep(scope: Scope, mark: _Shared, start: Message) -> bool:
    """A GET's 200 for a page its handler shared, setting no cookie (no CSRF token minted)."""
    return (
        scope["method"] == "GET"
        and mark.shared
        and start["status"] == 200
        and not any(name == b"set-cookie" for name, _ in start["headers"])
    )


_live: ProcessMemos[Clearable] = ProcessMemos(CHANGES)
forget_pages = _live.forget  # something a kept page may show changed: every cache emptied
register = _live.register


def empty_with_pages(memo: Clearable) -> None:
    """Empty `memo` whenever this process's kept pages are emptied: for what a page shows
    members as well as visitors, kept no longer than the page would be."""
    _live.add(memo)
