"""Incoming activities as typed values: `parse_activity(data) -> Activity`.

Unknown fields are ignored, required ones enforced, and every refusal is a `ParseError` whose
text says what is wrong. AS2's loose shapes (one-or-many, id-or-object, `to` as a bare string,
`as:Public`) are read only through `federation.ld`.

Types we do not handle parse as `Other`; the dispatcher acknowledges and drops them with a
reason, so an unknown type is never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from federation import ld
from federation.inbox.parse_note import ParseError, PostObject, parse_post_object

__all__ = [
    "POST_TYPES",
    "Activity",
    "Announce",
    "Create",
    "Delete",
    "Flag",
    "Follow",
    "ObjectRef",
    "Other",
    "ParseError",
    "PostObject",
    "React",
    "Response",
    "Undo",
    "Update",
    "parse_activity",
]

# The object types we store as posts (Mastodon's polls are `Question`s).
POST_TYPES = frozenset({"Note", "Page", "Article", "Question"})
MAX_NESTING = 3  # Undo{Like}, Announce{Create{Note}}: deeper than this is not a real shape


@dataclass(frozen=True)
class ObjectRef:
    """What an activity acts on: always an id when there is one, the object when embedded."""

    id: str | None
    type: str | None
    data: Mapping[str, Any] | None


@dataclass(frozen=True)
class Activity:
    id: str
    type: str
    actor: str
    object: ObjectRef
    to: tuple[str, ...]
    cc: tuple[str, ...]
    audience: tuple[str, ...]

    @property
    def object_type(self) -> str | None:
        return self.object.type

    @property
    def addressed(self) -> tuple[str, ...]:
        return self.to + self.cc + self.audience


@dataclass(frozen=True)
class Follow(Activity):
    pass


@dataclass(frozen=True)
class Response(Activity):
    """Accept or Reject of something (a Follow we sent, in the future)."""


@dataclass(frozen=True)
class Undo(Activity):
    inner: Activity | None  # the undone activity, when embedded


@dataclass(frozen=True)
class Create(Activity):
    post: PostObject | None  # None when the object came as a bare id


@dataclass(frozen=True)
class Update(Activity):
    post: PostObject | None  # set when a post changed; actor updates carry the document


@dataclass(frozen=True)
class Delete(Activity):
    pass


@dataclass(frozen=True)
class React(Activity):
    """Like or Dislike (Misskey's emoji reactions arrive as Like too)."""


@dataclass(frozen=True)
class Announce(Activity):
    pass


@dataclass(frozen=True)
class Flag(Activity):
    targets: tuple[str, ...]  # Mastodon sends a list, Lemmy one object
    comment: str


@dataclass(frozen=True)
class Other(Activity):
    """A type we do not handle (Lock, Block, Move, Add, EmojiReact…)."""


def _required_str(data: Mapping[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if isinstance(value, str) and value.strip():
        return value
    if value is None:
        raise ParseError(f"the {what} has no {key}")
    raise ParseError(f"the {what}'s {key} is not a string")


def _object_ref(data: Mapping[str, Any]) -> ObjectRef:
    values = ld.get_list(data, "object")
    if not values:
        return ObjectRef(None, None, None)
    value = values[0]
    if isinstance(value, Mapping):
        types = ld.get_types(value)
        return ObjectRef(ld.get_id(value), types[0] if types else None, value)
    if isinstance(value, str):
        return ObjectRef(value or None, None, None)
    raise ParseError("the activity's object is neither an id nor an object")


def parse_activity(data: Mapping[str, Any], *, _depth: int = 0) -> Activity:
    """Read an activity; raise ParseError with a readable reason when it is malformed."""
    if not isinstance(data, Mapping):
        raise ParseError("the activity is not a JSON object")
    if _depth > MAX_NESTING:
        raise ParseError("activities are nested too deeply")
    kind = _required_str(data, "type", "activity")
    actor = ld.get_id(data.get("actor"))
    if actor is None:
        raise ParseError("the activity has no actor id")
    ref = _object_ref(data)
    head = (
        _required_str(data, "id", "activity"),
        kind,
        actor,
        ref,
        tuple(ld.get_ids(data, "to")),
        tuple(ld.get_ids(data, "cc")),
        tuple(ld.get_ids(data, "audience")),
    )
    match kind:
        case "Follow":
            _require_object_id(ref, kind)
            return Follow(*head)
        case "Accept" | "Reject":
            _require_object_id(ref, kind)
            return Response(*head)
        case "Undo":
            _require_object_id(ref, kind)
            inner = None
            if ref.data is not None and ref.type is not None:
                inner = parse_activity(ref.data, _depth=_depth + 1)
            return Undo(*head, inner=inner)
        case "Create" | "Update":
            _require_object_id(ref, kind)
            post = None
            if ref.data is not None and ref.type in POST_TYPES:
                post = parse_post_object(ref.data)
            cls = Create if kind == "Create" else Update
            return cls(*head, post=post)
        case "Delete":
            _require_object_id(ref, kind)
            return Delete(*head)
        case "Like" | "Dislike":
            _require_object_id(ref, kind)
            return React(*head)
        case "Announce":
            _require_object_id(ref, kind)
            return Announce(*head)
        case "Flag":
            targets = tuple(ld.get_ids(data, "object"))
            if not targets:
                raise ParseError("the Flag names nothing")
            comment = ld.get_str(data, "content") or ld.get_str(data, "summary") or ""
            return Flag(*head, targets=targets, comment=comment)
    return Other(*head)


def _require_object_id(ref: ObjectRef, kind: str) -> None:
    if ref.id is None:
        raise ParseError(f"the {kind}'s object has no id")
