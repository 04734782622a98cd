"""A member of a members-only group leaves or is banned: what still waits for their server goes.

Recipients are the accepted members when an activity is queued (`addressing`), but a queued row
may wait for days (a server that is down is retried with backoff). When the last accepted member
on a server leaves a members-only group or is banned, the rows still queued for that server
about the group's content (every such activity names the group as its `audience`) are deleted
before they are sent. The answers to Follows (Accept, Reject) carry no audience and still go.
"""

from __future__ import annotations

import json

from federation import urls
from server.models import (
    Actor,
    Delivery,
    DeliveryState,
    Group,
    GroupVisibility,
    Membership,
    MembershipState,
)
from server.settings import Settings

__all__ = ["withdraw_queued"]


async def withdraw_queued(settings: Settings, group_id: str, actor_id: str) -> int:
    """Delete what is queued about the group for the actor's server, when the group is a
    members-only group hosted here and nobody there is an accepted member any more."""
    group = await Group.filter(id=group_id).select_related("actor").first()
    actor = await Actor.get_or_none(id=actor_id)
    if group is None or actor is None or actor.is_local or not group.actor.is_local:
        return 0
    if group.visibility != GroupVisibility.MEMBERS:
        return 0
    still_there = await Membership.filter(
        group_id=group_id, state=MembershipState.ACCEPTED, actor__domain=actor.domain
    ).exists()
    if still_there:
        return 0
    # The queue stores compact JSON (`delivery.queue.enqueue`), so the audience reads exactly so.
    audience = json.dumps({"audience": urls.actor_id(settings, group.actor)}, separators=(",", ":"))
    return await Delivery.filter(
        domain=actor.domain.lower(),
        state=DeliveryState.QUEUED,
        payload__contains=audience[1:-1],
    ).delete()
