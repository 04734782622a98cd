"""RFC 9421: the appendix B and section 4.3 vectors, round trips and tampering."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from federation.httpsig import (
    SignatureCheck,
    load_private_key,
    load_public_key,
    rfc9421,
    verify_request,
)
from federation.httpsig._message import Fields, collect_fields
from federation.httpsig.errors import MalformedSignature, MissingComponent, UnsupportedComponent
from tests.federation._httpsig_vectors import (
    B2_BODY,
    B2_CREATED,
    B2_HEADERS,
    B2_METHOD,
    B2_URL,
    ED25519_PRIVATE,
    ED25519_PUBLIC,
    RSA_PRIVATE,
    RSA_PSS_PUBLIC,
    RSA_PUBLIC,
    SHARED_SECRET_B64,
)

B21 = (
    'sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"',
    "sig-b21=:d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgG"
    "xbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhz"
    "x2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5Tmc"
    "AnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==:",
)
B22 = (
    'sig-b22=("@authority" "content-digest");created=1618884473;keyid="test-key-rsa-pss"',
    "sig-b22=:Fee1uy9YGZq5UUwwYU6vz4dZNvfw3GYrFl1L6YlVIyUMuWswWDNSvql4dVtSeidYjYZUm7SBCENIb5KYy2By"
    "oC3bI+7gydd2i4OAT5lyDtmeapnAa8uP/b9xUpg+VSPElbBs6JWBIQsd+nMdHDe+ls/IwVMwXktC37SqsnbNyhNp6kcv"
    "cWpevjzFcD2VqdZleUz4jN7P+W5A3wHiMGfIjIWn36KXNB+RKyrlGnIS8yaBBrom5rcZWLrLbtg6VlrH1+/07RV+kgTh"
    "/l10h8qgpl9zQHu7mWbDKTq0tJ8K4ywcPoC4s2I4rU88jzDKDGdTTQFZoTVZxZmuTM1FvHfzIw==:",
)
B23 = (
    'sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" '
    '"content-length");created=1618884473;keyid="test-key-rsa-pss"',
    "sig-b23=:bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683"
    "+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH"
    "1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8"
    "LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==:",
)
B25 = (
    'sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"',
    "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:",
)
B26 = (
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");'
    'created=1618884473;keyid="test-key-ed25519"',
    "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKR"
    "Cw==:",
)
# Section 4.3: the proxy's rsa-v1_5-sha256 signature (deterministic, so reproducible).
PROXY_URL = "https://origin.host.internal.example/foo?param=Value&Pet=dog"
PROXY_HEADERS = {
    **B2_HEADERS,
    "Host": "origin.host.internal.example",
    "Forwarded": "for=192.0.2.123;host=example.com;proto=https",
}
PROXY = (
    'proxy_sig=("@method" "@authority" "@path" "content-digest" "content-type" "content-length" '
    '"forwarded");created=1618884480;keyid="test-key-rsa";alg="rsa-v1_5-sha256";'
    "expires=1618884540",
    "proxy_sig=:S6ZzPXSdAMOPjN/6KXfXWNO/f7V6cHm7BXYUh3YD/fRad4BCaRZxP+JH+8XY1I6+8Cy+CM5g92iHgxtRP"
    "z+MjniOaYmdkDcnL9cCpXJleXsOckpURl49GwiyUpZ10KHgOEe11sx3G2gxI8S0jnxQB+Pu68U9vVcasqOWAEObtNKKZ"
    "d8tSFu7LB5YAv0RAGhB8tmpv7sFnIm9y+7X5kXQfi8NMaZaA8i2ZHwpBdg7a6CMfwnnrtflzvZdXAsD3LH2TwevU+/PB"
    "Pv0B6NMNk93wUs/vfJvye+YuI87HU38lZHowtznbLVdp770I6VHR6WfgS9ddzirrswsE1w5o0LV/g==:",
)


def _signed(vector: tuple[str, str], headers: dict[str, str] = B2_HEADERS) -> Fields:
    return collect_fields({**headers, "Signature-Input": vector[0], "Signature": vector[1]})


def _components(vector: tuple[str, str]) -> tuple[str, ...]:
    return rfc9421.parse(_signed(vector))[0].components


@pytest.mark.parametrize("vector", [B21, B22, B23], ids=["B.2.1", "B.2.2", "B.2.3"])
def test_verify__accepts_the_rsa_pss_vectors(vector: tuple[str, str]) -> None:
    # Given the test request with one of the RFC's rsa-pss-sha512 signatures (no alg given)
    fields = _signed(vector)
    signature = rfc9421.parse(fields)[0]
    # When it is verified with test-key-rsa-pss
    ok = rfc9421.verify(signature, B2_METHOD, B2_URL, fields, load_public_key(RSA_PSS_PUBLIC))
    # Then it is valid (PSS is randomised: the RFC's values can only be verified)
    assert ok
    assert signature.key_id == "test-key-rsa-pss"
    assert signature.created == B2_CREATED


def test_signature_base__is_the_b26_text() -> None:
    # Given the B.2.6 components, When the base is built, Then it is the RFC's text
    signature = rfc9421.parse(_signed(B26))[0]
    base = rfc9421.signature_base(
        B2_METHOD, B2_URL, collect_fields(B2_HEADERS), signature.components, signature.params
    )
    assert base.decode() == (
        '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
        '"@method": POST\n'
        '"@path": /foo\n'
        '"@authority": example.com\n'
        '"content-type": application/json\n'
        '"content-length": 18\n'
        '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" '
        '"content-length");created=1618884473;keyid="test-key-ed25519"'
    )


def test_sign__reproduces_b26_ed25519() -> None:
    # Given the test request and test-key-ed25519
    # When it is signed as in B.2.6 (no alg parameter)
    signature_input, signature = rfc9421.sign(
        B2_METHOD,
        B2_URL,
        collect_fields(B2_HEADERS),
        _components(B26),
        load_private_key(ED25519_PRIVATE),
        "test-key-ed25519",
        created=B2_CREATED,
        include_alg=False,
        label="sig-b26",
    )
    # Then both headers are exactly the RFC's, and they verify with the public key
    assert (signature_input, signature) == B26
    fields = _signed(B26)
    parsed = rfc9421.parse(fields)[0]
    assert rfc9421.verify(parsed, B2_METHOD, B2_URL, fields, load_public_key(ED25519_PUBLIC))


def test_sign__reproduces_b25_hmac() -> None:
    # Given the shared secret, When the B.2.5 components are signed with hmac-sha256
    secret = base64.b64decode(SHARED_SECRET_B64)
    result = rfc9421.sign(
        B2_METHOD,
        B2_URL,
        collect_fields(B2_HEADERS),
        _components(B25),
        secret,
        "test-shared-secret",
        created=B2_CREATED,
        include_alg=False,
        label="sig-b25",
    )
    # Then the headers are the RFC's
    assert result == B25


def test_sign__reproduces_the_section_4_3_rsa_v1_5_signature() -> None:
    # Given the proxy's request and test-key-rsa
    fields = collect_fields(PROXY_HEADERS)
    components = rfc9421.parse(_signed(PROXY, PROXY_HEADERS))[0].components
    # When signed with rsa-v1_5-sha256 and the RFC's created/expires
    result = rfc9421.sign(
        "POST",
        PROXY_URL,
        fields,
        components,
        load_private_key(RSA_PRIVATE),
        "test-key-rsa",
        created=1618884480,
        expires=1618884540,
        label="proxy_sig",
    )
    # Then the headers are exactly the RFC's, and they verify with the PKCS#1 public key
    assert result == PROXY
    signed = _signed(PROXY, PROXY_HEADERS)
    parsed = rfc9421.parse(signed)[0]
    assert rfc9421.verify(parsed, "POST", PROXY_URL, signed, load_public_key(RSA_PUBLIC))


@pytest.mark.parametrize(
    ("method", "url", "header", "value"),
    [
        ("GET", B2_URL, None, None),
        ("POST", "https://example.com/bar?param=Value&Pet=dog", None, None),
        ("POST", "https://example.org/foo?param=Value&Pet=dog", None, None),
        ("POST", B2_URL, "Content-Type", "text/plain"),
        ("POST", B2_URL, "Date", "Tue, 20 Apr 2021 02:07:56 GMT"),
    ],
    ids=["method", "path", "authority", "content-type", "date"],
)
def test_verify__rejects_a_tampered_request(
    method: str, url: str, header: str | None, value: str | None
) -> None:
    # Given the B.2.6 signature
    headers = dict(B2_HEADERS)
    if header is not None and value is not None:
        headers[header] = value
    fields = _signed(B26, headers)
    signature = rfc9421.parse(fields)[0]
    # When a covered part changes, Then it no longer verifies
    assert not rfc9421.verify(signature, method, url, fields, load_public_key(ED25519_PUBLIC))


def test_verify__rejects_a_wrong_key_and_a_wrong_alg() -> None:
    # Given the B.2.6 signature
    fields = _signed(B26)
    signature = rfc9421.parse(fields)[0]
    # Then an RSA key cannot verify it
    assert not rfc9421.verify(signature, B2_METHOD, B2_URL, fields, load_public_key(RSA_PUBLIC))
    # And a B.2.3 signature claimed as rsa-v1_5-sha256 does not verify either
    claimed = (B23[0] + ';alg="rsa-v1_5-sha256"', B23[1])
    wrong = _signed(claimed)
    parsed = rfc9421.parse(wrong)[0]
    assert not rfc9421.verify(parsed, B2_METHOD, B2_URL, wrong, load_public_key(RSA_PSS_PUBLIC))


def test_verify__missing_header_and_unknown_components_raise() -> None:
    # Given B.2.6 on a request without Content-Length
    headers = {k: v for k, v in B2_HEADERS.items() if k != "Content-Length"}
    fields = _signed(B26, headers)
    signature = rfc9421.parse(fields)[0]
    # Then the base cannot be built
    with pytest.raises(MissingComponent, match="content-length"):
        rfc9421.verify(signature, B2_METHOD, B2_URL, fields, load_public_key(ED25519_PUBLIC))
    # And component parameters and @query-param are refused, not guessed
    with pytest.raises(UnsupportedComponent):
        rfc9421.parse(_signed(('s=("accept";sf);created=1;keyid="k"', "s=:AAAA:")))
    query_param = _signed(('s=("@query-param");created=1;keyid="k"', "s=:AAAA:"))
    with pytest.raises(UnsupportedComponent):
        rfc9421.verify(rfc9421.parse(query_param)[0], "GET", B2_URL, query_param, b"secret")


@pytest.mark.parametrize(
    ("signature_input", "signature"),
    [
        ("sig1", "sig1=:AAAA:"),
        ('sig1=("@method";created=1', "sig1=:AAAA:"),
        ('sig1=("@method");created=1', "sig2=:AAAA:"),
        ('sig1=("@method" "@method");created=1', "sig1=:AAAA:"),
        ("sig1=(@method);created=1", "sig1=:AAAA:"),
        ('sig1=("@method");created=1', "sig1=AAAA"),
    ],
    ids=["no-list", "unclosed", "label-mismatch", "duplicate", "token", "not-bytes"],
)
def test_parse__refuses_malformed_headers(signature_input: str, signature: str) -> None:
    # Given malformed Signature-Input/Signature, When parsed, Then MalformedSignature
    with pytest.raises(MalformedSignature):
        rfc9421.parse(collect_fields({"Signature-Input": signature_input, "Signature": signature}))


def test_verify__accepts_b25_hmac() -> None:
    # Given the B.2.5 request, When verified with the shared secret, Then it is valid
    fields = _signed(B25)
    signature = rfc9421.parse(fields)[0]
    secret = base64.b64decode(SHARED_SECRET_B64)
    assert rfc9421.verify(signature, B2_METHOD, B2_URL, fields, secret)
    assert not rfc9421.verify(signature, B2_METHOD, B2_URL, fields, secret[:-1])


B2_NOW = datetime.fromtimestamp(B2_CREATED, UTC)


async def _inbox_policy(vector: tuple[str, str], public: str) -> SignatureCheck:
    async def lookup(key_id: str, refresh: bool) -> str | None:
        return public

    headers = {**B2_HEADERS, "Signature-Input": vector[0], "Signature": vector[1]}
    return await verify_request(B2_METHOD, B2_URL, headers, B2_BODY, lookup, now=B2_NOW)


async def test_verify_request__b23_passes_the_whole_inbox_policy() -> None:
    # Given B.2.3 (method, path, query, authority, a covered Date, the body's Content-Digest)
    # When it arrives at the moment it was made, Then every rule of ours is met, and it verifies
    check = await _inbox_policy(B23, RSA_PSS_PUBLIC)
    assert check == SignatureCheck(True, key_id="test-key-rsa-pss", scheme="rfc9421")


@pytest.mark.parametrize(
    ("vector", "public", "reason"),
    [
        (B21, RSA_PSS_PUBLIC, "the signature does not cover the method"),
        (B22, RSA_PSS_PUBLIC, "the signature does not cover the method"),
        (B25, RSA_PSS_PUBLIC, "the signature does not cover the method"),
        # @path without @query on a URL with a query: the query could be changed on the way
        (B26, ED25519_PUBLIC, "the signature does not cover the target"),
    ],
    ids=["B.2.1", "B.2.2", "B.2.5", "B.2.6"],
)
async def test_verify_request__the_other_b2_signatures_cover_too_little_for_an_inbox(
    vector: tuple[str, str], public: str, reason: str
) -> None:
    # Given an RFC example that is valid but leaves out what a POST to an inbox must cover
    check = await _inbox_policy(vector, public)
    # Then our policy refuses it, saying what is missing
    assert (check.ok, check.reason) == (False, reason)


def test_parse__refuses_token_components_and_keeps_labels() -> None:
    # A component must be a string: `(date)` is a token, no component name
    with pytest.raises(MalformedSignature, match="is not a string"):
        rfc9421.parse(_signed(('s=(date);created=1;keyid="k"', "s=:AAAA:")))
    assert [s.label for s in rfc9421.parse(_signed(B21))] == ["sig-b21"]


def test_signature_base__derives_every_supported_component() -> None:
    names = ("@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path")
    base = rfc9421.signature_base(
        "post", "HTTPS://Example.com:443/foo?a=1", {}, (*names, "@query"), {"created": 1}
    )
    assert base.decode().splitlines()[:-1] == [
        '"@method": POST',
        '"@target-uri": HTTPS://Example.com:443/foo?a=1',
        '"@authority": example.com',
        '"@scheme": https',
        '"@request-target": /foo?a=1',
        '"@path": /foo',
        '"@query": ?a=1',
    ]
    bare = rfc9421.signature_base("GET", "https://example.com", {}, ("@path",), {})
    assert bare.decode().splitlines()[0] == '"@path": /'


def test_sign__states_nonce_and_tag() -> None:
    signature_input, _ = rfc9421.sign(
        "GET",
        B2_URL,
        {},
        ("@method",),
        load_private_key(ED25519_PRIVATE),
        "k",
        created=1,
        expires=2,
        nonce="n1",
        tag="t1",
    )
    assert (
        signature_input
        == 'sig1=("@method");created=1;keyid="k";alg="ed25519";expires=2;nonce="n1";tag="t1"'
    )
