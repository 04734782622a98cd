"""Every ActivityPub id this instance mints, built from `settings.base_url` alone.

Never from the request's Host header: behind a proxy it may differ, and Mastodon and Fedify drop
a document whose `id` is not the URL they fetched. Actors and posts use the same URL as their HTML
page (content negotiation on Accept decides which one a client gets), so a person pasting the
page address into their fediverse app finds the actor or the post.

Remote actors and posts keep the id their own server gave them (`ap_id`); `actor_id` and
`post_id` return it for those, so callers need not care where a thing lives.

    /u/<name>                     person      /g/<name>                group
    <actor>#main-key              key id      /actor                   instance actor (FEP-2677)
    /u/<name>/inbox, /g/<name>/inbox          /inbox                   shared inbox
    /u/<name>/outbox|followers    /g/<name>/outbox|followers|featured|moderators
    /p/<id>                       a post      /p/<id>/replies          its direct replies
    /p/<id>/create                the author's Create of a post
    /g/<name>/announces/<post>         the group's Announce of the post (microblog shape)
    /g/<name>/announces/<post>/create  the group's Announce of the Create (threadiverse shape)
    /g/<name>/announces/<post>?restored=<entry>  its Announce again, after a restoration
"""

from __future__ import annotations

from server.models import Actor, ActorKind, Post
from server.settings import Settings

__all__ = [
    "INSTANCE_ACTOR_PATH",
    "SHARED_INBOX_PATH",
    "actor_id",
    "announce",
    "announce_create",
    "announce_restored",
    "featured",
    "followers",
    "group",
    "inbox",
    "instance_actor",
    "instance_actor_outbox",
    "key_id",
    "moderators",
    "outbox",
    "person",
    "post",
    "post_create",
    "post_id",
    "replies",
    "shared_inbox",
]

INSTANCE_ACTOR_PATH = "/actor"
SHARED_INBOX_PATH = "/inbox"


def person(settings: Settings, name: str) -> str:
    return settings.url(f"/u/{name}")


def group(settings: Settings, name: str) -> str:
    return settings.url(f"/g/{name}")


def instance_actor(settings: Settings) -> str:
    return settings.url(INSTANCE_ACTOR_PATH)


def instance_actor_outbox(settings: Settings) -> str:
    return settings.url(f"{INSTANCE_ACTOR_PATH}/outbox")


def shared_inbox(settings: Settings) -> str:
    return settings.url(SHARED_INBOX_PATH)


def actor_id(settings: Settings, actor: Actor) -> str:
    """The ActivityPub id of any actor, local or remote."""
    if not actor.is_local:
        return actor.ap_id or ""
    if actor.kind == ActorKind.GROUP:
        return group(settings, actor.username)
    if actor.kind == ActorKind.APPLICATION:
        return instance_actor(settings)
    return person(settings, actor.username)


def key_id(settings: Settings, actor: Actor) -> str:
    """The id of a local actor's public key, `<actor>#main-key` (Mastodon's convention)."""
    return f"{actor_id(settings, actor)}#main-key"


def _local_collection(settings: Settings, actor: Actor, name: str) -> str:
    if actor.kind == ActorKind.APPLICATION:
        # The instance actor receives at the shared inbox and has an (empty) outbox only.
        return shared_inbox(settings) if name == "inbox" else instance_actor_outbox(settings)
    return f"{actor_id(settings, actor)}/{name}"


def inbox(settings: Settings, actor: Actor) -> str:
    return _local_collection(settings, actor, "inbox")


def outbox(settings: Settings, actor: Actor) -> str:
    return _local_collection(settings, actor, "outbox")


def followers(settings: Settings, actor: Actor) -> str:
    if not actor.is_local:  # a group elsewhere: the collection its document names
        return actor.followers_url or f"{actor.ap_id}/followers"
    return _local_collection(settings, actor, "followers")


def featured(settings: Settings, group_name: str) -> str:
    return f"{group(settings, group_name)}/featured"


def moderators(settings: Settings, group_name: str) -> str:
    return f"{group(settings, group_name)}/moderators"


def post(settings: Settings, local_post_id: str) -> str:
    """The id (and HTML permalink) of a post written on this instance."""
    return settings.url(f"/p/{local_post_id}")


def post_id(settings: Settings, target: Post) -> str:
    """The ActivityPub id of any post: its own for remote posts, ours for local ones."""
    return target.ap_id or post(settings, target.id)


def replies(settings: Settings, local_post_id: str) -> str:
    return f"{post(settings, local_post_id)}/replies"


def post_create(settings: Settings, local_post_id: str) -> str:
    """The id of the author's `Create` of a local post (stable: one Create per post)."""
    return f"{post(settings, local_post_id)}/create"


def announce(settings: Settings, group_name: str, announced_post_id: str) -> str:
    """The stable id of the group's `Announce{object: <Note id>}` of a post.

    Stable so that a moderator's removal can send `Undo` of the very same Announce to Mastodon.
    """
    return f"{group(settings, group_name)}/announces/{announced_post_id}"


def announce_restored(
    settings: Settings, group_name: str, announced_post_id: str, restore_id: str
) -> str:
    """The id of the group's fresh `Announce{<Note id>}` of a post a moderator restored.

    Mastodon forgets an undone Announce's id, so a restored post is announced anew; `restore_id`
    is the restoration's audit entry, so each restoration has its own id, fetchable and stable
    for the next removal's `Undo`.
    """
    return f"{announce(settings, group_name, announced_post_id)}?restored={restore_id}"


def announce_create(settings: Settings, group_name: str, announced_post_id: str) -> str:
    """The id of the group's `Announce{object: Create{Note}}` of a local post (FEP-1b12)."""
    return f"{announce(settings, group_name, announced_post_id)}/create"
