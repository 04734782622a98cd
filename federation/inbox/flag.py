"""`Flag`: a report from another server about a post or an actor here.

`object` is one item (Lemmy) or a list (Mastodon: the account, then its statuses); the comment
is in `content` (Mastodon) or `summary` (Lemmy). The first post named and the first actor named
(a post's author when no actor is) become one report; it lands in the post's group's queue, or
the reported group's, or else the instance's. Reports naming nothing of ours are dropped.
"""

from __future__ import annotations

from federation.inbox.context import Dropped, InboxContext
from federation.inbox.parse import Flag
from server.models import Actor, ActorKind, Group, Post
from server.services import remote


async def handle_flag(ctx: InboxContext, activity: Flag) -> None:
    post: Post | None = None
    target: Actor | None = None
    group: Group | None = None
    for item in activity.targets:
        found_post = await ctx.find_post(item)
        if found_post is not None:
            post = post or found_post
            continue
        actor = await ctx.find_actor(item)
        if actor is None:
            continue
        if actor.kind == ActorKind.GROUP and actor.is_local:
            group = group or await Group.get_or_none(actor=actor)
        else:
            target = target or actor
    if post is None and target is None and group is None:
        raise Dropped("the report names nothing on this instance")
    await remote.receive_report(
        ctx.actor,
        ap_id=activity.id,
        comment=activity.comment,
        target_actor=target,
        post=post,
        group=group,
    )
