"""A model instance's columns as the database stores them, for statements written by hand."""

from __future__ import annotations

from typing import Any

from tortoise.models import Model

__all__ = ["column_values"]


def column_values(row: Model) -> dict[str, Any]:
    """Column name -> value, converted as Tortoise would write it (defaults and `auto_now_add`
    times filled in), for `jsonb_populate_record` and the like."""
    meta = row._meta
    return {
        column: meta.fields_map[name].to_db_value(getattr(row, name), row)
        for name, column in meta.fields_db_projection.items()
    }
