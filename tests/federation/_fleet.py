"""A fleet of recording inboxes on loopback ports, for the delivery robustness tests.

One Starlette app served on several OS-chosen ports (each port is a different "host" to the
delivery worker, with its own concurrency limit). For every POST it records which inbox path
received it, how many POSTs to that path were in flight at once, and, when a public key is
given, whether the signature verified (an unverified POST is answered 401 and not counted).

Knobs a test turns while the fleet runs:
- `delay`: seconds each POST takes to answer, so a worker can be caught mid-fan-out;
- `gate`: while cleared, POSTs wait for it (a test holds a worker mid-send, then lets go);
- `arrived`: set by the first POST.
"""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from federation.httpsig import verify_request


class RecordingFleet:
    def __init__(self, *, public_pem: str | None = None, key_id: str | None = None) -> None:
        self.public_pem = public_pem
        self.key_id = key_id
        self.delay = 0.0
        self.gate = asyncio.Event()
        self.gate.set()
        self.arrived = asyncio.Event()
        self.received: Counter[str] = Counter()  # inbox path -> verified POSTs
        self.refused: list[str] = []  # reasons of POSTs whose signature failed
        self.in_flight: Counter[str] = Counter()
        self.overlaps: list[str] = []  # inbox paths that got a POST while one was in flight

    @property
    def inboxes_reached(self) -> int:
        return len(self.received)

    async def _key_lookup(self, key_id: str, refresh: bool) -> str | None:
        return self.public_pem if key_id == self.key_id else None

    async def inbox(self, request: Request) -> Response:
        path = request.url.path
        self.arrived.set()
        self.in_flight[path] += 1
        if self.in_flight[path] > 1:
            self.overlaps.append(path)
        try:
            body = await request.body()
            await self.gate.wait()
            if self.delay:
                await asyncio.sleep(self.delay)  # a slow receiving server, not a test sleep
            if self.public_pem is not None:
                check = await verify_request(
                    "POST", str(request.url), request.headers.items(), body, self._key_lookup
                )
                if not check.ok:
                    self.refused.append(check.reason)
                    return PlainTextResponse(check.reason, status_code=401)
            self.received[path] += 1
            return Response(status_code=202)
        finally:
            self.in_flight[path] -= 1

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/inbox/{n}", self.inbox, methods=["POST"])])


@asynccontextmanager
async def serve_fleet(fleet: RecordingFleet, ports: int) -> AsyncIterator[list[str]]:
    """Serve `fleet` on `ports` loopback ports in this loop; yield their base URLs."""
    sockets = []
    for _ in range(ports):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
    server = uvicorn.Server(
        uvicorn.Config(
            fleet.app(), log_level="warning", lifespan="off", access_log=False, backlog=2048
        )
    )
    task = asyncio.create_task(server.serve(sockets=sockets))
    try:
        for _ in range(500):  # bounded wait until uvicorn has started
            if server.started:
                break
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        assert server.started, "the receiver fleet did not start"
        yield [f"http://127.0.0.1:{sock.getsockname()[1]}" for sock in sockets]
    finally:
        fleet.gate.set()
        server.should_exit = True
        await task
        for sock in sockets:
            sock.close()
