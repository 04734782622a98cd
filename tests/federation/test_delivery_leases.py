"""Leases while a worker works (leases.py, worker.py): a worker holds at most `concurrency` rows,
a cancelled one leaves no more than those leased, and renewing keeps a second worker off rows
the first is still sending."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import asyncpg
import httpx
import pytest

from federation.delivery import DeliveryWorker, enqueue
from server.leases import Leases
from server.models import Actor, ActorKind, Delivery, DeliveryState, utcnow
from server.text import storable
from tests.conftest import BACKEND
from tests.federation._fleet import RecordingFleet, serve_fleet

ACTIVITY = {"id": "http://lyceum.test/g/physics/announces/1", "type": "Announce"}
HOSTS = 4
WAIT = 10  # seconds a test waits for an event before failing


def no_signature(_: Actor) -> httpx.Auth:
    return httpx.Auth()


async def queue_fanout(hosts: list[str], rows: int) -> None:
    signer = await Actor.create(kind=ActorKind.GROUP, username="physics")
    inboxes = [f"{hosts[n % len(hosts)]}/inbox/{n}" for n in range(rows)]
    assert await enqueue(ACTIVITY, signer.id, inboxes) == rows


async def until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while not await condition():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)  # the polling interval of a bounded wait


async def leased() -> int:
    return await Delivery.filter(state=DeliveryState.QUEUED, lease_until__gt=utcnow()).count()


async def test_worker__cancelled_mid_fanout_leaves_at_most_its_concurrency_leased(
    database: None,
) -> None:
    fleet = RecordingFleet()
    fleet.gate.clear()  # every POST waits until the test lets go
    async with serve_fleet(fleet, HOSTS) as hosts, httpx.AsyncClient(timeout=10) as client:
        # Given 100 queued rows and a worker sending at most 10 at once, all of them stuck
        await queue_fanout(hosts, 100)
        worker = DeliveryWorker(client, no_signature, allow_http=True, concurrency=10)
        task = asyncio.create_task(worker.run_until_stopped(asyncio.Event()))

        async def ten_in_flight() -> bool:
            return sum(fleet.in_flight.values()) == 10

        await until(ten_in_flight, "ten POSTs in flight")
        # When its task is cancelled (as a killed worker stops)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # Then only the rows it was sending are leased; the other 90 can be claimed at once
        assert await leased() == 10
        due = await Delivery.filter(state=DeliveryState.QUEUED, lease_until__isnull=True).count()
        assert due == 90


async def test_worker__claims_more_as_sends_complete_and_finishes_on_stop(database: None) -> None:
    fleet = RecordingFleet()
    async with serve_fleet(fleet, HOSTS) as hosts, httpx.AsyncClient(timeout=10) as client:
        # Given 60 queued rows and a worker sending at most 8 at once
        await queue_fanout(hosts, 60)
        worker = DeliveryWorker(client, no_signature, allow_http=True, concurrency=8)
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run_until_stopped(stop))

        # When it runs until the queue is empty
        async def all_done() -> bool:
            return await Delivery.filter(state=DeliveryState.DONE).count() == 60

        await until(all_done, "every row done")
        stop.set()
        await asyncio.wait_for(task, WAIT)
    # Then each inbox got the activity once
    assert set(fleet.received.values()) == {1} and len(fleet.received) == 60


@pytest.mark.skipif(
    BACKEND != "postgres",
    reason="a second worker sharing the queue needs PostgreSQL (LYCEUM_TEST_DATABASE=postgres)",
)
async def test_worker__renewed_leases_keep_a_second_worker_off_rows_still_being_sent(
    database: None,
) -> None:
    fleet = RecordingFleet()
    fleet.gate.clear()
    async with serve_fleet(fleet, HOSTS) as hosts, httpx.AsyncClient(timeout=30) as client:
        # Given a worker with a one-second lease, mid-send on 20 rows whose receivers hang
        await queue_fanout(hosts, 20)
        lease = timedelta(seconds=1)
        first = DeliveryWorker(client, no_signature, allow_http=True, lease=lease)
        second = DeliveryWorker(client, no_signature, allow_http=True, lease=lease)
        sending = asyncio.create_task(first.run_once())
        await asyncio.wait_for(fleet.arrived.wait(), WAIT)
        claimed_until = max(await Delivery.all().values_list("lease_until", flat=True))

        # When more than the lease has passed since the claim
        async def lease_passed() -> bool:
            return utcnow() > claimed_until + lease

        await until(lease_passed, "the first lease to pass")
        # Then the heartbeat has kept the rows leased, and a second worker claims none of them
        assert await leased() == 20
        assert await second.run_once() == 0
        # And the first worker finishes them, each sent once
        fleet.gate.set()
        assert await asyncio.wait_for(sending, WAIT) == 20
    assert set(fleet.received.values()) == {1}
    assert await Delivery.filter(state=DeliveryState.DONE, lease_until=None).count() == 20


def test_storable__strips_nul_bytes_and_replaces_lone_surrogates() -> None:
    assert storable("a\x00b\ud800c\udfffd") == "ab\ufffdc\ufffdd"
    assert storable("plain ✓ 🎓") == "plain ✓ 🎓"


@pytest.mark.skipif(
    BACKEND != "postgres", reason="row locks are PostgreSQL's; SQLite has one writer"
)
async def test_leases__renewing_skips_a_row_another_transaction_is_writing(
    database: None, database_url: str
) -> None:
    # Given two held rows, one of them locked by another transaction (its outcome being written)
    await queue_fanout(["http://a.test", "http://b.test"], 2)
    leases = Leases(Delivery, timedelta(seconds=20), state=DeliveryState.QUEUED)
    locked, free = [row.id for row in await Delivery.all().order_by("inbox_url")]
    leases.hold([locked, free])
    writer = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        async with writer.transaction():
            await writer.execute("SELECT 1 FROM delivery WHERE id = $1 FOR UPDATE", locked)
            # When the heartbeat renews, it does not wait for that row (waiting could deadlock)
            renewed = await asyncio.wait_for(leases.renew(), WAIT)
            # Then only the other row's lease was extended
            assert renewed == 1
            assert await Delivery.filter(id=free, lease_until__gt=utcnow()).exists()
            assert not await Delivery.filter(id=locked, lease_until__isnull=False).exists()
    finally:
        await writer.close()
    # and once the lock is gone, the next beat renews it too
    assert await leases.renew() == 2
