"""The delivery worker: claims due rows with a lease, signs and POSTs them, records the result.

Claiming uses `FOR UPDATE SKIP LOCKED` on PostgreSQL, so any number of workers share the queue
without sending a row twice; SQLite serialises writers, and one worker per SQLite database is the
supported shape. A worker killed mid-send leaves its rows leased; they are sent again once the
lease runs out, which is why receivers must (and real servers do) ignore duplicate activity ids.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from tortoise import Tortoise
from tortoise.expressions import F, Q

from federation.delivery.policy import Outcome, Verdict, decide
from server.models import Actor, Delivery, DeliveryState, DomainHealth, utcnow

log = logging.getLogger("lyceum.delivery")

SignerFactory = Callable[[Actor], httpx.Auth]


@dataclass(frozen=True)
class Attempt:
    row: Delivery
    status: int | None
    outcome: Outcome


UNAVAILABLE_AFTER = timedelta(days=2)
DEFAULT_TIMEOUT = httpx.Timeout(30, connect=5, read=10)
ACTIVITY_CONTENT_TYPE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


class DeliveryWorker:
    def __init__(
        self,
        client: httpx.AsyncClient,
        signer: SignerFactory,
        *,
        batch_size: int = 200,
        per_domain_concurrency: int = 8,
        lease: timedelta = timedelta(seconds=90),
        poll_interval: float = 1.0,
        allow_http: bool = False,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self.client = client
        self.signer = signer
        self.batch_size = batch_size
        self.lease = lease
        self.poll_interval = poll_interval
        self.allow_http = allow_http
        self.timeout = timeout
        self._domain_slots: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(per_domain_concurrency)
        )
        self._signers: dict[str, httpx.Auth] = {}
        self._healthy: set[str] = set()
        self.wake = asyncio.Event()

    async def run_once(self) -> int:
        """Send one batch of due rows; return how many were attempted."""
        rows = await self._claim()
        if rows:
            results = await asyncio.gather(*(self._deliver(row) for row in rows))
            await self._record_batch(results)
        return len(rows)

    async def run_until_stopped(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                sent = await self.run_once()
            except Exception:
                log.exception("delivery batch failed; retrying after a pause")
                sent = 0
            if sent == 0:
                self.wake.clear()
                waiters = [
                    asyncio.ensure_future(stop.wait()),
                    asyncio.ensure_future(self.wake.wait()),
                ]
                await asyncio.wait(
                    waiters, timeout=self.poll_interval, return_when=asyncio.FIRST_COMPLETED
                )
                for waiter in waiters:
                    waiter.cancel()

    async def _claim(self) -> list[Delivery]:
        now = utcnow()
        lease_until = now + self.lease
        connection = Tortoise.get_connection("default")
        if connection.capabilities.dialect == "postgres":
            # execute_query_dict: Tortoise's execute_query drops the rows of an UPDATE … RETURNING.
            rows = await connection.execute_query_dict(
                'UPDATE "delivery" SET "lease_until" = $1 WHERE "id" IN ('
                ' SELECT "id" FROM "delivery" WHERE "state" = $2 AND "next_attempt_at" <= $3'
                ' AND ("lease_until" IS NULL OR "lease_until" < $3)'
                ' ORDER BY "next_attempt_at" LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING "id"',
                [lease_until, DeliveryState.QUEUED.value, now, self.batch_size],
            )
            ids = [row["id"] for row in rows]
        else:
            due = Delivery.filter(
                Q(lease_until__isnull=True) | Q(lease_until__lt=now),
                state=DeliveryState.QUEUED,
                next_attempt_at__lte=now,
            )
            ids = list(
                await due.order_by("next_attempt_at")
                .limit(self.batch_size)
                .values_list("id", flat=True)
            )
            if ids:
                await Delivery.filter(id__in=ids).update(lease_until=lease_until)
        if not ids:
            return []
        return list(await Delivery.filter(id__in=ids))

    async def _deliver(self, row: Delivery) -> Attempt:
        async with self._domain_slots[row.domain]:
            status: int | None = None
            retry_after: str | None = None
            error = ""
            try:
                if not self.allow_http and not row.inbox_url.startswith("https://"):
                    raise ValueError(
                        "plain http inboxes are refused (LYCEUM_FEDERATION_ALLOW_HTTP)"
                    )
                auth = await self._signer_for(row.signer_id)
                response = await self.client.post(
                    row.inbox_url,
                    content=row.payload.encode(),
                    headers={
                        "Content-Type": ACTIVITY_CONTENT_TYPE,
                        "Accept": "application/activity+json",
                    },
                    auth=auth,
                    timeout=self.timeout,
                )
                status = response.status_code
                retry_after = response.headers.get("retry-after")
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
            except Exception as exc:  # a refused address, a bad URL or key: retrying cannot help
                error = f"{type(exc).__name__}: {exc}"[:500]
                status = 0
            attempts = row.attempts + 1
            return Attempt(row, status, decide(status, attempts, utcnow(), retry_after, error))

    async def _signer_for(self, actor_id: str) -> httpx.Auth:
        auth = self._signers.get(actor_id)
        if auth is None:
            actor = await Actor.get(id=actor_id)
            auth = self._signers[actor_id] = self.signer(actor)
        return auth

    async def _record_batch(self, results: list[Attempt]) -> None:
        """Write a batch's outcomes: successes in one UPDATE per status, the rest one by one."""
        now = utcnow()
        done: defaultdict[int | None, list[str]] = defaultdict(list)
        for result in results:
            if result.outcome.verdict == Verdict.DONE:
                done[result.status].append(result.row.id)
            else:
                await self._record_failure(result, now)
        for status, ids in done.items():
            await Delivery.filter(id__in=ids).update(
                state=DeliveryState.DONE,
                finished_at=now,
                last_status=status,
                last_error="",
                lease_until=None,
                attempts=F("attempts") + 1,
            )
        for domain in {r.row.domain for r in results if r.outcome.verdict == Verdict.DONE}:
            await self._domain_succeeded(domain)
        for domain in {r.row.domain for r in results if r.outcome.verdict == Verdict.RETRY}:
            await self._domain_failed(domain)

    async def _record_failure(self, result: Attempt, now: datetime) -> None:
        changes: dict[str, object] = {
            "attempts": result.row.attempts + 1,
            "last_status": result.status,
            "lease_until": None,
            "last_error": result.outcome.reason,
        }
        if result.outcome.verdict == Verdict.FINAL:
            changes.update(state=DeliveryState.FAILED, finished_at=now)
        else:
            changes.update(next_attempt_at=result.outcome.next_attempt_at)
        await Delivery.filter(id=result.row.id).update(**changes)

    async def _domain_succeeded(self, domain: str) -> None:
        if domain in self._healthy:
            return
        health, _ = await DomainHealth.get_or_create(domain=domain)
        health.first_failure_at = None
        health.unavailable_since = None
        health.last_success_at = utcnow()
        await health.save()
        self._healthy.add(domain)

    async def _domain_failed(self, domain: str) -> None:
        self._healthy.discard(domain)
        now = utcnow()
        health, _ = await DomainHealth.get_or_create(domain=domain)
        if health.first_failure_at is None:
            health.first_failure_at = now
            await health.save(update_fields=["first_failure_at"])
        elif (
            health.unavailable_since is None and now - health.first_failure_at >= UNAVAILABLE_AFTER
        ):
            health.unavailable_since = now
            await health.save(update_fields=["unavailable_since"])
            await Delivery.filter(domain=domain, state=DeliveryState.QUEUED).update(
                state=DeliveryState.FAILED,
                finished_at=now,
                last_error="domain unavailable: failing for over two days",
                lease_until=None,
            )
            log.warning(
                "marked %s unavailable after failing since %s", domain, health.first_failure_at
            )


async def mark_domain_alive(domain: str) -> None:
    """A domain that contacts us is reachable again: deliveries to it resume."""
    await DomainHealth.filter(domain=domain.lower(), unavailable_since__isnull=False).update(
        unavailable_since=None, first_failure_at=None
    )
