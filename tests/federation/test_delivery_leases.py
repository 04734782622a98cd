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
from tortoise.expressions import Q

from federation.delivery import DeliveryWorker, enqueue
from federation.delivery.policy import MAX_ATTEMPTS
from federation.delivery.sender import Sent
from federation.delivery.worker import START_GROUP
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


async def test_claim_rows__answers_the_columns_as_the_claim_left_them(database: None) -> None:
    # Given three queued rows, one already tried twice
    await queue_fanout(["https://a.example", "https://b.example", "https://c.example"], 3)
    tried = await Delivery.all().order_by("inbox_url").first()
    assert tried is not None
    await Delivery.filter(id=tried.id).update(attempts=2)
    leases = Leases(Delivery, timedelta(seconds=20), state=DeliveryState.QUEUED)
    # When they are claimed, asking for some of their columns
    now = utcnow()
    rows = await leases.claim_rows(
        Q(state=DeliveryState.QUEUED, next_attempt_at__lte=now),
        sql='"state" = $3 AND "next_attempt_at" <= $4',
        args=[DeliveryState.QUEUED.value, now],
        order_by="next_attempt_at",
        limit=10,
        max_attempts=MAX_ATTEMPTS,
        give_up={"state": DeliveryState.FAILED, "finished_at": now},
        reason_field="last_error",
        columns=("id", "inbox_url", "attempts", "lease_until"),
    )
    # Then each answer holds those columns as stored after the claim, and the rows are held
    stored = {
        row.id: {
            "id": row.id,
            "inbox_url": row.inbox_url,
            "attempts": row.attempts,
            "lease_until": row.lease_until,
        }
        for row in await Delivery.all()
    }
    assert {str(row["id"]): row for row in rows} == stored
    assert sorted(row["attempts"] for row in rows) == [1, 1, 3]
    assert all(row["lease_until"] > now for row in rows)
    assert leases.held == set(stored)


class FirstWaitSender:
    """Answers every POST at once, after one turn of the loop (a real POST's first wait, its
    connect); notes how many POSTs had started when the first one came back from that wait."""

    def __init__(self) -> None:
        self.started = 0
        self.started_when_first_resumed = 0
        self.done = 0

    async def post(self, url: str, body: bytes, auth: httpx.Auth, timeouts: httpx.Timeout) -> Sent:
        self.started += 1
        await asyncio.sleep(0)  # one turn of the loop, not a wait for time
        self.started_when_first_resumed = self.started_when_first_resumed or self.started
        self.done += 1
        return Sent(202)

    async def aclose(self) -> None:
        pass


async def test_worker__starts_a_big_claim_in_groups_so_the_first_post_leaves_at_once(
    database: None,
) -> None:
    # Given a worker that may send 64 rows at once, its signer already known
    sender = FirstWaitSender()
    worker = DeliveryWorker(sender, no_signature, concurrency=64)
    await queue_fanout(["https://warm.example"], 1)
    assert await worker.run_once() == 1
    sender.started = sender.started_when_first_resumed = 0
    # When 64 rows for 64 servers are queued and it runs
    signer = await Actor.get(username="physics")
    inboxes = [f"https://s{n}.example/inbox" for n in range(64)]
    assert await enqueue({**ACTIVITY, "id": ACTIVITY["id"] + "/2"}, signer.id, inboxes) == 64
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run_until_stopped(stop))

    async def all_done() -> bool:
        return await Delivery.filter(state=DeliveryState.DONE).count() == 65

    await until(all_done, "every row done")
    stop.set()
    await asyncio.wait_for(task, WAIT)
    # Then the first POST was under way before more than one group of rows had started (each
    # row is signed as it starts: a whole claim signed first holds every POST back)
    assert sender.done == 65 and sender.started == 64
    assert sender.started_when_first_resumed <= START_GROUP < 64


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
