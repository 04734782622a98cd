"""Remote actor documents made storable (federation/inbox/parse_actor.py)."""

from __future__ import annotations

from typing import Any

import pytest

from federation.inbox.parse_actor import parse_actor
from federation.inbox.parse_note import ParseError, parse_post_object
from server.models import Actor
from server.services.remote import upsert_remote_actor
from tests.federation._httpsig_vectors import RSA_PUBLIC

BOB = "https://remote.example/users/bob"


def _document(**extra: Any) -> dict[str, Any]:
    return {
        "id": BOB,
        "type": "Person",
        "preferredUsername": "bob",
        "name": "Bob",
        "inbox": f"{BOB}/inbox",
        "publicKey": {"id": f"{BOB}#main-key", "owner": BOB, "publicKeyPem": RSA_PUBLIC},
        **extra,
    }


async def test_parse_actor__nul_and_surrogates_in_text_are_removed(database: None) -> None:
    # Given an actor whose name, handle and bio hold NUL characters and lone surrogates
    document = _document(
        name="Bo\x00b \ud800", preferredUsername="bo\x00b", summary="<p>\udfffhi\x00</p>"
    )
    # When it is read and stored (PostgreSQL refuses both in text)
    actor = await upsert_remote_actor(parse_actor(document))
    # Then the text is kept without them
    stored = await Actor.get(id=actor.id)
    assert (stored.display_name, stored.username) == ("Bob", "bob")
    assert "hi" in stored.summary_html
    assert "\x00" not in stored.summary_html


async def test_parse_actor__urls_with_nul_are_dropped(database: None) -> None:
    document = _document(
        url="https://remote.example/@bob\x00",
        outbox=f"{BOB}/outbox\ud800",
        icon={"type": "Image", "url": "https://remote.example/a\x00.png"},
    )
    profile = parse_actor(document)
    assert (profile.url, profile.outbox_url, profile.icon_url) == ("", "", "")
    await upsert_remote_actor(profile)


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"id": f"{BOB}\x00"}, "the actor's id or inbox is not a plain URL"),
        ({"inbox": f"{BOB}/inbox\ud800"}, "the actor's id or inbox is not a plain URL"),
        ({"id": f"{BOB}/" + "x" * 2048}, "the actor's id or inbox is not a plain URL"),
        ({"id": "https://" + "h" * 260 + "/u"}, "the actor's host name is too long"),
    ],
)
def test_parse_actor__refuses_ids_it_cannot_store(extra: dict[str, Any], reason: str) -> None:
    with pytest.raises(ParseError) as refused:
        parse_actor(_document(**extra))
    assert str(refused.value) == reason


def test_parse_actor__key_with_nul_is_not_kept() -> None:
    document = _document(publicKey={"id": f"{BOB}#main-key\x00", "publicKeyPem": RSA_PUBLIC})
    assert parse_actor(document).public_key_pem == ""


def test_parse_post_object__fetched_text_is_made_storable() -> None:
    # Given a fetched note (it never went through the inbox door) with odd text and ids
    note = parse_post_object(
        {
            "id": f"{BOB}/statuses/1",
            "type": "Note",
            "content": "<p>a\x00b\ud800</p>",
            "name": "T\x00",
            "cc": [f"{BOB}/followers", f"{BOB}/x\x00"],
            "tag": [{"type": "Hashtag", "name": "#a\x00b"}, {"type": "Mention", "href": "\ud800"}],
        }
    )
    # Then text is cleaned, and ids that cannot be looked up are left out
    assert (note.content, note.name) == ("<p>ab</p>", "T")
    assert (note.addressed, note.mentions, note.hashtags) == ((f"{BOB}/followers",), (), ("ab",))


def test_parse_post_object__reply_to_an_unreadable_id_is_refused() -> None:
    with pytest.raises(ParseError) as refused:
        parse_post_object({"id": f"{BOB}/1", "type": "Note", "inReplyTo": f"{BOB}/0\x00"})
    assert str(refused.value) == "the post replies to an id that is not a plain URL"
