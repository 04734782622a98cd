"""The one place that knows AS2's loose shapes, and the `@context` we emit.

ActivityStreams lets most properties be one value or a list, and most values be an id (a string)
or an embedded object with an `id`. Peers use every variant (`to` as a bare string, `object` as an
array, `as:Public` as a compact IRI). Code elsewhere reads incoming JSON only through these
helpers, so that each variant is handled once.

We never run JSON-LD expansion, so no context is ever fetched: documents are read as plain JSON
by property name, which is what every fediverse server does in practice. Our own `@context` is the
constant `CONTEXT` below; the extension terms we use are defined inline in it, so a peer that
does expand our documents needs nothing beyond the two standard context URLs it already bundles.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "ACTIVITY_JSON",
    "AS_CONTEXT",
    "CONTEXT",
    "EXTENSIONS",
    "LD_JSON_PROFILE",
    "PUBLIC",
    "SECURITY_CONTEXT",
    "get_bool",
    "get_first_id",
    "get_id",
    "get_ids",
    "get_list",
    "get_str",
    "get_types",
    "has_type",
    "is_public",
]

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
# Peers write the public collection in three ways (Takahē sends "as:Public" as a bare string).
_PUBLIC_ALIASES = frozenset({PUBLIC, "as:Public", "Public"})

ACTIVITY_JSON = "application/activity+json"
LD_JSON_PROFILE = f'application/ld+json; profile="{AS_CONTEXT}"'

# Terms outside ActivityStreams that our documents carry: Mastodon's (`toot:`) and Lemmy's
# (`lemmy:`) extensions, named as those servers name them so that their readers match them.
EXTENSIONS: dict[str, Any] = {
    "toot": "http://joinmastodon.org/ns#",
    "lemmy": "https://join-lemmy.org/ns#",
    "sensitive": "as:sensitive",
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "Hashtag": "as:Hashtag",
    "discoverable": "toot:discoverable",
    "indexable": "toot:indexable",
    "featured": {"@id": "toot:featured", "@type": "@id"},
    "postingRestrictedToMods": "lemmy:postingRestrictedToMods",
    "moderators": {"@id": "lemmy:moderators", "@type": "@id"},
    "stickied": "lemmy:stickied",
}

CONTEXT: list[Any] = [AS_CONTEXT, SECURITY_CONTEXT, EXTENSIONS]


def get_list(obj: Mapping[str, Any], key: str) -> list[Any]:
    """The property as a list: absent or null → [], a single value → [value]."""
    value = obj.get(key)
    if value is None:
        return []
    if isinstance(value, list):
        return [item for item in value if item is not None]
    return [value]


def get_id(value: Any) -> str | None:
    """The id of a value that is an id string or an object with an `id`; None otherwise."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, Mapping):
        inner = value.get("id")
        return inner if isinstance(inner, str) and inner else None
    return None


def get_ids(obj: Mapping[str, Any], key: str) -> list[str]:
    """Every id in a one-or-many property, skipping values without one."""
    return [item for item in (get_id(value) for value in get_list(obj, key)) if item]


def get_first_id(obj: Mapping[str, Any], key: str) -> str | None:
    ids = get_ids(obj, key)
    return ids[0] if ids else None


def get_str(obj: Mapping[str, Any], key: str) -> str | None:
    """A string property; the first string when a peer sent a list, None when there is none."""
    for value in get_list(obj, key):
        if isinstance(value, str):
            return value
    return None


def get_bool(obj: Mapping[str, Any], key: str, default: bool = False) -> bool:
    value = obj.get(key)
    return value if isinstance(value, bool) else default


def get_types(obj: Mapping[str, Any]) -> list[str]:
    """`type` as a list of strings (JSON-LD allows several types)."""
    return [value for value in get_list(obj, "type") if isinstance(value, str)]


def has_type(obj: Mapping[str, Any], *types: str) -> bool:
    return any(kind in types for kind in get_types(obj))


def is_public(obj: Mapping[str, Any], *keys: str) -> bool:
    """Whether the public collection is among the addressees under `keys` (default to/cc)."""
    for key in keys or ("to", "cc"):
        if any(address in _PUBLIC_ALIASES for address in get_ids(obj, key)):
            return True
    return False
