"""The address a request came from, for rate limits keyed by client.

Behind a reverse proxy every request comes from the proxy, so the client is the first hop of
X-Forwarded-For; that header is trusted only when the operator says a proxy sets it, because a
client reaching Lyceum directly could write anything there.
"""

from __future__ import annotations

from starlette.requests import Request

from web.context import web

UNKNOWN = "unknown"


def client_ip(request: Request) -> str:
    if web(request).settings.trust_proxy_headers:
        forwarded = request.headers.get("x-forwarded-for", "")
        first = forwarded.split(",", 1)[0].strip()
        if first:
            return first[:64]
    return request.client.host if request.client else UNKNOWN
