"""A fleet of loopback inboxes for benchmarks: one process, one inbox on each of N distinct
loopback addresses, every delivery's signature and digest verified.

Run as `python -m bench._receiver PUBLIC_KEY_PEM_FILE N_ADDRESSES`. Linux routes all of
127.0.0.0/8 to `lo`, so each inbox listens on its own address 127.0.x.y (x from 1, y 1..250):
a sender can share no connection between two inboxes. It prints one line per inbox
("INBOX http://127.0.0.7:41234/inbox/6"), then "CONTROL <url>" and "READY", and serves until
killed. A POST whose signature or digest does not verify is answered 401, so only verified
deliveries count.

On the control address: `POST /reset` forgets the counts; `GET /stats[?at_least=N]` answers
(once N are verified, or after a second) the verified deliveries, how many inboxes got more
than one (duplicates), the 401s, and the `time.monotonic()` of the first and last verified
delivery (the clock is system-wide on Linux, so the benchmark compares it with its own);
`GET /received` the verified deliveries per inbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
import time
from collections import Counter
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from federation.httpsig import verify_request

WAIT_SECONDS = 1.0  # longest a /stats?at_least= request waits


def loopback_address(index: int) -> str:
    """The address of inbox `index`: 127.0.1.1, 127.0.1.2 … 127.0.1.250, 127.0.2.1 …"""
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


class Tally:
    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self.verified = 0
        self.refused = 0
        self.first = 0.0
        self.last = 0.0
        self.waiting: list[tuple[int, asyncio.Event]] = []  # (verified deliveries, set then)

    def count(self, inbox: str) -> None:
        self.received[inbox] += 1
        self.verified += 1
        for target, reached in self.waiting:
            if self.verified >= target:
                reached.set()

    async def wait_for(self, target: int, seconds: float) -> None:
        """Return once `target` deliveries are verified, or after `seconds`."""
        if self.verified >= target:
            return
        entry = (target, asyncio.Event())
        self.waiting.append(entry)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(entry[1].wait(), seconds)
        finally:
            with contextlib.suppress(ValueError):  # a reset emptied the list
                self.waiting.remove(entry)

    def stats(self) -> dict[str, float | int]:
        return {
            "verified": self.verified,
            "inboxes": len(self.received),
            "duplicates": sum(1 for count in self.received.values() if count > 1),
            "refused": self.refused,
            "first": self.first,
            "last": self.last,
        }


def build_app(public_pem: str, tally: Tally) -> Starlette:
    async def key_lookup(key_id: str, refresh: bool) -> str:
        return public_pem

    async def inbox(request: Request) -> Response:
        body = await request.body()
        check = await verify_request(
            "POST", str(request.url), request.headers, body, key_lookup, window_seconds=600
        )
        if not check.ok:
            tally.refused += 1
            return PlainTextResponse(check.reason, status_code=401)
        now = time.monotonic()
        tally.first = tally.first or now
        tally.last = now
        tally.count(f"{request.url.netloc}{request.url.path}")
        return Response(status_code=202)

    async def reset(request: Request) -> Response:
        tally.__init__()  # type: ignore[misc]
        return PlainTextResponse("reset")

    async def stats(request: Request) -> Response:
        # ?at_least=N answers once N deliveries are verified (or after a second): a benchmark
        # waits here instead of asking again and again from the process it measures.
        at_least = int(request.query_params.get("at_least", "0"))
        await tally.wait_for(at_least, WAIT_SECONDS)
        return JSONResponse(tally.stats())

    async def received(request: Request) -> Response:
        return JSONResponse(dict(tally.received))

    return Starlette(
        routes=[
            Route("/inbox/{n}", inbox, methods=["POST"]),
            Route("/reset", reset, methods=["POST"]),
            Route("/stats", stats),
            Route("/received", received),
        ]
    )


def bind(address: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((address, 0))
    return sock


async def main(public_pem: str, count: int) -> None:
    sockets = []
    for index in range(count):
        sock = bind(loopback_address(index))
        sockets.append(sock)
        host, port = sock.getsockname()
        print(f"INBOX http://{host}:{port}/inbox/{index}", flush=True)
    control = bind("127.0.0.1")
    sockets.append(control)
    print(f"CONTROL http://127.0.0.1:{control.getsockname()[1]}", flush=True)
    server = uvicorn.Server(
        uvicorn.Config(
            build_app(public_pem, Tally()),
            log_level="error",
            access_log=False,
            lifespan="off",
            backlog=4096,
            loop="uvloop",
            http="httptools",
        )
    )
    serving = asyncio.create_task(server.serve(sockets=sockets))
    while not server.started:  # noqa: ASYNC110 (uvicorn exposes a flag, not an event)
        await asyncio.sleep(0.01)
    print("READY", flush=True)
    await serving


if __name__ == "__main__":
    import uvloop

    uvloop.run(main(Path(sys.argv[1]).read_text(), int(sys.argv[2])))
