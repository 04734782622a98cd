"""A real `lyceum worker` process for crash tests, and a bounded wait that notices its death."""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from server.settings import Settings


class Worker:
    """One `lyceum worker` process on the test's database, its output kept in a log file.

    `extra` are more `LYCEUM_*` settings; every other `LYCEUM_*` variable of the test run is
    left out, so the worker sees the test's settings only."""

    def __init__(self, settings: Settings, log: Path, **extra: str) -> None:
        env = {key: value for key, value in os.environ.items() if not key.startswith("LYCEUM_")}
        env.update(
            LYCEUM_BASE_URL=settings.base_url,
            LYCEUM_DATA_DIR=str(settings.data_dir),
            LYCEUM_DATABASE_URL=settings.database_url,
            LYCEUM_SECRET_KEY=settings.secret_key,
            **extra,
        )
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "worker"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def died(self) -> str | None:
        if self.process.poll() is None:
            return None
        return f"the worker exited with {self.process.returncode}:\n{self.log.read_text()}"

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: no cleanup, nothing more recorded
        self.process.wait(timeout=10)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=20)


async def poll(
    condition: Callable[[], bool | Awaitable[bool]], what: str, worker: Worker, seconds: float
) -> None:
    """Wait until `condition()` holds, failing with `what` after `seconds` or if the worker dies."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        outcome = condition()
        if await outcome if inspect.isawaitable(outcome) else outcome:
            return
        problem = worker.died()
        assert problem is None, f"while waiting for {what}: {problem}"
        assert loop.time() < deadline, f"timed out after {seconds} s waiting for {what}"
        await asyncio.sleep(0.02)  # the polling interval of a bounded wait
