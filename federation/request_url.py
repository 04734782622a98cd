"""The URL an incoming request was signed for, as `verify_request` must check it.

Rebuilt from `settings.base_url`, never the Host header (behind a proxy it may differ), and the
path and query exactly as sent: `(request-target)` and RFC 9421's `@path` / `@query` sign the
raw bytes, so a decoded copy (`%2F` made `/`) would not verify.
"""

from __future__ import annotations

from starlette.requests import Request

from server.settings import Settings

__all__ = ["request_url"]


def request_url(settings: Settings, request: Request) -> str:
    """This server's base URL followed by the request's path and query as sent."""
    scope = request.scope
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else request.url.path
    # The query as `request.url.query` reads it (UTF-8; a `#` would start a fragment), without
    # building the whole URL from the Host header first.
    query = scope.get("query_string", b"").decode().partition("#")[0]
    return settings.url(f"{path}?{query}" if query else path)
