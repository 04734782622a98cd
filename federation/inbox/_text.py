"""Text other servers send, made storable: PostgreSQL refuses NUL characters, and a lone
surrogate (what `json.loads` makes of `"\\ud800"`) cannot be encoded as UTF-8 at all."""

from __future__ import annotations

__all__ = ["clean", "storable"]


def storable(text: str) -> bool:
    """Whether the text holds neither a NUL character nor a lone surrogate."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def clean(text: str) -> str:
    """The text without NUL characters and lone surrogates (free text from other servers)."""
    if storable(text):
        return text
    return text.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")
