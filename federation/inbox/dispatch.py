"""Which handler takes an activity, by (activity type, object type), in one table.

`ANY` matches any object type (including an object sent by id, whose type is `None`). What the
table does not list is acknowledged and dropped as "unsupported: <type>" (Lemmy's Lock, Block,
Warn; Move; EmojiReact; Create of a ChatMessage…), which the inbox records; never an error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from federation.inbox import accept, announce, create, delete, flag, follow, like, undo, update
from federation.inbox.context import Dropped, InboxContext
from federation.inbox.parse import POST_TYPES, Activity, Undo
from federation.inbox.parse_actor import ACTOR_TYPES

__all__ = ["ANY", "HANDLERS", "dispatch", "handler_for"]

ANY = "*"
Handler = Callable[[InboxContext, Any], Awaitable[None]]

HANDLERS: dict[tuple[str, str | None], Handler] = {
    ("Follow", ANY): follow.handle_follow,
    ("Undo", "Follow"): undo.handle_undo_follow,
    ("Undo", "Like"): undo.handle_undo_react,
    ("Undo", "Dislike"): undo.handle_undo_react,
    ("Undo", None): undo.handle_undo_by_id,
    ("Undo", "Announce"): announce.handle_undo_announce,
    **{("Create", kind): create.handle_create for kind in POST_TYPES},
    ("Create", None): create.handle_create,
    **{("Update", kind): update.handle_update_post for kind in POST_TYPES},
    ("Update", None): update.handle_update_post,
    **{("Update", kind): update.handle_update_actor for kind in ACTOR_TYPES},
    ("Delete", ANY): delete.handle_delete,
    ("Like", ANY): like.handle_react,
    ("Dislike", ANY): like.handle_react,
    ("Announce", ANY): announce.handle_announce,
    ("Flag", ANY): flag.handle_flag,
    ("Accept", ANY): accept.handle_response,
    ("Reject", ANY): accept.handle_response,
}


def _object_type(activity: Activity) -> str | None:
    if isinstance(activity, Undo) and activity.inner is not None:
        return activity.inner.type
    return activity.object_type


def handler_for(activity: Activity) -> Handler | None:
    object_type = _object_type(activity)
    return HANDLERS.get((activity.type, object_type)) or HANDLERS.get((activity.type, ANY))


async def dispatch(ctx: InboxContext, activity: Activity) -> None:
    handler = handler_for(activity)
    if handler is None:
        object_type = _object_type(activity)
        suffix = f"({object_type})" if object_type else ""
        raise Dropped(f"unsupported: {activity.type}{suffix}")
    await handler(ctx, activity)
