"""Content negotiation: one URL, an HTML page for browsers and an AS2 document for servers.

A GET or HEAD whose Accept prefers `application/activity+json` or `application/ld+json` (with or
without the ActivityStreams profile) over `text/html` goes to the AS2 app, when one of its routes
matches the path; everything else goes to the HTML app. Both answers carry `Vary: Accept` for
the negotiated paths, so that caches keep them apart.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ContentNegotiation", "wants_activity_json"]

AS2_TYPES = frozenset({"application/activity+json", "application/ld+json"})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value.strip())
            except ValueError:
                return 0.0
    return 1.0


def wants_activity_json(accept: str) -> bool:
    """Whether an Accept header asks for ActivityStreams at least as much as for HTML."""
    as2 = html = 0.0
    for media_range in accept.split(","):
        media_type, *params = media_range.split(";")
        media_type = media_type.strip().lower()
        if media_type in AS2_TYPES:
            as2 = max(as2, _quality(params))
        elif media_type in HTML_TYPES:
            html = max(html, _quality(params))
    return as2 > 0 and as2 >= html


class ContentNegotiation:
    """ASGI wrapper sending ActivityStreams requests to `as2_app`, the rest to `html_app`."""

    def __init__(self, html_app: ASGIApp, as2_app: Router) -> None:
        self.html_app = html_app
        self.as2_app = as2_app

    def _negotiated(self, scope: Scope) -> bool:
        return any(route.matches(scope)[0] == Match.FULL for route in self.as2_app.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.html_app(scope, receive, send)
            return
        if not self._negotiated(scope):
            await self.html_app(scope, receive, send)
            return
        if wants_activity_json(Headers(scope=scope).get("accept", "")):
            await self.as2_app(scope, receive, send)
            return

        async def send_with_vary(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.add_vary_header("Accept")
            await send(message)

        await self.html_app(scope, receive, send_with_vary)
