"""A fleet of loopback inboxes for benchmarks: one process, many ports, every signature verified.

Run as `python -m bench._receiver PUBLIC_KEY_PEM_FILE N_PORTS`; it prints one line per port
("PORT 12345") and then "READY", and serves until killed. A POST whose signature does not
verify is answered 401, so a benchmark that counts 2xx counts verified deliveries only.
`GET /count` answers how many POSTs verified; `GET /received` a JSON object of inbox path ->
verified POSTs (a value over 1 is a duplicate).
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections import Counter
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from federation.httpsig import verify_request


def build_app(public_pem: str) -> Starlette:
    verified = {"count": 0}
    received: Counter[str] = Counter()

    async def key_lookup(key_id: str, refresh: bool) -> str:
        return public_pem

    async def inbox(request: Request) -> Response:
        body = await request.body()
        check = await verify_request(
            "POST", str(request.url), request.headers, body, key_lookup, window_seconds=600
        )
        if not check.ok:
            return PlainTextResponse(check.reason, status_code=401)
        verified["count"] += 1
        received[request.url.path] += 1
        return Response(status_code=202)

    async def count(request: Request) -> Response:
        return PlainTextResponse(str(verified["count"]))

    async def per_inbox(request: Request) -> Response:
        return JSONResponse(dict(received))

    return Starlette(
        routes=[
            Route("/inbox/{n}", inbox, methods=["POST"]),
            Route("/count", count),
            Route("/received", per_inbox),
        ]
    )


async def main(public_pem: str, ports: int) -> None:
    sockets = []
    for _ in range(ports):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
        print(f"PORT {sock.getsockname()[1]}", flush=True)
    server = uvicorn.Server(
        uvicorn.Config(
            build_app(public_pem),
            log_level="error",
            access_log=False,
            lifespan="off",
            backlog=4096,
        )
    )
    serving = asyncio.create_task(server.serve(sockets=sockets))
    while not server.started:  # noqa: ASYNC110 (uvicorn exposes a flag, not an event)
        await asyncio.sleep(0.01)
    print("READY", flush=True)
    await serving


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]).read_text(), int(sys.argv[2])))
