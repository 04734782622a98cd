"""A stored row read back for the worker (federation/inbox/readable.py): what no database can
store is refused however the sender's JSON wrote it, and each row is read once for its batch."""

from __future__ import annotations

import json
from typing import Any

import pytest

from federation.inbox.parse import Create
from federation.inbox.readable import read_row, read_rows
from server.models import InboxActivity, inbox_dedup_key

UNSTORABLE = "unreadable: it holds a NUL byte or a lone surrogate"


def _row(payload: str) -> InboxActivity:
    return InboxActivity(
        ap_id="https://r.example/a/1",
        dedup_key=inbox_dedup_key("https://r.example", "https://r.example/a/1"),
        actor_ap_id="https://r.example/u/x",
        activity_type="Create",
        payload=payload,
    )


def _create(content: str, *, key: str = "content") -> dict[str, Any]:
    note = {"id": "https://r.example/n/1", "type": "Note", "attributedTo": "https://r.example/u/x"}
    return {
        "id": "https://r.example/a/1",
        "type": "Create",
        "actor": "https://r.example/u/x",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {**note, key: content},
    }


@pytest.mark.parametrize("ensure_ascii", [True, False])
@pytest.mark.parametrize("bad", ["a\x00b", "a\ud800b"])
@pytest.mark.parametrize("key", ["content", "na\ud83dme"])
def test_read_row__unstorable_text_is_refused_escaped_or_not(
    ensure_ascii: bool, bad: str, key: str
) -> None:
    # Given a payload whose text (or a key) holds a NUL byte or a lone surrogate, written as a
    # \\u escape or (where JSON allows it) as the character itself
    document = _create(bad) if key == "content" else _create("fine", key=key)
    payload = json.dumps(document, ensure_ascii=ensure_ascii)
    if not ensure_ascii and "\x00" in payload:
        payload = payload.replace("\x00", "\\u0000")  # JSON has no raw NUL in a string
    # When it is read
    # Then it is refused as unstorable
    assert read_row(_row(payload)) == UNSTORABLE


def test_read_row__escaped_text_that_is_storable_is_read() -> None:
    # Given a payload whose non-ASCII text is written with \\u escapes, a surrogate pair among them
    payload = json.dumps(_create("Grüße 😀"), ensure_ascii=True)
    assert "\\u" in payload
    # When it is read
    activity = read_row(_row(payload))
    # Then it is the Create, its text as sent
    assert isinstance(activity, Create)
    assert activity.object.data is not None and activity.object.data["content"] == "Grüße 😀"


def test_read_rows__gives_each_rows_document_and_activity() -> None:
    # Given a readable row and a row that is not JSON
    good = _row(json.dumps(_create("hello")))
    bad = _row("{not json")
    bad.id = "other"
    # When the batch is read
    readings = read_rows([good, bad])
    # Then the readable row has its parsed document and its activity, the other neither
    assert readings[good.id].document == json.loads(good.payload)
    assert isinstance(readings[good.id].activity, Create)
    assert readings[bad.id].document is None
    assert str(readings[bad.id].activity).startswith("unreadable: ")
