"""The delivery worker's aiohttp session, with the same address guard as the httpx client.

    session = make_aiohttp_session(allowed_networks=..., extra_ca_bundle=..., limit=64)

Only the delivery hot path uses aiohttp (see README, "Outgoing HTTP"): at fan-out concurrency
httpx's connection pool spends more time on its own bookkeeping than on the wire
(encode/httpx#3215). Everything else goes through the one httpx client of `transport`.

The guard holds at connect time, as in `transport`: the resolver drops every forbidden address
of a name (and refuses a name that has nothing else), and the socket factory checks the very
address each socket is about to connect to: IP literals, which aiohttp never resolves, and any
address however it was found. A name that resolves differently a moment later (DNS rebinding)
therefore gains nothing. TLS runs against the name (aiohttp sends it as SNI and checks the
certificate for it). Environment proxies are ignored (`trust_env=False`), redirects are never
followed by the caller.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from federation.fetch.addresses import AddressPolicy, IPNetwork
from federation.fetch.errors import RefusedAddress
from federation.fetch.transport import USER_AGENT, make_ssl_context

__all__ = ["GuardedResolver", "guarded_socket_factory", "make_aiohttp_session"]

KEEPALIVE_SECONDS = 4.0


class GuardedResolver(AbstractResolver):
    """aiohttp's default resolver, less the addresses the policy forbids."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.refusal = _cached_refusal(policy)
        self.inner = aiohttp.DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self.inner.resolve(host, port, family)
        allowed = [result for result in results if self.refusal(result["host"]) is None]
        if not allowed:
            reasons = "; ".join(sorted({str(self.refusal(result["host"])) for result in results}))
            raise RefusedAddress(f"refused to connect to {host}: {reasons}")
        return allowed

    async def close(self) -> None:
        await self.inner.close()


def guarded_socket_factory(policy: AddressPolicy) -> Any:
    """A socket factory for `aiohttp.TCPConnector` that refuses forbidden addresses."""
    refusal = _cached_refusal(policy)

    def make_socket(addr_info: Any) -> socket.socket:
        family, type_, proto, _, address = addr_info
        reason = refusal(str(address[0]))
        if reason is not None:
            raise RefusedAddress(f"refused to connect to {address[0]}: {reason}")
        return socket.socket(family=family, type=type_, proto=proto)

    return make_socket


def _cached_refusal(policy: AddressPolicy) -> Any:
    # A fan-out connects to the same few thousand addresses over and over; the policy is fixed.
    return lru_cache(maxsize=65536)(policy.refusal)


def make_aiohttp_session(
    *,
    allowed_networks: Iterable[str | IPNetwork] = (),
    extra_ca_bundle: str | Path | None = None,
    limit: int = 100,
    limit_per_host: int = 0,
    user_agent: str = USER_AGENT,
) -> aiohttp.ClientSession:
    """A guarded session (make it inside the running event loop, close it with `close()`)."""
    policy = AddressPolicy.allowing(allowed_networks)
    connector = aiohttp.TCPConnector(
        limit=limit,
        limit_per_host=limit_per_host,
        ssl=make_ssl_context(extra_ca_bundle),
        resolver=GuardedResolver(policy),
        socket_factory=guarded_socket_factory(policy),
        # One address at a time: a refusal must end the attempt, not lose a staggered race.
        happy_eyeballs_delay=None,
        # Under the 5 s servers commonly keep an idle connection (uvicorn; httpx's expiry
        # too), so that a reused connection is seldom one the server is closing.
        keepalive_timeout=KEEPALIVE_SECONDS,
    )
    return aiohttp.ClientSession(
        connector=connector,
        trust_env=False,
        headers={"User-Agent": user_agent},
        auto_decompress=False,
        skip_auto_headers=("Accept-Encoding",),
    )
