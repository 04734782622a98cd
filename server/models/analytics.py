"""Aggregate counts for organisers' reports, kept without storing who read what.

`ThreadViewDay` is written by the web (buffered page views); the rest are rollups the worker
recomputes from the posts, memberships and reactions for every day marked in `AnalyticsDirty`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields

from server.models._base import Entity

if TYPE_CHECKING:
    from server.models.actors import Actor
    from server.models.groups import Group
    from server.models.posts import Post


class ThreadViewDay(Entity):
    """How many times a thread's page was viewed on one day: a count, no IP, no reader."""

    thread: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "models.Post", related_name="view_days", on_delete=fields.CASCADE
    )
    group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "models.Group", related_name="view_days", on_delete=fields.CASCADE
    )
    day = fields.DateField()
    views = fields.IntField(default=0)

    thread_id: str
    group_id: str

    class Meta:
        table = "thread_view_day"
        unique_together = (("thread", "day"),)
        indexes = (("group_id", "day"),)


class AnalyticsDirty(Entity):
    """A day of a group whose rollups must be computed again (written by domain events and by
    the view counter, consumed by the worker). `marked_at` moves on when the day is marked again,
    so a worker that recomputed it meanwhile leaves the row for the next pass."""

    group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "models.Group", related_name="analytics_dirty", on_delete=fields.CASCADE
    )
    day = fields.DateField()
    marked_at = fields.DatetimeField()
    lease_until = fields.DatetimeField(null=True)

    group_id: str

    class Meta:
        table = "analytics_dirty"
        unique_together = (("group", "day"),)


class GroupDay(Entity):
    """One group's published activity on one UTC day: additive, so weeks and the instance sum."""

    group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "models.Group", related_name="analytics_days", on_delete=fields.CASCADE
    )
    day = fields.DateField()
    posts = fields.IntField(default=0)  # top-level posts (questions and resources included)
    replies = fields.IntField(default=0)
    questions = fields.IntField(default=0)
    new_members = fields.IntField(default=0)
    views = fields.IntField(default=0)  # thread page views (ThreadViewDay)

    group_id: str

    class Meta:
        table = "analytics_group_day"
        unique_together = (("group", "day"),)
        indexes = (("day",),)


class ActiveWeek(Entity):
    """How many distinct people posted, replied or reacted in a week (Monday, UTC): per group
    (`scope` = the group's id) and for all the groups hosted here (`scope` = "")."""

    scope = fields.CharField(max_length=26)
    week = fields.DateField()
    members = fields.IntField(default=0)

    class Meta:
        table = "analytics_active_week"
        unique_together = (("scope", "week"),)


class QuestionStat(Entity):
    """How one published question fared: when it got its first reply and its accepted answer
    (seconds after it was asked), and who gave them."""

    question: fields.OneToOneRelation[Post] = fields.OneToOneField(
        "models.Post", related_name="question_stat", on_delete=fields.CASCADE
    )
    group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "models.Group", related_name="question_stats", on_delete=fields.CASCADE
    )
    asked_at = fields.DatetimeField()
    first_reply_after = fields.IntField(null=True)
    accepted_after = fields.IntField(null=True)
    first_replier: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="first_replies", null=True, on_delete=fields.SET_NULL
    )
    answerer: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="accepted_answers", null=True, on_delete=fields.SET_NULL
    )

    question_id: str
    group_id: str
    first_replier_id: str | None
    answerer_id: str | None

    class Meta:
        table = "analytics_question"
        # Covering: a report's counts, medians and helpers read the index alone.
        indexes = (
            (
                "group_id",
                "asked_at",
                "first_reply_after",
                "accepted_after",
                "answerer_id",
                "first_replier_id",
            ),
            ("asked_at",),
        )


class ResourceWeek(Entity):
    """How many times a resource's thread was viewed in a week (Monday, UTC): the top resources
    of a range add up a few rows per resource instead of a row per day."""

    thread: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "models.Post", related_name="resource_weeks", on_delete=fields.CASCADE
    )
    group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "models.Group", related_name="resource_weeks", on_delete=fields.CASCADE
    )
    week = fields.DateField()
    views = fields.IntField(default=0)

    thread_id: str
    group_id: str

    class Meta:
        table = "analytics_resource_week"
        unique_together = (("thread", "week"),)
        indexes = (("group_id", "week"), ("week",))
