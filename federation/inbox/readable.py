"""A stored activity read back for handling: its JSON parsed and typed, or why it cannot be."""

from __future__ import annotations

from federation import jsondoc
from federation.inbox.parse import Activity, ParseError, parse_activity
from server.models import InboxActivity
from server.text import is_storable

__all__ = ["ERROR_MAX_CHARS", "read_row"]

ERROR_MAX_CHARS = 1000


def read_row(row: InboxActivity) -> Activity | str:
    """The row's activity, or the reason it is unreadable (recorded on the row)."""
    try:
        document = jsondoc.loads(row.payload)
        if _unstorable(document):
            return "unreadable: it holds a NUL byte or a lone surrogate"
        return parse_activity(document)
    except (ParseError, ValueError) as error:
        return f"unreadable: {error}"[:ERROR_MAX_CHARS]


def _unstorable(value: object) -> bool:
    """Whether a parsed document holds text no database stores faithfully (rows stored before
    the inbox refused them at the door)."""
    if isinstance(value, str):
        return not is_storable(value)
    if isinstance(value, dict):
        return any(_unstorable(key) or _unstorable(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_unstorable(item) for item in value)
    return False
