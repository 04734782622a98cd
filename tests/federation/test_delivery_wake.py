"""Waking idle workers when work is queued (wake.py): at once, not at their next poll."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from tortoise.transactions import in_transaction

from federation.delivery import DeliveryWorker, enqueue, wake
from server import events
from server.assembly import subscribe_all
from server.models import (
    Actor,
    ActorKind,
    Delivery,
    DeliveryState,
    DomainHealth,
    InboxActivity,
    utcnow,
)
from server.services import federation_health
from server.settings import Settings
from tests.conftest import BACKEND
from tests.federation._fleet import RecordingFleet, serve_fleet

WAIT = 10  # seconds a test waits for an event before failing; far below the poll below
POLL = 600.0  # an idle worker's poll: never reached in these tests


def no_signature(_: Actor) -> httpx.Auth:
    return httpx.Auth()


@contextlib.asynccontextmanager
async def listening(settings: Settings) -> AsyncIterator[None]:
    """On PostgreSQL, relay notifications as a worker process does (`FederationRuntime`)."""
    stop = asyncio.Event()
    task = None
    if BACKEND == "postgres":
        ready = asyncio.Event()
        with wake.subscribed(wake.DELIVERY, ready):
            task = asyncio.create_task(wake.listen(settings.resolved_database_url, stop))
            await asyncio.wait_for(ready.wait(), WAIT)  # set once it listens
    try:
        yield
    finally:
        stop.set()
        if task is not None:
            await asyncio.wait_for(task, WAIT)


async def test_enqueue__wakes_an_idle_worker_at_once(settings: Settings, database: None) -> None:
    fleet = RecordingFleet()
    async with (
        serve_fleet(fleet, 1) as hosts,
        httpx.AsyncClient(timeout=10) as client,
        listening(settings),
    ):
        # Given a worker that has sent what was queued and now waits (its poll: 10 minutes)
        signer = await Actor.create(kind=ActorKind.GROUP, username="physics")
        await enqueue({"id": "http://lyceum.test/a/1"}, signer.id, [f"{hosts[0]}/inbox/1"])
        worker = DeliveryWorker(client, no_signature, allow_http=True, poll_interval=POLL)
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run_until_stopped(stop))
        await asyncio.wait_for(fleet.arrived.wait(), WAIT)
        # When an activity is queued in a domain transaction
        async with in_transaction():
            await enqueue({"id": "http://lyceum.test/a/2"}, signer.id, [f"{hosts[0]}/inbox/2"])
        # Then the worker sends it within seconds, not at its next poll
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while "/inbox/2" not in fleet.received:
            assert loop.time() < deadline, "the queued delivery waited for the poll"
            await asyncio.sleep(0.02)  # the polling interval of a bounded wait
        stop.set()
        await asyncio.wait_for(task, WAIT)
    assert await Delivery.filter(state=DeliveryState.DONE).count() == 2


@pytest.mark.skipif(BACKEND != "postgres", reason="NOTIFY is PostgreSQL's")
async def test_listen__relays_a_notify_sent_by_another_connection_on_commit(
    settings: Settings, database: None
) -> None:
    # Given a process listening, and an inbox worker's event subscribed to it
    event = asyncio.Event()
    async with listening(settings):
        with wake.subscribed(wake.INBOX, event):
            event.clear()
            # When another process stores a received activity and notifies, in a transaction
            async with in_transaction() as connection:
                await connection.execute_script(f"NOTIFY {wake.INBOX}")
                assert not event.is_set()
            # Then the event is set once it commits
            await asyncio.wait_for(event.wait(), WAIT)


def test_asyncpg_dsn__drops_tortoise_options() -> None:
    url = "postgres://lyceum:secret@db:5432/lyceum?minsize=1&maxsize=10"
    assert wake._asyncpg_dsn(url) == "postgresql://lyceum:secret@db:5432/lyceum"
    assert wake.is_postgres(url) and not wake.is_postgres("sqlite:///tmp/x.sqlite3")


@pytest.mark.parametrize("retry", ["delivery", "inbox", "given_up", "domain", "all"])
async def test_admin_retry__wakes_the_workers_of_what_it_requeued(
    settings: Settings, database: None, retry: str
) -> None:
    # Given a given-up delivery and a dead received activity, and workers waiting on both queues
    subscribe_all(events.bus, settings)
    signer = await Actor.create(kind=ActorKind.GROUP, username="physics")
    delivery = await Delivery.create(
        activity_id="http://lyceum.test/a/1",
        payload="{}",
        signer=signer,
        inbox_url="http://peer.test/inbox",
        domain="peer.test",
        state=DeliveryState.FAILED,
        next_attempt_at=utcnow(),
    )
    dead = await InboxActivity.create(
        ap_id="http://peer.test/a/1",
        dedup_key="k" * 64,
        actor_ap_id="http://peer.test/u/1",
        activity_type="Create",
        payload="{}",
        dead_at=utcnow(),
    )
    await DomainHealth.create(domain="peer.test", unavailable_since=utcnow())
    woken = {wake.DELIVERY: asyncio.Event(), wake.INBOX: asyncio.Event()}
    with (
        wake.subscribed(wake.DELIVERY, woken[wake.DELIVERY]),
        wake.subscribed(wake.INBOX, woken[wake.INBOX]),
    ):
        # When an admin retries
        if retry == "delivery":
            await federation_health.retry_delivery(delivery.id, signer)
        elif retry == "inbox":
            await federation_health.retry_inbox(dead.id, signer)
        elif retry == "given_up":
            await federation_health.retry_given_up(signer)
        elif retry == "domain":
            await federation_health.retry_domain("peer.test", signer)
        else:
            await federation_health.retry_all(signer)

    # Then the worker of each requeued queue is woken, and only that one
    expected = {
        "delivery": {wake.DELIVERY},
        "inbox": {wake.INBOX},
        "given_up": {wake.DELIVERY, wake.INBOX},
        "domain": {wake.DELIVERY},
        "all": {wake.DELIVERY},
    }[retry]
    assert {channel for channel, event in woken.items() if event.is_set()} == expected
