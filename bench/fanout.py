"""Fan-out benchmark: one post in a group with 1,000 remote followers on 20 loopback hosts.

Prints, for one run on SQLite:
- deliveries per second through the real path (post → outbox rows → the delivery worker's own
  loop → signed POST → the receiver verifies the signature → 202), and the time from post to
  last delivery recorded;
- the same client's bare signed-POST rate to the same inboxes (the limit), and the ratio.

Run: `.venv/bin/python -m bench.fanout [--followers 1000] [--hosts 20]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from federation import urls
from federation.httpsig import CavageAuth
from federation.runtime import FederationRuntime
from server import db
from server.app import create_app
from server.models import (
    Actor,
    ActorKind,
    Delivery,
    DeliveryState,
    MemberRole,
    Membership,
    MembershipState,
)
from server.services import accounts, groups, posts
from server.settings import Settings


def start_receivers(
    public_pem: str, hosts: int, workdir: Path
) -> tuple[subprocess.Popen[str], list[int]]:
    key_file = workdir / "group.pub"
    key_file.write_text(public_pem)
    process = subprocess.Popen(
        [sys.executable, "-m", "bench._receiver", str(key_file), str(hosts)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    ports: list[int] = []
    for line in process.stdout:
        if line.startswith("PORT "):
            ports.append(int(line.split()[1]))
        elif line.strip() == "READY":
            return process, ports
    raise RuntimeError("the receiver fleet did not start")


async def bench(followers: int, hosts: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="lyceum-bench-"))
    settings = Settings(
        base_url="http://127.0.0.1:9",
        data_dir=workdir,
        federation_allow_http=True,
        federation_allowed_networks="127.0.0.0/8",
        embedded_worker=False,
    )
    await db.migrate(settings)
    await db.open_database(settings)
    create_app(settings, manage_database=False)  # registers the outbox subscribers
    owner = await accounts.create_account(
        "organiser", "organiser@example.org", "benchmark password"
    )
    await owner.fetch_related("actor")
    group = await groups.create_group(owner, groups.GroupForm(handle="physics", name="Physics"))
    group_actor = await Actor.get(id=group.actor_id)
    receivers, ports = start_receivers(group_actor.public_key_pem, hosts, workdir)
    try:
        inboxes = [f"http://127.0.0.1:{ports[i % hosts]}/inbox/{i}" for i in range(followers)]
        remote = [
            Actor(
                kind=ActorKind.PERSON,
                username=f"f{i}",
                domain=f"127.0.0.1:{ports[i % hosts]}",
                ap_id=f"http://127.0.0.1:{ports[i % hosts]}/users/f{i}",
                inbox_url=inbox,
                software="mastodon",
            )
            for i, inbox in enumerate(inboxes)
        ]
        await Actor.bulk_create(remote, batch_size=500)
        ids = await Actor.filter(username__startswith="f", domain__not="").values_list(
            "id", flat=True
        )
        await Membership.bulk_create(
            [
                Membership(
                    group_id=group.id,
                    actor_id=actor_id,
                    role=MemberRole.MEMBER,
                    state=MembershipState.ACCEPTED,
                )
                for actor_id in ids
            ],
            batch_size=500,
        )
        runtime = FederationRuntime(settings)
        worker = runtime.delivery

        # The real path: a post, its outbox rows, the worker.
        started = time.perf_counter()
        await posts.create_post(
            owner,
            group,
            "discussion",
            "Benchmark",
            "A post that fans out.",
            max_chars=settings.max_post_chars,
            local_domain=settings.domain,
        )
        queued = await Delivery.filter(state=DeliveryState.QUEUED).count()
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run_until_stopped(stop))  # the worker's own loop
        while await Delivery.filter(state=DeliveryState.QUEUED).exists():
            assert not running.done(), "the worker stopped"
            await asyncio.sleep(0.02)  # how often the bench looks; the worker does not wait on it
        elapsed = time.perf_counter() - started
        stop.set()
        await running
        done = await Delivery.filter(state=DeliveryState.DONE).count()
        failed = await Delivery.exclude(state=DeliveryState.DONE).count()

        # The limit: the same client, bare signed POSTs of the same body to the same inboxes.
        payload = (await Delivery.first().values_list("payload", flat=True)) or "{}"
        auth = CavageAuth(urls.key_id(settings, group_actor), group_actor.private_key_pem)
        slots = {port: asyncio.Semaphore(8) for port in ports}
        statuses: list[int] = []

        async def post(inbox: str) -> None:
            port = int(inbox.split(":")[2].split("/")[0])
            async with slots[port]:
                response = await runtime.client.post(
                    inbox,
                    content=str(payload).encode(),
                    headers={"Content-Type": "application/activity+json"},
                    auth=auth,
                )
                statuses.append(response.status_code)

        bare_started = time.perf_counter()
        await asyncio.gather(*(post(inbox) for inbox in inboxes))
        bare_elapsed = time.perf_counter() - bare_started
        async with httpx.AsyncClient(timeout=5) as plain:  # one app serves every port
            verified = int((await plain.get(f"http://127.0.0.1:{ports[0]}/count")).text)
        await runtime.aclose()
    finally:
        receivers.kill()
        await db.close_database()

    rate = done / elapsed
    bare_rate = followers / bare_elapsed
    print(json.dumps({"followers": followers, "hosts": hosts, "queued": queued}))
    print(f"fan-out: {done} delivered, {failed} not, in {elapsed:.2f} s → {rate:.0f} deliveries/s")
    print(f"post to last delivery: {elapsed:.2f} s")
    print(f"bare signed POST limit: {bare_rate:.0f} requests/s ({bare_elapsed:.2f} s)")
    print(f"ratio fan-out / limit: {rate / bare_rate:.0%}")
    print(f"signatures verified by the receivers: {verified} of {followers * 2}")
    print(f"bare statuses: {sorted(set(statuses))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--followers", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(bench(args.followers, args.hosts))


if __name__ == "__main__":
    main()
