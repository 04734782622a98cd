"""The transactional outbox: one row per (activity, target inbox), and the inbox's seen-ids.

Rows are written in the same transaction as the change that caused them and worked off by the
delivery worker, which claims them with a lease so that two workers never send one row at once.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

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
    """An activity received at an inbox, kept for de-duplication and for the worker.

    De-duplication keys on (the signer's origin, the activity id): an id is only ever unique
    within the server that minted it, so a sender cannot squat another server's ids.
    `dedup_key` is a SHA-256 of both, so the unique index stays small whatever the id's length.
    """

    ap_id = fields.CharField(max_length=2048)
    origin = fields.CharField(max_length=300, default="")  # scheme://host[:port] of the signer
    dedup_key = fields.CharField(max_length=64, unique=True)
    actor_ap_id = fields.CharField(max_length=2048)
    activity_type = fields.CharField(max_length=64)
    payload = fields.TextField()
    processed_at = fields.DatetimeField(null=True)
    attempts = fields.IntField(default=0)
    lease_until = fields.DatetimeField(null=True)
    error = fields.TextField(default="")
    dead_at = fields.DatetimeField(null=True)  # failed every attempt: waits for an admin's retry

    class Meta:
        table = "inbox_activity"


def inbox_dedup_key(origin: str, ap_id: str) -> str:
    """The unique key of an incoming activity: its id within the origin that signed it."""
    return hashlib.sha256(f"{origin} {ap_id}".encode("utf-8", "surrogatepass")).hexdigest()


class SeenSignature(Model):
    """A signature the inbox accepted, kept while its date is in the window (replays refused)."""

    key = fields.CharField(max_length=64, primary_key=True)  # SHA-256 of the signature value
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "seen_signature"
