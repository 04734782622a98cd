"""Workers sharing one queue: a claimed row is leased, so no two workers send it at once.

On PostgreSQL any number of workers share the queue (`FOR UPDATE SKIP LOCKED`); on SQLite one
worker per database is the supported shape, but the lease still keeps a second claim off rows
already being sent.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from federation.delivery import DeliveryWorker, enqueue
from server.models import Actor, ActorKind, Delivery, DeliveryState
from tests.conftest import BACKEND
from tests.federation._fleet import RecordingFleet, serve_fleet

ACTIVITY = {"id": "http://lyceum.test/g/physics/announces/1", "type": "Announce"}
HOSTS = 4
ROWS = 200
WAIT = 10  # seconds a test waits for an event before failing


def no_signature(_: Actor) -> httpx.Auth:
    return httpx.Auth()  # these tests count POSTs; signatures are the crash test's business


async def queue_fanout(hosts: list[str], rows: int) -> list[str]:
    signer = await Actor.create(kind=ActorKind.GROUP, username="physics")
    inboxes = [f"{hosts[n % len(hosts)]}/inbox/{n}" for n in range(rows)]
    assert await enqueue(ACTIVITY, signer.id, inboxes) == rows
    return [f"/inbox/{n}" for n in range(rows)]


async def drain(worker: DeliveryWorker) -> int:
    """Run the worker until it finds nothing due; return how many rows it sent."""
    sent = 0
    while batch := await worker.run_once():
        sent += batch
    return sent


@pytest.mark.skipif(
    BACKEND != "postgres",
    reason="several workers per queue need PostgreSQL's row locks (LYCEUM_TEST_DATABASE="
    "postgres); SQLite supports one worker per database",
)
async def test_delivery_concurrency__two_postgres_workers_never_send_a_row_twice(
    database: None,
) -> None:
    fleet = RecordingFleet()
    # The receiver answers after a few milliseconds, so that the two workers' batches overlap.
    fleet.delay = 0.005
    async with serve_fleet(fleet, HOSTS) as hosts, httpx.AsyncClient(timeout=10) as client:
        # Given 200 rows for 200 inboxes, and two workers claiming small batches
        paths = await queue_fanout(hosts, ROWS)
        workers = [
            DeliveryWorker(client, no_signature, allow_http=True, concurrency=10) for _ in range(2)
        ]
        # When both drain the queue at the same time (each query on its own pooled connection)
        sent = await asyncio.gather(*(drain(worker) for worker in workers))
    # Then both took part, and together sent each row exactly once
    assert all(count > 0 for count in sent), f"one worker sent nothing: {sent}"
    assert sum(sent) == ROWS
    assert fleet.overlaps == [], "an inbox got two simultaneous POSTs"
    assert sorted(fleet.received) == sorted(paths)
    assert set(fleet.received.values()) == {1}
    rows = await Delivery.all()
    assert {(row.state, row.attempts, row.lease_until) for row in rows} == {
        (DeliveryState.DONE, 1, None)
    }


async def test_delivery_concurrency__claimed_rows_are_leased_while_being_sent(
    database: None,
) -> None:
    fleet = RecordingFleet()
    fleet.gate.clear()  # every POST waits until the test lets go
    async with serve_fleet(fleet, HOSTS) as hosts, httpx.AsyncClient(timeout=10) as client:
        # Given 20 queued rows, and a worker that has claimed them and is mid-send
        paths = await queue_fanout(hosts, 20)
        first = DeliveryWorker(client, no_signature, allow_http=True)
        second = DeliveryWorker(client, no_signature, allow_http=True)
        sending = asyncio.create_task(first.run_once())
        await asyncio.wait_for(fleet.arrived.wait(), WAIT)
        leased = await Delivery.filter(lease_until__isnull=False).count()
        # When a second worker runs right then
        claimed = await second.run_once()
        # Then it claims nothing: every row is leased to the first
        assert (claimed, leased) == (0, 20)
        # And once the receivers answer, the first worker finishes them all, each sent once
        fleet.gate.set()
        assert await asyncio.wait_for(sending, WAIT) == 20
    assert fleet.received == dict.fromkeys(paths, 1)
    assert await Delivery.filter(state=DeliveryState.DONE, lease_until=None).count() == 20
