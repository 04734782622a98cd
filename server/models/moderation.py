"""Reports, domain blocks and the audit log: what keeps an instance healthy, and its record."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields

from server.models._base import Entity

if TYPE_CHECKING:
    from server.models.actors import Actor
    from server.models.groups import Group
    from server.models.posts import Post


class DomainBlockSeverity(StrEnum):
    SUSPEND = "suspend"
    LIMIT = "limit"


class DomainBlock(Entity):
    domain = fields.CharField(max_length=255, unique=True)
    severity = fields.CharEnumField(
        DomainBlockSeverity, max_length=16, default=DomainBlockSeverity.SUSPEND
    )
    reason = fields.TextField(default="")
    public = fields.BooleanField(default=False)

    class Meta:
        table = "domain_block"


class ReportState(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class Report(Entity):
    reporter: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="reports_made", null=True, on_delete=fields.SET_NULL
    )
    target_actor: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="reports_against", null=True, on_delete=fields.CASCADE
    )
    post: fields.ForeignKeyNullableRelation[Post] = fields.ForeignKeyField(
        "models.Post", related_name="reports", null=True, on_delete=fields.CASCADE
    )
    group: fields.ForeignKeyNullableRelation[Group] = fields.ForeignKeyField(
        "models.Group", related_name="reports", null=True, on_delete=fields.CASCADE
    )
    comment = fields.TextField(default="")
    state = fields.CharEnumField(ReportState, max_length=16, default=ReportState.OPEN)
    ap_id = fields.CharField(max_length=2048, null=True, unique=True)
    origin_domain = fields.CharField(max_length=255, default="")
    resolved_by: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="reports_resolved", null=True, on_delete=fields.SET_NULL
    )
    resolved_at = fields.DatetimeField(null=True)
    resolution = fields.TextField(default="")
    # When an admin forwarded it as a Flag to the instance the reported content lives on.
    forwarded_at = fields.DatetimeField(null=True)

    class Meta:
        table = "report"


class AuditEntry(Entity):
    """Who did what, on what, when and why. Group entries are readable by the group's members."""

    actor: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    action = fields.CharField(max_length=64)
    group: fields.ForeignKeyNullableRelation[Group] = fields.ForeignKeyField(
        "models.Group", related_name="audit_entries", null=True, on_delete=fields.CASCADE
    )
    target_type = fields.CharField(max_length=32, default="")
    target_id = fields.CharField(max_length=2048, default="")
    target_label = fields.CharField(max_length=300, default="")
    reason = fields.TextField(default="")

    class Meta:
        table = "audit_entry"
