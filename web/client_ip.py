"""The address a request came from, for rate limits keyed by client and the sessions page.

Behind a reverse proxy every request comes from the proxy. With `LYCEUM_TRUST_PROXY_HEADERS`,
the app's outermost middleware (uvicorn's ProxyHeadersMiddleware, wired in `server/app.py`) has
already replaced the peer by the right-most X-Forwarded-For entry that is not one of
`LYCEUM_TRUSTED_PROXIES`, and only when the peer itself is one of them; so here the peer is the
client, and an address written into the header by the client itself counts for nothing.
"""

from __future__ import annotations

from starlette.requests import Request

UNKNOWN = "unknown"
MAX_LENGTH = 64


def client_ip(request: Request) -> str:
    return request.client.host[:MAX_LENGTH] if request.client else UNKNOWN
