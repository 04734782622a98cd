"""The shared outgoing client, whose every connection goes through the address check.

    client = make_client(allowed_networks=settings..., extra_ca_bundle=settings...)

Make it once (in the Starlette lifespan) and pass it down; fetches and deliveries share it and
its connection pool. The check lives in the connection layer, not in front of the request:
the host name is resolved once, each address is checked, and the socket is opened to that
very address. A name that resolves to a public address for a pre-check and to 127.0.0.1 a
moment later (DNS rebinding) therefore gains nothing. TLS still runs against the name: httpcore
sends the URL's host as SNI and verifies the certificate for it, and `Host` is unchanged.

TLS is verified against the system trust store, plus `extra_ca_bundle` (a PEM file) for
organisations running instances under their own CA. Environment proxies are ignored: a proxy
would connect on our behalf and bypass the check.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterable
from pathlib import Path

import httpcore
import httpx

from federation.fetch.addresses import AddressPolicy, IPNetwork
from federation.fetch.errors import RefusedAddress

__all__ = ["GuardedBackend", "GuardedTransport", "make_client", "make_ssl_context"]

USER_AGENT = "Lyceum (+https://lyceum.invalid/federation)"


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that resolves, checks, then connects to the checked IP."""

    def __init__(self, policy: AddressPolicy, inner: httpcore.AsyncNetworkBackend) -> None:
        self.policy = policy
        self.inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._resolve(host, port, timeout)
        refusals = [reason for address in addresses if (reason := self.policy.refusal(address))]
        allowed = [address for address in addresses if not self.policy.refusal(address)]
        if not allowed:
            raise RefusedAddress(f"refused to connect to {host}: {'; '.join(refusals)}")
        last_error: Exception | None = None
        for address in allowed:
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                last_error = error  # try the next address of the name, like a browser
        assert last_error is not None
        raise last_error

    async def _resolve(self, host: str, port: int, seconds: float | None) -> list[str]:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(seconds):
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except (OSError, UnicodeError) as error:  # UnicodeError: a name IDNA cannot encode
            raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from None
        addresses: list[str] = []
        for _family, _type, _proto, _name, sockaddr in infos:
            address = str(sockaddr[0])
            if address not in addresses:
                addresses.append(address)
        return addresses

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise RefusedAddress("unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, with its connection pool built on `GuardedBackend`.

    httpx offers no public way to choose the network backend, so the pool built by the parent
    is replaced by one with the same settings and our backend; request/response mapping and
    exception translation stay httpx's.
    """

    def __init__(
        self,
        policy: AddressPolicy,
        ssl_context: ssl.SSLContext,
        *,
        limits: httpx.Limits | None = None,
    ) -> None:
        limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20)
        # With an SSLContext given, httpx reads no certificate variables from the environment.
        super().__init__(verify=ssl_context, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy, httpcore.AnyIOBackend()),
        )


def make_ssl_context(extra_ca_bundle: str | Path | None = None) -> ssl.SSLContext:
    """System trust store, plus the PEM bundle at `extra_ca_bundle` when given."""
    context = ssl.create_default_context()
    if extra_ca_bundle:
        context.load_verify_locations(cafile=str(extra_ca_bundle))
    return context


def make_client(
    *,
    allowed_networks: Iterable[str | IPNetwork] = (),
    extra_ca_bundle: str | Path | None = None,
    user_agent: str = USER_AGENT,
    max_connections: int = 100,
) -> httpx.AsyncClient:
    """The one outgoing client: guarded connections, verified TLS, no redirects followed
    implicitly (the fetcher follows them itself, re-checking each hop)."""
    transport = GuardedTransport(
        AddressPolicy.allowing(allowed_networks),
        make_ssl_context(extra_ca_bundle),
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=20),
    )
    # No environment proxies (nor anything else from the environment): a proxy would connect
    # on our behalf, past the address check. (httpx reads proxies only when no transport is
    # given; trust_env=False keeps that so whatever a later httpx does.)
    return httpx.AsyncClient(
        transport=transport,
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": user_agent},
    )
