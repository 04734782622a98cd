"""The activities the outbox sends, beyond the post documents in `federation.render`.

Ids of one-off activities (Accept, Update, Delete, Like, Undo) are fragments of their actor's or
object's URL with a fresh ULID, as Mastodon mints them: same origin as the actor, unique, and
never dereferenced by peers. Embedded activities and objects drop their `@context`.

Inside a group's `Announce` (threadiverse shape) the wrapped activity is not signed itself:
receivers trust the group's signature on the Announce, as they do for Lemmy communities.
"""

from __future__ import annotations

from typing import Any

from federation import ld, urls
from federation.render._common import timestamp
from server.models import Actor, Post, ReactionKind, new_id, utcnow
from server.settings import Settings

__all__ = [
    "embedded",
    "followers_addressing",
    "fresh_id",
    "group_addressing",
    "render_announce_activity",
    "render_delete",
    "render_follow_answer",
    "render_like",
    "render_undo",
    "render_update",
]


def fresh_id(base: str, kind: str) -> str:
    """`<base>#<kind>/<ulid>`: a unique id on the origin of `base`."""
    return f"{base.split('#')[0]}#{kind}/{new_id()}"


def embedded(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != "@context"}


def group_addressing(settings: Settings, group_actor: Actor) -> dict[str, Any]:
    """Public, to the group and its followers, with the group as `audience` (FEP-1b12)."""
    group_id = urls.actor_id(settings, group_actor)
    return {
        "to": [ld.PUBLIC],
        "cc": [group_id, urls.followers(settings, group_actor)],
        "audience": group_id,
    }


def render_follow_answer(
    settings: Settings, group_actor: Actor, follower: Actor, follow_ap_id: str, *, kind: str
) -> dict[str, Any]:
    """`Accept` or `Reject` of a remote Follow, the Follow embedded with its own id."""
    group_id = urls.actor_id(settings, group_actor)
    follower_id = urls.actor_id(settings, follower)
    return {
        "@context": ld.CONTEXT,
        "id": fresh_id(group_id, f"{kind.lower()}s"),
        "type": kind,
        "actor": group_id,
        "to": [follower_id],
        "object": {
            "id": follow_ap_id,
            "type": "Follow",
            "actor": follower_id,
            "object": group_id,
        },
    }


def render_announce_activity(
    settings: Settings, group_actor: Actor, activity: dict[str, Any], *, announce_id: str = ""
) -> dict[str, Any]:
    """The group's `Announce` of an activity (FEP-1b12), what threadiverse peers read."""
    group_id = urls.actor_id(settings, group_actor)
    return {
        "@context": ld.CONTEXT,
        "id": announce_id or fresh_id(group_id, "announces"),
        "type": "Announce",
        "actor": group_id,
        "object": embedded(activity),
        "to": [ld.PUBLIC],
        "cc": [urls.followers(settings, group_actor)],
        "audience": group_id,
        "published": timestamp(utcnow()),
    }


def followers_addressing(settings: Settings, actor: Actor) -> dict[str, Any]:
    return {"to": [ld.PUBLIC], "cc": [urls.followers(settings, actor)]}


def render_update(
    actor_id: str, document: dict[str, Any], addressing: dict[str, Any]
) -> dict[str, Any]:
    """`Update` of a Note (which carries `updated`, or Mastodon ignores it) or of an actor."""
    return {
        "@context": ld.CONTEXT,
        "id": fresh_id(document["id"], "updates"),
        "type": "Update",
        "actor": actor_id,
        **addressing,
        "published": timestamp(utcnow()),
        "object": embedded(document),
    }


def render_delete(
    settings: Settings,
    actor_id: str,
    post: Post,
    *,
    group_actor: Actor,
    reason: str = "",
) -> dict[str, Any]:
    """`Delete` of a post: by its author, or by a moderator (Lemmy's removal, with a reason)."""
    object_id = urls.post_id(settings, post)
    activity: dict[str, Any] = {
        "@context": ld.CONTEXT,
        "id": fresh_id(actor_id, "deletes"),
        "type": "Delete",
        "actor": actor_id,
        **group_addressing(settings, group_actor),
        "object": {"id": object_id, "type": "Tombstone", "formerType": "Note"},
    }
    if reason:
        activity["summary"] = reason
    return activity


def render_undo(settings: Settings, actor: Actor, activity: dict[str, Any]) -> dict[str, Any]:
    """`Undo` of one of our own activities, embedded with its (stable) id."""
    actor_id = urls.actor_id(settings, actor)
    return {
        "@context": ld.CONTEXT,
        "id": fresh_id(activity["id"], "undo"),
        "type": "Undo",
        "actor": actor_id,
        "to": activity.get("to", [ld.PUBLIC]),
        "cc": activity.get("cc", []),
        "object": embedded(activity),
    }


def vote_type(kind: str) -> str:
    """The activity type of a stored vote: `Like`, or `Dislike` (threadiverse downvotes)."""
    return "Dislike" if kind == ReactionKind.DISLIKE else "Like"


def render_like(
    settings: Settings,
    actor_id: str,
    post: Post,
    *,
    kind: str,
    activity_id: str,
    group_actor: Actor,
) -> dict[str, Any]:
    """A `Like` or `Dislike` of a post, addressed as Lemmy's votes are."""
    group_id = urls.actor_id(settings, group_actor)
    return {
        "@context": ld.CONTEXT,
        "id": activity_id,
        "type": kind,
        "actor": actor_id,
        "object": urls.post_id(settings, post),
        "to": [group_id],
        "cc": [ld.PUBLIC],
        "audience": group_id,
    }
