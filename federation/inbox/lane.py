"""The inboxes' own lane through the app: POSTs from other servers skip the browser's layers.

An inbox POST needs none of what a page needs (the session cookie, the instance name for
templates, content negotiation, the routing through every page's route): `InboxLane` sends it
straight to the inbox routes, after the layers every request goes through (security headers,
server errors, metrics, the control-character guard, trusted proxies). Anything else, or a path
no inbox route matches fully, goes on to the app as before.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute, Match, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["InboxLane"]


class InboxLane:
    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.inboxes = [r for r in routes if isinstance(r, Route) and r.path.endswith("/inbox")]
        self.router = Router(self.inboxes)  # for `url_for`, as when the router dispatched

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].endswith("/inbox")
        ):
            for route in self.inboxes:
                match, child_scope = route.matches(scope)
                if match == Match.FULL:  # what a `Router` of these routes would do, once
                    scope.setdefault("router", self.router)
                    scope["route"] = route
                    scope.update(child_scope)
                    await route.handle(scope, receive, send)
                    return
        await self.app(scope, receive, send)
