"""What instance admins do to the groups hosted here: list, approve, suspend and unsuspend them.

A group waits in PENDING when the instance config says new groups need approval (see
`groups.create_group`); an admin approves it (`group.approve`). A SUSPENDED group is hidden from
everyone but its moderators and the admins, takes no new posts, members or follows, and sends
nothing (each of those checks `Group.state`); unsuspending makes it ACTIVE again. Ownership is
transferred with `groups.transfer_ownership`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from server import events
from server.models import Actor, Group, GroupState
from server.services import audit
from server.services._paging import Page, keyset_page
from server.services.errors import Conflict, Invalid, NotFound
from server.services.users import ensure_admin

__all__ = [
    "GroupQuery",
    "approve_group",
    "get_local_group",
    "list_groups",
    "suspend_group",
    "unsuspend_group",
]

QUERY_MAX = 100
PAGE_SIZE = 50


@dataclass(frozen=True)
class GroupQuery:
    text: str = ""
    state: str = ""  # "" for every state, or a GroupState value
    cursor: str | None = None


async def list_groups(query: GroupQuery, *, limit: int | None = None) -> Page[Group]:
    """The groups hosted here, newest first, by state and by handle or name."""
    errors: dict[str, str] = {}
    if len(query.text) > QUERY_MAX or "\x00" in query.text:
        errors["q"] = f"Search with at most {QUERY_MAX} characters."
    if query.state not in {"", *GroupState}:
        errors["state"] = "Choose a state from the list."
    if errors:
        raise Invalid(errors)
    found = Group.filter(actor__domain="").select_related("actor")
    if text := query.text.strip().removeprefix("@"):
        found = found.filter(
            Q(actor__username__icontains=text) | Q(actor__display_name__icontains=text)
        )
    if query.state:
        found = found.filter(state=query.state)
    return await keyset_page(
        found,
        field="created_at",
        cursor=query.cursor,
        limit=limit or PAGE_SIZE,
        key=lambda g: g.created_at,
    )


async def get_local_group(handle: str) -> Group:
    """A group hosted here in any state, with its actor; NotFound otherwise."""
    group = (
        await Group.filter(actor__username=handle.lower(), actor__domain="")
        .select_related("actor")
        .first()
    )
    if group is None:
        raise NotFound("There is no group with that handle here.")
    return group


async def approve_group(by: Actor, group: Group) -> None:
    await _change_state(by, group, GroupState.PENDING, GroupState.ACTIVE, "group.approve", "")


async def suspend_group(by: Actor, group: Group, reason: str) -> None:
    reason = audit.checked_reason(reason, required=True)
    await _change_state(by, group, None, GroupState.SUSPENDED, "group.suspend", reason)


async def unsuspend_group(by: Actor, group: Group) -> None:
    await _change_state(by, group, GroupState.SUSPENDED, GroupState.ACTIVE, "group.unsuspend", "")


async def _change_state(
    by: Actor,
    group: Group,
    expected: GroupState | None,
    new: GroupState,
    action: str,
    reason: str,
) -> None:
    """Move the group from `expected` (None: any other state) to `new`, with the audit entry."""
    await ensure_admin(by)
    actor = await Actor.get(id=group.actor_id)
    if not actor.is_local:
        raise NotFound("Only groups hosted here are managed here.")
    found = Group.filter(id=group.id)
    found = found.filter(state=expected) if expected else found.exclude(state=new)
    async with in_transaction():
        if not await found.update(state=new):
            raise Conflict(_CONFLICTS[action])
        group.state = new
        await audit.record(
            by,
            action,
            group=group,
            target_type="group",
            target_id=group.id,
            target_label=f"{actor.name} (@{actor.username})",
            reason=reason,
        )
        await events.bus.publish(events.ActorStateChanged(group.actor_id))


_CONFLICTS = {
    "group.approve": "This group is not waiting for approval.",
    "group.suspend": "This group is already suspended.",
    "group.unsuspend": "This group is not suspended.",
}
