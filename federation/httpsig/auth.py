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

from collections.abc import Awaitable, Callable, Generator, MutableMapping
from datetime import UTC, datetime
from functools import lru_cache

import httpx

from federation.httpsig import _algorithms, cavage, rfc9421
from federation.httpsig._message import (
    Fields,
    authority,
    collect_fields,
    imf_fixdate,
    path_and_query,
)
from federation.httpsig.digest import content_digest, digest_header
from federation.httpsig.keys import load_private_key

__all__ = ["CavageAuth", "Rfc9421Auth"]

Clock = Callable[[], datetime]
# (private key PEM, algorithm, data) -> the signature's bytes, made elsewhere (another process)
KeySigner = Callable[[str, str, bytes], Awaitable[bytes]]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class _SigningAuth(httpx.Auth):
    requires_request_body = True

    def __init__(self, key_id: str, private_key_pem: str, *, clock: Clock = _utcnow) -> None:
        self.key_id = key_id
        self.private_key_pem = private_key_pem
        self.key = load_private_key(private_key_pem)
        self.clock = clock
        self._last_body: bytes | None = None
        self._last_digest = ""
        self._date: tuple[int, str] = (-1, "")  # the Date of the last second signed in

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign_headers(request.method, str(request.url), request.content, request.headers)
        yield request

    def signed_headers(
        self, method: str, url: str, body: bytes, headers: dict[str, str]
    ) -> dict[str, str]:
        """`headers` plus `Host`, `Date`, the digest and the signature, for a client other
        than httpx (the delivery worker's aiohttp path). A plain dict throughout: this runs
        once per delivery of a fan-out."""
        signed = _unsigned(headers)
        self.sign_headers(method, url, body, signed)
        return signed

    async def signed_headers_by(
        self, signer: KeySigner, method: str, url: str, body: bytes, headers: dict[str, str]
    ) -> dict[str, str]:
        """`signed_headers`, with the private-key operation made by `signer` (in a helper
        process: `signing_processes`)."""
        signed = _unsigned(headers)
        now = self._stamp(url, signed)
        await self.sign_by(signer, method, url, body, signed, now)
        return signed

    def sign_headers(
        self, method: str, url: str, body: bytes, headers: MutableMapping[str, str]
    ) -> None:
        """Set `Host`, `Date`, the digest and the signature of a request on `headers`."""
        now = self._stamp(url, headers)
        self.sign(method, url, body, headers, now)

    def _stamp(self, url: str, headers: MutableMapping[str, str]) -> datetime:
        """Set `Host` and `Date` on `headers`; the moment `Date` says."""
        now = self.clock()
        headers["Host"] = _authority(url)
        headers["Date"] = self._date_header(now)
        return now

    def sign(
        self, method: str, url: str, body: bytes, headers: MutableMapping[str, str], now: datetime
    ) -> None:
        raise NotImplementedError

    async def sign_by(
        self,
        signer: KeySigner,
        method: str,
        url: str,
        body: bytes,
        headers: MutableMapping[str, str],
        now: datetime,
    ) -> None:
        """`sign` by `signer`; a scheme that does not split its signing signs here."""
        self.sign(method, url, body, headers, now)

    def _date_header(self, now: datetime) -> str:
        # A fan-out signs hundreds of requests in the same second: format its Date once.
        second = int(now.timestamp())
        if second != self._date[0]:
            self._date = (second, imf_fixdate(now))
        return self._date[1]

    def _digest(self, body: bytes, make: Callable[[bytes], str]) -> str:
        # A fan-out signs one body (the same bytes object) for every inbox: hash it once.
        if body is not self._last_body:
            self._last_digest = make(body)
            self._last_body = body
        return self._last_digest


_SET = frozenset(("host", "date", "digest", "content-digest", "signature", "signature-input"))


def _unsigned(headers: dict[str, str]) -> dict[str, str]:
    """A copy of `headers` less those the signing sets."""
    return {name: value for name, value in headers.items() if name.lower() not in _SET}


def _fields(headers: MutableMapping[str, str]) -> Fields:
    """The header lines by lower-cased name (every line of a repeated httpx header)."""
    return collect_fields(headers.multi_items() if isinstance(headers, httpx.Headers) else headers)


@lru_cache(maxsize=4096)  # a fan-out signs for the same few thousand inboxes again and again
def _authority(url: str) -> str:
    return authority(url)


@lru_cache(maxsize=4096)
def _path_and_query(url: str) -> str:
    return path_and_query(url)


class CavageAuth(_SigningAuth):
    def sign(
        self, method: str, url: str, body: bytes, headers: MutableMapping[str, str], now: datetime
    ) -> None:
        fields, names = self._covered(method, body, headers)
        headers["Signature"] = cavage.sign(
            method, _path_and_query(url), fields, names, self.key, self.key_id
        )

    async def sign_by(
        self,
        signer: KeySigner,
        method: str,
        url: str,
        body: bytes,
        headers: MutableMapping[str, str],
        now: datetime,
    ) -> None:
        fields, names = self._covered(method, body, headers)
        text = cavage.signing_string(method, _path_and_query(url), fields, names)
        algorithm = _algorithms.default_algorithm(self.key)
        raw = await signer(self.private_key_pem, algorithm, text.encode("utf-8"))
        headers["Signature"] = cavage.signature_value(raw, algorithm, names, self.key_id)

    def _covered(
        self, method: str, body: bytes, headers: MutableMapping[str, str]
    ) -> tuple[Fields, tuple[str, ...]]:
        """The request's fields (with the digest of a body set) and the names signed."""
        names: tuple[str, ...] = (cavage.REQUEST_TARGET, "host", "date")
        if body or method in ("POST", "PUT", "PATCH"):
            headers["Digest"] = self._digest(body, digest_header)
            names += ("digest",)
            fields = _fields(headers)
            if "content-type" in fields:
                names += ("content-type",)
        else:
            fields = _fields(headers)
            if "accept" in fields:
                names += ("accept",)
        return fields, names


class Rfc9421Auth(_SigningAuth):
    def sign(
        self, method: str, url: str, body: bytes, headers: MutableMapping[str, str], now: datetime
    ) -> None:
        names: tuple[str, ...] = ("@method", "@target-uri", "@authority", "date")
        if body or method in ("POST", "PUT", "PATCH"):
            headers["Content-Digest"] = self._digest(body, content_digest)
            names += ("content-digest",)
        fields = _fields(headers)
        if "content-digest" in names and "content-type" in fields:
            names += ("content-type",)
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
