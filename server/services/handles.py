"""Handles: the one namespace shared by people and groups on this instance."""

from __future__ import annotations

import re

from server.models import Actor
from server.services.errors import Conflict, Invalid

HANDLE_RE = re.compile(r"^[a-z0-9_]{2,30}$")

# Names that would clash with our own paths, well-known endpoints or the instance actor, or that
# would mislead people about who speaks for the instance.
RESERVED = frozenset(
    """
    about actor admin administrator api app apps auth c g u p ap groups group users user inbox
    outbox followers following featured moderators login logout signup register settings static
    media tags tag search notifications home feed well_known nodeinfo webfinger hostmeta instance
    lyceum mod mods moderator moderation owner root support help staff system postmaster
    abuse security noreply no_reply null undefined everyone all public
    """.split()  # noqa: SIM905
)


def validate_handle(handle: str) -> str:
    """Return the normalised handle, or raise Invalid with a message for the form."""
    handle = handle.strip().lower().removeprefix("@")
    if not HANDLE_RE.fullmatch(handle):
        raise Invalid(
            {"handle": "Use 2 to 30 characters: lower-case letters, digits and underscores."}
        )
    if handle in RESERVED:
        raise Invalid({"handle": f"“{handle}” is reserved. Please choose another."})
    return handle


async def ensure_handle_free(handle: str) -> None:
    if await Actor.filter(username=handle, domain="").exists():
        raise Conflict(f"The handle “{handle}” is already taken by a person or a group.")
