"""The safe fetcher against real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from federation.fetch import (
    BadContentType,
    BadStatus,
    BudgetExhausted,
    FetchBudget,
    Fetcher,
    FetchError,
    Gone,
    IdMismatch,
    NotFound,
    NotJSON,
    RefusedAddress,
    RefusedURL,
    Timeout,
    TooLarge,
    TooManyRedirects,
    Unreachable,
    host_problem,
    make_client,
    origin,
    origin_key,
)
from federation.fetch.transport import USER_AGENT
from federation.httpsig import CavageAuth
from tests.federation._fetch_server import Route, Server, redirect, respond
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
    with pytest.raises(TooManyRedirects) as refusal:
        await _fetch(server.url("/r4"))
    # And the refusal names the hop that would have redirected once more
    assert (str(refusal.value), refusal.value.url) == ("more than 3 redirects", server.url("/r1"))


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
        await _fetch(server.url("/slow"), read_timeout=0.2, total_timeout=3)
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
    with pytest.raises(IdMismatch, match="is not on the origin of"):
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
        with pytest.raises(BudgetExhausted) as refusal:
            await fetcher.fetch_object(server.url("/note"), budget=budget)
    assert len(server.requests) == 2
    assert refusal.value.url == server.url("/note")


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


async def test_fetch_object__stops_reading_a_flood_at_the_cap(server: Server) -> None:
    # Given a server that would stream 64 MB without a Content-Length, counting what it sends
    sent: list[int] = []
    finished = asyncio.Event()

    async def flood(writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b" " * 65536
        total = 0
        try:
            for _ in range(1024):
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
                total += len(chunk)
        except ConnectionError:
            pass  # the reader hung up
        finally:
            sent.append(total)
            finished.set()

    server.routes["/flood"] = flood
    # When fetched with a 100 kB cap
    with pytest.raises(TooLarge, match="more than 100000 bytes"):
        await _fetch(server.url("/flood"), max_bytes=100_000)
    # Then the connection was dropped early: the server got out only what the socket buffers
    # held, far from the 64 MB a full download would have taken
    async with asyncio.timeout(10):
        await finished.wait()
    assert sent[0] < 16 * MB


async def test_fetch_object__the_cap_is_exact(server: Server) -> None:
    # Given documents of exactly the cap and one byte over it, sent without a length
    body = b'{"id": "%s", "type": "Note"}' % server.url("/note").encode()
    cap = len(body)

    def chunked(payload: bytes) -> Route:
        async def route(writer: asyncio.StreamWriter) -> None:
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(payload), payload)
            )
            await writer.drain()

        return route

    server.routes["/note"] = chunked(body)
    server.routes["/over"] = chunked(body + b" ")
    server.routes["/declared"] = respond(body=body + b" ")
    # Then the cap itself is allowed, and one byte more is not, streamed or declared
    assert (await _fetch(server.url("/note"), max_bytes=cap))["type"] == "Note"
    with pytest.raises(TooLarge, match="more than"):
        await _fetch(server.url("/over"), max_bytes=cap)
    with pytest.raises(TooLarge, match="declares"):
        await _fetch(server.url("/declared"), max_bytes=cap)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://[::1/note", "the URL is malformed"),
        ("https://exa mple.org/note", "is not a valid host name"),
        ("https://exa\x00mple.org/note", "is not a valid host name"),
        ("https://" + "a" * 64 + ".org/note", "is not a valid host name"),
        ("https://" + ("a" * 60 + ".") * 5 + "org/note", "is not a valid host name"),
        ("https://a..b/note", "is not a valid host name"),
        ("https://example.org:99999/note", "the URL is malformed"),
        ("https://example.org:-1/note", "the URL is malformed"),
        ("https://example.org:0/note", "the URL names port 0"),
        ("https://xn--zz.org/note", "the URL is malformed"),
        ("https:///note", "the URL has no host"),
        ("https://ada:secret@example.org/note", "the URL carries credentials"),
        ("https://ada@example.org/note", "the URL carries credentials"),
        ("/note", "refused to fetch a relative URL"),
        ("ftp://example.org/note", "refused to fetch a ftp URL"),
        ("javascript:alert(1)", "refused to fetch a javascript URL"),
    ],
)
async def test_fetch_object__refuses_malformed_urls_before_connecting(
    url: str, reason: str
) -> None:
    # Given URLs a remote document could name, When one is fetched
    async with make_client() as client:
        with pytest.raises(RefusedURL) as refusal:
            await Fetcher(client).fetch_object(url)
    # Then it is refused with a reason (the fetcher raises nothing outside its error tree)
    assert reason in str(refusal.value)
    assert refusal.value.url == url


async def test_fetch_object__redirect_to_a_malformed_url_is_a_fetch_error(server: Server) -> None:
    server.routes["/moved"] = redirect("https://[::1/note")
    with pytest.raises(FetchError):
        await _fetch(server.url("/moved"))
    assert len(server.requests) == 1


async def test_fetch_object__redirect_to_another_scheme_is_refused(server: Server) -> None:
    server.routes["/moved"] = redirect("file:///etc/passwd")
    with pytest.raises(RefusedURL, match="refused to fetch a file URL"):
        await _fetch(server.url("/moved"))
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    "host",
    [
        *("example.org", "EXAMPLE.org", "example.org.", "exa_mple.org", "a-b.example", "例え.jp"),
        *("127.0.0.1", "::1", "a" * 63 + ".org", ".".join(["a" * 62] * 4)),
        ".".join(["a" * 63] * 3 + ["a" * 61]),  # 253 characters, the most a name may have
    ],
)
def test_host_problem__accepts_real_names_and_addresses(host: str) -> None:
    assert host_problem(host) is None


@pytest.mark.parametrize(
    "host",
    [
        *("", "exa mple.org", "a\x00b", "a..b", ".a", "a" * 64 + ".org", ".".join(["a" * 63] * 4)),
        *("ex/ample.org", "ex:ample", "[::1]", "ex%41mple.org"),
    ],
)
def test_host_problem__refuses_what_names_no_server(host: str) -> None:
    problem = host_problem(host)
    assert problem is not None
    assert problem.endswith("is not a valid host name")


@pytest.mark.parametrize(
    ("host", "shown"),
    [
        ("a..b", "a..b"),
        ("a" * 64, "a" * 64),
        ("a" * 65, "a" * 64 + "…"),
        ("a" * 300 + "\x00", "a" * 64 + "…"),
    ],
    ids=["short", "64", "65", "long"],
)
def test_host_problem__quotes_at_most_64_characters_of_the_host(host: str, shown: str) -> None:
    # Given a host a peer chose, When it is refused, Then the reason quotes it whole up to 64
    # characters and cut off beyond, so a peer cannot fill our logs through the hosts it names
    assert host_problem(host) == f"{shown!r} is not a valid host name"


async def test_fetch_object__a_deeply_nested_document_is_not_json(server: Server) -> None:
    # Given a key or actor document nested 10,000 levels deep (Python's parser would overflow)
    deep = b'{"id": "x", "a": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    server.routes["/deep"] = respond(body=deep)
    # When fetched, Then it is refused as no readable JSON, like any other broken document
    with pytest.raises(NotJSON, match="did not return JSON"):
        await _fetch(server.url("/deep"))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.example/x", ("https", "a.example", 443)),
        ("HTTP://A.Example/x", ("http", "a.example", 80)),
        ("https://a.example:8443/x", ("https", "a.example", 8443)),
        ("https://a.example:99999/x", ("https", "a.example", None)),
        ("gopher://a.example/x", ("gopher", "a.example", None)),
    ],
)
def test_origin__makes_the_default_port_explicit(
    url: str, expected: tuple[str, str, int | None]
) -> None:
    assert origin(url) == expected
    assert origin_key(url) == "{}://{}:{}".format(*expected)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/ld+json",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams https://x.example"',
        "Application/Activity+JSON ; charset=utf-8",
        # parameters separated without spaces, the profile not last
        'application/ld+json;profile="https://www.w3.org/ns/activitystreams";charset=utf-8',
    ],
)
async def test_fetch_object__accepts_the_activitystreams_spellings(
    server: Server, content_type: str
) -> None:
    server.routes["/note"] = respond(body=_note(server), content_type=content_type)
    assert (await _fetch(server.url("/note")))["type"] == "Note"


async def test_fetch_object__a_refused_hop_names_its_url(server: Server) -> None:
    # Given a redirect to a loopback address the allow-list does not admit
    target = server.url("/note", host="127.0.0.2")
    server.routes["/note"] = redirect(target)
    # When fetched, Then the refusal names the hop that was refused
    with pytest.raises(RefusedAddress) as refusal:
        await _fetch(server.url("/note"))
    assert refusal.value.url == target


async def test_fetch_object__a_closed_port_is_unreachable() -> None:
    # Given a loopback port nobody listens on
    async with Server() as gone:
        url = gone.url("/note")
    # When fetched, Then it is Unreachable, naming the URL
    with pytest.raises(Unreachable, match="is unreachable") as error:
        await _fetch(url)
    assert error.value.url == url


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_fetch_object__follows_each_redirect_status(server: Server, status: int) -> None:
    server.routes["/note"] = respond(body=_note(server))
    server.routes["/moved"] = respond(status, headers={"Location": "/note"}, content_type="")
    assert (await _fetch(server.url("/moved")))["type"] == "Note"


@pytest.mark.parametrize(("status", "location"), [(302, None), (300, "/note"), (304, "/note")])
async def test_fetch_object__other_answers_are_bad_statuses(
    server: Server, status: int, location: str | None
) -> None:
    # Given a redirect without a Location, and statuses that are neither redirect nor success
    headers = {"Location": location} if location else {}
    server.routes["/x"] = respond(status, headers=headers, content_type="")
    # Then each is a BadStatus carrying the status
    with pytest.raises(BadStatus) as error:
        await _fetch(server.url("/x"))
    assert error.value.status_code == status


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[1, 2]", "did not return a JSON object"),
        (b'"text"', "did not return a JSON object"),
        (b'{"id": "\xff\xfe"}', "did not return JSON"),
        (b"", "did not return JSON"),
        (b"{", "did not return JSON"),
    ],
)
async def test_fetch_object__refuses_what_is_no_json_object(
    server: Server, body: bytes, reason: str
) -> None:
    server.routes["/x"] = respond(body=body)
    with pytest.raises(NotJSON, match=reason):
        await _fetch(server.url("/x"))


async def test_fetch_object__a_body_broken_off_is_unreachable(server: Server) -> None:
    # Given a server that promises 100 bytes, sends 10 and hangs up
    async def broken(writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\n"
            b"Content-Length: 100\r\n\r\n" + b"{" * 10
        )
        await writer.drain()
        writer.close()

    server.routes["/x"] = broken
    with pytest.raises(Unreachable, match="broke off") as error:
        await _fetch(server.url("/x"))
    assert error.value.url == server.url("/x")


async def test_fetch_object__a_body_that_stalls_times_out(server: Server) -> None:
    # Given a server that sends its headers and part of the body, then nothing
    never = asyncio.Event()

    async def stalled(writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\n"
            b"Content-Length: 100\r\n\r\n{"
        )
        await writer.drain()
        await never.wait()

    server.routes["/x"] = stalled
    with pytest.raises(Timeout, match="stalled while sending its body") as error:
        await _fetch(server.url("/x"), read_timeout=0.2)
    assert error.value.url == server.url("/x")


async def test_fetch_object__says_who_is_asking(server: Server) -> None:
    server.routes["/note"] = respond(body=_note(server))
    await _fetch(server.url("/note"))
    assert server.requests[0][1]["user-agent"] == USER_AGENT


def _chunked(payload: bytes) -> Route:
    async def route(writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(payload), payload)
        )
        await writer.drain()

    return route


@pytest.mark.parametrize(
    ("route", "error"),
    [
        (respond(410), Gone),
        (respond(404), NotFound),
        (respond(500), BadStatus),
        (respond(body={"id": "x"}, content_type="text/html"), BadContentType),
        (respond(body=b"{"), NotJSON),
        (respond(body=b"[]"), NotJSON),
        (respond(body=b" " * 200), TooLarge),
        (_chunked(b" " * 200), TooLarge),
        (respond(body={"id": "https://elsewhere.example/x"}), IdMismatch),
    ],
    ids=[
        "gone",
        "not-found",
        "status",
        "type",
        "not-json",
        "not-object",
        "declared",
        "streamed",
        "id",
    ],
)
async def test_fetch_object__every_error_names_the_url(
    server: Server, route: Route, error: type[FetchError]
) -> None:
    server.routes["/x"] = route
    with pytest.raises(error) as raised:
        await _fetch(server.url("/x"), max_bytes=100)
    assert raised.value.url == server.url("/x")
    assert str(raised.value).startswith(server.url("/x")) or error is IdMismatch


async def test_fetch_object__a_declared_length_of_exactly_the_cap_is_read(server: Server) -> None:
    body = json.dumps(_note(server)).encode()
    server.routes["/note"] = respond(body=body)
    assert (await _fetch(server.url("/note"), max_bytes=len(body)))["type"] == "Note"


async def test_fetch_object__an_untyped_answer_says_so(server: Server) -> None:
    server.routes["/note"] = respond(body=_note(server), content_type="")
    with pytest.raises(BadContentType, match="is untyped, not application/activity"):
        await _fetch(server.url("/note"))


def test_fetch_budget__allows_twenty_requests_by_default() -> None:
    # Given a fresh budget, When 20 requests are spent, Then the 21st is refused
    budget = FetchBudget()
    for _ in range(20):
        budget.spend("https://a.example/x")
    assert budget.remaining == 0
    with pytest.raises(BudgetExhausted, match="fetch budget of 20 requests spent") as refusal:
        budget.spend()
    assert refusal.value.url == ""
    with pytest.raises(BudgetExhausted) as named:
        budget.spend("https://a.example/y")
    assert named.value.url == "https://a.example/y"


def test_origin__of_a_url_without_host() -> None:
    assert origin("https:///x") == ("https", "", 443)


async def test_fetch_object__a_document_read_in_many_pieces_is_whole(server: Server) -> None:
    # Given a 600 kB document (under the cap), which arrives in many reads
    note = {**_note(server), "content": "x" * 600_000}
    server.routes["/note"] = respond(body=note)
    # When fetched, Then it is read whole
    assert (await _fetch(server.url("/note")))["content"] == note["content"]


@pytest.mark.parametrize(
    "content_type",
    [
        'application/ld+json; charset=utf-8; profile="http://www.w3.org/ns/json-ld#compacted"',
        'application/ld+json;profile="https://example.org/p?x=1"',
        "application/ld+json; profile=https://example.org/other",
    ],
)
async def test_fetch_object__ld_json_with_another_profile_is_refused(
    server: Server, content_type: str
) -> None:
    server.routes["/note"] = respond(body=_note(server), content_type=content_type)
    with pytest.raises(BadContentType, match="is ld\\+json with profile") as error:
        await _fetch(server.url("/note"))
    assert error.value.url == server.url("/note")
