"""Soak: minutes of mixed load on the production layout, then a count of what went wrong.

The layout is the README's production one: a temporary PostgreSQL database, `lyceum serve
--workers 2` (two web processes on one socket, embedded worker off) and two `lyceum worker`
processes, all started as an operator starts them. A group's remote followers live on a fleet of
loopback inboxes, each on its own address (`bench._receiver`: one separate process that
verifies every signature and digest). For
`--minutes` it runs at once:
- web reads: the front page, the group page, a thread, the group's actor JSON and WebFinger,
  `--reads-per-second` in all;
- incoming posts: signed Creates from a remote member into the shared inbox,
  `--posts-per-second`; a worker handles each and the group Announces it to every follower;
- a fan-out: a local member starts a thread every `--fanout-every` seconds.

Then it waits for the queues to drain and prints: errors (a read that is not 200, an inbox
answer that is not 202, an error line in any process's log), deliveries lost (not delivered, or
received fewer times than recorded as done) and duplicated (received more often than recorded),
inbox rows not handled, and each process's RSS at the start (after a warm-up) and at the end.

Run: `.venv/bin/python -m bench.soak [--minutes 10] [--followers 200]
[--reads-per-second 40] [--posts-per-second 5] [--fanout-every 30]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bench._database import migrated_database
from bench._fleet import Fleet, start_fleet
from bench._instance import instance_environment
from bench.inbox import AS2, new_keypair
from federation.httpsig import CavageAuth
from server.app import create_app
from server.models import (
    Account,
    Actor,
    ActorKind,
    Delivery,
    DeliveryState,
    Group,
    InboxActivity,
    MemberRole,
    Membership,
    MembershipState,
)
from server.services import accounts, groups, posts
from server.settings import Settings

WARM_UP_SECONDS = 20
DRAIN_SECONDS = 300
ERROR_LINE = re.compile(r"Traceback|\bERROR\b|\bCRITICAL\b")


@dataclass
class Tally:
    reads: Counter[int] = field(default_factory=Counter)
    inbox: Counter[int] = field(default_factory=Counter)
    exceptions: Counter[str] = field(default_factory=Counter)
    fanouts: int = 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def web_processes(pid: int) -> list[int]:
    """The web processes a `lyceum serve --workers N` supervisor runs (not its helpers, such as
    multiprocessing's resource tracker)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    found = [int(child) for child in path.read_text().split()] if path.exists() else []
    return [
        child
        for child in found
        if b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes()
    ]


class Layout:
    """The processes of the production layout, with their logs in `workdir`."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.env = env
        self.workdir = workdir
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> None:
        log = (self.workdir / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "server.cli", *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def rss(self) -> dict[str, float]:
        """RSS per process; the web server's own processes are its supervisor's children, and
        a worker's signing processes (`LYCEUM_DELIVERY_SIGNING_PROCESSES`) are its own."""
        sizes: dict[str, float] = {}
        for name, process in self.processes.items():
            spawned = [pid for pid in web_processes(process.pid) if pid != process.pid]
            if name == "web":
                for n, child in enumerate(spawned or [process.pid], start=1):
                    sizes[f"web {n}"] = rss_mb(child)
                continue
            sizes[name] = rss_mb(process.pid)
            for n, child in enumerate(spawned, start=1):
                sizes[f"{name}, signing process {n}"] = rss_mb(child)
        return sizes

    def error_lines(self) -> list[str]:
        lines: list[str] = []
        for name in self.processes:
            text = (self.workdir / f"{name}.log").read_text(errors="replace")
            lines += [f"{name}: {line}" for line in text.splitlines() if ERROR_LINE.search(line)]
        return lines

    def exited(self) -> list[str]:
        return [name for name, process in self.processes.items() if process.poll() is not None]

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


async def wait_until_ready(base: str, layout: Layout, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if layout.exited():
                raise RuntimeError(f"exited before serving: {layout.exited()}")
            try:
                if (await client.get(f"{base}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the web processes did not answer within {seconds} s")


async def make_group(settings: Settings) -> tuple[Account, Group, str]:
    """The organiser and the group; and the group's public key, which the receivers check."""
    owner = await accounts.create_account("organiser", "organiser@example.org", "soak password!")
    await owner.fetch_related("actor")
    group = await groups.create_group(owner, groups.GroupForm(handle="physics", name="Physics"))
    return owner, group, (await Actor.get(id=group.actor_id)).public_key_pem


async def seed(
    settings: Settings, owner: Account, group: Group, inboxes: list[str], pem: str
) -> tuple[str, str]:
    """The group's remote followers, one on each inbox but the last, and alice on the last: a
    remote member whose posts come in through the inbox (her public key is `pem`). Returns
    alice's id and a thread's."""
    remote = []
    for n, inbox in enumerate(inboxes):
        host = urlsplit(inbox).netloc
        name = "alice" if n == len(inboxes) - 1 else f"f{n}"
        remote.append(
            Actor(
                kind=ActorKind.PERSON,
                username=name,
                domain=host,
                ap_id=f"http://{host}/users/{name}",
                inbox_url=inbox,
                key_id=f"http://{host}/users/{name}#main-key",
                public_key_pem=pem if name == "alice" else "",
                software="mastodon",
            )
        )
    await Actor.bulk_create(remote, batch_size=500)
    ids = await Actor.filter(domain__startswith="127.0.").values_list("id", flat=True)
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
    thread = await posts.create_post(
        owner,
        group,
        "question",
        "Why does a pendulum's period not depend on its mass?",
        "The first thread, read all through the soak.",
        max_chars=settings.max_post_chars,
        local_domain=settings.domain,
    )
    return str(remote[-1].ap_id), thread.id


async def read_load(
    base: str, paths: list[tuple[str, str]], rate: float, until: float, tally: Tally
) -> None:
    """`rate` GETs a second in all, spread over the paths in turn, from 8 loops."""
    loops = 8
    async with httpx.AsyncClient(timeout=30) as client:

        async def loop(offset: int) -> None:
            n = offset
            next_at = time.monotonic() + offset / rate
            while time.monotonic() < until:
                path, accept = paths[n % len(paths)]
                n += loops
                try:
                    response = await client.get(base + path, headers={"Accept": accept})
                    tally.reads[response.status_code] += 1
                except httpx.HTTPError as error:
                    tally.exceptions[f"read: {type(error).__name__}"] += 1
                next_at += loops / rate
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))

        await asyncio.gather(*(loop(i) for i in range(loops)))


async def post_load(
    base: str, group_url: str, alice: str, pem: str, rate: float, until: float, tally: Tally
) -> None:
    """Signed Creates from alice into the shared inbox, `rate` a second."""
    auth = CavageAuth(f"{alice}#main-key", pem)
    async with httpx.AsyncClient(timeout=30) as client:
        next_at = time.monotonic()
        while time.monotonic() < until:
            note = f"{alice}/notes/{uuid.uuid4().hex}"
            activity = {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{note}/activity",
                "type": "Create",
                "actor": alice,
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "cc": [group_url],
                "object": {
                    "id": note,
                    "type": "Note",
                    "attributedTo": alice,
                    "to": ["https://www.w3.org/ns/activitystreams#Public"],
                    "cc": [group_url],
                    "content": f'<p><a href="{group_url}">@physics</a> a question from afar</p>',
                    "tag": [{"type": "Mention", "href": group_url, "name": "@physics"}],
                },
            }
            try:
                response = await client.post(
                    f"{base}/inbox",
                    content=json.dumps(activity).encode(),
                    headers={"Content-Type": AS2},
                    auth=auth,
                )
                tally.inbox[response.status_code] += 1
            except httpx.HTTPError as error:
                tally.exceptions[f"inbox: {type(error).__name__}"] += 1
            next_at += 1 / rate
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))


async def fanout_load(
    settings: Settings, owner: Account, group: Group, every: float, until: float, tally: Tally
) -> None:
    """A new thread by the organiser every `every` seconds, written as the web process does."""
    while time.monotonic() + every < until:
        await asyncio.sleep(every)
        try:
            await posts.create_post(
                owner,
                group,
                "discussion",
                f"Fan-out {tally.fanouts + 1}",
                "A thread every follower's server receives.",
                max_chars=settings.max_post_chars,
                local_domain=settings.domain,
            )
            tally.fanouts += 1
        except Exception as error:
            tally.exceptions[f"fan-out: {type(error).__name__}"] += 1


async def drain(seconds: float) -> bool:
    """Wait until nothing is queued or unhandled; False if `seconds` pass first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        queued = await Delivery.filter(state=DeliveryState.QUEUED).exists()
        unhandled = await InboxActivity.filter(
            processed_at__isnull=True, dead_at__isnull=True
        ).exists()
        if not queued and not unhandled:
            return True
        await asyncio.sleep(0.5)
    return False


async def delivery_books(fleet: Fleet) -> tuple[int, int, int, int]:
    """(done rows, rows not done, lost, duplicated), from the queue and the receivers' count."""
    async with httpx.AsyncClient(timeout=30) as client:
        received = await fleet.received(client)
    done = Counter(
        "{0.netloc}{0.path}".format(urlsplit(str(url)))
        for url in await Delivery.filter(state=DeliveryState.DONE).values_list(
            "inbox_url", flat=True
        )
    )
    not_done = await Delivery.exclude(state=DeliveryState.DONE).count()
    lost = sum(max(0, count - received.get(path, 0)) for path, count in done.items())
    duplicated = sum(max(0, count - done.get(path, 0)) for path, count in received.items())
    return sum(done.values()), not_done, lost + not_done, duplicated


async def soak(args: argparse.Namespace) -> int:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    fleet: Fleet | None = None
    tally = Tally()
    async with migrated_database("postgres") as fresh:
        settings = fresh.model_copy(
            update={
                "base_url": base,
                "federation_allow_http": True,
                "federation_allowed_networks": "127.0.0.0/8",
            }
        )
        workdir = settings.data_dir
        env = instance_environment(
            settings,
            secret_key="soak-" + "x" * 40,
            log_level="warning",
            # One remote member posts all the incoming load: counted, as always, never reached.
            inbox_actor_rate_limit="1000000/minute",
            inbox_domain_rate_limit="1000000/minute",
            post_rate_limit="1000000/minute",
        )
        layout = Layout(env, workdir)
        try:
            create_app(settings, manage_database=False)  # this process's posts queue deliveries
            alice_private, alice_public = new_keypair()
            owner, group, group_pem = await make_group(settings)
            fleet = start_fleet(group_pem, args.followers + 1, workdir)
            alice, thread_id = await seed(settings, owner, group, fleet.inboxes, alice_public)
            serve = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
            layout.start("web", *serve)
            layout.start("worker 1", "worker")
            layout.start("worker 2", "worker")
            await wait_until_ready(base, layout)
            group_url = f"{base}/g/physics"
            paths = [
                ("/", "text/html"),
                ("/g/physics", "text/html"),
                (f"/p/{thread_id}", "text/html"),
                ("/g/physics", AS2),
                (f"/.well-known/webfinger?resource=acct:physics@{settings.domain}", "*/*"),
            ]
            started = time.monotonic()
            warm_until = started + WARM_UP_SECONDS
            until = started + args.minutes * 60
            loads = [
                read_load(base, paths, args.reads_per_second, until, tally),
                post_load(
                    base, group_url, alice, alice_private, args.posts_per_second, until, tally
                ),
                fanout_load(settings, owner, group, args.fanout_every, until, tally),
            ]
            running = asyncio.gather(*loads)
            await asyncio.sleep(max(0.0, warm_until - time.monotonic()))
            rss_start = layout.rss()
            await running
            drained = await drain(DRAIN_SECONDS)
            rss_end = layout.rss()
            done, not_done, lost, duplicated = await delivery_books(fleet)
            unhandled = await InboxActivity.filter(processed_at__isnull=True).count()
            exited = layout.exited()
        finally:
            layout.stop()
            if fleet is not None:
                fleet.stop()

    error_lines = layout.error_lines()
    read_errors = sum(count for status, count in tally.reads.items() if status != 200)
    inbox_errors = sum(count for status, count in tally.inbox.items() if status != 202)
    errors = read_errors + inbox_errors + sum(tally.exceptions.values()) + len(error_lines)
    print(
        json.dumps(
            {
                "minutes": args.minutes,
                "followers": args.followers,
                "reads_per_second": args.reads_per_second,
                "posts_per_second": args.posts_per_second,
                "fanout_every": args.fanout_every,
            }
        )
    )
    print(f"reads: {sum(tally.reads.values())} {dict(tally.reads)}")
    print(f"incoming posts: {sum(tally.inbox.values())} {dict(tally.inbox)}")
    print(f"fan-outs: {tally.fanouts}")
    print(f"exceptions in the load: {dict(tally.exceptions) or 0}")
    print(f"error lines in the logs: {len(error_lines)}")
    for line in error_lines[:20]:
        print(f"  {line}")
    print(f"queues drained: {'yes' if drained else f'no, after {DRAIN_SECONDS} s'}")
    print(f"deliveries done: {done}; lost: {lost} (not done: {not_done}); duplicated: {duplicated}")
    print(f"inbox rows not handled: {unhandled}")
    print(f"processes that exited during the soak: {exited or 'none'}")
    print("RSS (MB) at the start → at the end:")
    for process_name in sorted(rss_end):
        start = rss_start.get(process_name, 0.0)
        print(f"  {process_name}: {start:.0f} → {rss_end[process_name]:.0f}")
    print(f"errors: {errors}")
    clean = errors == 0 and lost == 0 and duplicated == 0 and drained and not unhandled
    return 0 if clean and not exited else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--followers", type=int, default=200)
    parser.add_argument("--reads-per-second", type=float, default=40)
    parser.add_argument("--posts-per-second", type=float, default=5)
    parser.add_argument("--fanout-every", type=float, default=30)
    args = parser.parse_args()
    sys.exit(asyncio.run(soak(args)))


if __name__ == "__main__":
    main()
