"""Digests: `Digest` (draft era) and RFC 9530 `Content-Digest`, from the raw body bytes."""

from __future__ import annotations

from federation.httpsig import digest
from federation.httpsig.digest import (
    content_digest,
    digest_header,
    verify_content_digest,
    verify_digest_header,
)

# RFC 9530 section 2 and draft-cavage-12 appendix C use this body.
BODY = b'{"hello": "world"}'
SHA256 = "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
SHA512 = "WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew=="


def test_digest_header__matches_the_spec_value() -> None:
    # Given the spec body, When its Digest header is computed, Then it is the spec's value
    assert digest.digest_header(BODY) == f"SHA-256={SHA256}"


def test_content_digest__matches_rfc9530_values() -> None:
    # Given the spec body, When Content-Digest is computed with each algorithm
    # Then both are the RFC's values
    assert digest.content_digest(BODY) == f"sha-256=:{SHA256}:"
    assert digest.content_digest(BODY, "sha-512") == f"sha-512=:{SHA512}:"


def test_verify_digest_header__accepts_any_case_and_rejects_a_changed_body() -> None:
    # Given a Digest header of the body
    value = f"sha-256={SHA256}"
    # Then it verifies the body and nothing else
    assert digest.verify_digest_header(value, BODY)
    assert not digest.verify_digest_header(value, BODY + b" ")
    assert not digest.verify_digest_header("MD5=abc", BODY)  # nothing we trust
    assert not digest.verify_digest_header("SHA-256=not base64!", BODY)


def test_verify_content_digest__checks_every_known_algorithm() -> None:
    # Given a Content-Digest with two algorithms, one of them wrong
    both = f"sha-256=:{SHA256}:, sha-512=:{SHA512}:"
    wrong = f"sha-256=:{SHA256}:, sha-512=:{SHA256}:"
    # Then the right one verifies; the half-wrong one, a tampered body, junk do not
    assert digest.verify_content_digest(both, BODY)
    assert not digest.verify_content_digest(wrong, BODY)
    assert not digest.verify_content_digest(both, b"{}")
    assert not digest.verify_content_digest("sha-256=abc", BODY)
    assert not digest.verify_content_digest("md5=:AAAA:", BODY)
    assert not digest.verify_content_digest("((", BODY)


def test_verify_digest_header__reads_every_value_and_ignores_unknown_ones() -> None:
    body = b"hello"
    sha256 = digest_header(body).removeprefix("SHA-256=")
    sha512 = content_digest(body, "sha-512").removeprefix("sha-512=:").removesuffix(":")
    # Unknown algorithms and values without a name are skipped, in any position
    assert verify_digest_header(f"MD5=abc, SHA-256={sha256}", body)
    assert verify_digest_header(f"junk, SHA-256={sha256}", body)
    assert verify_digest_header(f"SHA-256={sha256},SHA-512={sha512}", body)
    # Every known one must match, and base64 must be clean
    assert not verify_digest_header(f"SHA-256={sha256}, SHA-512={sha256}", body)
    assert not verify_digest_header(f"SHA-256={sha256[:4]}!{sha256[4:]}", body)
    assert not verify_digest_header(f"SHA-256 {sha256}", body)
    assert verify_digest_header("MD5=abc", body) is False


def test_verify_content_digest__ignores_unknown_algorithms_in_any_position() -> None:
    body = b"hello"
    value = content_digest(body)
    assert verify_content_digest(f"md5=:AAAA:, {value}", body)
    assert verify_content_digest("md5=:AAAA:", body) is False
    assert not verify_content_digest("sha-256=(1 2)", body)
    assert not verify_content_digest("sha-256=1", body)
