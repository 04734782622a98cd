"""The mail a test server sent, read where the instance keeps it (its `outgoing_mail` queue):
what a person would find in their inbox. Servers started for the browser and live tests
register how to read theirs, by base URL."""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["register", "signup_link"]

# base URL -> (address -> the text of the newest sign-up mail to it, or None)
_READERS: dict[str, Callable[[str], str | None]] = {}
SIGNUP_LINK = re.compile(r"https?://\S+?(/signup/confirm/[A-Za-z0-9_=-]+)")
SIGNUP_MAIL_SQL = (
    "SELECT text_body FROM outgoing_mail WHERE to_address = ? AND kind = 'signup_confirmation'"
    " ORDER BY created_at DESC LIMIT 1"
)


def register(base_url: str, reader: Callable[[str], str | None]) -> None:
    _READERS[base_url.rstrip("/")] = reader


def signup_link(base_url: str, address: str) -> str:
    """The path of the newest sign-up link the server at `base_url` mailed to `address` (it is
    queued in the request the sign-up page answered, so it is there once that page shows)."""
    reader = _READERS.get(base_url.rstrip("/"))
    assert reader is not None, f"no mailbox is known for {base_url}"
    text = reader(address)
    assert text is not None, f"no sign-up link was mailed to {address}"
    match = SIGNUP_LINK.search(text)
    assert match is not None, "the sign-up mail holds no link"
    return match.group(1)
