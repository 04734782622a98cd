"""The limit: a bare loop that signs and POSTs one body to a list of inboxes, nothing else.

Run as `python -m bench._sender JOB_FILE` (JSON: client `httpx` or `aiohttp`, concurrency,
key_id, private_pem, payload, inboxes). It builds its client, prints "READY", waits for a line
on stdin, POSTs every inbox once with `concurrency` in flight (each request signed draft-cavage
rsa-sha256 with a digest, as Lyceum signs), then prints one JSON line: its CPU seconds for the
sending and the statuses it got. No queue, no database, no address guard, no retry: what the
machine allows a sender of this client on this event loop (uvloop).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import uvloop

from federation.httpsig import CavageAuth

CONTENT_TYPE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


async def send_all(job: dict[str, Any]) -> None:
    auth = CavageAuth(job["key_id"], job["private_pem"])
    body = job["payload"].encode()
    inboxes: list[str] = job["inboxes"]
    concurrency = int(job["concurrency"])
    statuses: Counter[int] = Counter()
    headers = {"Content-Type": CONTENT_TYPE}
    if job["client"] == "httpx":
        client = httpx.AsyncClient(
            timeout=30,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=0),
        )

        async def post(inbox: str) -> int:
            response = await client.post(inbox, content=body, headers=headers, auth=auth)
            return response.status_code

        close: Any = client.aclose
    else:
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=concurrency, force_close=True),
            timeout=aiohttp.ClientTimeout(total=30),
        )

        async def post(inbox: str) -> int:
            signed = auth.signed_headers("POST", inbox, body, headers)
            async with session.post(inbox, data=body, headers=signed) as response:
                await response.read()
                return response.status

        close = session.close
    queue = iter(inboxes)

    async def lane() -> None:
        for inbox in queue:
            try:
                statuses[await post(inbox)] += 1
            except Exception:
                statuses[0] += 1

    print("READY", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    started = time.process_time()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    cpu = time.process_time() - started
    await close()
    print(json.dumps({"cpu": cpu, "statuses": dict(statuses)}), flush=True)


if __name__ == "__main__":
    uvloop.run(send_all(json.loads(Path(sys.argv[1]).read_text())))
