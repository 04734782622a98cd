"""Keys: PEM parsing, the per-process cache, and tolerance of real-world PEMs."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import federation.httpsig
from federation.httpsig import keys
from tests.federation._httpsig_vectors import (
    CAVAGE_PUBLIC,
    ED25519_PUBLIC,
    RSA_PRIVATE,
    RSA_PUBLIC,
)


def test_load_public_key__reads_spki_pkcs1_and_ed25519() -> None:
    # Given the spec keys in their printed encodings
    # When they are loaded
    # Then each comes back as the right type
    assert isinstance(keys.load_public_key(CAVAGE_PUBLIC), RSAPublicKey)
    assert isinstance(keys.load_public_key(RSA_PUBLIC), RSAPublicKey)
    assert isinstance(keys.load_public_key(ED25519_PUBLIC), Ed25519PublicKey)
    assert isinstance(keys.load_private_key(RSA_PRIVATE), RSAPrivateKey)


def test_load_public_key__parses_each_pem_once() -> None:
    # Given an empty cache
    keys.cache_clear()
    # When the same PEM is loaded twice, once with the \r\n line ends some servers send
    first = keys.load_public_key(CAVAGE_PUBLIC)
    second = keys.load_public_key(CAVAGE_PUBLIC.replace("\n", "\r\n") + "  ")
    # Then the second load is the cached object
    assert second is first
    assert keys._load_public.cache_info().misses == 1


def test_load_public_key__refuses_garbage_and_other_key_types() -> None:
    # Given text that is no PEM, and an EC key (not used by the fediverse)
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    # When they are loaded, Then KeyFormatError says why
    with pytest.raises(keys.KeyFormatError, match="not a public key"):
        keys.load_public_key("hello")
    with pytest.raises(keys.KeyFormatError, match="unsupported"):
        keys.load_public_key(ec_pem)
    with pytest.raises(keys.KeyFormatError):
        keys.load_private_key(CAVAGE_PUBLIC)


def test_httpsig__exports_exactly_all() -> None:
    # Given the package's public names
    exported = set(federation.httpsig.__all__)
    # Then each exists, and nothing public is left out
    assert all(hasattr(federation.httpsig, name) for name in exported)
    public = {
        name
        for name, value in vars(federation.httpsig).items()
        if not name.startswith("_") and not isinstance(value, type(federation))
    }
    assert public - {"annotations"} == exported
