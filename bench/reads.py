"""Reads benchmark: the pages people and servers read most, at 100,000 posts, over HTTP.

For SQLite (a temporary data dir) or PostgreSQL (`--database postgres`: a temporary database on
127.0.0.1:5432, dropped at the end):
- seeds 100,000 posts in 50 groups in bulk (`bench/_read_world.py`: threads and replies,
  hashtags, 300 local and 200 remote authors, memberships, a logged-in reader of ten groups);
- starts a real `lyceum serve` (embedded worker off) with one web process, then with two, and
  beside it a static Starlette response served by uvicorn the same way (`bench/_static_app.py`):
  the yardstick measured in the same run;
- fires requests at each page from `--concurrency` keep-alive connections of a minimal asyncio
  HTTP/1.1 client (on uvloop, so the load generator leaves the server most of the two cores) and
  prints median / p95 / p99 latency, requests/s and the ratio to the static response; then the
  resident memory (RSS) of each web process after the run.

Pages: group page (for visitors, then for the logged-in reader in one of their ten groups,
which no page cache serves), thread page, `/home` (logged in), front page, tag page, actor JSON
(people and groups, `Accept: application/activity+json`), WebFinger, group outbox pages (the
first and older ones, through their cursors).

Targets (issue 13): p95 <= 50 ms for every page at concurrency 16, actor JSON and WebFinger at
>= 0.5 of the static response, web process RSS <= 150 MB.

Run: `.venv/bin/python -m bench.reads [--database sqlite|postgres] [--posts 100000]
[--concurrency 16] [--requests 600] [--processes 1,2] [--profile FILE] [--renders 300]
[--cpu-profile FILE]`
(`--profile` writes the one-process server's cProfile stats. Before the HTTP runs, each page is
rendered `--renders` times in this process, page cache off, and its CPU time per rendering
printed: the figure a shared machine disturbs least; `--cpu-profile` writes the cProfile of
the thread page's and /home's renderings. `--processes ""` stops there.)

A member's group page and front page (2026-12-05 17:30-17:45, d090ebc against this change,
alternating): the group page's two thread lists are read as listed records through kept
statements and rendered through `thread_items`, as /home's; a group's top helpers (which summed
every credit of the group at each look) are kept per group and month for every reader of it
(`web/top_helpers.py`); the members' front page reads its unanswered questions the same way.
CPU ms per rendering in this process, SQLite, two rounds:
  bench.reads (100,000 posts, page cache and kept top helpers off), group page for visitors
  7.07, 8.82 -> 4.12, 4.67; a member's 8.72, 9.36 -> 5.42, 6.24; thread page 1.67-1.84 both.
  The settings' defaults (20,000 posts, top helpers kept): a member's group page 7.39 -> 2.42,
  a member's front page 6.34, 6.36 -> 3.47, 3.46.
Over HTTP, one / two web processes, a member's group page (8 statements a rendering): SQLite
p95 42.7 / 45.1 ms, 424 / 421 requests/s (18:05); PostgreSQL p95 59.1 / 76.8 ms, 409 / 527/s
(18:08), and 65.8 / 65.8 ms, 365 / 521/s (18:24, a slower hour: /home 53.2 / 47.6 ms, the
static response 19,851/s against 32,206/s at 18:08): over the 50 ms target on PostgreSQL. It
costs about 1.4 times /home's CPU; no one part dominates what is left (the session, group,
membership, topics, watch, unread count, two lists and the template, 0.2-0.4 ms each).

/home, once more (2026-12-05 14:39-14:47, 11446e5 against this change, alternating, two
rounds, load 0.6-1.3), CPU ms per rendering in this process, the thread page as yardstick:
                  SQLite                      PostgreSQL
  /home           2.99, 2.85 -> 2.30, 2.20    2.86, 3.14 -> 2.42, 2.09
  thread page     1.78, 1.62 -> 1.63, 1.61    1.77, 1.91 -> 1.78, 1.80
Time in SQL of a /home rendering: SQLite 1.1-1.5 -> 0.8-0.9 ms, PostgreSQL 3.3-3.8 -> 2.5-2.6.
What changed: each listed thread's HTML is kept by what it shows (`web/thread_items.py`: half
of /home's template time); SQLite reads each group's (last activity, id) from a covering index
(migration 0013: without `id` each row went back to the table); on PostgreSQL the member's
groups, their newest threads and the merge are one statement (5 -> 4). The machine's speed
changed by half within the hour (the static response 12,950-27,916/s), so the p95s of one run
say little alone: at the fast end, SQLite /home p95 67 / 42 ms (one / two web processes).

Thread page and /home, CPU first (2026-12-05, branch reads2 at 8d760c3 against main at ad342ef,
back to back on the shared machine, load average 7.5-10.8 for both, `--requests 4000`).
CPU ms per rendering in process (300 renderings), before -> after:
                  SQLite         PostgreSQL
  thread page     6.62 -> 1.75   7.90 -> 2.42
  /home           15.6 -> 4.50   13.9 -> 4.37
  group page      12.1 -> 8.79   11.6 -> 8.49
p95 in ms and requests/s over HTTP, one / two web processes, before -> after:
  SQLite    thread page  494 / 295 -> 129 / 86 ms      112 / 187 -> 325 / 597/s
            /home        1180 / 939 -> 241 / 335 ms    33 / 49 -> 170 / 179/s
  Postgres  thread page  772 / 498 -> 296 / 224 ms     45 / 80 -> 159 / 226/s
            /home        1078 / 1275 -> 381 / 262 ms   32 / 32 -> 86 / 123/s
(The other pages as before within the noise; RSS 131-136 MB both times.) Statements: thread
page 5 -> 4 (the post's group is reused), /home 5.
Where the CPU went (cProfile and py-spy of the render loop): Tortoise compiling each query to
SQL (pypika copying and formatting its terms: about 0.5-1 ms a statement, more than the
statement takes to run), then building model objects (on SQLite every date parsed from text:
/home built 84 models of 20-odd columns for 21 threads), then stripping each listed post's
HTML for its excerpt (nh3, 30-70 us a post), and Jinja last (/home's template 0.7-0.8 ms).
What changed: the pages' lookups (session, unread count, post, thread, group, topics, badges,
/home's groups, candidates and rows) keep their compiled SQL per shape and run it again with
new values (`server/services/_prepared.py`); /home reads its threads with `.values()` into
small records (`server/services/listed.py`); excerpts are kept by a digest of the HTML. Python
versions of the list macros (author link, time, counts) were tried and dropped: Markup.format
made them slower than Jinja's compiled macros, and f-strings into Markup are what the linter
forbids. At 1.8-2.4 ms of CPU the thread page is at the budget the issue set (about 2 ms for
p95 <= 50 ms at concurrency 16 on two cores); /home at 4.4 is not yet: what is left is five
statements (each a hop to aiosqlite's thread on SQLite), three models for the session, and the
template. Rerun on an idle machine for the p95s.

/home, branch home against main at b6221cf (2026-12-05 08:49-09:00, back to back, before
first; the shared machine at load average 6-11, so the p95s say little), `--requests 4000`:
CPU ms per rendering in this process, /home (thread page as the yardstick of load):
SQLite 9.41 (4.48) -> 5.39 (2.35), PostgreSQL 6.46 (2.85) -> 5.70 (2.78). Alternating runs
of the app alone on a seeded world (median of 15 batches of 100, three pairs) said the same:
SQLite 3.2, 3.9, 2.6 -> 2.4, 2.6, 1.8 ms; PostgreSQL 3.0, 2.5, 2.0 -> 2.8, 2.2, 1.7 ms (client
side only: the LATERAL statement saves the server's CPU). /home p95, one / two web
processes: SQLite 179 / 169 -> 86 / 22 ms, PostgreSQL 135 / 160 -> 128 / 196 ms.
What changed: the rows made into records without `.values()`, ciso8601 for SQLite's dates,
the counts of a listed thread in `thread_item`, and on PostgreSQL the first page's candidates
in one LATERAL statement (the UNION ALL was planned at every run: 1.5 ms of the server's CPU
against 0.3). What is left: a hop to aiosqlite's thread per statement (under load the
largest item of a cProfile: the main thread waits in `put_nowait`), Jinja's macro calls
(`when`, `kind_badge`, `author_link` per thread), the session's three models.

Idle machine (2026-12-05 03:52-03:58, load average 1.1-1.6, page cache on, its default 10 s),
100,000 posts, concurrency 16, `--requests 4000`: p95 in ms, one / two web processes
                  SQLite         PostgreSQL
  group page      1.4 / 2.4      3.1 / 3.1
  thread page     91 / 126       113 / 116
  /home           256 / 374      237 / 246
  front page      1.2 / 1.2      1.2 / 1.2
  tag page        3.5 / 1.0      1.4 / 1.4
  outbox pages    1.5 / 2.0      1.9 / 1.9
  actor JSON      0.94 / 0.71    0.95 / 1.39 of the static response
  WebFinger       0.96 / 0.78    0.90 / 1.39 of the static response
  RSS             135 / 120+136  133 / 112+135 MB
With 400 requests a page, the first rendering of each of the 50 groups, 30 tags and 50 outbox
pages sets the p95 (SQLite: group 225, tag 233, outbox 159 ms). The thread page (20,000 paths,
so nearly every request renders) and `/home` (logged in, never cached) stay CPU-bound, at about
4 and 11-13 ms of CPU a rendering.

Figures at 100,000 posts, concurrency 16, 400 requests a page (4,000 for actor JSON and
WebFinger), on the shared 2-core machine while other benchmarks ran: p95 in ms and requests/s,
with the ratio to the static response of the same run. Take them as upper bounds of latency:
other work kept the load average at 5-11 (two cores).

before (main at c8e3c0d; load 5-11)       SQLite 1 / 2 processes      PostgreSQL 1 / 2 processes
  group page                              349 / 287 ms, 65 / 106/s    449 / 789 ms, 48 / 47/s
  thread page                             78 / 191 ms, 255 / 215/s    224 / 251 ms, 154 / 103/s
  /home                                   2116 / 1482 ms, 12 / 21/s   1277 / 504 ms, 36 / 57/s
  front page                              6919 / 8554 ms, 3 / 3/s     3122 / 1775 ms, 7 / 11/s
  tag page                                581 / 972 ms, 46 / 27/s     1039 / 363 ms, 36 / 73/s
  actor JSON                              0.094 / 0.053 of static     0.006 / 0.059 of static
  WebFinger                               0.053 / 0.071 of static     0.004 / 0.027 of static
  outbox pages                            634 / 753 ms, 41 / 42/s     1046 / 499 ms, 33 / 56/s
  RSS after the run                       121 / 114+112 MB            122 / 112+115 MB
after (this branch; load 6-11, the static response 14,000-21,600/s)
  group page                              238 / 260 ms, 108 / 169/s   193 / 253 ms, 117 / 115/s
  thread page                             129 / 90 ms, 223 / 310/s    123 / 236 ms, 196 / 209/s
  /home                                   344 / 619 ms, 65 / 64/s     371 / 317 ms, 60 / 67/s
  front page                              220 / 537 ms, 105 / 128/s   212 / 207 ms, 110 / 114/s
  tag page                                346 / 387 ms, 60 / 78/s     326 / 273 ms, 99 / 140/s
  actor JSON                              0.526 / 0.639 of static     0.814 / 0.580 of static
  WebFinger                               0.473 / 0.593 of static     0.774 / 0.467 of static
  outbox pages                            376 / 538 ms, 60 / 133/s    218 / 240 ms, 118 / 111/s
  RSS after the run                       121 / 111+117 MB            120 / 112+116 MB
SQL statements per page (after): group 7, thread 5, /home 14 (session, unread count, groups,
one ordered read per group of the reader's ten, the rows; 5 with the page cache branch, which
reads the ten groups in one UNION ALL), front page 5 (anonymous), tag 2, outbox 5, actor JSON and
WebFinger 0 once rendered (the bench counts a rendering with the page cache off; a kept page
sends none).

What the figures say: every hot query now reads a page's rows in order from an index (EXPLAIN
ANALYZE on PostgreSQL at 100,000 posts: each under 3 ms, most under 0.5 ms; the front page went
from a 119 ms sort of 23,000 rows to 0.2 ms, /home on SQLite from a 122 ms sort to ten ordered
reads), actor JSON and WebFinger come from memory (no query). What is left of a page's time is
Python: about 10-35 ms of CPU a page in this process (Tortoise building SQL and instantiating
rows, ISO date parsing, Jinja), so at concurrency 16 a page's p95 is set by how much CPU the
process gets, and other work took most of it here. p95 <= 50 ms at concurrency 16
needs about 350 pages/s from a process, which these pages reach only with a rendered-page cache.

page cache (this branch: `server/page_cache.py`, pages for visitors who are not logged in kept
10 s; /home in one statement for all the member's groups: 14 statements to 5). Measured while
other helpers' test suites kept the load average at 12-16 on the two cores, so only the medians
and the cached pages' rates say much; rerun on an idle machine:
                               median / p95, SQLite 1 process; 2 processes; PostgreSQL 1 process
  group page (50 paths)           4.3 / 407 ms; 9.4 / 885 ms; 9.4 / 529 ms
  thread page (20,000 paths)      86 / 426 ms; 348 / 1315 ms; 654 / 1752 ms
  /home (logged in)               574 / 1568 ms; 1450 / 2397 ms; 1940 / 3797 ms
  front page (1 path)             1.7 / 31 ms (1,749/s); 3.3 / 47 ms; 2.2 / 6.4 ms (6,162/s)
  tag page (30 paths)             1.0 / 781 ms; 0.7 / 1356 ms; 36 / 534 ms
  outbox pages (50 paths)         2.2 / 400 ms; 27 / 882 ms; 32 / 684 ms
  RSS after the run               125 MB; 119 + 124 MB; 124 MB
  once the other suites were done (SQLite, 1 process, load 6.5; static 13,766/s), median / p95:
  group 1.0 / 149 ms (813/s), thread 72 / 88, /home 198 / 496, front 2.6 / 8.2 (4,559/s),
  tag 1.9 / 208, outbox 3.5 / 94 ms (1,334/s), actor JSON 0.63 and WebFinger 0.56 of static,
  RSS 123 MB.
What they say: a kept page is answered in about a millisecond (the front page at half the static
response's rate), but p95 over 400 requests is set by the first rendering of each path (50 group
pages, 30 tags, 50 outbox pages: 7-13 % of the requests, each 10-20 ms of CPU, 16 at a time), and
the thread page's 20,000 paths are nearly all first renderings: those and /home are still CPU
bound (in-process, `time.process_time` per page at load 13: thread 6-8 ms, /home 16 ms after 20-40,
group 11, front 16-21, tag 17, outbox 10-12 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvloop
from tortoise import Tortoise

from bench._database import migrated_database
from bench._instance import instance_environment
from bench._read_world import READER_GROUPS, World, build
from server.app import create_app
from server.models import Post
from server.settings import Settings

AS2 = "application/activity+json"
WARM_UP = 40


@dataclass(frozen=True)
class Page:
    name: str
    paths: list[str]
    headers: str = ""  # extra request header lines, each ending in \r\n
    # Documents served from memory are cheap: ask for more of them, after fetching every one
    # once (the steady state of peers that fetch the same actors again and again).
    requests_factor: int = 1
    warm_every_path: bool = False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def lyceum_command(port: int, processes: int, profile: str) -> list[str]:
    command = [sys.executable, "-m", "server.cli", "serve", "--port", str(port)]
    command += ["--workers", str(processes)]
    if profile:  # one process only: uvicorn then serves in the process cProfile watches
        command[1:1] = ["-m", "cProfile", "-o", profile]
    return command


def static_command(port: int, processes: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "bench._static_app:app",
        "--port",
        str(port),
        "--workers",
        str(processes),
        "--log-level",
        "warning",
        "--no-access-log",
    ]


def start(command: list[str], settings: Settings, port: int) -> subprocess.Popen[bytes]:
    env = instance_environment(
        settings, base_url=f"http://127.0.0.1:{port}", embedded_worker=False, log_level="warning"
    )
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)


async def wait_until_ready(
    process: subprocess.Popen[bytes], base: str, path: str, seconds: float = 60
) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{base} exited with {process.returncode}")
            try:
                if (await client.get(f"{base}{path}")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{base} did not answer within {seconds} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)  # graceful: a profile gets written
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def web_processes(pid: int) -> list[int]:
    """The processes that serve requests: uvicorn's spawned workers when it runs several (not
    multiprocessing's resource tracker), else itself."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return [pid]
    workers = [
        int(child)
        for child in children
        if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
    ]
    return workers or [pid]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length, chunked = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return int(lines[0].split()[1])


async def fire(
    port: int, page: Page, count: int, concurrency: int
) -> tuple[Counter[int], list[float], float]:
    """`count` requests over `concurrency` keep-alive connections: statuses, latencies, time."""
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    rng = random.Random(3)
    requests: Iterator[bytes] = iter(
        (
            f"GET {rng.choice(page.paths)} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{page.headers}\r\n"
        ).encode()
        for _ in range(count)
    )

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for raw in requests:
                started = time.perf_counter()
                writer.write(raw)
                statuses[await read_response(reader)] += 1
                latencies.append(time.perf_counter() - started)
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return statuses, latencies, time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def outbox_pages(base: str, handles: list[str]) -> list[str]:
    """First pages of group outboxes and the four older pages of each, through their cursors."""
    paths = []
    async with httpx.AsyncClient(timeout=30, headers={"Accept": AS2}) as client:
        for handle in handles[:10]:
            path = f"/g/{handle}/outbox?page=true"
            for _ in range(5):
                paths.append(path)
                document = (await client.get(f"{base}{path}")).json()
                following = document.get("next")
                if not following:
                    break
                path = following.removeprefix(base)
    return paths


def pages(world: World, port: int, outboxes: list[str]) -> list[Page]:
    host = f"127.0.0.1:{port}"
    authors = world.local_authors[:100]
    return [
        Page("group page", [f"/g/{handle}" for handle in world.group_handles]),
        Page(
            "group, member",
            [f"/g/{handle}" for handle in world.group_handles[:READER_GROUPS]],
            f"Cookie: {world.session_cookie}\r\n",
        ),
        Page("thread page", [f"/p/{thread}" for thread in world.thread_ids[-20000:]]),
        Page("/home", ["/home"], f"Cookie: {world.session_cookie}\r\n"),
        Page("front page", ["/"]),
        Page("tag page", [f"/tags/{tag}" for tag in world.tags[:30]]),
        Page(
            "actor JSON",
            [f"/u/{name}" for name in authors] + [f"/g/{h}" for h in world.group_handles],
            f"Accept: {AS2}\r\n",
            requests_factor=10,
            warm_every_path=True,
        ),
        Page(
            "WebFinger",
            [f"/.well-known/webfinger?resource=acct:{name}@{host}" for name in authors],
            requests_factor=10,
            warm_every_path=True,
        ),
        Page("outbox pages", outboxes, f"Accept: {AS2}\r\n"),
    ]


async def queries_per_page(settings: Settings, world: World, verbose: bool) -> None:
    """Each page fetched once in this process (the ASGI app over httpx's ASGI transport, the
    seeding's database connection), printing the SQL statements it sent."""
    connection = Tortoise.get_connection("default")
    kind = type(connection)
    sent: list[tuple[float, str]] = []
    original = kind.execute_query, kind.execute_query_dict

    async def query(self: Any, sql: str, values: Any = None) -> Any:
        started = time.perf_counter()
        try:
            return await original[0](self, sql, values)
        finally:
            sent.append((time.perf_counter() - started, sql))

    async def query_dict(self: Any, sql: str, values: Any = None) -> Any:
        started = time.perf_counter()
        try:
            return await original[1](self, sql, values)
        finally:
            sent.append((time.perf_counter() - started, sql))

    # The page cache off: the statements a page's rendering sends (kept pages send none).
    app = create_app(settings.model_copy(update={"page_cache_seconds": 0}), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    base = settings.base_url
    kind.execute_query, kind.execute_query_dict = query, query_dict  # type: ignore[method-assign]
    try:
        outboxes = [f"/g/{world.group_handles[0]}/outbox?page=true"]
        port = int(base.rsplit(":", 1)[1])
        counts = []
        for page in pages(world, port, outboxes):
            headers = dict(h.split(": ", 1) for h in page.headers.split("\r\n") if ": " in h)
            path = page.paths[0]
            # A client per page: only the members' pages send the session cookie, as in the run.
            async with httpx.AsyncClient(transport=transport, base_url=base) as client:
                await client.get(path, headers=headers)  # warm: caches filled, as in the run
                sent.clear()
                status = (await client.get(path, headers=headers)).status_code
                spent = sum(seconds for seconds, _ in sent)
                counts.append(
                    f"{page.name} {len(sent)} ({spent * 1000:.1f} ms)"
                    + ("" if status == 200 else f" status {status}")
                )
                if verbose:
                    for seconds, sql in sent:
                        print(f"  {page.name}: {seconds * 1000:6.1f} ms {sql[:600]}")
    finally:
        kind.execute_query, kind.execute_query_dict = original  # type: ignore[method-assign]
    print("SQL statements per rendering (second fetch, time in SQL): " + ", ".join(counts))


async def cpu_per_page(settings: Settings, world: World, renders: int, profile: str) -> None:
    """CPU time of one rendering of each page in this process (the ASGI app over httpx's ASGI
    transport, page cache off, `renders` different paths where the page has them): the figure
    wall-clock latency on a shared machine hides. `profile` writes the loop's cProfile stats."""
    app = create_app(settings.model_copy(update={"page_cache_seconds": 0}), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    base = settings.base_url
    port = int(base.rsplit(":", 1)[1])
    outboxes = [f"/g/{world.group_handles[0]}/outbox?page=true"]
    profiler = cProfile.Profile() if profile else None
    figures = []
    for page in pages(world, port, outboxes):
        headers = dict(h.split(": ", 1) for h in page.headers.split("\r\n") if ": " in h)
        paths = [page.paths[n % len(page.paths)] for n in range(renders)]
        async with httpx.AsyncClient(transport=transport, base_url=base) as client:
            for path in paths[:5]:
                await client.get(path, headers=headers)  # warm: templates compiled, caches filled
            if profiler is not None and page.name in ("thread page", "/home"):
                profiler.enable()
            started = time.process_time()
            for path in paths:
                await client.get(path, headers=headers)
            spent = time.process_time() - started
            if profiler is not None:
                profiler.disable()
        figures.append(f"{page.name} {spent / renders * 1000:.2f}")
    print(f"CPU ms per rendering ({renders} each, load {load()}): " + ", ".join(figures))
    if profiler is not None:
        profiler.dump_stats(profile)


def line(name: str, statuses: Counter[int], latencies: list[float], elapsed: float) -> str:
    def ms(value: float) -> str:
        return f"{value * 1000:6.1f}"

    wrong = sum(n for status, n in statuses.items() if status != 200)
    return (
        f"{name:14} median {ms(statistics.median(latencies))} p95 "
        f"{ms(percentile(latencies, 0.95))} p99 {ms(percentile(latencies, 0.99))} ms "
        f"{len(latencies) / elapsed:7.0f} req/s" + (f"  non-200: {dict(statuses)}" if wrong else "")
    )


async def measure(
    settings: Settings,
    world: World,
    processes: int,
    requests: int,
    concurrency: int,
    profile: str,
) -> None:
    static_port, port = free_port(), free_port()
    static = start(static_command(static_port, processes), settings, static_port)
    server = start(lyceum_command(port, processes, profile), settings, port)
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_until_ready(static, f"http://127.0.0.1:{static_port}", "/")
        await wait_until_ready(server, base, "/.well-known/nodeinfo")
        outboxes = await outbox_pages(base, world.group_handles)
        statuses, latencies, elapsed = await fire(static_port, Page("static", ["/"]), 4000, 16)
        static_rate = len(latencies) / elapsed
        print(f"--- {processes} web process(es), concurrency {concurrency}, load {load()}")
        print(line("static", statuses, latencies, elapsed))
        for page in pages(world, port, outboxes):
            if page.warm_every_path:
                for path in sorted(set(page.paths)):
                    await fire(port, Page(page.name, [path], page.headers), 1, 1)
            await fire(port, page, WARM_UP, 4)
            count = requests * page.requests_factor
            statuses, latencies, elapsed = await fire(port, page, count, concurrency)
            rate = len(latencies) / elapsed
            print(
                line(page.name, statuses, latencies, elapsed)
                + f"  {rate / static_rate:.3f} of static"
            )
        pids = web_processes(server.pid)
        print("web process RSS after the run: " + ", ".join(f"{rss_mb(p):.0f} MB" for p in pids))
    finally:
        stop(server)
        stop(static)


def load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


async def bench(
    database: str,
    total: int,
    concurrency: int,
    requests: int,
    processes: list[int],
    profile: str,
    show_sql: bool,
    renders: int,
    cpu_profile: str,
) -> None:
    async with migrated_database(database) as settings:
        started = time.perf_counter()
        world = await build(settings, total)
        count = await Post.all().count()
        print(f"{database}: seeded {count:,} posts in {time.perf_counter() - started:.0f} s")
        if database == "postgres":
            await Post._meta.db.execute_script("ANALYZE")
        await queries_per_page(settings, world, show_sql)
        await cpu_per_page(settings, world, renders, cpu_profile)
        for number in processes:
            await measure(
                settings, world, number, requests, concurrency, profile if number == 1 else ""
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--requests", type=int, default=600, help="per page")
    parser.add_argument("--processes", default="1,2", help="web process counts to measure")
    parser.add_argument("--profile", default="", help="write the one-process cProfile here")
    parser.add_argument("--show-sql", action="store_true", help="print each page's statements")
    parser.add_argument("--renders", type=int, default=300, help="in-process renderings a page")
    parser.add_argument(
        "--cpu-profile", default="", help="write the in-process thread page and /home cProfile"
    )
    args = parser.parse_args()
    counts = [int(n) for n in args.processes.split(",") if n]
    uvloop.install()
    asyncio.run(
        bench(
            args.database,
            args.posts,
            args.concurrency,
            args.requests,
            counts,
            args.profile,
            args.show_sql,
            args.renders,
            args.cpu_profile,
        )
    )


if __name__ == "__main__":
    main()
