"""Writing outgoing activities into the delivery queue, inside the caller's transaction.

One row per (activity, inbox); inboxes are de-duplicated (followers on one server share its
shared inbox), and nothing is queued for suspended or unavailable domains. Idle workers are
woken at once (`wake`): in this process now, in other processes when the transaction commits.

On PostgreSQL all of it is one statement (`_enqueue_statement`): a post Announced to a group's
followers costs one round trip however many servers follow it, and so do many activities at
once (`enqueue_many`). On SQLite (no round trips) the domains are read first and the rows written
with one prepared INSERT.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from typing import Any
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
    batches: list[tuple[dict[str, Any], str, dict[str, str]]] = []
    for activity, signer_id, inboxes in items:
        targets: dict[str, str] = {}
        for inbox in inboxes:
            domain = _domain_of(inbox) if inbox else ""
            if domain:
                targets.setdefault(inbox, domain)
        if targets:
            batches.append((activity, signer_id, targets))
    if not batches:
        return 0
    connection = Tortoise.get_connection("default")  # the caller's transaction, if in one
    if connection.capabilities.dialect == "postgres":
        return await _enqueue_postgres(connection, batches)
    templates = [(_template(activity, signer), targets) for activity, signer, targets in batches]
    domains = {domain for _, targets in templates for domain in targets.values()}
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
        for template, targets in templates
        for inbox, domain in targets.items()
        if domain not in blocked
        and domain.split(":")[0] not in blocked
        and domain not in unavailable
    ]
    if kept:
        await _insert_sqlite(connection, kept)
        await wake.notify_delivery()
    return len(kept)


@functools.lru_cache(maxsize=16_384)
def _domain_of(inbox: str) -> str:
    """The inbox's host[:port] in lower case, "" when it has no host. Remembered: a group's
    followers' inboxes come again with each of its posts (parsing them twice was about a
    tenth of queueing an Announce to 21 inboxes)."""
    parts = urlsplit(inbox)
    return parts.netloc.lower() if parts.hostname else ""


def _template(activity: dict[str, Any], signer_id: str) -> Delivery:
    """The activity's row but for its id, inbox and domain (every row of it is this one)."""
    return Delivery(
        activity_id=str(activity.get("id", "")),
        payload=_payload(activity),
        signer_id=signer_id,
        inbox_url="",
        domain="",
        next_attempt_at=utcnow(),
    )


def _payload(activity: dict[str, Any]) -> str:
    return json.dumps(activity, ensure_ascii=False, separators=(",", ":"))


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
    connection: BaseDBAsyncClient, batches: list[tuple[dict[str, Any], str, dict[str, str]]]
) -> int:
    """The same in one statement (`_enqueue_statement`): the domain checks, the rows and the
    NOTIFY. Each activity's row goes once, as a template its targets' rows copy; the columns
    all activities share are converted once (one model object for the call, not one each)."""
    shared = column_values(_template({}, ""))
    templates = [
        {
            **shared,
            "activity_id": str(activity.get("id", "")),
            "payload": _payload(activity),
            "signer_id": signer,
        }
        for activity, signer, _ in batches
    ]
    which = [n for n, (_, _, targets) in enumerate(batches, start=1) for _ in targets]
    answered = await connection.execute_query_dict(
        _enqueue_statement(),
        [
            json.dumps(templates, default=str),
            [new_id() for _ in which],
            [inbox for _, _, targets in batches for inbox in targets],
            [domain for _, _, targets in batches for domain in targets.values()],
            which,
            DomainBlockSeverity.SUSPEND.value,
        ],
    )
    queued = int(answered[0]["queued"])
    if queued:
        wake.wake_here(wake.DELIVERY)  # other processes hear the statement's NOTIFY
    return queued


@functools.cache
def _enqueue_statement() -> str:
    """One row per target, from its template row (the `which`th of $1) with its own id, inbox
    and domain, unless the domain (or its host without the port) is suspended or unavailable;
    NOTIFY when any is queued. (Each template is read once: read again for each of its targets,
    as one jsonb array element each, it cost the database about 0.1 ms more a post Announced
    to 21 inboxes: `bench.inbox --handling`.)"""
    columns = list(Delivery._meta.fields_db_projection.values())
    own = {"id": "target.id", "inbox_url": "target.inbox", "domain": "target.domain"}
    values = ", ".join(own.get(column, f'template."{column}"') for column in columns)
    names = ", ".join(f'"{column}"' for column in columns)
    return f"""
WITH queued AS (
    INSERT INTO "delivery" ({names})
    SELECT {values}
    FROM unnest($2::text[], $3::text[], $4::text[], $5::int[])
            AS target(id, inbox, domain, which)
        JOIN jsonb_populate_recordset(NULL::"delivery", $1::jsonb) WITH ORDINALITY AS template
            ON template.ordinality = target.which
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
"""  # noqa: S608 (only the model's column names and the constants above are formatted in)
