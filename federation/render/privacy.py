"""Addressing a members-only group's documents to its followers, never to the public.

Every document about a members-only group's content (its posts as Notes, their Create, Update,
Delete, the group's Announces, votes and the Undo of any of them) is rewritten by one function,
`followers_only`, at the two places documents leave us: the delivery queue
(`federation.outbox.addressing`) and the ActivityPub GETs (`federation.documents`,
`federation.queries.note_of`). Mastodon files a status addressed `to` the followers collection
and not to Public as "followers only"; see docs/federation.md for what each software shows.
"""

from __future__ import annotations

from typing import Any

from federation import ld, urls
from server.models import Group, GroupVisibility
from server.settings import Settings

__all__ = ["ADDRESS_KEYS", "followers_only", "for_group"]

ADDRESS_KEYS = ("to", "cc", "bto", "bcc")
_PUBLIC = frozenset({ld.PUBLIC, "as:Public", "Public"})


def _addresses(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _is_public(address: Any) -> bool:
    return isinstance(address, str) and address in _PUBLIC


def followers_only(document: dict[str, Any], followers: str) -> dict[str, Any]:
    """A copy of `document` with the public collection taken out of its addressing at every
    level (embedded objects and activities too), and `followers` first in `to` wherever an
    object is addressed at all."""
    copy: dict[str, Any] = {}
    for key, value in document.items():
        if key in ADDRESS_KEYS:
            copy[key] = [a for a in _addresses(value) if not _is_public(a) and a != followers]
        elif isinstance(value, dict):
            copy[key] = followers_only(value, followers)
        elif isinstance(value, list) and key == "object":
            copy[key] = [followers_only(v, followers) if isinstance(v, dict) else v for v in value]
        else:
            copy[key] = value
    if any(key in document for key in ADDRESS_KEYS):
        copy["to"] = [followers, *copy.get("to", [])]
    return copy


def for_group(settings: Settings, group: Group, document: dict[str, Any]) -> dict[str, Any]:
    """`document` as the group's visibility allows it to be addressed (loaded with its actor)."""
    if group.visibility != GroupVisibility.MEMBERS:
        return document
    return followers_only(document, urls.followers(settings, group.actor))
