"""Who is in a group: the staff, the member list and the queue of join requests.

Changing a membership (joining, leaving, deciding, roles) lives in `groups`; this module lists
memberships and lets a moderator decide a request named by its id in a URL.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.models import Actor, Group, MemberRole, Membership, MembershipState
from server.services.errors import Forbidden, NotFound
from server.services.groups import can_moderate, decide_membership


@dataclass(frozen=True)
class MemberPage:
    """One page of a group's plain members (the owner and moderators are listed apart)."""

    members: list[Membership]
    total: int
    page: int
    page_size: int

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < self.total


async def staff_of(group: Group) -> list[Membership]:
    """The owner, then the moderators in the order they were appointed or joined."""
    staff = (
        await Membership.filter(
            group=group,
            state=MembershipState.ACCEPTED,
            role__in=[MemberRole.OWNER, MemberRole.MODERATOR],
        )
        .select_related("actor")
        .order_by("created_at", "id")
    )
    return sorted(staff, key=lambda membership: membership.role != MemberRole.OWNER)


async def list_members(group: Group, *, page: int = 1, page_size: int = 50) -> MemberPage:
    """Accepted members who are neither owner nor moderator, longest-standing first."""
    page = max(page, 1)
    query = Membership.filter(group=group, state=MembershipState.ACCEPTED, role=MemberRole.MEMBER)
    total = await query.count()
    members = (
        await query.select_related("actor")
        .order_by("created_at", "id")
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return MemberPage(members, total, page, page_size)


async def pending_requests(group: Group, *, limit: int = 100) -> list[Membership]:
    """Join requests waiting for a moderator, oldest first."""
    return (
        await Membership.filter(group=group, state=MembershipState.PENDING)
        .select_related("actor")
        .order_by("created_at", "id")
        .limit(limit)
    )


async def count_pending(group: Group) -> int:
    return await Membership.filter(group=group, state=MembershipState.PENDING).count()


async def decide_request(
    group: Group, membership_id: str, moderator: Actor, *, accept: bool
) -> Membership:
    """A moderator of `group` accepts or rejects one of its join requests."""
    if not await can_moderate(group, moderator.id):
        raise Forbidden("Only the group's moderators can decide on join requests.")
    membership = await Membership.get_or_none(id=membership_id, group=group)
    if membership is None:
        raise NotFound("There is no such join request in this group.")
    return await decide_membership(membership, moderator, accept=accept)
