"""HTTP signatures: keys, digests, draft-cavage and RFC 9421, for both directions.

Incoming: `verify_request(...) -> SignatureCheck` is the single entry point (see `verify`).
Outgoing: `CavageAuth` / `Rfc9421Auth` are `httpx.Auth` classes for the shared client.
The scheme modules `cavage` and `rfc9421` hold the primitives both build on.
"""

from federation.httpsig.auth import CavageAuth, Rfc9421Auth
from federation.httpsig.digest import (
    content_digest,
    digest_header,
    verify_content_digest,
    verify_digest_header,
)
from federation.httpsig.errors import (
    MalformedSignature,
    MissingComponent,
    SignatureError,
    UnsupportedComponent,
)
from federation.httpsig.keys import (
    KeyFormatError,
    PrivateKey,
    PublicKey,
    load_private_key,
    load_public_key,
)
from federation.httpsig.verify import CAVAGE, RFC9421, KeyLookup, SignatureCheck, verify_request

__all__ = [
    "CAVAGE",
    "RFC9421",
    "CavageAuth",
    "KeyFormatError",
    "KeyLookup",
    "MalformedSignature",
    "MissingComponent",
    "PrivateKey",
    "PublicKey",
    "Rfc9421Auth",
    "SignatureCheck",
    "SignatureError",
    "UnsupportedComponent",
    "content_digest",
    "digest_header",
    "load_private_key",
    "load_public_key",
    "verify_content_digest",
    "verify_digest_header",
    "verify_request",
]
