"""`Accept` and `Reject`: a group on another server answering a person here who asked to join.

The answer names our Follow: embedded (Lemmy, Lyceum, Mastodon) or by its id only. We find the
pending membership by the Follow's id, or else by the embedded Follow's actor; only the group
that was followed (the signer) can answer for itself. `remote_groups.confirm_remote_membership`
then makes the person a member (or not). Answers to anything else, or from an actor that is no
group we track, are acknowledged and dropped with the reason.
"""

from __future__ import annotations

from federation import ld
from federation.inbox.context import Dropped, InboxContext
from federation.inbox.parse import Response
from server.models import Group, Membership
from server.services import remote_groups


async def handle_response(ctx: InboxContext, activity: Response) -> None:
    if activity.object.type not in (None, "Follow"):
        raise Dropped(f"{activity.type} of a {activity.object.type} ignored")
    group = await Group.get_or_none(actor=ctx.actor)
    if group is None:
        raise Dropped(f"{activity.type} ignored: it comes from no group this instance follows")
    membership = await _membership(ctx, group, activity)
    if membership is None:
        raise Dropped(f"{activity.type} ignored: it answers no follow of ours")
    await membership.fetch_related("actor")
    await remote_groups.confirm_remote_membership(
        group, membership.actor, accepted=activity.type == "Accept"
    )


async def _membership(ctx: InboxContext, group: Group, activity: Response) -> Membership | None:
    follow_id = activity.object.id or ""
    found = await Membership.get_or_none(group=group, follow_ap_id=follow_id)
    if found is not None:
        return found
    follow = activity.object.data
    if follow is None:
        return None
    if ld.get_id(follow.get("object")) not in (None, ctx.actor.ap_id):
        return None  # a Follow of someone else
    person = await ctx.local_actor(ld.get_id(follow.get("actor")) or "")
    if person is None:
        return None
    return await Membership.get_or_none(group=group, actor=person)
