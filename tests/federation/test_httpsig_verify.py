"""verify_request: the inbox's one entry point, its policy, reasons and key rotation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from federation.httpsig import CavageAuth, Rfc9421Auth, SignatureCheck, cavage, verify_request
from federation.httpsig._message import collect_fields
from tests.federation._httpsig_vectors import (
    CAVAGE_PUBLIC,
    ED25519_PRIVATE,
    ED25519_PUBLIC,
    RSA_PRIVATE,
    RSA_PUBLIC,
)

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
INBOX = "https://lyceum.example/groups/chess/inbox"
KEY_ID = "https://peer.example/users/ada#main-key"
BODY = b'{"type": "Follow"}'


class Keys:
    """A key lookup that records its calls; `rotated` is what a refetch returns."""

    def __init__(self, pem: str | None, rotated: str | None = None) -> None:
        self.pem = pem
        self.rotated = rotated if rotated is not None else pem
        self.calls: list[tuple[str, bool]] = []

    async def __call__(self, key_id: str, refresh: bool) -> str | None:
        self.calls.append((key_id, refresh))
        return self.rotated if refresh else self.pem


def _signed(auth: httpx.Auth, method: str = "POST", body: bytes = BODY) -> httpx.Request:
    request = httpx.Request(
        method,
        INBOX,
        content=body if method == "POST" else None,
        headers={"Content-Type": "application/activity+json"} if method == "POST" else {},
    )
    return next(auth.sync_auth_flow(request))


async def _check(
    request: httpx.Request,
    keys: Keys,
    *,
    now: datetime = NOW,
    url: str = INBOX,
    body: bytes | None = None,
    **options: object,
) -> SignatureCheck:
    return await verify_request(
        request.method,
        url,
        request.headers.multi_items(),
        request.content if body is None else body,
        keys,
        now=now,
        **options,  # type: ignore[arg-type]
    )


def _cavage(private: str = RSA_PRIVATE) -> CavageAuth:
    return CavageAuth(KEY_ID, private, clock=lambda: NOW)


def _rfc9421(private: str = ED25519_PRIVATE) -> Rfc9421Auth:
    return Rfc9421Auth(KEY_ID, private, clock=lambda: NOW)


@pytest.mark.parametrize(
    ("auth", "public", "scheme"),
    [
        (_cavage(), RSA_PUBLIC, "draft-cavage"),
        (_rfc9421(), ED25519_PUBLIC, "rfc9421"),
        (_rfc9421(RSA_PRIVATE), RSA_PUBLIC, "rfc9421"),
    ],
    ids=["cavage-rsa", "rfc9421-ed25519", "rfc9421-rsa"],
)
async def test_verify_request__round_trip(auth: httpx.Auth, public: str, scheme: str) -> None:
    # Given a POST signed with one scheme
    request = _signed(auth)
    keys = Keys(public)
    # When it is verified
    check = await _check(request, keys)
    # Then it is ok, names the key and scheme, and the key was looked up once
    assert check == SignatureCheck(True, key_id=KEY_ID, scheme=scheme)
    assert keys.calls == [(KEY_ID, False)]


async def test_verify_request__accepts_a_signed_get() -> None:
    # Given a GET signed without a body
    request = _signed(_cavage(), method="GET")
    # When verified, Then no digest is demanded
    assert (await _check(request, Keys(RSA_PUBLIC))).ok


@pytest.mark.parametrize("auth", [_cavage(), _rfc9421()], ids=["cavage", "rfc9421"])
async def test_verify_request__changed_body_fails_on_the_digest(auth: httpx.Auth) -> None:
    # Given a signed POST, When the body received differs from the one signed
    request = _signed(auth)
    check = await _check(request, Keys(RSA_PUBLIC), body=b'{"type": "Delete"}')
    # Then the recomputed digest does not match
    assert not check.ok
    assert "does not match the body" in check.reason


@pytest.mark.parametrize("auth", [_cavage(), _rfc9421(RSA_PRIVATE)], ids=["cavage", "rfc9421"])
async def test_verify_request__changed_header_or_path_fails(auth: httpx.Auth) -> None:
    # Given a signed POST
    request = _signed(auth)
    # When a signed header changes, or it arrives at another path
    request.headers["Content-Type"] = "text/plain"
    changed_header = await _check(request, Keys(RSA_PUBLIC))
    other_path = await _check(_signed(auth), Keys(RSA_PUBLIC), url=INBOX + "2")
    # Then neither verifies, and the reason names the key
    for check in (changed_header, other_path):
        assert not check.ok
        assert check.reason == f"the signature does not match key {KEY_ID}"


async def test_verify_request__wrong_key_refetches_once_then_fails() -> None:
    # Given a request signed with one key while the lookup knows another
    keys = Keys(CAVAGE_PUBLIC)
    # When verified
    check = await _check(_signed(_cavage()), keys)
    # Then the key was refetched exactly once, and the check failed
    assert not check.ok
    assert keys.calls == [(KEY_ID, False), (KEY_ID, True)]


async def test_verify_request__rotated_key_verifies_after_refetch() -> None:
    # Given a cached old key and a refetch that returns the actor's new key
    keys = Keys(CAVAGE_PUBLIC, rotated=RSA_PUBLIC)
    # When a request signed with the new key is verified
    check = await _check(_signed(_cavage()), keys)
    # Then it passes on the second try
    assert check.ok
    assert keys.calls == [(KEY_ID, False), (KEY_ID, True)]


async def test_verify_request__unknown_or_unusable_key() -> None:
    # Given a lookup that finds nothing, and one that returns junk
    missing = await _check(_signed(_cavage()), Keys(None))
    junk = await _check(_signed(_cavage()), Keys("not a pem"))
    # Then both fail with a reason, junk without crashing
    assert missing.reason == f"the key {KEY_ID} could not be found"
    assert not junk.ok
    assert junk.reason.startswith("the key is unusable")


@pytest.mark.parametrize(
    ("offset", "reason"),
    [
        (timedelta(hours=3), "the date is 3 hours old"),
        (timedelta(minutes=-90), "the date is 1 hour in the future"),
    ],
)
async def test_verify_request__date_outside_the_window(offset: timedelta, reason: str) -> None:
    # Given a cavage request signed at NOW, When checked at another time
    check = await _check(_signed(_cavage()), Keys(RSA_PUBLIC), now=NOW + offset)
    # Then the reason says how far off the date is
    assert check == SignatureCheck(False, key_id=KEY_ID, scheme="draft-cavage", reason=reason)


async def test_verify_request__window_is_configurable() -> None:
    # Given a request 2 minutes old, When the window is one minute, Then it is stale
    check = await _check(
        _signed(_rfc9421()),
        Keys(ED25519_PUBLIC),
        now=NOW + timedelta(minutes=2),
        window_seconds=60,
    )
    assert check.reason == "the created time is 2 minutes old"


def _cavage_headers(names: str, body: bytes = BODY) -> list[tuple[str, str]]:
    """A POST whose signature covers only `names` (signature bytes do not matter here)."""
    request = _signed(_cavage(), body=body)
    headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "signature"]
    return [*headers, ("Signature", f'keyId="{KEY_ID}",headers="{names}",signature="AAAA"')]


@pytest.mark.parametrize(
    ("names", "reason"),
    [
        ("(request-target) host date", "the signature does not cover the digest"),
        ("host date digest", "the signature does not cover the target"),
        ("(request-target) date digest", "the signature does not cover the host"),
        ("(request-target) host digest", "the signature does not cover the date"),
    ],
)
async def test_verify_request__cavage_must_cover_the_required_parts(
    names: str, reason: str
) -> None:
    # Given a cavage signature that leaves out a required part
    keys = Keys(RSA_PUBLIC)
    # When verified
    check = await verify_request("POST", INBOX, _cavage_headers(names), BODY, keys, now=NOW)
    # Then the reason names the part, and no key was fetched
    assert (check.ok, check.reason) == (False, reason)
    assert keys.calls == []


def _rfc9421_headers(signature_input: str) -> list[tuple[str, str]]:
    request = _signed(_rfc9421())
    kept = [
        (k, v)
        for k, v in request.headers.multi_items()
        if k.lower() not in ("signature", "signature-input")
    ]
    return [*kept, ("Signature-Input", signature_input), ("Signature", "sig1=:AAAA:")]


CREATED = int(NOW.timestamp())


@pytest.mark.parametrize(
    ("signature_input", "reason"),
    [
        (
            'sig1=("@method" "@target-uri" "content-digest");keyid="k"',
            "the signature has no created time",
        ),
        (
            f'sig1=("@method" "@target-uri");created={CREATED};keyid="k"',
            "the signature does not cover the digest",
        ),
        (
            f'sig1=("@target-uri" "content-digest");created={CREATED};keyid="k"',
            "the signature does not cover the method",
        ),
        (
            f'sig1=("@method" "@authority" "content-digest");created={CREATED};keyid="k"',
            "the signature does not cover the target",
        ),
        (
            f'sig1=("@method" "@path" "content-digest");created={CREATED};keyid="k"',
            "the signature does not cover the host",
        ),
        (
            f'sig1=("@method" "@target-uri" "content-digest");created={CREATED}',
            "the signature has no keyid",
        ),
        (
            f'sig1=("@method" "@target-uri" "content-digest");created={CREATED};keyid="k";'
            f"expires={CREATED - 600}",
            "the signature expired 10 minutes ago",
        ),
        (
            f'sig1=("@method" "@target-uri" "content-digest");created={CREATED};keyid="k";'
            'alg="hmac-sha256"',
            "algorithm hmac-sha256 is not accepted",
        ),
    ],
    ids=[
        "no-created",
        "no-digest",
        "no-method",
        "no-target",
        "no-host",
        "no-keyid",
        "expired",
        "hmac",
    ],
)
async def test_verify_request__rfc9421_policy(signature_input: str, reason: str) -> None:
    # Given an RFC 9421 signature that breaks one rule
    keys = Keys(ED25519_PUBLIC)
    # When verified
    check = await verify_request(
        "POST", INBOX, _rfc9421_headers(signature_input), BODY, keys, now=NOW
    )
    # Then it fails with the reason, before any key lookup
    assert (check.ok, check.scheme, check.reason) == (False, "rfc9421", reason)
    assert keys.calls == []


async def test_verify_request__required_components_are_enforced() -> None:
    # Given a cavage POST (which signs content-type) and a GET (which does not)
    post = await _check(_signed(_cavage()), Keys(RSA_PUBLIC), required_components=["Content-Type"])
    get = await _check(
        _signed(_cavage(), method="GET"), Keys(RSA_PUBLIC), required_components=["content-type"]
    )
    # Then only the POST passes
    assert post.ok
    assert get.reason == "the signature does not cover content-type"


async def test_verify_request__unsigned_and_malformed() -> None:
    # Given an unsigned request and ones with broken headers
    keys = Keys(RSA_PUBLIC)
    unsigned = await verify_request("POST", INBOX, {"Host": "x"}, BODY, keys, now=NOW)
    broken_cavage = await verify_request("POST", INBOX, {"Signature": "nonsense"}, BODY, keys)
    broken_9421 = await verify_request(
        "POST", INBOX, {"Signature-Input": "sig1=(", "Signature": "x"}, BODY, keys
    )
    # Then each is refused with a reason, and no key was looked up
    assert unsigned.reason == "the request is not signed"
    assert broken_cavage.scheme == "draft-cavage" and not broken_cavage.ok
    assert broken_9421.scheme == "rfc9421" and broken_9421.reason.startswith("malformed")
    assert keys.calls == []


async def test_verify_request__missing_covered_header_is_a_reason() -> None:
    # Given a cavage signature covering a header the request does not carry
    headers = _cavage_headers("(request-target) host date digest x-custom")
    # When verified, Then the reason names the header
    check = await verify_request("POST", INBOX, headers, BODY, Keys(RSA_PUBLIC), now=NOW)
    assert check.reason == "the signature covers x-custom, which the request lacks"


async def test_verify_request__takes_authorization_signature_and_plain_dicts() -> None:
    # Given the cavage signature moved to `Authorization: Signature ...`, headers as a dict
    request = _signed(_cavage())
    headers = dict(request.headers)
    headers["Authorization"] = "Signature " + headers.pop("signature")
    fields = collect_fields(headers)
    assert cavage.find(fields) is not None
    # When verified, Then it passes
    check = await verify_request("POST", INBOX, headers, BODY, Keys(RSA_PUBLIC), now=NOW)
    assert check.ok
