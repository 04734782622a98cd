"""The media proxy: remote avatars and icons, fetched by us and served from this instance.

    GET /proxy/media/<signature>/<url in URL-safe base64>    (made by server.media_urls)

Pages never make a visitor's browser contact another server (which would tell it who looks at
what, and let a remote actor point our pages at addresses on the visitor's network). The route
serves only URLs whose signature we made (403 otherwise, 400 when the path is not readable),
fetches them with the safe fetcher (the address guard at connect time, verified TLS, timeouts,
each redirect re-checked) and a streaming size cap (413), and accepts only PNG, JPEG, GIF, WebP
and AVIF: the declared type must be one of them, the first bytes must say the same and Pillow
must read the header as that format (415 otherwise; SVG never, as it can carry scripts), with
at most `MAX_PIXELS` (413: a small file can unpack to gigabytes in a browser). What it serves
carries the type it checked, `nosniff` and a sandboxing Content-Security-Policy. Images are
passed on as they are, not re-encoded: they are public where they come from, and decoding
every frame of an animation to strip it would cost more than it protects.

Images are kept in a `MediaCache` on disk; requests for one URL that arrive together fetch it
once (a lock per URL in this process), and a URL that failed is not asked again for a few
minutes. Failures of the remote server answer 404 or 502, never 500.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import time
import warnings
import weakref
from dataclasses import dataclass, replace

from PIL import Image
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from federation.fetch import (
    BadContentType,
    Fetcher,
    FetchError,
    Gone,
    NotFound,
    Refused,
    TooLarge,
)
from federation.media_cache import MediaCache
from server.media_urls import PROXY_PREFIX, BadProxyPath, read_proxy_path
from server.settings import Settings

__all__ = ["MediaProxy", "Refusal", "image_refusal", "image_type", "media_proxy_routes"]

log = logging.getLogger("lyceum.federation.media")

ACCEPT = "image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.9"
# What a server may declare; `image/jpg` and `image/pjpeg` are common misspellings of JPEG.
DECLARED_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/jpg", "image/pjpeg", "image/gif", "image/webp", "image/avif"}
)
_PILLOW_FORMATS = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
    "image/avif": "AVIF",
}
MAX_PIXELS = 7680 * 4320
CACHE_SECONDS = 7 * 24 * 3600
FAILURE_SECONDS = 300
_MAX_FAILURES_REMEMBERED = 10_000
SERVED_HEADERS = {
    "Cache-Control": f"public, max-age={CACHE_SECONDS}",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Content-Disposition": "inline",
}
REFUSAL_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


def image_type(body: bytes) -> str | None:
    """The media type the first bytes of `body` show, among those we serve; None otherwise."""
    if body.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if body.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if body.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "image/webp"
    if body[4:8] == b"ftyp" and _is_avif(body):
        return "image/avif"
    return None


def _is_avif(body: bytes) -> bool:
    """An ISO-BMFF `ftyp` box naming AVIF as its major or one of its compatible brands."""
    size = int.from_bytes(body[:4], "big")
    if not 16 <= size <= min(len(body), 256):
        return False
    brands = [body[8:12]] + [body[at : at + 4] for at in range(16, size - 3, 4)]
    return any(brand in (b"avif", b"avis") for brand in brands)


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str
    until: float = 0.0  # while remembered: the monotonic time it is forgotten


NOT_AN_IMAGE = Refusal(415, "The remote file is not a PNG, JPEG, GIF, WebP or AVIF image.")
TOO_MANY_PIXELS = Refusal(413, "The remote image has more pixels than this server shows.")


def image_refusal(body: bytes) -> Refusal | None:
    """Why `body` is not an image we serve (not one of our formats, or too many pixels)."""
    media_type = image_type(body)
    if media_type is None:
        return NOT_AN_IMAGE
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(body), formats=[_PILLOW_FORMATS[media_type]]) as image:
                width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return TOO_MANY_PIXELS
    except Exception:  # a hostile header can upset a parser in many ways: none is served
        return NOT_AN_IMAGE
    return TOO_MANY_PIXELS if width * height > MAX_PIXELS else None


class MediaProxy:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.cache = MediaCache(
            settings.media_cache_dir, max_bytes=settings.media_cache_max_mb * 1024 * 1024
        )
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._failures: dict[str, Refusal] = {}

    async def serve(self, request: Request) -> Response:
        try:
            url = read_proxy_path(
                self.settings, request.path_params["signature"], request.path_params["encoded"]
            )
        except BadProxyPath as error:
            return _refusal(Refusal(403 if error.forged else 400, str(error)))
        image = await self._image(request.app.state.federation.fetcher, url)
        if isinstance(image, Refusal):
            return _refusal(image)
        media_type = image_type(image)
        assert media_type is not None  # only checked images are cached or served
        return Response(image, media_type=media_type, headers=SERVED_HEADERS)

    async def _image(self, fetcher: Fetcher, url: str) -> bytes | Refusal:
        key = hashlib.sha256(url.encode()).hexdigest()
        if (cached := await self._cached(key)) is not None:
            return cached
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:  # the first request fetches; the others then find it cached
            if (cached := await self._cached(key)) is not None:
                return cached
            failure = self._failures.get(key)
            if failure is not None and failure.until > time.monotonic():
                return failure
            image = await self._fetch(fetcher, url)
            if isinstance(image, Refusal):
                self._remember(key, image)
                return image
            try:
                await self.cache.put(key, image)
            except OSError as error:  # a full or read-only disk: serve it uncached
                log.warning("media proxy: cannot cache %s: %s", url, error)
            return image

    async def _cached(self, key: str) -> bytes | None:
        try:
            body = await self.cache.get(key)
        except OSError as error:
            log.warning("media proxy: cannot read the cache: %s", error)
            return None
        if body is not None and image_type(body) is None:  # damaged on disk: fetch it anew
            with contextlib.suppress(OSError):
                await self.cache.delete(key)
            return None
        return body

    async def _fetch(self, fetcher: Fetcher, url: str) -> bytes | Refusal:
        try:
            fetched = await fetcher.get_bytes(
                url,
                accept=ACCEPT,
                media_types=DECLARED_TYPES,
                max_bytes=self.settings.media_proxy_max_bytes,
            )
        except FetchError as error:
            log.info("media proxy: %s: %s", url, error)
            return _refusal_for(error)
        refusal = image_refusal(fetched.body)
        if refusal is not None:
            log.info("media proxy: %s (declared %s): %s", url, fetched.media_type, refusal.reason)
            return refusal
        return fetched.body

    def _remember(self, key: str, refusal: Refusal) -> None:
        """Ask no server again for a while for what it failed to give (pages show an avatar
        on every visit)."""
        if len(self._failures) >= _MAX_FAILURES_REMEMBERED:
            self._failures.clear()
        self._failures[key] = replace(refusal, until=time.monotonic() + FAILURE_SECONDS)


def _refusal_for(error: FetchError) -> Refusal:
    if isinstance(error, Refused):
        return Refusal(404, "Lyceum does not fetch images from that address.")
    if isinstance(error, NotFound | Gone):
        return Refusal(404, "The remote server has no such image.")
    if isinstance(error, TooLarge):
        return Refusal(413, "The remote image is larger than this server accepts.")
    if isinstance(error, BadContentType):
        return NOT_AN_IMAGE
    return Refusal(502, "The remote server did not deliver the image.")


def _refusal(refusal: Refusal) -> Response:
    return PlainTextResponse(refusal.reason, status_code=refusal.status, headers=REFUSAL_HEADERS)


def media_proxy_routes(settings: Settings) -> list[Route]:
    proxy = MediaProxy(settings)
    return [Route(PROXY_PREFIX + "{signature}/{encoded}", proxy.serve, methods=["GET"])]
