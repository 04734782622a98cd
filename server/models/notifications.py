"""Notifications shown to a member: replies, mentions, accepted answers, join decisions."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields

from server.models._base import Entity

if TYPE_CHECKING:
    from server.models.accounts import Account
    from server.models.actors import Actor
    from server.models.groups import Group
    from server.models.posts import Post


class NotificationKind(StrEnum):
    REPLY = "reply"
    MENTION = "mention"
    ANSWER_ACCEPTED = "answer_accepted"
    JOIN_ACCEPTED = "join_accepted"
    JOIN_REJECTED = "join_rejected"
    JOIN_REQUEST = "join_request"


class Notification(Entity):
    recipient: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="notifications", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(NotificationKind, max_length=32)
    actor: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="notifications_caused", null=True, on_delete=fields.CASCADE
    )
    group: fields.ForeignKeyNullableRelation[Group] = fields.ForeignKeyField(
        "models.Group", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    post: fields.ForeignKeyNullableRelation[Post] = fields.ForeignKeyField(
        "models.Post", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    read_at = fields.DatetimeField(null=True)

    recipient_id: str

    class Meta:
        table = "notification"
        indexes = (("recipient_id", "created_at"),)
