"""A Lyceum web process for the inbox benchmark, on a loopback port the OS picks.

Run as `python -m bench._inbox_server` with the `LYCEUM_*` environment of a migrated data dir;
it binds 127.0.0.1:0, prints "PORT 12345", then serves the real app (`create_app` with its
lifespan, the same uvicorn defaults as `lyceum serve`: uvloop and httptools when installed) with
`LYCEUM_BASE_URL` set to that address, until killed. The caller polls it until it answers.
"""

from __future__ import annotations

import socket

import uvicorn

from server.app import create_app
from server.settings import Settings


def main() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    print(f"PORT {port}", flush=True)
    app = create_app(Settings(base_url=f"http://127.0.0.1:{port}"))
    config = uvicorn.Config(app, log_level="warning", access_log=False, backlog=4096)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
