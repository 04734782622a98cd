"""A stored activity read back for handling: its JSON parsed and typed, or why it cannot be.

The worker reads each row of a claimed batch once (`read_rows`): the parsed document serves
`chains.split` (which ids it names) and the typed activity the bulk path and the handling."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from federation import jsondoc
from federation.inbox.parse import Activity, ParseError, parse_activity
from server.models import InboxActivity
from server.text import holds_unstorable, is_storable

__all__ = ["ERROR_MAX_CHARS", "Reading", "read_row", "read_rows"]

ERROR_MAX_CHARS = 1000


@dataclass(frozen=True)
class Reading:
    """A row read: its parsed JSON (None when it is not JSON) and its activity, or the reason
    it is unreadable (recorded on the row). Neither is changed by those who read them."""

    document: Any
    activity: Activity | str


def read_rows(rows: Iterable[InboxActivity]) -> dict[str, Reading]:
    """Each row read, by row id."""
    return {row.id: _read(row) for row in rows}


def read_row(row: InboxActivity) -> Activity | str:
    """The row's activity, or the reason it is unreadable (recorded on the row)."""
    return _read(row).activity


def _read(row: InboxActivity) -> Reading:
    try:
        document = jsondoc.loads(row.payload)
    except ValueError as error:
        return Reading(None, f"unreadable: {error}"[:ERROR_MAX_CHARS])
    try:
        if _unstorable_text(row.payload, document):
            return Reading(document, "unreadable: it holds a NUL byte or a lone surrogate")
        return Reading(document, parse_activity(document))
    except (ParseError, ValueError) as error:
        return Reading(document, f"unreadable: {error}"[:ERROR_MAX_CHARS])


def _unstorable_text(payload: str, document: object) -> bool:
    """Whether the parsed document holds text no database stores faithfully (rows stored
    before the inbox refused them at the door). Only a `\\u` escape makes a NUL or a lone
    surrogate out of JSON whose own text holds neither: without one, the document is not
    walked."""
    if "\\u" not in payload and is_storable(payload):
        return False
    return holds_unstorable(document)
