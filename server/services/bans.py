"""Banning people from a group, and lifting bans.

A ban ends the person's membership (or join request) and keeps them out afterwards: joining on
the web and following from another server are refused (`groups.request_membership`, the inbox's
Follow handler), and so is posting or replying, here or from elsewhere (`posts`, `remote`).

Who may ban: `groups.can_moderate` (the group's moderators, and this instance's admins for a
group hosted here). The owner cannot be banned; a moderator only by the owner or an admin; an
admin of this instance not at all, since admins moderate every group here anyway.

Each ban and unban runs in one transaction with its audit entry (`member.ban`, `member.unban`)
and its events: `MembershipEnded` as for anyone leaving, then `MemberBanned`, on which the
federation adapter answers the person's Follow with a Reject and tells the group's threadiverse
peers (`MemberUnbanned` likewise). Banning can also remove the person's posts in the group,
each one as a moderator's removal (`moderation.remove_post`), before the membership ends, so
that their own server hears of the removals too.
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server import events
from server.models import (
    Actor,
    ActorKind,
    Ban,
    Group,
    MemberRole,
    MembershipState,
    Post,
    PostState,
)
from server.services import audit, groups, moderation
from server.services._paging import Page, keyset_page
from server.services.errors import Conflict, Forbidden, NotFound
from server.services.groups import _recount_members

__all__ = ["ban", "bans_of", "check_may_ban", "unban"]


async def ban(
    by: Actor, group: Group, target: Actor, reason: str = "", *, remove_posts: bool = False
) -> Ban:
    """Ban `target` from `group`; with `remove_posts`, also remove what they posted there."""
    await check_may_ban(by, group, target)
    reason = audit.checked_reason(reason)
    if await groups.is_banned(group, target.id):
        raise Conflict("They are already banned from this group.")
    try:
        async with in_transaction():
            # The ban first: its author is not told of each post removed with it.
            record = await Ban.create(group=group, actor=target, banned_by=by, reason=reason)
            if remove_posts:
                await _remove_posts(by, group, target, reason)
            follow_ap_id = await _end_membership(by, group, target)
            await audit.record(
                by, "member.ban", group=group, reason=reason, **groups.person_target(target)
            )
            await events.bus.publish(events.MemberBanned(group.id, target.id, follow_ap_id))
    except IntegrityError as exc:
        # Another moderator banned them between our check and the insert.
        raise Conflict("They are already banned from this group.") from exc
    return record


async def unban(by: Actor, group: Group, target: Actor) -> None:
    """Lift the ban: they may join (or follow) and post again; they are not re-added."""
    await _check_moderator(by, group)
    record = await Ban.get_or_none(group=group, actor_id=target.id)
    if record is None:
        raise NotFound("They are not banned from this group.")
    async with in_transaction():
        await record.delete()
        await audit.record(by, "member.unban", group=group, **groups.person_target(target))
        await events.bus.publish(events.MemberUnbanned(group.id, target.id, by.id))


async def bans_of(group: Group, *, cursor: str | None = None, limit: int = 50) -> Page[Ban]:
    """The group's bans, newest first, with who is banned and who banned them."""
    query = Ban.filter(group=group).select_related("actor", "banned_by")
    return await keyset_page(
        query, field="created_at", cursor=cursor, limit=limit, key=lambda row: row.created_at
    )


# --- steps ----------------------------------------------------------------------------------


async def _check_moderator(by: Actor, group: Group) -> None:
    group_actor = await Actor.get(id=group.actor_id)
    if not group_actor.is_local:
        raise Forbidden("This group is hosted on another server; its moderators ban people there.")
    if not await groups.can_moderate(group, by.id):
        raise Forbidden("Only the group's moderators can ban people.")


async def check_may_ban(by: Actor, group: Group, target: Actor) -> None:
    """Raise Forbidden, with the reason, unless `by` may ban `target` from `group`."""
    await _check_moderator(by, group)
    if target.id == by.id:
        raise Forbidden("You cannot ban yourself.")
    if target.kind != ActorKind.PERSON:
        raise Forbidden("Only people can be banned from a group.")
    membership = await groups.membership_of(group, target.id)
    if membership is not None and membership.state == MembershipState.ACCEPTED:
        if membership.role == MemberRole.OWNER:
            raise Forbidden("The group's owner cannot be banned.")
        if membership.role == MemberRole.MODERATOR and not await _outranks_moderators(by, group):
            raise Forbidden("Only the group's owner or an admin can ban a moderator.")
    if await groups.is_admin_here(group, target.id):
        raise Forbidden("Admins of this instance cannot be banned from its groups.")


async def _outranks_moderators(by: Actor, group: Group) -> bool:
    membership = await groups.membership_of(group, by.id)
    is_owner = membership is not None and membership.role == MemberRole.OWNER
    return is_owner or await groups.is_admin_here(group, by.id)


async def _end_membership(by: Actor, group: Group, target: Actor) -> str:
    """Delete their membership or request, as leaving does; return their Follow's id."""
    membership = await groups.membership_of(group, target.id)
    if membership is None:
        return ""
    was_member = membership.state == MembershipState.ACCEPTED
    await membership.delete()
    if was_member:
        await _recount_members(group)
    await events.bus.publish(events.MembershipEnded(group.id, target.id, membership.follow_ap_id))
    if membership.is_moderator:
        await events.bus.publish(
            events.ModeratorChanged(group.id, target.id, by.id, appointed=False)
        )
        await events.bus.publish(events.GroupUpdated(group.id))
    return membership.follow_ap_id


async def _remove_posts(by: Actor, group: Group, target: Actor, reason: str) -> None:
    visible = await Post.filter(
        group=group, author_id=target.id, state__in=[PostState.PUBLISHED, PostState.HELD]
    ).order_by("created_at", "id")
    for post in visible:
        await moderation.remove_post(by, post, reason)
