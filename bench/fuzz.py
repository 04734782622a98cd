"""Fuzz a running Lyceum: hostile signed activities at its inboxes, hostile forms at its pages.

Not part of the test run. By default it starts its own instance (SQLite, a temporary data dir,
the embedded worker on, loopback peers allowed) so that it can read the database afterwards; it
creates a member `fuzzer` with a group `fuzz` and a thread. It serves a few fake remote actors on
a loopback port (their actor documents with one public key, and an inbox that takes anything),
then sends:

- `--activities` (20,000) activities signed by those actors (draft-cavage, as `bench.inbox`),
  of every type the inbox handles and some it does not, with hostile values put in: NUL bytes,
  lone surrogates, over-long ids, deep nesting, ids on other origins or odd schemes, foreign
  ids, arrays and numbers where strings are expected, missing fields;
- `--forms` (5,000) form posts as the logged-in member (new threads, replies, groups, profile,
  reports, remote lookups) with the same kinds of values.

Then it waits (up to `--drain-seconds`) for the inbox queue and the delivery queue to drain and
prints: the 5xx count of each door, the worker errors (inbox rows whose error starts "failed" or
that were dead-lettered, with an example payload each) and the queue depth at the end. All three
should be 0.

Run: `.venv/bin/python -m bench.fuzz [--activities 20000] [--forms 5000] [--seed 1]`
On PostgreSQL (which refuses NUL in text): `--database-url postgres://user@host/empty_db`.
Against an instance you started (no database read afterwards; it must reach this machine's
loopback and take plain http peers): `--url http://127.0.0.1:8000 --login user:password
--group handle`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench._instance import instance_environment
from bench.inbox import new_keypair, wait_until_ready
from federation.httpsig import CavageAuth
from server import db
from server.models import Delivery, DeliveryState, InboxActivity
from server.settings import Settings

AS2 = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
ACTORS = 4
UNLIMITED = "100000000/minute"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
HOSTILE_TEXT = [
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\u202e\u200f",
    "\x1b[31m",
    "x" * 3000,
    "",
    " ",
    "🎓" * 50,
]


# --- fake remote actors ----------------------------------------------------------------------


class Peers:
    """A few remote actors on one loopback port: documents, a followers list, an inbox."""

    def __init__(self, public_pem: str) -> None:
        self.public_pem = public_pem
        self.base = ""
        self.received = 0

    def actor_id(self, n: int) -> str:
        return f"{self.base}/users/a{n}"

    async def actor(self, request: Request) -> Response:
        name = request.path_params["name"]
        actor_id = f"{self.base}/users/{name}"
        return JSONResponse(
            {
                "@context": [
                    "https://www.w3.org/ns/activitystreams",
                    "https://w3id.org/security/v1",
                ],
                "id": actor_id,
                "type": "Person",
                "preferredUsername": name,
                "name": f"Fuzzer {name}",
                "inbox": f"{actor_id}/inbox",
                "outbox": f"{actor_id}/outbox",
                "followers": f"{actor_id}/followers",
                "endpoints": {"sharedInbox": f"{self.base}/inbox"},
                "publicKey": {
                    "id": f"{actor_id}#main-key",
                    "owner": actor_id,
                    "publicKeyPem": self.public_pem,
                },
            },
            media_type=AS2,
        )

    async def inbox(self, request: Request) -> Response:
        await request.body()
        self.received += 1
        return Response(status_code=202)

    async def anything(self, request: Request) -> Response:
        return JSONResponse(
            {"id": str(request.url), "type": "Note", "content": "x"}, media_type=AS2
        )

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/users/{name}", self.actor),
                Route("/users/{name}/inbox", self.inbox, methods=["POST"]),
                Route("/inbox", self.inbox, methods=["POST"]),
                Route("/{path:path}", self.anything),
            ]
        )


@asynccontextmanager
async def serve(app: Starlette) -> AsyncIterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or task.done():
            raise RuntimeError("the fake peers did not start")
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


# --- generated activities --------------------------------------------------------------------


def hostile(rng: random.Random) -> Any:
    """A value no well-behaved server sends where a string is expected."""
    kind = rng.randrange(8)
    if kind < 4:
        return rng.choice(HOSTILE_TEXT)
    if kind == 4:
        return [rng.choice(HOSTILE_TEXT), {"id": rng.choice(HOSTILE_TEXT)}]
    if kind == 5:
        return rng.choice([0, -1, 1e308, True, None])
    if kind == 6:
        deep: Any = "bottom"
        for _ in range(rng.choice([10, 70, 300])):
            deep = {"a": [deep]}
        return deep
    return {"type": "Note", "id": rng.choice(HOSTILE_TEXT)}


def odd_id(rng: random.Random, peer: str) -> str:
    return rng.choice(
        [
            f"{peer}/a/{'x' * 3000}",
            f"{peer}/a/\x00",
            f"{peer}/a/\ud800",
            "https://elsewhere.example/a/1",
            "ftp://127.0.0.1/a",
            "http://[::1]:1/a",
            "http://999.1.1.1/a",
            "not a url",
            "",
            f"{peer}/a/{rng.random()}#delete",
        ]
    )


def build_activity(rng: random.Random, n: int, actor: str, base: str, group: str) -> dict[str, Any]:
    """A plausible activity of a random type, then up to three fields made hostile."""
    peer = actor.rsplit("/users/", 1)[0]
    group_id = f"{base}/g/{group}"
    note_id = f"{peer}/notes/{n}"
    note = {
        "id": note_id,
        "type": rng.choice(["Note", "Page", "Article", "Question"]),
        "attributedTo": actor,
        "content": f"<p>Note {n} for @{group}</p>",
        "name": f"Title {n}",
        "inReplyTo": rng.choice([None, f"{base}/p/{n:026d}", note_id]),
        "to": [PUBLIC],
        "cc": [group_id],
        "published": "2025-01-01T12:00:00Z",
        "tag": [{"type": "Mention", "href": group_id, "name": f"@{group}"}],
    }
    kind = rng.choice(
        [
            "Follow", "Undo", "Create", "Update", "Delete", "Like", "Dislike", "Announce",
            "Accept", "Reject", "Block", "Flag", "Add", "Remove", "Move", "EmojiReact", "Weird",
        ]
    )  # fmt: skip
    objects: dict[str, Any] = {
        "Follow": group_id,
        "Undo": {"id": f"{peer}/follows/{n}", "type": "Follow", "actor": actor, "object": group_id},
        "Create": note,
        "Update": note | {"content": "<p>edited</p>"},
        "Delete": note_id,
        "Announce": f"{base}/p/{n:026d}",
        "Accept": {"id": f"{base}/follows/{n}", "type": "Follow", "object": actor},
        "Flag": [f"{base}/u/fuzzer"],
    }
    activity: dict[str, Any] = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{peer}/activities/{n}-{rng.random()}",
        "type": kind,
        "actor": actor,
        "object": objects.get(kind, f"{base}/p/{n:026d}"),
        "to": [group_id, PUBLIC],
    }
    for _ in range(rng.randrange(4)):
        target: dict[str, Any] = activity
        if isinstance(activity.get("object"), dict) and rng.random() < 0.5:
            target = activity["object"]
        field = rng.choice(["id", "type", "actor", "object", "content", "to", "inReplyTo", "name"])
        action = rng.randrange(4)
        if action == 0:
            target.pop(field, None)
        elif action == 1 and field == "id":
            target[field] = odd_id(rng, peer)
        else:
            target[field] = hostile(rng)
    return activity


async def send_activities(
    base: str, inbox_paths: list[str], peers: Peers, private_pem: str, count: int, seed: int,
    group: str, concurrency: int,
) -> tuple[Counter[int], list[tuple[int, str]]]:  # fmt: skip
    rng = random.Random(seed)
    statuses: Counter[int] = Counter()
    failures: list[tuple[int, str]] = []
    auths = [CavageAuth(f"{peers.actor_id(n)}#main-key", private_pem) for n in range(ACTORS)]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)

    async def sender(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            who = rng.randrange(ACTORS)
            activity = build_activity(rng, n, peers.actor_id(who), base, group)
            body = json.dumps(activity).encode()  # lone surrogates become \ud800 escapes
            try:
                response = await client.post(
                    f"{base}{rng.choice(inbox_paths)}",
                    content=body,
                    headers={"Content-Type": AS2},
                    auth=auths[who],
                )
            except httpx.TransportError as exc:
                statuses[-1] += 1
                failures.append((-1, f"{exc!r}: {body[:300]!r}"))
                continue
            statuses[response.status_code] += 1
            if response.status_code >= 500 and len(failures) < 20:
                failures.append((response.status_code, body[:600].decode("utf-8", "replace")))

    async with httpx.AsyncClient(timeout=30) as client:
        await asyncio.gather(*(sender(client) for _ in range(concurrency)))
    return statuses, failures


# --- generated forms -------------------------------------------------------------------------


def form_text(rng: random.Random, plain: str) -> str:
    if rng.random() < 0.5:
        at = rng.randrange(len(plain) + 1)
        return plain[:at] + rng.choice(HOSTILE_TEXT) + plain[at:]
    return str(rng.choice([*HOSTILE_TEXT, "x" * 70_000, "0", "[]", plain]))


def encode_form(fields: list[tuple[str, str]]) -> bytes:
    from urllib.parse import quote_plus

    return "&".join(
        f"{quote_plus(k.encode('utf-8', 'surrogatepass'))}="
        f"{quote_plus(v.encode('utf-8', 'surrogatepass'))}"
        for k, v in fields
    ).encode()


async def send_forms(
    base: str, login: tuple[str, str], group: str, count: int, seed: int, concurrency: int
) -> tuple[Counter[int], list[tuple[int, str]]]:
    rng = random.Random(seed + 1)
    statuses: Counter[int] = Counter()
    failures: list[tuple[int, str]] = []
    async with httpx.AsyncClient(base_url=base, timeout=30, headers={"Accept": "text/html"}) as c:
        page = await c.get("/login")
        token = _csrf(page.text)
        answer = await c.post(
            "/login", data={"login": login[0], "password": login[1], "csrf_token": token}
        )
        if answer.status_code != 303:
            raise RuntimeError(f"could not log in as {login[0]}: {answer.status_code}")
        token = _csrf((await c.get("/")).text)
        thread = re.search(r'href="/p/([0-9a-z]{26})"', (await c.get(f"/g/{group}")).text)
        post = thread.group(1) if thread else "0" * 26
        forms: list[tuple[str, Callable[[], list[tuple[str, str]]]]] = [
            (f"/g/{group}/new", lambda: [
                ("kind", rng.choice(["discussion", "question", "resource", "\x00", ""])),
                ("title", form_text(rng, "A title")), ("body", form_text(rng, "Some text")),
                ("link_url", form_text(rng, "https://example.org/x")),
            ]),
            (f"/p/{post}/reply", lambda: [("body", form_text(rng, "A reply"))]),
            (f"/p/{post}/report", lambda: [("comment", form_text(rng, "Spam"))]),
            ("/groups/new", lambda: [
                ("handle", form_text(rng, f"g{rng.randrange(10**9)}")),
                ("name", form_text(rng, "Name")), ("description", form_text(rng, "About")),
                ("rules", form_text(rng, "Be kind")), ("topics", form_text(rng, "maths, art")),
                ("join_policy", rng.choice(["open", "approval", "\x00"])),
                ("posting_policy", rng.choice(["members", "moderators", "x"])),
            ]),
            ("/settings/profile", lambda: [
                ("display_name", form_text(rng, "Fuzzer")), ("bio", form_text(rng, "Bio")),
            ]),
            ("/groups/find", lambda: [("handle", form_text(rng, "@g@127.0.0.1:1"))]),
            (f"/g/{group}/settings", lambda: [
                ("name", form_text(rng, "Fuzz")), ("topics", form_text(rng, "x")),
                ("join_policy", "open"), ("posting_policy", "members"),
            ]),
        ]  # fmt: skip
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(count):
            queue.put_nowait(n)

        async def sender() -> None:
            while not queue.empty():
                queue.get_nowait()
                path, build = rng.choice(forms)
                fields = [("csrf_token", token), *build()]
                if rng.random() < 0.2:  # a repeated field
                    fields.append(rng.choice(fields[1:]))
                body = encode_form(fields)
                try:
                    response = await c.post(
                        path,
                        content=body,
                        headers={"Content-Type": "application/x-www-form-urlencoded"},
                    )
                except httpx.TransportError as exc:
                    statuses[-1] += 1
                    failures.append((-1, f"{path} {exc!r}"))
                    continue
                statuses[response.status_code] += 1
                if response.status_code >= 500 and len(failures) < 20:
                    failures.append((response.status_code, f"{path} {body[:400]!r}"))

        await asyncio.gather(*(sender() for _ in range(concurrency)))
    return statuses, failures


def _csrf(html: str) -> str:
    match = CSRF_RE.search(html)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


# --- an instance of our own ------------------------------------------------------------------


async def prepare(workdir: Path, database_url: str) -> Settings:
    """Migrate, and make the member `fuzzer` (password `fuzzer-password`), `fuzz` and a thread."""
    from server.models import Role
    from server.services import accounts, groups, posts
    from server.services.groups import GroupForm

    settings = Settings(data_dir=workdir, database_url=database_url, embedded_worker=False)
    await db.migrate(settings)
    await db.open_database(settings)
    try:
        account = await accounts.create_account(
            "fuzzer", "fuzzer@example.org", "fuzzer-password", role=Role.MEMBER
        )
        group = await groups.create_group(account, GroupForm(handle="fuzz", name="Fuzz"))
        await posts.create_post(account, group, "discussion", "A thread", "Hello", "")
    finally:
        await db.close_database()
    return settings


def start_server(workdir: Path, database_url: str) -> tuple[subprocess.Popen[str], int]:
    settings = Settings(
        data_dir=workdir,
        database_url=database_url,
        embedded_worker=True,
        log_level="error",
        secret_key="fuzz-" + "x" * 32,
        federation_allow_http=True,
        federation_allowed_networks="127.0.0.0/8",
        inbox_actor_rate_limit=UNLIMITED,
        inbox_domain_rate_limit=UNLIMITED,
        post_rate_limit=UNLIMITED,
        report_rate_limit=UNLIMITED,
        login_rate_limit=UNLIMITED,
    )
    env = instance_environment(settings)
    process = subprocess.Popen(
        [sys.executable, "-m", "bench._inbox_server"], env=env, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("PORT "):
        process.kill()
        raise RuntimeError(f"the Lyceum server did not start: {line!r}")
    return process, int(line.split()[1])


async def queue_state(settings: Settings) -> tuple[int, int, list[InboxActivity]]:
    """Inbox rows waiting, deliveries waiting, and the inbox rows that failed or died."""
    waiting = await InboxActivity.filter(processed_at=None, dead_at=None).count()
    deliveries = await Delivery.filter(state=DeliveryState.QUEUED).count()
    failed = await InboxActivity.filter(error__startswith="failed").all()
    dead = await InboxActivity.exclude(dead_at=None).all()
    return waiting, deliveries, list({row.id: row for row in [*failed, *dead]}.values())


async def drain(settings: Settings, seconds: float) -> tuple[int, int, list[InboxActivity], float]:
    await db.open_database(settings)
    started = time.monotonic()
    try:
        while True:
            waiting, deliveries, failures = await queue_state(settings)
            if (waiting == 0 and deliveries == 0) or time.monotonic() - started > seconds:
                return waiting, deliveries, failures, time.monotonic() - started
            await asyncio.sleep(1)
    finally:
        await db.close_database()


# --- the run ---------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> None:
    private_pem, public_pem = new_keypair()
    peers = Peers(public_pem)
    server: subprocess.Popen[str] | None = None
    settings: Settings | None = None
    login = tuple(args.login.split(":", 1)) if args.login else ("fuzzer", "fuzzer-password")
    group = args.group or "fuzz"
    if args.url:
        base = args.url.rstrip("/")
    else:
        workdir = Path(tempfile.mkdtemp(prefix="lyceum-fuzz-"))
        settings = await prepare(workdir, args.database_url)
        server, port = start_server(workdir, args.database_url)
        base = f"http://127.0.0.1:{port}"
        print(f"instance: {base} (data dir {workdir})")
    try:
        if server is not None:
            await wait_until_ready(server, base)
        async with serve(peers.app()) as peer_base:
            peers.base = peer_base
            inboxes = ["/inbox", f"/g/{group}/inbox", f"/u/{login[0]}/inbox"]
            started = time.monotonic()
            activity_statuses, activity_failures = await send_activities(
                base, inboxes, peers, private_pem, args.activities, args.seed, group,
                args.concurrency,
            )  # fmt: skip
            sent = time.monotonic() - started
            form_statuses, form_failures = await send_forms(
                base, (login[0], login[1]), group, args.forms, args.seed, args.concurrency
            )
            print(f"activities: {args.activities} in {sent:.0f} s, {dict(activity_statuses)}")
            print(f"forms: {args.forms}, {dict(form_statuses)}")
            for door, failures in (("inbox", activity_failures), ("form", form_failures)):
                for status, example in failures[:5]:
                    print(f"  {door} {status}: {example[:300]}")
            server_errors = sum(n for s, n in activity_statuses.items() if s >= 500 or s < 0)
            form_errors = sum(n for s, n in form_statuses.items() if s >= 500 or s < 0)
            print(f"5xx: inbox {server_errors}, forms {form_errors}")
            if settings is not None:
                waiting, deliveries, failed_rows, waited = await drain(settings, args.drain_seconds)
                print(f"worker errors (failed or dead-lettered inbox rows): {len(failed_rows)}")
                # "failed: UnicodeEncodeError: ..." → "failed: UnicodeEncodeError"
                kinds = Counter(":".join(row.error.split(":", 2)[:2]) for row in failed_rows)
                for kind, count in kinds.most_common(10):
                    row = next(row for row in failed_rows if row.error.startswith(kind))
                    print(f"  {count} x {kind!r}, e.g. {row.payload[:300]!r}")
                print(f"queue depth after {waited:.0f} s: inbox {waiting}, deliveries {deliveries}")
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="", help="a running instance (default: start one)")
    parser.add_argument("--login", default="", help="user:password of a member (with --url)")
    parser.add_argument("--group", default="", help="a group the member belongs to (with --url)")
    parser.add_argument("--activities", type=int, default=20_000)
    parser.add_argument("--forms", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--drain-seconds", type=float, default=300)
    parser.add_argument(
        "--database-url", default="", help="an empty PostgreSQL database (default: SQLite)"
    )
    args = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
