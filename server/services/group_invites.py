"""Invitations to a group: a link its moderators hand out, or one mailed to an address.

An invitation (`Invite` with `group` set) has a use limit and may expire. Following it, a person
with an account here joins at once, past any approval; a person without one signs up with it
(even when registration is by invitation only) and lands in the group (`accounts`). A use is
spent by one conditional UPDATE (`accounts.spend_invite`), so the last use of an invitation goes
to one person only.
Withdrawing an invitation deletes it: its link then leads nowhere.

Mailed invitations go through the mail queue. A person who already has an account with that
address is notified instead (`GroupInvited`), and their notification is mailed as their mail
preferences say, so that nobody who chose to get no mail is mailed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from server import events
from server.mail.queue import queue_mail
from server.mail.render import render_mail
from server.models import (
    Account,
    AccountState,
    Actor,
    Group,
    GroupState,
    Invite,
    utcnow,
)
from server.services import audit, groups, instance
from server.services.accounts import (
    INVITE_MAX_DAYS,
    INVITE_MAX_USES,
    normalise_email,
    spend_invite,
)
from server.services.errors import Conflict, Forbidden, Invalid, NotFound
from server.settings import Settings

__all__ = [
    "BAD_CODE",
    "InviteState",
    "accept",
    "create_link",
    "group_of_code",
    "invite_by_email",
    "list_for_group",
    "open_invite",
    "revoke",
    "state_of",
]

CODE_MAX = 64  # Invite.code
BAD_CODE = "This invitation link is not valid: it may be mistyped, or it was withdrawn."
EXPIRED = "This invitation has expired. Ask whoever invited you for a new one."
USED_UP = "This invitation has been used as many times as it allows. Ask for a new one."
LIST_LIMIT = 200


class InviteState:
    ACTIVE = "active"
    EXPIRED = "expired"
    USED_UP = "used up"


def state_of(invite: Invite) -> str:
    if invite.expires_at is not None and invite.expires_at <= utcnow():
        return InviteState.EXPIRED
    if invite.uses >= invite.max_uses:
        return InviteState.USED_UP
    return InviteState.ACTIVE


@dataclass(frozen=True)
class OpenedInvite:
    invite: Invite
    group: Group | None  # None for an invitation to the instance only


async def open_invite(code: str) -> OpenedInvite:
    """The invitation with this code, still usable; NotFound for an unknown (or withdrawn)
    code, Conflict for one expired or used up, each with a message for the person holding it."""
    invite = None
    if 0 < len(code) <= CODE_MAX and code.isascii():
        invite = await Invite.get_or_none(code=code).select_related(
            "group__actor", "created_by__actor"
        )
    if invite is None:
        raise NotFound(BAD_CODE)
    group = invite.group
    if group is not None and group.state != GroupState.ACTIVE:
        raise NotFound(BAD_CODE)
    state = state_of(invite)
    if state == InviteState.EXPIRED:
        raise Conflict(EXPIRED)
    if state == InviteState.USED_UP:
        raise Conflict(USED_UP)
    return OpenedInvite(invite, group)


async def accept(code: str, account: Account) -> Group:
    """A person with an account here follows a group invitation: they join at once (a member
    already spends nothing)."""
    opened = await open_invite(code)
    group = opened.group
    if group is None:
        raise NotFound("This invitation is for signing up, and you have an account already.")
    actor = await Actor.get(id=account.actor_id)
    if await groups.is_member(group, actor.id):
        return group
    if await groups.is_banned(group, actor.id):
        raise Forbidden("You are banned from this group.")
    async with in_transaction():
        if not await spend_invite(opened.invite):
            raise Conflict(USED_UP if state_of(opened.invite) != InviteState.EXPIRED else EXPIRED)
        await groups.admit(group, actor)
    return group


async def group_of_code(code: str) -> Group | None:
    """The active group an invitation code leads to, if any (where a sign-up lands)."""
    if not 0 < len(code) <= CODE_MAX:
        return None
    invite = await Invite.get_or_none(code=code).select_related("group__actor")
    group = invite.group if invite is not None else None
    return group if group is not None and group.state == GroupState.ACTIVE else None


def _check_limits(max_uses: int, days: int) -> None:
    errors: dict[str, str] = {}
    if not 1 <= max_uses <= INVITE_MAX_USES:
        errors["max_uses"] = f"Choose between 1 and {INVITE_MAX_USES} uses."
    if not 0 <= days <= INVITE_MAX_DAYS:
        errors["days"] = f"Choose between 1 and {INVITE_MAX_DAYS} days, or 0 for no expiry."
    if errors:
        raise Invalid(errors)


async def _check_moderator(group: Group, by: Account) -> Actor:
    group_actor = await Actor.get(id=group.actor_id)
    if not group_actor.is_local:
        raise Forbidden("Invitations are made on the server that hosts the group.")
    if group.state != GroupState.ACTIVE:
        raise Forbidden("This group is not open for new members.")
    if not await groups.can_moderate(group, by.actor_id):
        raise Forbidden("Only the group's moderators can invite people to it.")
    return group_actor


async def create_link(group: Group, by: Account, *, max_uses: int = 1, days: int = 7) -> Invite:
    """A new invitation link to the group (`days` 0: it never expires); audited."""
    group_actor = await _check_moderator(group, by)
    _check_limits(max_uses, days)
    async with in_transaction():
        invite = await _insert(group, by, max_uses=max_uses, days=days)
        await _audit(by, "invite.create", group, group_actor)
    return invite


async def invite_by_email(
    group: Group, by: Account, email: str, settings: Settings, *, days: int = 7
) -> Invite:
    """Invite one address (a one-use invitation): mailed through the queue, or, when the
    address has an account here, notified to it. Conflict when that person is a member."""
    group_actor = await _check_moderator(group, by)
    errors: dict[str, str] = {}
    try:
        address = normalise_email(email)
    except Invalid as exc:
        errors["email"] = exc.errors["email"]
        address = ""
    try:
        _check_limits(1, days)
    except Invalid as exc:
        errors.update(exc.errors)
    if errors:
        raise Invalid(errors)
    member = await Account.get_or_none(email=address, state=AccountState.ACTIVE)
    if member is not None and await groups.is_member(group, member.actor_id):
        raise Conflict("The person with this address is a member of the group already.")
    inviter = await Actor.get(id=by.actor_id)
    async with in_transaction():
        invite = await _insert(group, by, max_uses=1, days=days, email=address)
        await _audit(by, "invite.create", group, group_actor)
        if member is not None:
            await events.bus.publish(events.GroupInvited(invite.id, member.id))
        else:
            await _queue_invitation(invite, address, inviter, group_actor, settings)
    return invite


async def _queue_invitation(
    invite: Invite, address: str, inviter: Actor, group_actor: Actor, settings: Settings
) -> None:
    instance_name = await instance.instance_name()
    subject = f"{inviter.name} invites you to {group_actor.name} on {instance_name}"
    mail = render_mail(
        "group_invite",
        subject,
        inviter=inviter.name,
        group_name=group_actor.name,
        instance_name=instance_name,
        link=settings.url(f"/invite/{invite.code}"),
        expires=_when(invite.expires_at),
    )
    await queue_mail(
        account=None,
        to_address=address,
        kind="group_invite",
        dedup_key=f"group-invite:{invite.id}",
        mail=mail,
    )


def _when(moment: datetime | None) -> str:
    return f"{moment.day} {moment:%B %Y, %H:%M} UTC" if moment is not None else ""


async def _insert(
    group: Group, by: Account, *, max_uses: int, days: int, email: str = ""
) -> Invite:
    return await Invite.create(
        code=secrets.token_urlsafe(16),
        created_by=by,
        group=group,
        email=email,
        max_uses=max_uses,
        expires_at=utcnow() + timedelta(days=days) if days else None,
    )


async def _audit(by: Account, action: str, group: Group, group_actor: Actor) -> None:
    await audit.record(
        by.actor_id,
        action,
        group=group,
        target_type="group",
        target_id=group.id,
        target_label=group_actor.name,
    )


async def list_for_group(group: Group) -> list[Invite]:
    """The group's invitations, newest first, with who made them."""
    return (
        await Invite.filter(group=group)
        .select_related("created_by__actor")
        .order_by("-created_at", "-id")
        .limit(LIST_LIMIT)
    )


async def revoke(group: Group, by: Account, invite_id: str) -> None:
    """Withdraw one of the group's invitations (its link then leads nowhere); audited."""
    group_actor = await Actor.get(id=group.actor_id)
    if not await groups.can_moderate(group, by.actor_id):
        raise Forbidden("Only the group's moderators can withdraw its invitations.")
    async with in_transaction():
        if not await Invite.filter(id=invite_id, group=group).delete():
            raise NotFound("There is no such invitation to this group.")
        await _audit(by, "invite.revoke", group, group_actor)
