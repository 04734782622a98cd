"""What a remote group's `Announce` carries, stored under that group (FEP-1b12).

Trust: the group's signature covers the Announce, not the activity inside it. So the group is
trusted only for what it says about its own group: which posts belong to it, and that a
moderator removed one (`Delete` by someone other than the author) or restored it (`Undo` of that
`Delete`, or, in the microblog shape, the post shared again). What an author wrote is taken from
the author's own server: an embedded post is used as sent only when it lives on the group's own
server (the signer's origin), and fetched from its origin otherwise. Every post must live on
its author's server.

Our own posts and votes come back to us inside the group's Announces (the group shares them
with all its followers); they are here already and are dropped with that reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from federation import ld, urls
from federation.inbox.context import Dropped, InboxContext, block_of, same_origin
from federation.inbox.create import incoming_post
from federation.inbox.parse import (
    POST_TYPES,
    Activity,
    Create,
    Delete,
    PostObject,
    React,
    Undo,
    Update,
)
from federation.inbox.parse_note import ParseError, parse_post_object
from server.models import Actor, DomainBlockSeverity, Group, Post, PostState, ReactionKind
from server.services import posts, remote, remote_groups

__all__ = ["handle_announced", "store_shared_post"]

OURS = "our own {what}, already here"


async def handle_announced(
    ctx: InboxContext, group: Group, inner: Activity, data: Mapping[str, Any]
) -> None:
    """One announced activity; `data` is its JSON (for what the typed value leaves out)."""
    if ctx.local_path(inner.actor) is not None:
        raise Dropped(OURS.format(what=f"{inner.type}"))
    match inner:
        case Create():
            note = await _post_of(ctx, inner.post, inner.object.id or "", inner.actor)
            await _store(ctx, group, note, inner.actor)
        case Update():
            await _update(ctx, group, inner)
        case Delete():
            await _delete(ctx, group, inner, reason=ld.get_str(data, "summary") or "")
        case React():
            post = await _group_post(ctx, group, inner.object.id or "")
            kind = ReactionKind.DISLIKE if inner.type == "Dislike" else ReactionKind.LIKE
            voter = await _actor(ctx, inner.actor)
            await remote_groups.record_announced_reaction(voter, post, kind=kind, ap_id=inner.id)
        case Undo(inner=React() as vote) if vote.actor == inner.actor:
            post = await _group_post(ctx, group, vote.object.id or "")
            await remote_groups.withdraw_announced_reaction(await _actor(ctx, inner.actor), post)
        case Undo(inner=Delete() as removal) if removal.actor == inner.actor:
            # Lemmy's (and Lyceum's) restoration of a post a moderator removed.
            await _restore(ctx, group, await _group_post(ctx, group, removal.object.id or ""))
        case Activity(type="Remove"):
            post = await _group_post(ctx, group, inner.object.id or "")
            await remote_groups.remove_announced_post(group, post)
        case _:
            raise Dropped(f"announced {inner.type} is not handled")


async def store_shared_post(
    ctx: InboxContext, group: Group, post_id: str, embedded: Mapping[str, Any] | None
) -> None:
    """The microblog shape: the group shares a post by id (or embeds it), authored by whoever
    its `attributedTo` names."""
    if embedded is not None and not ld.has_type(embedded, *POST_TYPES):
        shown = ", ".join(ld.get_types(embedded)) or "an untyped object"
        raise Dropped(f"announced {shown} is not handled")
    if ctx.local_path(post_id) is not None:
        raise Dropped(OURS.format(what="post"))
    sent = _parse(embedded) if embedded is not None else None
    shared = await ctx.find_post(sent.id if sent is not None else post_id)
    if shared is not None and shared.group_id == group.id and shared.state == PostState.REMOVED:
        # Shared again after its removal (the microblog shape of a restoration).
        await _restore(ctx, group, shared)
        return
    note = await _post_of(ctx, sent, post_id, None)
    if not note.attributed_to:
        raise Dropped("the shared post names no author")
    await _store(ctx, group, note, note.attributed_to[0])


async def _store(ctx: InboxContext, group: Group, note: PostObject, author_id: str) -> None:
    if note.attributed_to and author_id not in note.attributed_to:
        raise Dropped("the post is not attributed to the actor")
    if not same_origin(note.id, author_id):
        raise Dropped(f"the post {note.id} is not on its author's server")
    parent = None
    if note.in_reply_to:
        parent = await ctx.find_post(note.in_reply_to)
        if parent is None:
            raise Dropped(f"it replies to {note.in_reply_to}, which is not here")
        if parent.group_id != group.id:
            raise Dropped("it replies to a post of another group")
    author = await _actor(ctx, author_id)
    incoming = await incoming_post(ctx, note)
    await remote.receive_post(author, group, incoming, parent=parent, via_group=True)


async def _update(ctx: InboxContext, group: Group, inner: Update) -> None:
    if inner.post is None and inner.object.type not in (None, *POST_TYPES):
        raise Dropped(f"announced Update of a {inner.object.type} is not handled")
    note = await _post_of(ctx, inner.post, inner.object.id or "", inner.actor)
    if not same_origin(note.id, inner.actor):
        raise Dropped(f"the post {note.id} is not on its author's server")
    post = await _group_post(ctx, group, note.id)
    author = await _actor(ctx, inner.actor)
    await remote.update_remote_post(author, post, await incoming_post(ctx, note))


async def _delete(ctx: InboxContext, group: Group, inner: Delete, *, reason: str) -> None:
    """By the post's author: deleted. By anyone else (a moderator of the group): removed."""
    post = await ctx.find_post(inner.object.id or "")
    if post is None or post.group_id != group.id:
        raise Dropped(f"{inner.object.id} is not a post of this group here")
    if post.state == PostState.DELETED:
        raise Dropped("the post is already deleted")
    author = await Actor.get(id=post.author_id)
    if inner.actor == urls.actor_id(ctx.settings, author) and not author.is_local:
        await posts.delete_post(author, post)
        return
    await remote_groups.remove_announced_post(group, post, reason=reason)


async def _restore(ctx: InboxContext, group: Group, post: Post) -> None:
    """The group brings back a post its moderators removed (not one its author deleted, nor
    one this instance hides because it blocks the author's server)."""
    if post.state == PostState.DELETED:
        raise Dropped("the post was deleted by its author and cannot come back")
    if post.state != PostState.REMOVED:
        raise Dropped("the post is not removed here")
    author = await Actor.get(id=post.author_id)
    if await block_of(author.domain) == DomainBlockSeverity.SUSPEND:
        raise Dropped(f"the domain {author.domain} is blocked")
    await remote_groups.restore_announced_post(group, post)


async def _group_post(ctx: InboxContext, group: Group, post_id: str) -> Post:
    post = await ctx.find_post(post_id)
    if post is None or post.group_id != group.id:
        raise Dropped(f"{post_id} is not a post of this group here")
    return post


async def _actor(ctx: InboxContext, actor_id: str) -> Actor:
    """The remote author or voter, stored or fetched now; never one of ours."""
    if ctx.local_path(actor_id) is not None:
        raise Dropped(OURS.format(what="activity"))
    actor = await ctx.actors.resolve(actor_id)
    if actor is None:
        raise Dropped(ctx.actors.problem or f"could not fetch {actor_id}")
    if await block_of(actor.domain) == DomainBlockSeverity.SUSPEND:
        raise Dropped(f"the domain {actor.domain} is blocked")
    return actor


async def _post_of(
    ctx: InboxContext, sent: PostObject | None, post_id: str, author_id: str | None
) -> PostObject:
    """The post as its author's server has it: the copy sent when it lives on the group's own
    server, else fetched from its origin."""
    post_id = sent.id if sent is not None else post_id
    if not post_id:
        raise Dropped("the announced post has no id")
    if ctx.local_path(post_id) is not None:
        raise Dropped(OURS.format(what="post"))
    if author_id is not None and not same_origin(post_id, author_id):
        raise Dropped(f"the post {post_id} is not on its author's server")
    if sent is not None and same_origin(post_id, ctx.actor.ap_id or ""):
        return sent
    document = await ctx.actors.fetch(post_id)
    if document is None:
        raise Dropped(ctx.actors.problem or f"could not fetch {post_id}")
    if not ld.has_type(document, *POST_TYPES):
        raise Dropped(f"{post_id} is not a post")
    note = _parse(document)
    if note.id != post_id:
        raise Dropped(f"{post_id} answered with another object, {note.id}")
    return note


def _parse(document: Mapping[str, Any]) -> PostObject:
    try:
        return parse_post_object(document)
    except ParseError as error:
        raise Dropped(f"the announced post is unreadable: {error}") from None
