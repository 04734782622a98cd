"""Instance-wide settings that admins change at run time (the environment is for operators)."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class RegistrationMode(StrEnum):
    OPEN = "open"
    APPROVAL = "approval"
    INVITE = "invite"


class InstanceConfig(Model):
    # One row, id 1: a settings record, not an entity, so no opaque id is needed.
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, default="Lyceum")
    description = fields.TextField(default="")
    rules = fields.TextField(default="")
    contact_email = fields.CharField(max_length=254, default="")
    registration_mode = fields.CharEnumField(
        RegistrationMode, max_length=16, default=RegistrationMode.OPEN
    )
    groups_need_approval = fields.BooleanField(default=False)
    # For this many days after sign-up, a local account's posts with a link wait for a
    # moderator; 0 turns the rule off.
    new_account_link_days = fields.IntField(default=7)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "instance_config"
