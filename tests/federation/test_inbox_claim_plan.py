"""A worker's claim reads the open inbox rows from their index (migration 0012), on both
databases: the table keeps every handled row, so a claim that scanned or sorted the whole table
would cost more with each activity ever received.

As tests/server/test_query_plans.py does: the claim's statements are recorded and the database
asked how it would run each (`EXPLAIN QUERY PLAN` on SQLite; on PostgreSQL `EXPLAIN` with
sequential scans and sorts priced out, which it would otherwise pick for a table this small)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.applications import Starlette
from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient

from federation.inbox import InboxProcessor
from server.models import InboxActivity, inbox_dedup_key, utcnow
from tests.conftest import BACKEND
from tests.federation._inbox_peer import RemotePeer

SQLITE_FULL_SCAN = re.compile(r"^SCAN inbox_activity\b(?! USING (COVERING )?INDEX)")
SQLITE_SORT = re.compile(r"^USE TEMP B-TREE FOR ORDER BY")
POSTGRES_FULL_SCAN = re.compile(r"Seq Scan on inbox_activity\b")
POSTGRES_SORT = re.compile(r"^\s*(->\s*)?Sort  \(", re.MULTILINE)


def _row(n: int, *, handled: bool) -> InboxActivity:
    ap_id = f"https://r.example/a/{n}"
    return InboxActivity(
        ap_id=ap_id,
        dedup_key=inbox_dedup_key("https://r.example", ap_id),
        actor_ap_id="https://r.example/u/x",
        activity_type="Like",
        payload="{}",
        processed_at=utcnow() if handled else None,
    )


async def _plan(query: str, values: list[Any]) -> str:
    connection = Tortoise.get_connection("default")
    if BACKEND == "postgres":
        async with connection._in_transaction() as transaction:
            await transaction.execute_script("SET LOCAL enable_seqscan = off")
            await transaction.execute_script("SET LOCAL enable_sort = off")
            _, rows = await transaction.execute_query(f"EXPLAIN {query}", values)
        return "\n".join(str(row["QUERY PLAN"]) for row in rows)
    _, rows = await connection.execute_query(f"EXPLAIN QUERY PLAN {query}", values)
    return "\n".join(str(row["detail"]) for row in rows)


def _scans_or_sorts(query: str, plan: str) -> bool:
    """Whether the plan reads every row, or (a statement picking the open rows) sorts them;
    the claimed rows read back by id may be sorted, there are only a batch of them."""
    picking = '"processed_at" IS NULL' in query
    if BACKEND == "postgres":
        return bool(POSTGRES_FULL_SCAN.search(plan) or (picking and POSTGRES_SORT.search(plan)))
    return any(
        SQLITE_FULL_SCAN.search(line) or (picking and SQLITE_SORT.search(line))
        for line in plan.splitlines()
    )


async def test_claim__reads_the_open_rows_in_order_from_their_index(
    app: Starlette, peer: RemotePeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given many handled rows and a few open ones
    await InboxActivity.bulk_create(
        [_row(n, handled=True) for n in range(40)] + [_row(n, handled=False) for n in range(40, 43)]
    )
    # When a worker claims a batch, its statements on the table recorded
    seen: list[tuple[str, list[Any]]] = []
    client = type(Tortoise.get_connection("default"))
    for name in ("execute_query", "execute_query_dict"):
        original = getattr(client, name)

        async def recording(
            self: BaseDBAsyncClient, query: str, values: Any = None, _original: Any = original
        ) -> Any:
            if '"inbox_activity"' in query and not query.lstrip().upper().startswith("EXPLAIN"):
                seen.append((query, list(values or [])))
            return await _original(self, query, values)

        monkeypatch.setattr(client, name, recording)
    claimed = await InboxProcessor(peer.runtime)._claim()
    monkeypatch.undo()
    assert len(claimed) == 3
    # Then no statement's plan reads every row of the table, or sorts them
    assert seen
    scanning = [
        f"{query}\n{plan}"
        for query, values in seen
        if _scans_or_sorts(query, plan := await _plan(query, values))
    ]
    assert scanning == []
