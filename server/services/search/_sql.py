"""SQL pieces the search statements are made of: placeholders for either database, and the read
policy's filters compiled once per kind of viewer.

Compiling a Tortoise query to SQL costs about a millisecond of Python, more than some of the
statements take to run, so the read policy's SQL is kept per viewer (anonymous, or an account's
actor and admin flag) and per set of filters. That is sound because the policy's filters are a
pure function of those: what changes with the data (memberships, states, visibilities) sits in
the SQL as subqueries and columns, decided by the database at each query.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.queryset import QuerySet, ValuesListQuery

from server.models import Account
from server.services import _prepared

__all__ = ["CompiledSql", "Placeholders", "compiled", "renumbered", "viewer_key"]

CACHE_SIZE = 512

CompiledSql = tuple[str, tuple[Any, ...]]
_cache: OrderedDict[Hashable, CompiledSql] = OrderedDict()
_NUMBERED = re.compile(r"\$(\d+)\b")


class Placeholders:
    """Collects the values of a statement and names their places (`?` on SQLite, `$n` on
    PostgreSQL, numbered after the values already collected)."""

    def __init__(self, db: BaseDBAsyncClient, first: list[Any] | None = None) -> None:
        self.values: list[Any] = list(first or [])
        self.numbered = db.capabilities.dialect == "postgres"

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}" if self.numbered else "?"

    def embed(self, sql: CompiledSql) -> str:
        """`sql` (compiled with its own values numbered from 1) as a part of this statement."""
        text, values = sql
        if self.numbered:
            text = renumbered(text, len(self.values))
        self.values.extend(values)
        return text


def renumbered(sql: str, offset: int) -> str:
    """PostgreSQL SQL compiled by Tortoise with its `$n` placeholders moved up by `offset`
    (Tortoise passes every value as a parameter, so `$n` appears nowhere else)."""
    return _NUMBERED.sub(lambda found: f"${int(found.group(1)) + offset}", sql)


def viewer_key(viewer: Account | None) -> Hashable:
    """What the read policy depends on about a viewer."""
    return None if viewer is None else (viewer.actor_id, viewer.is_admin)


def compiled(
    db: BaseDBAsyncClient, key: Hashable, build: Callable[[], ValuesListQuery[Any]]
) -> CompiledSql:
    """The SQL and values of the query `build` makes, kept under `key` (which must name all
    that the query depends on)."""
    full_key = (db.capabilities.dialect, key)
    found = _cache.get(full_key)
    if found is not None:
        _cache.move_to_end(full_key)
        return found
    sql, params = _prepared.built(build()).get_parameterized_sql()
    found = _cache[full_key] = (str(sql), tuple(params))
    if len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return found


def ids_of(queryset: QuerySet[Any]) -> ValuesListQuery[Any]:
    return queryset.values_list("id", flat=True)
