"""The fetcher's default limits, seen from the requests it makes and the answers it refuses.

A stub transport stands in for the network: these are about what the fetcher asks of httpx,
not about sockets (test_fetch_fetcher.py covers those against a real loopback server).
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from federation.fetch import Fetcher, IdMismatch, Timeout, TooLarge, Unreachable

URL = "https://remote.example/note"
MB = 1_000_000


def _client(handler: httpx.MockTransport) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=handler)


def _document(size: int) -> bytes:
    """A note on URL's origin whose JSON text is exactly `size` bytes."""
    empty = json.dumps({"id": URL, "type": "Note", "content": ""}).encode()
    return json.dumps({"id": URL, "type": "Note", "content": "x" * (size - len(empty))}).encode()


def _serve(body: bytes) -> httpx.MockTransport:
    return httpx.MockTransport(
        lambda request: httpx.Response(
            200, content=body, headers={"Content-Type": "application/activity+json"}
        )
    )


async def test_fetcher__gives_up_on_a_silent_peer_after_the_default_timeouts() -> None:
    # Given a fetcher with its default limits, recording the timeouts of each request
    seen: list[dict[str, float | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(
            200, json={"id": URL}, headers={"Content-Type": "application/activity+json"}
        )

    # When a document is fetched
    async with _client(httpx.MockTransport(handler)) as client:
        fetcher = Fetcher(client)
        await fetcher.fetch_object(URL)
    # Then a connection must open within 5 s, and the peer may not fall silent for more than
    # 10 s while we send or read, so a stalled server holds a worker only that long
    assert seen == [{"connect": 5.0, "read": 10.0, "write": 10.0, "pool": 5.0}]
    # And the whole fetch, redirects included, ends after 30 s however the peer trickles
    assert fetcher.total_timeout == 30.0


async def test_fetcher__reads_up_to_one_megabyte_by_default() -> None:
    # Given documents of exactly 1 MB and of one byte more
    async with _client(_serve(_document(MB))) as client:
        # When fetched with the default cap, Then a 1 MB actor (long bios, many keys) is read
        fetched = await Fetcher(client).fetch_object(URL)
    assert fetched.data["type"] == "Note"
    async with _client(_serve(_document(MB + 1))) as client:
        # And one byte more is refused, bounding what one peer can make us hold in memory
        with pytest.raises(TooLarge) as refusal:
            await Fetcher(client).fetch_object(URL)
    assert refusal.value.url == URL


async def test_fetcher__a_timeout_names_the_url() -> None:
    # Given a transport whose reads time out
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("silent", request=request)

    # When fetched, Then the Timeout says which URL timed out (for logs and retries)
    async with _client(httpx.MockTransport(handler)) as client:
        with pytest.raises(Timeout) as error:
            await Fetcher(client).fetch_object(URL)
    assert error.value.url == URL


async def test_fetcher__the_total_deadline_names_the_url() -> None:
    # Given a transport that never answers
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("never answered")

    # When fetched with a short total deadline, Then the Timeout names the URL
    async with _client(httpx.MockTransport(handler)) as client:
        with pytest.raises(Timeout) as error:
            await Fetcher(client, total_timeout=0.05).fetch_object(URL)
    assert error.value.url == URL


async def test_fetcher__an_unreachable_peer_names_the_url() -> None:
    # Given a transport whose connections are refused
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    # When fetched, Then Unreachable names the URL
    async with _client(httpx.MockTransport(handler)) as client:
        with pytest.raises(Unreachable) as error:
            await Fetcher(client).fetch_object(URL)
    assert error.value.url == URL


async def test_fetcher__allowing_http_still_fetches_https() -> None:
    # Given a fetcher allowed plain http (tests, LAN deployments)
    async with _client(_serve(_document(100))) as client:
        # When an https URL is fetched, Then https stays allowed alongside http
        fetched = await Fetcher(client, allow_http=True).fetch_object(URL)
    assert fetched.url == URL


@pytest.mark.parametrize(
    ("document", "exact"),
    [({"type": "Note"}, False), ({"id": URL + "#other", "type": "Note"}, True)],
    ids=["no-id", "not-exact"],
)
async def test_fetch_object__an_id_mismatch_names_the_url(
    document: dict[str, str], exact: bool
) -> None:
    # Given a document without an id, or with one other than its URL where that is required
    body = json.dumps(document).encode()
    async with _client(_serve(body)) as client:
        # When fetched, Then the refusal names the URL the document came from
        with pytest.raises(IdMismatch) as refusal:
            await Fetcher(client).fetch_object(URL, require_exact_id=exact)
    assert refusal.value.url == URL
