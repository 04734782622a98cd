"""`Delete` of a post (by id or as a `Tombstone`), or of the actor itself.

A post is deleted by its author, or by a moderator of its group (`posts.delete_post` checks
which); `PostDeleted` then tells the group's followers. When the object is the actor, its
server deleted the account: its posts here are deleted and its memberships end.
Deleting something we never had is acknowledged and dropped (peers send Deletes widely).
"""

from __future__ import annotations

from federation.inbox.context import Dropped, InboxContext
from federation.inbox.parse import Delete
from server.models import PostState
from server.services import posts, remote


async def handle_delete(ctx: InboxContext, activity: Delete) -> None:
    target = activity.object.id or ""
    if target == ctx.actor.ap_id:
        deleted = await remote.forget_remote_actor(ctx.actor)
        if not deleted:
            raise Dropped("the deleted actor had nothing here")
        return
    post = await ctx.find_post(target)
    if post is None:
        raise Dropped(f"{target} is not something we have")
    if post.state == PostState.DELETED:
        raise Dropped("the post is already deleted")
    await posts.delete_post(ctx.actor, post)
