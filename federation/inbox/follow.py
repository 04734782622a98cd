"""`Follow`: for a person on another server, following a group is joining it.

An open group accepts at once, an approval group keeps the request pending for its moderators
(`groups.request_membership`); the outbox answers with `Accept` or `Reject` from the events.
A banned actor, a suspended actor, a blocked or limited domain, or a group that is not open
gets a `Reject` at once (`groups.refuse_follow`), and nothing is stored.

People here cannot be followed yet (Lyceum has no personal timelines to send): a Follow of a
person is acknowledged and dropped, and the follower's server keeps it pending.
"""

from __future__ import annotations

from federation.inbox.context import Dropped, InboxContext, block_of
from federation.inbox.parse import Follow
from server.services import groups
from server.services.errors import Forbidden


async def handle_follow(ctx: InboxContext, activity: Follow) -> None:
    target = activity.object.id or ""
    group = await ctx.local_group(target)
    if group is None:
        if await ctx.local_actor(target) is not None:
            raise Dropped("people here cannot be followed yet; only groups")
        raise Dropped(f"{target} is not a group here")
    actor = ctx.actor
    if actor.suspended_at is not None:
        reason = "the actor is suspended here"
    elif await block_of(actor.domain) is not None:
        reason = f"the domain {actor.domain} is blocked here"
    elif await groups.is_banned(group, actor.id):
        reason = "the actor is banned from the group"
    else:
        try:
            await groups.request_membership(group, actor, follow_ap_id=activity.id)
        except Forbidden as error:
            reason = error.message
        else:
            return
    await groups.refuse_follow(group, actor, activity.id)
    raise Dropped(f"follow refused: {reason}")
