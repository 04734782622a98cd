"""`Update`: an author edited their post, or an actor changed its profile.

A post is changed only by its author, from the author's server (`remote.update_remote_post`
publishes `PostEdited`). An actor's update is taken by fetching its document again from its own
server, which is authoritative (the embedded copy is only a hint), and only for the actor
itself.
"""

from __future__ import annotations

from federation.inbox.context import Dropped, InboxContext
from federation.inbox.create import check_authorship, fetch_post, incoming_post
from federation.inbox.parse import Update
from server.services import remote


async def handle_update_post(ctx: InboxContext, activity: Update) -> None:
    if activity.post is None and activity.object.id == ctx.actor.ap_id:
        await handle_update_actor(ctx, activity)  # an actor update sent by id only
        return
    note = activity.post or await fetch_post(ctx, activity.object.id or "")
    check_authorship(ctx, note)
    post = await ctx.find_post(note.id)
    if post is None:
        raise Dropped(f"{note.id} is not a post we have")
    await remote.update_remote_post(ctx.actor, post, await incoming_post(ctx, note))


async def handle_update_actor(ctx: InboxContext, activity: Update) -> None:
    actor_id = ctx.actor.ap_id or ""
    if activity.object.id != actor_id:
        raise Dropped("an actor can only update itself")
    if await ctx.actors.resolve(actor_id, refresh=True) is None:
        raise Dropped(ctx.actors.problem or "the actor could not be fetched again")
