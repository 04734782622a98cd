"""A group's decisions about people going out: bans and unbans, moderators appointed and removed.

- A banned person who followed from another server gets the group's `Reject` of their stored
  Follow: Mastodon (and Lemmy) take a Reject of an accepted follow as its end.
- Threadiverse peers get what Lemmy sends for the same moderator actions, announced by the group
  (FEP-1b12): `Block{object: person, target: group, summary: reason}` and its `Undo`, and
  `Add` / `Remove{object: person, target: <group>/moderators}`. Lemmy checks that the `actor`
  is a *person* who moderates the community (a moderator, or anyone on the community's own
  server), so the actor is the local moderator or admin who acted, never the group itself.
  As Lemmy does, the banned person's own server also gets the `Block`, when it is threadiverse
  and does not hear the group's Announces (their membership is gone by now).
- Microblog servers have no such notions; they get only the Reject (and the group's `Update`,
  sent for `GroupUpdated`, when the moderators change).
"""

from __future__ import annotations

from typing import Any

from federation import ld, urls
from federation.delivery import enqueue
from federation.outbox.activities import embedded, fresh_id, render_announce_activity
from federation.outbox.addressing import enqueue_for_group
from federation.outbox.audience import SoftwareLookup, group_audience, inbox_of
from federation.outbox.follows import send_follow_rejected
from federation.outbox.software import is_threadiverse
from server.models import Actor, ActorKind, Ban, Group, GroupState
from server.settings import Settings

__all__ = [
    "render_block",
    "render_moderator_change",
    "render_unblock",
    "send_member_banned",
    "send_member_unbanned",
    "send_moderator_changed",
]


def _addressing(settings: Settings, group_actor: Actor) -> dict[str, Any]:
    """How Lemmy addresses a community's moderator actions: public, cc the community."""
    group_id = urls.actor_id(settings, group_actor)
    return {"to": [ld.PUBLIC], "cc": [group_id], "audience": group_id}


def render_block(
    settings: Settings, moderator: Actor, group_actor: Actor, banned: Actor, reason: str
) -> dict[str, Any]:
    """`Block` of a person from a group (Lemmy's community ban), the reason in `summary`."""
    moderator_id = urls.actor_id(settings, moderator)
    activity: dict[str, Any] = {
        "@context": ld.CONTEXT,
        "id": fresh_id(moderator_id, "blocks"),
        "type": "Block",
        "actor": moderator_id,
        "object": urls.actor_id(settings, banned),
        "target": urls.actor_id(settings, group_actor),
        **_addressing(settings, group_actor),
    }
    if reason:
        activity["summary"] = reason
    return activity


def render_unblock(
    settings: Settings, moderator: Actor, group_actor: Actor, banned: Actor
) -> dict[str, Any]:
    """`Undo{Block}`: a fresh Block by whoever lifts the ban, as Lemmy renders its own."""
    block = render_block(settings, moderator, group_actor, banned, "")
    return {
        "@context": ld.CONTEXT,
        "id": fresh_id(block["actor"], "undo"),
        "type": "Undo",
        "actor": block["actor"],
        "object": embedded(block),
        **_addressing(settings, group_actor),
    }


def render_moderator_change(
    settings: Settings, by: Actor, group_actor: Actor, person: Actor, *, appointed: bool
) -> dict[str, Any]:
    """`Add` (appointed) or `Remove` of a person to the group's moderators collection."""
    kind = "Add" if appointed else "Remove"
    by_id = urls.actor_id(settings, by)
    return {
        "@context": ld.CONTEXT,
        "id": fresh_id(by_id, kind.lower()),
        "type": kind,
        "actor": by_id,
        "object": urls.actor_id(settings, person),
        "target": urls.moderators(settings, group_actor.username),
        **_addressing(settings, group_actor),
    }


async def send_member_banned(
    settings: Settings, lookup: SoftwareLookup, group_id: str, actor_id: str, follow_ap_id: str
) -> None:
    await send_follow_rejected(settings, group_id, actor_id, follow_ap_id)
    group = await _local_group(group_id)
    banned = await Actor.get_or_none(id=actor_id)
    ban = await Ban.get_or_none(group_id=group_id, actor_id=actor_id)
    if group is None or banned is None or ban is None:
        return
    moderator = await _local_person(ban.banned_by_id) or group.actor  # type: ignore[attr-defined]
    block = render_block(settings, moderator, group.actor, banned, ban.reason)
    inboxes = await _announce(settings, lookup, group, block)
    own_server = "" if banned.is_local else inbox_of(banned)
    if own_server and own_server not in inboxes and _threadiverse(banned, lookup):
        await enqueue(block, moderator.id, [own_server])


def _threadiverse(actor: Actor, lookup: SoftwareLookup) -> bool:
    return is_threadiverse(actor.software or lookup(actor.domain))


async def send_member_unbanned(
    settings: Settings, lookup: SoftwareLookup, group_id: str, actor_id: str, by_actor_id: str
) -> None:
    group = await _local_group(group_id)
    banned = await Actor.get_or_none(id=actor_id)
    if group is None or banned is None:
        return
    moderator = await _local_person(by_actor_id) or group.actor
    await _announce(
        settings, lookup, group, render_unblock(settings, moderator, group.actor, banned)
    )


async def send_moderator_changed(
    settings: Settings,
    lookup: SoftwareLookup,
    group_id: str,
    actor_id: str,
    by_actor_id: str,
    *,
    appointed: bool,
) -> None:
    group = await _local_group(group_id)
    person = await Actor.get_or_none(id=actor_id)
    if group is None or person is None:
        return
    by = await _local_person(by_actor_id) or group.actor
    change = render_moderator_change(settings, by, group.actor, person, appointed=appointed)
    await _announce(settings, lookup, group, change)


async def _announce(
    settings: Settings, lookup: SoftwareLookup, group: Group, activity: dict[str, Any]
) -> tuple[str, ...]:
    """The group's Announce of `activity` to its threadiverse peers; returns their inboxes."""
    audience = await group_audience(group.id, lookup)
    if audience.threadiverse:
        announce = render_announce_activity(settings, group.actor, activity)
        await enqueue_for_group(settings, group, announce, group.actor.id, audience.threadiverse)
    return audience.threadiverse


async def _local_group(group_id: str) -> Group | None:
    group = await Group.filter(id=group_id).select_related("actor").first()
    if group is None or not group.actor.is_local or group.state != GroupState.ACTIVE:
        return None
    return group


async def _local_person(actor_id: str | None) -> Actor | None:
    """A person here, who can sign; a remote or missing actor yields None (the group acts)."""
    if not actor_id:
        return None
    return await Actor.get_or_none(
        id=actor_id, domain="", kind=ActorKind.PERSON, deleted_at__isnull=True
    )
