"""`Like` and `Dislike` of a post here, by a member of its group (`posts.like`).

Misskey's emoji reactions come as `Like` with the emoji in `content`; they count as likes.
"""

from __future__ import annotations

from federation.inbox.context import Dropped, InboxContext
from federation.inbox.parse import React
from server.models import ReactionKind
from server.services import posts


async def handle_react(ctx: InboxContext, activity: React) -> None:
    post = await ctx.find_post(activity.object.id or "")
    if post is None:
        raise Dropped(f"{activity.object.id} is not a post here")
    kind = ReactionKind.DISLIKE if activity.type == "Dislike" else ReactionKind.LIKE
    await posts.like(ctx.actor, post, kind=kind, ap_id=activity.id)
