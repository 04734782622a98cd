"""An SMTP server (aiosmtpd) that accepts and counts every message, for the mail benchmarks.

Run as `python -m bench._smtp_sink`: prints `PORT <n>` and then `READY`; on a line `COUNT` from
stdin it prints how many messages it received. Runs in its own process, so the benchmark's
event loop and the server do not share one Python thread.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from aiosmtpd.smtp import SMTP


class Counter:
    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received += len(envelope.rcpt_tos)
        return "250 Message accepted"


async def main() -> None:
    counter = Counter()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(counter, hostname="sink.lyceum.test", loop=loop), "127.0.0.1", 0
    )
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    print("READY", flush=True)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        if line.strip() == b"COUNT":
            print(f"COUNT {counter.received}", flush=True)
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
