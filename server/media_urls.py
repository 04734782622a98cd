"""Where a page may load an image from: this instance only.

Remote avatars and icons are not hot-linked: `media_url` turns each remote image URL into a
path of this instance's media proxy, signed so that the proxy fetches only URLs a page of ours
named (not whatever a visitor puts in a link):

    /proxy/media/<signature>/<the URL, URL-safe base64 without padding>

The signature is an HMAC-SHA256 of the URL under a key derived from the instance secret for
this one purpose, cut to 128 bits. `read_proxy_path` is its inverse, for the proxy's route.
Local media (`/media/…`, or any URL on our own base URL) passes through as it is, and anything
that is not an http(s) URL becomes "" so that the page shows its placeholder instead.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from urllib.parse import urlsplit

from server.settings import Settings

__all__ = ["PROXY_PREFIX", "BadProxyPath", "media_url", "read_proxy_path"]

PROXY_PREFIX = "/proxy/media/"
URL_MAX = 2048
_PURPOSE = b"lyceum media proxy v1"


class BadProxyPath(ValueError):
    """A proxy path we did not make: `forged` when it decodes but its signature is wrong."""

    def __init__(self, message: str, *, forged: bool = False) -> None:
        super().__init__(message)
        self.forged = forged


def media_url(settings: Settings, url: str | None) -> str:
    """The URL a page should use to show the image at `url`."""
    if not url:
        return ""
    if url.startswith("/media/") and not url.startswith("//"):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed [IPv6] bracket
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > URL_MAX:
        return ""
    if parts.username is not None or parts.password is not None:
        return ""
    if f"{parts.scheme}://{parts.netloc}".lower() == settings.base_url.lower():
        return url
    try:
        raw = url.encode()
    except UnicodeEncodeError:  # a lone surrogate: no server could be asked for it
        return ""
    encoded = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return f"{PROXY_PREFIX}{_signature(settings, url)}/{encoded}"


def read_proxy_path(settings: Settings, signature: str, encoded: str) -> str:
    """The remote URL a proxy path names, once its signature is checked."""
    if len(encoded) > URL_MAX * 2:
        raise BadProxyPath("The image address is too long.")
    try:
        padded = encoded + "=" * (-len(encoded) % 4)
        url = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, ValueError):
        raise BadProxyPath("The image address is not readable.") from None
    expected = _signature(settings, url).encode()
    if not hmac.compare_digest(signature.encode(errors="replace"), expected):
        raise BadProxyPath("This image address was not made by this server.", forged=True)
    return url


def _signature(settings: Settings, url: str) -> str:
    key = hmac.new(settings.resolved_secret_key.encode(), _PURPOSE, hashlib.sha256).digest()
    digest = hmac.new(key, url.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
