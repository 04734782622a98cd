"""A group's posts going out: the group's Announces, edits, deletions, removals and votes.

Each receiving server gets the shape it reads (see `software`): threadiverse peers the group's
`Announce` of the activity itself (Create, Update, Delete, Like) for posts and replies; microblog
peers `Announce{<Note id>}` of top-level posts only, and, since Mastodon accepts an `Update` or
`Delete` only from the object's owner, the author's own activity when the author is local.

Remote posts are announced too, to every member's server including the author's own (as Lemmy
does: harmless there, and its other users see the group's boost). Their Create, Update or Delete
inside an Announce is rebuilt from what we stored, with ids on the author's origin
(`<note>#create`): receivers that check an activity's origin against its actor accept it, and
Lyceum-like peers refetch the object from its origin anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from federation import urls
from federation.delivery.queue import enqueue_many
from federation.outbox.activities import (
    fresh_id,
    group_addressing,
    render_announce_activity,
    render_delete,
    render_like,
    render_undo,
    render_update,
    vote_type,
)
from federation.outbox.addressing import enqueue_for_group
from federation.outbox.audience import Audience, SoftwareLookup, group_audience, inbox_of
from federation.queries import NOTE_PREFETCH, NOTE_SELECT, note_of
from federation.render import (
    microblog_note,
    render_announce,
    render_announce_create,
    render_create,
)
from federation.render.privacy import for_group
from server.events import StoredPost
from server.models import (
    Actor,
    AuditEntry,
    GroupState,
    Post,
    PostState,
    Reaction,
    utcnow,
)
from server.settings import Settings

__all__ = [
    "current_boost",
    "send_post_created",
    "send_post_deleted",
    "send_post_edited",
    "send_post_reacted",
    "send_post_removed",
    "send_posts_created",
]


async def _load(
    post_id: str, lookup: SoftwareLookup, loaded: Post | None = None
) -> tuple[Post, Audience] | None:
    """The post and its group's remote audience, when the group is ours, active and followed.
    `loaded`: the post in hand, with NOTE_SELECT's relations (it is not read again)."""
    post = loaded or await Post.filter(id=post_id).select_related(*NOTE_SELECT).first()
    if post is None or not post.group.actor.is_local or post.group.state != GroupState.ACTIVE:
        return None
    audience = await group_audience(post.group_id, lookup)
    return (post, audience) if audience else None


def _note(settings: Settings, post: Post) -> dict[str, Any]:
    """The post as a Note (loaded with NOTE_PREFETCH); a remote post keeps its own ids."""
    note = note_of(settings, post, with_context=False)
    if post.ap_id:
        note["id"] = post.ap_id
        note["url"] = post.remote_url or post.ap_id
        note.pop("replies", None)
    return note


def _create(settings: Settings, post: Post, note: dict[str, Any]) -> dict[str, Any]:
    create = render_create(settings, post, note)
    if post.ap_id:
        create["id"] = f"{post.ap_id}#create"
    return create


async def send_post_created(
    settings: Settings, lookup: SoftwareLookup, post_id: str, stored: StoredPost | None = None
) -> None:
    """The group's Announce of a post published; `stored`, the post just created (so neither
    read again nor ever restored by a moderator)."""
    found = await _load(post_id, lookup, stored.post if stored is not None else None)
    if found is None or found[0].state != PostState.PUBLISHED:
        return
    post, audience = found
    group_actor = post.group.actor
    if audience.threadiverse:
        await Post.fetch_for_list([post], *NOTE_PREFETCH)
        create = _create(settings, post, _note(settings, post))
        announce = render_announce_create(settings, group_actor, post, create)
        await enqueue_for_group(
            settings, post.group, announce, group_actor.id, audience.threadiverse
        )
    if audience.microblog and post.is_top_level:
        # Boosting every comment would flood Mastodon timelines; `published` is now because
        # Mastodon home feeds take boosts only within six hours.
        boost = await current_boost(settings, post, published=utcnow(), new=stored is not None)
        await enqueue_for_group(settings, post.group, boost, group_actor.id, audience.microblog)


async def send_posts_created(
    settings: Settings, lookup: SoftwareLookup, stored: Sequence[StoredPost]
) -> None:
    """`send_post_created` for posts just created together: each group's audience read once,
    and every Announce queued with one `enqueue_many`."""
    audiences: dict[str, Audience] = {}
    found: list[tuple[Post, Audience]] = []
    for item in stored:
        post = item.post
        group = post.group
        if not group.actor.is_local or group.state != GroupState.ACTIVE:
            continue
        if post.group_id not in audiences:
            audiences[post.group_id] = await group_audience(post.group_id, lookup)
        audience = audiences[post.group_id]
        if audience and post.state == PostState.PUBLISHED:
            found.append((post, audience))
    threadiverse = [post for post, audience in found if audience.threadiverse]
    if threadiverse:
        await Post.fetch_for_list(threadiverse, *NOTE_PREFETCH)
    queued: list[tuple[dict[str, Any], str, Iterable[str]]] = []
    for post, audience in found:
        group_actor = post.group.actor
        if audience.threadiverse:
            create = _create(settings, post, _note(settings, post))
            announce = render_announce_create(settings, group_actor, post, create)
            queued.append(
                (for_group(settings, post.group, announce), group_actor.id, audience.threadiverse)
            )
        if audience.microblog and post.is_top_level:
            boost = await current_boost(settings, post, published=utcnow(), new=True)
            queued.append(
                (for_group(settings, post.group, boost), group_actor.id, audience.microblog)
            )
    await enqueue_many(queued)


async def send_post_edited(settings: Settings, lookup: SoftwareLookup, post_id: str) -> None:
    found = await _load(post_id, lookup)
    if found is None or found[0].state != PostState.PUBLISHED:
        return
    post, audience = found
    group_actor, author = post.group.actor, post.author
    await Post.fetch_for_list([post], *NOTE_PREFETCH)
    addressing = group_addressing(settings, group_actor)
    update = render_update(urls.actor_id(settings, author), _note(settings, post), addressing)
    if audience.threadiverse:
        announce = render_announce_activity(settings, group_actor, update)
        await enqueue_for_group(
            settings, post.group, announce, group_actor.id, audience.threadiverse
        )
    if audience.microblog and author.is_local:
        note = microblog_note(update["object"])
        await enqueue_for_group(
            settings, post.group, {**update, "object": note}, author.id, audience.microblog
        )


async def send_post_deleted(settings: Settings, lookup: SoftwareLookup, post_id: str) -> None:
    """The author's deletion, or a moderator's (known by its audit entry), which is a removal."""
    found = await _load(post_id, lookup)
    if found is None:
        return
    post, audience = found
    moderators = (
        await AuditEntry.filter(action="post.delete", target_type="post", target_id=post.id)
        .order_by("-created_at")
        .limit(1)
        .values_list("actor_id", flat=True)
    )
    if moderators:
        await _send_removal(settings, post, audience, str(moderators[0] or ""))
        return
    group_actor, author = post.group.actor, post.author
    delete = render_delete(settings, urls.actor_id(settings, author), post, group_actor=group_actor)
    if audience.threadiverse:
        announce = render_announce_activity(settings, group_actor, delete)
        await enqueue_for_group(
            settings, post.group, announce, group_actor.id, audience.threadiverse
        )
    if audience.microblog:
        if author.is_local:
            await enqueue_for_group(settings, post.group, delete, author.id, audience.microblog)
        elif post.is_top_level:
            await _undo_boost(settings, post, audience)


async def send_post_removed(
    settings: Settings, lookup: SoftwareLookup, post_id: str, moderator_id: str
) -> None:
    found = await _load(post_id, lookup)
    if found is not None:
        await _send_removal(settings, found[0], found[1], moderator_id)


async def _send_removal(
    settings: Settings, post: Post, audience: Audience, moderator_id: str
) -> None:
    """Threadiverse: the group announces a moderator's `Delete` (Lemmy's removal, with the
    reason). Microblog: Mastodon deletes only what the signer owns, so the group undoes its
    Announce (the same stable id) instead."""
    group_actor = post.group.actor
    moderator = await Actor.get_or_none(id=moderator_id, domain="")
    remover = moderator or group_actor
    if audience.threadiverse:
        delete = render_delete(
            settings,
            urls.actor_id(settings, remover),
            post,
            group_actor=group_actor,
            reason=post.removal_reason,
        )
        announce = render_announce_activity(settings, group_actor, delete)
        await enqueue_for_group(
            settings, post.group, announce, group_actor.id, audience.threadiverse
        )
    if audience.microblog and post.is_top_level:
        await _undo_boost(settings, post, audience)


async def _undo_boost(settings: Settings, post: Post, audience: Audience) -> None:
    group_actor = post.group.actor
    undo = render_undo(settings, group_actor, await current_boost(settings, post))
    await enqueue_for_group(settings, post.group, undo, group_actor.id, audience.microblog)


async def current_boost(
    settings: Settings, post: Post, *, published: datetime | None = None, new: bool = False
) -> dict[str, Any]:
    """The group's latest `Announce{<Note id>}` of the post (loaded with the group's actor):
    the stable one, or the one of its latest restoration by a moderator (`new`: the post was
    just created, so never restored)."""
    group_actor = post.group.actor
    boost = render_announce(settings, group_actor, post, published=published)
    if new:
        return boost
    restored = (
        await AuditEntry.filter(action="post.restore", target_type="post", target_id=post.id)
        .order_by("-created_at", "-id")
        .limit(1)
        .values_list("id", flat=True)
    )
    if restored:
        entry_id = str(restored[0])
        boost["id"] = urls.announce_restored(settings, group_actor.username, post.id, entry_id)
    return boost


async def send_post_reacted(settings: Settings, lookup: SoftwareLookup, reaction_id: str) -> None:
    """A vote: to a remote author's server from a local voter, and announced to threadiverse
    peers (microblog servers show no one's votes but their own users')."""
    reaction = (
        await Reaction.filter(id=reaction_id)
        .select_related("actor", "post__author", "post__group__actor")
        .first()
    )
    if reaction is None:
        return
    post, voter = reaction.post, reaction.actor
    group_actor = post.group.actor
    if post.state != PostState.PUBLISHED or not group_actor.is_local:
        return
    if post.group.state != GroupState.ACTIVE:
        return
    kind = vote_type(reaction.kind)
    voter_id = urls.actor_id(settings, voter)
    if voter.is_local:
        activity_id = f"{voter_id}#{kind.lower()}s/{reaction.id}"
    else:
        activity_id = reaction.ap_id or fresh_id(voter_id, f"{kind.lower()}s")
    like = render_like(
        settings, voter_id, post, kind=kind, activity_id=activity_id, group_actor=group_actor
    )
    if voter.is_local and not post.author.is_local and inbox_of(post.author):
        await enqueue_for_group(settings, post.group, like, voter.id, [inbox_of(post.author)])
    audience = await group_audience(post.group_id, lookup)
    if audience.threadiverse:
        announce = render_announce_activity(settings, group_actor, like)
        await enqueue_for_group(
            settings, post.group, announce, group_actor.id, audience.threadiverse
        )
