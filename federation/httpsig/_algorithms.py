"""Signature algorithms by their RFC 9421 names, over raw bytes.

draft-cavage's `rsa-sha256` is the same primitive as `rsa-v1_5-sha256`; its `hs2019` means
"whatever the key says", which for the fediverse's RSA keys is also PKCS#1 v1.5 with SHA-256
(what Mastodon produces and expects) and for Ed25519 keys is Ed25519.

`verify` answers True only from a cryptographic check that passed: an algorithm that does not
fit the key (an Ed25519 or HMAC signature claimed against an RSA key, say) is False before any
bytes are looked at, never a skipped check.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from federation.httpsig.keys import PrivateKey, PublicKey

RSA_V1_5_SHA256 = "rsa-v1_5-sha256"
RSA_PSS_SHA512 = "rsa-pss-sha512"
ED25519 = "ed25519"
HMAC_SHA256 = "hmac-sha256"

ASYMMETRIC = (RSA_V1_5_SHA256, RSA_PSS_SHA512, ED25519)


def _pss() -> padding.PSS:
    # RFC 9421 section 3.3.1: MGF1 with SHA-512 and a 64-byte salt.
    return padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)


def _verify_rsa_v1_5(key: Any, data: bytes, signature: bytes) -> None:
    key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())


def _verify_rsa_pss(key: Any, data: bytes, signature: bytes) -> None:
    key.verify(signature, data, _pss(), hashes.SHA512())


def _verify_ed25519(key: Any, data: bytes, signature: bytes) -> None:
    key.verify(signature, data)


# algorithm -> (the public key type it needs, a check raising InvalidSignature)
_VERIFIERS: dict[str, tuple[type, Callable[[Any, bytes, bytes], None]]] = {
    RSA_V1_5_SHA256: (RSAPublicKey, _verify_rsa_v1_5),
    RSA_PSS_SHA512: (RSAPublicKey, _verify_rsa_pss),
    ED25519: (Ed25519PublicKey, _verify_ed25519),
}


def default_algorithm(key: PublicKey | PrivateKey) -> str:
    if isinstance(key, RSAPublicKey | RSAPrivateKey):
        return RSA_V1_5_SHA256
    return ED25519


def candidates(key: PublicKey) -> tuple[str, ...]:
    """Algorithms to try when a signature names none: the key type decides."""
    if isinstance(key, RSAPublicKey):
        return (RSA_V1_5_SHA256, RSA_PSS_SHA512)
    return (ED25519,)


def sign(algorithm: str, key: PrivateKey | bytes, data: bytes) -> bytes:
    if algorithm == HMAC_SHA256 and isinstance(key, bytes):
        return hmac.new(key, data, hashlib.sha256).digest()
    if algorithm == RSA_V1_5_SHA256 and isinstance(key, RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if algorithm == RSA_PSS_SHA512 and isinstance(key, RSAPrivateKey):
        return key.sign(data, _pss(), hashes.SHA512())
    if algorithm == ED25519 and isinstance(key, Ed25519PrivateKey):
        return key.sign(data)
    raise ValueError(f"cannot sign {algorithm} with a {type(key).__name__}")


def verify(algorithm: str, key: PublicKey | bytes, data: bytes, signature: bytes) -> bool:
    """True when `signature` is valid; False for a bad signature or a key/algorithm mismatch."""
    if algorithm == HMAC_SHA256:
        if not isinstance(key, bytes):
            return False
        return hmac.compare_digest(hmac.new(key, data, hashlib.sha256).digest(), signature)
    entry = _VERIFIERS.get(algorithm)
    if entry is None or not isinstance(key, entry[0]):
        return False
    try:
        entry[1](key, data, signature)
    except InvalidSignature:
        return False
    return True
