"""A database that refuses to record one row's outcome: what a NUL byte or a constraint does
to one row of a worker's batch, made to happen on demand."""

from __future__ import annotations

from typing import Any

import pytest
from tortoise.models import Model


class Unrecordable(Exception):
    pass


def break_updates_of(monkeypatch: pytest.MonkeyPatch, model: type[Model], row_id: str) -> None:
    """Make every write of an outcome naming `row_id` fail (the claim, which counts the
    attempt, still works): the way one row's record can fail."""
    original = model.filter.__func__  # type: ignore[attr-defined]

    class Refusing:
        def __init__(self, queryset: Any) -> None:
            self.queryset = queryset

        def __await__(self) -> Any:
            return self.queryset.__await__()

        def __getattr__(self, name: str) -> Any:
            return getattr(self.queryset, name)

        async def update(self, **changes: Any) -> int:
            if "attempts" in changes:  # the claim
                return int(await self.queryset.update(**changes))
            raise Unrecordable("the database refused this row")

    def refusing_filter(cls: type[Model], *args: Any, **kwargs: Any) -> Any:
        queryset = original(cls, *args, **kwargs)
        if kwargs.get("id") == row_id or row_id in kwargs.get("id__in", []):
            return Refusing(queryset)
        return queryset

    monkeypatch.setattr(model, "filter", classmethod(refusing_filter))
