"""The delivery worker's aiohttp sender against a real loopback server: what it sends is signed
and verifies, forbidden addresses are refused, redirects are not followed, slow answers time
out, big answers are not read; and the worker records each outcome as with httpx."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from federation.delivery import DeliveryWorker, enqueue
from federation.delivery.sender import AiohttpSender
from federation.fetch import RefusedAddress, Unreachable
from federation.httpsig import CavageAuth, verify_request
from federation.httpsig.signing_processes import SigningProcesses
from federation.runtime import FederationRuntime
from server.models import Actor, ActorKind, Delivery, DeliveryState
from server.settings import Settings
from tests.federation._httpsig_vectors import RSA_PRIVATE, RSA_PUBLIC
from tests.federation.loopback import serve

LOOPBACK = ["127.0.0.0/8"]
BODY = b'{"id":"https://lyceum.test/activities/1","type":"Announce"}'
TIMEOUT = httpx.Timeout(10, connect=5)
KEY_ID = "https://lyceum.test/groups/physics#main-key"


class Inbox:
    """Verifies each POST's signature and digest; scripted answers by path."""

    def __init__(self) -> None:
        self.checks: list[tuple[bool, str]] = []
        self.paths: list[str] = []
        self.release = asyncio.Event()

    async def inbox(self, request: Request) -> Response:
        body = await request.body()
        self.paths.append(request.url.path)

        async def key_lookup(key_id: str, refresh: bool) -> str:
            return RSA_PUBLIC

        check = await verify_request("POST", str(request.url), request.headers, body, key_lookup)
        self.checks.append((check.ok, check.reason))
        return Response(status_code=202 if check.ok else 401)

    async def moved(self, request: Request) -> Response:
        self.paths.append(request.url.path)
        return Response(status_code=302, headers={"Location": "/inbox"})

    async def throttled(self, request: Request) -> Response:
        return Response(status_code=429, headers={"Retry-After": "120"})

    async def slow(self, request: Request) -> Response:
        await self.release.wait()
        return Response(status_code=202)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/inbox", self.inbox, methods=["POST"]),
                Route("/moved", self.moved, methods=["POST"]),
                Route("/throttled", self.throttled, methods=["POST"]),
                Route("/slow", self.slow, methods=["POST"]),
            ]
        )


@pytest.fixture
async def inbox() -> AsyncIterator[tuple[Inbox, str]]:
    receiver = Inbox()
    async with serve(receiver.app()) as base:
        yield receiver, base
        receiver.release.set()


@pytest.fixture
async def sender() -> AsyncIterator[AiohttpSender]:
    made = AiohttpSender(allowed_networks=LOOPBACK)
    yield made
    await made.aclose()


AUTH = CavageAuth(KEY_ID, RSA_PRIVATE)


async def test_sender__posts_a_signed_body_that_verifies(
    inbox: tuple[Inbox, str], sender: AiohttpSender
) -> None:
    receiver, base = inbox
    # When a body is posted twice (the second from the cached digest)
    first = await sender.post(f"{base}/inbox", BODY, AUTH, TIMEOUT)
    second = await sender.post(f"{base}/inbox", BODY, AUTH, TIMEOUT)
    # Then the receiver verified signature and digest both times
    assert (first.status, second.status) == (202, 202)
    assert [ok for ok, _ in receiver.checks] == [True, True]


async def test_sender__signs_in_helper_processes_what_verifies(
    inbox: tuple[Inbox, str],
) -> None:
    receiver, base = inbox
    # Given a sender that signs in a helper process
    signing = SigningProcesses(1)
    helped = AiohttpSender(allowed_networks=LOOPBACK, signing=signing)
    try:
        # When it posts to several inboxes at once
        sent = await asyncio.gather(
            *(helped.post(f"{base}/inbox", BODY, AUTH, TIMEOUT) for _ in range(5))
        )
    finally:
        await helped.aclose()
    # Then the receiver verified every signature and digest, and the helper stopped with it
    assert [answer.status for answer in sent] == [202] * 5
    assert [ok for ok, _ in receiver.checks] == [True] * 5
    assert signing._executor is None


async def test_sender__a_changed_body_gets_its_own_digest(
    inbox: tuple[Inbox, str], sender: AiohttpSender
) -> None:
    receiver, base = inbox
    # Given one body sent, then another one of the same length
    await sender.post(f"{base}/inbox", BODY, AUTH, TIMEOUT)
    other = BODY.replace(b"/1", b"/2")
    sent = await sender.post(f"{base}/inbox", other, AUTH, TIMEOUT)
    # Then the second verifies too: its digest is its own, not the cached one
    assert sent.status == 202
    assert [ok for ok, _ in receiver.checks] == [True, True]


async def test_sender__refuses_loopback_without_an_allow_list(inbox: tuple[Inbox, str]) -> None:
    receiver, base = inbox
    guarded = AiohttpSender()  # no networks allowed: loopback is forbidden
    try:
        # When it posts to an IP literal, and to a name that resolves to loopback
        with pytest.raises(RefusedAddress):
            await guarded.post(f"{base}/inbox", BODY, AUTH, TIMEOUT)
        port = base.rsplit(":", 1)[1]
        with pytest.raises(RefusedAddress):
            await guarded.post(f"http://localhost:{port}/inbox", BODY, AUTH, TIMEOUT)
    finally:
        await guarded.aclose()
    # Then nothing reached the server
    assert receiver.paths == []


async def test_sender__does_not_follow_redirects(
    inbox: tuple[Inbox, str], sender: AiohttpSender
) -> None:
    receiver, base = inbox
    sent = await sender.post(f"{base}/moved", BODY, AUTH, TIMEOUT)
    assert sent.status == 302
    assert receiver.paths == ["/moved"]


async def test_sender__passes_retry_after_on(
    inbox: tuple[Inbox, str], sender: AiohttpSender
) -> None:
    _, base = inbox
    sent = await sender.post(f"{base}/throttled", BODY, AUTH, TIMEOUT)
    assert (sent.status, sent.retry_after) == (429, "120")


async def test_sender__a_silent_inbox_times_out(
    inbox: tuple[Inbox, str], sender: AiohttpSender
) -> None:
    _, base = inbox
    # Given an inbox that never answers, and a short read timeout
    with pytest.raises(Unreachable, match="Timeout"):
        await sender.post(f"{base}/slow", BODY, AUTH, httpx.Timeout(5, read=0.2))


async def test_sender__a_refused_connection_is_unreachable(sender: AiohttpSender) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(Unreachable, match="ClientConnectorError"):
        await sender.post(f"http://127.0.0.1:{port}/inbox", BODY, AUTH, TIMEOUT)


async def test_sender__does_not_read_a_huge_answer(sender: AiohttpSender) -> None:
    # Given an inbox (a bare socket server) that answers with a 1 GiB body, written until the
    # client goes away
    huge = 1 << 30
    written = 0
    gone = asyncio.Event()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal written
        await reader.readuntil(b"\r\n\r\n")
        writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {huge}\r\n\r\n".encode())
        try:
            while written < huge:
                writer.write(b"x" * 65536)
                await writer.drain()
                written += 65536
        except ConnectionError:
            pass
        finally:
            writer.close()
            gone.set()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        # When the worker's sender posts to it
        sent = await asyncio.wait_for(
            sender.post(f"http://127.0.0.1:{port}/inbox", BODY, AUTH, TIMEOUT), 60
        )
        # Then it has the status, and dropped the connection long before the end of the body
        assert sent.status == 200
        await asyncio.wait_for(gone.wait(), 60)
    assert written < huge // 8


async def test_sender__only_signs_with_a_signing_auth(
    inbox: tuple[Inbox, str], sender: AiohttpSender
) -> None:
    _, base = inbox
    with pytest.raises(TypeError):
        await sender.post(f"{base}/inbox", BODY, httpx.Auth(), TIMEOUT)


@pytest.fixture
async def signer_actor(database: None) -> Actor:
    return await Actor.create(kind=ActorKind.GROUP, username="physics", private_key_pem=RSA_PRIVATE)


async def test_worker_over_aiohttp__delivers_and_records(
    signer_actor: Actor, inbox: tuple[Inbox, str], sender: AiohttpSender
) -> None:
    receiver, base = inbox
    # Given an activity queued for two inboxes, one of which refuses it for good
    await enqueue(
        {"id": "https://lyceum.test/a/1", "type": "Announce"},
        signer_actor.id,
        [
            f"{base}/inbox",
            f"{base}/moved",
        ],
    )
    worker = DeliveryWorker(
        sender, lambda actor: CavageAuth(KEY_ID, actor.private_key_pem), allow_http=True
    )
    # When the worker runs once over the aiohttp sender
    assert await worker.run_once() == 2
    # Then the verified one is done, the redirected one failed with its status
    rows = {row.inbox_url.rsplit("/", 1)[1]: row for row in await Delivery.all()}
    assert (rows["inbox"].state, rows["inbox"].last_status) == (DeliveryState.DONE, 202)
    assert (rows["moved"].state, rows["moved"].last_status) == (DeliveryState.FAILED, 302)
    assert [ok for ok, _ in receiver.checks] == [True]


async def test_worker_over_aiohttp__a_refused_address_is_final(
    signer_actor: Actor, inbox: tuple[Inbox, str]
) -> None:
    receiver, base = inbox
    await enqueue(
        {"id": "https://lyceum.test/a/2", "type": "Announce"}, signer_actor.id, [f"{base}/inbox"]
    )
    guarded = AiohttpSender()
    try:
        worker = DeliveryWorker(
            guarded, lambda actor: CavageAuth(KEY_ID, actor.private_key_pem), allow_http=True
        )
        await worker.run_once()
    finally:
        await guarded.aclose()
    row = await Delivery.get()
    assert row.state == DeliveryState.FAILED
    assert "RefusedAddress" in row.last_error
    assert receiver.paths == []


async def test_runtime__delivers_over_aiohttp_with_the_configured_concurrency(
    tmp_path: Path,
) -> None:
    # Given settings asking for 40 deliveries in flight, signed in 2 helper processes, and
    # allowing loopback
    settings = Settings(
        data_dir=tmp_path,
        delivery_concurrency=40,
        delivery_signing_processes=2,
        federation_allowed_networks="127.0.0.0/8",
    )
    runtime = FederationRuntime(settings)
    try:
        # Then the worker sends over aiohttp, 40 at once, signing in 2 helpers, and fetches
        # stay on httpx
        assert isinstance(runtime.delivery.sender, AiohttpSender)
        assert runtime.delivery.concurrency == 40
        assert runtime.delivery.sender.signing.processes == 2
        assert isinstance(runtime.client, httpx.AsyncClient)
    finally:
        await runtime.aclose()


def test_worker__encodes_a_payload_once_for_all_its_inboxes() -> None:
    worker = DeliveryWorker(AiohttpSender(), lambda actor: httpx.Auth())
    first = Delivery(payload='{"id":"a","content":"é"}', activity_id="a")
    second = Delivery(payload='{"id":"a","content":"é"}', activity_id="a")
    other = Delivery(payload='{"id":"a","content":"e"}', activity_id="a")
    # The same payload gives the very same bytes (so the signer hashes it once); a different
    # payload, even under the same activity id, its own
    assert worker._body(first) is worker._body(second)
    assert worker._body(first) == '{"id":"a","content":"é"}'.encode()
    assert worker._body(other) == b'{"id":"a","content":"e"}'


def test_cli__the_worker_runs_on_uvloop() -> None:
    import uvloop

    from server.cli import _fast_loop_factory

    assert _fast_loop_factory() is uvloop.new_event_loop


async def test_sender__retries_once_when_a_kept_alive_connection_was_closed(
    sender: AiohttpSender,
) -> None:
    # Given a server that answers one request per connection kept alive, then closes the
    # connection without answering the next one (as when its keep-alive ran out just then)
    connections = 0
    answered = 0

    async def serve_one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections, answered
        connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            answered += 1
            writer.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            await reader.readuntil(b"\r\n\r\n")  # the next request on this connection
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve_one, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/inbox"
    async with server:
        # When two deliveries go to it one after the other
        first = await sender.post(url, BODY, AUTH, TIMEOUT)
        second = await sender.post(url, BODY, AUTH, TIMEOUT)
    # Then the second, cut off on the reused connection, went again on a new one
    assert (first.status, second.status) == (202, 202)
    assert (connections, answered) == (2, 2)
