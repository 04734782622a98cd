"""Accounts: the people who log in to this instance, and what belongs to logging in."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields

from server.models._base import Entity

if TYPE_CHECKING:
    from server.models.actors import Actor
    from server.models.groups import Group


class Role(StrEnum):
    MEMBER = "member"
    ADMIN = "admin"


class AccountState(StrEnum):
    ACTIVE = "active"
    PENDING = "pending"  # waiting for an admin's approval of the sign-up
    SUSPENDED = "suspended"
    DELETED = "deleted"  # personal data wiped; the actor row remains as a tombstone


class Account(Entity):
    actor: fields.OneToOneRelation[Actor] = fields.OneToOneField(
        "models.Actor", related_name="account", on_delete=fields.CASCADE
    )
    email = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(Role, max_length=16, default=Role.MEMBER)
    state = fields.CharEnumField(AccountState, max_length=16, default=AccountState.ACTIVE)
    bio_source = fields.TextField(default="")
    signup_reason = fields.TextField(default="")
    last_login_at = fields.DatetimeField(null=True)
    # Last seen doing anything while logged in (any page, post or reaction), at most a few
    # writes an hour: what "active" means for NodeInfo and the dashboard.
    last_active_at = fields.DatetimeField(null=True, db_index=True)

    actor_id: str

    class Meta:
        table = "account"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class Invite(Entity):
    """An invitation link: to sign up on this instance, and with `group` set, to join that group."""

    code = fields.CharField(max_length=64, unique=True)
    created_by: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="invites_created", on_delete=fields.CASCADE
    )
    group: fields.ForeignKeyNullableRelation[Group] = fields.ForeignKeyField(
        "models.Group", related_name="invites", null=True, on_delete=fields.CASCADE
    )
    # Set when the invitation was mailed to one address rather than handed out as a link.
    email = fields.CharField(max_length=254, default="")
    max_uses = fields.IntField(default=1)
    uses = fields.IntField(default=0)
    expires_at = fields.DatetimeField(null=True)

    class Meta:
        table = "invite"


class PasswordReset(Entity):
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="password_resets", on_delete=fields.CASCADE
    )
    # Only a hash of the emailed token is stored: a database leak does not leak live tokens.
    token_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "password_reset"


class Session(Entity):
    """A logged-in browser, found by the hash of the random token its cookie holds.

    Server-side, so that logging out, a password change or a suspension ends it at once.
    """

    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="sessions", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField(db_index=True)
    last_seen_at = fields.DatetimeField()
    user_agent = fields.CharField(max_length=255, default="")
    ip_address = fields.CharField(max_length=64, default="")

    account_id: str

    class Meta:
        table = "session"
