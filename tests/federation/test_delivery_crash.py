"""A delivery worker killed with SIGKILL mid-fan-out loses nothing once a new one starts.

The real shape: the test's migrated database (a SQLite file; PostgreSQL with
`LYCEUM_TEST_DATABASE=postgres`), a `lyceum worker` process, 500 inboxes on a fleet
of loopback hosts that verify every signature. The first worker is killed while it has rows
leased and POSTs in flight; the second sends what was never claimed at once and, once the lease
(`LYCEUM_DELIVERY_LEASE_SECONDS`, 2 s here) has run out, what the dead worker held. Inboxes may
get an activity twice (receivers ignore a duplicate id), but no more of them than the worker
had rows in flight (its concurrency: outcomes are recorded as they come); none may miss it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from federation import urls
from federation.delivery import enqueue
from federation.delivery.worker import DEFAULT_CONCURRENCY
from server.models import Actor, ActorKind, Delivery, DeliveryState
from server.settings import Settings
from tests.conftest import BASE_URL
from tests.federation._fleet import RecordingFleet, serve_fleet
from tests.federation._httpsig_vectors import RSA_PRIVATE, RSA_PUBLIC
from tests.worker_process import Worker, poll

pytestmark = pytest.mark.live

FANOUT = 500
HOSTS = 5
LEASE_SECONDS = 2
SLOW_ANSWER = 0.4  # 5 hosts x 8 concurrent POSTs / 0.4 s: the first worker needs ~5 s for all
KILL_AFTER = 250  # inboxes reached: half the fan-out done, the worker's rows in flight


def start_worker(settings: Settings, log: Path) -> Worker:
    return Worker(
        settings,
        log,
        LYCEUM_FEDERATION_ALLOW_HTTP="true",
        LYCEUM_FEDERATION_ALLOWED_NETWORKS="127.0.0.0/8",
        LYCEUM_DELIVERY_LEASE_SECONDS=str(LEASE_SECONDS),
    )


async def all_rows_done() -> bool:
    return await Delivery.filter(state=DeliveryState.DONE).count() == FANOUT


async def test_delivery_crash__sigkill_mid_fanout_then_restart_reaches_every_inbox(
    settings: Settings, database: None, tmp_path: Path
) -> None:
    fleet = RecordingFleet(public_pem=RSA_PUBLIC, key_id=f"{BASE_URL}/g/physics#main-key")
    async with serve_fleet(fleet, HOSTS) as hosts:
        # Given a group with a key and one activity queued for 500 inboxes on 5 hosts
        group = await Actor.create(
            kind=ActorKind.GROUP,
            username="physics",
            private_key_pem=RSA_PRIVATE,
            public_key_pem=RSA_PUBLIC,
        )
        assert urls.key_id(settings, group) == fleet.key_id
        inboxes = [f"{hosts[n % HOSTS]}/inbox/{n}" for n in range(FANOUT)]
        activity = {"id": f"{BASE_URL}/g/physics/announces/1", "type": "Announce"}
        assert await enqueue(activity, group.id, inboxes) == FANOUT
        # And slow receivers, so that the fan-out takes seconds
        fleet.delay = SLOW_ANSWER
        log = tmp_path / "worker.log"

        # When a worker has reached some but not all of the inboxes, and is killed with SIGKILL
        first = start_worker(settings, log)
        try:
            await poll(lambda: fleet.inboxes_reached >= KILL_AFTER, "the fan-out", first, 60)
        finally:
            first.kill()
        reached_before_restart = fleet.inboxes_reached
        assert reached_before_restart < FANOUT, "the kill landed after the fan-out ended"
        leased = await Delivery.filter(
            state=DeliveryState.QUEUED, lease_until__isnull=False
        ).count()
        assert leased > 0, "the dead worker should have left rows leased"

        # And a new worker starts (receivers answer quickly now)
        fleet.delay = 0
        second = start_worker(settings, log)
        try:
            # Then every one of the 500 inboxes receives the activity
            await poll(lambda: fleet.inboxes_reached == FANOUT, "every inbox", second, 30)

            # And every row ends done, once the worker has recorded its last batch
            await poll(all_rows_done, "every row done", second, 10)
        finally:
            assert second.stop() == 0, log.read_text()
    assert sorted(fleet.received) == sorted(f"/inbox/{n}" for n in range(FANOUT))
    duplicates = sum(fleet.received.values()) - FANOUT
    assert 0 <= duplicates <= DEFAULT_CONCURRENCY  # misses never; at most what was in flight
    assert fleet.refused == [], "every POST carried a valid signature"
    assert await Delivery.exclude(state=DeliveryState.DONE).count() == 0
