"""A deleted account going out: the person's `Delete` of themself, to every server that knows them.

Those are the servers of the remote members of the groups they were in here (which showed their
posts), and the groups elsewhere that they joined. Mastodon's shape: `Delete{object: <actor id>}`
signed by the person, with a stable `#delete` id; receivers then drop the actor and its content.
The handler runs when `ActorDeleted` is published, before the memberships end.
"""

from __future__ import annotations

from typing import Any

from federation import ld, urls
from federation.delivery import enqueue
from federation.outbox.audience import SoftwareLookup, inbox_of, members_audience
from server.models import Actor, ActorKind, Membership, MembershipState
from server.settings import Settings

__all__ = ["render_actor_delete", "send_actor_deleted"]


def render_actor_delete(settings: Settings, actor: Actor) -> dict[str, Any]:
    actor_id = urls.actor_id(settings, actor)
    return {
        "@context": ld.CONTEXT,
        "id": f"{actor_id}#delete",
        "type": "Delete",
        "actor": actor_id,
        "object": actor_id,
        "to": [ld.PUBLIC],
    }


async def send_actor_deleted(settings: Settings, lookup: SoftwareLookup, actor_id: str) -> None:
    actor = await Actor.get_or_none(id=actor_id, domain="", kind=ActorKind.PERSON)
    if actor is None:
        return
    memberships = await Membership.filter(
        actor_id=actor.id, state__in=[MembershipState.ACCEPTED, MembershipState.PENDING]
    ).select_related("group__actor")
    local_groups = [
        m.group_id
        for m in memberships
        if m.group.actor.is_local and m.state == MembershipState.ACCEPTED
    ]
    audience = await members_audience(local_groups, lookup)
    elsewhere = [inbox_of(m.group.actor) for m in memberships if not m.group.actor.is_local]
    await enqueue(render_actor_delete(settings, actor), actor.id, [*audience.everyone, *elsewhere])
