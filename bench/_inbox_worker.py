"""An inbox worker process for the end-to-end inbox benchmark (`bench/inbox.py --end-to-end`).

Run as `python -m bench._inbox_worker` with the `LYCEUM_*` environment of the benchmark's
database. It is `lyceum worker` (the same runtime, subscribers and wake-ups: on PostgreSQL it
LISTENs for stored rows) running only the inbox processor, so that the figure is the inbox's:
the deliveries it queues stay queued, and no delivery attempt shares the cores. It prints
"READY" once listening, and stops on SIGINT or SIGTERM.
"""

from __future__ import annotations

import asyncio
import gc
import signal
from datetime import timedelta

from federation.delivery import wake
from federation.inbox import InboxProcessor
from federation.runtime import FederationRuntime
from server import db, events
from server.assembly import subscribe_all
from server.settings import Settings


async def work() -> None:
    settings = Settings()
    await db.open_database(settings)
    subscribe_all(events.bus, settings)
    runtime = FederationRuntime(settings)
    processor = InboxProcessor(
        runtime,
        lease=timedelta(seconds=settings.delivery_lease_seconds),
        poll_interval=settings.worker_poll_seconds,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    gc.freeze()
    tasks = [asyncio.create_task(processor.run_until_stopped(stop))]
    if wake.is_postgres(settings.resolved_database_url):
        tasks.append(asyncio.create_task(wake.listen(settings.resolved_database_url, stop)))
    print("READY", flush=True)
    try:
        await asyncio.gather(*tasks)
    finally:
        await runtime.aclose()
        await db.close_database()


def main() -> None:
    try:
        import uvloop  # as uvicorn runs the web processes

        uvloop.run(work())
    except ImportError:
        asyncio.run(work())


if __name__ == "__main__":
    main()
