"""Text that every store and every log line can hold.

Other servers and browsers can send what no database or UTF-8 writer accepts: PostgreSQL refuses
the NUL character, and a lone surrogate (what `json.loads` makes of `"\\ud800"`) cannot be
encoded as UTF-8 at all. These helpers are the one place that knows how to tell and mend it.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "LONE_SURROGATE",
    "MAX_ID_CHARS",
    "holds_unstorable",
    "is_storable",
    "is_storable_id",
    "storable",
    "without_surrogates",
    "without_unstorable",
]

LONE_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_ID_CHARS = 2048  # the longest id or URL a row holds


def without_surrogates(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD."""
    return LONE_SURROGATE.sub("\ufffd", text)


def storable(text: str) -> str:
    """`text` without NUL characters, and with each lone surrogate replaced by U+FFFD."""
    return without_surrogates(text.replace("\x00", ""))


def is_storable(text: str) -> bool:
    """Whether `text` holds neither a NUL character nor a lone surrogate."""
    return "\x00" not in text and LONE_SURROGATE.search(text) is None


def without_unstorable(text: str) -> str:
    """`text` without NUL characters and lone surrogates (free text from other servers)."""
    if is_storable(text):
        return text
    return LONE_SURROGATE.sub("", text.replace("\x00", ""))


def is_storable_id(value: str) -> bool:
    """Whether an id or URL can be stored as it is: at most `MAX_ID_CHARS` characters, with
    neither a NUL character nor a lone surrogate."""
    return len(value) <= MAX_ID_CHARS and is_storable(value)


def holds_unstorable(document: Any) -> bool:
    """Whether a parsed JSON document holds, in any key or string, text that `is_storable`
    refuses. Walked without recursion: a document may be as deep as its parser allowed."""
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str) and not is_storable(value):
            return True
    return False
