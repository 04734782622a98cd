"""The rows a worker holds, kept leased while it works on them, and text fit to store.

A worker claims rows by setting `lease_until` (`Leases.claim`); another worker may take a row
once its lease has run out. `Leases` renews the lease of every row still held every third of
the lease, so a short lease is safe however long a row takes, and a crashed worker's rows come
back soon. A worker releases a row (stops renewing it) just before it records the row's outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

from tortoise import Tortoise
from tortoise.expressions import F, Q
from tortoise.models import Model
from tortoise.transactions import in_transaction

from server.models import utcnow

__all__ = ["UNRECORDED", "Leases"]

UNRECORDED = "gave up after {attempts} tries: the outcome of the last one was never recorded"

log = logging.getLogger("lyceum.leases")


class Leases:
    def __init__(self, model: type[Model], lease: timedelta, **still_open: Any) -> None:
        """`still_open`: the filter of rows whose work is not finished (only those are renewed)."""
        self.model = model
        self.lease = lease
        self.still_open = still_open
        self.held: set[str] = set()

    async def claim(
        self,
        waiting: Q,
        *,
        sql: str,
        args: Sequence[object],
        order_by: str,
        limit: int,
        max_attempts: int,
        give_up: dict[str, Any],
        reason_field: str,
    ) -> list[str]:
        """Lease up to `limit` rows that are `waiting` and held by no live lease, first by
        `order_by`, counting one more attempt on each; hold them and return their ids.

        Such rows claimed `max_attempts` times without a recorded outcome (a worker died, or
        recording failed each time) are given up instead of tried forever: set to `give_up`,
        with the reason in `reason_field`.

        `sql` is the same `waiting` condition for PostgreSQL, its parameters (`args`) numbered
        from $3: there the rows are taken in one statement with `FOR UPDATE SKIP LOCKED`, so
        that any number of workers share a table without taking the same row. SQLite has one
        writer."""
        rows = await self.claim_rows(
            waiting,
            sql=sql,
            args=args,
            order_by=order_by,
            limit=limit,
            max_attempts=max_attempts,
            give_up=give_up,
            reason_field=reason_field,
            columns=("id",),
        )
        return [str(row["id"]) for row in rows]

    async def claim_rows(
        self,
        waiting: Q,
        *,
        sql: str,
        args: Sequence[object],
        order_by: str,
        limit: int,
        max_attempts: int,
        give_up: dict[str, Any],
        reason_field: str,
        columns: Sequence[str],
    ) -> list[dict[str, Any]]:
        """`claim`, answering the claimed rows' `columns` (which must include `id`) as they are
        after the claim (`attempts` counted, `lease_until` set), instead of their ids: a worker
        that needs a few columns reads them in the claim itself, with no query and no model
        object more per row (`bench.fanout`)."""
        now = utcnow()
        free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
        await self.model.filter(waiting, free, attempts__gte=max_attempts).update(
            lease_until=None, **give_up, **{reason_field: UNRECORDED.format(attempts=max_attempts)}
        )
        lease_until = now + self.lease
        connection = Tortoise.get_connection("default")
        if connection.capabilities.dialect == "postgres":
            table = self.model._meta.db_table
            returning = ", ".join(f'"{column}"' for column in columns)
            # execute_query_dict: Tortoise's execute_query drops the rows of UPDATE … RETURNING.
            # The table, columns and condition come from the callers' code, never from input.
            statement = (
                f'UPDATE "{table}" SET "lease_until" = $1, "attempts" = "attempts" + 1'  # noqa: S608
                f' WHERE "id" IN (SELECT "id" FROM "{table}" WHERE ({sql})'
                f' AND ("lease_until" IS NULL OR "lease_until" < ${len(args) + 3})'
                f' ORDER BY "{order_by}" LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING {returning}'
            )
            parameters = [lease_until, limit, *args, now]
            rows = await connection.execute_query_dict(statement, parameters)
        else:
            due = self.model.filter(waiting, free).order_by(order_by).limit(limit)
            rows = list(await due.values(*columns))
            if rows:
                await self.model.filter(id__in=[row["id"] for row in rows]).update(
                    lease_until=lease_until, attempts=F("attempts") + 1
                )
            for row in rows:  # as the UPDATE left them
                if "attempts" in row:
                    row["attempts"] += 1
                if "lease_until" in row:
                    row["lease_until"] = lease_until
        self.hold([str(row["id"]) for row in rows])
        return rows

    def hold(self, ids: list[str]) -> None:
        self.held.update(ids)

    def release(self, row_id: str) -> None:
        self.held.discard(row_id)

    async def renew(self) -> int:
        """Extend the lease of every row held that no other transaction is writing; return how
        many were extended.

        A row being written elsewhere (most often its outcome being recorded, in a batch) is
        skipped, not waited for, and renewed at the next beat if still held: waiting took row
        locks in another order than the batch and deadlocked PostgreSQL (`bench.soak` found it).
        SQLite has one writer and no row locks."""
        if not self.held:
            return 0
        async with in_transaction():
            # (`.only`, as `values_list` leaves FOR UPDATE out of its statement)
            free = [
                row.pk
                for row in await self.model.filter(id__in=list(self.held), **self.still_open)
                .select_for_update(skip_locked=True)
                .only("id")
            ]
            if not free:
                return 0
            return int(
                await self.model.filter(id__in=free).update(lease_until=utcnow() + self.lease)
            )

    @contextlib.asynccontextmanager
    async def kept(self) -> AsyncIterator[None]:
        """Renew the held rows' leases in the background while the block runs."""
        heartbeat = asyncio.create_task(self._beat())
        try:
            yield
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _beat(self) -> None:
        interval = self.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(interval)  # the heartbeat's period, not a wait for an event
            try:
                await self.renew()
            except Exception:
                log.exception("could not renew the leases of %d rows", len(self.held))
