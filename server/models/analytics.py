"""Aggregate counts for organisers' reports, kept without storing who read what."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields

from server.models._base import Entity

if TYPE_CHECKING:
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
