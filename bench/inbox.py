"""Inbox benchmark: pre-signed activities POSTed to a real Lyceum process, verified and stored.

One run on SQLite, on this machine: a migrated data dir holding one remote actor with its public
key (so each key lookup is the cache hit a busy inbox sees), a Lyceum web process (the real app,
embedded worker off: only receive + verify + store is measured), and N distinct Create and Like
activities signed beforehand exactly as `CavageAuth` signs them (fresh Date, Digest, rsa-sha256).
They are fired at the shared inbox over keep-alive connections with a minimal HTTP/1.1 client
(so the load generator, sharing the two cores, costs as little as possible).

Prints the activities stored per second (rows in `inbox_activity` at the end), the 202 count and
the p50/p99 latency. Target: at least 1,500 stored per second.

Run: `.venv/bin/python -m bench.inbox [--activities 5000] [--connections 32]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from federation.httpsig import CavageAuth
from server import db
from server.models import Actor, ActorKind, InboxActivity
from server.settings import Settings

REMOTE = "https://remote.example"
ALICE = f"{REMOTE}/users/alice"
AS2 = "application/activity+json"
WARM_UP = 50


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


async def prepare_data_dir(workdir: Path, public_pem: str) -> Settings:
    """Migrate, and store the remote actor with its key as an earlier fetch would have."""
    settings = Settings(data_dir=workdir, embedded_worker=False)
    await db.migrate(settings)
    await db.open_database(settings)
    try:
        await Actor.create(
            kind=ActorKind.PERSON,
            username="alice",
            domain="remote.example",
            ap_id=ALICE,
            inbox_url=f"{ALICE}/inbox",
            shared_inbox_url=f"{REMOTE}/inbox",
            key_id=f"{ALICE}#main-key",
            public_key_pem=public_pem,
        )
    finally:
        await db.close_database()
    return settings


def start_server(workdir: Path, profile: str) -> tuple[subprocess.Popen[str], int]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LYCEUM_")}
    env.update(
        LYCEUM_DATA_DIR=str(workdir),
        LYCEUM_EMBEDDED_WORKER="false",
        LYCEUM_LOG_LEVEL="warning",
        LYCEUM_SECRET_KEY="benchmark-" + "x" * 32,
        # Every activity comes from one actor: raise the inbox's limits (300 and 1,200 a
        # minute by default) so that they are counted, as always, but never reached.
        LYCEUM_INBOX_ACTOR_RATE_LIMIT="1000000/minute",
        LYCEUM_INBOX_DOMAIN_RATE_LIMIT="1000000/minute",
    )
    command = [sys.executable, "-m", "bench._inbox_server"]
    if profile:  # the server's own profile, written when it stops
        command[1:1] = ["-m", "cProfile", "-o", profile]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
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


def build_activity(n: int) -> dict[str, object]:
    """A distinct activity: even n a Create of a Note, odd n a Like, both from alice."""
    marker = uuid.uuid4().hex
    if n % 2:
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{REMOTE}/activities/like-{marker}",
            "type": "Like",
            "actor": ALICE,
            "object": f"https://lyceum.example/p/{n:026d}",
        }
    note = f"{REMOTE}/notes/{marker}"
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", {"sensitive": "as:sensitive"}],
        "id": f"{note}/activity",
        "type": "Create",
        "actor": ALICE,
        "published": "2025-01-01T12:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": ["https://lyceum.example/g/physics", f"{ALICE}/followers"],
        "object": {
            "id": note,
            "type": "Note",
            "attributedTo": ALICE,
            "inReplyTo": None,
            "published": "2025-01-01T12:00:00Z",
            "url": note,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": ["https://lyceum.example/g/physics", f"{ALICE}/followers"],
            "sensitive": False,
            "content": f"<p>Question {n} about the problem set: why does the pendulum's "
            "period not depend on its mass? <a href='https://lyceum.example/g/physics'>"
            "@physics</a></p>",
            "tag": [
                {"type": "Mention", "href": "https://lyceum.example/g/physics", "name": "@physics"}
            ],
        },
    }


def presign(base: str, count: int, private_pem: str) -> list[bytes]:
    """Each activity as the exact bytes of a signed HTTP/1.1 POST to the shared inbox."""
    auth = CavageAuth(f"{ALICE}#main-key", private_pem)
    requests = []
    for n in range(count):
        body = json.dumps(build_activity(n), separators=(",", ":")).encode()
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
                lines = head.decode("latin-1").split("\r\n")
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                if length:
                    await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                statuses[int(lines[0].split()[1])] += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    return statuses, latencies


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a process has used so far (Linux `/proc`; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def count_stored(settings: Settings) -> int:
    await db.open_database(settings)
    try:
        return await InboxActivity.all().count()
    finally:
        await db.close_database()


async def bench(activities: int, connections: int, profile: str) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="lyceum-bench-inbox-"))
    private_pem, public_pem = new_keypair()
    settings = await prepare_data_dir(workdir, public_pem)
    server, port = start_server(workdir, profile)
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_until_ready(server, base)
        signing_started = time.perf_counter()
        requests = presign(base, WARM_UP + activities, private_pem)
        signing = time.perf_counter() - signing_started
        warm_statuses, _ = await fire(port, requests[:WARM_UP], 4)
        cpu_before = cpu_seconds(server.pid)
        started = time.perf_counter()
        statuses, latencies = await fire(port, requests[WARM_UP:], connections)
        elapsed = time.perf_counter() - started
        cpu_after = cpu_seconds(server.pid)
    finally:
        server.send_signal(signal.SIGINT)  # a graceful stop (and a written profile)
        server.wait(timeout=10)
    stored = await count_stored(settings) - warm_statuses[202]
    print(json.dumps({"activities": activities, "connections": connections, "database": "sqlite"}))
    print(f"pre-signed {WARM_UP + activities} activities in {signing:.1f} s (not measured)")
    print(f"sent {activities} in {elapsed:.2f} s: {activities / elapsed:.0f} requests/s")
    print(f"verified and stored: {stored} → {stored / elapsed:.0f} activities/s (target ≥ 1,500)")
    print(f"statuses: {dict(sorted(statuses.items()))} (202: {statuses[202]})")
    if cpu_before is not None and cpu_after is not None:
        per = (cpu_after - cpu_before) / activities
        print(
            f"server CPU: {per * 1000:.2f} ms per request → at most {1 / per:.0f} requests/s on "
            "one free core (compare this figure when other work shares the machine)"
        )
    print(
        f"latency: p50 {percentile(latencies, 0.50) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--activities", type=int, default=5000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--profile", default="", help="write the server's cProfile stats here")
    args = parser.parse_args()
    asyncio.run(bench(args.activities, args.connections, args.profile))


if __name__ == "__main__":
    main()
