"""What instance admins do to people: suspend, unsuspend, delete, change roles, reset passwords.

Every action checks that `by` is an active admin, refuses to act on the admin themself (and on
the last admin), runs in one transaction and writes its audit entry (`user.<verb>`) inside it.

Suspending hides a person without losing anything: a local account can no longer log in (its
sessions end), and their published posts become REMOVED with the reason `SUSPENDED_REASON`;
unsuspending publishes exactly those again. A remote actor's memberships end as well (they
were following our groups; they can follow again once unsuspended), as for a suspended domain.

Deleting a local account is for good: personal data is wiped, posts are deleted, memberships end,
and `ActorDeleted` tells the servers that know the person. The actor row stays as a tombstone
(its URL answers 410, its handle is never given out again, its key signs the Delete).

Finding people (`search_users`) lives in `server.services.user_search`.
"""

from __future__ import annotations

from pathlib import Path

from tortoise.transactions import in_transaction

from server import events
from server.models import (
    Account,
    AccountState,
    Actor,
    ActorKind,
    MemberRole,
    Membership,
    MembershipState,
    Notification,
    PasswordReset,
    Post,
    PostState,
    Role,
    utcnow,
)
from server.services import accounts, audit, posts, sessions
from server.services._hiding import end_memberships, remove_posts, restore_posts
from server.services.errors import Conflict, Forbidden, Invalid, NotFound
from server.services.images import delete_image

__all__ = [
    "SUSPENDED_REASON",
    "delete_account",
    "ensure_admin",
    "get_account",
    "get_person",
    "set_role",
    "start_password_reset",
    "suspend_actor",
    "unsuspend_actor",
]

SUSPENDED_REASON = "account suspended"
UNUSABLE_PASSWORD = "!deleted"  # not an Argon2 hash: no password ever verifies against it


# --- looking people up ---------------------------------------------------------------------------


async def get_account(account_id: str) -> Account:
    """A local account (in any state) with its actor; NotFound otherwise."""
    account = await Account.get_or_none(id=account_id).select_related("actor")
    if account is None:
        raise NotFound("There is no account with that id.")
    return account


async def get_person(actor_id: str) -> Actor:
    """A person, local or remote; NotFound for groups, the instance actor and unknown ids."""
    actor = await Actor.get_or_none(id=actor_id, kind=ActorKind.PERSON)
    if actor is None:
        raise NotFound("There is nobody with that id.")
    return actor


# --- suspension ----------------------------------------------------------------------------------


async def suspend_actor(by: Actor, actor: Actor, reason: str) -> None:
    """Suspend a person here or elsewhere (see the module docstring); Forbidden, Conflict or
    Invalid (`reason`) when it cannot be done, and then nothing changes."""
    await _check_may_act_on(by, actor, "suspend")
    reason = audit.checked_reason(reason, required=True)
    if actor.deleted_at is not None:
        raise Conflict("This account has been deleted.")
    async with in_transaction():
        now = utcnow()
        if not await Actor.filter(id=actor.id, suspended_at=None).update(suspended_at=now):
            raise Conflict("This person is already suspended.")
        actor.suspended_at = now
        account = await Account.get_or_none(actor_id=actor.id)
        if account is not None:
            await Account.filter(id=account.id).update(state=AccountState.SUSPENDED)
            await sessions.end_all(account.id)
        # A local person's held posts stay held: only a moderator may publish those.
        states = (PostState.PUBLISHED,) if actor.is_local else (PostState.PUBLISHED, PostState.HELD)
        await remove_posts([actor.id], SUSPENDED_REASON, states=states, remover_id=by.id)
        if not actor.is_local:
            await end_memberships([actor.id])
        await _audit(by, "user.suspend", actor, account, reason)
        await events.bus.publish(events.ActorStateChanged(actor.id))


async def unsuspend_actor(by: Actor, actor: Actor) -> None:
    """Lift a suspension: the account may log in again and the hidden posts come back."""
    await ensure_admin(by)
    if actor.deleted_at is not None:
        raise Conflict("This account has been deleted.")
    async with in_transaction():
        if not await Actor.filter(id=actor.id, suspended_at__isnull=False).update(
            suspended_at=None
        ):
            raise Conflict("This person is not suspended.")
        actor.suspended_at = None
        account = await Account.get_or_none(actor_id=actor.id)
        if account is not None:
            await Account.filter(id=account.id, state=AccountState.SUSPENDED).update(
                state=AccountState.ACTIVE
            )
        await restore_posts([actor.id], SUSPENDED_REASON, restorer_id=by.id)
        await _audit(by, "user.unsuspend", actor, account, "")
        await events.bus.publish(events.ActorStateChanged(actor.id))


# --- deletion ------------------------------------------------------------------------------------


async def delete_account(
    by: Actor, account: Account, reason: str, *, media_dir: Path | None = None
) -> None:
    """Delete a local account for good (see the module docstring). With `media_dir`, the
    avatar file goes too once the deletion is committed."""
    actor = await Actor.get(id=account.actor_id)
    await _check_may_act_on(by, actor, "delete")
    reason = audit.checked_reason(reason, required=True)
    if account.state == AccountState.DELETED or actor.deleted_at is not None:
        raise Conflict("This account has already been deleted.")
    owned = await Membership.filter(
        actor_id=actor.id,
        role=MemberRole.OWNER,
        state=MembershipState.ACCEPTED,
        group__actor__domain="",
    ).values_list("group__actor__username", flat=True)
    if owned:
        names = ", ".join(sorted(str(name) for name in owned))
        raise Conflict(f"This person owns groups here ({names}): transfer them first.")
    avatar = actor.avatar_path
    async with in_transaction():
        wiped = (
            await Account.filter(id=account.id)
            .exclude(state=AccountState.DELETED)
            .update(
                state=AccountState.DELETED,
                email=f"deleted-{account.id}@deleted.invalid",
                password_hash=UNUSABLE_PASSWORD,
                bio_source="",
                signup_reason="",
            )
        )
        if not wiped:
            raise Conflict("This account has already been deleted.")
        # First, while the memberships still say which servers know the person.
        await events.bus.publish(events.ActorDeleted(actor.id))
        await _audit(by, "user.delete", actor, account, reason)
        actor.deleted_at = utcnow()
        actor.display_name = actor.summary_html = actor.avatar_path = ""
        await actor.save(
            update_fields=["deleted_at", "display_name", "summary_html", "avatar_path"]
        )
        for post in await Post.filter(author_id=actor.id).exclude(state=PostState.DELETED):
            await posts.delete_post(actor, post)
        await end_memberships([actor.id])
        await PasswordReset.filter(account_id=account.id).delete()
        await sessions.end_all(account.id)
        await Notification.filter(recipient_id=account.id).delete()
    account.state = AccountState.DELETED
    if media_dir is not None:
        delete_image(avatar, media_dir)


# --- roles and passwords -------------------------------------------------------------------------


async def set_role(by: Actor, account: Account, role: Role | str) -> None:
    """Make a local account an admin or a member again."""
    try:
        chosen = Role(role)
    except ValueError as exc:
        raise Invalid({"role": "Choose member or admin."}) from exc
    actor = await Actor.get(id=account.actor_id)
    await _check_may_act_on(by, actor, "change the role of")
    if account.state != AccountState.ACTIVE:
        raise Conflict("Only active accounts can change role.")
    if account.role == chosen:
        raise Conflict(
            f"This person is already {'an admin' if chosen == Role.ADMIN else 'a member'}."
        )
    async with in_transaction():
        await Account.filter(id=account.id).update(role=chosen)
        account.role = chosen
        await _audit(by, "user.role", actor, account, f"now {chosen.value}")


async def start_password_reset(by: Actor, account: Account) -> str:
    """A reset token for the account's owner (the caller e-mails the link)."""
    await ensure_admin(by)
    if account.state != AccountState.ACTIVE:
        raise Conflict("Only active accounts can reset their password.")
    async with in_transaction():
        started = await accounts.start_password_reset(account.email)
        if started is None:
            raise Conflict("This account's e-mail address cannot receive a reset.")
        await _audit(by, "user.password_reset", await Actor.get(id=account.actor_id), account, "")
    return started[1]


# --- checks and the audit ------------------------------------------------------------------------


async def ensure_admin(by: Actor) -> None:
    """Forbidden unless `by` has an active admin account here."""
    if not await Account.filter(
        actor_id=by.id, role=Role.ADMIN, state=AccountState.ACTIVE
    ).exists():
        raise Forbidden("Only admins can do this.")


async def _check_may_act_on(by: Actor, actor: Actor, verb: str) -> None:
    await ensure_admin(by)
    if actor.id == by.id:
        raise Forbidden(f"You cannot {verb} yourself.")
    if actor.kind != ActorKind.PERSON:
        raise Forbidden("Only people can be managed here; groups have their own page.")
    other_admins = Account.filter(role=Role.ADMIN, state=AccountState.ACTIVE).exclude(
        actor_id=actor.id
    )
    is_admin = await Account.filter(actor_id=actor.id, role=Role.ADMIN).exists()
    if is_admin and not await other_admins.exists():
        raise Forbidden(f"You cannot {verb} the last admin.")


async def _audit(
    by: Actor, action: str, actor: Actor, account: Account | None, reason: str
) -> None:
    handle = f"@{actor.username}" + (f"@{actor.domain}" if actor.domain else "")
    await audit.record(
        by,
        action,
        target_type="account" if account is not None else "actor",
        target_id=account.id if account is not None else actor.id,
        target_label=handle,
        reason=reason,
    )
