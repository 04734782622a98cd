"""The transactional outbox: one row per (activity, target inbox), and the inbox's seen-ids.

Rows are written in the same transaction as the change that caused them and worked off by the
delivery worker, which claims them with a lease so that two workers never send one row at once.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields

from server.models._base import Entity

if TYPE_CHECKING:
    from server.models.actors import Actor


class DeliveryState(StrEnum):
    QUEUED = "queued"
    DONE = "done"
    FAILED = "failed"  # gave up: a final 4xx or too many tries


class Delivery(Entity):
    activity_id = fields.CharField(max_length=2048)
    payload = fields.TextField()  # the exact JSON body to sign and send
    signer: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="deliveries", on_delete=fields.CASCADE
    )
    inbox_url = fields.CharField(max_length=2048)
    domain = fields.CharField(max_length=255, db_index=True)
    state = fields.CharEnumField(DeliveryState, max_length=16, default=DeliveryState.QUEUED)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(db_index=True)
    lease_until = fields.DatetimeField(null=True)
    last_status = fields.IntField(null=True)
    last_error = fields.TextField(default="")
    finished_at = fields.DatetimeField(null=True)

    signer_id: str

    class Meta:
        table = "delivery"
        indexes = (("state", "next_attempt_at"),)


class DomainHealth(Entity):
    domain = fields.CharField(max_length=255, unique=True)
    first_failure_at = fields.DatetimeField(null=True)
    last_success_at = fields.DatetimeField(null=True)
    unavailable_since = fields.DatetimeField(null=True)

    class Meta:
        table = "domain_health"


class InboxActivity(Entity):
    """An activity received at an inbox, kept for de-duplication and for the worker."""

    ap_id = fields.CharField(max_length=2048, unique=True)
    actor_ap_id = fields.CharField(max_length=2048)
    activity_type = fields.CharField(max_length=64)
    payload = fields.TextField()
    processed_at = fields.DatetimeField(null=True)
    attempts = fields.IntField(default=0)
    lease_until = fields.DatetimeField(null=True)
    error = fields.TextField(default="")

    class Meta:
        table = "inbox_activity"
