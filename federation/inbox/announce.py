"""`Announce`: a group on another server sharing what happens in it (FEP-1b12); people's boosts.

We keep the content of a remote group only when we track it (a `Group` row for its actor) and
someone here follows it or asked to; the signer must be that group. Two shapes arrive:
- threadiverse (Lemmy, PieFed, Lyceum): the object is an activity (Create, Update, Delete,
  Like, Dislike, Undo of a vote, Remove), handled in `announced`;
- microblog: the object is a post's id (or the post embedded), fetched from its own origin.

How the group addresses the posts it shares tells whether it is members-only (followers only,
no `as:Public`): we keep its posts as readable by its members here alone, then.

`Undo{Announce}` from the group withdraws what it shared (a moderator's removal there, in the
shape Mastodon understands): the post is removed here too.

Boosts by people are not counted; they are acknowledged and dropped.
"""

from __future__ import annotations

from federation import ld
from federation.inbox import announced
from federation.inbox.context import Dropped, InboxContext
from federation.inbox.parse import POST_TYPES, Announce, ParseError, Undo, parse_activity
from server.models import ActorKind, Group, GroupState, Membership, MembershipState
from server.services import remote_groups

__all__ = ["handle_announce", "handle_undo_announce", "tracked_group"]

# What a group's Announce may wrap, as opposed to a post (or a post's id).
ACTIVITY_TYPES = frozenset({"Create", "Update", "Delete", "Like", "Dislike", "Undo", "Remove"})


async def tracked_group(ctx: InboxContext) -> Group:
    """The remote group that signed this, when we keep its content; Dropped otherwise."""
    if ctx.actor.kind != ActorKind.GROUP:
        raise Dropped("boosts by people are not counted here")
    group = await Group.get_or_none(actor=ctx.actor)
    if group is None:
        raise Dropped("announce from a remote group this instance does not track")
    if group.state != GroupState.ACTIVE:
        raise Dropped("the group is not active here")
    followed = (
        await Membership.filter(group=group, actor__domain="")
        .exclude(state=MembershipState.REJECTED)
        .exists()
    )
    if not followed:
        raise Dropped("no one here follows this group")
    return group


async def handle_announce(ctx: InboxContext, activity: Announce) -> None:
    group = await tracked_group(ctx)
    wrapped = activity.object
    if wrapped.data is None or wrapped.type in ("Create", *POST_TYPES):
        # A group that shares its posts with its followers only is members-only: so are they
        # here (read by its members here alone), and so it stays until it shares publicly.
        public = ld.is_public({"to": list(activity.to), "cc": list(activity.cc)})
        await remote_groups.learn_visibility(group, public=public)
    if wrapped.data is not None and wrapped.type in ACTIVITY_TYPES:
        try:
            inner = parse_activity(wrapped.data, _depth=1)
        except ParseError as error:
            raise Dropped(f"the announced activity is unreadable: {error}") from None
        await announced.handle_announced(ctx, group, inner, wrapped.data)
        return
    await announced.store_shared_post(ctx, group, wrapped.id or "", wrapped.data)


async def handle_undo_announce(ctx: InboxContext, activity: Undo) -> None:
    group = await tracked_group(ctx)
    inner = activity.inner
    assert inner is not None  # the dispatcher routes only embedded Announces here
    if inner.actor != activity.actor:
        raise Dropped("an actor can only undo its own activities")
    target = inner.object.id or ""
    if inner.object.data is not None and inner.object.type in ACTIVITY_TYPES:
        # Announce{Create{Note}} undone: what goes is the wrapped activity's object.
        wrapped = inner.object.data.get("object")
        target = wrapped.get("id", "") if isinstance(wrapped, dict) else str(wrapped or "")
    post = await ctx.find_post(target)
    if post is None or post.group_id != group.id:
        raise Dropped(f"{target} is not a post of this group here")
    await remote_groups.remove_announced_post(group, post)
