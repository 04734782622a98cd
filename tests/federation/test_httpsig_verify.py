"""verify_request: the inbox's one entry point, its policy, reasons and key rotation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from federation.httpsig import (
    CavageAuth,
    Rfc9421Auth,
    SignatureCheck,
    cavage,
    content_digest,
    digest_header,
    load_private_key,
    rfc9421,
    verify_request,
)
from federation.httpsig._message import collect_fields, imf_fixdate
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


GONE = "gone"  # a refetch that finds the key no more


class Keys:
    """A key lookup that records its calls; `rotated` is what a refetch returns."""

    def __init__(self, pem: str | None, rotated: str | None = None) -> None:
        self.pem = pem
        self.rotated = None if rotated == GONE else rotated if rotated is not None else pem
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
    # Then it passes on the second try, naming the key and scheme
    assert check == SignatureCheck(True, key_id=KEY_ID, scheme="draft-cavage")
    assert keys.calls == [(KEY_ID, False), (KEY_ID, True)]


async def test_verify_request__a_key_gone_on_refetch_fails_cleanly() -> None:
    # Given a cached key that does not match, and an actor whose key is gone on refetch
    keys = Keys(CAVAGE_PUBLIC, rotated=GONE)
    # When verified, Then it fails with the reason, after one refetch
    check = await _check(_signed(_cavage()), keys)
    assert (check.ok, check.reason) == (False, f"the signature does not match key {KEY_ID}")
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
    assert unsigned.ok is False
    assert broken_cavage.scheme == "draft-cavage" and broken_cavage.ok is False
    assert broken_cavage.reason.startswith("cannot parse the Signature header")
    assert broken_9421.ok is False
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


# --- The algorithm a signature declares must fit the key, and the bytes must verify ---------


def _with_algorithm(request: httpx.Request, algorithm: str) -> list[tuple[str, str]]:
    """The request's headers with the cavage signature's declared algorithm replaced."""
    signature = request.headers["signature"].replace('algorithm="rsa-sha256"', algorithm)
    headers = [(k, v) for k, v in request.headers.multi_items() if k != "signature"]
    return [*headers, ("Signature", signature)]


@pytest.mark.parametrize(
    ("algorithm", "reason"),
    [
        ('algorithm="ed25519"', f"the signature does not match key {KEY_ID}"),
        ('algorithm="hmac-sha256"', "unsupported algorithm hmac-sha256"),
        ('algorithm="rsa-sha1"', "unsupported algorithm rsa-sha1"),
    ],
    ids=["ed25519", "hmac", "unknown"],
)
async def test_verify_request__cavage_algorithm_that_does_not_fit_the_key_fails(
    algorithm: str, reason: str
) -> None:
    # Given a valid rsa-sha256 signature whose header claims another algorithm
    headers = _with_algorithm(_signed(_cavage()), algorithm)
    # When verified against the signer's own RSA key
    check = await verify_request("POST", INBOX, headers, BODY, Keys(RSA_PUBLIC), now=NOW)
    # Then it fails: no algorithm name skips the cryptographic check
    assert (check.ok, check.reason) == (False, reason)


async def test_verify_request__cavage_hs2019_takes_the_algorithm_from_the_key() -> None:
    # Given a valid rsa-sha256 signature that says hs2019 (what newer Mastodon sends)
    headers = _with_algorithm(_signed(_cavage()), 'algorithm="hs2019"')
    # When verified, Then the RSA key's algorithm is used and it passes; another key fails
    assert (await verify_request("POST", INBOX, headers, BODY, Keys(RSA_PUBLIC), now=NOW)).ok
    other = await verify_request("POST", INBOX, headers, BODY, Keys(ED25519_PUBLIC), now=NOW)
    assert not other.ok


def _rfc9421_signed(
    components: tuple[str, ...] = ("@method", "@target-uri", "content-digest"),
    *,
    private: str = ED25519_PRIVATE,
    url: str = INBOX,
    created: int | None = None,
    expires: int | None = None,
    date: datetime = NOW,
    algorithm: str | None = None,
    include_alg: bool = True,
) -> list[tuple[str, str]]:
    """A POST to `url` signed with RFC 9421 over exactly `components`."""
    headers = {
        "Host": "lyceum.example",
        "Date": imf_fixdate(date),
        "Content-Type": "application/activity+json",
        "Content-Digest": content_digest(BODY),
    }
    signature_input, signature = rfc9421.sign(
        "POST",
        url,
        collect_fields(headers),
        components,
        load_private_key(private),
        KEY_ID,
        created=CREATED if created is None else created,
        expires=expires,
        algorithm=algorithm,
        include_alg=include_alg,
    )
    return [*headers.items(), ("Signature-Input", signature_input), ("Signature", signature)]


async def _verify_9421(
    headers: list[tuple[str, str]], public: str = ED25519_PUBLIC, **options: object
) -> SignatureCheck:
    url = str(options.pop("url", INBOX))
    return await verify_request(
        "POST",
        url,
        headers,
        BODY,
        Keys(public),
        now=NOW,
        **options,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("claimed", "public"),
    [("ed25519", RSA_PUBLIC), ("rsa-pss-sha512", RSA_PUBLIC), ("rsa-v1_5-sha256", ED25519_PUBLIC)],
)
async def test_verify_request__rfc9421_alg_that_does_not_fit_fails(
    claimed: str, public: str
) -> None:
    # Given an RFC 9421 signature made with one algorithm but claiming another in `alg`
    made = "rsa-v1_5-sha256" if public == RSA_PUBLIC else "ed25519"
    private = RSA_PRIVATE if public == RSA_PUBLIC else ED25519_PRIVATE
    headers = _rfc9421_signed(private=private, algorithm=made)
    headers = [
        (k, v.replace(f'alg="{made}"', f'alg="{claimed}"') if k == "Signature-Input" else v)
        for k, v in headers
    ]
    # When verified with the signer's key, Then it fails
    check = await _verify_9421(headers, public)
    assert (check.ok, check.reason) == (False, f"the signature does not match key {KEY_ID}")


async def test_verify_request__rfc9421_without_alg_tries_the_keys_algorithms() -> None:
    # Given signatures that name no algorithm: rsa-v1_5, and ed25519
    rsa = _rfc9421_signed(private=RSA_PRIVATE, include_alg=False)
    ed = _rfc9421_signed(private=ED25519_PRIVATE, include_alg=False)
    # Then each verifies with its own key only
    assert (await _verify_9421(rsa, RSA_PUBLIC)).ok
    assert (await _verify_9421(ed, ED25519_PUBLIC)).ok
    assert not (await _verify_9421(rsa, ED25519_PUBLIC)).ok


# --- A malformed signature is never ok ----------------------------------------------------


@pytest.mark.parametrize(
    ("signature_input", "signature"),
    [
        ("", "sig1=:AAAA:"),
        ("sig1=(", "sig1=:AAAA:"),
        ('sig1=("@method"', "sig1=:AAAA:"),
        ("sig1", "sig1=:AAAA:"),
        ('sig1="@method"', "sig1=:AAAA:"),
        ("sig1=(@method);created=1", "sig1=:AAAA:"),
        ('sig1=("@method" "@method");created=1;keyid="k"', "sig1=:AAAA:"),
        ('sig1=("@method";sf);created=1;keyid="k"', "sig1=:AAAA:"),
        ('sig1=("@method");created=1;keyid="k"', ""),
        ('sig1=("@method");created=1;keyid="k"', "sig2=:AAAA:"),
        ('sig1=("@method");created=1;keyid="k"', "sig1=AAAA"),
        ('sig1=("@method");created=1;keyid="k"', "sig1=:not base64!:"),
        ('sig1=("@method");created=1;keyid="k",', "sig1=:AAAA:"),
        ('sig1=("@method");created=1.5.5;keyid="k"', "sig1=:AAAA:"),
        ('sig1=("@method");created=1234567890123456;keyid="k"', "sig1=:AAAA:"),
        ('Sig1=("@method");created=1;keyid="k"', "sig1=:AAAA:"),
    ],
)
async def test_verify_request__malformed_signature_input_is_not_ok(
    signature_input: str, signature: str
) -> None:
    # Given RFC 9421 headers that do not parse (signed fetch trusts `.ok` alone)
    keys = Keys(ED25519_PUBLIC)
    headers = {"Signature-Input": signature_input, "Signature": signature, "Date": "x"}
    # When verified
    check = await verify_request("POST", INBOX, headers, BODY, keys, now=NOW)
    # Then it is refused with a reason, and no key was looked up
    assert check.ok is False
    assert check.scheme == "rfc9421"
    assert check.reason
    assert keys.calls == []


# --- draft-cavage (created) and (expires) ---------------------------------------------------


def _cavage_timed(
    names: tuple[str, ...], *, created: int | None = None, expires: int | None = None
) -> list[tuple[str, str]]:
    """A POST signed by draft-cavage over `names`, stating `created`/`expires` when given."""
    headers = {
        "Host": "lyceum.example",
        "Content-Type": "application/activity+json",
        "Digest": digest_header(BODY),
    }
    value = cavage.sign(
        "POST",
        "/groups/chess/inbox",
        collect_fields(headers),
        names,
        load_private_key(RSA_PRIVATE),
        KEY_ID,
        created=created,
        expires=expires,
    )
    return [*headers.items(), ("Signature", value)]


TIMED = ("(request-target)", "host", "(created)", "(expires)", "digest")


async def _verify_cavage(headers: list[tuple[str, str]], **options: object) -> SignatureCheck:
    return await verify_request(
        "POST",
        INBOX,
        headers,
        BODY,
        Keys(RSA_PUBLIC),
        now=NOW,
        **options,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("created", "expires"),
    [
        (CREATED, CREATED + 300),
        (CREATED - 3600, CREATED + 300),
        (CREATED + 3600, CREATED + 7200),
        (CREATED - 60, CREATED),
    ],
    ids=["now", "window-old", "window-ahead", "expires-now"],
)
async def test_verify_request__cavage_created_and_expires_in_range_pass(
    created: int, expires: int
) -> None:
    # Given a cavage signature over (created) and (expires), within the window and not expired
    headers = _cavage_timed(TIMED, created=created, expires=expires)
    # When verified at NOW, Then it passes (with no Date header at all)
    check = await _verify_cavage(headers)
    assert check.ok, check.reason
    assert "date" not in {name.lower() for name, _ in headers}


@pytest.mark.parametrize(
    ("created", "expires", "reason"),
    [
        (CREATED - 3601, CREATED + 300, "the created time is 1 hour old"),
        (CREATED - 3 * 86400, CREATED + 300, "the created time is 3 days old"),
        (CREATED + 3601, CREATED + 7200, "the created time is 1 hour in the future"),
        (CREATED - 60, CREATED - 1, "the signature expired 1 second ago"),
        (CREATED - 900, CREATED - 600, "the signature expired 10 minutes ago"),
    ],
    ids=["too-old", "days-old", "future", "just-expired", "expired"],
)
async def test_verify_request__cavage_created_and_expires_out_of_range_fail(
    created: int, expires: int, reason: str
) -> None:
    # Given a validly signed cavage request whose (created) or (expires) is out of range
    headers = _cavage_timed(TIMED, created=created, expires=expires)
    # When verified at NOW, Then it is refused, saying why
    check = await _verify_cavage(headers)
    assert (check.ok, check.reason) == (False, reason)


async def test_verify_request__cavage_expires_applies_even_when_not_covered() -> None:
    # Given a signature that states an expiry in the past without covering (expires)
    names = ("(request-target)", "host", "(created)", "digest")
    headers = _cavage_timed(names, created=CREATED - 60, expires=CREATED - 30)
    # Then it is refused as expired
    assert (await _verify_cavage(headers)).reason == "the signature expired 30 seconds ago"


async def test_verify_request__cavage_covered_created_or_expires_must_be_stated() -> None:
    # Given signatures covering (created) or (expires) whose parameter was removed
    timed = dict(_cavage_timed(TIMED, created=CREATED, expires=CREATED + 60))
    no_created = {**timed, "Signature": timed["Signature"].replace(f",created={CREATED}", "")}
    no_expires = {**timed, "Signature": timed["Signature"].replace(f",expires={CREATED + 60}", "")}
    # Then both are refused, saying what is missing
    missing_created = await _verify_cavage(list(no_created.items()))
    missing_expires = await _verify_cavage(list(no_expires.items()))
    assert missing_created.reason == "the signature covers the created time but does not state it"
    assert missing_expires.reason == "the signature covers (expires), which the request lacks"


async def test_verify_request__cavage_window_edges() -> None:
    # Given signatures created exactly at the window's edges and one second past them
    def at(created: int) -> list[tuple[str, str]]:
        return _cavage_timed(TIMED, created=created, expires=CREATED + 86400)

    # Then the edges pass and one second more fails, both ways
    assert (await _verify_cavage(at(CREATED - 60), window_seconds=60)).ok
    assert (await _verify_cavage(at(CREATED + 60), window_seconds=60)).ok
    assert not (await _verify_cavage(at(CREATED - 61), window_seconds=60)).ok
    assert not (await _verify_cavage(at(CREATED + 61), window_seconds=60)).ok


async def test_verify_request__cavage_date_window_edges() -> None:
    # Given a cavage request signed over its Date, checked 60 s and 61 s after either way
    request = _signed(_cavage())

    async def at(offset: int) -> bool:
        moment = NOW + timedelta(seconds=offset)
        return (await _check(request, Keys(RSA_PUBLIC), now=moment, window_seconds=60)).ok

    # Then the edges pass and one second more fails
    assert await at(60)
    assert await at(-60)
    assert not await at(61)
    assert not await at(-61)


# --- RFC 9421: what must be covered, and a covered Date -------------------------------------


@pytest.mark.parametrize(
    ("components", "url", "required", "reason"),
    [
        (("@method", "@target-uri", "content-digest"), INBOX, ["content-type"], "content-type"),
        (("@method", "@target-uri", "content-digest"), INBOX, ["Date"], "date"),
        (("@method", "@path", "@authority", "content-digest"), INBOX + "?x=1", [], "the target"),
        (("@method", "@query", "@authority", "content-digest"), INBOX, [], "the target"),
        (("@method", "@authority", "content-digest"), INBOX, [], "the target"),
        (("@target-uri", "content-digest"), INBOX, [], "the method"),
        (("@method", "@path", "content-digest"), INBOX, [], "the host"),
        (("@method", "@target-uri"), INBOX, [], "the digest"),
    ],
    ids=[
        "required-header",
        "required-date",
        "path-without-query",
        "query-only",
        "authority-only",
        "no-method",
        "no-host",
        "no-digest",
    ],
)
async def test_verify_request__rfc9421_required_components_are_enforced(
    components: tuple[str, ...], url: str, required: list[str], reason: str
) -> None:
    # Given a validly signed RFC 9421 POST that leaves out something required
    headers = _rfc9421_signed(components, url=url)
    # When verified, Then it is refused, naming what is not covered
    check = await _verify_9421(headers, url=url, required_components=required)
    assert (check.ok, check.reason) == (False, f"the signature does not cover {reason}")


@pytest.mark.parametrize(
    ("components", "url", "required"),
    [
        (("@method", "@target-uri", "content-digest", "content-type"), INBOX, ["content-type"]),
        (("@method", "@target-uri", "content-digest", "date"), INBOX, ["date"]),
        (("@method", "@path", "@query", "@authority", "content-digest"), INBOX + "?x=1", []),
        (("@method", "@path", "@authority", "content-digest"), INBOX, []),
        (("@method", "@request-target", "@authority", "content-digest"), INBOX + "?x=1", []),
        (("@method", "@request-target", "host", "content-digest"), INBOX, []),
    ],
    ids=["required-header", "required-date", "path-query", "path", "request-target", "host"],
)
async def test_verify_request__rfc9421_covering_what_is_required_passes(
    components: tuple[str, ...], url: str, required: list[str]
) -> None:
    headers = _rfc9421_signed(components, url=url)
    check = await _verify_9421(headers, url=url, required_components=required)
    assert check.ok, check.reason


@pytest.mark.parametrize(
    ("date", "reason"),
    [
        (NOW - timedelta(hours=3), "the date is 3 hours old"),
        (NOW + timedelta(hours=2), "the date is 2 hours in the future"),
    ],
)
async def test_verify_request__rfc9421_covered_date_must_be_in_the_window(
    date: datetime, reason: str
) -> None:
    # Given a fresh `created` but a covered Date header far from now, validly signed
    components = ("@method", "@target-uri", "content-digest", "date")
    headers = _rfc9421_signed(components, date=date)
    # When verified, Then the Date is refused too
    check = await _verify_9421(headers)
    assert (check.ok, check.reason) == (False, reason)


async def test_verify_request__rfc9421_covered_date_must_be_readable() -> None:
    # Given a signature covering a Date header that is no date
    headers = [
        (k, "yesterday" if k == "Date" else v)
        for k, v in _rfc9421_signed(("@method", "@target-uri", "content-digest", "date"))
    ]
    check = await _verify_9421(headers)
    assert check.reason == "the Date header is missing or unreadable"


async def test_verify_request__rfc9421_uncovered_date_is_not_evidence() -> None:
    # Given a stale Date header that the signature does not cover, and a fresh `created`
    headers = _rfc9421_signed(date=NOW - timedelta(days=2))
    # Then only `created` counts, and the request passes
    assert (await _verify_9421(headers)).ok


@pytest.mark.parametrize(
    ("created", "expires", "reason"),
    [
        (CREATED + 3601, None, "the created time is 1 hour in the future"),
        (CREATED - 3601, None, "the created time is 1 hour old"),
        (CREATED - 60, CREATED - 1, "the signature expired 1 second ago"),
    ],
)
async def test_verify_request__rfc9421_created_and_expires_out_of_range_fail(
    created: int, expires: int | None, reason: str
) -> None:
    headers = _rfc9421_signed(created=created, expires=expires)
    check = await _verify_9421(headers)
    assert (check.ok, check.reason) == (False, reason)


async def test_verify_request__rfc9421_expires_now_still_passes() -> None:
    headers = _rfc9421_signed(created=CREATED - 60, expires=CREATED)
    assert (await _verify_9421(headers)).ok


async def test_verify_request__rfc9421_one_good_signature_of_several_is_enough() -> None:
    # Given two signatures, the first by an unknown key, the second valid
    bad = dict(_rfc9421_signed(private=RSA_PRIVATE))
    good = dict(_rfc9421_signed())
    headers = {
        **good,
        "Signature-Input": bad["Signature-Input"].replace("sig1=", "bad=")
        + ", "
        + good["Signature-Input"],
        "Signature": bad["Signature"].replace("sig1=", "bad=") + ", " + good["Signature"],
    }
    # When verified with the ed25519 key, Then the valid one is found
    assert (await _verify_9421(list(headers.items()))).ok
    # And when none is valid, the first failure is the reason
    stale = dict(_rfc9421_signed(created=CREATED - 7200))
    two_bad = {
        **headers,
        "Signature-Input": stale["Signature-Input"].replace("sig1=", "old=")
        + ", "
        + headers["Signature-Input"].split(", ")[0],
        "Signature": stale["Signature"].replace("sig1=", "old=") + ", " + headers["Signature"],
    }
    assert (await _verify_9421(list(two_bad.items()))).reason == "the created time is 2 hours old"
    only_bad = {**headers, "Signature-Input": headers["Signature-Input"].split(", ")[0]}
    check = await _verify_9421(list(only_bad.items()))
    assert (check.ok, check.reason) == (False, f"the signature does not match key {KEY_ID}")


# --- Whatever the headers say, the answer is a reason, never an exception -------------------

_sf_text = st.text(
    alphabet=st.sampled_from(list('abcdkeyidcreatedexpiresalg@-_.*"();=,: ?01239/+\\\té')),
    max_size=60,
)
_huge = st.one_of(
    st.sampled_from([CREATED, 10**20, -(10**20), 10**400, -(10**400), 2**63, -(2**63)]),
    st.integers(),
).map(str)


_ALGS = st.sampled_from(['"ed25519"', '"rsa-v1_5-sha256"', '"hmac-sha256"', "tok", "?1", "1"])
_ODD_DATES = [
    "Sun, 06 Nov 99999999999 08:49:37 GMT",
    "Sun, 06 Nov 1994 08:49:37 +99999999999999",
    "Mon, 01 Jan 0001 00:00:00 +2359",
    "Sun, 06 Nov 1994 99:49:37 GMT",
]


@st.composite
def _signature_headers(draw: st.DrawFn) -> dict[str, str]:
    """Mostly well-formed RFC 9421 headers, with odd numbers, dates and texts mixed in."""
    created = draw(_huge)
    expires = draw(st.one_of(_huge, st.just(str(CREATED + 60))))
    components = draw(
        st.sampled_from(
            [
                '"@method" "@target-uri" "date" "content-digest"',
                '"@method" "@path" "@authority" "content-digest"',
            ]
        )
    )
    params = [f"created={created}", f'keyid="{KEY_ID}"']
    if draw(st.booleans()):
        params.append(f"expires={expires}")
    if draw(st.booleans()):
        params.append(f"alg={draw(_ALGS)}")
    structured = f"sig1=({components});" + ";".join(params)
    return {
        "Signature-Input": draw(st.one_of(st.just(structured), _sf_text)),
        "Signature": draw(st.one_of(st.just("sig1=:AAAA:"), _sf_text)),
        "Date": draw(st.one_of(st.just(imf_fixdate(NOW)), st.sampled_from(_ODD_DATES))),
        "Content-Digest": draw(st.one_of(st.just(content_digest(BODY)), _sf_text)),
    }


@st.composite
def _cavage_signature_headers(draw: st.DrawFn) -> dict[str, str]:
    params = {
        "keyId": f'"{KEY_ID}"',
        "algorithm": f'"{draw(_sf_text)}"',
        "created": draw(_huge),
        "expires": draw(_huge),
        "headers": f'"{draw(_sf_text)}"',
        "signature": '"AAAA"',
    }
    chosen = draw(st.lists(st.sampled_from(sorted(params)), unique=True))
    return {
        "Signature": ",".join(f"{name}={params[name]}" for name in chosen) + draw(_sf_text),
        "Date": draw(st.one_of(st.text(max_size=40), st.sampled_from(_ODD_DATES))),
        "Digest": draw(_sf_text),
    }


@hypothesis_settings(max_examples=300, deadline=None, database=None)
@given(headers=st.one_of(_signature_headers(), _cavage_signature_headers()))
async def test_verify_request__any_headers_give_a_reason_not_an_exception(
    headers: dict[str, str],
) -> None:
    # Given arbitrary signature headers, When verified
    check = await verify_request("POST", INBOX, headers, BODY, Keys(RSA_PUBLIC), now=NOW)
    # Then the answer is a refusal with a reason (nothing here is validly signed)
    assert check.ok is False
    assert check.reason
