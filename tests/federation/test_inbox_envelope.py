"""What the inbox door refuses to store (federation/inbox/envelope.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.applications import Starlette

from federation.fetch.fetcher import origin
from federation.inbox.envelope import (
    Unstorable,
    _is_http_url_by_urlsplit,
    is_http_url,
    plain_origin,
    read_envelope,
)
from tests.federation._inbox_peer import (
    RemotePeer,
    build_activity,
    build_follow_activity,
    build_note,
    group_url,
    post_activity,
    stored_counts,
)

BOB = "https://remote.example/users/bob"
LONG = f"{BOB}/" + "a" * (2048 - len(BOB) - 1)  # 2048 characters exactly


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (f"{BOB}/activities/1", True),
        ("http://remote.example:8080/a", True),
        (LONG, True),
        (LONG + "a", False),
        ("ftp://remote.example/a", False),
        ("https://", False),
        ("https:///path", False),
        ("remote.example/a", False),
        ("https://remote.example/a b", False),
        ("https://remote.example/a\x00", False),
        ("https://remote.example/a\x7f", True),
        ("https://remote.example:99999/a", False),
        ("https://" + "h" * 254 + "/a", False),
        ("https://" + "h" * 253 + "/a", True),
        ("https://[::1/a", False),
    ],
)
def test_is_http_url__checks_scheme_host_and_length(value: str, ok: bool) -> None:
    assert is_http_url(value) is ok


PLAIN_AND_NOT = [
    f"{BOB}/activities/1",
    "http://remote.example:8080/a?b#c",
    "https://remote.example:443",
    "http://remote.example?x",
    "http://remote.example:0/a",  # port 0 reads as the default one
    "http://remote.example:00080/a",
    "https://remote.example:65535/a",
    "https://remote.example:65536/a",  # no port: the long way
    "https://Remote.Example/a",  # upper case: the long way
    "HTTPS://remote.example/a",
    "http://remote.example:/a",
    "http://-remote.example/a",
    "https://user@remote.example/a",
    "https://[::1]:8443/a",
    "https://" + "h" * 254 + "/a",
]


@pytest.mark.parametrize("value", PLAIN_AND_NOT)
def test_is_http_url__the_shortcut_for_plain_urls_agrees_with_urlsplit(value: str) -> None:
    # Given a URL the plain-URL shortcut reads, or one it leaves to urlsplit
    # Then the answer is what urlsplit alone gives
    assert is_http_url(value) is _is_http_url_by_urlsplit(value)
    plain = plain_origin(value)
    assert plain is None or plain == origin(value)


def test_plain_origin__reads_plain_urls_only() -> None:
    assert plain_origin(f"{BOB}/activities/1") == ("https", "remote.example", 443)
    assert plain_origin("https://Remote.Example/a") is None
    assert plain_origin("https://remote.example:65536/a") is None


def _envelope(document: dict[str, Any] | str) -> dict[str, str]:
    text = document if isinstance(document, str) else json.dumps(document)
    return read_envelope(text.encode())


FOLLOW = {"id": f"{BOB}/f/1", "type": "Follow", "actor": BOB, "object": "https://lyceum.test/g/x"}


def test_read_envelope__answers_id_type_and_actor() -> None:
    assert _envelope({**FOLLOW, "actor": {"id": BOB, "type": "Person"}}) == {
        "id": FOLLOW["id"],
        "type": "Follow",
        "actor": BOB,
    }


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ({**FOLLOW, "id": LONG + "a"}, "The activity id must be an http(s) URL"),
        ({**FOLLOW, "actor": "acct:bob@remote.example"}, "The actor id must be an http(s) URL"),
        ({**FOLLOW, "object": "urn:x"}, "The object id must be an http(s) URL"),
        ({**FOLLOW, "object": ["https://a.example/1", "x"]}, "The object id must be"),
        ({**FOLLOW, "object": {"id": "x", "type": "Note"}}, "The id of an embedded object"),
        (
            {**FOLLOW, "object": {"type": "Note", "attributedTo": [{"id": LONG + "a"}]}},
            "The attributedTo of an embedded object",
        ),
        ({**FOLLOW, "object": {"type": "Note", "inReplyTo": "x"}}, "The inReplyTo of an"),
        (
            {**FOLLOW, "object": {"type": "Create", "object": {"type": "Note", "id": "x"}}},
            "The id of an embedded object",
        ),
        ({**FOLLOW, "type": "Fol\nlow"}, "The activity type is not a plain name."),
        ({**FOLLOW, "type": "F" * 65}, "The activity type is not a plain name."),
    ],
    ids=[
        "long-id",
        "acct-actor",
        "urn-object",
        "object-list",
        "embedded-id",
        "author",
        "in-reply-to",
        "nested",
        "type-newline",
        "type-long",
    ],
)
def test_read_envelope__refuses_ids_it_cannot_store(document: dict[str, Any], reason: str) -> None:
    with pytest.raises(Unstorable) as refused:
        _envelope(document)
    assert str(refused.value).startswith(reason)


@pytest.mark.parametrize(
    "escaped",
    [
        '"content": "a\\u0000b"',
        '"content": "\\ud800"',
        '"na\\u0000me": "x"',
        '"tag": [{"name": "\\udfff"}]',
        '"content": "\\ud83d\\ude00\\u0000"',
    ],
)
def test_read_envelope__refuses_nul_and_lone_surrogates(escaped: str) -> None:
    text = json.dumps(FOLLOW)[:-1] + ", " + escaped + "}"
    with pytest.raises(Unstorable) as refused:
        _envelope(text)
    assert str(refused.value) == "The document holds a NUL character or a lone surrogate."


@pytest.mark.parametrize(
    "escaped", ['"content": "\\\\u0000"', '"content": "\\ud83d\\ude00"', '"content": "\\u00e9"']
)
def test_read_envelope__keeps_text_that_only_looks_odd(escaped: str) -> None:
    # An escaped backslash before "u0000", a surrogate pair, an escaped letter: all storable
    text = json.dumps(FOLLOW)[:-1] + ", " + escaped + "}"
    assert _envelope(text)["id"] == FOLLOW["id"]


async def test_inbox__nul_in_content_is_400(app: Starlette, peer: RemotePeer) -> None:
    # Given a signed Create whose note holds a NUL character
    bob = peer.add_actor("bob")
    create = build_activity(bob, "Create", build_note(bob, content="<p>a\x00b</p>"))
    before = await stored_counts()
    # When it is posted
    response = await post_activity(app, create, bob)
    # Then it is refused with the reason, and nothing is stored
    assert (response.status_code, response.json()["error"]) == (
        400,
        "The document holds a NUL character or a lone surrogate.",
    )
    assert await stored_counts() == before


async def test_inbox__object_id_that_is_not_a_url_is_400(app: Starlette, peer: RemotePeer) -> None:
    bob = peer.add_actor("bob")
    follow = build_follow_activity(bob, group_url("x"))
    before = await stored_counts()
    response = await post_activity(app, {**follow, "object": "physics"}, bob)
    assert response.status_code == 400
    assert response.json()["error"].startswith("The object id must be an http(s) URL")
    assert await stored_counts() == before
