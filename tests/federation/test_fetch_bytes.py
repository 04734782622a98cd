"""`Fetcher.get_bytes`: a raw body (the media proxy's images) of an accepted type, capped.

A stub transport stands in for the network; redirects and caps are the fetcher's own.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from federation.fetch import BadContentType, Fetcher, Timeout, TooLarge

URL = "https://remote.example/avatar"
IMAGES = frozenset({"image/png", "image/jpeg"})
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 92


def _client(routes: dict[str, httpx.Response], seen: list[httpx.Request]) -> httpx.AsyncClient:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return routes[str(request.url)]

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


def _png(body: bytes = PNG, content_type: str = "image/png") -> httpx.Response:
    return httpx.Response(200, content=body, headers={"Content-Type": content_type})


async def test_get_bytes__returns_the_body_and_its_media_type() -> None:
    # Given an image served with parameters on its type, behind a redirect
    seen: list[httpx.Request] = []
    final = "https://cdn.example/avatar.png"
    routes = {
        URL: httpx.Response(302, headers={"Location": final}),
        final: _png(content_type="Image/PNG; charset=binary"),
    }
    # When fetched
    async with _client(routes, seen) as client:
        fetched = await Fetcher(client).get_bytes(URL, accept="image/*", media_types=IMAGES)
    # Then the body comes back whole, from the final URL, with its bare media type
    assert (fetched.url, fetched.media_type, fetched.body) == (final, "image/png", PNG)
    # And each hop asked for what the caller accepts, unsigned
    assert [str(request.url) for request in seen] == [URL, final]
    assert [(request.method, request.headers["Accept"]) for request in seen] == [
        ("GET", "image/*"),
        ("GET", "image/*"),
    ]
    assert all("Signature" not in request.headers for request in seen)


async def test_get_bytes__refuses_other_media_types() -> None:
    # Given a page where an image was expected
    routes = {URL: _png(b"<html></html>", content_type="text/html")}
    async with _client(routes, []) as client:
        # When fetched, Then it is refused, naming the URL
        with pytest.raises(BadContentType) as refusal:
            await Fetcher(client).get_bytes(URL, accept="image/*", media_types=IMAGES)
    assert refusal.value.url == URL


async def test_get_bytes__is_capped_by_the_fetchers_cap_by_default() -> None:
    # Given a fetcher capped at 50 bytes, and a 100-byte image
    routes = {URL: _png()}
    async with _client(routes, []) as client:
        fetcher = Fetcher(client, max_bytes=50)
        # When fetched without a cap of its own, Then the fetcher's cap applies
        with pytest.raises(TooLarge) as refusal:
            await fetcher.get_bytes(URL, accept="image/*", media_types=IMAGES)
        assert refusal.value.url == URL
        # And exactly the size of the body is still read
        fetched = await fetcher.get_bytes(
            URL, accept="image/*", media_types=IMAGES, max_bytes=len(PNG)
        )
    assert fetched.body == PNG


async def test_get_bytes__takes_its_own_cap() -> None:
    # Given a fetcher with a generous cap, and a caller allowing only 99 bytes
    routes = {URL: _png()}
    async with _client(routes, []) as client:
        # When a 100-byte image is fetched, Then the caller's smaller cap applies
        with pytest.raises(TooLarge):
            await Fetcher(client).get_bytes(
                URL, accept="image/*", media_types=IMAGES, max_bytes=len(PNG) - 1
            )


async def test_get_bytes__the_total_deadline_names_the_url() -> None:
    # Given a transport that never answers
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("never answered")

    # When fetched with a short total deadline, Then the Timeout names the URL
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(Timeout) as error:
            await Fetcher(client, total_timeout=0.05).get_bytes(
                URL, accept="image/*", media_types=IMAGES
            )
    assert error.value.url == URL
