"""Groups and who belongs to them.

A membership row is the single truth for "is in this group", whether the member joined on the web
or followed the group from another server: for remote people, following a group is joining it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields

from server.models._base import Entity

if TYPE_CHECKING:
    from server.models.actors import Actor


class JoinPolicy(StrEnum):
    OPEN = "open"
    APPROVAL = "approval"


class PostingPolicy(StrEnum):
    MEMBERS = "members"
    MODERATORS = "moderators"


class GroupVisibility(StrEnum):
    PUBLIC = "public"  # anyone, logged in or not, here or on another server, can read it
    MEMBERS = "members"  # only its accepted members, its moderators and the admins


class GroupState(StrEnum):
    ACTIVE = "active"
    PENDING = "pending"  # waiting for an admin when new groups need approval
    SUSPENDED = "suspended"


class Group(Entity):
    actor: fields.OneToOneRelation[Actor] = fields.OneToOneField(
        "models.Actor", related_name="group", on_delete=fields.CASCADE
    )
    description_source = fields.TextField(default="")
    description_html = fields.TextField(default="")
    rules_source = fields.TextField(default="")
    rules_html = fields.TextField(default="")
    banner_path = fields.CharField(max_length=64, default="")
    join_policy = fields.CharEnumField(JoinPolicy, max_length=16, default=JoinPolicy.OPEN)
    posting_policy = fields.CharEnumField(
        PostingPolicy, max_length=16, default=PostingPolicy.MEMBERS
    )
    # Who may read it; separate from `join_policy` (who may join and how).
    visibility = fields.CharEnumField(
        GroupVisibility, max_length=16, default=GroupVisibility.PUBLIC
    )
    # Up to five questions an approval group asks people who ask to join (a list of strings).
    join_questions: fields.Field[list[str]] = fields.JSONField(default=list)
    state = fields.CharEnumField(GroupState, max_length=16, default=GroupState.ACTIVE)
    hold_first_posts = fields.BooleanField(default=False)
    member_count = fields.IntField(default=0)
    post_count = fields.IntField(default=0)
    last_post_at = fields.DatetimeField(null=True)

    actor_id: str

    class Meta:
        table = "group"


class Topic(Entity):
    name = fields.CharField(max_length=40, unique=True)

    class Meta:
        table = "topic"


class GroupTopic(Entity):
    group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "models.Group", related_name="topic_links", on_delete=fields.CASCADE
    )
    topic: fields.ForeignKeyRelation[Topic] = fields.ForeignKeyField(
        "models.Topic", related_name="group_links", on_delete=fields.CASCADE
    )

    class Meta:
        table = "group_topic"
        unique_together = (("group", "topic"),)


class MemberRole(StrEnum):
    OWNER = "owner"
    MODERATOR = "moderator"
    MEMBER = "member"


class MembershipState(StrEnum):
    PENDING = "pending"  # a join request (or Follow) waiting for a moderator
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Membership(Entity):
    group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "models.Group", related_name="memberships", on_delete=fields.CASCADE
    )
    actor: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="memberships", on_delete=fields.CASCADE
    )
    role = fields.CharEnumField(MemberRole, max_length=16, default=MemberRole.MEMBER)
    state = fields.CharEnumField(MembershipState, max_length=16, default=MembershipState.PENDING)
    message = fields.TextField(default="")
    # The answers to the group's join questions: [{"question": ..., "answer": ...}, ...].
    answers: fields.Field[list[dict[str, str]]] = fields.JSONField(default=list)
    # The remote Follow activity, answered by Accept/Reject with this id embedded.
    follow_ap_id = fields.CharField(max_length=2048, default="")
    decided_at = fields.DatetimeField(null=True)
    decided_by: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="decisions", null=True, on_delete=fields.SET_NULL
    )

    group_id: str
    actor_id: str

    class Meta:
        table = "membership"
        unique_together = (("group", "actor"),)
        indexes = (("actor_id", "state"),)  # a person's groups (home feed, profile)

    @property
    def is_moderator(self) -> bool:
        return self.state == MembershipState.ACCEPTED and self.role in (
            MemberRole.OWNER,
            MemberRole.MODERATOR,
        )


class Ban(Entity):
    group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "models.Group", related_name="bans", on_delete=fields.CASCADE
    )
    actor: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="bans", on_delete=fields.CASCADE
    )
    banned_by: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="bans_made", null=True, on_delete=fields.SET_NULL
    )
    reason = fields.TextField(default="")

    class Meta:
        table = "ban"
        unique_together = (("group", "actor"),)
