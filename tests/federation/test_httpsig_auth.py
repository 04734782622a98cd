"""Outgoing signatures: the httpx.Auth classes, on a real client with a mock transport."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from federation.httpsig import CavageAuth, Rfc9421Auth, verify_request
from tests.federation._httpsig_vectors import (
    ED25519_PRIVATE,
    ED25519_PUBLIC,
    RSA_PRIVATE,
    RSA_PUBLIC,
)

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
KEY_ID = "https://lyceum.example/groups/chess#main-key"
BODY = b'{"type": "Accept"}'


async def _send(auth: httpx.Auth, method: str, url: str, **kwargs: object) -> httpx.Request:
    """Send through a client whose transport records the request instead of sending it."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        await client.request(method, url, auth=auth, **kwargs)  # type: ignore[arg-type]
    return seen[0]


@pytest.mark.parametrize(
    ("auth", "public"),
    [
        (CavageAuth(KEY_ID, RSA_PRIVATE, clock=lambda: NOW), RSA_PUBLIC),
        (Rfc9421Auth(KEY_ID, ED25519_PRIVATE, clock=lambda: NOW), ED25519_PUBLIC),
    ],
    ids=["cavage", "rfc9421"],
)
async def test_auth__signed_post_verifies(auth: httpx.Auth, public: str) -> None:
    # Given a POST signed by the Auth class on its way out
    url = "https://peer.example:8443/inbox?x=1"
    sent = await _send(
        auth, "POST", url, content=BODY, headers={"Content-Type": "application/activity+json"}
    )

    async def lookup(key_id: str, refresh: bool) -> str | None:
        return public if key_id == KEY_ID else None

    # When the receiver verifies what arrived
    check = await verify_request(
        sent.method, url, sent.headers.multi_items(), sent.content, lookup, now=NOW
    )
    # Then it passes, with the port in Host and an IMF-fixdate Date
    assert check.ok, check.reason
    assert sent.headers["Host"] == "peer.example:8443"
    assert sent.headers["Date"] == "Wed, 01 May 2024 12:00:00 GMT"


async def test_cavage_auth__post_signs_the_mastodon_header_list() -> None:
    # Given a POST to a default-port URL
    sent = await _send(
        CavageAuth(KEY_ID, RSA_PRIVATE, clock=lambda: NOW),
        "POST",
        "https://peer.example:443/inbox",
        content=BODY,
        headers={"Content-Type": "application/activity+json"},
    )
    # Then Host omits the port, a Digest is set, and the signed headers are Mastodon's
    assert sent.headers["Host"] == "peer.example"
    assert sent.headers["Digest"].startswith("SHA-256=")
    assert 'algorithm="rsa-sha256"' in sent.headers["Signature"]
    assert 'headers="(request-target) host date digest content-type"' in sent.headers["Signature"]


async def test_cavage_auth__get_signs_accept_and_no_digest() -> None:
    # Given a signed GET with an Accept header
    sent = await _send(
        CavageAuth(KEY_ID, RSA_PRIVATE, clock=lambda: NOW),
        "GET",
        "https://peer.example/users/ada",
        headers={"Accept": "application/activity+json"},
    )
    # Then the signature covers accept, and there is no Digest
    assert 'headers="(request-target) host date accept"' in sent.headers["Signature"]
    assert "Digest" not in sent.headers

    async def lookup(key_id: str, refresh: bool) -> str | None:
        return RSA_PUBLIC

    check = await verify_request(
        "GET", "https://peer.example/users/ada", sent.headers.multi_items(), b"", lookup, now=NOW
    )
    assert check.ok


async def test_rfc9421_auth__covers_target_and_content_digest() -> None:
    # Given a POST signed with RFC 9421
    sent = await _send(
        Rfc9421Auth(KEY_ID, RSA_PRIVATE, clock=lambda: NOW),
        "POST",
        "https://peer.example/inbox",
        content=BODY,
        headers={"Content-Type": "application/activity+json"},
    )
    # Then the input lists the components, created and alg, and Content-Digest is RFC 9530
    signature_input = sent.headers["Signature-Input"]
    assert signature_input.startswith(
        'sig1=("@method" "@target-uri" "@authority" "date" "content-digest" "content-type")'
    )
    assert f";created={int(NOW.timestamp())};" in signature_input
    assert 'alg="rsa-v1_5-sha256"' in signature_input
    assert sent.headers["Content-Digest"].startswith("sha-256=:")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
async def test_auth__an_empty_body_that_may_carry_one_is_still_digested(method: str) -> None:
    # Given an empty-bodied POST, PUT or PATCH (a receiver must see the body is empty, so that
    # nobody can add one on the way)
    cavage_sent = await _send(
        CavageAuth(KEY_ID, RSA_PRIVATE, clock=lambda: NOW), method, "https://peer.example/x"
    )
    rfc_sent = await _send(
        Rfc9421Auth(KEY_ID, RSA_PRIVATE, clock=lambda: NOW), method, "https://peer.example/x"
    )
    # Then both carry the digest of no bytes, and sign it
    assert cavage_sent.headers["Digest"] == "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    assert 'headers="(request-target) host date digest"' in cavage_sent.headers["Signature"]
    assert rfc_sent.headers["Content-Digest"].startswith("sha-256=:47DEQpj8HBSa")
    assert '"date" "content-digest")' in rfc_sent.headers["Signature-Input"]


async def test_auth__a_get_is_not_digested() -> None:
    rfc_sent = await _send(
        Rfc9421Auth(KEY_ID, RSA_PRIVATE, clock=lambda: NOW), "GET", "https://peer.example/x"
    )
    assert "Content-Digest" not in rfc_sent.headers
    assert rfc_sent.headers["Signature-Input"].startswith(
        'sig1=("@method" "@target-uri" "@authority" "date");'
    )


async def test_auth__host_is_the_urls_whatever_the_caller_set() -> None:
    # Given a request whose caller set another Host (a signature over it would be re-targeted)
    sent = await _send(
        CavageAuth(KEY_ID, RSA_PRIVATE, clock=lambda: NOW),
        "GET",
        "https://peer.example:8443/users/ada",
        headers={"Host": "evil.example"},
    )
    # Then the Host sent, and signed, is the URL's
    assert sent.headers.get_list("Host") == ["peer.example:8443"]
