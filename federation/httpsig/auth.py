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

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        now = self.clock()
        request.headers["Host"] = authority(str(request.url))
        request.headers["Date"] = imf_fixdate(now)
        self.sign(request, now)
        yield request

    def sign(self, request: httpx.Request, now: datetime) -> None:
        raise NotImplementedError


class CavageAuth(_SigningAuth):
    def sign(self, request: httpx.Request, now: datetime) -> None:
        body = request.content
        names: tuple[str, ...] = (cavage.REQUEST_TARGET, "host", "date")
        if body or request.method in ("POST", "PUT", "PATCH"):
            request.headers["Digest"] = digest_header(body)
            names += ("digest",)
            if "content-type" in request.headers:
                names += ("content-type",)
        elif "accept" in request.headers:
            names += ("accept",)
        fields = collect_fields(request.headers.multi_items())
        target = path_and_query(str(request.url))
        request.headers["Signature"] = cavage.sign(
            request.method, target, fields, names, self.key, self.key_id
        )


class Rfc9421Auth(_SigningAuth):
    def sign(self, request: httpx.Request, now: datetime) -> None:
        body = request.content
        names: tuple[str, ...] = ("@method", "@target-uri", "@authority", "date")
        if body or request.method in ("POST", "PUT", "PATCH"):
            request.headers["Content-Digest"] = content_digest(body)
            names += ("content-digest",)
            if "content-type" in request.headers:
                names += ("content-type",)
        fields = collect_fields(request.headers.multi_items())
        signature_input, signature = rfc9421.sign(
            request.method,
            str(request.url),
            fields,
            names,
            self.key,
            self.key_id,
            created=int(now.timestamp()),
        )
        request.headers["Signature-Input"] = signature_input
        request.headers["Signature"] = signature
