"""Recognition: what others confirmed a member did well, and the badges it earns.

- `Credit`: one confirmation by someone else (an accepted answer, a like from another member, a
  resource a moderator pinned, a first reply to a newcomer's question). Standing and "top
  helpers" are sums over credits, so they can be recomputed, capped per remote domain and
  filtered (removed content earns nothing) at query time.
- `Badge`: a badge's definition, built in (granted by the worker by rule) or custom (granted
  by an admin).
- `BadgeAward`: one badge held by one person, instance-wide or in one group.
"""

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


class CreditKind(StrEnum):
    ANSWER_ACCEPTED = "answer_accepted"
    LIKE_RECEIVED = "like_received"
    RESOURCE_PINNED = "resource_pinned"
    RESOURCE_SAVED = "resource_saved"  # a resource another member saved
    NEWCOMER_WELCOMED = "newcomer_welcomed"  # the first reply to a newcomer's question


class Credit(Entity):
    earner: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="credits", on_delete=fields.CASCADE
    )
    group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "models.Group", related_name="credits", on_delete=fields.CASCADE
    )
    # What earned it; a credit whose post is no longer published counts for nothing.
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "models.Post", related_name="credits", on_delete=fields.CASCADE
    )
    # Who confirmed it, and their domain ("" for this instance), for the per-domain cap.
    giver: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="credits_given", null=True, on_delete=fields.SET_NULL
    )
    giver_domain = fields.CharField(max_length=253, default="")
    kind = fields.CharEnumField(CreditKind, max_length=32)
    points = fields.IntField()
    # "kind:post:giver": the same confirmation is credited once, however often it arrives.
    dedup_key = fields.CharField(max_length=128, unique=True)

    earner_id: str
    group_id: str
    post_id: str
    giver_id: str | None

    class Meta:
        table = "credit"
        indexes = (("group_id", "created_at"), ("earner_id", "group_id"))


class Badge(Entity):
    slug = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=80)
    description = fields.TextField(default="")
    builtin = fields.BooleanField(default=False)
    created_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="badges_created", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "badge"


class BadgeAward(Entity):
    badge: fields.ForeignKeyRelation[Badge] = fields.ForeignKeyField(
        "models.Badge", related_name="awards", on_delete=fields.CASCADE
    )
    actor: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="badge_awards", on_delete=fields.CASCADE
    )
    # Null for an instance-wide badge.
    group: fields.ForeignKeyNullableRelation[Group] = fields.ForeignKeyField(
        "models.Group", related_name="badge_awards", null=True, on_delete=fields.CASCADE
    )
    awarded_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="badges_awarded", null=True, on_delete=fields.SET_NULL
    )
    reason = fields.TextField(default="")
    # "badge:actor:group": granting twice is a no-op (NULL group ids would defeat a unique pair).
    dedup_key = fields.CharField(max_length=128, unique=True)

    badge_id: str
    actor_id: str
    group_id: str | None

    class Meta:
        table = "badge_award"
        indexes = (("actor_id", "created_at"),)
