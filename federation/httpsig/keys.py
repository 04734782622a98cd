"""PEM keys, parsed once per process.

Parsing a PEM costs ~29 ms (an RSA private key is checked on load), and a busy inbox sees the
same few hundred actor keys over and over, so both loaders keep an LRU cache keyed by the PEM
text. Remote servers send PEMs with `\\r\\n` line ends or stray surrounding whitespace
(see the fixtures); those are normalised before the cache lookup so they share one entry.

Only the key types the fediverse signs with are accepted: RSA (any size the library takes;
2048+ in practice) and Ed25519. Anything else raises `KeyFormatError`.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.serialization import (
    load_pem_private_key,
    load_pem_public_key,
)

__all__ = [
    "KeyFormatError",
    "PrivateKey",
    "PublicKey",
    "load_private_key",
    "load_public_key",
]

PublicKey = RSAPublicKey | Ed25519PublicKey
PrivateKey = RSAPrivateKey | Ed25519PrivateKey

_CACHE_SIZE = 4096


class KeyFormatError(Exception):
    """The text is not a PEM key of a supported type (RSA or Ed25519)."""


def _normalise(pem: str) -> str:
    return pem.replace("\r\n", "\n").replace("\r", "\n").strip() + "\n"


def load_public_key(pem: str) -> PublicKey:
    """Parse a public key PEM (SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY`), cached."""
    return _load_public_as_sent(pem)


# By the text as sent too: the inbox verifies with the same PEM object again and again, whose
# hash Python keeps, so a hit costs neither the normalising copy nor hashing that copy.
@lru_cache(maxsize=_CACHE_SIZE)
def _load_public_as_sent(pem: str) -> PublicKey:
    return _load_public(_normalise(pem))


def load_private_key(pem: str) -> PrivateKey:
    """Parse an unencrypted private key PEM (PKCS#8 or PKCS#1), cached."""
    return _load_private(_normalise(pem))


@lru_cache(maxsize=_CACHE_SIZE)
def _load_public(pem: str) -> PublicKey:
    try:
        key = load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as error:
        raise KeyFormatError(f"not a public key PEM: {error}") from None
    if not isinstance(key, RSAPublicKey | Ed25519PublicKey):
        raise KeyFormatError(f"unsupported public key type {type(key).__name__}")
    return key


@lru_cache(maxsize=_CACHE_SIZE)
def _load_private(pem: str) -> PrivateKey:
    try:
        key = load_pem_private_key(pem.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError) as error:
        raise KeyFormatError(f"not an unencrypted private key PEM: {error}") from None
    if not isinstance(key, RSAPrivateKey | Ed25519PrivateKey):
        raise KeyFormatError(f"unsupported private key type {type(key).__name__}")
    return key


def cache_clear() -> None:
    """Forget every parsed key (tests measuring the cache use this)."""
    _load_public_as_sent.cache_clear()
    _load_public.cache_clear()
    _load_private.cache_clear()
