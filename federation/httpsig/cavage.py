"""draft-cavage-http-signatures-12, the scheme every fediverse server speaks.

    Signature: keyId="https://a.example/actor#main-key",algorithm="rsa-sha256",
               headers="(request-target) host date digest content-type",signature="<base64>"

The same parameters may come as `Authorization: Signature keyId=...`. The signing string is one
`name: value` line per covered header, in the order listed, joined with `\\n`; the pseudo
headers are `(request-target)` (`post /inbox?x=1`), `(created)` and `(expires)`.

Functions here only build and check signatures; `federation.httpsig.verify` decides which
components must be covered and whether the dates are fresh.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from federation.httpsig import _algorithms
from federation.httpsig._message import Fields, field_value
from federation.httpsig.errors import MalformedSignature, MissingComponent, UnsupportedComponent
from federation.httpsig.keys import PrivateKey, PublicKey

__all__ = [
    "CavageSignature",
    "find",
    "parse",
    "sign",
    "signature_value",
    "signing_string",
    "verify",
]

REQUEST_TARGET = "(request-target)"
CREATED = "(created)"
EXPIRES = "(expires)"

# rsa-sha256 and hs2019 are what peers send; rsa-v1_5-sha256 and ed25519 are accepted as
# spellings some RFC 9421-minded signers use in the old header.
_ALGORITHMS = {
    "rsa-sha256": _algorithms.RSA_V1_5_SHA256,
    "rsa-v1_5-sha256": _algorithms.RSA_V1_5_SHA256,
    "ed25519": _algorithms.ED25519,
}
_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|(-?\d+))\s*(,|$)')


@dataclass(frozen=True)
class CavageSignature:
    key_id: str
    algorithm: str | None
    headers: tuple[str, ...]
    signature: bytes
    created: int | None = None
    expires: int | None = None


def find(fields: Fields) -> str | None:
    """The raw signature parameters from `Signature` or `Authorization: Signature`."""
    signature = field_value(fields, "signature")
    if signature:
        return signature
    authorization = field_value(fields, "authorization") or ""
    scheme, _, rest = authorization.partition(" ")
    if scheme.lower() == "signature" and rest.strip():
        return rest.strip()
    return None


def parse(value: str) -> CavageSignature:
    params: dict[str, str] = {}
    pos = 0
    while pos < len(value):
        match = _PARAM.match(value, pos)
        if match is None:
            raise MalformedSignature(f"cannot parse the Signature header near {value[pos:][:20]!r}")
        name = match.group(1)
        params[name] = match.group(2) if match.group(2) is not None else match.group(3)
        pos = match.end()
    if "keyId" not in params or "signature" not in params:
        raise MalformedSignature("the Signature header lacks keyId or signature")
    try:
        raw = base64.b64decode(params["signature"], validate=True)
    except (binascii.Error, ValueError):
        raise MalformedSignature("the signature is not base64") from None
    # Mastodon and draft-cavage before version 10 default to signing only the Date header.
    headers = tuple(params.get("headers", "date").lower().split())
    if not headers:
        raise MalformedSignature("the signature covers no headers")
    try:
        created = int(params["created"]) if "created" in params else None
        expires = int(params["expires"]) if "expires" in params else None
    except ValueError:
        raise MalformedSignature("created/expires are not integers") from None
    return CavageSignature(
        key_id=params["keyId"],
        algorithm=params["algorithm"].lower() if "algorithm" in params else None,
        headers=headers,
        signature=raw,
        created=created,
        expires=expires,
    )


def signing_string(
    method: str,
    target: str,
    fields: Fields,
    headers: tuple[str, ...],
    *,
    created: int | None = None,
    expires: int | None = None,
) -> str:
    """The text that is signed. `target` is the path and query as sent (`/inbox?x=1`)."""
    lines = []
    for name in headers:
        if name == REQUEST_TARGET:
            value: str | None = f"{method.lower()} {target}"
        elif name == CREATED:
            value = None if created is None else str(created)
        elif name == EXPIRES:
            value = None if expires is None else str(expires)
        else:
            value = field_value(fields, name)
        if value is None:
            raise MissingComponent(f"the signature covers {name}, which the request lacks")
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


def verify(
    signature: CavageSignature, method: str, target: str, fields: Fields, key: PublicKey
) -> bool:
    """Check the signature bytes against the request; raises for unbuildable input."""
    text = signing_string(
        method,
        target,
        fields,
        signature.headers,
        created=signature.created,
        expires=signature.expires,
    )
    if signature.algorithm in (None, "hs2019"):
        algorithm = _algorithms.default_algorithm(key)
    elif signature.algorithm in _ALGORITHMS:
        algorithm = _ALGORITHMS[signature.algorithm]
    else:
        raise UnsupportedComponent(f"unsupported algorithm {signature.algorithm}")
    return _algorithms.verify(algorithm, key, text.encode("utf-8"), signature.signature)


def sign(
    method: str,
    target: str,
    fields: Fields,
    headers: tuple[str, ...],
    key: PrivateKey,
    key_id: str,
    *,
    created: int | None = None,
    expires: int | None = None,
) -> str:
    """The value of a `Signature` header over `headers` (which must all be in `fields`).

    RSA keys say `algorithm="rsa-sha256"` (what Mastodon and Takahē send); Ed25519 keys, and
    signatures stating `created`/`expires` (the draft allows those only with it), say
    `hs2019`, the draft's name for "look at the key".
    """
    algorithm = _algorithms.default_algorithm(key)
    text = signing_string(method, target, fields, headers, created=created, expires=expires)
    raw = _algorithms.sign(algorithm, key, text.encode("utf-8"))
    return signature_value(raw, algorithm, headers, key_id, created=created, expires=expires)


def signature_value(
    raw: bytes,
    algorithm: str,
    headers: tuple[str, ...],
    key_id: str,
    *,
    created: int | None = None,
    expires: int | None = None,
) -> str:
    """The `Signature` header of `sign` around the signature bytes `raw` (made elsewhere)."""
    plain_rsa = algorithm == _algorithms.RSA_V1_5_SHA256 and created is None and expires is None
    name = "rsa-sha256" if plain_rsa else "hs2019"
    times = "".join(
        f",{param}={value}"
        for param, value in (("created", created), ("expires", expires))
        if value is not None
    )
    return (
        f'keyId="{key_id}",algorithm="{name}"{times},headers="{" ".join(headers)}",'
        f'signature="{base64.b64encode(raw).decode("ascii")}"'
    )
