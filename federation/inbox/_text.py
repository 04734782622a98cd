"""Text other servers send, made storable: PostgreSQL refuses NUL characters, and a lone
surrogate (what `json.loads` makes of `"\\ud800"`) cannot be encoded as UTF-8 at all."""

from __future__ import annotations

from server.text import LONE_SURROGATE, is_storable

__all__ = ["clean", "storable"]

storable = is_storable


def clean(text: str) -> str:
    """The text without NUL characters and lone surrogates (free text from other servers)."""
    if is_storable(text):
        return text
    return LONE_SURROGATE.sub("", text.replace("\x00", ""))
