"""RFC 9421 HTTP Message Signatures, for requests.

    Signature-Input: sig1=("@method" "@target-uri" "content-digest");created=1618884473;
                     keyid="https://a.example/actor#main-key";alg="rsa-v1_5-sha256"
    Signature: sig1=:<base64>:

Both headers are structured-field dictionaries keyed by a label; one request may carry
several signatures. The signature base is one `"<component>": <value>` line per covered
component, then `"@signature-params": <the serialised inner list>`.

Supported derived components: `@method`, `@target-uri`, `@authority`, `@scheme`,
`@request-target`, `@path`, `@query`; and header fields by lower-cased name. Component
parameters (`;sf`, `;bs`, `;key`, `;req`, `;tr`) and `@query-param` are refused with
`UnsupportedComponent`: no fediverse signer uses them, and guessing would be worse.
Algorithms: rsa-v1_5-sha256, rsa-pss-sha512, ed25519, and hmac-sha256 (for the spec's
vectors; a federation inbox has no shared secrets).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from federation.httpsig import _algorithms, _sfv
from federation.httpsig._message import Fields, authority, field_value, path_and_query
from federation.httpsig.errors import MalformedSignature, MissingComponent, UnsupportedComponent
from federation.httpsig.keys import PrivateKey, PublicKey

__all__ = ["Rfc9421Signature", "parse", "sign", "signature_base", "verify"]

DERIVED = (
    "@method",
    "@target-uri",
    "@authority",
    "@scheme",
    "@request-target",
    "@path",
    "@query",
)


@dataclass(frozen=True)
class Rfc9421Signature:
    label: str
    components: tuple[str, ...]
    params: _sfv.Params
    signature: bytes

    @property
    def key_id(self) -> str | None:
        value = self.params.get("keyid")
        return value if isinstance(value, str) else None

    @property
    def created(self) -> int | None:
        value = self.params.get("created")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def expires(self) -> int | None:
        value = self.params.get("expires")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def algorithm(self) -> str | None:
        value = self.params.get("alg")
        return value if isinstance(value, str) else None


def parse(fields: Fields) -> list[Rfc9421Signature]:
    """Every signature in `Signature-Input`/`Signature`, in header order."""
    try:
        inputs = _sfv.parse_dictionary(field_value(fields, "signature-input") or "")
        values = _sfv.parse_dictionary(field_value(fields, "signature") or "")
    except _sfv.ParseError as error:
        raise MalformedSignature(f"malformed signature headers: {error}") from None
    if not inputs:
        raise MalformedSignature("Signature-Input is empty")
    signatures = []
    for label, member in inputs.items():
        if not isinstance(member, _sfv.InnerList):
            raise MalformedSignature(f"Signature-Input {label} is not an inner list")
        value = values.get(label)
        if not isinstance(value, _sfv.Item) or not isinstance(value.value, bytes):
            raise MalformedSignature(f"no Signature value for label {label}")
        components = []
        for item in member.items:
            if not isinstance(item.value, str) or isinstance(item.value, _sfv.Token):
                raise MalformedSignature(f"component {item.value!r} is not a string")
            if item.params:
                raise UnsupportedComponent(
                    f"component parameters are not supported ({_sfv.serialize(item)})"
                )
            components.append(item.value)
        if len(set(components)) != len(components):
            raise MalformedSignature(f"signature {label} covers a component twice")
        signatures.append(Rfc9421Signature(label, tuple(components), member.params, value.value))
    return signatures


def _component_value(name: str, method: str, url: str, fields: Fields) -> str:
    parts = urlsplit(url)
    if name == "@method":
        return method.upper()
    if name == "@target-uri":
        return url
    if name == "@authority":
        return authority(url)
    if name == "@scheme":
        return parts.scheme.lower()
    if name == "@request-target":
        return path_and_query(url)
    if name == "@path":
        return parts.path or "/"
    if name == "@query":
        return f"?{parts.query}"
    if name.startswith("@"):
        raise UnsupportedComponent(f"unsupported derived component {name}")
    value = field_value(fields, name)
    if value is None:
        raise MissingComponent(f"the signature covers {name}, which the request lacks")
    return value


def signature_base(
    method: str, url: str, fields: Fields, components: Iterable[str], params: _sfv.Params
) -> bytes:
    """The bytes that are signed. `url` is the full target URI as the receiver knows it."""
    names = tuple(components)
    lines = [f'"{name}": {_component_value(name, method, url, fields)}' for name in names]
    inner = _sfv.InnerList([_sfv.Item(name) for name in names], params)
    lines.append(f'"@signature-params": {_sfv.serialize(inner)}')
    return "\n".join(lines).encode("utf-8")


def verify(
    signature: Rfc9421Signature,
    method: str,
    url: str,
    fields: Fields,
    key: PublicKey | bytes,
) -> bool:
    """Check one signature's bytes; raises for a base that cannot be built."""
    base = signature_base(method, url, fields, signature.components, signature.params)
    if signature.algorithm is not None:
        if signature.algorithm not in (*_algorithms.ASYMMETRIC, _algorithms.HMAC_SHA256):
            raise UnsupportedComponent(f"unsupported algorithm {signature.algorithm}")
        algorithms: tuple[str, ...] = (signature.algorithm,)
    elif isinstance(key, bytes):
        algorithms = (_algorithms.HMAC_SHA256,)
    else:
        algorithms = _algorithms.candidates(key)
    return any(_algorithms.verify(alg, key, base, signature.signature) for alg in algorithms)


def sign(
    method: str,
    url: str,
    fields: Fields,
    components: Iterable[str],
    key: PrivateKey | bytes,
    key_id: str,
    *,
    created: int,
    expires: int | None = None,
    nonce: str | None = None,
    tag: str | None = None,
    algorithm: str | None = None,
    include_alg: bool = True,
    label: str = "sig1",
) -> tuple[str, str]:
    """Sign; returns the values of the `Signature-Input` and `Signature` headers.

    Parameters are emitted in the order the RFC's examples use: created, keyid, alg, expires,
    nonce, tag.
    """
    if algorithm is None:
        if isinstance(key, bytes):
            algorithm = _algorithms.HMAC_SHA256
        else:
            algorithm = _algorithms.default_algorithm(key)
    params: _sfv.Params = {"created": created, "keyid": key_id}
    if include_alg:
        params["alg"] = algorithm
    if expires is not None:
        params["expires"] = expires
    if nonce is not None:
        params["nonce"] = nonce
    if tag is not None:
        params["tag"] = tag
    names = tuple(components)
    base = signature_base(method, url, fields, names, params)
    raw = _algorithms.sign(algorithm, key, base)
    inner = _sfv.InnerList([_sfv.Item(name) for name in names], params)
    return (
        f"{label}={_sfv.serialize(inner)}",
        f"{label}=:{base64.b64encode(raw).decode('ascii')}:",
    )
