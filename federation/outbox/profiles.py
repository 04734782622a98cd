"""Changed actor documents going out: a group's to its members' servers, a person's to the
servers of the groups they belong to (where their posts are shown)."""

from __future__ import annotations

from federation import urls
from federation.delivery import enqueue
from federation.outbox.activities import followers_addressing, render_update
from federation.outbox.audience import SoftwareLookup, group_audience, members_audience
from federation.render import render_group, render_person
from server.models import Actor, ActorKind, Group, GroupState, Membership, MembershipState
from server.settings import Settings

__all__ = ["send_actor_updated", "send_group_updated"]


async def send_group_updated(settings: Settings, lookup: SoftwareLookup, group_id: str) -> None:
    group = await Group.filter(id=group_id).select_related("actor").first()
    if group is None or not group.actor.is_local or group.state != GroupState.ACTIVE:
        return
    audience = await group_audience(group.id, lookup)
    if not audience:
        return
    update = render_update(
        urls.actor_id(settings, group.actor),
        render_group(settings, group),
        followers_addressing(settings, group.actor),
    )
    await enqueue(update, group.actor.id, audience.everyone)


async def send_actor_updated(settings: Settings, lookup: SoftwareLookup, actor_id: str) -> None:
    actor = await Actor.get_or_none(id=actor_id, domain="", kind=ActorKind.PERSON)
    if actor is None:
        return
    group_ids = await Membership.filter(
        actor_id=actor.id, state=MembershipState.ACCEPTED, group__state=GroupState.ACTIVE
    ).values_list("group_id", flat=True)
    audience = await members_audience([str(group_id) for group_id in group_ids], lookup)
    if not audience:
        return
    update = render_update(
        urls.actor_id(settings, actor),
        render_person(settings, actor),
        followers_addressing(settings, actor),
    )
    await enqueue(update, actor.id, audience.everyone)
