"""Hot queries compiled to SQL once per shape and run again with new values.

Tortoise builds a query's SQL anew at every run, and for the small lookups every page sends
(the session, the unread count, a post and its thread) that costs more Python than the
database spends running them: about a millisecond each, a third of a thread page. Here a
query is built once per shape, with marker strings in place of the values that change (ids,
hashes), its SQL kept; a later run fills the markers' places with the values and lets the
same Tortoise query object read the rows, so the results are the usual models, counts or
value lists.

`key` must name everything the query's shape depends on besides the arguments (as
`search._sql.compiled`): the read policy's SQL, for instance, changes with the viewer's
admin flag, never with their id, which is an argument.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date, time
from typing import Any, TypeVar

from pypika_tortoise.queries import QueryBuilder
from tortoise import Tortoise
from tortoise.queryset import AwaitableQuery

__all__ = ["built", "run", "statement"]

T = TypeVar("T")
CACHE_SIZE = 256
_MARK = "\x00{}\x00"


@dataclass(frozen=True)
class _Bound:
    """Stands for the pypika query of a kept query: the kept SQL, this run's values."""

    sql: str
    values: list[Any]

    def get_parameterized_sql(self) -> tuple[str, list[Any]]:
        return self.sql, self.values


@dataclass(frozen=True)
class _Shape:
    query: AwaitableQuery[Any]
    sql: str
    # Each parameter of the SQL: the name of an argument, or a value fixed by the shape.
    parameters: tuple[tuple[str | None, Any], ...]


_shapes: OrderedDict[Hashable, _Shape] = OrderedDict()
_statements: OrderedDict[Hashable, tuple[str, tuple[tuple[str | None, Any], ...]]] = OrderedDict()


async def run(key: Hashable, build: Callable[..., Any], **arguments: str) -> Any:
    """What `await build(**arguments)` gives, the SQL of `build`'s query kept under `key`.

    `build` takes the arguments by name and returns a query not yet awaited (a `QuerySet`,
    `.first()`, `.count()`, `.values_list(…)`); each argument must reach the SQL as a
    parameter unchanged (an id compared for equality, not a pattern or a date)."""
    shape = _shape(key, build, sorted(arguments))
    values = [arguments[name] if name is not None else fixed for name, fixed in shape.parameters]
    query = copy.copy(shape.query)
    query._db = None  # type: ignore[assignment]
    query._choose_db_if_not_chosen()  # this run's connection (a transaction's, in one)
    query.query = _Bound(shape.sql, values)  # type: ignore[assignment]
    return await query._execute()


def statement(
    key: Hashable, build: Callable[..., tuple[str, list[Any]]], **arguments: str
) -> tuple[str, list[Any]]:
    """The SQL and values `build(**arguments)` gives, for a statement sent by hand: `build`
    returns the SQL and its parameters, and is called once per `key` (see `run`)."""
    names = sorted(arguments)
    full_key = (_dialect(), "statement", key, tuple(names))
    found = _statements.get(full_key)
    if found is None:
        marks = {_MARK.format(name): name for name in names}
        sql, values = build(**{name: mark for mark, name in marks.items()})
        found = _statements[full_key] = (sql, _parameters(sql, values, marks))
        if len(_statements) > CACHE_SIZE:
            _statements.popitem(last=False)
    else:
        _statements.move_to_end(full_key)
    sql, parameters = found
    return sql, [arguments[name] if name is not None else fixed for name, fixed in parameters]


def _dialect() -> str:
    dialect: str = Tortoise.get_connection("default").capabilities.dialect
    return dialect


def _parameters(
    sql: str, values: list[Any], marks: dict[str, str]
) -> tuple[tuple[str | None, Any], ...]:
    parameters = tuple(
        (marks[value], None) if isinstance(value, str) and value in marks else (None, value)
        for value in values
    )
    missing = set(marks.values()) - {name for name, _ in parameters if name is not None}
    if missing or "\x00" in sql:
        raise ValueError(f"arguments not passed as parameters: {sorted(missing)} in {sql}")
    # A time compiled into the shape would be kept with it: an expiry checked against the
    # moment of the first run, for as long as the process lives.
    if any(isinstance(fixed, date | time) for name, fixed in parameters if name is None):
        raise ValueError(
            f"a date or time would be kept with the SQL: pass it as an argument: {sql}"
        )
    return parameters


def _shape(key: Hashable, build: Callable[..., Any], names: list[str]) -> _Shape:
    full_key = (_dialect(), key, tuple(names))
    found = _shapes.get(full_key)
    if found is not None:
        _shapes.move_to_end(full_key)
        return found
    marks = {_MARK.format(name): name for name in names}
    query = build(**{name: mark for mark, name in marks.items()})
    sql, values = built(query).get_parameterized_sql()
    found = _shapes[full_key] = _Shape(query, str(sql), _parameters(str(sql), values, marks))
    if len(_shapes) > CACHE_SIZE:
        _shapes.popitem(last=False)
    return found


def built(query: AwaitableQuery[Any]) -> QueryBuilder:
    """The query's SQL builder, made as Tortoise makes it before running it (for this run's
    connection): for a statement to be sent by hand, or kept."""
    query._choose_db_if_not_chosen()
    query._make_query()
    return query.query
