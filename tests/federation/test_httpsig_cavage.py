"""draft-cavage-http-signatures-12: the appendix C vectors, round trips and tampering."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from federation.httpsig import cavage, load_private_key, load_public_key
from federation.httpsig._message import collect_fields
from federation.httpsig.errors import MalformedSignature, MissingComponent
from tests.federation._httpsig_vectors import (
    CAVAGE_HEADERS,
    CAVAGE_METHOD,
    CAVAGE_PRIVATE,
    CAVAGE_PUBLIC,
    CAVAGE_TARGET,
    RSA_PUBLIC,
)

C1 = (
    "SjWJWbWN7i0wzBvtPl8rbASWz5xQW6mcJmn+ibttBqtifLN7Sazz6m79cNfwwb8DMJ5cou1s7uEGKKCs+FLEEaDV5lp7"
    "q25WqS+lavg7T8hc0GppauB6hbgEKTwblDHYGEtbGmtdHgVCk9SuS13F0hZ8FD0k/5OxEPXe5WozsbM="
)
C2 = (
    "qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2iicw3HMbe"
    "8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0="
)
# C.3 as published lists `(created) (expires)` too, but its signature value was computed
# without them (a known erratum); this is the header list that value belongs to.
C3_HEADERS = ("(request-target)", "host", "date", "content-type", "digest", "content-length")
C3 = (
    "vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEKBIvB1q52LaEU"
    "HFv120V01IL+TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE="
)


def _sign(headers: tuple[str, ...]) -> str:
    fields = collect_fields(CAVAGE_HEADERS)
    key = load_private_key(CAVAGE_PRIVATE)
    return cavage.sign(CAVAGE_METHOD, CAVAGE_TARGET, fields, headers, key, "Test")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [(("date",), C1), (("(request-target)", "host", "date"), C2), (C3_HEADERS, C3)],
    ids=["C.1-default", "C.2-basic", "C.3-all-headers"],
)
def test_sign__reproduces_appendix_c(headers: tuple[str, ...], expected: str) -> None:
    # Given the appendix C request and the "Test" key
    # When it is signed over the vector's headers
    value = _sign(headers)
    # Then the signature is byte-for-byte the draft's (rsa-sha256 is deterministic)
    assert value == (
        f'keyId="Test",algorithm="rsa-sha256",headers="{" ".join(headers)}",signature="{expected}"'
    )


def test_signing_string__is_the_c2_text() -> None:
    # Given the C.2 header list, When the signing string is built, Then it is the draft's text
    fields = collect_fields(CAVAGE_HEADERS)
    text = cavage.signing_string(
        "POST", CAVAGE_TARGET, fields, ("(request-target)", "host", "date")
    )
    assert text == (
        "(request-target): post /foo?param=value&pet=dog\n"
        "host: example.com\n"
        "date: Sun, 05 Jan 2014 21:31:40 GMT"
    )


def test_verify__accepts_c2_from_the_authorization_header() -> None:
    # Given the C.2 signature sent as `Authorization: Signature ...` with hs2019
    raw = f'keyId="Test",algorithm="hs2019",headers="(request-target) host date",signature="{C2}"'
    fields = collect_fields({**CAVAGE_HEADERS, "Authorization": f"Signature {raw}"})
    # When it is found and parsed
    found = cavage.find(fields)
    assert found is not None
    signature = cavage.parse(found)
    # Then it verifies with the public key
    assert signature.key_id == "Test"
    assert cavage.verify(signature, "POST", CAVAGE_TARGET, fields, load_public_key(CAVAGE_PUBLIC))


@pytest.mark.parametrize(
    ("method", "target", "header", "value"),
    [
        ("GET", CAVAGE_TARGET, None, None),
        ("POST", "/foo?param=value&pet=cat", None, None),
        ("POST", CAVAGE_TARGET, "Host", "example.org"),
        ("POST", CAVAGE_TARGET, "Date", "Sun, 05 Jan 2014 21:31:41 GMT"),
        ("POST", CAVAGE_TARGET, "Digest", "SHA-256=AAAA"),
    ],
    ids=["method", "path", "host", "date", "digest"],
)
def test_verify__rejects_a_tampered_request(
    method: str, target: str, header: str | None, value: str | None
) -> None:
    # Given the C.3 signature
    signature = cavage.parse(_sign(C3_HEADERS))
    headers = dict(CAVAGE_HEADERS)
    if header is not None and value is not None:
        headers[header] = value
    # When one covered part changes, Then the signature no longer verifies
    key = load_public_key(CAVAGE_PUBLIC)
    assert not cavage.verify(signature, method, target, collect_fields(headers), key)


def test_verify__rejects_another_key() -> None:
    # Given a valid signature, When checked with a different RSA key, Then it fails
    signature = cavage.parse(_sign(C3_HEADERS))
    fields = collect_fields(CAVAGE_HEADERS)
    assert not cavage.verify(signature, "POST", CAVAGE_TARGET, fields, load_public_key(RSA_PUBLIC))


def test_verify__missing_covered_header_raises() -> None:
    # Given a signature over content-type, When the request lacks it, Then MissingComponent
    signature = cavage.parse(_sign(C3_HEADERS))
    headers = {k: v for k, v in CAVAGE_HEADERS.items() if k != "Content-Type"}
    with pytest.raises(MissingComponent, match="content-type"):
        cavage.verify(
            signature,
            "POST",
            CAVAGE_TARGET,
            collect_fields(headers),
            load_public_key(CAVAGE_PUBLIC),
        )


def test_sign__ed25519_round_trip_says_hs2019() -> None:
    # Given an Ed25519 key
    private = Ed25519PrivateKey.generate()
    public_pem = (
        private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    )
    fields = collect_fields(CAVAGE_HEADERS)
    # When a request is signed with it
    value = cavage.sign("POST", "/inbox", fields, ("(request-target)", "host"), private, "k")
    # Then the header says hs2019 and verifies
    signature = cavage.parse(value)
    assert signature.algorithm == "hs2019"
    assert cavage.verify(signature, "POST", "/inbox", fields, load_public_key(public_pem))


@pytest.mark.parametrize(
    "value",
    [
        'keyId="Test",headers="date"',
        'keyId="Test",signature="not base64!"',
        "garbage",
        'keyId="Test",signature="AAAA",created=soon',
    ],
)
def test_parse__refuses_malformed_headers(value: str) -> None:
    # Given a malformed Signature header, When parsed, Then MalformedSignature
    with pytest.raises(MalformedSignature):
        cavage.parse(value)


def test_verify__c1_without_a_header_list_covers_the_date() -> None:
    # Given the C.1 signature, sent without `headers` (the draft's default: the Date only)
    raw = f'keyId="Test",algorithm="rsa-sha256",signature="{C1}"'
    fields = collect_fields({**CAVAGE_HEADERS, "Signature": raw})
    signature = cavage.parse(raw)
    # Then it is read as covering the date, and verifies
    assert signature.headers == ("date",)
    assert cavage.verify(signature, "POST", CAVAGE_TARGET, fields, load_public_key(CAVAGE_PUBLIC))


def test_parse__reads_quoted_and_numeric_parameters() -> None:
    # Given parameters quoted and bare, in any order, with spaces around them
    signature = cavage.parse(
        ' signature="AAAA" , created=1402170695,keyId="k",expires=-1 ,'
        'algorithm="HS2019",headers="(Request-Target) Host (created)"'
    )
    # Then each is read: numbers as numbers, names lower-cased
    assert signature.key_id == "k"
    assert signature.algorithm == "hs2019"
    assert signature.headers == ("(request-target)", "host", "(created)")
    assert (signature.created, signature.expires) == (1402170695, -1)
    assert signature.signature == b"\x00\x00\x00"


@pytest.mark.parametrize(
    "value",
    [
        'keyId="Test",signature="AA AA"',
        'keyId="Test",signature="AA\nAA"',
        'keyId="Test",signature="AAA"',
        'keyId="Test",signature="AAAA",headers=""',
        'keyId="Test",signature="AAAA",headers="  "',
        'signature="AAAA"',
        'keyId="Test",signature="AAAA",expires=soon',
        'keyId="Test",signature="AAAA",expires="soon"',
        'keyId="Test",signature="AAAA",created="1.5"',
    ],
)
def test_parse__refuses_more_malformed_headers(value: str) -> None:
    with pytest.raises(MalformedSignature):
        cavage.parse(value)


def test_find__takes_the_signature_header_first_then_authorization() -> None:
    both = collect_fields({"Signature": "a=1", "Authorization": "Signature b=2"})
    only_authorization = collect_fields({"Authorization": "signature  b=2 "})
    other_scheme = collect_fields({"Authorization": "Bearer b=2"})
    empty = collect_fields({"Authorization": "Signature   "})
    assert cavage.find(both) == "a=1"
    assert cavage.find(only_authorization) == "b=2"
    assert cavage.find(other_scheme) is None
    assert cavage.find(empty) is None
    assert cavage.find(collect_fields({})) is None


def test_signing_string__states_created_and_expires() -> None:
    # Given (created) and (expires) among the covered headers
    names = ("(request-target)", "(created)", "(expires)")
    text = cavage.signing_string("GET", "/x", {}, names, created=1402170695, expires=1402170995)
    # Then their values are the numbers themselves
    assert text == "(request-target): get /x\n(created): 1402170695\n(expires): 1402170995"
    # And a covered one that is not stated cannot be built
    with pytest.raises(MissingComponent, match=r"\(created\)"):
        cavage.signing_string("GET", "/x", {}, names, expires=1)
    with pytest.raises(MissingComponent, match=r"\(expires\)"):
        cavage.signing_string("GET", "/x", {}, names, created=1)


def test_sign__with_created_says_hs2019_and_states_it() -> None:
    key = load_private_key(CAVAGE_PRIVATE)
    value = cavage.sign("GET", "/x", {}, ("(created)",), key, "k", created=5, expires=9)
    assert value.startswith('keyId="k",algorithm="hs2019",created=5,expires=9,headers="(created)"')
