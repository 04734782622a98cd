"""The signature algorithms: a check passes only through the cryptography, never around it."""

from __future__ import annotations

import base64

import pytest

from federation.httpsig import PublicKey, _algorithms, load_private_key, load_public_key
from tests.federation._httpsig_vectors import (
    CAVAGE_PUBLIC,
    ED25519_PRIVATE,
    ED25519_PUBLIC,
    RSA_PRIVATE,
    RSA_PUBLIC,
    SHARED_SECRET_B64,
)

DATA = b"the bytes that were signed"
RSA = load_public_key(RSA_PUBLIC)
ED = load_public_key(ED25519_PUBLIC)
SECRET = base64.b64decode(SHARED_SECRET_B64)


def _signed(algorithm: str) -> bytes:
    private = {
        _algorithms.RSA_V1_5_SHA256: load_private_key(RSA_PRIVATE),
        _algorithms.RSA_PSS_SHA512: load_private_key(RSA_PRIVATE),
        _algorithms.ED25519: load_private_key(ED25519_PRIVATE),
    }
    return _algorithms.sign(algorithm, private.get(algorithm, SECRET), DATA)


@pytest.mark.parametrize(
    ("algorithm", "key"),
    [
        (_algorithms.RSA_V1_5_SHA256, RSA),
        (_algorithms.RSA_PSS_SHA512, RSA),
        (_algorithms.ED25519, ED),
        (_algorithms.HMAC_SHA256, SECRET),
    ],
    ids=["rsa-v1_5", "rsa-pss", "ed25519", "hmac"],
)
def test_verify__a_valid_signature_passes_and_a_changed_one_fails(
    algorithm: str, key: PublicKey | bytes
) -> None:
    # Given a signature made with the matching private key (or secret)
    signature = _signed(algorithm)
    # Then it verifies over the same bytes, and not over others or once changed
    assert _algorithms.verify(algorithm, key, DATA, signature)
    assert not _algorithms.verify(algorithm, key, DATA + b"!", signature)
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert not _algorithms.verify(algorithm, key, DATA, flipped)


@pytest.mark.parametrize(
    ("algorithm", "key", "made_with"),
    [
        (_algorithms.ED25519, RSA, _algorithms.RSA_V1_5_SHA256),
        (_algorithms.HMAC_SHA256, RSA, _algorithms.RSA_V1_5_SHA256),
        (_algorithms.HMAC_SHA256, ED, _algorithms.ED25519),
        (_algorithms.RSA_V1_5_SHA256, ED, _algorithms.ED25519),
        (_algorithms.RSA_PSS_SHA512, ED, _algorithms.ED25519),
        (_algorithms.ED25519, SECRET, _algorithms.HMAC_SHA256),
        (_algorithms.RSA_V1_5_SHA256, SECRET, _algorithms.HMAC_SHA256),
        (_algorithms.RSA_PSS_SHA512, RSA, _algorithms.RSA_V1_5_SHA256),
        (_algorithms.RSA_V1_5_SHA256, RSA, _algorithms.RSA_PSS_SHA512),
        ("rsa-sha1", RSA, _algorithms.RSA_V1_5_SHA256),
        ("", RSA, _algorithms.RSA_V1_5_SHA256),
    ],
    ids=[
        "ed25519-on-rsa",
        "hmac-on-rsa",
        "hmac-on-ed25519",
        "rsa-on-ed25519",
        "pss-on-ed25519",
        "ed25519-on-secret",
        "rsa-on-secret",
        "pss-for-v1_5",
        "v1_5-for-pss",
        "unknown",
        "empty",
    ],
)
def test_verify__an_algorithm_that_does_not_fit_is_false(
    algorithm: str, key: PublicKey | bytes, made_with: str
) -> None:
    # Given a signature that is valid for the key under the algorithm it was made with
    signature = _signed(made_with)
    # When it is checked under another algorithm, or an algorithm the key cannot do
    # Then it is refused: there is no way past the cryptographic check
    assert not _algorithms.verify(algorithm, key, DATA, signature)


def test_verify__another_rsa_key_fails() -> None:
    # Given an rsa-v1_5 signature, When checked with another RSA key, Then it fails
    signature = _signed(_algorithms.RSA_V1_5_SHA256)
    other = load_public_key(CAVAGE_PUBLIC)
    assert not _algorithms.verify(_algorithms.RSA_V1_5_SHA256, other, DATA, signature)


@pytest.mark.parametrize(
    ("algorithm", "key"),
    [
        (_algorithms.ED25519, RSA_PRIVATE),
        (_algorithms.RSA_V1_5_SHA256, ED25519_PRIVATE),
        (_algorithms.RSA_PSS_SHA512, ED25519_PRIVATE),
        (_algorithms.HMAC_SHA256, RSA_PRIVATE),
        ("rsa-sha1", RSA_PRIVATE),
    ],
)
def test_sign__refuses_an_algorithm_the_key_cannot_do(algorithm: str, key: str) -> None:
    with pytest.raises(ValueError, match="cannot sign"):
        _algorithms.sign(algorithm, load_private_key(key), DATA)


def test_sign__pss_is_randomised_and_v1_5_is_not() -> None:
    # PSS salts each signature; PKCS#1 v1.5 is deterministic (what the RFC vectors rely on)
    assert _signed(_algorithms.RSA_PSS_SHA512) != _signed(_algorithms.RSA_PSS_SHA512)
    assert _signed(_algorithms.RSA_V1_5_SHA256) == _signed(_algorithms.RSA_V1_5_SHA256)


def test_candidates_and_default__follow_the_key_type() -> None:
    rsa_private = load_private_key(RSA_PRIVATE)
    ed_private = load_private_key(ED25519_PRIVATE)
    assert _algorithms.candidates(RSA) == ("rsa-v1_5-sha256", "rsa-pss-sha512")
    assert _algorithms.candidates(ED) == ("ed25519",)
    assert _algorithms.default_algorithm(RSA) == _algorithms.default_algorithm(rsa_private)
    assert _algorithms.default_algorithm(rsa_private) == "rsa-v1_5-sha256"
    assert _algorithms.default_algorithm(ED) == _algorithms.default_algorithm(ed_private)
    assert _algorithms.default_algorithm(ed_private) == "ed25519"
