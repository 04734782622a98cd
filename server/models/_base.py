"""What every Lyceum table shares: an opaque, sortable, stable id (a ULID) and timestamps."""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise import fields
from tortoise.models import Model
from ulid import ULID


def new_id() -> str:
    return str(ULID()).lower()


def utcnow() -> datetime:
    return datetime.now(UTC)


class Entity(Model):
    id = fields.CharField(max_length=26, primary_key=True, default=new_id)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        abstract = True
