"""The shared client: environment proxies are never used, names are resolved and checked here."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator, Iterable

import httpcore
import httpx
import pytest

from federation.fetch import AddressPolicy, Fetcher, RefusedAddress, make_client
from federation.fetch.transport import GuardedBackend, GuardedTransport, make_ssl_context
from tests.federation._fetch_server import Server, respond

LOOPBACK = ["127.0.0.1/32"]
PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY")


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    async with Server() as running:
        yield running


def _dead_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_make_client__ignores_proxy_variables(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given every proxy variable pointing at a dead port, and nothing exempted from them
    proxy = f"http://127.0.0.1:{_dead_port()}"
    for name in PROXY_VARIABLES:
        monkeypatch.setenv(name, proxy)
        monkeypatch.setenv(name.lower(), proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    server.routes["/note"] = respond(body={"id": server.url("/note"), "type": "Note"})
    # When a document is fetched through the shared client
    async with make_client(allowed_networks=LOOPBACK) as client:
        fetched = await Fetcher(client, allow_http=True).fetch_object(server.url("/note"))
    # Then it came straight from the server (a proxy would connect on our behalf, past the
    # address check; this one would have failed the fetch)
    assert fetched.data["type"] == "Note"
    assert [path for path, _ in server.requests] == ["/note"]
    # And the client reads nothing from the environment at all
    assert client.trust_env is False


async def test_make_client__a_name_idna_cannot_encode_is_a_connect_error() -> None:
    # Given a host name with a label over 63 characters, asked of the client directly
    host = "a" * 64 + ".example"
    # When requested, Then the resolver's encoding error is a connection error, not a crash
    async with make_client() as client:
        with pytest.raises(httpx.ConnectError, match="cannot resolve"):
            await client.get(f"https://{host}/")


async def test_guarded_backend__never_opens_unix_sockets() -> None:
    backend = GuardedBackend(AddressPolicy(), httpcore.AnyIOBackend())
    with pytest.raises(RefusedAddress, match="unix sockets"):
        await backend.connect_unix_socket("/run/postgresql/.s.PGSQL.5432")


async def test_guarded_backend__tries_the_next_allowed_address(server: Server) -> None:
    # Given a name with two addresses, the first of which refuses connections
    class TwoAddresses(GuardedBackend):
        async def _resolve(self, host: str, port: int, seconds: float | None) -> list[str]:
            return ["127.0.0.2", "127.0.0.1"]

    backend = TwoAddresses(AddressPolicy.allowing(["127.0.0.0/8"]), httpcore.AnyIOBackend())
    # When connecting, Then the second address is used
    stream = await backend.connect_tcp("twin.example", server.port, timeout=5)
    await stream.aclose()
    assert server.connections == 1


async def test_guarded_backend__refuses_when_no_address_is_allowed(server: Server) -> None:
    class Private(GuardedBackend):
        async def _resolve(self, host: str, port: int, seconds: float | None) -> list[str]:
            return ["10.0.0.1", "127.0.0.1"]

    backend = Private(AddressPolicy(), httpcore.AnyIOBackend())
    with pytest.raises(RefusedAddress) as refusal:
        await backend.connect_tcp("inside.example", server.port, timeout=5)
    assert str(refusal.value) == (
        "refused to connect to inside.example: 10.0.0.1 is a private address; "
        "127.0.0.1 is a loopback address"
    )
    assert server.connections == 0


def _pool(client: httpx.AsyncClient) -> httpcore.AsyncConnectionPool:
    transport = client._transport
    assert isinstance(transport, GuardedTransport)
    return transport._pool


async def test_make_client__bounds_the_connection_pool() -> None:
    # Given the shared client as the application builds it
    async with make_client() as client:
        pool = _pool(client)
    # Then at most 100 sockets are open at once, and 20 idle ones are kept for 5 s, so a
    # burst of deliveries (or one slow peer) cannot exhaust the process's file descriptors
    assert pool._max_connections == 100
    assert pool._max_keepalive_connections == 20
    assert pool._keepalive_expiry == 5.0
    # And the pool speaks HTTP/1.1 only, without retrying connections on its own
    assert (pool._http1, pool._http2, pool._retries) == (True, False, 0)


async def test_make_client__takes_the_pool_size() -> None:
    # Given a deployment asking for a smaller pool, When the client is made
    async with make_client(max_connections=7) as client:
        pool = _pool(client)
    # Then the pool holds no more than that, and no more idle ones than it may open
    assert (pool._max_connections, pool._max_keepalive_connections) == (7, 7)


async def test_make_client__connects_through_the_guard_and_verified_tls() -> None:
    # Given a client allowing one network
    async with make_client(allowed_networks=["192.0.2.0/24"]) as client:
        pool = _pool(client)
    # Then every connection is opened by the guarded backend, with that very policy
    backend = pool._network_backend
    assert isinstance(backend, GuardedBackend)
    assert backend.policy == AddressPolicy.allowing(["192.0.2.0/24"])
    # And TLS verifies certificates and host names
    context = pool._ssl_context
    assert context is not None
    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)


async def test_make_client__never_follows_redirects_itself() -> None:
    # Given the shared client, Then a redirect is handed back to the fetcher, which checks
    # every hop's URL and counts it, rather than followed silently by httpx
    async with make_client(user_agent="Test/1") as client:
        assert client.follow_redirects is False
        assert client.headers["User-Agent"] == "Test/1"


async def test_guarded_transport__bounds_its_pool_by_default() -> None:
    # Given a transport made without limits, Then its pool is bounded all the same
    transport = GuardedTransport(AddressPolicy(), make_ssl_context())
    async with transport:
        pool = transport._pool
    assert (pool._max_connections, pool._max_keepalive_connections) == (100, 20)
    assert pool._keepalive_expiry == 5.0


class _Recorder(httpcore.AsyncNetworkBackend):
    """An inner backend that records what it is asked to do instead of doing it."""

    def __init__(self) -> None:
        self.connects: list[tuple[object, ...]] = []
        self.sleeps: list[float] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append((host, port, timeout, local_address, socket_options))
        raise httpcore.ConnectError("recorded only")

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


async def test_guarded_backend__passes_the_connection_options_on() -> None:
    # Given a guarded backend over a recording one, for a name with one allowed address
    class OneAddress(GuardedBackend):
        async def _resolve(self, host: str, port: int, seconds: float | None) -> list[str]:
            return ["192.0.2.7"]

    inner = _Recorder()
    backend = OneAddress(AddressPolicy.allowing(["192.0.2.0/24"]), inner)
    options: list[httpcore.SOCKET_OPTION] = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
    # When connecting with a timeout, a local address and socket options
    with pytest.raises(httpcore.ConnectError):
        await backend.connect_tcp(
            "peer.example", 8443, timeout=2.5, local_address="192.0.2.1", socket_options=options
        )
    # Then the checked address is connected to with every option the pool asked for, so the
    # connect timeout still bounds a peer that never completes the handshake
    assert inner.connects == [("192.0.2.7", 8443, 2.5, "192.0.2.1", options)]
    # And the pool's waits are the inner backend's
    await backend.sleep(0.25)
    assert inner.sleeps == [0.25]


async def test_guarded_backend__name_resolution_obeys_the_connect_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a resolver that never answers
    async def silent(*args: object, **kwargs: object) -> list[object]:
        await asyncio.Event().wait()
        raise AssertionError("never answered")

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", silent)
    backend = GuardedBackend(AddressPolicy(), _Recorder())
    # When connecting with a short timeout, Then a hung DNS lookup ends as a connect timeout
    # (the outer deadline only turns a hang into a failure of this test)
    with pytest.raises(httpcore.ConnectTimeout, match=r"resolving peer\.example timed out"):
        async with asyncio.timeout(5):
            await backend.connect_tcp("peer.example", 443, timeout=0.05)
