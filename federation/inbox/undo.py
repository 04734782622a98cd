"""`Undo`: taking back a Follow (leaving the group) or a Like/Dislike.

The undone activity must be the same actor's. Peers embed it (Mastodon, Lemmy); when only its
id comes, we look it up among what we stored: the membership's Follow id, the reaction's id,
or the inbox row of the original activity.

A group's `Undo{Announce}` (a removal on its server) is handled in `announce`. Undoing anything
else (Block, Lock, Delete…) is acknowledged and dropped by the dispatcher.
"""

from __future__ import annotations

from federation.inbox.context import Dropped, InboxContext
from federation.inbox.parse import Activity, Undo
from server.models import Membership, Reaction
from server.services import groups, posts
from server.services.errors import NotFound


def _inner(activity: Undo) -> Activity:
    inner = activity.inner
    assert inner is not None  # the dispatcher routes only embedded activities here
    if inner.actor != activity.actor:
        raise Dropped("an actor can only undo its own activities")
    return inner


async def handle_undo_follow(ctx: InboxContext, activity: Undo) -> None:
    inner = _inner(activity)
    group = await ctx.local_group(inner.object.id or "")
    if group is None:
        raise Dropped(f"{inner.object.id} is not a group here")
    await _leave(ctx, group.id)


async def _leave(ctx: InboxContext, group_id: str) -> None:
    membership = await Membership.get_or_none(group_id=group_id, actor=ctx.actor).select_related(
        "group"
    )
    if membership is None:
        raise Dropped("the actor was not following the group")
    try:
        await groups.leave_group(membership.group, ctx.actor.id)
    except NotFound as error:
        raise Dropped(error.message) from None


async def handle_undo_react(ctx: InboxContext, activity: Undo) -> None:
    inner = _inner(activity)
    reaction = await Reaction.get_or_none(ap_id=inner.id, actor=ctx.actor)
    post = None
    if reaction is not None:
        post = await reaction.post
    elif inner.object.id:
        post = await ctx.find_post(inner.object.id)
    if post is None:
        raise Dropped("the liked post is not here")
    await posts.unlike(ctx.actor, post)


async def handle_undo_by_id(ctx: InboxContext, activity: Undo) -> None:
    """Only the undone activity's id came: find what it was from what we stored."""
    undone = activity.object.id or ""
    membership = await Membership.get_or_none(follow_ap_id=undone, actor=ctx.actor)
    if membership is not None:
        await _leave(ctx, membership.group_id)
        return
    reaction = await Reaction.get_or_none(ap_id=undone, actor=ctx.actor).select_related("post")
    if reaction is not None:
        await posts.unlike(ctx.actor, reaction.post)
        return
    raise Dropped(f"nothing we stored has the id {undone}")
