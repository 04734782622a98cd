"""How federation is doing, read from the delivery queue, and the admin's "retry now".

Figures (`federation_health`): the queue's depth (deliveries due now, deliveries waiting for
their retry time, received activities not yet handled), deliveries done in the last minute and
per minute over the last 15 and 60, deliveries given up in the last day, and the domains that
fail (`first_failure_at` set) or were given up on (`unavailable_since` set), each with its
queued count and the status and error of its latest failed delivery. Every figure comes from an
aggregate query; the domain tables take one query each, whatever their length.

Given up (`dead_letters`): deliveries in the `failed` state (a final refusal, or every try
used) and received activities with `dead_at` set (failed every try), most recent first, each
with its reason and attempts.

Retrying (`retry_domain`, `retry_all`) makes waiting deliveries due at once and clears the
unavailable mark, so that the worker tries again on its next round; retrying what was given up
(`retry_delivery`, `retry_inbox`, `retry_given_up`) queues it again with no attempts counted
and no lease. Each writes the audit entry `federation.retry` in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise import Tortoise
from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from server import events
from server.models import Actor, Delivery, DeliveryState, DomainHealth, InboxActivity, utcnow
from server.services import audit
from server.services.errors import NotFound

__all__ = [
    "DeadLetter",
    "DeadLetters",
    "DomainStatus",
    "FederationHealth",
    "QueueDepth",
    "Throughput",
    "dead_letters",
    "federation_health",
    "queue_depth",
    "retry_all",
    "retry_delivery",
    "retry_domain",
    "retry_given_up",
    "retry_inbox",
]

DOMAIN_LIST_LIMIT = 100  # rows shown per domain table; the totals count them all
RETRY_ACTION = "federation.retry"


@dataclass(frozen=True)
class QueueDepth:
    due: int  # queued deliveries whose time has come
    waiting: int  # queued deliveries waiting for their next try after a failure
    inbox: int  # received activities the worker has not handled yet (dead ones aside)

    @property
    def deliveries(self) -> int:
        return self.due + self.waiting

    @property
    def total(self) -> int:
        return self.due + self.waiting + self.inbox


@dataclass(frozen=True)
class Throughput:
    last_minute: int  # deliveries done in the last 60 seconds
    per_minute_15: float  # deliveries done per minute, averaged over the last 15 minutes
    per_minute_60: float  # the same over the last hour
    failed_24h: int  # deliveries given up in the last 24 hours


@dataclass(frozen=True)
class DomainStatus:
    domain: str
    first_failure_at: datetime | None
    unavailable_since: datetime | None
    last_success_at: datetime | None
    queued: int
    last_status: int | None  # of its latest failed delivery; None: no answer (network error)
    last_error: str


@dataclass(frozen=True)
class FederationHealth:
    queue: QueueDepth
    throughput: Throughput
    failing: list[DomainStatus]  # failing, not yet given up on; longest failing first
    failing_total: int
    unavailable: list[DomainStatus]  # given up on (no deliveries are queued for them)
    unavailable_total: int


async def queue_depth(now: datetime | None = None) -> QueueDepth:
    now = now or utcnow()
    counts = (
        await Delivery.filter(state=DeliveryState.QUEUED)
        .annotate(
            due=Count("id", _filter=Q(next_attempt_at__lte=now)),
            waiting=Count("id", _filter=Q(next_attempt_at__gt=now)),
        )
        .first()
        .values("due", "waiting")
    )
    inbox = await InboxActivity.filter(processed_at__isnull=True, dead_at__isnull=True).count()
    return QueueDepth(int(counts["due"] or 0), int(counts["waiting"] or 0), inbox)


async def throughput(now: datetime | None = None) -> Throughput:
    now = now or utcnow()
    done = Q(state=DeliveryState.DONE)
    counts = (
        await Delivery.filter(finished_at__gte=now - timedelta(hours=24))
        .annotate(
            m1=Count("id", _filter=done & Q(finished_at__gte=now - timedelta(minutes=1))),
            m15=Count("id", _filter=done & Q(finished_at__gte=now - timedelta(minutes=15))),
            m60=Count("id", _filter=done & Q(finished_at__gte=now - timedelta(minutes=60))),
            failed=Count("id", _filter=Q(state=DeliveryState.FAILED)),
        )
        .first()
        .values("m1", "m15", "m60", "failed")
    )
    return Throughput(
        last_minute=int(counts["m1"] or 0),
        per_minute_15=int(counts["m15"] or 0) / 15,
        per_minute_60=int(counts["m60"] or 0) / 60,
        failed_24h=int(counts["failed"] or 0),
    )


async def federation_health(now: datetime | None = None) -> FederationHealth:
    now = now or utcnow()
    failing_q = DomainHealth.filter(first_failure_at__isnull=False, unavailable_since__isnull=True)
    unavailable_q = DomainHealth.filter(unavailable_since__isnull=False)
    failing = await failing_q.order_by("first_failure_at", "domain").limit(DOMAIN_LIST_LIMIT)
    unavailable = await unavailable_q.order_by("-unavailable_since", "domain").limit(
        DOMAIN_LIST_LIMIT
    )
    domains = [health.domain for health in (*failing, *unavailable)]
    queued = await _queued_per_domain(domains)
    latest = await _latest_failures(domains)
    return FederationHealth(
        queue=await queue_depth(now),
        throughput=await throughput(now),
        failing=[_status(health, queued, latest) for health in failing],
        failing_total=await failing_q.count(),
        unavailable=[_status(health, queued, latest) for health in unavailable],
        unavailable_total=await unavailable_q.count(),
    )


def _status(
    health: DomainHealth, queued: dict[str, int], latest: dict[str, tuple[int | None, str]]
) -> DomainStatus:
    last_status, last_error = latest.get(health.domain, (None, ""))
    return DomainStatus(
        domain=health.domain,
        first_failure_at=health.first_failure_at,
        unavailable_since=health.unavailable_since,
        last_success_at=health.last_success_at,
        queued=queued.get(health.domain, 0),
        last_status=last_status,
        last_error=last_error,
    )


async def _queued_per_domain(domains: list[str]) -> dict[str, int]:
    if not domains:
        return {}
    rows = (
        await Delivery.filter(domain__in=domains, state=DeliveryState.QUEUED)
        .annotate(n=Count("id"))
        .group_by("domain")
        .values_list("domain", "n")
    )
    return {str(domain): int(n) for domain, n in rows}


async def _latest_failures(domains: list[str]) -> dict[str, tuple[int | None, str]]:
    """domain -> (status, error) of its latest failed delivery: of the rows tried and still
    queued, the one due last (a later try backs off further); else the last one given up."""
    if not domains:
        return {}
    connection = Tortoise.get_connection("default")
    postgres = connection.capabilities.dialect == "postgres"
    values = [DeliveryState.QUEUED.value, DeliveryState.FAILED.value, *domains]
    marks = [f"${n}" if postgres else "?" for n in range(1, len(values) + 1)]
    # Queued rows (no finished_at) come first: a failure still being retried is the latest news.
    # Only placeholders are interpolated below; the values go as parameters.
    sql = (
        'SELECT "domain", "last_status", "last_error" FROM ('  # noqa: S608
        ' SELECT "domain", "last_status", "last_error", ROW_NUMBER() OVER (PARTITION BY "domain"'
        '  ORDER BY CASE WHEN "finished_at" IS NULL THEN 1 ELSE 0 END DESC,'
        '  COALESCE("finished_at", "next_attempt_at") DESC, "id" DESC) AS "rank"'
        f' FROM "delivery" WHERE "attempts" > 0 AND "state" IN ({marks[0]}, {marks[1]})'
        f' AND "domain" IN ({", ".join(marks[2:])})'
        ') AS "tried" WHERE "rank" = 1'
    )
    rows = await connection.execute_query_dict(sql, values)
    return {row["domain"]: (row["last_status"], row["last_error"] or "") for row in rows}


@dataclass(frozen=True)
class DeadLetter:
    id: str
    activity_id: str
    where: str  # the inbox a delivery was for; the origin a received activity came from
    attempts: int
    reason: str
    given_up_at: datetime | None


@dataclass(frozen=True)
class DeadLetters:
    deliveries: list[DeadLetter]  # given-up deliveries, most recent first
    deliveries_total: int
    inbox: list[DeadLetter]  # dead received activities, most recent first
    inbox_total: int

    @property
    def total(self) -> int:
        return self.deliveries_total + self.inbox_total


async def dead_letters() -> DeadLetters:
    failed = Delivery.filter(state=DeliveryState.FAILED)
    dead = InboxActivity.filter(dead_at__isnull=False)
    deliveries = await failed.order_by("-finished_at", "-id").limit(DOMAIN_LIST_LIMIT)
    inbox = await dead.order_by("-dead_at", "-id").limit(DOMAIN_LIST_LIMIT)
    return DeadLetters(
        deliveries=[
            DeadLetter(d.id, d.activity_id, d.inbox_url, d.attempts, d.last_error, d.finished_at)
            for d in deliveries
        ],
        deliveries_total=await failed.count(),
        inbox=[
            DeadLetter(a.id, a.ap_id, a.origin or a.actor_ap_id, a.attempts, a.error, a.dead_at)
            for a in inbox
        ],
        inbox_total=await dead.count(),
    )


# --- retrying ------------------------------------------------------------------------------


async def retry_domain(domain: str, by: Actor | str) -> int:
    """Make the domain's waiting deliveries due now and lift its unavailable mark; return how
    many deliveries were made due. NotFound for a domain with no health record nor queue."""
    now = utcnow()
    async with in_transaction():
        health = await DomainHealth.get_or_none(domain=domain)
        queued = Delivery.filter(domain=domain, state=DeliveryState.QUEUED)
        if health is None and not await queued.exists():
            raise NotFound(f"Nothing is being delivered to {domain}.")
        made_due = await queued.filter(next_attempt_at__gt=now).update(next_attempt_at=now)
        if health is not None and health.unavailable_since is not None:
            # A fresh start: keeping first_failure_at would mark it unavailable again at once.
            await DomainHealth.filter(id=health.id).update(
                unavailable_since=None, first_failure_at=None
            )
        await audit.record(
            by, RETRY_ACTION, target_type="domain", target_id=domain, target_label=domain
        )
        await _requeued(deliveries=True)
    return made_due


async def retry_all(by: Actor | str) -> int:
    """Make every waiting delivery due now and lift every unavailable mark; return how many
    deliveries were made due."""
    now = utcnow()
    async with in_transaction():
        made_due = await Delivery.filter(
            state=DeliveryState.QUEUED, next_attempt_at__gt=now
        ).update(next_attempt_at=now)
        await DomainHealth.filter(unavailable_since__isnull=False).update(
            unavailable_since=None, first_failure_at=None
        )
        await audit.record(by, RETRY_ACTION, target_type="domain", target_label="all domains")
        await _requeued(deliveries=True)
    return made_due


def _requeue_delivery() -> dict[str, object]:
    return {
        "state": DeliveryState.QUEUED,
        "attempts": 0,
        "lease_until": None,
        "next_attempt_at": utcnow(),
        "finished_at": None,
    }


_REVIVE_INBOX: dict[str, object] = {"dead_at": None, "attempts": 0, "lease_until": None}


async def retry_delivery(delivery_id: str, by: Actor | str) -> None:
    """Queue a given-up delivery again; NotFound unless it is given up."""
    async with in_transaction():
        row = await Delivery.get_or_none(id=delivery_id, state=DeliveryState.FAILED)
        if row is None:
            raise NotFound("There is no such given-up delivery.")
        await Delivery.filter(id=row.id).update(**_requeue_delivery())
        await audit.record(
            by,
            RETRY_ACTION,
            target_type="delivery",
            target_id=row.id,
            target_label=row.inbox_url[:300],
        )
        await _requeued(deliveries=True)


async def retry_inbox(activity_id: str, by: Actor | str) -> None:
    """Give a dead received activity to the worker again; NotFound unless it is dead."""
    async with in_transaction():
        row = await InboxActivity.get_or_none(id=activity_id, dead_at__isnull=False)
        if row is None:
            raise NotFound("There is no such dead received activity.")
        await InboxActivity.filter(id=row.id).update(**_REVIVE_INBOX)
        await audit.record(
            by,
            RETRY_ACTION,
            target_type="inbox_activity",
            target_id=row.id,
            target_label=row.ap_id[:300],
        )
        await _requeued(inbox=True)


async def retry_given_up(by: Actor | str) -> int:
    """Queue every given-up delivery and dead received activity again; return how many."""
    async with in_transaction():
        count = await Delivery.filter(state=DeliveryState.FAILED).update(**_requeue_delivery())
        count += await InboxActivity.filter(dead_at__isnull=False).update(**_REVIVE_INBOX)
        await audit.record(
            by, RETRY_ACTION, target_type="dead_letters", target_label="everything given up"
        )
        await _requeued(deliveries=True, inbox=True)
    return int(count)


async def _requeued(*, deliveries: bool = False, inbox: bool = False) -> None:
    """Tell the workers (in the transaction, so they hear of it on commit) to look now."""
    await events.bus.publish(events.FederationWorkRequeued(deliveries=deliveries, inbox=inbox))
