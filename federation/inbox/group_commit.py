"""Writing the inbox's new activities in batches, each with the signature that brought it.

Nothing waits for a batch to fill: the first request writes its row at once, and the rows of
requests arriving meanwhile are written together next, by the first of them (so no request
writes more than the batch it joined). One INSERT of 20 rows costs SQLite about what 4
single-row INSERTs do, and a commit is the costly part: so the batch's signatures are
remembered (`SeenSignatures.remember`) in the same transaction as its rows are stored, and a
replayed request's row is left out. `INSERT … ON CONFLICT DO NOTHING` skips ids already stored.
Each request is told its own row's fate: `STORED`, `DUPLICATE` (its id was stored already) or
`REPLAYED` (its signature was). The workers are woken once per batch that stored a row.

On SQLite the whole batch is one trip to the connection's thread (`_sqlite_batch`), and web
processes sharing the file take turns to write theirs (`_write_turns`).

On PostgreSQL the whole batch is one statement (`_BATCH`: the signatures, the rows whose
signature was new, and the workers' NOTIFY), atomic on its own: one round trip per batch, where
a transaction of three statements took six, and each request's own NOTIFY two more.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Final

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from federation.delivery import wake
from federation.inbox import _sqlite_batch, _write_turns
from federation.inbox.replay import SeenSignatures
from federation.rows import column_values
from server.models import InboxActivity, new_id, utcnow

__all__ = ["DUPLICATE", "REPLAYED", "STORED", "GroupCommit", "NewActivity"]

STORED: Final = "stored"
DUPLICATE: Final = "duplicate"
REPLAYED: Final = "replayed"
_LEAD: Final = "lead"  # what a waiting request is told when it is its turn to write


@dataclass(frozen=True, slots=True)
class NewActivity:
    """A received activity to store: what the door knows of it; every other column of its
    `InboxActivity` row takes the model's default. Built instead of the model, whose
    constructor (field validation, coroutine checks) cost the inbox a tenth of its request."""

    ap_id: str
    origin: str
    dedup_key: str
    actor_ap_id: str
    activity_type: str
    payload: str
    id: str = field(default_factory=new_id)


Row = InboxActivity | NewActivity
Entry = tuple[Row, str | None, "asyncio.Future[str]"]
_SET_HERE: Final = ("id", "created_at")  # the columns whose default is made per row


@cache
def _defaults() -> dict[str, Any]:
    """The database values of every column a `NewActivity` does not set, as the model makes
    them; only `id` and `created_at` are made per row (a model that grows another per-row
    default fails here, at the first batch, rather than storing a stale value)."""
    meta = InboxActivity._meta
    dynamic = {
        name
        for name, spec in meta.fields_map.items()
        if callable(spec.default)
        or getattr(spec, "auto_now", False)
        or getattr(spec, "auto_now_add", False)
    }
    if dynamic != set(_SET_HERE):
        raise RuntimeError(f"InboxActivity's per-row defaults changed: {sorted(dynamic)}")
    template = NewActivity("", "", "", "", "", "")
    values = column_values(InboxActivity(**{**_fields(template), "id": ""}))
    for name in (*_SET_HERE, *_fields(template)):
        del values[meta.fields_db_projection[name]]
    return values


def _fields(row: NewActivity) -> dict[str, str]:
    return {
        "ap_id": row.ap_id,
        "origin": row.origin,
        "dedup_key": row.dedup_key,
        "actor_ap_id": row.actor_ap_id,
        "activity_type": row.activity_type,
        "payload": row.payload,
    }


def _model(row: Row) -> InboxActivity:
    return row if isinstance(row, InboxActivity) else InboxActivity(**_fields(row), id=row.id)


def _columns(row: Row) -> dict[str, Any]:
    """Column name -> database value of the row to insert."""
    if isinstance(row, InboxActivity):
        return column_values(row)
    return {**_defaults(), **_fields(row), "id": row.id, "created_at": utcnow()}


class GroupCommit:
    def __init__(self, seen: SeenSignatures) -> None:
        self.seen = seen
        self._waiting: list[Entry] = []
        self._writing = False
        self._turns_file: _write_turns.WriteTurns | None = None

    async def insert(self, row: Row, signature_key: str | None = None) -> str:
        """Store the row unless its id is stored or its signature was seen; say which."""
        turn: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._waiting.append((row, signature_key, turn))
        if self._writing:
            outcome = await turn
            if outcome != _LEAD:
                return outcome
        self._writing = True
        batch, self._waiting = self._waiting, []
        try:
            outcomes = await self._write([(entry, key) for entry, key, _ in batch])
        except Exception as error:  # the database failed: so does every request of the batch
            for _, _, waiter in batch:
                if waiter is not turn and not waiter.done():
                    waiter.set_exception(error)
            raise
        except BaseException:  # this request was cancelled mid-write: the next batch takes the rest
            self._waiting[:0] = [e for e in batch if e[2] is not turn and not e[2].done()]
            raise
        finally:
            self._hand_over()
        for (_, _, waiter), outcome in zip(batch, outcomes, strict=True):
            if waiter is not turn and not waiter.done():
                waiter.set_result(outcome)
        return outcomes[[entry[2] for entry in batch].index(turn)]

    async def _write(self, entries: list[tuple[Row, str | None]]) -> list[str]:
        """Remember the signatures, insert the rows that are new; one outcome per entry."""
        connection = Tortoise.get_connection("default")
        if connection.capabilities.dialect == "postgres":
            return await self._write_postgres(connection, entries)
        if _sqlite_batch.usable(connection):
            outcomes = await self._write_sqlite(connection, entries)
        else:
            outcomes = await self._write_in_transaction(entries)
        if STORED in outcomes:
            await wake.notify_inbox()  # committed: an idle worker takes them now
        return outcomes

    async def _write_postgres(
        self, connection: BaseDBAsyncClient, entries: list[tuple[Row, str | None]]
    ) -> list[str]:
        """The whole batch in one statement (`_BATCH`), so one round trip: atomic on its own."""
        await self.seen.sweep_if_due(connection)
        keys = list(dict.fromkeys(key for _, key in entries if key is not None))
        sent: set[str] = set()
        documents = []
        for row, key in entries:
            if key is not None:
                if key in sent:
                    continue  # the same signature twice in one batch: the first request only
                sent.add(key)
            documents.append({**_columns(row), _SIGNATURE: key})
        answered = await connection.execute_query_dict(
            _BATCH, [keys, self.seen.expiry(), json.dumps(documents, default=str)]
        )
        fresh = {str(r["value"]) for r in answered if r["kind"] == "signature"}
        stored = {str(r["value"]) for r in answered if r["kind"] == "row"}
        if stored:
            wake.wake_here(wake.INBOX)  # other processes hear the statement's NOTIFY
        outcomes = []
        for row, key in entries:
            if key is not None and key not in fresh:
                outcomes.append(REPLAYED)
                continue
            fresh.discard(key or "")
            outcomes.append(STORED if str(row.id) in stored else DUPLICATE)
        return outcomes

    async def _write_sqlite(
        self, connection: BaseDBAsyncClient, entries: list[tuple[Row, str | None]]
    ) -> list[str]:
        """The whole batch in one trip to SQLite's thread (`_sqlite_batch`), in this writer's
        turn among the processes sharing the file (`_write_turns`)."""
        values = [_columns(row) for row, _ in entries]
        columns = list(values[0])
        fresh, stored = await _sqlite_batch.write_batch(
            connection,
            InboxActivity._meta.db_table,
            columns,
            [
                (key, [value[c] for c in columns])
                for (_, key), value in zip(entries, values, strict=True)
            ],
            self.seen.expiry(),
            utcnow() if self.seen.sweep_due() else None,
            self._turns(getattr(connection, "filename", "")),
        )
        outcomes = []
        for row, key in entries:
            if key is not None and key not in fresh:
                outcomes.append(REPLAYED)
                continue
            fresh.discard(key or "")  # the same signature twice in one batch: once only
            outcomes.append(STORED if str(row.id) in stored else DUPLICATE)
        return outcomes

    def _turns(self, database_file: str) -> _write_turns.WriteTurns | None:
        path = _write_turns.lock_path(database_file)
        if path is not None and (self._turns_file is None or self._turns_file.path != path):
            self._turns_file = _write_turns.WriteTurns(path)
        return self._turns_file if path is not None else None

    async def _write_in_transaction(self, entries: list[tuple[Row, str | None]]) -> list[str]:
        async with in_transaction() as connection:
            fresh = await self.seen.remember(connection, [key for _, key in entries if key])
            outcomes: list[str] = []
            rows = []
            found: dict[str, str] = {}
            for row, key in entries:
                if key is not None and key not in fresh:
                    outcomes.append(REPLAYED)
                    continue
                fresh.discard(key or "")  # the same signature twice in one batch: once only
                outcomes.append(STORED)
                rows.append(_model(row))
            if rows:
                await InboxActivity.bulk_create(rows, ignore_conflicts=True, using_db=connection)
                stored = (
                    await InboxActivity.filter(dedup_key__in=[row.dedup_key for row in rows])
                    .using_db(connection)
                    .values_list("dedup_key", "id")
                )
                found = {str(key): str(row_id) for key, row_id in stored}
        for index, (row, _) in enumerate(entries):
            if outcomes[index] == STORED and found.get(row.dedup_key) != str(row.id):
                outcomes[index] = DUPLICATE
        return outcomes

    def _hand_over(self) -> None:
        """Let the first request still waiting write the next batch (or stop writing)."""
        for _, _, waiter in self._waiting:
            if not waiter.done():
                waiter.set_result(_LEAD)
                return
        self._writing = False  # rows of cancelled requests, if any, go with the next batch


_SIGNATURE: Final = "_signature"  # beside a row's columns: the signature that brought it
# Remember the signatures; insert the rows whose signature was new (`jsonb_populate_record`
# reads each row's columns by name), skipping ids stored already; NOTIFY the workers when any
# row was stored. Answers (kind, value): each new signature, and each stored row's id.
_BATCH: Final = f"""
WITH fresh AS (
    INSERT INTO "seen_signature" ("key", "expires_at") SELECT unnest($1::text[]), $2
    ON CONFLICT DO NOTHING RETURNING "key"
), stored AS (
    INSERT INTO "inbox_activity"
    SELECT row.* FROM jsonb_array_elements($3::jsonb) AS entry(value),
        jsonb_populate_record(NULL::"inbox_activity", entry.value) AS row
    WHERE entry.value->>'{_SIGNATURE}' IS NULL
        OR entry.value->>'{_SIGNATURE}' IN (SELECT "key" FROM fresh)
    ON CONFLICT DO NOTHING RETURNING "id"
)
SELECT 'signature' AS kind, "key" AS value FROM fresh
UNION ALL SELECT 'row', "id" FROM stored
UNION ALL SELECT 'woken', {wake.NOTIFY_INBOX}::text WHERE EXISTS (SELECT 1 FROM stored)
"""  # noqa: S608 (only the constants above are formatted in)
