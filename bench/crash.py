"""Crash benchmark: `kill -9` a federation worker 30 % into a 1,000-follower fan-out.

A group's activity is queued for 1,000 inboxes, each on its own loopback address, that verify
every signature; `lyceum worker` processes send it (`--workers N`, several only on PostgreSQL), and
one is killed with SIGKILL once 30 % of the inboxes have it; a new worker starts at once.
Prints:
- duplicates received (inboxes that got it twice: at most the worker's concurrency, the rows
  it held in flight);
- deliveries lost (must be 0);
- seconds from the crash until every inbox has it, and until every row is recorded done
  (the dead worker's rows come back when their lease, `LYCEUM_DELIVERY_LEASE_SECONDS`, ends).

Run: `.venv/bin/python -m bench.crash [--followers 1000] [--kill-at 0.3]
[--workers 1] [--database-url postgres://…]` (default: one worker, on a SQLite file in a
temporary directory).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench._fleet import Fleet, start_fleet
from bench._instance import instance_environment
from federation.delivery import enqueue
from federation.delivery.worker import DEFAULT_CONCURRENCY
from server import db
from server.models import Actor, ActorKind, Delivery, DeliveryState
from server.services.keys import generate_rsa_keypair
from server.settings import Settings


def start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = instance_environment(settings)
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "server.cli", "worker"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def received(client: httpx.AsyncClient, fleet: Fleet) -> dict[str, int]:
    """Inbox -> verified POSTs."""
    return await fleet.received(client)


async def bench(followers: int, kill_at: float, database_url: str, running: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="lyceum-crash-"))
    settings = Settings(
        base_url="http://127.0.0.1:9",
        data_dir=workdir,
        database_url=database_url,
        secret_key="crash-bench-secret-" + "x" * 32,
        federation_allow_http=True,
        federation_allowed_networks="127.0.0.0/8",
        embedded_worker=False,
    )
    await db.migrate(settings)
    await db.open_database(settings)
    await Delivery.all().delete()  # a reused PostgreSQL database starts with an empty queue
    private_pem, public_pem = generate_rsa_keypair()
    group = await Actor.create(
        kind=ActorKind.GROUP,
        username=f"crash{int(time.time())}",
        private_key_pem=private_pem,
        public_key_pem=public_pem,
    )
    fleet = start_fleet(public_pem, followers, workdir)
    log = workdir / "worker.log"
    workers: list[subprocess.Popen[bytes]] = []
    try:
        inboxes = fleet.inboxes
        activity = {"id": f"{settings.base_url}/announces/crash", "type": "Announce"}
        assert await enqueue(activity, group.id, inboxes) == followers
        async with httpx.AsyncClient(timeout=10) as client:
            workers.extend(start_worker(settings, log) for _ in range(running))
            while len(await received(client, fleet)) < followers * kill_at:
                assert workers[0].poll() is None, log.read_text()
                await asyncio.sleep(0.01)  # how often the bench looks
            workers[0].send_signal(signal.SIGKILL)
            crashed = time.perf_counter()
            workers[0].wait()
            at_crash = len(await received(client, fleet))
            leased = await Delivery.filter(
                state=DeliveryState.QUEUED, lease_until__isnull=False
            ).count()
            workers.append(start_worker(settings, log))
            while len(await received(client, fleet)) < followers:
                assert workers[-1].poll() is None, log.read_text()
                assert time.perf_counter() - crashed < 300, "not delivered after 5 minutes"
                await asyncio.sleep(0.05)
            all_delivered = time.perf_counter() - crashed
            while await Delivery.filter(state=DeliveryState.QUEUED).exists():
                assert workers[-1].poll() is None, log.read_text()
                await asyncio.sleep(0.05)
            all_recorded = time.perf_counter() - crashed
            counts = await received(client, fleet)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=30)
        fleet.stop()
        await db.close_database()
    duplicates = sum(count - 1 for count in counts.values())
    backend = database_url.split(":")[0] or "sqlite"
    print(json.dumps({"followers": followers, "db": backend, "workers": running}))
    print(f"worker concurrency: {DEFAULT_CONCURRENCY}, lease: {settings.delivery_lease_seconds} s")
    print(f"killed with {at_crash} inboxes reached; rows leased then (all workers): {leased}")
    print(f"duplicates received: {duplicates} (bound: {DEFAULT_CONCURRENCY})")
    print(f"deliveries lost: {followers - len(counts)}")
    print(f"crash to all delivered: {all_delivered:.1f} s; to all recorded: {all_recorded:.1f} s")
    print(f"failed rows: {await _failed(settings)}")


async def _failed(settings: Settings) -> int:
    await db.open_database(settings)
    try:
        return await Delivery.filter(state=DeliveryState.FAILED).count()
    finally:
        await db.close_database()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--followers", type=int, default=1000)
    parser.add_argument("--kill-at", type=float, default=0.3)
    parser.add_argument("--workers", type=int, default=1, help="more than 1: PostgreSQL only")
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    args = parser.parse_args()
    asyncio.run(bench(args.followers, args.kill_at, args.database_url, args.workers))


if __name__ == "__main__":
    main()
