"""Body digests: the draft-era `Digest` header and RFC 9530 `Content-Digest`.

Both are always recomputed from the exact body bytes received; a digest header is only
evidence once it matches those bytes and the signature covers it.

- `Digest: SHA-256=<base64>` (RFC 3230, what draft-cavage signers send). Algorithm names are
  case-insensitive; several comma-separated values may appear.
- `Content-Digest: sha-256=:<base64>:` (RFC 9530, a structured-field dictionary of byte
  sequences), also `sha-512`.

A header verifies when at least one algorithm we know is present and every algorithm we know
matches; unknown algorithms (md5, id-sha-256…) are ignored, never trusted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable

from federation.httpsig import _sfv

__all__ = [
    "content_digest",
    "digest_header",
    "verify_content_digest",
    "verify_digest_header",
]

_HASHES: dict[str, Callable[[bytes], bytes]] = {
    "sha-256": lambda body: hashlib.sha256(body).digest(),
    "sha-512": lambda body: hashlib.sha512(body).digest(),
}


def digest_header(body: bytes) -> str:
    """The value of a draft-style `Digest` header: `SHA-256=<base64>`."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def content_digest(body: bytes, algorithm: str = "sha-256") -> str:
    """The value of an RFC 9530 `Content-Digest` header, e.g. `sha-256=:<base64>:`."""
    digest = _HASHES[algorithm](body)
    return f"{algorithm}=:{base64.b64encode(digest).decode('ascii')}:"


def verify_digest_header(value: str, body: bytes) -> bool:
    """Does a `Digest` header value match `body`?"""
    found = False
    for part in value.split(","):
        name, sep, encoded = part.strip().partition("=")
        algorithm = name.strip().lower()
        if not sep or algorithm not in _HASHES:
            continue
        try:
            claimed = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        if not hmac.compare_digest(claimed, _HASHES[algorithm](body)):
            return False
        found = True
    return found


def verify_content_digest(value: str, body: bytes) -> bool:
    """Does a `Content-Digest` header value match `body`?"""
    try:
        members = _sfv.parse_dictionary(value)
    except _sfv.ParseError:
        return False
    found = False
    for algorithm, member in members.items():
        if algorithm not in _HASHES:
            continue
        if isinstance(member, _sfv.InnerList) or not isinstance(member.value, bytes):
            return False
        if not hmac.compare_digest(member.value, _HASHES[algorithm](body)):
            return False
        found = True
    return found
