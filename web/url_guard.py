"""Refusing addresses that hold control characters, before any route reads them.

No link or form of ours makes a path or query with a NUL or another control character, and
PostgreSQL refuses NUL in text outright, so `/g/%00` or `/groups?q=%00` would reach a query only
to fail there. One check for every route (pages and ActivityPub documents alike) answers 400.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

# C0 controls and DEL, the tab, line feed and carriage return included: none belongs in a URL.
CONTROL = re.compile(rb"[\x00-\x1f\x7f]")
REASON = "The address holds a control character; remove it and try again."


def has_control_character(scope: Scope) -> bool:
    path = scope.get("path", "").encode("utf-8", "surrogateescape")
    query = unquote_to_bytes(scope.get("query_string", b"").replace(b"+", b" "))
    return CONTROL.search(path) is not None or CONTROL.search(query) is not None


class ControlCharacterGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and has_control_character(scope):
            await PlainTextResponse(REASON, status_code=400)(scope, receive, send)
            return
        await self.app(scope, receive, send)
