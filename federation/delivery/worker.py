"""The delivery worker: claims due rows with a lease, signs and POSTs them, records each result.

A row's life: `queued` (due at `next_attempt_at`) → claimed: `lease_until` set and `attempts`
counted up at once, so a try whose outcome is never recorded still counts → sent → its outcome
recorded on the row the moment it is known: `done`, or `queued` again after a backoff, or
`failed` with the reason (a final refusal, `MAX_ATTEMPTS` tries, or a row that reached them
without a recorded outcome: given up at its next claim). Failed rows are the admin panel's
"given up" list, from where an admin can queue them again.

Every row is recorded on its own, in its own try: one row whose sending or recording fails
never stops the others, and text written back is made storable first. Successes that complete
while the previous ones are being written go together in one UPDATE.

A worker holds at most `concurrency` rows: it claims only what it is about to send and claims
more as slots free up, renewing the leases of the rows it holds (`Leases`), so the lease can be
short. A worker killed mid-send leaves at most those rows leased; they are sent again once the
lease runs out, which is why receivers must (and real servers do) ignore duplicate activity ids.

Claiming uses `FOR UPDATE SKIP LOCKED` on PostgreSQL, so any number of workers share the queue
without sending a row twice; SQLite serialises writers, and one worker per SQLite database is the
supported shape. An idle worker wakes at once when rows are queued (`wake`), else at its poll.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from tortoise.expressions import Q

from federation.delivery import wake
from federation.delivery.policy import MAX_ATTEMPTS, Outcome, Verdict, decide
from federation.delivery.sender import HttpxSender, Sender
from federation.fetch.errors import Unreachable
from server.leases import Leases
from server.metrics import DELIVERY_ATTEMPTS
from server.models import Actor, Delivery, DeliveryState, DomainHealth, utcnow
from server.text import storable

log = logging.getLogger("lyceum.delivery")

SignerFactory = Callable[[Actor], httpx.Auth]


@dataclass(frozen=True, slots=True)
class Claimed:
    """What the worker needs of a claimed `Delivery` row: its columns as the claim left them,
    read by the claim itself (no model object per row)."""

    id: str
    payload: str
    signer_id: str
    inbox_url: str
    domain: str
    attempts: int


CLAIMED_COLUMNS = ("id", "payload", "signer_id", "inbox_url", "domain", "attempts")


@dataclass(frozen=True, slots=True)
class Attempt:
    row: Claimed
    status: int | None
    outcome: Outcome


UNAVAILABLE_AFTER = timedelta(days=2)
DEFAULT_TIMEOUT = httpx.Timeout(30, connect=5, read=10)
DEFAULT_CONCURRENCY = 128  # LYCEUM_DELIVERY_CONCURRENCY
BODY_CACHE_SIZE = 256
DEFAULT_LEASE = timedelta(seconds=20)
START_GROUP = 16  # rows started before the loop turns once (post → first delivery)
ERROR_MAX_CHARS = 500
_COUNTED = {verdict: DELIVERY_ATTEMPTS.labels(verdict.value) for verdict in Verdict}


class DeliveryWorker:
    def __init__(
        self,
        client: httpx.AsyncClient | Sender,
        signer: SignerFactory,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        per_domain_concurrency: int = 8,
        lease: timedelta = DEFAULT_LEASE,
        poll_interval: float = 1.0,
        allow_http: bool = False,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self.sender = HttpxSender(client) if isinstance(client, httpx.AsyncClient) else client
        self.signer = signer
        self.concurrency = concurrency
        self.lease = lease
        self.poll_interval = poll_interval
        self.allow_http = allow_http
        self.timeout = timeout
        self._domain_slots: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(per_domain_concurrency)
        )
        self._signers: dict[str, asyncio.Future[httpx.Auth]] = {}  # by signing actor's id
        self._bodies: dict[str, bytes] = {}  # payload -> its bytes, encoded once
        self._healthy: set[str] = set()
        self._done: list[tuple[Attempt, asyncio.Future[None]]] = []  # successes to write
        self._writing_done = False
        self.leases = Leases(Delivery, lease, state=DeliveryState.QUEUED)
        self.wake = asyncio.Event()

    async def run_once(self) -> int:
        """Claim up to `concurrency` due rows, send them, record each as it completes; return
        how many were attempted."""
        async with self.leases.kept():
            rows = await self._claim(self.concurrency)
            await asyncio.gather(*(self._work(row) for row in rows))
        return len(rows)

    async def run_until_stopped(self, stop: asyncio.Event) -> None:
        """Keep up to `concurrency` rows in flight, claiming more as they complete, until `stop`;
        then finish the rows in flight (cancelled instead, it drops them, leased)."""
        in_flight: set[asyncio.Task[None]] = set()
        refill = max(1, self.concurrency // 4)  # claim in chunks, not one query per row
        with wake.subscribed(wake.DELIVERY, self.wake):
            async with self.leases.kept():
                try:
                    while not stop.is_set():
                        free = self.concurrency - len(in_flight)
                        self.wake.clear()
                        try:
                            rows = await self._claim(free)
                        except Exception:
                            log.exception("claiming deliveries failed; retrying after a pause")
                            rows = []
                        for n, row in enumerate(rows):
                            if n and n % START_GROUP == 0:
                                # Let the rows started reach the wire while the next are
                                # signed: each is signed before its first wait, and a whole
                                # claim signed in one go kept the first POST back (and the
                                # receivers idle) for as long as signing all of them took.
                                await asyncio.sleep(0)
                            task = asyncio.create_task(self._work(row))
                            in_flight.add(task)
                            task.add_done_callback(in_flight.discard)
                        if rows and len(rows) == free:  # there may be more: claim as slots free
                            while self.concurrency - len(in_flight) < refill:
                                await _first_of(stop, *in_flight)
                                if stop.is_set():
                                    break
                        else:
                            await _first_of(stop, self.wake, at_most=self.poll_interval)
                except asyncio.CancelledError:  # killed, not stopped: leave the rows leased
                    for task in in_flight:
                        task.cancel()
                    raise
                if in_flight:
                    await asyncio.gather(*in_flight, return_exceptions=True)

    async def _claim(self, limit: int) -> list[Claimed]:
        if limit <= 0:
            return []
        now = utcnow()
        rows = await self.leases.claim_rows(
            Q(state=DeliveryState.QUEUED, next_attempt_at__lte=now),
            sql='"state" = $3 AND "next_attempt_at" <= $4',
            args=[DeliveryState.QUEUED.value, now],
            order_by="next_attempt_at",
            limit=limit,
            max_attempts=MAX_ATTEMPTS,
            give_up={"state": DeliveryState.FAILED, "finished_at": now},
            reason_field="last_error",
            columns=CLAIMED_COLUMNS,
        )
        return [
            Claimed(
                str(row["id"]),
                row["payload"],
                str(row["signer_id"]),
                row["inbox_url"],
                row["domain"],
                int(row["attempts"]),
            )
            for row in rows
        ]

    async def _work(self, row: Claimed) -> None:
        """Send one row and record its outcome; never raises."""
        try:
            attempt = await self._deliver(row)
        except Exception as error:  # a bug outside the send's own handling: retry later
            log.exception("delivery %s failed unexpectedly", row.id)
            reason = f"{type(error).__name__}: {error}"[:ERROR_MAX_CHARS]
            attempt = Attempt(row, None, decide(None, row.attempts, utcnow(), error=reason))
        _COUNTED[attempt.outcome.verdict].inc()
        if attempt.outcome.verdict == Verdict.DONE:
            await self._record_done(attempt)
        else:
            await self._record_failure(attempt)

    async def _deliver(self, row: Claimed) -> Attempt:
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
                sent = await self.sender.post(row.inbox_url, self._body(row), auth, self.timeout)
                status, retry_after = sent.status, sent.retry_after
            except Unreachable as exc:
                error = str(exc)[:ERROR_MAX_CHARS]
            except Exception as exc:  # a refused address, a bad URL or key: retrying cannot help
                error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX_CHARS]
                status = 0
            return Attempt(row, status, decide(status, row.attempts, utcnow(), retry_after, error))

    def _body(self, row: Claimed) -> bytes:
        """The payload as bytes, the same object for every inbox of an activity (so that its
        digest is computed once too): the rows of one fan-out carry the same payload."""
        body = self._bodies.get(row.payload)
        if body is None:
            if len(self._bodies) >= BODY_CACHE_SIZE:
                self._bodies.clear()
            body = self._bodies[row.payload] = row.payload.encode("utf-8", "surrogatepass")
        return body

    async def _signer_for(self, actor_id: str) -> httpx.Auth:
        # One lookup per signer, awaited by every delivery that needs it while it runs: a
        # fan-out's first batch starts `concurrency` deliveries at once, all by the same group.
        signer = self._signers.get(actor_id)
        if signer is None:
            signer = self._signers[actor_id] = asyncio.ensure_future(self._load_signer(actor_id))
        try:
            return await asyncio.shield(signer)  # one delivery's cancellation is not the others'
        except Exception:
            if self._signers.get(actor_id) is signer:
                del self._signers[actor_id]  # the next delivery looks again
            raise

    async def _load_signer(self, actor_id: str) -> httpx.Auth:
        return self.signer(await Actor.get(id=actor_id))

    async def _record_done(self, attempt: Attempt) -> None:
        """Write a success, together with those that complete while another write runs: the
        first to arrive writes every waiting success until none is left, one UPDATE per
        status. Each returns once its own row is written, so a worker never sends more while
        its records lag behind."""
        written = asyncio.get_running_loop().create_future()
        self._done.append((attempt, written))
        if self._writing_done:
            await written
            return
        self._writing_done = True
        try:
            while self._done:
                batch, self._done = self._done, []
                try:
                    await self._write_done([entry for entry, _ in batch])
                finally:
                    for _, waiter in batch:
                        if not waiter.done():
                            waiter.set_result(None)
        finally:
            self._writing_done = False

    async def _write_done(self, batch: list[Attempt]) -> None:
        now = utcnow()
        by_status: defaultdict[int | None, list[str]] = defaultdict(list)
        for attempt in batch:
            self.leases.release(attempt.row.id)
            by_status[attempt.status].append(attempt.row.id)
        for status, ids in by_status.items():
            try:
                await _mark_done(ids, status, now)
            except Exception:  # record them one by one, so one bad row costs only itself
                for row_id in ids:
                    try:
                        await _mark_done([row_id], status, now)
                    except Exception:
                        log.exception("could not record delivery %s as done", row_id)
        domains = {attempt.row.domain for attempt in batch} - self._healthy
        try:
            await _domains_succeeded(domains, now)
            self._healthy.update(domains)
        except Exception:
            log.exception("could not record %d domains as reachable", len(domains))

    async def _record_failure(self, attempt: Attempt) -> None:
        row, outcome = attempt.row, attempt.outcome
        self.leases.release(row.id)
        changes: dict[str, object] = {
            "last_status": attempt.status,
            "lease_until": None,
            "last_error": storable(outcome.reason),
        }
        if outcome.verdict == Verdict.FINAL:
            changes.update(state=DeliveryState.FAILED, finished_at=utcnow())
        else:
            changes.update(next_attempt_at=outcome.next_attempt_at)
        try:
            await Delivery.filter(id=row.id).update(**changes)
            if outcome.verdict == Verdict.RETRY:
                await self._domain_failed(row.domain)
        except Exception:
            # Its lease runs out and it is tried again; its attempts were counted at the claim.
            log.exception("could not record the failed delivery %s", row.id)

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


async def _domains_succeeded(domains: set[str], now: datetime) -> None:
    """Record the domains as reachable, in three statements however many there are (a
    fan-out reaches hundreds of servers at once)."""
    if not domains:
        return
    known = {
        str(domain)
        for domain in await DomainHealth.filter(domain__in=domains).values_list("domain", flat=True)
    }
    if known:
        await DomainHealth.filter(domain__in=known).update(
            first_failure_at=None, unavailable_since=None, last_success_at=now
        )
    new = [DomainHealth(domain=domain, last_success_at=now) for domain in domains - known]
    if new:  # another worker may add one meanwhile: its row says the same
        await DomainHealth.bulk_create(new, batch_size=500, ignore_conflicts=True)


async def _mark_done(ids: list[str], status: int | None, now: datetime) -> None:
    await Delivery.filter(id__in=ids).update(
        state=DeliveryState.DONE,
        finished_at=now,
        last_status=status,
        last_error="",
        lease_until=None,
    )


async def _first_of(
    *waitables: asyncio.Event | asyncio.Task[None], at_most: float | None = None
) -> None:
    """Wait until one event is set or one task is done (or `at_most` seconds pass)."""
    waiters = [
        asyncio.ensure_future(item.wait()) if isinstance(item, asyncio.Event) else item
        for item in waitables
    ]
    try:
        await asyncio.wait(waiters, timeout=at_most, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter, item in zip(waiters, waitables, strict=True):
            if waiter is not item:
                waiter.cancel()


async def mark_domain_alive(domain: str) -> None:
    """A domain that contacts us is reachable again: deliveries to it resume."""
    await DomainHealth.filter(domain=domain.lower(), unavailable_since__isnull=False).update(
        unavailable_since=None, first_failure_at=None
    )
