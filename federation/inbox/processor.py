"""The inbox worker: claims stored activities with a lease, parses, dispatches, records.

The inbox only checks and stores (STYLE 3); the work happens here, later. Claiming a row sets
its lease and counts the attempt at once (so a try whose outcome is never recorded still
counts); the lease is renewed while the worker holds the row (`Leases`). Each row ends in one
of four ways, written on the row:
- handled: `processed_at` set, `error` empty;
- dropped on purpose (unsupported type, refused follow, not a member, unreadable…):
  `processed_at` set, `error` holds the reason, and an INFO line names the sender's host and
  the reason (at most one a minute per host);
- failed unexpectedly: the row is leased away for a backoff with the error, and tried again;
- dead: after `MAX_ATTEMPTS` failed tries (or that many claims whose outcome was never
  recorded), `dead_at` is set with the error; the admin panel lists it and can retry it.

Every row is handled in its own try, and its outcome written with its text made storable first:
one row that fails, or whose recording fails, never stops the others of its batch.

Claiming mirrors the delivery worker: `FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers share
the rows; one worker per SQLite database. An idle worker wakes when rows are stored
(`wake.notify_inbox`), else at its poll. Domain services are idempotent for the activities we
handle (a post or reaction id stored once, a membership asked for twice), so a row processed
again after a crash changes nothing twice.

Batches (`bench/inbox.py --end-to-end`): a worker claims up to `batch_size` rows at once, stores
the ordinary posts leading the batch's chains all at once (`bulk`: a few statements for the
batch instead of a dozen a post), handles the other rows one by one, and records their outcomes
together at the end, one UPDATE for all the rows closed with the same
reason (each row on its own again if that UPDATE fails). On PostgreSQL it handles up to
`concurrency` rows at once, each in its own transactions: the rows of a batch are split into
chains (`chains.split`), the rows that share an actor or any id (the activity's, its object's,
what it replies to…) in one chain, handled one after the other in the order they arrived; so a
Create and its Delete, or a Follow and its Undo, are applied in order, while unrelated
activities wait on no one. A row that fails on a conflict with a row handled at the same time
(a unique key taken meanwhile, a deadlock) is handled once more at once, in its place.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import NamedTuple, Protocol
from urllib.parse import urlsplit

import httpx
from tortoise import Tortoise
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.expressions import Q

from federation.delivery import wake
from federation.fetch import Fetcher
from federation.inbox._software import note_software
from federation.inbox.actors import RemoteActors
from federation.inbox.bulk import take_ordinary_posts
from federation.inbox.chains import split
from federation.inbox.context import Dropped, InboxContext, block_of
from federation.inbox.dispatch import dispatch
from federation.inbox.memo import MEMO_KEEPING_TYPES, BatchMemo
from federation.inbox.readable import ERROR_MAX_CHARS, read_rows
from federation.inbox.refusals import log_refusal
from server.leases import Leases
from server.models import Actor, DomainBlockSeverity, InboxActivity, utcnow
from server.services import domain_blocks
from server.services.errors import DomainError
from server.settings import Settings
from server.text import storable

__all__ = ["MAX_ATTEMPTS", "BatchMemo", "InboxProcessor", "InboxRuntime"]

log = logging.getLogger("lyceum.inbox")

MAX_ATTEMPTS = 5
CONCURRENCY = 4  # rows a worker handles at once on PostgreSQL (Tortoise's pool holds 5)


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
        concurrency: int | None = None,
        lease: timedelta = timedelta(seconds=20),
        poll_interval: float = 1.0,
    ) -> None:
        """`concurrency`: rows handled at once; by default `CONCURRENCY` on PostgreSQL, 1 on
        SQLite (one connection: rows handled at once would only wait for each other)."""
        self.runtime = runtime
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.lease = lease
        self.poll_interval = poll_interval
        self.leases = Leases(InboxActivity, lease, processed_at__isnull=True, dead_at__isnull=True)
        self.wake = asyncio.Event()

    async def run_once(self) -> int:
        """Process one batch of waiting activities, oldest first; return how many."""
        async with self.leases.kept():
            rows = await self._claim()
            memo = BatchMemo(readings=read_rows(rows))
            chains = split(rows, {row.id: memo.readings[row.id].document for row in rows})
            taken = await take_ordinary_posts(
                self.runtime.settings, self._actors(), self.runtime.fetcher, chains, memo
            )
            outcomes = dict.fromkeys(taken, Outcome("", failed=False))
            concurrency = self.concurrency or _default_concurrency()
            slots = asyncio.Semaphore(concurrency)

            async def follow(chain: list[InboxActivity]) -> None:
                async with slots:
                    for row in chain:
                        if row.id not in taken:  # the taken rows lead their chains
                            outcomes[row.id] = await self._outcome(
                                row, retry=concurrency > 1, memo=memo
                            )

            await asyncio.gather(*(follow(chain) for chain in chains))
            await self._record([(row, outcomes[row.id]) for row in rows])
        return len(rows)

    async def run_until_stopped(self, stop: asyncio.Event) -> None:
        with wake.subscribed(wake.INBOX, self.wake):
            while not stop.is_set():
                self.wake.clear()
                try:
                    done = await self.run_once()
                except Exception:
                    log.exception("inbox batch failed; retrying after a pause")
                    done = 0
                if done == 0:
                    waiters = [
                        asyncio.ensure_future(stop.wait()),
                        asyncio.ensure_future(self.wake.wait()),
                    ]
                    await asyncio.wait(
                        waiters, timeout=self.poll_interval, return_when=asyncio.FIRST_COMPLETED
                    )
                    for waiter in waiters:
                        waiter.cancel()

    async def process(self, row: InboxActivity) -> str:
        """Handle one stored activity and record the outcome; returns the recorded reason.

        Never raises: a failure is recorded on the row, and a failure to record is logged (the
        row's lease runs out and its next claim counts the attempt)."""
        outcome = await self._outcome(row)
        await self._record([(row, outcome)])
        return outcome.reason

    async def _outcome(
        self, row: InboxActivity, *, retry: bool = False, memo: BatchMemo | None = None
    ) -> Outcome:
        """Handle the row; what to record. With `retry`, a failure on a conflict with work done
        at the same time (whose transaction was rolled back whole) is handled once more."""
        memo = memo or BatchMemo()
        failed = False
        try:
            try:
                reason = await self._handle(row, memo)
            except (IntegrityError, OperationalError) as error:
                if not (retry and _is_conflict(error)):
                    raise
                log.info("inbox activity %r met a concurrent change; once more", row.ap_id)
                memo.forget()
                reason = await self._handle(row, memo)
        except Exception as error:
            log.exception("inbox activity %r failed", row.ap_id)
            reason = f"failed: {type(error).__name__}: {error}"
            failed = True
        if row.activity_type not in MEMO_KEEPING_TYPES:
            memo.forget()  # it may have changed an actor or a group: the next rows read again
        reason = storable(reason)[:ERROR_MAX_CHARS]
        if reason and not failed:
            log_refusal(_sender_host(row), f"dropped by the worker: {reason}")
        return Outcome(reason, failed)

    async def _record(self, outcomes: list[tuple[InboxActivity, Outcome]]) -> None:
        """Write the outcomes: the rows closed with the same reason in one UPDATE (each on its
        own if that fails), a failed row on its own. A write that fails is logged and costs
        only its row: its lease runs out, and its next claim counts the attempt."""
        now = utcnow()
        closed: dict[str, list[str]] = {}
        single: list[tuple[str, dict[str, object]]] = []
        for row, outcome in outcomes:
            self.leases.release(row.id)
            if not outcome.failed:
                closed.setdefault(outcome.reason, []).append(row.id)
                continue
            changes: dict[str, object] = {"error": outcome.reason, "lease_until": None}
            if row.attempts < MAX_ATTEMPTS:
                changes["lease_until"] = now + timedelta(minutes=2 ** max(row.attempts, 1))
            else:
                changes["dead_at"] = now
            single.append((row.id, changes))
        for reason, ids in closed.items():
            changes = {"error": reason, "lease_until": None, "processed_at": now}
            if len(ids) == 1:
                single.append((ids[0], changes))
                continue
            try:
                await InboxActivity.filter(id__in=ids).update(**changes)
            except Exception:
                log.warning("could not record %d inbox outcomes at once; one by one", len(ids))
                single.extend((row_id, changes) for row_id in ids)
        for row_id, changes in single:
            try:
                await InboxActivity.filter(id=row_id).update(**changes)
            except Exception:
                log.exception("could not record the outcome of inbox activity %s", row_id)

    async def _handle(self, row: InboxActivity, memo: BatchMemo) -> str:
        activity = memo.activity(row)
        if isinstance(activity, str):
            return activity
        settings = self.runtime.settings
        actors = self._actors()
        actor = memo.actors.get(activity.actor) or await actors.resolve(activity.actor)
        if actor is None:
            return f"unknown actor: {actors.problem or activity.actor}"[:ERROR_MAX_CHARS]
        memo.actors[activity.actor] = actor
        # The sender's domain is asked about again (a limited server's posts are held): one
        # look serves the whole batch.
        with domain_blocks.remembering(memo.blocks):
            if await block_of(actor.domain) == DomainBlockSeverity.SUSPEND:
                return f"refused: the domain {actor.domain} is blocked"
            await note_software(self.runtime.fetcher, actor)
            try:
                await dispatch(InboxContext(settings, actors, actor, memo.groups), activity)
            except Dropped as dropped:
                return str(dropped)[:ERROR_MAX_CHARS]
            except DomainError as refusal:
                return f"refused: {refusal.message}"[:ERROR_MAX_CHARS]
        return ""

    def _actors(self) -> RemoteActors:
        return RemoteActors(
            self.runtime.fetcher,
            self.runtime.signer_for,
            local_base_url=self.runtime.settings.base_url,
        )

    async def _claim(self) -> list[InboxActivity]:
        now = utcnow()
        ids = await self.leases.claim(
            Q(processed_at__isnull=True, dead_at__isnull=True),
            sql='"processed_at" IS NULL AND "dead_at" IS NULL',
            args=[],
            order_by="created_at",
            limit=self.batch_size,
            max_attempts=MAX_ATTEMPTS,
            give_up={"dead_at": now},
            reason_field="error",
        )
        if not ids:
            return []
        return list(await InboxActivity.filter(id__in=ids).order_by("created_at"))


class Outcome(NamedTuple):
    reason: str  # empty when handled; why it was dropped, or how it failed
    failed: bool


def _default_concurrency() -> int:
    connection = Tortoise.get_connection("default")
    return CONCURRENCY if connection.capabilities.dialect == "postgres" else 1


def _is_conflict(error: Exception) -> bool:
    """A unique key taken by a transaction that committed meanwhile, a deadlock or a
    serialization failure (PostgreSQL's SQLSTATE 23505, 40P01, 40001)."""
    cause: BaseException | None = error
    while cause is not None:
        if getattr(cause, "sqlstate", None) in ("23505", "40P01", "40001"):
            return True
        cause = cause.__cause__ or cause.__context__
    return isinstance(error, IntegrityError)


def _sender_host(row: InboxActivity) -> str:
    try:
        host = urlsplit(row.origin or row.actor_ap_id).hostname
    except ValueError:  # an unparsable actor id
        host = None
    return host or "an unknown host"
