"""Text other servers send, made storable: PostgreSQL refuses NUL characters, and a lone
surrogate (what `json.loads` makes of `"\\ud800"`) cannot be encoded as UTF-8 at all."""

from __future__ import annotations

from server.text import LONE_SURROGATE, is_storable

__all__ = ["MAX_ID_CHARS", "clean", "storable", "storable_id"]

MAX_ID_CHARS = 2048  # the longest id or URL a row holds

storable = is_storable


def storable_id(value: str) -> bool:
    """An id or URL from a fetched document that we can store (fetched documents skip the
    inbox door's checks)."""
    return len(value) <= MAX_ID_CHARS and is_storable(value)


def clean(text: str) -> str:
    """The text without NUL characters and lone surrogates (free text from other servers)."""
    if is_storable(text):
        return text
    return LONE_SURROGATE.sub("", text.replace("\x00", ""))
