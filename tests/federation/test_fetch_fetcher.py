"""The safe fetcher against real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from federation.fetch import (
    BadContentType,
    BadStatus,
    BudgetExhausted,
    FetchBudget,
    Fetcher,
    Gone,
    IdMismatch,
    NotFound,
    NotJSON,
    RefusedAddress,
    RefusedURL,
    Timeout,
    TooLarge,
    TooManyRedirects,
    make_client,
)
from federation.httpsig import CavageAuth
from tests.federation._fetch_server import Server, redirect, respond
from tests.federation._httpsig_vectors import RSA_PRIVATE

LOOPBACK = ["127.0.0.1/32"]
MB = 1_000_000


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    async with Server() as running:
        yield running


async def _fetch(url: str, *, allowed: list[str] = LOOPBACK, **options: Any) -> dict[str, Any]:
    async with make_client(allowed_networks=allowed) as client:
        fetcher = Fetcher(client, allow_http=True, **options)
        return (await fetcher.fetch_object(url)).data


def _note(server: Server, path: str = "/note") -> dict[str, Any]:
    return {"id": server.url(path), "type": "Note", "content": "hello"}


async def test_fetch_object__allow_list_admits_loopback(server: Server) -> None:
    # Given a document served on 127.0.0.1, and an allow-list naming it
    server.routes["/note"] = respond(body=_note(server))
    # When it is fetched
    data = await _fetch(server.url("/note"))
    # Then it arrives, asked for as ActivityStreams
    assert data["content"] == "hello"
    assert server.requests[0][1]["accept"].startswith("application/activity+json")


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "0.0.0.0", "[::ffff:127.0.0.1]", "[::1]", "169.254.169.254"],
)
async def test_fetch_object__refuses_special_addresses_by_default(
    server: Server, host: str
) -> None:
    # Given a server that would answer, When a URL naming a special address is fetched
    server.routes["/note"] = respond(body=_note(server))
    with pytest.raises(RefusedAddress) as refusal:
        await _fetch(server.url("/note", host=host), allowed=[], connect_timeout=0.5)
    # Then it is refused before any connection is made
    assert "refused to connect" in str(refusal.value)
    assert server.connections == 0


async def test_fetch_object__refuses_plain_http_without_the_flag(server: Server) -> None:
    # Given allow_http off, When an http URL is fetched, Then nothing is requested
    async with make_client(allowed_networks=LOOPBACK) as client:
        with pytest.raises(RefusedURL):
            await Fetcher(client).fetch_object(server.url("/note"))
    assert server.connections == 0


async def test_fetch_object__redirect_to_a_private_address_is_refused(server: Server) -> None:
    # Given an allowed server that redirects to another loopback address (not allowed)
    server.routes["/note"] = redirect(server.url("/note", host="127.0.0.2"))
    # When fetched, Then the second hop is refused and only the first request was made
    with pytest.raises(RefusedAddress):
        await _fetch(server.url("/note"))
    assert [path for path, _ in server.requests] == ["/note"]


async def test_fetch_object__follows_three_redirects_but_not_four(server: Server) -> None:
    # Given a chain of redirects /r4 -> /r3 -> /r2 -> /r1 -> /note
    server.routes["/note"] = respond(body=_note(server))
    for hop in range(1, 5):
        server.routes[f"/r{hop}"] = redirect("/note" if hop == 1 else f"/r{hop - 1}")
    # When fetched, Then three redirects are followed and four are too many
    assert (await _fetch(server.url("/r3")))["type"] == "Note"
    with pytest.raises(TooManyRedirects):
        await _fetch(server.url("/r4"))


async def test_fetch_object__refuses_a_body_over_the_cap(server: Server) -> None:
    # Given a 1.1 MB document with an honest Content-Length
    server.routes["/big"] = respond(body=b"[" + b" " * (MB + 100_000) + b"]")
    # When fetched, Then it is refused as too large without reading it
    with pytest.raises(TooLarge, match="declares"):
        await _fetch(server.url("/big"))


async def test_fetch_object__refuses_a_chunked_body_over_the_cap(server: Server) -> None:
    # Given a server that streams 64 KB chunks without a Content-Length, and never stops
    async def flood(writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b" " * 65536
        for _ in range(40):  # 2.6 MB, well past the cap
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
        writer.write(b"0\r\n\r\n")

    server.routes["/flood"] = flood
    # When fetched, Then reading stops at the cap
    with pytest.raises(TooLarge, match="more than"):
        await _fetch(server.url("/flood"))


async def test_fetch_object__a_lying_content_length_reads_no_further(server: Server) -> None:
    # Given a server that declares 20 bytes and sends 2 MB
    async def liar(writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\n"
            b"Content-Length: 20\r\n\r\n" + b"{" + b" " * 2 * MB
        )
        await writer.drain()
        writer.close()

    server.routes["/liar"] = liar
    # When fetched, Then only the declared 20 bytes are read, which are no JSON document
    with pytest.raises(NotJSON):
        await _fetch(server.url("/liar"))


async def test_fetch_object__slow_server_times_out(server: Server) -> None:
    # Given a server that never answers
    never = asyncio.Event()

    async def silent(writer: asyncio.StreamWriter) -> None:
        await never.wait()

    server.routes["/slow"] = silent
    # When fetched with a short read timeout, and separately a short total deadline
    # Then both end in Timeout
    with pytest.raises(Timeout, match="ReadTimeout"):
        await _fetch(server.url("/slow"), read_timeout=0.2)
    with pytest.raises(Timeout, match=r"longer than 0\.2 s"):
        await _fetch(server.url("/slow"), total_timeout=0.2)


@pytest.mark.parametrize(
    "content_type",
    [
        "text/html; charset=utf-8",
        "application/json",
        'application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted"',
        "",
    ],
)
async def test_fetch_object__refuses_non_activitystreams_types(
    server: Server, content_type: str
) -> None:
    # Given a document served with another media type
    server.routes["/note"] = respond(body=_note(server), content_type=content_type)
    # When fetched, Then it is refused
    with pytest.raises(BadContentType):
        await _fetch(server.url("/note"))


async def test_fetch_object__accepts_ld_json_with_the_as_profile(server: Server) -> None:
    # Given the long form of the AS2 media type
    content_type = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
    server.routes["/note"] = respond(body=_note(server), content_type=content_type)
    # When fetched, Then it is accepted
    assert (await _fetch(server.url("/note")))["type"] == "Note"


async def test_fetch_object__id_must_be_on_the_final_origin(server: Server) -> None:
    # Given documents claiming ids elsewhere, or none
    server.routes["/spoof"] = respond(body={"id": "https://mastodon.example/users/ada"})
    server.routes["/anon"] = respond(body={"type": "Note"})
    server.routes["/other"] = respond(body=_note(server, "/elsewhere"))
    # Then foreign and missing ids are refused; another path on the origin is fine
    with pytest.raises(IdMismatch):
        await _fetch(server.url("/spoof"))
    with pytest.raises(IdMismatch):
        await _fetch(server.url("/anon"))
    assert await _fetch(server.url("/other"))
    # And the exact check refuses the other path
    async with make_client(allowed_networks=LOOPBACK) as client:
        fetcher = Fetcher(client, allow_http=True)
        with pytest.raises(IdMismatch):
            await fetcher.fetch_object(server.url("/other"), require_exact_id=True)


@pytest.mark.parametrize(
    ("status", "error"), [(410, Gone), (404, NotFound), (500, BadStatus), (401, BadStatus)]
)
async def test_fetch_object__maps_statuses(
    server: Server, status: int, error: type[BadStatus]
) -> None:
    # Given a server answering with an error status
    server.routes["/note"] = respond(status, body={"type": "Tombstone"})
    # When fetched, Then the status becomes a typed error carrying it
    with pytest.raises(error) as raised:
        await _fetch(server.url("/note"))
    assert raised.value.status_code == status


async def test_fetch_object__budget_limits_requests(server: Server) -> None:
    # Given a budget of two requests, and a document behind one redirect
    server.routes["/note"] = respond(body=_note(server))
    server.routes["/moved"] = redirect("/note")
    budget = FetchBudget(limit=2)
    async with make_client(allowed_networks=LOOPBACK) as client:
        fetcher = Fetcher(client, allow_http=True)
        # When the redirected document is fetched, Then both hops are spent
        await fetcher.fetch_object(server.url("/moved"), budget=budget)
        assert budget.remaining == 0
        # And the next fetch is refused without a request
        with pytest.raises(BudgetExhausted):
            await fetcher.fetch_object(server.url("/note"), budget=budget)
    assert len(server.requests) == 2


async def test_fetch_object__signs_when_given_an_auth(server: Server) -> None:
    # Given an instance-actor signer
    server.routes["/note"] = respond(body=_note(server))
    auth = CavageAuth("https://lyceum.example/actor#main-key", RSA_PRIVATE)
    # When fetching with it
    async with make_client(allowed_networks=LOOPBACK) as client:
        await Fetcher(client, allow_http=True).fetch_object(server.url("/note"), auth=auth)
    # Then the request carried a signature over the accept header
    signature = server.requests[0][1]["signature"]
    assert 'headers="(request-target) host date accept"' in signature


async def test_get_json__takes_other_media_types(server: Server) -> None:
    # Given a WebFinger-style answer
    server.routes["/wf"] = respond(
        body={"subject": "acct:a@b"}, content_type="application/jrd+json"
    )
    # When fetched as JSON with that media type, Then it arrives without an id check
    async with make_client(allowed_networks=LOOPBACK) as client:
        fetched = await Fetcher(client, allow_http=True).get_json(
            server.url("/wf"), accept="application/jrd+json", media_types={"application/jrd+json"}
        )
    assert fetched.data == {"subject": "acct:a@b"}
