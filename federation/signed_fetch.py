"""Secure mode: ActivityPub GETs answered only when signed (`LYCEUM_REQUIRE_SIGNED_FETCH`).

`signed_only(settings, handler)` wraps a document endpoint. With the setting off it returns the
handler itself (nothing to pay); with it on, a GET or HEAD must carry a valid draft-cavage or
RFC 9421 signature, checked like the inbox checks one: `verify_request` over the URL rebuilt
from `settings.base_url` (never the Host header), keys resolved through `RemoteActors` on the
runtime's fetcher (cached actors first, then a GET signed by our instance actor).
- unsigned, or a signature that fails: 401 with the reason (peers retry signed after a 4xx);
- a signer on a suspended domain: 403, and its key is never fetched.

Actor documents (people, groups, the instance actor) and discovery are NOT wrapped: a peer must
read our keys to verify our own signatures, and WebFinger/NodeInfo come before any key exists.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from federation.httpsig import verify_request
from federation.inbox.actors import RemoteActors
from federation.inbox.context import block_of
from federation.inbox.parse_actor import domain_of
from federation.request_url import request_url
from federation.responses import error_response
from server.models import DomainBlockSeverity
from server.settings import Settings

__all__ = ["Endpoint", "check_signed_fetch", "signed_only", "signer_domain"]

log = logging.getLogger("lyceum.federation")

Endpoint = Callable[[Request], Awaitable[Response]]


def signed_only(settings: Settings, handler: Endpoint) -> Endpoint:
    """The handler, refusing unsigned requests first when the instance requires signed fetch."""
    if not settings.require_signed_fetch:
        return handler

    async def endpoint(request: Request) -> Response:
        refusal = await check_signed_fetch(settings, request)
        return refusal if refusal is not None else await handler(request)

    endpoint.__name__ = getattr(handler, "__name__", "endpoint")
    endpoint.__doc__ = handler.__doc__
    return endpoint


async def check_signed_fetch(settings: Settings, request: Request) -> Response | None:
    """None when the request is signed by a key we could verify, else the refusal to send."""
    found = await signer_domain(settings, request)
    return found if isinstance(found, Response) else None


async def signer_domain(settings: Settings, request: Request) -> str | Response:
    """The server (`host[:port]`) whose actor signed the request, verified as
    `check_signed_fetch` does, or the refusal to send (401 unsigned or bad, 403 blocked)."""
    runtime = getattr(request.app.state, "federation", None)
    if runtime is None:
        return error_response(503, "Federation is not running on this instance.")
    actors = RemoteActors(runtime.fetcher, runtime.signer_for, local_base_url=settings.base_url)
    suspended: list[str] = []

    async def key_lookup(key_id: str, refresh: bool) -> str | None:
        domain = domain_of(key_id)
        if await block_of(domain) == DomainBlockSeverity.SUSPEND:
            suspended.append(domain)
            return None
        return await actors.key_lookup(key_id, refresh)

    check = await verify_request(
        request.method,
        request_url(settings, request),
        request.headers.items(),
        b"",
        key_lookup,
        window_seconds=settings.signature_window_seconds,
    )
    if suspended:
        return error_response(403, f"The domain {suspended[0]} is blocked here.")
    if not check.ok:
        detail = f" ({actors.problem})" if actors.problem and "key" in check.reason else ""
        log.info("signed fetch refused %s: %s%s", request.url.path, check.reason, detail)
        return error_response(
            401, f"This instance answers signed requests only: {check.reason}{detail}"
        )
    owner = actors.owners.get(check.key_id or "", "") or (check.key_id or "")
    if await block_of(domain_of(owner)) == DomainBlockSeverity.SUSPEND:
        return error_response(403, f"The domain {domain_of(owner)} is blocked here.")
    return domain_of(owner)
