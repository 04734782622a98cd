"""Federation health: the figures read from seeded queue rows, and retrying now."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from server.models import (
    AuditEntry,
    Delivery,
    DeliveryState,
    DomainHealth,
    InboxActivity,
    inbox_dedup_key,
    utcnow,
)
from server.services import federation_health
from server.services.errors import NotFound
from tests.helpers import make_account

pytestmark = pytest.mark.usefixtures("database")


async def _signer() -> str:
    return (await make_account("ada")).actor_id


async def _delivery(
    signer_id: str,
    domain: str,
    state: DeliveryState,
    *,
    next_attempt_at: datetime,
    finished_at: datetime | None = None,
    attempts: int = 0,
    last_status: int | None = None,
    last_error: str = "",
) -> Delivery:
    return await Delivery.create(
        activity_id="https://lyceum.test/a/1",
        payload="{}",
        signer_id=signer_id,
        inbox_url=f"https://{domain}/inbox",
        domain=domain,
        state=state,
        next_attempt_at=next_attempt_at,
        finished_at=finished_at,
        attempts=attempts,
        last_status=last_status,
        last_error=last_error,
    )


async def _inbox(n: int, *, processed: bool) -> None:
    await InboxActivity.create(
        ap_id=f"https://remote.example/a/{n}",
        dedup_key=inbox_dedup_key("https://remote.example", f"https://remote.example/a/{n}"),
        actor_ap_id="https://remote.example/users/bob",
        activity_type="Like",
        payload="{}",
        processed_at=utcnow() if processed else None,
    )


async def test_queue_depth__counts_due_waiting_and_unhandled() -> None:
    # Given 3 queued deliveries due, 2 waiting for a retry, one done and one given up,
    # and 2 received activities not yet handled besides one handled
    signer, now = await _signer(), utcnow()
    for minutes in (0, 5, 60):
        await _delivery(
            signer,
            "a.example",
            DeliveryState.QUEUED,
            next_attempt_at=now - timedelta(minutes=minutes),
        )
    for minutes in (1, 30):
        await _delivery(
            signer,
            "b.example",
            DeliveryState.QUEUED,
            next_attempt_at=now + timedelta(minutes=minutes),
        )
    await _delivery(signer, "a.example", DeliveryState.DONE, next_attempt_at=now, finished_at=now)
    await _delivery(signer, "a.example", DeliveryState.FAILED, next_attempt_at=now, finished_at=now)
    for n, processed in enumerate((False, False, True)):
        await _inbox(n, processed=processed)
    # When the depth is read
    depth = await federation_health.queue_depth(now)
    # Then each part is counted
    assert (depth.due, depth.waiting, depth.inbox) == (3, 2, 2)
    assert (depth.deliveries, depth.total) == (5, 7)


async def test_queue_depth__of_an_empty_queue_is_zero() -> None:
    depth = await federation_health.queue_depth()
    assert (depth.due, depth.waiting, depth.inbox) == (0, 0, 0)


async def test_throughput__counts_done_per_minute_and_failures_of_the_day() -> None:
    # Given deliveries done 30 s, 10 min, 45 min and 2 h ago, and given up 1 h and 30 h ago
    signer, now = await _signer(), utcnow()
    done_ago = {
        timedelta(seconds=30): 2,
        timedelta(minutes=10): 4,
        timedelta(minutes=45): 6,
        timedelta(hours=2): 5,
    }
    for ago, count in done_ago.items():
        for _ in range(count):
            await _delivery(
                signer,
                "a.example",
                DeliveryState.DONE,
                next_attempt_at=now - ago,
                finished_at=now - ago,
            )
    for ago in (timedelta(hours=1), timedelta(hours=30)):
        await _delivery(
            signer,
            "a.example",
            DeliveryState.FAILED,
            next_attempt_at=now - ago,
            finished_at=now - ago,
        )
    # (and one still queued, which is neither)
    await _delivery(signer, "a.example", DeliveryState.QUEUED, next_attempt_at=now)
    # When the rate is read
    rate = await federation_health.throughput(now)
    # Then: 2 in the last minute; 6 in 15 minutes (0.4 a minute); 12 in the hour (0.2 a minute)
    assert rate.last_minute == 2
    assert rate.per_minute_15 == pytest.approx(0.4)
    assert rate.per_minute_60 == pytest.approx(0.2)
    assert rate.failed_24h == 1


async def test_federation_health__lists_failing_and_unavailable_domains() -> None:
    # Given a.example failing for 3 hours with two deliveries waiting (the later retry saw 503),
    # b.example failing for a day with one queued row never tried,
    # c.example unavailable (what was queued was given up), d.example healthy
    signer, now = await _signer(), utcnow()
    await DomainHealth.create(domain="a.example", first_failure_at=now - timedelta(hours=3))
    await DomainHealth.create(domain="b.example", first_failure_at=now - timedelta(days=1))
    await DomainHealth.create(
        domain="c.example",
        first_failure_at=now - timedelta(days=3),
        unavailable_since=now - timedelta(days=1),
        last_success_at=now - timedelta(days=4),
    )
    await DomainHealth.create(domain="d.example", last_success_at=now)
    await _delivery(
        signer,
        "a.example",
        DeliveryState.QUEUED,
        next_attempt_at=now + timedelta(minutes=5),
        attempts=2,
        last_status=502,
        last_error="HTTP 502",
    )
    await _delivery(
        signer,
        "a.example",
        DeliveryState.QUEUED,
        next_attempt_at=now + timedelta(minutes=40),
        attempts=4,
        last_status=503,
        last_error="HTTP 503",
    )
    await _delivery(
        signer,
        "a.example",
        DeliveryState.FAILED,
        next_attempt_at=now,
        finished_at=now - timedelta(hours=1),
        attempts=1,
        last_status=410,
        last_error="HTTP 410",
    )
    await _delivery(signer, "b.example", DeliveryState.QUEUED, next_attempt_at=now)
    await _delivery(
        signer,
        "c.example",
        DeliveryState.FAILED,
        next_attempt_at=now,
        finished_at=now - timedelta(days=1),
        attempts=9,
        last_error="ConnectError: refused",
    )
    # When the health is read
    health = await federation_health.federation_health(now)
    # Then the failing domains come longest failing first, with their queue and latest failure
    failing = [(d.domain, d.queued, d.last_status, d.last_error) for d in health.failing]
    assert failing == [("b.example", 1, None, ""), ("a.example", 2, 503, "HTTP 503")]
    assert health.failing_total == 2
    # And the unavailable one is listed apart, with its last error
    [unavailable] = health.unavailable
    assert (unavailable.domain, unavailable.queued, unavailable.last_status) == (
        "c.example",
        0,
        None,
    )
    assert unavailable.last_error == "ConnectError: refused"
    assert unavailable.unavailable_since is not None
    assert health.unavailable_total == 1
    assert health.queue.deliveries == 3


async def test_retry_domain__makes_waiting_rows_due_and_lifts_the_unavailable_mark() -> None:
    # Given an unavailable domain with two deliveries waiting, and another failing domain
    admin = await make_account("grace", admin=True)
    signer, now = await _signer(), utcnow()
    await DomainHealth.create(
        domain="a.example", first_failure_at=now - timedelta(days=3), unavailable_since=now
    )
    await DomainHealth.create(domain="b.example", first_failure_at=now - timedelta(hours=1))
    for minutes in (5, 50):
        await _delivery(
            signer,
            "a.example",
            DeliveryState.QUEUED,
            next_attempt_at=now + timedelta(minutes=minutes),
            attempts=3,
        )
    other = await _delivery(
        signer,
        "b.example",
        DeliveryState.QUEUED,
        next_attempt_at=now + timedelta(minutes=5),
        attempts=1,
    )
    # When the admin retries a.example now
    made_due = await federation_health.retry_domain("a.example", admin.actor)
    # Then its rows are due, its marks are cleared, the other domain is untouched
    assert made_due == 2
    rows = await Delivery.filter(domain="a.example")
    assert all(row.next_attempt_at <= utcnow() for row in rows)
    health = await DomainHealth.get(domain="a.example")
    assert (health.unavailable_since, health.first_failure_at) == (None, None)
    assert (await Delivery.get(id=other.id)).next_attempt_at == other.next_attempt_at
    assert (await DomainHealth.get(domain="b.example")).first_failure_at is not None
    # And the action is in the audit log
    entry = await AuditEntry.get(action="federation.retry")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (
        admin.actor_id,
        "domain",
        "a.example",
    )


async def test_retry_domain__of_a_failing_domain_keeps_its_failure_clock() -> None:
    # Given a domain failing (not yet unavailable) for an hour
    admin = await make_account("grace", admin=True)
    signer, now = await _signer(), utcnow()
    since = now - timedelta(hours=1)
    await DomainHealth.create(domain="a.example", first_failure_at=since)
    await _delivery(
        signer,
        "a.example",
        DeliveryState.QUEUED,
        next_attempt_at=now + timedelta(hours=1),
        attempts=3,
    )
    # When it is retried now
    assert await federation_health.retry_domain("a.example", admin.actor_id) == 1
    # Then it still counts as failing since then (two days of failures still make it unavailable)
    assert (await DomainHealth.get(domain="a.example")).first_failure_at == since


async def test_retry_domain__unknown_domain_is_not_found_and_changes_nothing() -> None:
    admin = await make_account("grace", admin=True)
    signer, now = await _signer(), utcnow()
    row = await _delivery(
        signer, "a.example", DeliveryState.QUEUED, next_attempt_at=now + timedelta(hours=1)
    )
    with pytest.raises(NotFound):
        await federation_health.retry_domain("nowhere.example", admin.actor_id)
    assert (await Delivery.get(id=row.id)).next_attempt_at == row.next_attempt_at
    assert await AuditEntry.all().count() == 0


async def test_retry_all__makes_every_waiting_row_due_and_clears_every_mark() -> None:
    admin = await make_account("grace", admin=True)
    signer, now = await _signer(), utcnow()
    await DomainHealth.create(domain="a.example", first_failure_at=now, unavailable_since=now)
    await DomainHealth.create(domain="b.example", first_failure_at=now, unavailable_since=now)
    for domain in ("a.example", "b.example", "c.example"):
        await _delivery(
            signer, domain, DeliveryState.QUEUED, next_attempt_at=now + timedelta(hours=2)
        )
    done = await _delivery(
        signer, "c.example", DeliveryState.DONE, next_attempt_at=now + timedelta(hours=2)
    )
    assert await federation_health.retry_all(admin.actor_id) == 3
    assert (
        await Delivery.filter(state=DeliveryState.QUEUED, next_attempt_at__gt=utcnow()).count() == 0
    )
    assert (await Delivery.get(id=done.id)).next_attempt_at == done.next_attempt_at
    assert await DomainHealth.filter(unavailable_since__isnull=False).count() == 0
    entry = await AuditEntry.get(action="federation.retry")
    assert (entry.target_type, entry.target_label) == ("domain", "all domains")


async def _dead_inbox(
    n: int, *, attempts: int = 5, error: str = "failed: RuntimeError: boom"
) -> str:
    row = await InboxActivity.create(
        ap_id=f"https://remote.example/dead/{n}",
        origin="https://remote.example",
        dedup_key=inbox_dedup_key("https://remote.example", f"https://remote.example/dead/{n}"),
        actor_ap_id="https://remote.example/users/bob",
        activity_type="Create",
        payload="{}",
        attempts=attempts,
        error=error,
        dead_at=utcnow(),
    )
    return row.id


async def test_dead_letters__lists_given_up_deliveries_and_dead_activities() -> None:
    # Given a delivery given up, one still queued, a dead received activity and a waiting one
    signer = await _signer()
    now = utcnow()
    failed = await _delivery(
        signer,
        "gone.example",
        DeliveryState.FAILED,
        next_attempt_at=now,
        finished_at=now,
        attempts=16,
        last_error="HTTP 503: gave up after 16 tries",
    )
    await _delivery(signer, "ok.example", DeliveryState.QUEUED, next_attempt_at=now)
    dead = await _dead_inbox(1)
    await _inbox(2, processed=False)
    # When the dead letters are read
    letters = await federation_health.dead_letters()
    # Then each given-up row is listed with where it was for, its attempts and its reason
    assert [(d.id, d.where, d.attempts, d.reason) for d in letters.deliveries] == [
        (failed.id, "https://gone.example/inbox", 16, "HTTP 503: gave up after 16 tries")
    ]
    assert [(d.id, d.where, d.attempts, d.reason) for d in letters.inbox] == [
        (dead, "https://remote.example", 5, "failed: RuntimeError: boom")
    ]
    assert (letters.deliveries_total, letters.inbox_total, letters.total) == (1, 1, 2)
    # And the dead activity is not counted as waiting to be handled
    assert (await federation_health.queue_depth()).inbox == 1


async def test_retry_delivery__queues_it_again_as_new_and_is_audited() -> None:
    # Given a delivery given up after every try
    signer = await _signer()
    now = utcnow()
    row = await _delivery(
        signer,
        "gone.example",
        DeliveryState.FAILED,
        next_attempt_at=now - timedelta(days=1),
        finished_at=now,
        attempts=16,
    )
    # When an admin retries it
    await federation_health.retry_delivery(row.id, signer)
    # Then it is queued, due now, with no attempt counted and no lease
    row = await Delivery.get(id=row.id)
    assert (row.state, row.attempts, row.lease_until, row.finished_at) == (
        DeliveryState.QUEUED,
        0,
        None,
        None,
    )
    assert row.next_attempt_at <= utcnow()
    entry = await AuditEntry.get(action="federation.retry")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (signer, "delivery", row.id)


async def test_retry_delivery__of_a_queued_delivery_is_not_found_and_changes_nothing() -> None:
    signer = await _signer()
    row = await _delivery(
        signer, "ok.example", DeliveryState.QUEUED, next_attempt_at=utcnow(), attempts=3
    )
    with pytest.raises(NotFound):
        await federation_health.retry_delivery(row.id, signer)
    assert (await Delivery.get(id=row.id)).attempts == 3
    assert await AuditEntry.all().count() == 0


async def test_retry_inbox__revives_a_dead_activity_and_is_audited() -> None:
    # Given a dead received activity
    signer = await _signer()
    dead = await _dead_inbox(1)
    # When an admin retries it
    await federation_health.retry_inbox(dead, signer)
    # Then the worker may claim it again, from its first attempt
    row = await InboxActivity.get(id=dead)
    assert (row.dead_at, row.attempts, row.lease_until, row.processed_at) == (None, 0, None, None)
    entry = await AuditEntry.get(action="federation.retry")
    assert (entry.target_type, entry.target_id) == ("inbox_activity", dead)


async def test_retry_inbox__of_a_live_activity_is_not_found() -> None:
    signer = await _signer()
    await _inbox(1, processed=False)
    row = await InboxActivity.get()
    with pytest.raises(NotFound):
        await federation_health.retry_inbox(row.id, signer)
    assert await AuditEntry.all().count() == 0


async def test_retry_given_up__queues_every_given_up_row_again() -> None:
    # Given two given-up deliveries, a done one, and two dead activities
    signer = await _signer()
    now = utcnow()
    for domain in ("a.example", "b.example"):
        await _delivery(
            signer, domain, DeliveryState.FAILED, next_attempt_at=now, finished_at=now, attempts=4
        )
    done = await _delivery(
        signer, "c.example", DeliveryState.DONE, next_attempt_at=now, finished_at=now, attempts=1
    )
    for n in (1, 2):
        await _dead_inbox(n)
    # When an admin retries everything given up
    assert await federation_health.retry_given_up(signer) == 4
    # Then nothing is given up any more, the done row is untouched, and one audit entry says so
    assert await Delivery.filter(state=DeliveryState.FAILED).count() == 0
    assert await Delivery.filter(state=DeliveryState.QUEUED, attempts=0).count() == 2
    assert (await Delivery.get(id=done.id)).state == DeliveryState.DONE
    assert await InboxActivity.filter(dead_at__isnull=False).count() == 0
    assert await AuditEntry.filter(action="federation.retry").count() == 1
