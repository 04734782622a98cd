"""The inbox worker: claims stored activities with a lease, parses, dispatches, records.

The inbox only checks and stores (STYLE 3); the work happens here, later. Each row ends in one
of three ways, written on the row:
- handled: `processed_at` set, `error` empty;
- dropped on purpose (unsupported type, refused follow, not a member, unreadable…):
  `processed_at` set, `error` holds the reason;
- failed unexpectedly: `attempts` counts up and the row is leased away for a backoff, until
  `MAX_ATTEMPTS`, after which it is closed with the error.

Claiming mirrors the delivery worker: `FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers share
the rows; one worker per SQLite database. Domain services are idempotent for the activities we
handle (a post or reaction id stored once, a membership asked for twice), so a row processed
again after a crash changes nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Protocol

import httpx
from tortoise import Tortoise
from tortoise.expressions import Q

from federation import jsondoc
from federation.fetch import Fetcher
from federation.inbox._software import note_software
from federation.inbox.actors import RemoteActors
from federation.inbox.context import Dropped, InboxContext, block_of
from federation.inbox.dispatch import dispatch
from federation.inbox.parse import ParseError, parse_activity
from server.models import Actor, DomainBlockSeverity, InboxActivity, utcnow
from server.services.errors import DomainError
from server.settings import Settings

__all__ = ["MAX_ATTEMPTS", "InboxProcessor", "InboxRuntime"]

log = logging.getLogger("lyceum.inbox")

MAX_ATTEMPTS = 5
ERROR_MAX_CHARS = 1000


class InboxRuntime(Protocol):
    """What the processor needs from `FederationRuntime`."""

    settings: Settings
    fetcher: Fetcher

    def signer_for(self, actor: Actor) -> httpx.Auth: ...


class InboxProcessor:
    def __init__(
        self,
        runtime: InboxRuntime,
        *,
        batch_size: int = 50,
        lease: timedelta = timedelta(seconds=120),
        poll_interval: float = 1.0,
    ) -> None:
        self.runtime = runtime
        self.batch_size = batch_size
        self.lease = lease
        self.poll_interval = poll_interval

    async def run_once(self) -> int:
        """Process one batch of waiting activities, oldest first; return how many."""
        rows = await self._claim()
        for row in rows:
            await self.process(row)
        return len(rows)

    async def run_until_stopped(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                done = await self.run_once()
            except Exception:
                log.exception("inbox batch failed; retrying after a pause")
                done = 0
            if done == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.poll_interval)

    async def process(self, row: InboxActivity) -> str:
        """Handle one stored activity and record the outcome; returns the recorded reason."""
        attempts = row.attempts + 1
        try:
            reason = await self._handle(row)
        except Exception as error:
            log.exception("inbox activity %s failed", row.ap_id)
            reason = f"failed: {type(error).__name__}: {error}"[:ERROR_MAX_CHARS]
            if attempts < MAX_ATTEMPTS:
                backoff = timedelta(minutes=2**attempts)
                await InboxActivity.filter(id=row.id).update(
                    attempts=attempts, lease_until=utcnow() + backoff, error=reason
                )
                return reason
        await InboxActivity.filter(id=row.id).update(
            attempts=attempts, processed_at=utcnow(), lease_until=None, error=reason
        )
        return reason

    async def _handle(self, row: InboxActivity) -> str:
        try:
            activity = parse_activity(jsondoc.loads(row.payload))
        except (ParseError, ValueError) as error:
            return f"unreadable: {error}"[:ERROR_MAX_CHARS]
        settings = self.runtime.settings
        actors = RemoteActors(
            self.runtime.fetcher, self.runtime.signer_for, local_base_url=settings.base_url
        )
        actor = await actors.resolve(activity.actor)
        if actor is None:
            return f"unknown actor: {actors.problem or activity.actor}"[:ERROR_MAX_CHARS]
        if await block_of(actor.domain) == DomainBlockSeverity.SUSPEND:
            return f"refused: the domain {actor.domain} is blocked"
        await note_software(self.runtime.fetcher, actor)
        try:
            await dispatch(InboxContext(settings, actors, actor), activity)
        except Dropped as dropped:
            return str(dropped)[:ERROR_MAX_CHARS]
        except DomainError as refusal:
            return f"refused: {refusal.message}"[:ERROR_MAX_CHARS]
        return ""

    async def _claim(self) -> list[InboxActivity]:
        now = utcnow()
        lease_until = now + self.lease
        connection = Tortoise.get_connection("default")
        if connection.capabilities.dialect == "postgres":
            rows = await connection.execute_query_dict(
                'UPDATE "inbox_activity" SET "lease_until" = $1 WHERE "id" IN ('
                ' SELECT "id" FROM "inbox_activity" WHERE "processed_at" IS NULL'
                ' AND ("lease_until" IS NULL OR "lease_until" < $2)'
                ' ORDER BY "created_at" LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING "id"',
                [lease_until, now, self.batch_size],
            )
            ids = [row["id"] for row in rows]
        else:
            due = InboxActivity.filter(
                Q(lease_until__isnull=True) | Q(lease_until__lt=now), processed_at__isnull=True
            )
            ids = list(
                await due.order_by("created_at").limit(self.batch_size).values_list("id", flat=True)
            )
            if ids:
                await InboxActivity.filter(id__in=ids).update(lease_until=lease_until)
        if not ids:
            return []
        return list(await InboxActivity.filter(id__in=ids).order_by("created_at"))
