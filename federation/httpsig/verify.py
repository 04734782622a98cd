"""One entry point for incoming signatures: `verify_request(...) -> SignatureCheck`.

It never raises for a bad request: the result holds `ok` and a readable `reason` (what the
inbox puts in its 401), so the policy that maps results to statuses lives in one place.

What it requires, for either scheme (FEDERATION.md "Signatures"):
- the target: `(request-target)`, or `@method` plus `@target-uri`/`@request-target`/`@path`
  (with `@query` too when the URL has a query, so the query cannot be changed);
- the host: `host`, or `@authority`/`@target-uri`;
- the time: draft-cavage `date` (or `(created)`), RFC 9421 the `created` parameter; it must
  lie within `window_seconds` of `now` either way, and `expires`, when given, not be past;
- on any non-empty body, the digest (`digest` or `content-digest`), recomputed from the bytes;
- any extra header named in `required_components`;
- a covered `date` within the window too (RFC 9421 signatures carry `created` as well);
- then the signature bytes, with the algorithm it declares, which must fit the key: the only
  way to `ok=True` is a cryptographic check that passed. Anything unreadable (headers that do
  not parse, a 400-digit timestamp, a Date in the year 99999999999) is `ok=False` with a reason.

Keys come from `key_lookup(key_id, refresh)`, an async callable returning a public key PEM or
None. It is called with `refresh=False` first; when the signature does not verify with that
key it is called once more with `refresh=True` (the caller refetches the actor: the key may
have rotated) and the signature is tried again with the new key if it differs.

`url` is the full target URI as this server is publicly known (rebuilt from the configured
base URL, not from proxy-mangled request fields); the path and query of it are what
`(request-target)` and `@path` are checked against. Headers are checked as received.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from federation.httpsig import _algorithms, cavage, rfc9421
from federation.httpsig._message import (
    Fields,
    HeaderInput,
    collect_fields,
    describe_seconds,
    field_value,
    parse_http_date,
    path_and_query,
)
from federation.httpsig.digest import verify_content_digest, verify_digest_header
from federation.httpsig.errors import SignatureError
from federation.httpsig.keys import KeyFormatError, PublicKey, load_public_key

__all__ = ["CAVAGE", "RFC9421", "KeyLookup", "SignatureCheck", "verify_request"]

CAVAGE = "draft-cavage"
RFC9421 = "rfc9421"

KeyLookup = Callable[[str, bool], Awaitable[str | None]]

# An inbox is asked for the same few URLs over and over (the signing side keeps its own, larger
# memory of the inboxes it delivers to: `auth._path_and_query`).
_path_and_query = lru_cache(maxsize=256)(path_and_query)


@dataclass(frozen=True)
class SignatureCheck:
    ok: bool
    key_id: str | None = None
    scheme: str | None = None
    reason: str = ""


class _Refused(Exception):
    """Internal: a policy failure, carrying the reason."""


async def verify_request(
    method: str,
    url: str,
    headers: HeaderInput,
    body: bytes,
    key_lookup: KeyLookup,
    *,
    now: datetime | None = None,
    window_seconds: int = 3600,
    required_components: Iterable[str] = (),
) -> SignatureCheck:
    """Check the request's signature (RFC 9421 if `Signature-Input` is present, else cavage)."""
    fields = collect_fields(headers)
    moment = now or datetime.now(UTC)
    extra = tuple(name.lower() for name in required_components)
    if "signature-input" in fields:
        return await _verify_rfc9421(
            method, url, fields, body, key_lookup, moment, window_seconds, extra
        )
    raw = cavage.find(fields)
    if raw is None:
        return SignatureCheck(False, reason="the request is not signed")
    return await _verify_cavage(
        raw, method, url, fields, body, key_lookup, moment, window_seconds, extra
    )


async def _verify_cavage(
    raw: str,
    method: str,
    url: str,
    fields: Fields,
    body: bytes,
    key_lookup: KeyLookup,
    now: datetime,
    window: int,
    extra: tuple[str, ...],
) -> SignatureCheck:
    try:
        signature = cavage.parse(raw)
    except SignatureError as error:
        return SignatureCheck(False, scheme=CAVAGE, reason=str(error))
    signer = _Signer(signature.key_id, CAVAGE)
    covered = set(signature.headers)
    try:
        _require(cavage.REQUEST_TARGET in covered, "the target")
        _require("host" in covered, "the host")
        _require("date" in covered or cavage.CREATED in covered, "the date")
        for name in extra:
            _require(name in covered, name)
        if "date" in covered:
            _check_date_header(fields, now, window)
        if cavage.CREATED in covered:
            _check_timestamp(signature.created, "created time", now, window)
        if signature.expires is not None:
            _check_expires(signature.expires, now)
        _check_digests(covered, fields, body)
    except _Refused as refusal:
        return signer.refused(str(refusal))
    target = _path_and_query(url)

    def verifies(key: PublicKey) -> bool:
        return cavage.verify(signature, method, target, fields, key)

    return await _with_key(signer, key_lookup, verifies)


async def _verify_rfc9421(
    method: str,
    url: str,
    fields: Fields,
    body: bytes,
    key_lookup: KeyLookup,
    now: datetime,
    window: int,
    extra: tuple[str, ...],
) -> SignatureCheck:
    try:
        signatures = rfc9421.parse(fields)
    except SignatureError as error:
        return SignatureCheck(False, scheme=RFC9421, reason=str(error))
    failures = []
    for signature in signatures:
        result = await _verify_one_rfc9421(
            signature, method, url, fields, body, key_lookup, now, window, extra
        )
        if result.ok:
            return result
        failures.append(result)
    return failures[0]  # parse() never returns an empty list


async def _verify_one_rfc9421(
    signature: rfc9421.Rfc9421Signature,
    method: str,
    url: str,
    fields: Fields,
    body: bytes,
    key_lookup: KeyLookup,
    now: datetime,
    window: int,
    extra: tuple[str, ...],
) -> SignatureCheck:
    if signature.key_id is None:
        return SignatureCheck(False, scheme=RFC9421, reason="the signature has no keyid")
    signer = _Signer(signature.key_id, RFC9421)
    covered = set(signature.components)
    try:
        _require("@method" in covered, "the method")
        _require(_covers_target(covered, url), "the target")
        _require(bool(covered & {"@target-uri", "@authority", "host"}), "the host")
        for name in extra:
            _require(name in covered, name)
        if signature.created is None:
            raise _Refused("the signature has no created time")
        _check_timestamp(signature.created, "created time", now, window)
        if signature.expires is not None:
            _check_expires(signature.expires, now)
        if "date" in covered:
            _check_date_header(fields, now, window)
        if signature.algorithm is not None and signature.algorithm not in _algorithms.ASYMMETRIC:
            raise _Refused(f"algorithm {signature.algorithm} is not accepted")
        _check_digests(covered, fields, body)
    except _Refused as refusal:
        return signer.refused(str(refusal))

    def verifies(key: PublicKey) -> bool:
        return rfc9421.verify(signature, method, url, fields, key)

    return await _with_key(signer, key_lookup, verifies)


def _covers_target(covered: set[str], url: str) -> bool:
    """`@target-uri` or `@request-target`; `@path` only with `@query` when there is a query."""
    if covered & {"@target-uri", "@request-target"}:
        return True
    has_query = "?" in _path_and_query(url)
    return "@path" in covered and (not has_query or "@query" in covered)


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise _Refused(f"the signature does not cover {what}")


def _check_digests(covered: set[str], fields: Fields, body: bytes) -> None:
    if body and not covered & {"digest", "content-digest"}:
        raise _Refused("the signature does not cover the digest")
    if "digest" in covered and not verify_digest_header(field_value(fields, "digest") or "", body):
        raise _Refused("the Digest header does not match the body")
    if "content-digest" in covered and not verify_content_digest(
        field_value(fields, "content-digest") or "", body
    ):
        raise _Refused("the Content-Digest header does not match the body")


def _check_date_header(fields: Fields, now: datetime, window: int) -> None:
    value = field_value(fields, "date")
    moment = parse_http_date(value) if value else None
    if moment is None:
        raise _Refused("the Date header is missing or unreadable")
    _check_age((now - moment).total_seconds(), "date", window)


def _check_timestamp(timestamp: int | None, what: str, now: datetime, window: int) -> None:
    if timestamp is None:
        raise _Refused(f"the signature covers the {what} but does not state it")
    # Whole seconds in integers: a timestamp of 400 digits must not overflow a float.
    _check_age(int(now.timestamp()) - timestamp, what, window)


def _check_age(age: float, what: str, window: int) -> None:
    if age > window:
        raise _Refused(f"the {what} is {describe_seconds(age)} old")
    if age < -window:
        raise _Refused(f"the {what} is {describe_seconds(age)} in the future")


def _check_expires(expires: int, now: datetime) -> None:
    late = int(now.timestamp()) - expires
    if late > 0:
        raise _Refused(f"the signature expired {describe_seconds(late)} ago")


@dataclass(frozen=True)
class _Signer:
    """Who a parsed signature says signed, and with which scheme: what every result names."""

    key_id: str
    scheme: str

    def refused(self, reason: str) -> SignatureCheck:
        return SignatureCheck(False, key_id=self.key_id, scheme=self.scheme, reason=reason)

    def accepted(self) -> SignatureCheck:
        return SignatureCheck(True, key_id=self.key_id, scheme=self.scheme)


async def _with_key(
    signer: _Signer,
    key_lookup: KeyLookup,
    verifies: Callable[[PublicKey], bool],
) -> SignatureCheck:
    """Verify with the cached key; on a mismatch refetch it once (rotation) and retry."""
    key_id = signer.key_id
    pem = await key_lookup(key_id, False)
    if pem is None:
        return signer.refused(f"the key {key_id} could not be found")
    outcome = _attempt(pem, verifies)
    if outcome is True:
        return signer.accepted()
    fresh = await key_lookup(key_id, True)
    if fresh is not None and fresh != pem:
        outcome = _attempt(fresh, verifies)
        if outcome is True:
            return signer.accepted()
    reason = outcome if isinstance(outcome, str) else f"the signature does not match key {key_id}"
    return signer.refused(reason)


def _attempt(pem: str, verifies: Callable[[PublicKey], bool]) -> bool | str:
    """True when valid, False when not, or a reason when the check cannot be made."""
    try:
        return verifies(load_public_key(pem))
    except KeyFormatError as error:
        return f"the key is unusable: {error}"
    except SignatureError as error:
        return str(error)
