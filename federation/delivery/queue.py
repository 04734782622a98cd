"""Writing outgoing activities into the delivery queue, inside the caller's transaction.

One row per (activity, inbox); inboxes are de-duplicated (followers on one server share its
shared inbox), and nothing is queued for suspended or unavailable domains. Idle workers are
woken at once (`wake`): in this process now, in other processes when the transaction commits.

On PostgreSQL all of it is one statement (`_ENQUEUE`): a post Announced to a group's followers
costs one round trip however many servers follow it, and so do many activities at once
(`enqueue_many`). On SQLite (no round trips) the domains are read first and the rows written
with one prepared INSERT.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Final
from urllib.parse import urlsplit

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient

from federation.delivery import wake
from federation.rows import column_values
from server.models import (
    Delivery,
    DomainBlock,
    DomainBlockSeverity,
    DomainHealth,
    new_id,
    utcnow,
)


async def enqueue(activity: dict[str, Any], signer_id: str, inboxes: Iterable[str]) -> int:
    """Queue `activity` for each distinct inbox; return how many rows were written."""
    return await enqueue_many([(activity, signer_id, inboxes)])


async def enqueue_many(items: Iterable[tuple[dict[str, Any], str, Iterable[str]]]) -> int:
    """`enqueue` each (activity, signer id, inboxes) at once (on PostgreSQL, one statement for
    all of them: the inbox worker queues the Announces of a batch of posts so)."""
    batches: list[tuple[Delivery, dict[str, str]]] = []
    for activity, signer_id, inboxes in items:
        targets: dict[str, str] = {}
        for inbox in inboxes:
            host = (urlsplit(inbox).hostname or "").lower()
            if inbox and host:
                targets.setdefault(inbox, urlsplit(inbox).netloc.lower())
        if targets:
            batches.append((_template(activity, signer_id), targets))
    if not batches:
        return 0
    connection = Tortoise.get_connection("default")  # the caller's transaction, if in one
    if connection.capabilities.dialect == "postgres":
        return await _enqueue_postgres(connection, batches)
    domains = {domain for _, targets in batches for domain in targets.values()}
    hosts = {domain.split(":")[0] for domain in domains}
    blocked: set[str] = set(
        await DomainBlock.filter(
            domain__in=hosts | domains, severity=DomainBlockSeverity.SUSPEND
        ).values_list("domain", flat=True)  # type: ignore[arg-type]
    )
    unavailable: set[str] = set(
        await DomainHealth.filter(domain__in=domains, unavailable_since__isnull=False).values_list(
            "domain", flat=True
        )  # type: ignore[arg-type]
    )
    kept = [
        (template, inbox, domain)
        for template, targets in batches
        for inbox, domain in targets.items()
        if domain not in blocked
        and domain.split(":")[0] not in blocked
        and domain not in unavailable
    ]
    if kept:
        await _insert_sqlite(connection, kept)
        await wake.notify_delivery()
    return len(kept)


def _template(activity: dict[str, Any], signer_id: str) -> Delivery:
    """The activity's row but for its id, inbox and domain (every row of it is this one)."""
    return Delivery(
        activity_id=str(activity.get("id", "")),
        payload=json.dumps(activity, ensure_ascii=False, separators=(",", ":")),
        signer_id=signer_id,
        inbox_url="",
        domain="",
        next_attempt_at=utcnow(),
    )


async def _insert_sqlite(
    connection: BaseDBAsyncClient, targets: list[tuple[Delivery, str, str]]
) -> None:
    """The rows, written with Tortoise's own INSERT, from each template row's converted values
    (a model object per row cost a fan-out of 1,000 about 50 ms of CPU: `bench.fanout`)."""
    executor = connection.executor_class(model=Delivery, db=connection)
    fields = Delivery._meta.fields_map
    columns = list(executor.regular_columns)
    at = {name: columns.index(name) for name in ("id", "inbox_url", "domain")}
    converted: dict[int, list[Any]] = {}
    rows = []
    for template, inbox, domain in targets:
        values = converted.get(id(template))
        if values is None:
            values = [
                fields[name].to_db_value(getattr(template, name), template) for name in columns
            ]
            converted[id(template)] = values
        row = values.copy()
        row[at["id"]], row[at["inbox_url"]], row[at["domain"]] = new_id(), inbox, domain
        rows.append(row)
    await connection.execute_many(executor.insert_query, rows)


async def _enqueue_postgres(
    connection: BaseDBAsyncClient, batches: list[tuple[Delivery, dict[str, str]]]
) -> int:
    """The same in one statement (`_ENQUEUE`): the domain checks, the rows and the NOTIFY."""
    which = [n for n, (_, targets) in enumerate(batches, start=1) for _ in targets]
    answered = await connection.execute_query_dict(
        _ENQUEUE,
        [
            [json.dumps(column_values(template), default=str) for template, _ in batches],
            [new_id() for _ in which],
            [inbox for _, targets in batches for inbox in targets],
            [domain for _, targets in batches for domain in targets.values()],
            which,
            DomainBlockSeverity.SUSPEND.value,
        ],
    )
    queued = int(answered[0]["queued"])
    if queued:
        wake.wake_here(wake.DELIVERY)  # other processes hear the statement's NOTIFY
    return queued


# One row per target, from its template row (the `which`th of $1) with its own id, inbox and
# domain, unless the domain (or its host without the port) is suspended or unavailable; NOTIFY
# when any is queued.
_ENQUEUE: Final = f"""
WITH queued AS (
    INSERT INTO "delivery"
    SELECT row.* FROM unnest($2::text[], $3::text[], $4::text[], $5::int[])
            AS target(id, inbox, domain, which),
        jsonb_populate_record(NULL::"delivery", ($1::jsonb[])[target.which] || jsonb_build_object(
            'id', target.id, 'inbox_url', target.inbox, 'domain', target.domain)) AS row
    WHERE NOT EXISTS (
        SELECT 1 FROM "domain_block" WHERE "severity" = $6
        AND "domain" IN (target.domain, split_part(target.domain, ':', 1))
    ) AND NOT EXISTS (
        SELECT 1 FROM "domain_health"
        WHERE "domain" = target.domain AND "unavailable_since" IS NOT NULL
    )
    RETURNING 1
)
SELECT count(*) AS queued,
    (SELECT {wake.NOTIFY_DELIVERY}::text WHERE EXISTS (SELECT 1 FROM queued)) AS woken
FROM queued
"""  # noqa: S608 (only the constants above are formatted in)
