"""The media proxy against an image server on 127.0.0.1: what it serves, caches and refuses."""

from __future__ import annotations

import asyncio
import hashlib
import io
import struct
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from PIL import Image
from starlette.applications import Starlette

from federation.media_cache import MediaCache
from federation.media_proxy import MAX_PIXELS, image_refusal, image_type
from server.app import create_app
from server.media_urls import PROXY_PREFIX, media_url
from server.settings import Settings
from tests.conftest import BASE_URL
from tests.federation._fetch_server import Server, redirect, respond
from tests.helpers import log_in, make_account

BROWSER_ACCEPT = "image/avif,image/webp,image/png,*/*;q=0.8"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def _image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(out, kind)
    return out.getvalue()


PNG = _image("PNG")


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims `width` x `height` pixels in a few bytes (what a decompression bomb
    looks like before it is unpacked)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    async with Server() as running:
        yield running


Proxy = Callable[..., Awaitable[tuple[Starlette, httpx.AsyncClient]]]


@pytest.fixture
async def proxy(settings: Settings, database: None) -> AsyncIterator[Proxy]:
    """Builds an app whose fetcher may reach loopback over http (unless told otherwise)."""
    apps: list[Starlette] = []
    clients: list[httpx.AsyncClient] = []

    async def build(**update: Any) -> tuple[Starlette, httpx.AsyncClient]:
        options = {
            "federation_allow_http": True,
            "federation_allowed_networks": "127.0.0.1/32",
            **update,
        }
        app = create_app(settings.model_copy(update=options), manage_database=False)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url=BASE_URL,
            headers={"Accept": BROWSER_ACCEPT},
        )
        apps.append(app)
        clients.append(client)
        return app, client

    yield build
    for client in clients:
        await client.aclose()
    for app in apps:
        await app.state.federation.aclose()


def _path(app: Starlette, url: str) -> str:
    path = media_url(app.state.settings, url)
    assert path.startswith(PROXY_PREFIX)
    return path


async def test_media_proxy__serves_a_remote_image_with_safe_headers(
    proxy: Proxy, server: Server
) -> None:
    # Given a remote PNG (declared as JPEG, as careless servers do)
    server.routes["/a.png"] = respond(body=PNG, content_type="image/jpeg")
    app, client = await proxy()
    # When a page's proxy URL for it is requested
    response = await client.get(_path(app, server.url("/a.png")))
    # Then the image is served, typed by what it is, and boxed in
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert response.headers["content-disposition"] == "inline"
    assert response.headers["cache-control"].startswith("public, max-age=")
    # And the remote server was asked for an image
    assert server.requests[0][1]["accept"].startswith("image/")


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "GIF", "WEBP", "AVIF"])
def test_image_type__knows_each_served_format(kind: str) -> None:
    assert image_type(_image(kind)) == f"image/{kind.lower()}"


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "GIF", "WEBP", "AVIF"])
def test_image_refusal__accepts_each_served_format(kind: str) -> None:
    assert image_refusal(_image(kind)) is None


def test_image_refusal__counts_pixels_not_bytes() -> None:
    # Given headers claiming 8K exactly, one row more, and a size Pillow calls a bomb
    width = 7680
    headers = [
        _png_header(width, MAX_PIXELS // width),
        _png_header(width, MAX_PIXELS // width + 1),
        _png_header(20_000, 20_000),
    ]
    # Then only the first is accepted, and the others are refused as too large
    statuses = [getattr(image_refusal(header), "status", None) for header in headers]
    assert statuses == [None, 413, 413]


@pytest.mark.parametrize(
    "body",
    [
        b"\x89PNG\r\n\x1a\n" + b"garbage" * 10,  # the signature, then nothing a PNG holds
        b"\xff\xd8\xff" + b"\0" * 40,
        b"GIF89a",
        _image("PNG")[:20],
    ],
)
def test_image_refusal__right_first_bytes_but_no_image(body: bytes) -> None:
    refusal = image_refusal(body)
    assert refusal is not None
    assert refusal.status == 415


def test_image_type__avif_named_among_compatible_brands() -> None:
    # Given an ftyp box whose major brand is mif1 and which lists avif later
    box = b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00miafMA1Bavif"
    assert image_type(box + b"\x00" * 16) == "image/avif"
    assert image_type(box.replace(b"avif", b"heic") + b"\x00" * 16) is None


@pytest.mark.parametrize("body", [SVG, b"<html>hi</html>", b"", b"GIF8", b"RIFF\0\0\0\0WAVE"])
def test_image_type__refuses_everything_else(body: bytes) -> None:
    assert image_type(body) is None


async def test_media_proxy__second_request_comes_from_the_cache(
    proxy: Proxy, server: Server
) -> None:
    # Given a remote PNG fetched once
    server.routes["/a.png"] = respond(body=PNG, content_type="image/png")
    app, client = await proxy()
    path = _path(app, server.url("/a.png"))
    assert (await client.get(path)).status_code == 200
    # When it is asked for again, by this process and by another one sharing the data dir
    _, other = await proxy()
    again = [await client.get(path), await other.get(path)]
    # Then both are served from disk without asking the remote server again
    assert [r.content for r in again] == [PNG, PNG]
    assert len(server.requests) == 1
    assert (app.state.settings.media_cache_dir).is_dir()


async def test_media_proxy__a_damaged_cache_file_is_fetched_anew(
    proxy: Proxy, server: Server
) -> None:
    # Given a cached image whose file was damaged on disk
    server.routes["/a.png"] = respond(body=PNG, content_type="image/png")
    app, client = await proxy()
    url = server.url("/a.png")
    await client.get(_path(app, url))
    cached = app.state.settings.media_cache_dir.rglob(hashlib.sha256(url.encode()).hexdigest())
    next(cached).write_bytes(b"<html>not an image</html>")
    # When it is asked for, Then the remote image is fetched and served again
    response = await client.get(_path(app, url))
    assert response.content == PNG
    assert len(server.requests) == 2


async def test_media_proxy__simultaneous_requests_fetch_once(
    proxy: Proxy, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a remote server that holds its answer until told
    release, all_waiting = asyncio.Event(), asyncio.Event()
    lookups = 0

    def check() -> None:
        if lookups >= 5 and server.requests:
            all_waiting.set()

    async def slow(writer: asyncio.StreamWriter) -> None:
        check()
        await release.wait()
        await respond(body=PNG, content_type="image/png")(writer)

    server.routes["/a.png"] = slow
    app, client = await proxy()
    path = _path(app, server.url("/a.png"))
    real_get = MediaCache.get

    async def counting_get(cache: MediaCache, key: str) -> bytes | None:
        nonlocal lookups
        lookups += 1
        check()
        return await real_get(cache, key)

    monkeypatch.setattr(MediaCache, "get", counting_get)
    # When five requests arrive together, and all have looked in the cache while the first
    # one's fetch is under way
    requests = [asyncio.create_task(client.get(path)) for _ in range(5)]
    async with asyncio.timeout(10):
        await all_waiting.wait()
    release.set()
    responses = await asyncio.gather(*requests)
    # Then all are served and the remote server was asked once
    assert [r.status_code for r in responses] == [200] * 5
    assert len(server.requests) == 1


async def test_media_proxy__wrong_signature_is_403_and_fetches_nothing(
    proxy: Proxy, server: Server
) -> None:
    # Given a proxy path whose signature was made for another URL
    server.routes["/a.png"] = respond(body=PNG, content_type="image/png")
    app, client = await proxy()
    _, encoded = _path(app, server.url("/a.png")).removeprefix(PROXY_PREFIX).split("/")
    signature, _ = _path(app, server.url("/b.png")).removeprefix(PROXY_PREFIX).split("/")
    # When it is requested, Then it is refused and nothing is fetched
    response = await client.get(f"{PROXY_PREFIX}{signature}/{encoded}")
    assert response.status_code == 403
    assert "not made by this server" in response.text
    assert server.connections == 0


async def test_media_proxy__unreadable_path_is_400(proxy: Proxy) -> None:
    _, client = await proxy()
    response = await client.get(f"{PROXY_PREFIX}abc/%%%")
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<html><script>alert(1)</script></html>", "text/html"),
        (SVG, "image/svg+xml"),
        (SVG, "image/png"),  # a declared image that is not one
        (b"<html>x</html>", "image/gif"),
        (PNG, ""),
    ],
)
async def test_media_proxy__refuses_what_is_not_a_raster_image_with_415(
    proxy: Proxy, server: Server, body: bytes, content_type: str
) -> None:
    # Given a remote file that is not (or is not declared as) a PNG, JPEG, GIF, WebP or AVIF
    server.routes["/f"] = respond(body=body, content_type=content_type)
    app, client = await proxy()
    # When it is asked for through the proxy
    response = await client.get(_path(app, server.url("/f")))
    # Then it is refused as the wrong type, as plain text, and nothing is cached
    assert response.status_code == 415
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert not any(p.is_file() for p in app.state.settings.media_cache_dir.rglob("*"))


async def test_media_proxy__too_large_is_413_without_reading_it_all(
    proxy: Proxy, server: Server
) -> None:
    # Given a remote "PNG" streamed without a length, 64 MB long
    sent = 0

    async def flood(writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = PNG[:8] + b"\0" * (65536 - 8)
        for _ in range(1024):
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
            sent += len(chunk)
        writer.write(b"0\r\n\r\n")

    server.routes["/big.png"] = flood
    app, client = await proxy(media_proxy_max_bytes=1024 * 1024)
    # When it is asked for through a proxy with a 1 MB cap
    response = await client.get(_path(app, server.url("/big.png")))
    # Then it is refused, and the proxy stopped reading long before the end
    assert response.status_code == 413
    assert sent < 32 * 1024 * 1024


async def test_media_proxy__declared_too_large_is_413(proxy: Proxy, server: Server) -> None:
    # Given a remote PNG whose Content-Length is one byte over the cap
    server.routes["/big.png"] = respond(body=PNG, content_type="image/png")
    app, client = await proxy(media_proxy_max_bytes=len(PNG) - 1)
    response = await client.get(_path(app, server.url("/big.png")))
    assert response.status_code == 413


@pytest.mark.parametrize("host", ["127.0.0.1", "10.0.0.1", "169.254.169.254"])
async def test_media_proxy__private_address_refused_without_the_allow_list(
    proxy: Proxy, server: Server, host: str
) -> None:
    # Given an instance whose fetcher may reach no private address, and an icon URL on one
    server.routes["/a.png"] = respond(body=PNG, content_type="image/png")
    app, client = await proxy(federation_allowed_networks="")
    # When the proxy is asked for it
    response = await client.get(_path(app, server.url("/a.png", host=host)))
    # Then it is refused before any connection is made
    assert response.status_code == 404
    assert server.connections == 0


async def test_media_proxy__plain_http_refused_without_the_flag(
    proxy: Proxy, server: Server
) -> None:
    server.routes["/a.png"] = respond(body=PNG, content_type="image/png")
    app, client = await proxy(federation_allow_http=False)
    response = await client.get(_path(app, server.url("/a.png")))
    assert response.status_code == 404
    assert server.connections == 0


@pytest.mark.parametrize(("status", "expected"), [(404, 404), (410, 404), (500, 502), (403, 502)])
async def test_media_proxy__remote_failures_are_404_or_502(
    proxy: Proxy, server: Server, status: int, expected: int
) -> None:
    server.routes["/a.png"] = respond(status, body=b"no", content_type="text/plain")
    app, client = await proxy()
    response = await client.get(_path(app, server.url("/a.png")))
    assert response.status_code == expected


async def test_media_proxy__a_failure_is_remembered_a_while(proxy: Proxy, server: Server) -> None:
    # Given a remote server without the image
    server.routes["/a.png"] = respond(404, body=b"no", content_type="text/plain")
    app, client = await proxy()
    path = _path(app, server.url("/a.png"))
    # When two pages ask for it one after the other
    answers = [await client.get(path), await client.get(path)]
    # Then both are 404, and the remote server was asked once
    assert [a.status_code for a in answers] == [404, 404]
    assert len(server.requests) == 1


async def test_media_proxy__unreachable_server_is_502(proxy: Proxy, server: Server) -> None:
    # Given a URL on a loopback port where nothing listens (the test server's, once closed)
    app, client = await proxy()
    url = server.url("/a.png")
    await server.__aexit__(None, None, None)
    # Then the proxy says the remote server did not deliver
    response = await client.get(_path(app, url))
    assert response.status_code == 502


async def test_media_proxy__size_cap_is_the_setting_not_the_documents_cap(
    proxy: Proxy, server: Server
) -> None:
    # Given a 1.5 MB remote image: over the fetcher's 1 MB cap for documents, under the proxy's
    big = PNG + b"\0" * 1_500_000
    server.routes["/big.png"] = respond(body=big, content_type="image/png")
    app, client = await proxy()
    # When it is asked for, Then it is served whole
    response = await client.get(_path(app, server.url("/big.png")))
    assert response.status_code == 200
    assert response.content == big


async def test_media_proxy__cache_evicts_beyond_its_setting(proxy: Proxy, server: Server) -> None:
    # Given a proxy whose cache may hold 1 MB, and two remote images of 0.7 MB
    for name in ("a", "b"):
        server.routes[f"/{name}.png"] = respond(
            body=PNG + b"\0" * 700_000, content_type="image/png"
        )
    app, client = await proxy(media_cache_max_mb=1)
    a, b = (_path(app, server.url(f"/{name}.png")) for name in ("a", "b"))
    # When "a" then "b" are shown, then "a" again
    for path in (a, b, a):
        assert (await client.get(path)).status_code == 200
    # Then "a" had left the cache to make room for "b", and was fetched a second time
    assert [path for path, _ in server.requests] == ["/a.png", "/b.png", "/a.png"]


async def test_media_proxy__follows_a_redirect_to_an_image(proxy: Proxy, server: Server) -> None:
    server.routes["/a.png"] = redirect("/files/a.png")
    server.routes["/files/a.png"] = respond(body=PNG, content_type="image/png")
    app, client = await proxy()
    response = await client.get(_path(app, server.url("/a.png")))
    assert response.content == PNG


async def test_media_proxy__a_redirect_is_checked_like_the_first_address(
    proxy: Proxy, server: Server
) -> None:
    # Given an allowed server (127.0.0.1) redirecting to a loopback address not allowed
    server.routes["/a.png"] = redirect(server.url("/a.png", host="127.0.0.2"))
    app, client = await proxy()
    # When the image is asked for, Then the redirect is refused, not followed
    response = await client.get(_path(app, server.url("/a.png")))
    assert response.status_code == 404
    assert "does not fetch" in response.text


async def test_media_proxy__a_shared_cache_never_stores_a_session(
    proxy: Proxy, server: Server
) -> None:
    # Given a logged-in visitor (answers marked public may be kept by shared caches)
    server.routes["/a.png"] = respond(body=PNG, content_type="image/png")
    app, client = await proxy()
    await make_account("ada")
    await log_in(client, "ada")
    # When their page loads a remote image
    response = await client.get(_path(app, server.url("/a.png")))
    # Then the answer carries no cookie and does not depend on one
    assert response.status_code == 200
    assert "set-cookie" not in response.headers
    assert "cookie" not in response.headers.get("vary", "").lower()


@pytest.mark.parametrize(
    "url",
    [
        "https://a..b.example/a.png",  # an empty label
        "https://" + "a" * 70 + ".example/a.png",  # a label over 63 characters
        "https://xn--/a.png",  # a malformed A-label
        "https://elsewhere.example/\x00.png",
    ],
)
async def test_media_proxy__malformed_remote_urls_are_refused_not_500(
    proxy: Proxy, url: str
) -> None:
    # Given an icon URL a remote server sent that no request can be made to
    app, client = await proxy()
    # When a page's proxy path for it is requested, Then it is refused without a server error
    response = await client.get(_path(app, url))
    assert response.status_code in (404, 502)


async def test_media_proxy__too_many_pixels_is_413(proxy: Proxy, server: Server) -> None:
    # Given a tiny remote PNG that claims 20,000 by 20,000 pixels
    server.routes["/bomb.png"] = respond(body=_png_header(20_000, 20_000), content_type="image/png")
    app, client = await proxy()
    # When it is asked for, Then it is refused and not cached
    response = await client.get(_path(app, server.url("/bomb.png")))
    assert response.status_code == 413
    assert "pixels" in response.text
    assert not any(p.is_file() for p in app.state.settings.media_cache_dir.rglob("*"))
