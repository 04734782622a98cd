"""A Lyceum web process for the inbox benchmark, on a loopback port.

Run as `python -m bench._inbox_server [PORT]` with the `LYCEUM_*` environment of a migrated
database; it binds 127.0.0.1:PORT (0 or none: a port the OS picks) with `SO_REUSEPORT`, so that
several of these processes share one port as `lyceum serve --workers N` shares its socket,
prints "PORT 12345", then serves the real app (`create_app` with its lifespan, the same uvicorn
defaults as `lyceum serve`: uvloop and httptools when installed) with `LYCEUM_BASE_URL` set to
that address, until stopped. The caller polls it until it answers.
"""

from __future__ import annotations

import contextlib
import socket
import sys

import uvicorn

from server.app import create_app
from server.settings import Settings


def main() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0))
    port = sock.getsockname()[1]
    print(f"PORT {port}", flush=True)
    app = create_app(Settings(base_url=f"http://127.0.0.1:{port}"))
    # As `lyceum serve`: the app reads X-Forwarded-For itself, so uvicorn's own copy is off.
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, backlog=4096, proxy_headers=False
    )
    # The benchmark stops it with SIGINT, which uvicorn raises again once it has shut down.
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
