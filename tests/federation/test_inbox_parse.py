"""Parsing incoming activities into typed values (federation/inbox/parse.py, parse_note.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest

import federation.inbox
from federation.inbox.parse import (
    Create,
    Flag,
    Follow,
    Other,
    ParseError,
    Undo,
    parse_activity,
)

ACTOR = "https://remote.example/users/bob"


def _activity(**fields: Any) -> dict[str, Any]:
    return {"id": f"{ACTOR}/a/1", "type": "Follow", "actor": ACTOR, "object": "x", **fields}


def test_inbox_package__exports_what_it_declares() -> None:
    assert sorted(federation.inbox.__all__) == sorted(
        name for name in dir(federation.inbox) if name in federation.inbox.__all__
    )
    assert "inbox_routes" in federation.inbox.__all__


def test_parse_activity__follow_with_actor_object() -> None:
    parsed = parse_activity(_activity(actor={"id": ACTOR, "type": "Person"}))
    assert isinstance(parsed, Follow)
    assert (parsed.actor, parsed.object.id, parsed.object.type) == (ACTOR, "x", None)


def test_parse_activity__bare_string_addressing_and_compact_public() -> None:
    # Given Takahē's shape: `to` a compact IRI string, `cc` a single string
    note = {"id": f"{ACTOR}/n/1", "type": "Note", "attributedTo": ACTOR, "to": "as:Public"}
    parsed = parse_activity(_activity(type="Create", object=note, to="as:Public", cc=f"{ACTOR}/f"))
    assert isinstance(parsed, Create) and parsed.post is not None
    assert (parsed.to, parsed.cc) == (("as:Public",), (f"{ACTOR}/f",))
    assert parsed.post.addressed == ("as:Public",)


def test_parse_activity__note_fields_are_normalised() -> None:
    note = {
        "id": f"{ACTOR}/n/1",
        "type": "Page",
        "attributedTo": [ACTOR, "https://remote.example/c/main"],
        "name": "Title",
        "contentMap": {"de": "<p>Hallo\u0000</p>"},
        "url": [{"type": "Link", "href": "https://remote.example/p/1", "mediaType": "text/html"}],
        "attachment": [{"type": "Link", "href": "https://link.example/"}],
        "tag": [
            {"type": "Mention", "href": "https://x.example/g"},
            {"type": "Hashtag", "name": "#Physik"},
            "junk",
        ],
    }
    parsed = parse_activity(_activity(type="Create", object=note))
    assert isinstance(parsed, Create) and parsed.post is not None
    post = parsed.post
    assert post.attributed_to == (ACTOR, "https://remote.example/c/main")
    assert (post.content, post.name, post.url) == ("<p>Hallo</p>", "Title", note["url"][0]["href"])
    assert (post.link, post.mentions, post.hashtags) == (
        "https://link.example/",
        ("https://x.example/g",),
        ("Physik",),
    )


def test_parse_activity__undo_parses_the_embedded_activity() -> None:
    parsed = parse_activity(_activity(type="Undo", object=_activity(id=f"{ACTOR}/a/0")))
    assert isinstance(parsed, Undo) and isinstance(parsed.inner, Follow)


@pytest.mark.parametrize(
    ("obj", "comment_key"), [(["a", "b"], "content"), ("a", "summary")], ids=["list", "one"]
)
def test_parse_activity__flag_objects_one_or_many(obj: Any, comment_key: str) -> None:
    parsed = parse_activity(_activity(type="Flag", object=obj, **{comment_key: "why"}))
    assert isinstance(parsed, Flag)
    assert parsed.targets == tuple(obj if isinstance(obj, list) else [obj])
    assert parsed.comment == "why"


def test_parse_activity__unknown_type_is_other() -> None:
    parsed = parse_activity(_activity(type="Lock"))
    assert isinstance(parsed, Other) and parsed.type == "Lock"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"id": None}, "the activity has no id"),
        ({"type": 3}, "the activity's type is not a string"),
        ({"actor": None}, "the activity has no actor id"),
        ({"object": None}, "the Follow's object has no id"),
        ({"object": 12}, "neither an id nor an object"),
        ({"type": "Create", "object": {"id": "urn:1", "type": "Note"}}, "no http(s) id"),
        ({"type": "Flag", "object": []}, "the Flag names nothing"),
    ],
)
def test_parse_activity__malformed_says_why(fields: dict[str, Any], reason: str) -> None:
    with pytest.raises(ParseError, match=re.escape(reason)):
        parse_activity(_activity(**fields))
