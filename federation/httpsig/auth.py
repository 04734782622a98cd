"""Signing outgoing requests: `httpx.Auth` classes for the shared client.

    client.post(inbox, content=body, headers={"Content-Type": AS2}, auth=CavageAuth(key_id, pem))

Each sets `Host` (host[:port] of the URL, the port omitted when default: what the receiver
sees), `Date` (IMF-fixdate) and, on a body, the digest, then signs. The private key is parsed
once per PEM (cached in `keys`), so building an Auth per request is cheap; the delivery worker
keeps one per actor anyway.

- `CavageAuth`: draft-cavage `rsa-sha256`, what every peer verifies today. POST signs
  `(request-target) host date digest content-type`; GET `(request-target) host date` plus
  `accept` when set.
- `Rfc9421Auth`: RFC 9421, `@method @target-uri @authority date` plus `content-digest` and
  `content-type` on a body, with `created` and `alg`.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import UTC, datetime

import httpx

from federation.httpsig import cavage, rfc9421
from federation.httpsig._message import authority, collect_fields, imf_fixdate, path_and_query
from federation.httpsig.digest import content_digest, digest_header
from federation.httpsig.keys import load_private_key

__all__ = ["CavageAuth", "Rfc9421Auth"]

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class _SigningAuth(httpx.Auth):
    requires_request_body = True

    def __init__(self, key_id: str, private_key_pem: str, *, clock: Clock = _utcnow) -> None:
        self.key_id = key_id
        self.key = load_private_key(private_key_pem)
        self.clock = clock
        self._last_body: bytes | None = None
        self._last_digest = ""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign_headers(request.method, str(request.url), request.content, request.headers)
        yield request

    def signed_headers(
        self, method: str, url: str, body: bytes, headers: dict[str, str]
    ) -> dict[str, str]:
        """`headers` plus `Host`, `Date`, the digest and the signature, for a client other
        than httpx (the delivery worker's aiohttp path)."""
        signed = httpx.Headers(headers)
        self.sign_headers(method, url, body, signed)
        return dict(signed.items())

    def sign_headers(self, method: str, url: str, body: bytes, headers: httpx.Headers) -> None:
        """Set `Host`, `Date`, the digest and the signature of a request on `headers`."""
        now = self.clock()
        headers["Host"] = authority(url)
        headers["Date"] = imf_fixdate(now)
        self.sign(method, url, body, headers, now)

    def sign(
        self, method: str, url: str, body: bytes, headers: httpx.Headers, now: datetime
    ) -> None:
        raise NotImplementedError

    def _digest(self, body: bytes, make: Callable[[bytes], str]) -> str:
        # A fan-out signs one body (the same bytes object) for every inbox: hash it once.
        if body is not self._last_body:
            self._last_digest = make(body)
            self._last_body = body
        return self._last_digest


class CavageAuth(_SigningAuth):
    def sign(
        self, method: str, url: str, body: bytes, headers: httpx.Headers, now: datetime
    ) -> None:
        names: tuple[str, ...] = (cavage.REQUEST_TARGET, "host", "date")
        if body or method in ("POST", "PUT", "PATCH"):
            headers["Digest"] = self._digest(body, digest_header)
            names += ("digest",)
            if "content-type" in headers:
                names += ("content-type",)
        elif "accept" in headers:
            names += ("accept",)
        fields = collect_fields(headers.multi_items())
        headers["Signature"] = cavage.sign(
            method, path_and_query(url), fields, names, self.key, self.key_id
        )


class Rfc9421Auth(_SigningAuth):
    def sign(
        self, method: str, url: str, body: bytes, headers: httpx.Headers, now: datetime
    ) -> None:
        names: tuple[str, ...] = ("@method", "@target-uri", "@authority", "date")
        if body or method in ("POST", "PUT", "PATCH"):
            headers["Content-Digest"] = self._digest(body, content_digest)
            names += ("content-digest",)
            if "content-type" in headers:
                names += ("content-type",)
        fields = collect_fields(headers.multi_items())
        signature_input, signature = rfc9421.sign(
            method,
            url,
            fields,
            names,
            self.key,
            self.key_id,
            created=int(now.timestamp()),
        )
        headers["Signature-Input"] = signature_input
        headers["Signature"] = signature
