"""Inbox benchmark: pre-signed activities POSTed to real Lyceum processes, verified and stored;
end to end, also handled by inbox workers and queued for Announce.

Each run makes a throw-away database (`--database sqlite`, a temporary data dir, or `postgres`,
a temporary database on 127.0.0.1:5432 dropped at the end: `bench/_database.py`) holding one
remote actor with its public key (so each key lookup is the cache hit a busy inbox sees), starts
`--web-processes` Lyceum web processes sharing one port (the real app, embedded worker off), and
signs N distinct activities beforehand exactly as `CavageAuth` signs them (fresh Date, Digest,
rsa-sha256). They are fired at the shared inbox over keep-alive connections with a minimal
HTTP/1.1 client (so the load generator, sharing the two cores, costs as little as possible).

- Stored (default): Creates and Likes; prints the activities stored per second (rows in
  `inbox_activity` at the end), the 202 count, the web processes' CPU per request and the
  p50/p99 latency. Target: at least 5,000 stored per second on either database.
- `--end-to-end --workers M`: Creates of a Note into a local group with alice and 20 followers,
  each on a server of its own, as members; M inbox worker processes (`bench/_inbox_worker.py`:
  `lyceum worker`'s runtime running only the inbox processor, so no delivery attempt shares the
  cores) run from the start. Prints posts per second from the first request until every row is
  handled (the post stored and its Announce queued: 21 deliveries a post), the errors, and the
  CPU of the web and worker processes per post. Target: 1,000 a second with two workers on
  PostgreSQL. All posts come from alice (so a worker's batch is one chain); `--senders N`
  spreads them over N members of her server, in turn.

- `--handling`: the workers' share alone, in this process (no HTTP): `--activities` Creates
  stored as the inbox stores them, handled by one `InboxProcessor`; prints its CPU and the SQL
  statements a post (with `--profile FILE`, its cProfile stats).

Run: `.venv/bin/python -m bench.inbox [--database sqlite|postgres] [--activities 5000]
[--connections 32] [--web-processes 1] [--end-to-end --workers 2 [--senders 1] | --handling]
[--profile FILE]`

Idle machine (2026-12-05 03:45-03:51, load average 0.4-2.1, main after the merge of the
receiving and worker cuts), 20,000 activities, 32 connections:
  stored, PostgreSQL, 2 web processes   5,188/s and 4,718/s (two runs), 0.25-0.27 ms CPU a request
  stored, SQLite, 2 web processes       3,838/s and 2,806/s, 0.37-0.51 ms
  stored, SQLite, 1 web process         3,441/s, 0.28 ms
  end to end, PostgreSQL, 2 workers     168 posts/s (3,000 posts), 5.5 ms CPU a post
  end to end, SQLite, 1 worker          135 posts/s (2,000 posts), 6.2 ms CPU a post

Figures on the shared 2-core machine (2026-12-04), with the load average of the other helpers'
work at the time: take the rates as lower bounds and compare the CPU per request, which load
disturbs less.
- Stored, before (main at c8e3c0d; load 1.7-2.6): SQLite 1,783/s, 0.41 ms CPU a request;
  PostgreSQL 1,298/s, 0.59 ms (two web processes: 740/s, 0.65 ms). cProfile of the PostgreSQL
  web process: 18,351 asyncpg `execute` calls for 4,050 requests, 8,844 of them the pool's reset
  query on release and 8,100 the NOTIFY each request sent after its batch had committed.
- Stored, after (a batch is one PostgreSQL statement, NOTIFY included; no reset query; inbox
  POSTs skip sessions, instance name and negotiation; `gc.freeze()` after start-up), load 9-10:
  SQLite 1,018/s, 0.39 ms; PostgreSQL 615/s, 0.34 ms; two web processes SQLite 1,694/s,
  0.42 ms, PostgreSQL 1,016/s, 0.37 ms. At 0.34-0.39 ms a request, one idle core serves about
  2,600-2,900 a second, two web processes on two idle cores (the load generator beside them)
  about 4,500-5,500: the 5,000 target is for the lead's idle rerun to confirm.
- Stored, issue #13 (2026-12-05; a SQLite batch is one trip to its connection's thread, no
  Tortoise model per activity, ids made in one step, plain ids and their origins read without
  urlsplit, Date values, keys, Host and each actor's server remembered, metric series looked
  up once, the inbox lane dispatching straight to its route, the benchmark's uvicorn without
  its proxy-headers layer as `lyceum serve`): two web processes, 10,000 activities, main at
  a86e8f6 then this, back to back. Load 6.5-7.6: PostgreSQL 0.53 -> 0.40 ms CPU a request,
  SQLite 0.69 -> 0.43 ms; load 13-15: PostgreSQL 0.54 -> 0.49 ms, SQLite 0.61 -> 0.44 ms (rates
  at such loads say nothing). The app alone (in process, no uvicorn, 16 at once, load 7-11):
  PostgreSQL 0.35 -> 0.26 ms, SQLite 0.51 -> 0.29 ms. What is left per request: RSA (~0.05
  ms), uvicorn and the event loop (~0.1 ms: parsing, a task, the write), JSON parsing, the
  Signature header's parsing and the middleware layers every request passes.
- End to end, before (load 6): PostgreSQL, one worker: 22 posts/s, 14.5 ms CPU a post.
- End to end, after (batches of 50, unrelated rows side by side on PostgreSQL, outcomes and an
  Announce's deliveries each in one statement), load 11-14: PostgreSQL one worker 16 posts/s,
  two workers 23 posts/s, 15-16 ms CPU a post; SQLite one worker 40 posts/s, 13 ms. The worker
  is CPU-bound on the domain work of a post, about 42 SQL statements through the ORM (the post
  loaded again by each of the six PostCreated subscribers, the group and its actor three times,
  memberships twice): 1,000 posts/s needs about 1 ms a post, which only a handling of many
  posts per statement (a bulk `receive_post` and bulk subscribers) can give.
- End to end, 2026-12-05, before (main at a86e8f6) and after (`PostCreated` carries the post
  just stored, `events.StoredPost`, so no subscriber reads it again; the author's membership
  read once; a batch reads each sender, group and domain block once, `BatchMemo`):
  PostgreSQL, two web processes and two workers, 2,000 posts: before 21 posts/s, 17.3 ms CPU a
  post (load 5.5); after 60 posts/s, 6.8 ms (load 6.3). SQLite, one worker: before 14 posts/s,
  19.5 ms (1,000 posts, load 11-13); after 37 posts/s, 7.5 ms (load 7-11). `--handling`, 300
  posts, one worker in-process: SQL statements a post 34.1 → 12.2 on PostgreSQL (39.1 → 17.2
  on SQLite, whose search index and deliveries take more, cheaper, statements), worker CPU
  21.4 → 7.1 ms a post (load 7). What is left is one statement per step of a post (is it
  here, ban, membership, the post, its mentions, the group's count and its update, watchers,
  the search index, the rollups' mark, the audience, the deliveries) at about 0.5 ms each
  through Tortoise and asyncpg: 1,000 posts/s still needs the bulk handling above.
- End to end, issue #13 point 3 (2026-12-05): the bulk path. A batch's ordinary posts (the
  Creates leading each chain that `receive_post` would store and publish at once) are checked
  with a statement per fact for the whole batch (`remote.ordinary_posts`: stored already, bans,
  memberships, first posts) and stored with a statement per table (`remote.receive_posts`:
  posts, mentions, tags, each group's count once); their `PostCreated` events go out together
  (`EventBus.publish_many`), and the search index, the rollups' marks, the watchers, the
  ledger and the outbox (every Announce of the batch in one `enqueue_many`) each write once for
  the batch. `--handling`, 300 posts, main at ad342ef → this: PostgreSQL 12.1 → 0.4 statements
  a post, 5.58 → 0.75 ms worker CPU a post (load 2.4 → 5.8); SQLite 17.2 → 0.5 statements,
  8.27 → 1.33 ms (load 2.5 → 5.8; 1.51 ms at load 8.9). End to end, 2,000 posts, two web
  processes, back to back (main at ad342ef from `git archive`, then 77cc014): PostgreSQL, two
  workers, 25 → 225 posts/s, 7.54 → 1.23 ms CPU a post (web and workers; load 11.3 → 9.1);
  SQLite, one worker, 108 → 514 posts/s, 6.11 → 1.39 ms (load 7.4 → 6.9). Again at load 7.7-8.1,
  PostgreSQL two workers: 327 posts/s, 1.13 ms, and with `--senders 20` 327 posts/s, 1.27 ms
  (many senders make many chains, and the bulk path takes each chain's leading posts, so it
  changes little). At 1.1-1.3 ms of web and worker CPU a post, two idle cores give about
  1,500 posts/s before PostgreSQL's own work (21 delivery rows a post, each with its payload,
  the search vector) is counted: the 1,000 target is for an idle rerun to confirm. What is
  left per post: the web side's ~0.4 ms, the activity's JSON parsed twice (chains, then the
  handling), the model objects and the rendering of the Announce.

End to end, issue #13 point 3, the worker's share cut (2026-12-05 09:02-09:06, branch `e2e`
against main at b6221cf from a worktree, back to back, 3,000 posts, two web processes; the
CPU now split into web, workers and PostgreSQL's backends, which the figures above left out
and which is as large as the workers'). Changes: `enqueue_many` sends each Announce's template
once (`jsonb_populate_recordset`, one model object a call) instead of a jsonb array element
read again for each of its 21 rows (that statement's database CPU 0.28 -> 0.19 ms a post);
`new_id` without base64's Python loop (4 -> 1.5 µs, 24 ids a post); each row read once for
chains and handling, and not walked for unstorable text when its JSON holds no `\\u` escape;
a partial index on the open inbox rows (migration 0012: each claim scanned and sorted the
whole table, which keeps every handled row); inbox domains remembered. PostgreSQL, two
workers, three pairs (load 5.0 -> 3.5): workers 0.55/0.52/0.43 -> 0.39/0.43/0.34 ms a post,
PostgreSQL's backends 0.65/0.61/0.53 -> 0.47/0.51/0.42 ms, 673/724/1,466 -> 993/883/1,762
posts/s; again at load 2.3: 1,411 -> 1,747 posts/s, workers 0.44 -> 0.38, backends 0.55 ->
0.47. SQLite, one worker (load 2.8): 837 -> 918 posts/s, workers 0.76 -> 0.68 ms. `--handling`,
1,000 posts (load 2-5): worker 0.46/0.49 -> 0.37/0.41 ms, its backend 0.44 -> 0.33/0.36 ms.
Batches in these runs are full (59 of 80 claims took 50 rows): a pause to let batches fill
changed nothing, and was left out.

Stored on SQLite, issue #13 point 3 (2026-12-05 05:20-05:55, branch `sqlitein` at 539965d..e7370c3
against main at ad342ef, back to back, 20,000 activities, 32 connections; the machine shared
with other helpers' benchmarks at load 6.5-9.5, so the rates below say little). Where SQLite's
time went, measured in the web process: a batch averaged 15 rows with one web process but 7
with two, each waiting up to 28 ms in the driver's busy-timeout sleeps while the other wrote
(p99 latency 70-140 ms), and SQLite's own thread spent ~75 µs of CPU a row (2.6 ms a batch of
wall time, much of it waiting for the GIL, which every statement's step hands back and forth
with the busy event loop, once more per RETURNING row). Changes: the web processes take turns
to write through a `flock` beside the file (`federation/inbox/_write_turns.py`: woken at the
other's COMMIT); a batch whose signatures and rows are all new is written without RETURNING
(the counts say so; a replay or duplicate rolls back and writes again with RETURNING); the WAL
file is kept up to 64 MB after a checkpoint (Tortoise's 16 KB limit had it truncated and grown
again); `lyceum serve` writes no access line per request below `debug` (~14 µs a line, not in
this benchmark, whose server never logged them). The write path alone, in one process (12,000
activities in batches of 16, no HTTP): 103 -> 92.5 µs of CPU a row, twice. Two web processes,
12,000 activities, a batch's trip in SQLite's thread timed (06:08-06:10, load 5.3-6.4, two runs
each): wall time a batch, waits included, 2.57-2.89 -> 1.58-2.05 ms; that thread's CPU a row
92 -> 83 µs (batches of 7-8 rows either way). Through HTTP, CPU a
request (main -> branch, pairs of runs): SQLite two web processes 0.35/0.41/0.41 ms ->
0.37/0.41/0.38 ms, one web process 0.29/0.31/0.35 -> 0.33/0.31/0.35 ms; PostgreSQL (its path
unchanged) two web processes 0.31 -> 0.33 ms, one 0.29 -> 0.32 ms: within this load's noise,
which the PostgreSQL pair shows to be about 10%. Rates at that load: SQLite two web processes
1,154-2,031/s -> 1,482-1,504/s. Whether the turns lift two SQLite web processes to 5,000/s, as
PostgreSQL's 0.25-0.27 ms did on the idle machine, is for an idle rerun: at 0.37 ms a request
two processes need about 1.9 free cores for it, the load generator beside them.

Connections, SQLite, two web processes (2026-12-05 14:50, idle): at `--connections 32` 4,604/s
(0.320 ms of server CPU a request, p50 6.2 ms), at 64 5,411/s (0.276 ms, p50 10.7 ms). More
requests in flight make bigger batches, whose commit more rows share: the CPU a request falls
by a seventh. At both, the two cores were about 80 % busy (servers and load generator).

Where a stored activity's CPU goes, issue #13 point 3 (2026-12-05 07:59-08:40, load 2.5-10 from
other helpers' benchmarks, so rates say little). The benchmark now also prints the load
generator's CPU (uvloop now, as the servers: 0.022-0.027 ms a request, 0.026-0.035 with
asyncio's loop) and, on PostgreSQL, the CPU of the database's backends: 0.063-0.086 ms a request,
which SQLite spends inside the web process. So the "extra" 0.05 ms SQLite shows over PostgreSQL
is the database's own work; counting it, a PostgreSQL request costs the machine more (server
0.21-0.29 + backends 0.06-0.09 ms) than a SQLite one (0.25-0.34 ms). Measured apart:
- the app alone (ASGI in process, 16 at once): 0.165-0.19 ms a request on SQLite, of which
  SQLite's thread 0.045 ms; 0.13-0.15 ms on PostgreSQL (the backends' not counted); so uvicorn
  (httptools, uvloop: both in use), the event loop and the kernel's loopback write are the
  other ~0.06-0.08 ms, one `send` a response;
- `verify_request` 45 µs (RSA 20-25 µs, the rest parsing and the digest), `read_envelope` 8 µs
  (`json.loads` 4-5 µs of it), `new_id` 2-3 µs, the signature key 2 µs; the seven middleware
  layers 6 µs a request (the whole stack around a trivial 202 endpoint 8.7 µs, the route alone
  2.8 µs): a lane past them would save ~2%, not worth weakening what they guarantee;
- SQLite, a batch written in one connection (no HTTP): ~40 µs a row, of which COMMIT ~20 µs
  (each row dirties a random leaf page of two hashed unique indexes, `dedup_key` and the
  signature's key, each a 4 KB WAL frame) and the two INSERTs ~14 µs; a batch of one costs
  57 µs. Two connections taking turns, a larger page cache, mmap and fewer checkpoints did not
  change it;
- batch size matters most: the app alone at 2, 8 and 32 requests at once costs 0.255, 0.203
  and 0.176 ms a request on SQLite, ~180 µs a batch in all, a third of it SQL and the rest the
  trip to SQLite's thread (each statement and each `flock` hands the GIL back and forth with a
  busy event loop). In two web processes a batch averaged 7-8 rows and held its write turn
  0.8-2.1 ms for 0.40-0.55 ms of CPU.
Tried and dropped: the batch written in the event loop's thread on a connection of its own
(no thread, no GIL hand-over): the loop, blocked while it writes, gathers smaller batches, and
the app alone cost more (0.216-0.244 against 0.183-0.230 ms); a 0.5 ms GIL switch interval
(turns held as long).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import uvloop
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from tortoise import Tortoise

from bench._database import migrated_database
from bench._instance import instance_environment
from federation.httpsig import CavageAuth
from federation.inbox import InboxProcessor
from federation.runtime import FederationRuntime
from server import events
from server.assembly import subscribe_all
from server.models import Actor, ActorKind, Delivery, InboxActivity, Post, inbox_dedup_key
from server.services import accounts, groups
from server.settings import Settings

REMOTE = "https://remote.example"
ALICE = f"{REMOTE}/users/alice"
AS2 = "application/activity+json"
WARM_UP = 50
FOLLOWERS = 20  # each post is Announced to this many inboxes (end to end)


def new_keypair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def senders(count: int) -> list[str]:
    """The remote actors posting: alice, and with `--senders N` N-1 more of her server (one
    key for all, each under its own key id)."""
    return [ALICE] + [f"{REMOTE}/users/s{n}" for n in range(1, count)]


async def store_remote_actor(public_pem: str, ap_id: str = ALICE) -> None:
    """The remote actor with its key, as an earlier fetch would have stored it."""
    await Actor.create(
        kind=ActorKind.PERSON,
        username=ap_id.rsplit("/", 1)[1],
        domain="remote.example",
        ap_id=ap_id,
        inbox_url=f"{ap_id}/inbox",
        shared_inbox_url=f"{REMOTE}/inbox",
        key_id=f"{ap_id}#main-key",
        public_key_pem=public_pem,
    )


def server_environment(settings: Settings, **given: object) -> dict[str, str]:
    return instance_environment(
        settings,
        **given,
        embedded_worker=False,
        log_level="warning",
        secret_key="benchmark-" + "x" * 32,
        # Every activity comes from one actor: raise the inbox's limits (300 and 1,200 a
        # minute by default) so that they are counted, as always, but never reached.
        inbox_actor_rate_limit="1000000/minute",
        inbox_domain_rate_limit="1000000/minute",
    )


def start_server(
    settings: Settings, profile: str, port: int = 0
) -> tuple[subprocess.Popen[str], int]:
    """A web process on `port` (0: one the OS picks); several share a port (SO_REUSEPORT)."""
    command = [sys.executable, "-m", "bench._inbox_server", str(port)]
    if profile:  # the server's own profile, written when it stops
        command[1:1] = ["-m", "cProfile", "-o", profile]
    process = subprocess.Popen(
        command, env=server_environment(settings), stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("PORT "):
        process.kill()
        raise RuntimeError(f"the Lyceum server did not start: {line!r}")
    return process, int(line.split()[1])


async def wait_until_ready(process: subprocess.Popen[str], base: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the Lyceum server exited with {process.returncode}")
            try:
                if (await client.get(f"{base}/.well-known/nodeinfo")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError(f"the Lyceum server did not answer within {seconds} s")


def build_activity(
    n: int, group: str = "https://lyceum.example/g/physics", likes: bool = True, actor: str = ALICE
) -> dict[str, object]:
    """A distinct activity from `actor`: a Create of a Note into `group`, or (odd n, with
    `likes`) a Like."""
    marker = uuid.uuid4().hex
    if likes and n % 2:
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{REMOTE}/activities/like-{marker}",
            "type": "Like",
            "actor": actor,
            "object": f"https://lyceum.example/p/{n:026d}",
        }
    note = f"{REMOTE}/notes/{marker}"
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", {"sensitive": "as:sensitive"}],
        "id": f"{note}/activity",
        "type": "Create",
        "actor": actor,
        "published": "2025-01-01T12:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [group, f"{actor}/followers"],
        "object": {
            "id": note,
            "type": "Note",
            "attributedTo": actor,
            "inReplyTo": None,
            "published": "2025-01-01T12:00:00Z",
            "url": note,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [group, f"{actor}/followers"],
            "sensitive": False,
            "content": f"<p>Question {n} about the problem set: why does the pendulum's "
            f"period not depend on its mass? <a href='{group}'>@physics</a></p>",
            "tag": [{"type": "Mention", "href": group, "name": "@physics"}],
        },
    }


def presign(
    base: str, count: int, private_pem: str, likes: bool = True, actors: tuple[str, ...] = (ALICE,)
) -> list[bytes]:
    """Each activity as the exact bytes of a signed HTTP/1.1 POST to the shared inbox, from
    each of `actors` in turn."""
    auths = [CavageAuth(f"{actor}#main-key", private_pem) for actor in actors]
    requests = []
    for n in range(count):
        auth = auths[n % len(actors)]
        activity = build_activity(n, f"{base}/g/physics", likes, actors[n % len(actors)])
        body = json.dumps(activity, separators=(",", ":")).encode()
        request = httpx.Request(
            "POST", f"{base}/inbox", content=body, headers={"Content-Type": AS2}
        )
        signed = next(auth.auth_flow(request))
        head = "".join(f"{name}: {value}\r\n" for name, value in signed.headers.items())
        requests.append(f"POST /inbox HTTP/1.1\r\n{head}\r\n".encode("latin-1") + body)
    return requests


async def fire(
    port: int, requests: list[bytes], connections: int
) -> tuple[Counter[int], list[float]]:
    """Send every request over `connections` keep-alive connections; statuses and latencies."""
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    pending = iter(requests)

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for raw in pending:
                started = time.perf_counter()
                writer.write(raw)
                head = await reader.readuntil(b"\r\n\r\n")
                length = response_length(head)
                if length:
                    await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                statuses[int(head[9:12])] += 1  # "HTTP/1.1 202 …"
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    return statuses, latencies


def response_length(head: bytes) -> int:
    """The Content-Length of a response's head (0 when it has none)."""
    for line in head.lower().split(b"\r\n")[1:]:
        if line.startswith(b"content-length:"):
            return int(line[15:])
    return 0


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a process has used so far (Linux `/proc`; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def database_backends() -> list[int]:
    """The PostgreSQL server processes serving this database, the web processes' included
    (their pools are open after the warm-up); none on SQLite, which works in the server."""
    connection = Tortoise.get_connection("default")
    if connection.capabilities.dialect != "postgres":
        return []
    rows = await connection.execute_query_dict(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
    )
    return [int(row["pid"]) for row in rows]


def backends_cpu(pids: list[int]) -> float:
    """CPU seconds the PostgreSQL backends `pids` have used (0 for those not readable here)."""
    return sum(cpu_seconds(pid) or 0.0 for pid in pids)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def count_stored() -> int:
    return await InboxActivity.all().count()


def start_servers(
    settings: Settings, processes: int, profile: str
) -> tuple[list[subprocess.Popen[str]], int]:
    """`processes` web processes sharing one port (the kernel spreads the connections)."""
    first, port = start_server(settings, profile)
    servers = [first]
    for n in range(1, processes):
        servers.append(start_server(settings, f"{profile}.{n}" if profile else "", port)[0])
    return servers, port


def stop(processes: list[subprocess.Popen[str]]) -> None:
    for process in processes:
        process.send_signal(signal.SIGINT)  # a graceful stop (and a written profile)
    for process in processes:
        process.wait(timeout=30)


def total_cpu(processes: list[subprocess.Popen[str]]) -> float | None:
    seconds = [cpu_seconds(process.pid) for process in processes]
    return None if None in seconds else sum(s for s in seconds if s is not None)


async def database_cpu(*, own: bool = False) -> float | None:
    """CPU used so far by the PostgreSQL backends serving the benchmark's database, but for
    this process's own unless `own` (end to end, its polls are the benchmark's, not Lyceum's),
    on a local server whose `/proc` this process reads; None on SQLite, whose work is the
    processes'."""
    connection = Tortoise.get_connection("default")
    if connection.capabilities.dialect != "postgres":
        return None
    rows = await connection.execute_query_dict(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        + ("" if own else " AND pid <> pg_backend_pid()")
    )
    seconds = [cpu_seconds(int(row["pid"])) for row in rows]
    return sum(s for s in seconds if s is not None)


async def bench(
    database: str, activities: int, connections: int, web_processes: int, profile: str
) -> None:
    private_pem, public_pem = new_keypair()
    async with migrated_database(database) as settings:
        await store_remote_actor(public_pem)
        servers, port = start_servers(settings, web_processes, profile)
        base = f"http://127.0.0.1:{port}"
        try:
            await wait_until_ready(servers[0], base)
            signing_started = time.perf_counter()
            requests = presign(base, WARM_UP + activities, private_pem)
            signing = time.perf_counter() - signing_started
            warm_statuses, _ = await fire(port, requests[:WARM_UP], 4)
            backends = await database_backends()
            cpu_before = total_cpu(servers)
            database_cpu = backends_cpu(backends)
            client_cpu = time.process_time()
            started = time.perf_counter()
            statuses, latencies = await fire(port, requests[WARM_UP:], connections)
            elapsed = time.perf_counter() - started
            client_cpu = time.process_time() - client_cpu
            cpu_after = total_cpu(servers)
            database_cpu = backends_cpu(backends) - database_cpu
        finally:
            stop(servers)
        stored = await count_stored() - warm_statuses[202]
    print(
        json.dumps(
            {
                "activities": activities,
                "connections": connections,
                "database": database,
                "web_processes": web_processes,
                "load_average": os.getloadavg()[0],
            }
        )
    )
    print(f"pre-signed {WARM_UP + activities} activities in {signing:.1f} s (not measured)")
    print(f"sent {activities} in {elapsed:.2f} s: {activities / elapsed:.0f} requests/s")
    print(f"verified and stored: {stored} → {stored / elapsed:.0f} activities/s (target ≥ 5,000)")
    print(f"statuses: {dict(sorted(statuses.items()))} (202: {statuses[202]})")
    if cpu_before is not None and cpu_after is not None:
        per = (cpu_after - cpu_before) / activities
        print(
            f"server CPU: {per * 1000:.3f} ms per request → at most {1 / per:.0f} requests/s on "
            "one free core (compare this figure when other work shares the machine)"
        )
    if backends:
        print(
            f"PostgreSQL CPU (the {len(backends)} backends of this database): "
            f"{database_cpu / activities * 1000:.3f} ms per request (SQLite's is in the server's)"
        )
    print(f"load generator CPU (this process): {client_cpu / activities * 1000:.3f} ms per request")
    print(
        f"latency: p50 {percentile(latencies, 0.50) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms"
    )


async def seed_group(public_pem: str, posting: list[str] | None = None) -> None:
    """An open group `physics` with alice and `FOLLOWERS` readers, each on a server of its own
    (so an Announce is queued for `FOLLOWERS` inboxes), as members."""
    owner = await accounts.create_account("organiser", "organiser@example.org", "bench password")
    group = await groups.create_group(owner, groups.GroupForm(handle="physics", name="Physics"))
    for ap_id in posting or [ALICE]:
        if ap_id != ALICE:
            await store_remote_actor(public_pem, ap_id)
        await groups.request_membership(group, await Actor.get(ap_id=ap_id))
    for n in range(FOLLOWERS):
        reader = f"https://follower{n}.example/users/reader"
        actor = await Actor.create(
            kind=ActorKind.PERSON,
            username="reader",
            domain=f"follower{n}.example",
            ap_id=reader,
            inbox_url=f"{reader}/inbox",
            key_id=f"{reader}#main-key",
            public_key_pem=public_pem,
        )
        await groups.request_membership(group, actor)


def start_workers(
    settings: Settings, base: str, count: int, profile: str
) -> list[subprocess.Popen[str]]:
    workers = []
    for n in range(count):
        command = [sys.executable, "-m", "bench._inbox_worker"]
        if profile:  # each worker's own profile, written when it stops
            command[1:1] = ["-m", "cProfile", "-o", f"{profile}.{n}" if n else profile]
        worker = subprocess.Popen(
            command,
            env=server_environment(settings, base_url=base),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert worker.stdout is not None
        if worker.stdout.readline().strip() != "READY":
            stop([*workers, worker])
            raise RuntimeError("an inbox worker did not start")
        workers.append(worker)
    return workers


async def still_open() -> int:
    return await InboxActivity.filter(processed_at__isnull=True, dead_at__isnull=True).count()


async def wait_handled(workers: list[subprocess.Popen[str]]) -> None:
    """Until every row stored is handled (each request was answered once its row was stored),
    looking every 50 ms (the workers do not wait on it; the open rows are counted from their
    index, where counting the handled ones read the whole table each time)."""
    while await still_open():
        if any(worker.poll() is not None for worker in workers):
            raise RuntimeError("an inbox worker exited")
        await asyncio.sleep(0.05)


async def end_to_end(
    database: str,
    posts: int,
    connections: int,
    web_processes: int,
    workers: int,
    profile: str,
    sending: int = 1,
) -> None:
    private_pem, public_pem = new_keypair()
    posting = senders(sending)
    async with migrated_database(database) as settings:
        await store_remote_actor(public_pem)
        await seed_group(public_pem, posting)
        servers, port = start_servers(settings, web_processes, "")
        base = f"http://127.0.0.1:{port}"
        running = start_workers(settings, base, workers, profile)
        try:
            await wait_until_ready(servers[0], base)
            requests = presign(base, WARM_UP + posts, private_pem, False, tuple(posting))
            await fire(port, requests[:WARM_UP], 4)
            await wait_handled(running)
            queued_before = await Delivery.all().count()
            cpu_before = [total_cpu(servers), total_cpu(running), await database_cpu()]
            started = time.perf_counter()
            statuses, _ = await fire(port, requests[WARM_UP:], connections)
            stored = time.perf_counter() - started
            await wait_handled(running)
            elapsed = time.perf_counter() - started
            cpu_after = [total_cpu(servers), total_cpu(running), await database_cpu()]
        finally:
            stop(servers + running)
        queued = await Delivery.all().count() - queued_before
        failed = await InboxActivity.exclude(error="").count()
        example = await InboxActivity.exclude(error="").first()
        posted = await Post.filter(ap_id__isnull=False).count()
    print(
        json.dumps(
            {
                "posts": posts,
                "followers": FOLLOWERS,
                "connections": connections,
                "database": database,
                "web_processes": web_processes,
                "workers": workers,
                "senders": sending,
                "load_average": os.getloadavg()[0],
            }
        )
    )
    print(f"statuses: {dict(sorted(statuses.items()))}; all stored after {stored:.2f} s")
    print(
        f"verified, stored, handled and queued for Announce: {posts} in {elapsed:.2f} s → "
        f"{posts / elapsed:.0f} posts/s (target ≥ 1,000 with two workers on PostgreSQL)"
    )
    print(
        f"posts stored: {posted}; deliveries queued: {queued} ({queued / posts:.1f} a post); "
        f"rows with an error: {failed}" + (f" (e.g. {example.error!r})" if example else "")
    )
    per = [
        (after - before) / posts * 1000
        for before, after in zip(cpu_before, cpu_after, strict=True)
        if before is not None and after is not None
    ]
    if len(per) >= 2:
        print(
            f"CPU of the web and worker processes: {per[0] + per[1]:.2f} ms per post "
            f"(web {per[0]:.2f}, workers {per[1]:.2f})"
            + (f"; PostgreSQL's backends {per[2]:.2f}" if len(per) == 3 else "")
        )


async def handling(database: str, posts: int, profile: str) -> None:
    """The worker's share alone, in this process: `posts` Creates stored as the inbox stores
    them, handled by one `InboxProcessor` (as `lyceum worker` runs it); CPU and SQL per post."""
    _, public_pem = new_keypair()
    async with migrated_database(database) as settings:
        await store_remote_actor(public_pem)
        await seed_group(public_pem)
        subscribe_all(events.bus, settings)
        runtime = FederationRuntime(settings)
        processor = InboxProcessor(runtime)

        async def store(first: int, count: int) -> None:
            rows = []
            for n in range(first, first + count):
                activity = build_activity(n, f"{settings.base_url}/g/physics", likes=False)
                ap_id = str(activity["id"])
                rows.append(
                    InboxActivity(
                        ap_id=ap_id,
                        origin=REMOTE,
                        dedup_key=inbox_dedup_key(REMOTE, ap_id),
                        actor_ap_id=ALICE,
                        activity_type="Create",
                        payload=json.dumps(activity, separators=(",", ":")),
                    )
                )
            await InboxActivity.bulk_create(rows)

        await store(0, WARM_UP)
        while await processor.run_once():
            pass
        await store(WARM_UP, posts)
        queued_before = await Delivery.all().count()
        sent: list[str] = []
        counter = _StatementCounter(sent)
        logger = logging.getLogger("tortoise.db_client")
        logger.addHandler(counter)
        level = logger.level
        logger.setLevel(logging.DEBUG)
        profiler = cProfile.Profile() if profile else None
        database_before = await database_cpu(own=True)
        cpu, started = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        while await processor.run_once():
            pass
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
        cpu, elapsed = time.process_time() - cpu, time.perf_counter() - started
        database_after = await database_cpu(own=True)
        logger.removeHandler(counter)
        logger.setLevel(level)
        queued = await Delivery.all().count() - queued_before
        failed = await InboxActivity.exclude(error="").count()
        await runtime.aclose()
    print(json.dumps({"posts": posts, "database": database, "load_average": os.getloadavg()[0]}))
    print(
        f"handled {posts} in {elapsed:.2f} s → {posts / elapsed:.0f} posts/s by one worker; "
        f"CPU {cpu / posts * 1000:.2f} ms a post; {len(sent) / posts:.1f} SQL statements a post"
    )
    if database_before is not None and database_after is not None:
        backends = (database_after - database_before) / posts * 1000
        print(f"CPU of PostgreSQL's backends: {backends:.2f} ms a post")
    print(
        f"deliveries queued: {queued} ({queued / posts:.1f} a post); rows with an error: {failed}"
    )
    shapes = Counter(" ".join(statement.split())[:70] for statement in sent)
    print("most sent statements (per post):")
    for shape, count in shapes.most_common(12):
        print(f"  {count / posts:5.2f}  {shape}")


class _StatementCounter(logging.Handler):
    """Collects the statements Tortoise logs (at DEBUG) while it is attached."""

    def __init__(self, sent: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.sent = sent

    def emit(self, record: logging.LogRecord) -> None:
        self.sent.append(record.getMessage())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--activities", type=int, default=5000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--web-processes", type=int, default=1)
    parser.add_argument(
        "--profile",
        default="",
        help="write the server's (end to end: the worker's) cProfile stats here",
    )
    parser.add_argument(
        "--end-to-end",
        action="store_true",
        help="posts handled by inbox workers and queued for Announce, instead of only stored",
    )
    parser.add_argument("--workers", type=int, default=1, help="inbox worker processes")
    parser.add_argument(
        "--senders",
        type=int,
        default=1,
        help="end to end: the posts come from this many members of the group, in turn (1: "
        "all from alice, so that a batch is one chain, handled in order)",
    )
    parser.add_argument(
        "--handling",
        action="store_true",
        help="only the worker's share, in this process: CPU and SQL statements per post",
    )
    args = parser.parse_args()
    if args.handling:
        work = handling(args.database, args.activities, args.profile)
    elif args.end_to_end:
        work = end_to_end(
            args.database,
            args.activities,
            args.connections,
            args.web_processes,
            args.workers,
            args.profile,
            args.senders,
        )
    else:
        work = bench(
            args.database, args.activities, args.connections, args.web_processes, args.profile
        )
    uvloop.run(work)  # as the web processes run (uvicorn): the load generator costs less


if __name__ == "__main__":
    main()
